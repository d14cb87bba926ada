import Foundation
import Testing

/// A typed public network (VPC, subnet, internet gateway, route table with a default route,
/// association) against moto_server: applied, checked with the `aws` CLI, a route deleted by
/// hand is found by `strata drift` and put back by `--remediate`, then destroyed.
@Suite(.serialized) struct AWSNetworkTests {
    @Test(.enabled(if: AWSProviderTests.toolsMissing == nil, "needs moto_server and the aws CLI"))
    func aPublicNetworkAppliesDriftsRemediatesAndDestroys() throws {
        let server = try MotoServer.start(try #require(AWSProviderTests.moto))
        defer { server.stop() }
        let cli = try AWSTestCLI(endpoint: server.endpoint)
        defer { cli.strata.remove() }
        let run = "n" + UUID().uuidString.prefix(6).lowercased()
        let stack = try cli.strata.writeStack("AWSNetwork", ["main.swift": """
            import Strata
            import StrataAWS

            let run = Stack.variable("run", default: "x")
            let vpc = AWS.VPC("main", cidrBlock: "10.3.0.0/16", tags: ["Name": "strata-\\(run)"])
            let subnet = AWS.Subnet("public", vpc: vpc, cidrBlock: "10.3.1.0/24")
            let igw = AWS.InternetGateway("gw", vpc: vpc, tags: ["Name": "gw-\\(run)"])
            let table = AWS.RouteTable("public", vpc: vpc, routes: [.toInternet(igw)])
            let association = AWS.RouteTableAssociation("public", subnet: subnet, routeTable: table)
            Stack.output("vpc", vpc.id)
            Stack.output("subnet", subnet.id)
            Stack.output("igw", igw.id)
            Stack.output("table", table.id)
            Stack.output("association", association.id)
            """])
        let vars = ["--var", "run=\(run)"]
        let validate = try cli.strata.run(["validate", stack] + vars, environment: cli.env)
        #expect(validate.status == 0, "the typed module matches the schema: \(validate.output)")
        let apply = try cli.strata.run(["apply", stack, "--auto-approve"] + vars, environment: cli.env)
        #expect(apply.status == 0, "\(apply.output)")
        #expect(apply.stdout.contains("5 created"), "\(apply.output)")
        let outputs = try cli.outputs(stack, vars)
        let vpc = try #require(outputs["vpc"]), subnet = try #require(outputs["subnet"]), igw = try #require(outputs["igw"])
        let table = try #require(outputs["table"]), association = try #require(outputs["association"])
        #expect(igw.hasPrefix("igw-") && table.hasPrefix("rtb-") && association.hasPrefix("rtbassoc-"), "\(outputs)")

        func describeTable() throws -> [String: Any] {
            let result = try cli.aws([["ec2", "describe-route-tables", "--route-table-ids", table]])[0]
            return try #require(first(try awsJSON(result), "RouteTables"), "\(result.output)")
        }
        func defaultRoute(_ table: [String: Any]) -> String? {
            (table["Routes"] as? [[String: Any]] ?? []).first { $0["DestinationCidrBlock"] as? String == "0.0.0.0/0" }?["GatewayId"] as? String
        }
        let created = try describeTable()
        #expect(defaultRoute(created) == igw, "\(created)")
        #expect(created["VpcId"] as? String == vpc)
        let associations = created["Associations"] as? [[String: Any]] ?? []
        #expect(associations.contains { $0["RouteTableAssociationId"] as? String == association && $0["SubnetId"] as? String == subnet }, "\(created)")
        #expect(awsTagMap(created["Tags"])["strata:address"] == "aws_route_table.public", "\(created)")
        let gateways = try cli.aws([["ec2", "describe-internet-gateways", "--internet-gateway-ids", igw]])[0]
        let gateway = try #require(first(try awsJSON(gateways), "InternetGateways"), "\(gateways.output)")
        #expect((gateway["Attachments"] as? [[String: Any]] ?? []).map { $0["VpcId"] as? String } == [vpc], "\(gateways.output)")
        #expect(awsTagMap(gateway["Tags"])["Name"] == "gw-\(run)")

        let quiet = try cli.strata.run(["plan", stack, "--detailed-exitcode"] + vars, environment: cli.env)
        #expect(quiet.status == 0, "a plan right after apply shows no changes: \(quiet.output)")

        // Out of band: the default route goes.
        let removed = try cli.aws([["ec2", "delete-route", "--route-table-id", table, "--destination-cidr-block", "0.0.0.0/0"]])[0]
        #expect(removed.status == 0, "\(removed.output)")
        #expect(defaultRoute(try describeTable()) == nil)

        let drifted = try cli.strata.run(["drift", stack, "--json"] + vars, environment: cli.env)
        #expect(drifted.status == 2, "\(drifted.output)")
        let report = try #require(try JSONSerialization.jsonObject(with: Data(drifted.stdout.utf8)) as? [String: Any], "\(drifted.stdout)")
        let entries = report["resources"] as? [[String: Any]] ?? []
        #expect(entries.map { "\($0["kind"] ?? "") \($0["address"] as? String ?? $0["id"] as? String ?? "")" } == ["changed aws_route_table.public"],
                "\(drifted.stdout)")
        let attributes = entries.first?["attributes"] as? [[String: Any]] ?? []
        #expect(attributes.compactMap { $0["name"] as? String } == ["routes"], "\(drifted.stdout)")

        let remediate = try cli.strata.run(["drift", stack, "--remediate"] + vars, environment: cli.env)
        #expect(remediate.status == 2, "\(remediate.output)")
        #expect(remediate.stdout.contains("Remediation: done"), "\(remediate.output)")
        #expect(defaultRoute(try describeTable()) == igw, "the route is back")
        let clean = try cli.strata.run(["drift", stack] + vars, environment: cli.env)
        #expect(clean.status == 0, "\(clean.output)")

        let destroy = try cli.strata.run(["destroy", stack, "--auto-approve"] + vars, environment: cli.env)
        #expect(destroy.status == 0, "\(destroy.output)")
        let gone = try cli.aws([
            ["ec2", "describe-route-tables", "--route-table-ids", table],
            ["ec2", "describe-internet-gateways", "--internet-gateway-ids", igw],
            ["ec2", "describe-subnets", "--subnet-ids", subnet],
            ["ec2", "describe-vpcs", "--vpc-ids", vpc],
        ])
        for result in gone { #expect(result.status != 0, "gone: \(result.output)") }
    }

    /// `--var stage=two` moves the gateway to a second VPC (detach/attach in place), points the
    /// default route at another gateway (ReplaceRoute in place) and associates the other
    /// subnet (the association is replaced).
    @Test(.enabled(if: AWSProviderTests.toolsMissing == nil, "needs moto_server and the aws CLI"))
    func gatewaysMoveRoutesChangeInPlaceAndAssociationsAreReplaced() throws {
        let server = try MotoServer.start(try #require(AWSProviderTests.moto))
        defer { server.stop() }
        let cli = try AWSTestCLI(endpoint: server.endpoint)
        defer { cli.strata.remove() }
        let stack = try cli.strata.writeStack("AWSNetworkChanges", ["main.swift": """
            import Strata
            import StrataAWS

            let two = Stack.variable("stage", default: "one", allowed: ["one", "two"]) == "two"
            let a = AWS.VPC("a", cidrBlock: "10.4.0.0/16")
            let b = AWS.VPC("b", cidrBlock: "10.5.0.0/16")
            let first = AWS.Subnet("first", vpc: a, cidrBlock: "10.4.1.0/24")
            let second = AWS.Subnet("second", vpc: a, cidrBlock: "10.4.2.0/24")
            let moving = AWS.InternetGateway("moving", vpc: two ? b : a)
            let staying = AWS.InternetGateway("staying", vpc: nil)
            let table = AWS.RouteTable("public", vpc: a, routes: [
                .toInternet(two ? staying : moving),
                AWS.Route("192.168.0.0/16", gatewayId: moving.id),
            ])
            let association = AWS.RouteTableAssociation("public", subnet: two ? second : first, routeTable: table)
            Stack.output("a", a.id)
            Stack.output("b", b.id)
            Stack.output("second", second.id)
            Stack.output("moving", moving.id)
            Stack.output("staying", staying.id)
            Stack.output("table", table.id)
            Stack.output("association", association.id)
            """])
        let apply = try cli.strata.run(["apply", stack, "--auto-approve"], environment: cli.env)
        #expect(apply.status == 0, "\(apply.output)")
        #expect(apply.stdout.contains("8 created"), "\(apply.output)")
        let one = try cli.outputs(stack, [])
        #expect(try cli.strata.run(["plan", stack, "--detailed-exitcode"], environment: cli.env).status == 0)

        let stageTwo = ["--var", "stage=two"]
        let plan = try cli.strata.run(["plan", stack, "--json"] + stageTwo, environment: cli.env)
        let object = try JSONSerialization.jsonObject(with: Data(plan.stdout.utf8)) as? [String: Any]
        let steps = (object?["steps"] as? [[String: Any]] ?? []).compactMap { step -> String? in
            guard let action = step["action"] as? String, action != "noop" else { return nil }
            return "\(action) \(step["address"] ?? "")"
        }.sorted()
        #expect(steps == [
            "replace aws_route_table_association.public", "update aws_internet_gateway.moving", "update aws_route_table.public",
        ], "\(plan.output)")
        let update = try cli.strata.run(["apply", stack, "--auto-approve"] + stageTwo, environment: cli.env)
        #expect(update.status == 0, "\(update.output)")
        let two = try cli.outputs(stack, stageTwo)
        #expect(two["moving"] == one["moving"] && two["table"] == one["table"], "changed in place")
        #expect(two["association"] != one["association"], "replaced")

        let checks = try cli.aws([
            ["ec2", "describe-internet-gateways", "--internet-gateway-ids", one["moving"] ?? "?"],
            ["ec2", "describe-route-tables", "--route-table-ids", one["table"] ?? "?"],
        ])
        let gateway = first(try awsJSON(checks[0]), "InternetGateways")
        #expect((gateway?["Attachments"] as? [[String: Any]] ?? []).map { $0["VpcId"] as? String } == [one["b"]], "\(checks[0].output)")
        let table = first(try awsJSON(checks[1]), "RouteTables")
        let routes = Dictionary((table?["Routes"] as? [[String: Any]] ?? []).compactMap { route -> (String, String)? in
            guard let cidr = route["DestinationCidrBlock"] as? String, let gateway = route["GatewayId"] as? String else { return nil }
            return (cidr, gateway)
        }, uniquingKeysWith: { a, _ in a })
        #expect(routes["0.0.0.0/0"] == one["staying"], "\(checks[1].output)")
        #expect(routes["192.168.0.0/16"] == one["moving"], "\(checks[1].output)")
        let associations = (table?["Associations"] as? [[String: Any]] ?? []).compactMap { $0["RouteTableAssociationId"] as? String }
        #expect(associations == [two["association"]].compactMap { $0 }, "only the new association: \(checks[1].output)")
        #expect(try cli.strata.run(["plan", stack, "--detailed-exitcode"] + stageTwo, environment: cli.env).status == 0)

        let destroy = try cli.strata.run(["destroy", stack, "--auto-approve"] + stageTwo, environment: cli.env)
        #expect(destroy.status == 0, "\(destroy.output)")
        #expect(destroy.stdout.contains("8 destroyed"), "\(destroy.output)")
    }

