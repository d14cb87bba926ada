import Foundation
import Testing

/// Route 53, S3 bucket settings, ACM and CloudFront against moto_server, checked with the
/// `aws` CLI.
@Suite(.serialized) struct AWSEdgeTests {
    static let dnsStack = ##"""
        import Strata
        import StrataAWS

        let run = Stack.variable("run", default: "x")
        let stage = Stack.variable("stage", default: "one", allowed: ["one", "two"])
        let generation = Stack.variable("generation", default: 1)
        let two = stage == "two"

        let zone = AWS.Route53Zone("main", domain: "\(run).example.com", comment: "zone \(stage)", forceDestroy: two, tags: ["team": "\(stage)"])
        let www = AWS.Route53Record("www", zone: zone, recordName: "www\(generation).\(run).example.com", type: "A",
                                    ttl: two ? 600 : 300, records: two ? ["192.0.2.1", "192.0.2.2"] : ["192.0.2.1"])
        let apex = AWS.Route53Record("apex", zone: zone, recordName: "\(run).example.com.", type: "A",
                                     alias: AWS.AliasTarget(dnsName: www.name, zoneId: zone.id))
        Stack.output("zone", zone.id)
        Stack.output("www", www.id)
        Stack.output("apex", apex.id)
        """##

    @Test(.enabled(if: AWSProviderTests.toolsMissing == nil, "needs moto_server and the aws CLI"))
    func zonesAndRecordsLiveAndDie() throws {
        let server = try MotoServer.start(try #require(AWSProviderTests.moto))
        defer { server.stop() }
        let cli = try AWSTestCLI(endpoint: server.endpoint)
        defer { cli.strata.remove() }
        let run = "d" + UUID().uuidString.prefix(6).lowercased()
        let domain = "\(run).example.com"
        let stack = try cli.strata.writeStack("AWSDNS", ["main.swift": Self.dnsStack])
        let one = ["--var", "run=\(run)"]
        let apply = try cli.strata.run(["apply", stack, "--auto-approve"] + one, environment: cli.env)
        #expect(apply.status == 0, "\(apply.output)")
        #expect(apply.stdout.contains("3 created"), "\(apply.output)")
        let created = try cli.outputs(stack, one)
        let zone = try #require(created["zone"])
        #expect(created["www"] == "\(zone)_www1.\(domain)_A" && created["apex"] == "\(zone)_\(domain)_A", "\(created)")

        func records() throws -> [String: [String: Any]] {
            let listed = try cli.aws([["route53", "list-resource-record-sets", "--hosted-zone-id", zone]])[0]
            var out: [String: [String: Any]] = [:]
            for set in jsonPath(try awsJSON(listed), "ResourceRecordSets") as? [[String: Any]] ?? [] {
                out["\(set["Type"] ?? "") \(set["Name"] ?? "")"] = set
            }
            return out
        }
        func values(_ set: [String: Any]?) -> [String] {
            (set?["ResourceRecords"] as? [[String: Any]] ?? []).compactMap { $0["Value"] as? String }.sorted()
        }
        func zoneInfo() throws -> (comment: String?, tags: [String: String]) {
            let results = try cli.aws([
                ["route53", "get-hosted-zone", "--id", zone],
                ["route53", "list-tags-for-resource", "--resource-type", "hostedzone", "--resource-id", zone],
            ])
            return (jsonPath(try awsJSON(results[0]), "HostedZone", "Config", "Comment") as? String,
                    awsTagMap(jsonPath(try awsJSON(results[1]), "ResourceTagSet", "Tags")))
        }
        var sets = try records()
        #expect(values(sets["A www1.\(domain)."]) == ["192.0.2.1"] && sets["A www1.\(domain)."]?["TTL"] as? Int == 300, "\(sets)")
        #expect((jsonPath(sets["A \(domain)."], "AliasTarget", "DNSName") as? String)?.hasPrefix("www1.\(domain)") == true, "\(sets)")
        #expect(jsonPath(sets["A \(domain)."], "AliasTarget", "HostedZoneId") as? String == zone, "\(sets)")
        var info = try zoneInfo()
        #expect(info.comment == "zone one" && info.tags["team"] == "one" && info.tags["strata:address"] == "aws_route53_zone.main", "\(info)")
        #expect(try cli.strata.run(["plan", stack, "--detailed-exitcode"] + one, environment: cli.env).status == 0, "nothing to change after apply")

        // Import the zone and a record by id: nothing to change.
        for (address, id) in [("aws_route53_zone.main", zone), ("aws_route53_record.www", try #require(created["www"]))] {
            #expect(try cli.strata.run(["state", "rm", stack, address] + one, environment: cli.env).status == 0)
            let imported = try cli.strata.run(["import", stack, address, id] + one, environment: cli.env)
            #expect(imported.status == 0, "\(imported.output)")
        }
        let afterImport = try cli.strata.run(["plan", stack, "--detailed-exitcode"] + one, environment: cli.env)
        #expect(afterImport.status == 0, "an imported zone and record plan no change: \(afterImport.output)")

        // In place: the comment, the tags, the TTL and values.
        let two = one + ["--var", "stage=two"]
        let plan = try cli.strata.run(["plan", stack, "--json"] + two, environment: cli.env)
        #expect(planActions(plan.stdout) == ["update aws_route53_record.www", "update aws_route53_zone.main"], "\(plan.output)")
        let update = try cli.strata.run(["apply", stack, "--auto-approve"] + two, environment: cli.env)
        #expect(update.status == 0, "\(update.output)")
        sets = try records()
        #expect(values(sets["A www1.\(domain)."]) == ["192.0.2.1", "192.0.2.2"] && sets["A www1.\(domain)."]?["TTL"] as? Int == 600, "\(sets)")
        info = try zoneInfo()
        #expect(info.comment == "zone two" && info.tags["team"] == "two", "\(info)")
        #expect(try cli.strata.run(["plan", stack, "--detailed-exitcode"] + two, environment: cli.env).status == 0, "nothing to change after the update")

        // A new name replaces the record; the alias follows in place.
        let renamed = two + ["--var", "generation=2"]
        let replan = try cli.strata.run(["plan", stack, "--json"] + renamed, environment: cli.env)
        #expect(planActions(replan.stdout) == ["replace aws_route53_record.www", "update aws_route53_record.apex"], "\(replan.output)")
        let replace = try cli.strata.run(["apply", stack, "--auto-approve"] + renamed, environment: cli.env)
        #expect(replace.status == 0, "\(replace.output)")
        sets = try records()
        #expect(sets["A www1.\(domain)."] == nil && values(sets["A www2.\(domain)."]) == ["192.0.2.1", "192.0.2.2"], "\(sets.keys.sorted())")
        #expect((jsonPath(sets["A \(domain)."], "AliasTarget", "DNSName") as? String)?.hasPrefix("www2.\(domain)") == true, "\(sets)")

        // A record made by hand: forceDestroy (true in stage two) deletes it with the zone.
        let batch = #"{"Changes":[{"Action":"CREATE","ResourceRecordSet":{"Name":"hand.\#(domain)","Type":"TXT","TTL":60,"ResourceRecords":[{"Value":"\"by hand\""}]}}]}"#
        let hand = try cli.aws([["route53", "change-resource-record-sets", "--hosted-zone-id", zone, "--change-batch", batch]])[0]
        #expect(hand.status == 0, "\(hand.output)")
        let destroy = try cli.strata.run(["destroy", stack, "--auto-approve"] + renamed, environment: cli.env)
        #expect(destroy.status == 0, "\(destroy.output)")
        let gone = try cli.aws([["route53", "get-hosted-zone", "--id", zone]])[0]
        #expect(gone.status != 0 && gone.output.contains("NoSuchHostedZone"), "\(gone.output)")
    }

    @Test(.enabled(if: AWSProviderTests.toolsMissing == nil, "needs moto_server and the aws CLI"))
    func aZoneWithRecordsLeftIsNotDestroyedWithoutForceDestroy() throws {
        let server = try MotoServer.start(try #require(AWSProviderTests.moto))
        defer { server.stop() }
        let cli = try AWSTestCLI(endpoint: server.endpoint)
        defer { cli.strata.remove() }
        let stack = try cli.strata.writeStack("AWSZoneKept", ["main.swift": """
            import Strata
            import StrataAWS

