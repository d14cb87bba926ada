import Foundation
import Testing

/// How apply behaves: ordering, failures, replacement, targets, protection, locks, Ctrl-C.
@Suite(.serialized) struct ApplyBehaviourTests {
    /// Reads the state's history (newest first) as "action address" strings, oldest first.
    func history(_ cli: StrataCLI, _ stack: String) throws -> [String] {
        let result = try cli.run(["state", "history", stack, "--limit", "0", "--json"])
        let entries = try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [[String: Any]] ?? []
        return entries.reversed().map { "\($0["action"] ?? "") \($0["address"] ?? "")" }
    }

    @Test func theLongestRemainingPathStartsFirst() throws {
        let cli = try StrataCLI()
        defer { cli.remove() }
        // A chain of three slow resources declared last, and five quick independent ones first.
        let stack = try cli.writeStack("Critical", ["main.swift": """
            import Strata
            import StrataTestProvider

            for i in 0..<5 { TestResource("quick_\\(i)", latencyMs: 1) }
            let a = TestResource("chain_a", latencyMs: 60)
            let b = TestResource("chain_b", inputs: [a.id], latencyMs: 60)
            TestResource("chain_c", inputs: [b.id], latencyMs: 60)
            """])
        let apply = try cli.run(["apply", stack, "--auto-approve", "--parallelism", "1"])
        #expect(apply.status == 0, "\(apply.output)")
        let creates = try history(cli, stack).filter { $0.hasPrefix("create ") }
        #expect(creates.first == "create test_resource.chain_a", "\(creates)")
    }

    @Test func aNoChangeApplyWritesNothing() throws {
        let cli = try StrataCLI()
        defer { cli.remove() }
        let demo = StrataCLI.packageRoot.appendingPathComponent("Stacks/Demo").path
        #expect(try cli.run(["apply", demo, "--auto-approve"]).status == 0)
        let before = try history(cli, demo).count
        let again = try cli.run(["apply", demo, "--auto-approve"])
        #expect(again.status == 0, "\(again.output)")
        #expect(again.stdout.contains("No changes."))
        #expect(try history(cli, demo).count == before, "the serial did not move")
    }

    @Test func theLimitAPluginDeclaresIsHonoured() throws {
        let cli = try StrataCLI()
        defer { cli.remove() }
        let stack = try cli.writeStack("Limited", ["main.swift": layeredStack(width: 8, layers: 1, latencyMs: 100)])
        let limited = try cli.run(["apply", stack, "--auto-approve", "--parallelism", "8"], environment: ["STRATA_TEST_MAX_PARALLELISM": "2"])
        #expect(limited.status == 0, "\(limited.output)")
        let most = try String(contentsOf: cli.store.appendingPathComponent(".max-in-flight"), encoding: .utf8)
        #expect(most == "2", "at most 2 creates at once (saw \(most))")
        #expect(try cli.run(["destroy", stack, "--auto-approve"]).status == 0)
        let unlimited = try cli.run(["apply", stack, "--auto-approve", "--parallelism", "8"])
        #expect(unlimited.status == 0)
        let seen = try String(contentsOf: cli.store.appendingPathComponent(".max-in-flight"), encoding: .utf8)
        #expect(Int(seen) ?? 0 > 2, "without the limit more run at once (saw \(seen))")
    }

    @Test func aFailureSkipsItsDependentsAndIndependentBranchesGoOn() throws {
        let cli = try StrataCLI()
        defer { cli.remove() }
        let stack = try cli.writeStack("Failing", ["main.swift": """
            import Strata
            import StrataTestProvider

            let bad = TestResource("bad")
            bad.failOn = "create"
            let child = TestResource("child", inputs: [bad.id])
            TestResource("grandchild", inputs: [child.id])
            TestResource("independent")
            """])
        let apply = try cli.run(["apply", stack, "--auto-approve"])
        #expect(apply.status == 1)
        #expect(apply.stdout.contains("test_resource.child: skipped, because test_resource.bad failed"), "\(apply.output)")
        #expect(apply.stdout.contains("test_resource.grandchild: skipped"), "\(apply.output)")
        #expect(apply.stdout.contains("1 created, 0 updated, 0 destroyed, 1 failed, 2 skipped"), "\(apply.output)")
        #expect(apply.stderr.contains("test_resource asked to fail on create"), "\(apply.output)")
        #expect(try cli.run(["state", "list", stack]).stdout == "test_resource.independent\n")
    }