    /// The plugin on its own: create is idempotent (the gateway and the table by their
    /// `strata:token` tag, the untagged association by its subnet and table), import reads
    /// back, discover finds by tags, delete then read says gone.
    @Test(.enabled(if: AWSProviderTests.toolsMissing == nil, "needs moto_server"))
    func recoverImportDiscoverAndDeleteOfTheNetworkTypes() throws {
        let server = try MotoServer.start(try #require(AWSProviderTests.moto))
        defer { server.stop() }
        let plugin = try PluginPipe(StrataCLI.buildDirectory.appendingPathComponent("strata-provider-aws"), environment: [
            "AWS_ENDPOINT_URL": server.endpoint, "AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing",
            "AWS_REGION": "us-east-1", "AWS_CONFIG_FILE": "/nonexistent", "AWS_SHARED_CREDENTIALS_FILE": "/nonexistent",
        ])
        defer { plugin.close() }
        _ = try plugin.call("initialize", #"{"protocolVersion":1,"engineVersion":"test"}"#)
        _ = try plugin.call("configure", #"{"config":{}}"#)
        func result(_ answer: [String: Any]) -> [String: Any] { answer["result"] as? [String: Any] ?? [:] }
        func create(_ type: String, _ inputs: String, _ token: String) throws -> String {
            let tags = #"{"strata:stack":"net","strata:instance":"default","strata:address":"\#(type).x","strata:token":"\#(token)"}"#
            let request = #"{"type":"\#(type)","inputs":\#(inputs),"token":"\#(token)","tags":\#(tags)}"#
            let id = try #require(result(try plugin.call("create", request))["id"] as? String)
            #expect(result(try plugin.call("create", request))["id"] as? String == id, "create is idempotent: \(type)")
            let recovered = result(try plugin.call("recover", #"{"type":"\#(type)","token":"\#(token)","inputs":\#(inputs)}"#))
            #expect(recovered["found"] as? Bool == true && recovered["id"] as? String == id, "\(type): \(recovered)")
            let imported = result(try plugin.call("import", #"{"type":"\#(type)","id":"\#(id)"}"#))
            #expect((imported["outputs"] as? [String: Any])?["id"] as? String == id, "\(type): \(imported)")
            return id
        }
        let vpc = try create("aws_vpc", #"{"cidrBlock":"10.8.0.0/16"}"#, "tokvpc")
        let subnet = try create("aws_subnet", #"{"vpcId":"\#(vpc)","cidrBlock":"10.8.1.0/24"}"#, "toksubnet")
        let igw = try create("aws_internet_gateway", #"{"vpcId":"\#(vpc)"}"#, "tokigw")
        let table = try create("aws_route_table", #"{"vpcId":"\#(vpc)","routes":[{"destinationCidrBlock":"0.0.0.0/0","gatewayId":"\#(igw)"}]}"#, "toktable")
        let association = try create("aws_route_table_association", #"{"subnetId":"\#(subnet)","routeTableId":"\#(table)"}"#, "tokassoc")
        #expect(result(try plugin.call("recover", #"{"type":"aws_internet_gateway","token":"other","inputs":{}}"#))["found"] as? Bool == false)

        for (type, id) in [("aws_internet_gateway", igw), ("aws_route_table", table), ("aws_route_table_association", association)] {
            let found = result(try plugin.call("discover", #"{"type":"\#(type)","tags":{"strata:stack":"net"}}"#))
            #expect((found["resources"] as? [[String: Any]] ?? []).compactMap { $0["id"] as? String } == [id], "\(type): \(found)")
            let none = result(try plugin.call("discover", #"{"type":"\#(type)","tags":{"strata:stack":"other"}}"#))
            #expect((none["resources"] as? [[String: Any]] ?? []).isEmpty, "\(type): \(none)")
        }
        for (type, id) in [("aws_route_table_association", association), ("aws_route_table", table), ("aws_internet_gateway", igw),
                           ("aws_subnet", subnet), ("aws_vpc", vpc)] {
            let deleted = try plugin.call("delete", #"{"type":"\#(type)","id":"\#(id)","inputs":{},"outputs":{}}"#)
            #expect(deleted["error"] == nil, "\(type): \(deleted)")
            let read = result(try plugin.call("read", #"{"type":"\#(type)","id":"\#(id)","inputs":{},"outputs":{}}"#))
            #expect(read["exists"] as? Bool == false, "\(type): \(read)")
        }
    }

    private func first(_ value: Any, _ key: String) -> [String: Any]? {
        ((value as? [String: Any])?[key] as? [[String: Any]])?.first
    }
}