            let zone = AWS.Route53Zone("main", domain: "kept.example.org")
            Stack.output("zone", zone.id)
            """])
        #expect(try cli.strata.run(["apply", stack, "--auto-approve"], environment: cli.env).status == 0)
        let zone = try #require(try cli.outputs(stack, [])["zone"])
        let batch = #"{"Changes":[{"Action":"CREATE","ResourceRecordSet":{"Name":"a.kept.example.org","Type":"A","TTL":60,"ResourceRecords":[{"Value":"192.0.2.9"}]}}]}"#
        #expect(try cli.aws([["route53", "change-resource-record-sets", "--hosted-zone-id", zone, "--change-batch", batch]])[0].status == 0)
        let destroy = try cli.strata.run(["destroy", stack, "--auto-approve"], environment: cli.env)
        #expect(destroy.status != 0 && destroy.output.contains("set forceDestroy: true"), "\(destroy.output)")
        let kept = try cli.aws([["route53", "get-hosted-zone", "--id", zone]])[0]
        #expect(kept.status == 0, "the zone is still there: \(kept.output)")
    }

    @Test(.enabled(if: AWSProviderTests.toolsMissing == nil, "needs moto_server and the aws CLI"))
    func checkRejectsBadEdgeInputs() throws {
        let cli = try AWSTestCLI(endpoint: "http://127.0.0.1:9")
        defer { cli.strata.remove() }
        let stack = try cli.strata.writeStack("BadEdge", ["main.swift": """
            import Strata
            import StrataAWS
            import StrataModel

            let zone = AWS.Route53Zone("main", domain: "bad_domain-.example.com")
            let record = AWS.Route53Record("r", zone: zone, recordName: "www.example.com", type: "AA", ttl: 60, records: ["1.2.3.4"])
            let both = GenericResource("aws_route53_record", "both", inputs: ["zoneId": "Z1", "name": "x.example.com", "type": "A",
                "records": ["1.2.3.4"], "alias": .map(["dnsName": "d.example.com", "zoneId": "Z2"])])
            """])
        let plan = try cli.strata.run(["plan", stack], environment: cli.env)
        #expect(plan.status == 1, "\(plan.output)")
        for expected in ["is not a domain name", "type 'AA' is not a record type", "set exactly one of 'records'"] {
            #expect(plan.output.contains(expected), "\(expected): \(plan.output)")
        }
    }
}