    @Test func replacementHonoursCreateBeforeDestroyAndRepointsDependents() throws {
        let cli = try StrataCLI()
        defer { cli.remove() }
        func stack(_ key: String) -> String {
            """
            import Strata
            import StrataTestProvider

            let base = TestResource("base")
            base.replaceKey = "\(key)"
            base.createBeforeDestroy()
            TestResource("user", inputs: [base.id])
            """
        }
        let path = try cli.writeStack("Replace", ["main.swift": stack("one")])
        #expect(try cli.run(["apply", path, "--auto-approve"]).status == 0)
        let firstIDs = cli.storedIDs()
        try cli.writeStack("Replace", ["main.swift": stack("two")])
        let plan = try cli.run(["plan", path])
        #expect(plan.stdout.contains("-/+ test_resource.base (create before destroy)"), "\(plan.output)")
        #expect(plan.stdout.contains("replaceKey = \"one\" -> \"two\" (forces replacement)"), "\(plan.output)")
        #expect(plan.stdout.contains("~ test_resource.user"), "\(plan.output)")
        let apply = try cli.run(["apply", path, "--auto-approve"])
        #expect(apply.status == 0, "\(apply.output)")
        let order = try history(cli, path).suffix(4)
        #expect(Array(order) == ["depose test_resource.base", "replace test_resource.base", "update test_resource.user", "delete deposed test_resource.base"], "\(order)")
        #expect(cli.storedIDs().count == 2)
        #expect(cli.storedIDs() != firstIDs)
        #expect(try cli.run(["plan", path, "--detailed-exitcode"]).status == 0)
    }

    @Test func targetAndReplaceLimitAndForceThePlan() throws {
        let cli = try StrataCLI()
        defer { cli.remove() }
        let stack = try cli.writeStack("Targets", ["main.swift": layeredStack(width: 3, layers: 2, latencyMs: 0)])
        let targeted = try cli.run(["apply", stack, "--auto-approve", "--target", "test_resource.l1_0"])
        #expect(targeted.status == 0, "\(targeted.output)")
        #expect(try cli.run(["state", "list", stack]).stdout == "test_resource.l0_0\ntest_resource.l0_1\ntest_resource.l1_0\n")
        #expect(try cli.run(["apply", stack, "--auto-approve"]).status == 0)
        let replace = try cli.run(["plan", stack, "--replace", "test_resource.l0_2"])
        #expect(replace.stdout.contains("-/+ test_resource.l0_2 — requested with --replace"), "\(replace.output)")
        let unknown = try cli.run(["plan", stack, "--target", "test_resource.nope"])
        #expect(unknown.status == 1)
        #expect(unknown.stderr.contains("no such resource"), "\(unknown.output)")
    }

    @Test func aProtectedResourceStopsDestroyBeforeAnythingIsDeleted() throws {
        let cli = try StrataCLI()
        defer { cli.remove() }
        let stack = try cli.writeStack("Protected", ["main.swift": """
            import Strata
            import StrataTestProvider

            TestResource("precious").protect()
            TestResource("ordinary")
            """])
        #expect(try cli.run(["apply", stack, "--auto-approve"]).status == 0)
        let destroy = try cli.run(["destroy", stack, "--auto-approve"])
        #expect(destroy.status == 1)
        #expect(destroy.stderr.contains("test_resource.precious is protected and cannot be destroyed"), "\(destroy.output)")
        #expect(cli.storedIDs().count == 2, "nothing was deleted")
    }

