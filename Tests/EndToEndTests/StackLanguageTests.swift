import Foundation
import Testing

/// The stack language beyond plain declarations: keyed loops, renames, moves into components.
@Suite(.serialized) struct StackLanguageTests {
    func planJSON(_ cli: StrataCLI, _ args: [String]) throws -> [String: Any] {
        let result = try cli.run(["plan"] + args + ["--json"])
        return try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any] ?? [:]
    }

    @Test func keyedResourcesKeepTheirAddressesWhenOneKeyIsRemoved() throws {
        let cli = try StrataCLI()
        defer { cli.remove() }
        func stack(_ zones: [String]) -> String {
            """
            import Strata
            import StrataTestProvider

            let vpc = TestResource("vpc")
            for zone in [\(zones.map { "\"\($0)\"" }.joined(separator: ", "))] {
                TestResource(keyed("subnet", zone), value: "subnet in \\(zone)", inputs: [vpc.id])
            }
            """
        }
        let path = try cli.writeStack("Keyed", ["main.swift": stack(["us-east-1a", "us-east-1b", "us-east-1.c"])])
        let apply = try cli.run(["apply", path, "--auto-approve"])
        #expect(apply.status == 0, "\(apply.output)")
        #expect(try cli.run(["state", "list", path]).stdout.contains("test_resource.subnet[\"us-east-1.c\"]"))
        try cli.writeStack("Keyed", ["main.swift": stack(["us-east-1a", "us-east-1.c"])])
        let plan = try planJSON(cli, [path])
        let steps = (plan["steps"] as? [[String: Any]] ?? []).map { "\($0["action"] ?? "") \($0["address"] ?? "")" }
        #expect(steps == ["delete test_resource.subnet[\"us-east-1b\"]"], "\(steps)")
        let show = try cli.run(["state", "show", path, "test_resource.subnet[\"us-east-1.c\"]"])
        #expect(show.status == 0, "\(show.output)")
    }

    @Test func renamingTenAndMovingFiveIntoAComponentPlansNoCreateAndNoDelete() throws {
        let cli = try StrataCLI()
        defer { cli.remove() }
        let before = """
            import Strata
            import StrataTestProvider

            let base = TestResource("base")
            for i in 0..<10 { TestResource("old_\\(i)", value: "v\\(i)", inputs: [base.id]) }
            for i in 0..<5 { TestResource("loose_\\(i)", value: "w\\(i)") }
            """
        let path = try cli.writeStack("Moves", ["main.swift": before])
        #expect(try cli.run(["apply", path, "--auto-approve"]).status == 0)
        let ids = cli.storedIDs()

        let after = """
            import Strata
            import StrataTestProvider

            let base = TestResource("base")
            for i in 0..<10 {
                TestResource("new_\\(i)", value: "v\\(i)", inputs: [base.id]).moved(from: "test_resource.old_\\(i)")
            }
            Stack.component("group") {
                for i in 0..<5 { TestResource("member_\\(i)", value: "w\\(i)").moved(from: "test_resource.loose_\\(i)") }
            }
            """
        try cli.writeStack("Moves", ["main.swift": after])
        let plan = try planJSON(cli, [path])
        let summary = plan["summary"] as? [String: Int] ?? [:]
        #expect(summary["create"] == 0 && summary["delete"] == 0 && summary["replace"] == 0 && summary["update"] == 0, "\(summary)")
        #expect(summary["move"] == 15, "\(summary)")
        let text = try cli.run(["plan", path])
        #expect(text.stdout.contains("group.test_resource.member_3 (moved from test_resource.loose_3)"), "\(text.output)")

        let apply = try cli.run(["apply", path, "--auto-approve"])
        #expect(apply.status == 0, "\(apply.output)")
        #expect(cli.storedIDs() == ids, "the same resources, nothing replaced")
        let list = try cli.run(["state", "list", path]).stdout
        #expect(list.contains("test_resource.new_9") && list.contains("group.test_resource.member_0") && !list.contains("old_"), "\(list)")
        #expect(try cli.run(["plan", path, "--detailed-exitcode"]).status == 0)
    }

    @Test func twoInstancesOfOneProviderKeepTheirResourcesApart() throws {
        let cli = try StrataCLI()
        defer { cli.remove() }
        let east = cli.directory.appendingPathComponent("east").path
        let west = cli.directory.appendingPathComponent("west").path
        let path = try cli.writeStack("Regions", ["main.swift": """
            import Strata
            import StrataTestProvider

            let east = Stack.provider("test", alias: "east", ["store": "\(east)"])
            let west = Stack.provider("test", alias: "west", ["store": "\(west)"])
            let a = TestResource("a").using(east)
            TestResource("b", inputs: [a.id]).using(west)
            TestResource("c")
            """])
        let apply = try cli.run(["apply", path, "--auto-approve"])
        #expect(apply.status == 0, "\(apply.output)")
        func count(_ dir: String) -> Int {
            ((try? FileManager.default.contentsOfDirectory(atPath: dir)) ?? []).filter { $0.hasSuffix(".json") }.count
        }
        #expect(count(east) == 1 && count(west) == 1 && cli.storedIDs().count == 1, "one resource in each world")
        let state = try cli.run(["show", path, "--json"])
        let json = try JSONSerialization.jsonObject(with: Data(state.stdout.utf8)) as? [String: Any]
        let providers = Set(((json?["resources"] as? [[String: Any]]) ?? []).compactMap { $0["provider"] as? String })
        #expect(providers == ["test.east", "test.west", "test"])
        #expect(try cli.run(["plan", path, "--detailed-exitcode"]).status == 0)
        #expect(try cli.run(["destroy", path, "--auto-approve"]).status == 0)
        #expect(count(east) == 0 && count(west) == 0)

        let unconfigured = try cli.writeStack("Unconfigured", ["main.swift": """
            import Strata
            import StrataTestProvider

            TestResource("a").using(ProviderRef(name: "test", alias: "nowhere"))
            """])
        let invalid = try cli.run(["validate", unconfigured])
        #expect(invalid.status == 1)
        #expect(invalid.stderr.contains("provider test.nowhere is not configured"), "\(invalid.output)")
    }

    @Test func aStackReadsAnotherStacksOutputsAndDataSourcesDuringPlan() throws {
        let cli = try StrataCLI()
        defer { cli.remove() }
        let platform = try cli.writeStack("Platform", ["main.swift": """
            import Strata
            import StrataTestProvider

            let network = TestResource("network", value: "10.0.0.0/16")
            network.label = "shared-network"
            Stack.output("networkId", network.id)
            Stack.output("token", Expr<String>("s3cr3t").secret)
            """])
        #expect(try cli.run(["apply", platform, "--auto-approve", "--instance", "us-east"]).status == 0)

        let tenant = try cli.writeStack("Tenant", ["main.swift": """
            import Strata
            import StrataTestProvider

            let platform = StackRef("platform", instance: "us-east")
            let found = TestLookup("network", label: "shared-network")
            let db = TestResource("db", inputs: [platform.output("networkId"), found.id])
            db.secret = platform.output("token")
            Stack.output("cidr", found.value)
            """])
        let plan = try cli.run(["plan", tenant])
        #expect(plan.status == 0, "\(plan.output)")
        #expect(plan.stdout.contains("Read: data.test_lookup.network, strata_stack.platform[\"us-east\"]"), "\(plan.output)")
        #expect(plan.stdout.contains("secret = (secret)"), "\(plan.output)")
        #expect(!plan.output.contains("s3cr3t"))
        let apply = try cli.run(["apply", tenant, "--auto-approve"])
        #expect(apply.status == 0, "\(apply.output)")
        #expect(apply.stdout.contains("cidr = \"10.0.0.0/16\""), "\(apply.output)")
        let db = try cli.run(["state", "show", tenant, "test_resource.db", "--json"])
        let json = try JSONSerialization.jsonObject(with: Data(db.stdout.utf8)) as? [String: Any]
        let inputs = ((json?["attributes"] as? [String: Any])?["inputs"] as? [String]) ?? []
        #expect(inputs.count == 2 && inputs[0] == inputs[1], "both name the platform's network: \(inputs)")
        #expect(cli.storedIDs().count == 2, "the data source created nothing")
        #expect(try cli.run(["destroy", tenant, "--auto-approve"]).status == 0)
        #expect(cli.storedIDs().count == 1, "the data source destroyed nothing")

        let missing = try cli.writeStack("Missing", ["main.swift": """
            import Strata
            import StrataTestProvider

            TestResource("x", inputs: [StackRef("platform", instance: "eu").output("networkId"), StackRef("platform", instance: "us-east").output("nope")])
            TestLookup("ghost", label: "nobody")
            """])
        let refused = try cli.run(["plan", missing])
        #expect(refused.status == 1)
        #expect(refused.stderr.contains("that stack instance has no state in this backend"), "\(refused.output)")
        #expect(refused.stderr.contains("has no output 'nope' (it has: networkId, token)"), "\(refused.output)")
    }

    @Test func preconditionsPostconditionsAndReplaceWhen() throws {
        let cli = try StrataCLI()
        defer { cli.remove() }
        func stack(replicas: Int, image: String, suffix: String) -> String {
            """
            import Strata
            import StrataTestProvider

            let replicas = \(replicas)
            let image = TestResource("image", value: "\(image)")
            let server = TestResource("server", value: "app")
            server.replaceWhen(image.result)
            server.precondition("at least two replicas") { replicas >= 2 }
            let endpoint = TestResource("endpoint", value: "https://app.example.\(suffix)")
            endpoint.postcondition("the endpoint is served over HTTPS on .com") { try endpoint.result.get().hasSuffix(".com") }
            """
        }
        let path = try cli.writeStack("Checks", ["main.swift": stack(replicas: 1, image: "v1", suffix: "com")])
        let refused = try cli.run(["plan", path])
        #expect(refused.status == 1)
        #expect(refused.stderr.contains("main.swift:8: error: test_resource.server: precondition failed: at least two replicas"), "\(refused.output)")

        try cli.writeStack("Checks", ["main.swift": stack(replicas: 2, image: "v1", suffix: "com")])
        let plan = try cli.run(["plan", path])
        #expect(plan.stdout.contains("1 check(s) need values known only after apply"), "\(plan.output)")
        let apply = try cli.run(["apply", path, "--auto-approve"])
        #expect(apply.status == 0, "\(apply.output)")
        let serverID = try #require(cli.storedIDs().count == 3 ? try cli.run(["state", "show", path, "test_resource.server", "--json"]).stdout : nil)

        // The image changes: the server is replaced although none of its inputs changed.
        try cli.writeStack("Checks", ["main.swift": stack(replicas: 2, image: "v2", suffix: "com")])
        let replan = try cli.run(["plan", path])
        #expect(replan.stdout.contains("-/+ test_resource.server — replaceWhen: a value it watches changed"), "\(replan.output)")
        #expect(try cli.run(["apply", path, "--auto-approve"]).status == 0)
        #expect(try cli.run(["state", "show", path, "test_resource.server", "--json"]).stdout != serverID)
        #expect(try cli.run(["plan", path, "--detailed-exitcode"]).status == 0, "settled")

        // A postcondition that fails once the value is known fails the apply.
        try cli.writeStack("Checks", ["main.swift": stack(replicas: 2, image: "v2", suffix: "org")])
        let failing = try cli.run(["apply", path, "--auto-approve"])
        #expect(failing.status == 1)
        #expect(failing.stderr.contains("test_resource.endpoint: postcondition failed after apply: the endpoint is served over HTTPS on .com"), "\(failing.output)")
    }
}
