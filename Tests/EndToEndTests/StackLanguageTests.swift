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
}