    @Test func outOfBandDeletionIsRecreatedAndStateRmForgetsWithoutDeleting() throws {
        let cli = try StrataCLI()
        defer { cli.remove() }
        let stack = try cli.writeStack("Drift", ["main.swift": layeredStack(width: 2, layers: 1, latencyMs: 0)])
        #expect(try cli.run(["apply", stack, "--auto-approve"]).status == 0)
        let victim = try #require(cli.storedIDs().sorted().first)
        try FileManager.default.removeItem(at: cli.store.appendingPathComponent(victim + ".json"))
        let plan = try cli.run(["plan", stack])
        #expect(plan.stdout.contains("it was deleted outside Strata"), "\(plan.output)")
        #expect(plan.stdout.contains("Plan: 1 to create"), "\(plan.output)")
        #expect(try cli.run(["plan", stack, "--refresh=false", "--detailed-exitcode"]).status == 0, "without refresh nothing is seen")
        #expect(try cli.run(["apply", stack, "--auto-approve"]).status == 0)
        #expect(cli.storedIDs().count == 2)

        let rm = try cli.run(["state", "rm", stack, "test_resource.l0_0"])
        #expect(rm.status == 0, "\(rm.output)")
        #expect(cli.storedIDs().count == 2, "state rm does not delete")
        let mv = try cli.run(["state", "mv", stack, "test_resource.l0_1", "test_resource.renamed"])
        #expect(mv.status == 0, "\(mv.output)")
        #expect(try cli.run(["state", "list", stack]).stdout == "test_resource.renamed\n")
        let history = try self.history(cli, stack)
        #expect(history.suffix(2) == ["state rm test_resource.l0_0", "move test_resource.l0_1 -> test_resource.renamed test_resource.l0_1"], "\(history)")
    }

    @Test func anImportedResourcePlansWithNoChanges() throws {
        let cli = try StrataCLI()
        defer { cli.remove() }
        let stack = try cli.writeStack("Import", ["main.swift": layeredStack(width: 2, layers: 2, latencyMs: 0)])
        #expect(try cli.run(["apply", stack, "--auto-approve"]).status == 0)
        let show = try cli.run(["state", "show", stack, "test_resource.l1_0", "--json"])
        let json = try JSONSerialization.jsonObject(with: Data(show.stdout.utf8)) as? [String: Any]
        let id = try #require(json?["id"] as? String)
        #expect(try cli.run(["state", "rm", stack, "test_resource.l1_0"]).status == 0)
        #expect(try cli.run(["plan", stack, "--detailed-exitcode"]).status == 2, "forgotten: the plan wants to create it")

        let imported = try cli.run(["import", stack, "test_resource.l1_0", id])
        #expect(imported.status == 0, "\(imported.output)")
        let plan = try cli.run(["plan", stack, "--detailed-exitcode"])
        #expect(plan.status == 0, "\(plan.output)")
        #expect(cli.storedIDs().count == 4)

        let twice = try cli.run(["import", stack, "test_resource.l1_0", id])
        #expect(twice.status == 1)
        #expect(twice.stderr.contains("is already in the state"), "\(twice.output)")
        let undeclared = try cli.run(["import", stack, "test_resource.nope", id])
        #expect(undeclared.stderr.contains("is not declared in the stack"), "\(undeclared.output)")
    }

