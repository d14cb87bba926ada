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

    static let bucketStack = ##"""
        import Strata
        import StrataAWS

        let run = Stack.variable("run", default: "x")
        let stage = Stack.variable("stage", default: "one", allowed: ["one", "two", "three"])
        let name = "strata-site-\(run)"
        let bucket = AWS.S3Bucket("site", bucket: "\(name)", versioning: true)
        switch stage {
        case "one":
            bucket.serverSideEncryption()
                .lifecycleRules([AWS.LifecycleRule(id: "logs", prefix: "logs/", expirationDays: 30)])
                .corsRules([AWS.CORSRule(allowedMethods: ["GET"], allowedOrigins: ["*"])])
                .publicAccessBlock()
                .policy(#"{ "Version": "2012-10-17", "Statement": [ { "Sid": "TLS", "Effect": "Deny", "Principal": "*", "Action": "s3:*", "Resource": ["arn:aws:s3:::\#(name)/*"], "Condition": { "Bool": { "aws:SecureTransport": "false" } } } ] }"#)
        case "two":
            bucket.serverSideEncryption("aws:kms", kmsKeyId: "alias/site")
                .lifecycleRules([AWS.LifecycleRule(id: "logs", prefix: "logs/", expirationDays: 60, noncurrentVersionExpirationDays: 7)])
                .corsRules([AWS.CORSRule(allowedMethods: ["GET", "PUT"], allowedOrigins: ["https://app.example.com"], allowedHeaders: ["*"], maxAgeSeconds: 300)])
                .publicAccessBlock(blockPublicPolicy: false)
                .policy(#"{"Version":"2012-10-17","Statement":[{"Sid":"TLS2","Effect":"Deny","Principal":"*","Action":"s3:*","Resource":"arn:aws:s3:::\#(name)/*","Condition":{"Bool":{"aws:SecureTransport":"false"}}}]}"#)
        default:
            bucket.serverSideEncryption("aws:kms", kmsKeyId: "alias/site")
        }
        Stack.output("bucket", bucket.id)
        Stack.output("domain", bucket.bucketDomainName)
        """##

    @Test(.enabled(if: AWSProviderTests.toolsMissing == nil, "needs moto_server and the aws CLI"))
    func bucketSettingsApplyChangeDriftAndGo() throws {
        let server = try MotoServer.start(try #require(AWSProviderTests.moto))
        defer { server.stop() }
        let cli = try AWSTestCLI(endpoint: server.endpoint)
        defer { cli.strata.remove() }
        let run = "b" + UUID().uuidString.prefix(6).lowercased()
        let bucket = "strata-site-\(run)"
        let stack = try cli.strata.writeStack("AWSBucketSettings", ["main.swift": Self.bucketStack])
        let one = ["--var", "run=\(run)"]
        let apply = try cli.strata.run(["apply", stack, "--auto-approve"] + one, environment: cli.env)
        #expect(apply.status == 0, "\(apply.output)")
        #expect(try cli.outputs(stack, one)["domain"] == "\(bucket).s3.amazonaws.com")

        func settings() throws -> [StrataCLI.Result] {
            try cli.aws([
                ["s3api", "get-bucket-encryption", "--bucket", bucket],
                ["s3api", "get-bucket-lifecycle-configuration", "--bucket", bucket],
                ["s3api", "get-bucket-cors", "--bucket", bucket],
                ["s3api", "get-public-access-block", "--bucket", bucket],
                ["s3api", "get-bucket-policy", "--bucket", bucket],
            ])
        }
        var got = try settings()
        let sse = jsonPath(try awsJSON(got[0]), "ServerSideEncryptionConfiguration", "Rules", 0, "ApplyServerSideEncryptionByDefault") as? [String: Any]
        #expect(sse?["SSEAlgorithm"] as? String == "AES256", "\(got[0].output)")
        #expect(jsonPath(try awsJSON(got[1]), "Rules", 0, "Expiration", "Days") as? Int == 30, "\(got[1].output)")
        #expect(jsonPath(try awsJSON(got[1]), "Rules", 0, "ID") as? String == "logs", "\(got[1].output)")
        #expect(jsonPath(try awsJSON(got[2]), "CORSRules", 0, "AllowedMethods") as? [String] == ["GET"], "\(got[2].output)")
        let block = jsonPath(try awsJSON(got[3]), "PublicAccessBlockConfiguration") as? [String: Any]
        #expect(block?["BlockPublicAcls"] as? Bool == true && block?["BlockPublicPolicy"] as? Bool == true, "\(got[3].output)")
        #expect((jsonPath(try awsJSON(got[4]), "Policy") as? String)?.contains("\"TLS\"") == true, "\(got[4].output)")
        #expect(try cli.strata.run(["plan", stack, "--detailed-exitcode"] + one, environment: cli.env).status == 0, "nothing to change after apply")

        // Drift: CORS deleted by hand is found, and put back.
        #expect(try cli.aws([["s3api", "delete-bucket-cors", "--bucket", bucket]])[0].status == 0)
        let drift = try cli.strata.run(["drift", stack] + one, environment: cli.env)
        #expect(drift.status == 2 && drift.output.contains("corsRules"), "\(drift.output)")
        let remediate = try cli.strata.run(["drift", stack, "--remediate"] + one, environment: cli.env)
        #expect(remediate.status == 2, "\(remediate.output)")
        #expect(try cli.aws([["s3api", "get-bucket-cors", "--bucket", bucket]])[0].status == 0, "CORS is back")

        // In place: every setting changes.
        let two = one + ["--var", "stage=two"]
        let plan = try cli.strata.run(["plan", stack, "--json"] + two, environment: cli.env)
        #expect(planActions(plan.stdout) == ["update aws_s3_bucket.site"], "\(plan.output)")
        let update = try cli.strata.run(["apply", stack, "--auto-approve"] + two, environment: cli.env)
        #expect(update.status == 0, "\(update.output)")
        got = try settings()
        let kms = jsonPath(try awsJSON(got[0]), "ServerSideEncryptionConfiguration", "Rules", 0, "ApplyServerSideEncryptionByDefault") as? [String: Any]
        #expect(kms?["SSEAlgorithm"] as? String == "aws:kms" && kms?["KMSMasterKeyID"] as? String == "alias/site", "\(got[0].output)")
        #expect(jsonPath(try awsJSON(got[1]), "Rules", 0, "Expiration", "Days") as? Int == 60, "\(got[1].output)")
        #expect(jsonPath(try awsJSON(got[1]), "Rules", 0, "NoncurrentVersionExpiration", "NoncurrentDays") as? Int == 7, "\(got[1].output)")
        #expect(jsonPath(try awsJSON(got[2]), "CORSRules", 0, "MaxAgeSeconds") as? Int == 300, "\(got[2].output)")
        #expect(jsonPath(try awsJSON(got[3]), "PublicAccessBlockConfiguration", "BlockPublicPolicy") as? Bool == false, "\(got[3].output)")
        #expect((jsonPath(try awsJSON(got[4]), "Policy") as? String)?.contains("\"TLS2\"") == true, "\(got[4].output)")
        #expect(try cli.strata.run(["plan", stack, "--detailed-exitcode"] + two, environment: cli.env).status == 0, "nothing to change after the update")

        // Dropped from the stack: lifecycle, CORS and policy are deleted.
        let three = one + ["--var", "stage=three"]
        let drop = try cli.strata.run(["apply", stack, "--auto-approve"] + three, environment: cli.env)
        #expect(drop.status == 0, "\(drop.output)")
        got = try settings()
        #expect(got[1].status != 0 && got[1].output.contains("NoSuchLifecycleConfiguration"), "\(got[1].output)")
        #expect(got[2].status != 0 && got[2].output.contains("NoSuchCORSConfiguration"), "\(got[2].output)")
        #expect(got[4].status != 0 && got[4].output.contains("NoSuchBucketPolicy"), "\(got[4].output)")
        #expect(try cli.strata.run(["plan", stack, "--detailed-exitcode"] + three, environment: cli.env).status == 0, "nothing to change after dropping")

        let destroy = try cli.strata.run(["destroy", stack, "--auto-approve"] + three, environment: cli.env)
        #expect(destroy.status == 0, "\(destroy.output)")
        let gone = try cli.aws([["s3api", "head-bucket", "--bucket", bucket]])[0]
        #expect(gone.status != 0, "\(gone.output)")
    }

    static let cdnStack = ##"""
        import Strata
        import StrataAWS

        let run = Stack.variable("run", default: "x")
        let stage = Stack.variable("stage", default: "one", allowed: ["one", "two"])
        let generation = Stack.variable("generation", default: 1)
        let two = stage == "two"
        let domain = "\(run).example.com"

        let site = AWS.S3Bucket("site", bucket: "strata-cdn-\(run)")
        let certificate = AWS.ACMCertificate("www", domainName: "www.\(domain)",
                                             subjectAlternativeNames: generation == 1 ? [] : ["static.\(domain)"],
                                             tags: ["stage": "\(stage)"])
        let cdn = AWS.CloudFrontDistribution(
            "cdn",
            origins: [
                .s3(id: "site", bucket: site),
                .custom(id: "api", domainName: "api-\(run).us-east-1.elb.amazonaws.com"),
            ],
            defaultCacheBehavior: AWS.CacheBehavior(targetOriginId: "site"),
            orderedCacheBehaviors: [
                AWS.CacheBehavior(targetOriginId: "api", pathPattern: "/api/*", viewerProtocolPolicy: "https-only",
                                  allowedMethods: two ? ["GET", "HEAD", "OPTIONS", "PUT", "POST", "PATCH", "DELETE"] : ["GET", "HEAD"]),
            ],
            aliases: ["www.\(domain)"], certificate: certificate,
            comment: "cdn \(stage)", priceClass: two ? "PriceClass_100" : nil, tags: ["stage": "\(stage)"])
        let zone = AWS.Route53Zone("main", domain: "\(domain)", forceDestroy: true)
        let www = AWS.Route53Record("www", zone: zone, recordName: "www.\(domain)", alias: .cloudFront(cdn))
        Stack.output("distribution", cdn.id)
        Stack.output("distributionDomain", cdn.domainName)
        Stack.output("certificate", certificate.arn)
        Stack.output("zone", zone.id)
        """##

    @Test(.enabled(if: AWSProviderTests.toolsMissing == nil, "needs moto_server and the aws CLI"))
    func aDistributionWithACertificateAndAnAliasRecordLivesAndDies() throws {
        let server = try MotoServer.start(try #require(AWSProviderTests.moto))
        defer { server.stop() }
        let cli = try AWSTestCLI(endpoint: server.endpoint)
        defer { cli.strata.remove() }
        let run = "c" + UUID().uuidString.prefix(6).lowercased()
        let domain = "\(run).example.com"
        let stack = try cli.strata.writeStack("AWSCDN", ["main.swift": Self.cdnStack])
        let one = ["--var", "run=\(run)"]
        let validate = try cli.strata.run(["validate", stack] + one, environment: cli.env)
        #expect(validate.status == 0, "the typed module matches the schema: \(validate.output)")
        let apply = try cli.strata.run(["apply", stack, "--auto-approve"] + one, environment: cli.env)
        #expect(apply.status == 0, "\(apply.output)")
        #expect(apply.stdout.contains("5 created"), "\(apply.output)")
        let created = try cli.outputs(stack, one)
        let distribution = try #require(created["distribution"]), certificate = try #require(created["certificate"])
        let zone = try #require(created["zone"]), cdnDomain = try #require(created["distributionDomain"])

        func describe() throws -> (config: [String: Any], certificate: [String: Any]?, tags: [String: String]) {
            let results = try cli.aws([
                ["cloudfront", "get-distribution", "--id", distribution],
                ["acm", "describe-certificate", "--certificate-arn", certificate],
            ])
            let got = try #require(jsonPath(try awsJSON(results[0]), "Distribution") as? [String: Any], "\(results[0].output)")
            let arn = try #require(got["ARN"] as? String)
            let tags = try cli.aws([["cloudfront", "list-tags-for-resource", "--resource", arn]])[0]
            return (got["DistributionConfig"] as? [String: Any] ?? [:], jsonPath(try? awsJSON(results[1]), "Certificate") as? [String: Any],
                    awsTagMap(jsonPath(try awsJSON(tags), "Tags", "Items")))
        }
        var got = try describe()
        let origins = (jsonPath(got.config, "Origins", "Items") as? [[String: Any]] ?? []).compactMap { $0["DomainName"] as? String }
        #expect(origins == ["strata-cdn-\(run).s3.amazonaws.com", "api-\(run).us-east-1.elb.amazonaws.com"], "\(got.config)")
        #expect(jsonPath(got.config, "DefaultCacheBehavior", "TargetOriginId") as? String == "site")
        #expect(jsonPath(got.config, "CacheBehaviors", "Items", 0, "PathPattern") as? String == "/api/*", "\(got.config)")
        #expect(jsonPath(got.config, "Aliases", "Items") as? [String] == ["www.\(domain)"], "\(got.config)")
        #expect(jsonPath(got.config, "ViewerCertificate", "ACMCertificateArn") as? String == certificate, "\(got.config)")
        #expect(got.config["Comment"] as? String == "cdn one" && got.tags["stage"] == "one" && got.tags["strata:address"] == "aws_cloudfront_distribution.cdn", "\(got)")
        #expect(got.certificate?["DomainName"] as? String == "www.\(domain)", "\(String(describing: got.certificate))")
        let listed = try cli.aws([["route53", "list-resource-record-sets", "--hosted-zone-id", zone]])[0]
        let alias = (jsonPath(try awsJSON(listed), "ResourceRecordSets") as? [[String: Any]] ?? []).first { $0["Name"] as? String == "www.\(domain)." }
        #expect((jsonPath(alias, "AliasTarget", "DNSName") as? String)?.hasPrefix(cdnDomain) == true, "\(listed.output)")
        #expect(jsonPath(alias, "AliasTarget", "HostedZoneId") as? String == "Z2FDTNDATAQYW2", "\(listed.output)")
        #expect(try cli.strata.run(["plan", stack, "--detailed-exitcode"] + one, environment: cli.env).status == 0, "nothing to change after apply")

        // Import the distribution and the certificate: nothing to change.
        for (address, id) in [("aws_cloudfront_distribution.cdn", distribution), ("aws_acm_certificate.www", certificate)] {
            #expect(try cli.strata.run(["state", "rm", stack, address] + one, environment: cli.env).status == 0)
            let imported = try cli.strata.run(["import", stack, address, id] + one, environment: cli.env)
            #expect(imported.status == 0, "\(imported.output)")
        }
        let afterImport = try cli.strata.run(["plan", stack, "--detailed-exitcode"] + one, environment: cli.env)
        #expect(afterImport.status == 0, "imported, nothing to change: \(afterImport.output)")

        // In place: comment, price class, the /api/* methods, tags (ETag, If-Match).
        let two = one + ["--var", "stage=two"]
        let update = try cli.strata.run(["apply", stack, "--auto-approve"] + two, environment: cli.env)
        #expect(update.status == 0, "\(update.output)")
        #expect(try cli.outputs(stack, two)["distribution"] == distribution, "updated in place")
        got = try describe()
        #expect(got.config["Comment"] as? String == "cdn two" && got.config["PriceClass"] as? String == "PriceClass_100", "\(got.config)")
        #expect((jsonPath(got.config, "CacheBehaviors", "Items", 0, "AllowedMethods", "Items") as? [String] ?? []).count == 7, "\(got.config)")
        #expect(got.tags["stage"] == "two", "\(got.tags)")
        #expect(try cli.strata.run(["plan", stack, "--detailed-exitcode"] + two, environment: cli.env).status == 0, "nothing to change after the update")

        // A new alternative name replaces the certificate; the distribution is re-pointed in place.
        let more = two + ["--var", "generation=2"]
        let replace = try cli.strata.run(["apply", stack, "--auto-approve"] + more, environment: cli.env)
        #expect(replace.status == 0, "\(replace.output)")
        let after = try cli.outputs(stack, more)
        let newCertificate = try #require(after["certificate"])
        #expect(newCertificate != certificate && after["distribution"] == distribution, "\(after)")
        let repointed = try cli.aws([["cloudfront", "get-distribution", "--id", distribution]])[0]
        #expect(jsonPath(try awsJSON(repointed), "Distribution", "DistributionConfig", "ViewerCertificate", "ACMCertificateArn") as? String == newCertificate, "\(repointed.output)")
        let oldCertificate = try cli.aws([["acm", "describe-certificate", "--certificate-arn", certificate]])[0]
        #expect(oldCertificate.status != 0 && oldCertificate.output.contains("ResourceNotFoundException"), "\(oldCertificate.output)")

        let destroy = try cli.strata.run(["destroy", stack, "--auto-approve"] + more, environment: cli.env)
        #expect(destroy.status == 0, "\(destroy.output)")
        #expect(destroy.stdout.contains("aws_cloudfront_distribution.cdn"), "\(destroy.output)")
        let gone = try cli.aws([
            ["cloudfront", "get-distribution", "--id", distribution],
            ["acm", "describe-certificate", "--certificate-arn", newCertificate],
            ["route53", "get-hosted-zone", "--id", zone],
        ])
        for (result, code) in zip(gone, ["NoSuchDistribution", "ResourceNotFoundException", "NoSuchHostedZone"]) {
            #expect(result.status != 0 && result.output.contains(code), "expected \(code): \(result.output)")
        }
    }

    static let wafStack = ##"""
        import Strata
        import StrataAWS

        let run = Stack.variable("run", default: "x")
        let alb = Stack.variable("alb", default: "arn:aws:elasticloadbalancing:us-east-1:123456789012:loadbalancer/app/none/0")
        let stage = Stack.variable("stage", default: "one", allowed: ["one", "two"])
        let generation = Stack.variable("generation", default: 1)
        let two = stage == "two"

        let acl = AWS.WebACL("edge", aclName: "edge-\(run)-\(generation)", defaultAction: two ? "block" : "allow",
                             description: "edge \(stage)",
                             rules: [
                                 .managed("common", priority: 1, group: "AWSManagedRulesCommonRuleSet"),
                                 .rateLimit("per-ip", priority: 2, limit: two ? 500 : 2000),
                             ],
                             tags: ["stage": "\(stage)"])
        let association = AWS.WebACLAssociation("alb", webACL: acl, resourceArn: "\(alb)")
        Stack.output("acl", acl.id)
        Stack.output("association", association.id)
        """##

    @Test(.enabled(if: AWSProviderTests.toolsMissing == nil, "needs moto_server and the aws CLI"))
    func aWebACLProtectsALoadBalancer() throws {
        let server = try MotoServer.start(try #require(AWSProviderTests.moto))
        defer { server.stop() }
        let cli = try AWSTestCLI(endpoint: server.endpoint)
        defer { cli.strata.remove() }
        // A load balancer to protect, made with the aws CLI (Strata has no load balancer type yet).
        let vpc = try #require(jsonPath(try awsJSON(try cli.aws([["ec2", "create-vpc", "--cidr-block", "10.7.0.0/16"]])[0]), "Vpc", "VpcId") as? String)
        let subnets = try cli.aws([
            ["ec2", "create-subnet", "--vpc-id", vpc, "--cidr-block", "10.7.1.0/24", "--availability-zone", "us-east-1a"],
            ["ec2", "create-subnet", "--vpc-id", vpc, "--cidr-block", "10.7.2.0/24", "--availability-zone", "us-east-1b"],
        ]).map { jsonPath(try? awsJSON($0), "Subnet", "SubnetId") as? String ?? "" }
        let made = try cli.aws([["elbv2", "create-load-balancer", "--name", "web", "--subnets"] + subnets])[0]
        let alb = try #require(jsonPath(try awsJSON(made), "LoadBalancers", 0, "LoadBalancerArn") as? String, "\(made.output)")

        let run = "w" + UUID().uuidString.prefix(6).lowercased()
        let stack = try cli.strata.writeStack("AWSWAF", ["main.swift": Self.wafStack])
        let one = ["--var", "run=\(run)", "--var", "alb=\(alb)"]
        let apply = try cli.strata.run(["apply", stack, "--auto-approve"] + one, environment: cli.env)
        #expect(apply.status == 0, "\(apply.output)")
        let created = try cli.outputs(stack, one)
        let acl = try #require(created["acl"])
        #expect(created["association"] == "\(acl),\(alb)", "\(created)")
        let parts = acl.split(separator: "/").map(String.init)

        func webACL(_ name: String, _ id: String) throws -> [String: Any] {
            let got = try cli.aws([["wafv2", "get-web-acl", "--scope", "REGIONAL", "--name", name, "--id", id]])[0]
            return try #require(jsonPath(try awsJSON(got), "WebACL") as? [String: Any], "\(got.output)")
        }
        func protecting() throws -> String? {
            let got = try cli.aws([["wafv2", "get-web-acl-for-resource", "--resource-arn", alb]])[0]
            return jsonPath(try? awsJSON(got), "WebACL", "ARN") as? String
        }
        var got = try webACL(parts[2], parts[3])
        #expect(jsonPath(got, "DefaultAction", "Allow") != nil && got["Description"] as? String == "edge one", "\(got)")
        #expect(jsonPath(got, "Rules", 0, "Statement", "ManagedRuleGroupStatement", "Name") as? String == "AWSManagedRulesCommonRuleSet", "\(got)")
        #expect(jsonPath(got, "Rules", 1, "Statement", "RateBasedStatement", "Limit") as? Int == 2000, "\(got)")
        #expect(try protecting() == acl)
        #expect(try cli.strata.run(["plan", stack, "--detailed-exitcode"] + one, environment: cli.env).status == 0, "nothing to change after apply")

        #expect(try cli.strata.run(["state", "rm", stack, "aws_wafv2_web_acl.edge"] + one, environment: cli.env).status == 0)
        let imported = try cli.strata.run(["import", stack, "aws_wafv2_web_acl.edge", acl] + one, environment: cli.env)
        #expect(imported.status == 0, "\(imported.output)")
        #expect(try cli.strata.run(["plan", stack, "--detailed-exitcode"] + one, environment: cli.env).status == 0, "imported, nothing to change")

        let two = one + ["--var", "stage=two"]
        let plan = try cli.strata.run(["plan", stack, "--json"] + two, environment: cli.env)
        #expect(planActions(plan.stdout) == ["update aws_wafv2_web_acl.edge"], "the association stays: \(plan.output)")
        let update = try cli.strata.run(["apply", stack, "--auto-approve"] + two, environment: cli.env)
        #expect(update.status == 0, "\(update.output)")
        got = try webACL(parts[2], parts[3])
        #expect(jsonPath(got, "DefaultAction", "Block") != nil && got["Description"] as? String == "edge two", "\(got)")
        #expect(jsonPath(got, "Rules", 1, "Statement", "RateBasedStatement", "Limit") as? Int == 500, "\(got)")
        #expect(try cli.strata.run(["plan", stack, "--detailed-exitcode"] + two, environment: cli.env).status == 0, "nothing to change after the update")

        let renamed = two + ["--var", "generation=2"]
        let replace = try cli.strata.run(["apply", stack, "--auto-approve"] + renamed, environment: cli.env)
        #expect(replace.status == 0, "\(replace.output)")
        let newACL = try #require(try cli.outputs(stack, renamed)["acl"])
        #expect(newACL != acl && newACL.contains("/edge-\(run)-2/"), "\(newACL)")
        #expect(try protecting() == newACL, "the load balancer is protected by the new web ACL")
        let old = try cli.aws([["wafv2", "get-web-acl", "--scope", "REGIONAL", "--name", parts[2], "--id", parts[3]]])[0]
        #expect(old.status != 0, "the old web ACL is gone: \(old.output)")

        let destroy = try cli.strata.run(["destroy", stack, "--auto-approve"] + renamed, environment: cli.env)
        #expect(destroy.status == 0, "\(destroy.output)")
        #expect(try protecting() == nil, "nothing protects the load balancer")
        let newParts = newACL.split(separator: "/").map(String.init)
        let gone = try cli.aws([["wafv2", "get-web-acl", "--scope", "REGIONAL", "--name", newParts[2], "--id", newParts[3]]])[0]
        #expect(gone.status != 0 && gone.output.contains("WAFNonexistentItemException"), "\(gone.output)")
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
            let bucket = GenericResource("aws_s3_bucket", "b", inputs: ["bucket": "strata-bad-settings",
                "serverSideEncryption": .map(["algorithm": "DES"]), "policy": "{nope",
                "corsRules": [.map(["allowedMethods": ["FETCH"], "allowedOrigins": ["*"]])],
                "lifecycleRules": [.map(["prefix": "logs/", "expirationDays": 0])]])
            let certificate = AWS.ACMCertificate("c", domainName: "-bad-.example.com", validationMethod: "SMS")
            let cdn = GenericResource("aws_cloudfront_distribution", "cdn", inputs: [
                "origins": [.map(["id": "o", "domainName": "o.s3.amazonaws.com", "type": "ftp"])],
                "defaultCacheBehavior": .map(["targetOriginId": "missing", "viewerProtocolPolicy": "sometimes"]),
                "aliases": ["www.example.com"], "priceClass": "PriceClass_Cheap"])
            let acl = GenericResource("aws_wafv2_web_acl", "acl", inputs: ["name": "bad name", "defaultAction": "maybe",
                "rules": [.map(["name": "r", "priority": 1, "managedRuleGroup": "G", "rateLimit": 100])]])
            """])
        let plan = try cli.strata.run(["plan", stack], environment: cli.env)
        #expect(plan.status == 1, "\(plan.output)")
        for expected in ["is not a domain name", "type 'AA' is not a record type", "set exactly one of 'records'",
                         "serverSideEncryption.algorithm must be AES256 or aws:kms", "policy is not valid JSON", "'FETCH' is not a CORS method",
                         "lifecycleRules[0] needs an 'id'", "expirationDays must be a whole number of days from 1",
                         "validationMethod must be DNS or EMAIL", "origins[0].type must be s3 or custom", "targetOriginId 'missing' names no origin",
                         "viewerProtocolPolicy must be one of", "aliases need an acmCertificateArn", "priceClass must be one of",
                         "name 'bad name' must be 1 to 128", "defaultAction must be allow or block", "exactly one of managedRuleGroup and rateLimit"] {
            #expect(plan.output.contains(expected), "\(expected): \(plan.output)")
        }
    }
}
