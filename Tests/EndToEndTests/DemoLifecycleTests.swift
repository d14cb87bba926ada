import Foundation
import Testing

/// The core loop on Stacks/Demo, through the built binary: plan, apply, no-change plan,
/// one changed input, apply, destroy.
@Suite(.serialized) struct DemoLifecycleTests {
    @Test func demoStackPlansAppliesConvergesUpdatesAndDestroys() throws {
        let cli = try StrataCLI()
        defer { cli.remove() }
        let demo = StrataCLI.packageRoot.appendingPathComponent("Stacks/Demo").path

        let validate = try cli.run(["validate", demo])
        #expect(validate.status == 0, "\(validate.output)")

        let plan = try cli.run(["plan", demo, "--out", "demo.plan"])
        #expect(plan.status == 0, "\(plan.output)")
        #expect(plan.stdout.contains("Plan: 14 to create, 0 to update, 0 to replace, 0 to delete."))
        #expect(plan.stdout.contains("secret = (secret)"))

        let apply = try cli.run(["apply", "demo.plan"])
        #expect(apply.status == 0, "\(apply.output)")
        #expect(apply.stdout.contains("Apply complete: 14 created"))
        #expect(cli.storedIDs().count == 12, "the test provider holds the 12 test resources")

        let noChange = try cli.run(["plan", demo, "--detailed-exitcode"])
        #expect(noChange.status == 0, "\(noChange.output)")
        #expect(noChange.stdout.contains("No changes."))

        let changed = try cli.run(["plan", demo, "--var", "env=staging", "--detailed-exitcode", "--json"])
        #expect(changed.status == 2, "\(changed.output)")
        let json = try JSONSerialization.jsonObject(with: Data(changed.stdout.utf8)) as? [String: Any]
        let steps = json?["steps"] as? [[String: Any]] ?? []
        let updated = Set(steps.map { "\($0["action"] ?? "") \($0["address"] ?? "")" })
        #expect(updated == ["update test_resource.database", "update test_resource.dns_record"])

        let applyChange = try cli.run(["apply", demo, "--var", "env=staging", "--auto-approve"])
        #expect(applyChange.status == 0, "\(applyChange.output)")
        #expect(applyChange.stdout.contains("0 created, 2 updated, 0 destroyed"))
        let again = try cli.run(["plan", demo, "--var", "env=staging", "--detailed-exitcode"])
        #expect(again.status == 0, "\(again.output)")

        let output = try cli.run(["output", demo, "url"])
        #expect(output.stdout.hasPrefix("https://app-staging-"), "\(output.output)")
        let secret = try cli.run(["output", demo, "--json"])
        #expect(secret.stdout.contains("\"databasePassword\" : \"(secret)\""), "\(secret.output)")

        let list = try cli.run(["state", "list", demo])
        #expect(list.stdout.split(separator: "\n").count == 14)
        #expect(list.stdout.contains("web.test_resource.load_balancer"))

        let destroy = try cli.run(["destroy", demo, "--auto-approve"])
        #expect(destroy.status == 0, "\(destroy.output)")
        #expect(destroy.stdout.contains("14 destroyed"))
        #expect(try cli.run(["state", "list", demo]).stdout.isEmpty)
        #expect(cli.storedIDs().isEmpty, "destroy leaves nothing in the test provider")
    }

    @Test func savedPlanIsRefusedOnceTheStateMovedOn() throws {
        let cli = try StrataCLI()
        defer { cli.remove() }
        let stack = try cli.writeStack("Small", ["main.swift": layeredStack(width: 2, layers: 2, latencyMs: 0)])
        #expect(try cli.run(["plan", stack, "--out", "first.plan"]).status == 0)
        #expect(try cli.run(["plan", stack, "--out", "second.plan"]).status == 0)
        let first = try cli.run(["apply", "first.plan"])
        #expect(first.status == 0, "\(first.output)")
        let stale = try cli.run(["apply", "second.plan"])
        #expect(stale.status == 1)
        #expect(stale.stderr.contains("the saved plan is stale"), "\(stale.output)")
        #expect(cli.storedIDs().count == 4, "the stale plan created nothing")
    }

    @Test func graphPrintsMermaidAndDot() throws {
        let cli = try StrataCLI()
        defer { cli.remove() }
        let demo = StrataCLI.packageRoot.appendingPathComponent("Stacks/Demo").path
        let mermaid = try cli.run(["graph", demo, "--format", "mermaid"])
        #expect(mermaid.status == 0)
        #expect(mermaid.stdout.hasPrefix("graph TD"))
        #expect(mermaid.stdout.contains("subgraph network"))
        let dot = try cli.run(["graph", demo, "--format", "dot"])
        #expect(dot.stdout.contains("\"test_resource.dns_record\" -> \"web.test_resource.load_balancer\""), "\(dot.output)")
    }
}