    @Test func aSecondApplyWaitsForTheLockThenFailsNamingTheHolder() throws {
        let cli = try StrataCLI()
        defer { cli.remove() }
        let stack = try cli.writeStack("Locked", ["main.swift": layeredStack(width: 2, layers: 2, latencyMs: 1500)])
        #expect(try cli.run(["validate", stack]).status == 0)
        let first = try cli.start(["apply", stack, "--auto-approve"])
        usleep(700_000)
        let second = try cli.run(["apply", stack, "--auto-approve", "--lock-timeout", "0.5"])
        #expect(second.status == 1)
        #expect(second.stderr.contains("is locked: apply by"), "\(second.output)")
        #expect(second.stderr.contains("pid \(first.processIdentifier)"), "\(second.output)")
        first.waitUntilExit()
        #expect(first.terminationStatus == 0)

        // A holder that died (SIGKILL) leaves its lock behind; the next run takes it over.
        let victim = try cli.start(["destroy", stack, "--auto-approve"])
        usleep(700_000)
        kill(victim.processIdentifier, SIGKILL)
        victim.waitUntilExit()
        let unlock = try cli.run(["force-unlock", stack])
        #expect(unlock.stdout.contains("Unlocked locked/default (it was held: destroy by"), "\(unlock.output)")
        #expect(try cli.run(["force-unlock", stack]).stdout.contains("was not locked"))
        let next = try cli.run(["apply", stack, "--auto-approve"])
        #expect(next.status == 0, "\(next.output)")
    }

    @Test func ctrlCStopsNewStepsLetsRunningOnesFinishAndSavesThem() throws {
        let cli = try StrataCLI()
        defer { cli.remove() }
        let stack = try cli.writeStack("Interrupt", ["main.swift": layeredStack(width: 2, layers: 4, latencyMs: 600)])
        #expect(try cli.run(["validate", stack]).status == 0)
        let run = try cli.start(["apply", stack, "--auto-approve"])
        usleep(900_000)  // the first layer is running
        kill(run.processIdentifier, SIGINT)
        run.waitUntilExit()
        #expect(run.terminationStatus == 1)
        let recorded = try cli.run(["state", "list", stack]).stdout.split(separator: "\n").count
        #expect(recorded >= 2 && recorded < 8, "what ran finished and was saved; nothing new started (\(recorded))")
        #expect(cli.storedIDs().count == recorded, "no orphan")
        #expect(try cli.run(["apply", stack, "--auto-approve"]).status == 0)
    }

    @Test func aHungProviderCallTimesOutAndFailsOnlyThatStep() throws {
        let cli = try StrataCLI()
        defer { cli.remove() }
        let stack = try cli.writeStack("Hang", ["main.swift": """
            import Strata
            import StrataTestProvider

            TestResource("slow", latencyMs: 8000)
            TestResource("fast")
            """])
        let apply = try cli.run(["apply", stack, "--auto-approve", "--plugin-timeout", "1"])
        #expect(apply.status == 1)
        #expect(apply.stderr.contains("did not answer create within 1 s"), "\(apply.output)")
        #expect(apply.stdout.contains("1 created"), "\(apply.output)")
    }

    @Test func aPluginWrittenInPythonPlansAndApplies() throws {
        let cli = try StrataCLI()
        defer { cli.remove() }
        let pluginDir = StrataCLI.packageRoot.appendingPathComponent("Plugins/python-echo").path
        let stack = try cli.writeStack("Echo", ["main.swift": """
            import Strata

            let hello = GenericResource("echo_message", "hello", inputs: ["text": "hello from Swift"])
            Stack.output("length", hello.attribute("length") as Expr<Double>)
            """])
        let env = ["STRATA_ECHO_STORE": cli.directory.appendingPathComponent("echo").path]
        let apply = try cli.run(["apply", stack, "--auto-approve", "--plugin-dir", pluginDir], environment: env)
        #expect(apply.status == 0, "\(apply.output)")
        #expect(apply.stdout.contains("length = 16"), "\(apply.output)")
        #expect(try cli.run(["plan", stack, "--plugin-dir", pluginDir, "--detailed-exitcode"], environment: env).status == 0)
        #expect(try cli.run(["destroy", stack, "--auto-approve", "--plugin-dir", pluginDir], environment: env).status == 0)
    }
}
