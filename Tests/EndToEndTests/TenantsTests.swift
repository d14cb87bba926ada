import Foundation
import Testing

/// `strata tenants`: many instances of one stack, one per tenant, through the built `strata`.
/// The fleet mechanics run on the `test` provider; keep/prune of real resources runs
/// `Stacks/Tenant` against moto_server and is checked with the `aws` CLI.
@Suite(.serialized) struct TenantsTests {
    /// A small tenant stack of `test` resources: `db`, then `web` on it. `--var fail=create`
    /// makes the web server's create fail (a provider error in the middle of an apply).
    static let stack = #"""
        import Strata
        import StrataTestProvider

        let tenant = Stack.variable("tenant", default: "")
        let size = Stack.variable("size", default: "small", allowed: ["small", "medium", "large"])
        let fail = Stack.variable("fail", default: "")
        let latency = Stack.variable("latency", default: 1)
        let db = TestResource("db", value: "db-\(tenant)-\(size)", latencyMs: latency)
        db.tags = Expr(["tenant": Expr(tenant)])
        let web = TestResource("web", value: "web-\(tenant)", inputs: [db.id], latencyMs: latency)
        if !fail.isEmpty { web.failOn = Expr(fail) }
        Stack.output("db", db.result)
        """#

    static func yaml(_ tenants: [(String, [String: String])]) -> String {
        var text = "# tenants of the test stack\ntenants:\n"
        for (id, vars) in tenants {
            text += "  - id: \(id)\n"
            if !vars.isEmpty {
                text += "    vars: {" + vars.sorted { $0.key < $1.key }.map { "\($0.key): \($0.value)" }.joined(separator: ", ") + "}\n"
            }
        }
        return text
    }

    static func write(_ cli: StrataCLI, _ name: String, _ text: String) throws -> String {
        let file = cli.directory.appendingPathComponent(name)
        try text.write(to: file, atomically: true, encoding: .utf8)
        return file.path
    }

    static func jsonArray(_ text: String) throws -> [[String: Any]] {
        try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [[String: Any]], "not a JSON array: \(text)")
    }

    /// The lines of `output` up to the first tenant that finished.
    static func startedBeforeFirstFinish(_ output: String) -> Int {
        var started = 0
        for line in output.split(separator: "\n") {
            if line.hasPrefix("✓") || line.hasPrefix("✗") { break }
            if line.hasSuffix("applying…") { started += 1 }
        }
        return started
    }

    @Test func fiveTenantsApplyConcurrentlyThenPlanShowsNoChangesAndStatusHasEach() throws {
        let cli = try StrataCLI()
        defer { cli.remove() }
        let stack = try cli.writeStack("Shop", ["main.swift": Self.stack])
        let ids = ["acme", "globex", "initech", "umbrella", "hooli"]
        let file = try Self.write(cli, "tenants.yaml", Self.yaml(ids.map { ($0, ["size": $0 == "hooli" ? "large" : "small", "latency": "700"]) }))

        let apply = try cli.run(["tenants", "apply", stack, "--tenants", file, "--concurrency", "5", "--auto-approve"])
        #expect(apply.status == 0, "\(apply.output)")
        // All five started before any finished: they ran at once.
        #expect(Self.startedBeforeFirstFinish(apply.stdout) == 5, "\(apply.stdout)")
        for id in ids { #expect(apply.stdout.contains("✓ \(id): 2 created, 0 updated, 0 destroyed"), "\(apply.stdout)") }
        #expect(apply.stdout.contains("Tenants: 5 succeeded."))
        #expect(cli.storedIDs().count == 10)
        // The stack was compiled once, not per tenant.
        #expect(apply.stderr.components(separatedBy: "Compiled stack").count <= 2, "\(apply.stderr)")

        let plan = try cli.run(["tenants", "plan", stack, "--tenants", file, "--detailed-exitcode"])
        #expect(plan.status == 0, "\(plan.output)")
        for id in ids { #expect(plan.stdout.contains("  \(id): no changes"), "\(plan.stdout)") }

        // One tenant changes: only it has changes, and only it is updated.
        let changed = try Self.write(cli, "changed.yaml", Self.yaml(ids.map { ($0, ["size": $0 == "acme" ? "medium" : ($0 == "hooli" ? "large" : "small"), "latency": "700"]) }))
        let replan = try cli.run(["tenants", "plan", stack, "--tenants", changed, "--detailed-exitcode"])
        #expect(replan.status == 2, "\(replan.output)")
        #expect(replan.stdout.contains("  acme: 0 to create, 1 to update, 0 to replace, 0 to destroy"), "\(replan.stdout)")
        let applyChange = try cli.run(["tenants", "apply", stack, "--tenants", changed, "--auto-approve", "--json"])
        #expect(applyChange.status == 0, "\(applyChange.output)")
        let outcomes = try Self.jsonArray(applyChange.stdout)
        #expect(outcomes.count == 5)
        let serials = Dictionary(uniqueKeysWithValues: outcomes.map { ($0["id"] as? String ?? "?", $0["serial"] as? Int ?? -1) })
        #expect(outcomes.first { $0["id"] as? String == "acme" }?["updated"] as? Int == 1)
        #expect(outcomes.filter { $0["id"] as? String != "acme" }.allSatisfy { $0["updated"] as? Int == 0 && $0["status"] as? String == "succeeded" })

        // Status: one object per tenant, from the state backend.
        let status = try cli.run(["tenants", "status", "--json"])
        #expect(status.status == 0, "\(status.output)")
        let rows = try Self.jsonArray(status.stdout)
        #expect(rows.map { $0["tenant"] as? String ?? "" }.sorted() == ids.sorted())
        for row in rows {
            let id = row["tenant"] as? String ?? "?"
            #expect(row["instance"] as? String == "tenant/\(id)")
            #expect(row["stack"] as? String == "shop")
            #expect(row["resources"] as? Int == 2)
            #expect((row["serial"] as? Int).map { $0 > 0 } == true)
            #expect(row["serial"] as? Int == serials[id], "status and apply disagree on \(id)'s serial")
            #expect((row["variables"] as? [String: String])?["tenant"] == id)
        }
        // acme's last change is its update; the others' an earlier create.
        #expect(jsonPath(rows.first { $0["tenant"] as? String == "acme" }, "lastChange", "action") as? String == "update")
        // The instance is an ordinary one: `strata state list` with --instance sees it.
        let listed = try cli.run(["state", "list", stack, "--instance", "tenant/globex"])
        #expect(listed.stdout.contains("test_resource.db") && listed.stdout.contains("test_resource.web"), "\(listed.output)")

        let table = try cli.run(["tenants", "status", "Shop"])
        #expect(table.status == 0)
        for id in ids { #expect(table.stdout.contains(id)) }
        #expect(rows.allSatisfy { $0["drift"] is NSNull }, "never swept: \(rows)")

        // A drift sweep of the fleet shows in status: umbrella's web server is deleted out of band.
        let umbrellaWeb = try #require(rows.first { $0["tenant"] as? String == "umbrella" })
        #expect(umbrellaWeb["state"] as? String == "active")
        let webID = try #require(cli.storedIDs().first { id in
            (try? String(contentsOf: cli.store.appendingPathComponent(id + ".json"), encoding: .utf8))?.contains("web-umbrella") == true
        }, "umbrella's web server is in the test provider's store")
        try FileManager.default.removeItem(at: cli.store.appendingPathComponent(webID + ".json"))
        let sweep = try cli.run(["drift", "--all"])
        #expect(sweep.status == 2, "\(sweep.output)")
        let swept = try Self.jsonArray(try cli.run(["tenants", "status", "--json"]).stdout)
        for row in swept {
            let expected = row["tenant"] as? String == "umbrella" ? "drift" : "clean"
            #expect(jsonPath(row, "drift", "status") as? String == expected, "\(row)")
        }
        #expect(jsonPath(swept.first { $0["tenant"] as? String == "umbrella" }, "drift", "deleted") as? Int == 1)
        #expect(try cli.run(["tenants", "status"]).stdout.contains("drift (0 changed, 1 deleted, 0 unmanaged)"))
    }

    @Test func concurrencyBoundsHowManyTenantsRunAtOnce() throws {
        let cli = try StrataCLI()
        defer { cli.remove() }
        let stack = try cli.writeStack("Shop", ["main.swift": Self.stack])
        let file = try Self.write(cli, "tenants.yaml", Self.yaml(["a1", "a2", "a3", "a4"].map { ($0, ["latency": "700"]) }))
        let apply = try cli.run(["tenants", "apply", stack, "--tenants", file, "--concurrency", "2", "--auto-approve"])
        #expect(apply.status == 0, "\(apply.output)")
        #expect(Self.startedBeforeFirstFinish(apply.stdout) == 2, "\(apply.stdout)")
        #expect(cli.storedIDs().count == 8)

        // No terminal to confirm on: refused, nothing runs. --instance and --var tenant= make no sense here.
        let unconfirmed = try cli.run(["tenants", "apply", stack, "--tenants", file])
        #expect(unconfirmed.status != 0 && unconfirmed.stderr.contains("pass --auto-approve"), "\(unconfirmed.output)")
        let instance = try cli.run(["tenants", "plan", stack, "--tenants", file, "--instance", "tenant/a1"])
        #expect(instance.status != 0 && instance.stderr.contains("--instance does not go with"), "\(instance.output)")
        let tenantVar = try cli.run(["tenants", "plan", stack, "--tenants", file, "--var", "tenant=x"])
        #expect(tenantVar.status != 0 && tenantVar.stderr.contains("--var tenant="), "\(tenantVar.output)")
        // --var applies to every tenant; the file's vars win.
        let common = try cli.run(["tenants", "plan", stack, "--tenants", file, "--var", "size=large", "--detailed-exitcode"])
        #expect(common.status == 2, "\(common.output)")
        for id in ["a1", "a2", "a3", "a4"] { #expect(common.stdout.contains("  \(id): 0 to create, 1 to update"), "\(common.stdout)") }
    }

    @Test func failingTenantsDoNotStopTheOthers() throws {
        let cli = try StrataCLI()
        defer { cli.remove() }
        let stack = try cli.writeStack("Shop", ["main.swift": Self.stack])
        let file = try Self.write(cli, "tenants.yaml", Self.yaml([
            ("acme", ["size": "small"]), ("badsize", ["size": "huge"]), ("globex", ["size": "medium"]),
            ("broken", ["fail": "create"]), ("initech", [:]),
        ]))
        let apply = try cli.run(["tenants", "apply", stack, "--tenants", file, "--concurrency", "3", "--auto-approve"])
        #expect(apply.status != 0, "\(apply.output)")
        for id in ["acme", "globex", "initech"] { #expect(apply.stdout.contains("✓ \(id): 2 created"), "\(apply.stdout)") }
        // A bad var: the stack refuses it, nothing of that tenant is created.
        #expect(apply.stdout.contains("✗ badsize: apply failed"), "\(apply.stdout)")
        #expect(apply.stderr.contains("tenant badsize (tenant/badsize)") && apply.stderr.contains("size=huge is not one of"), "\(apply.stderr)")
        // A provider failure mid-apply: what completed is kept and counted.
        #expect(apply.stdout.contains("✗ broken: apply failed"), "\(apply.stdout)")
        #expect(apply.stderr.contains("tenant broken") && apply.stderr.contains("test_resource.web"), "\(apply.stderr)")
        #expect(apply.stdout.contains("Tenants: 3 succeeded, 2 failed."), "\(apply.stdout)")
        #expect(cli.storedIDs().count == 3 * 2 + 1)

        let status = try Self.jsonArray(try cli.run(["tenants", "status", "--json"]).stdout)
        #expect(status.map { $0["tenant"] as? String ?? "" }.sorted() == ["acme", "badsize", "broken", "globex", "initech"])
        func row(_ id: String) -> [String: Any] { status.first { $0["tenant"] as? String == id } ?? [:] }
        #expect(row("broken")["resources"] as? Int == 1)
        // A tenant whose run failed before it wrote anything is listed, with why.
        #expect(row("badsize")["state"] as? String == "new" && row("badsize")["serial"] as? Int == 0, "\(row("badsize"))")
        let badRun = row("badsize")["lastRun"] as? [String: Any] ?? [:]
        #expect(badRun["result"] as? String == "failed" && (badRun["message"] as? String ?? "").contains("size=huge is not one of"), "\(badRun)")
        #expect((row("broken")["lastRun"] as? [String: Any])?["result"] as? String == "failed")
        #expect((row("acme")["lastRun"] as? [String: Any])?["result"] as? String == "succeeded")
        let table = try cli.run(["tenants", "status"])
        #expect(table.stdout.contains("LAST RUN") && table.stdout.contains("apply failed at"), "\(table.stdout)")
        #expect(table.stdout.split(separator: "\n").contains { $0.hasPrefix("badsize") && $0.contains("never written") }, "\(table.stdout)")

        // Fixed, the tenant applies; its last run then says so.
        let fixed = try Self.write(cli, "fixed.yaml", Self.yaml([("acme", ["size": "small"]), ("badsize", ["size": "small"]), ("globex", ["size": "medium"]), ("initech", [:])]))
        let again = try cli.run(["tenants", "apply", stack, "--tenants", fixed, "--auto-approve"])
        #expect(again.stdout.contains("✓ badsize: 2 created"), "\(again.output)")
        let after = try Self.jsonArray(try cli.run(["tenants", "status", "--json"]).stdout)
        let badsize = after.first { $0["tenant"] as? String == "badsize" } ?? [:]
        #expect(badsize["state"] as? String == "active" && (badsize["lastRun"] as? [String: Any])?["result"] as? String == "succeeded", "\(badsize)")
    }

    @Test func removedTenantIsKeptWithoutPruneAndDestroyedWithIt() throws {
        let cli = try StrataCLI()
        defer { cli.remove() }
        let stack = try cli.writeStack("Shop", ["main.swift": Self.stack])
        let all = try Self.write(cli, "all.yaml", Self.yaml([("acme", [:]), ("globex", [:]), ("initech", ["size": "large"])]))
        #expect(try cli.run(["tenants", "apply", stack, "--tenants", all, "--auto-approve"]).status == 0)
        #expect(cli.storedIDs().count == 6)

        // JSON works the same as YAML.
        let fewer = try Self.write(cli, "fewer.json", #"{"tenants": [{"id": "acme"}, {"id": "globex", "vars": {}}]}"#)
        let plan = try cli.run(["tenants", "plan", stack, "--tenants", fewer, "--detailed-exitcode"])
        #expect(plan.status == 0, "\(plan.output)")
        #expect(plan.stdout.contains("initech: not in the file, kept"), "\(plan.stdout)")
        let kept = try cli.run(["tenants", "apply", stack, "--tenants", fewer, "--auto-approve"])
        #expect(kept.status == 0, "\(kept.output)")
        #expect(kept.stdout.contains("initech: not in the file, kept (--prune destroys it)"), "\(kept.stdout)")
        #expect(cli.storedIDs().count == 6)

        let prunePlan = try cli.run(["tenants", "plan", stack, "--tenants", fewer, "--prune", "--detailed-exitcode"])
        #expect(prunePlan.status == 2, "\(prunePlan.output)")
        #expect(prunePlan.stdout.contains("initech: 0 to create, 0 to update, 0 to replace, 2 to destroy"), "\(prunePlan.stdout)")
        let pruned = try cli.run(["tenants", "apply", stack, "--tenants", fewer, "--prune", "--auto-approve"])
        #expect(pruned.status == 0, "\(pruned.output)")
        #expect(pruned.stdout.contains("✓ initech: 0 created, 0 updated, 2 destroyed"), "\(pruned.stdout)")
        #expect(cli.storedIDs().count == 4)
        // Gone for good: not listed as kept again.
        let again = try cli.run(["tenants", "plan", stack, "--tenants", fewer])
        #expect(!again.stdout.contains("initech"), "\(again.stdout)")
        let status = try Self.jsonArray(try cli.run(["tenants", "status", "--json"]).stdout)
        #expect(status.first { $0["tenant"] as? String == "initech" }?["state"] as? String == "destroyed")

        // One tenant on its own; the other is untouched.
        let destroy = try cli.run(["tenants", "destroy", stack, "--tenant", "globex", "--auto-approve"])
        #expect(destroy.status == 0, "\(destroy.output)")
        #expect(destroy.stdout.contains("test_resource.web"), "a single tenant shows every step: \(destroy.stdout)")
        #expect(cli.storedIDs().count == 2)
        let unknown = try cli.run(["tenants", "destroy", stack, "--tenant", "nobody", "--auto-approve"])
        #expect(unknown.status != 0 && unknown.stderr.contains("no tenant 'nobody'"), "\(unknown.output)")
    }

    @Test func badTenantIDsAndFilesAreRefusedNamingTheEntry() throws {
        let cli = try StrataCLI()
        defer { cli.remove() }
        let stack = try cli.writeStack("Shop", ["main.swift": Self.stack])
        let cases: [(String, String, String)] = [
            ("path.yaml", "tenants:\n  - id: acme\n  - id: ../../etc\n", "path.yaml:3: tenant entry 2: tenant id '../../etc' is not valid"),
            ("slash.yaml", "tenants:\n  - id: a/b\n", "tenant entry 1: tenant id 'a/b' is not valid"),
            ("sql.yaml", "tenants:\n  - id: \"x'; DROP TABLE resources; --\"\n", "tenant entry 1: tenant id 'x'; DROP TABLE resources; --' is not valid"),
            ("upper.yaml", "tenants:\n  - id: Acme\n", "tenant id 'Acme' is not valid"),
            ("dash.yaml", "tenants:\n  - id: -acme\n", "tenant id '-acme' is not valid"),
            ("long.yaml", "tenants:\n  - id: \(String(repeating: "a", count: 64))\n", "64 characters long"),
            ("empty.yaml", "tenants:\n  - vars: {size: small}\n", "tenant entry 1: it has no `id`"),
            ("twice.yaml", "tenants:\n  - id: acme\n  - id: acme\n", "tenant entry 2: tenant id 'acme' is listed twice"),
            ("typo.yaml", "tenants:\n  - id: acme\n    var: {size: small}\n", "unknown key 'var'"),
            ("nested.yaml", "tenants:\n  - id: acme\n    vars: {size: [small]}\n", "var 'size' must be a single value"),
            ("tenantvar.yaml", "tenants:\n  - id: acme\n    vars: {tenant: globex}\n", "`tenant` is set from the id"),
            ("bad.json", #"{"tenants": [{"id": "ok"}, {"id": "a b"}]}"#, "bad.json: tenant entry 2: tenant id 'a b' is not valid"),
        ]
        for (name, text, message) in cases {
            let file = try Self.write(cli, name, text)
            let result = try cli.run(["tenants", "apply", stack, "--tenants", file, "--auto-approve"])
            #expect(result.status != 0, "\(name): \(result.output)")
            #expect(result.stderr.contains(message), "\(name): expected '\(message)' in: \(result.stderr)")
            #expect(!result.stdout.contains("applying"), "\(name): nothing may run: \(result.stdout)")
        }
        let destroy = try cli.run(["tenants", "destroy", stack, "--tenant", "../default", "--auto-approve"])
        #expect(destroy.status != 0 && destroy.stderr.contains("is not a tenant id"), "\(destroy.output)")
        #expect(cli.storedIDs().isEmpty)
        let status = try cli.run(["tenants", "status", "--json"])
        #expect(try Self.jsonArray(status.stdout).isEmpty, "\(status.output)")
    }

    // MARK: Stacks/Tenant

    @Test func tenantStackValidatesItsParameters() throws {
        let cli = try StrataCLI()
        defer { cli.remove() }
        let stack = StrataCLI.packageRoot.appendingPathComponent("Stacks/Tenant").path
        let good = try cli.run(["validate", stack, "--var", "tenant=acme", "--instance", "tenant/acme", "--var", "size=large"])
        #expect(good.status == 0 && good.stdout.contains("Valid: 3 resources"), "\(good.output)")
        let cases: [([String], String)] = [
            ([], "set the variable `tenant`"),
            (["--var", "tenant=acme", "--instance", "tenant/globex"], "the instance is 'tenant/globex' but the tenant is 'acme'"),
            (["--var", "tenant=acme", "--instance", "tenant/acme", "--var", "size=huge"], "size=huge is not one of: small, medium, large"),
            (["--var", "tenant=Acme", "--instance", "tenant/Acme"], "tenant 'Acme' must be lower-case letters"),
            (["--var", "tenant=\(String(repeating: "a", count: 60))", "--instance", "tenant/\(String(repeating: "a", count: 60))"], "longer than S3 allows"),
        ]
        for (arguments, message) in cases {
            let result = try cli.run(["validate", stack] + arguments)
            #expect(result.status != 0 && result.output.contains(message), "\(arguments): \(result.output)")
        }
    }

    // MARK: Stacks/Tenant on moto_server

    @Test(.enabled(if: AWSProviderTests.toolsMissing == nil, "needs moto_server and the aws CLI"))
    func tenantStackOnMotoKeepsAndPrunesRealResources() throws {
        let moto = try MotoServer.start(try #require(AWSProviderTests.moto))
        defer { moto.stop() }
        let aws = try AWSTestCLI(endpoint: moto.endpoint)
        defer { aws.strata.remove() }
        let stack = StrataCLI.packageRoot.appendingPathComponent("Stacks/Tenant").path
        let ids = ["acme", "globex", "initech", "umbrella", "hooli"]
        let file = try Self.write(aws.strata, "tenants.yaml", Self.yaml(ids.map { ($0, ["size": $0 == "hooli" ? "large" : "small", "region": "us-east-1"]) }))

        let apply = try aws.strata.run(["tenants", "apply", stack, "--tenants", file, "--concurrency", "5", "--auto-approve"], environment: aws.env)
        #expect(apply.status == 0, "\(apply.output)")
        for id in ids { #expect(apply.stdout.contains("✓ \(id): 3 created"), "\(apply.stdout)") }
        let plan = try aws.strata.run(["tenants", "plan", stack, "--tenants", file, "--detailed-exitcode"], environment: aws.env)
        #expect(plan.status == 0, "\(plan.output)")

        // Each tenant's names and tags carry it.
        let checks = try aws.aws(ids.map { ["s3api", "get-bucket-tagging", "--bucket", "strata-\($0)-data"] }
            + ids.map { ["secretsmanager", "describe-secret", "--secret-id", "strata/\($0)/db-password"] }
            + [["s3api", "get-bucket-versioning", "--bucket", "strata-hooli-data"]])
        for (index, id) in ids.enumerated() {
            let tags = awsTagMap(jsonPath(try awsJSON(checks[index]), "TagSet"))
            #expect(tags["tenant"] == id && tags["strata:instance"] == "tenant/\(id)", "\(tags)")
            let secretTags = awsTagMap(jsonPath(try awsJSON(checks[ids.count + index]), "Tags"))
            #expect(secretTags["tenant"] == id, "\(secretTags)")
        }
        #expect(jsonPath(try awsJSON(checks[2 * ids.count]), "Status") as? String == "Enabled", "a large tenant versions its bucket")

        // initech leaves the file: kept, then pruned.
        let fewer = try Self.write(aws.strata, "fewer.yaml", Self.yaml(ids.filter { $0 != "initech" }.map { ($0, ["size": $0 == "hooli" ? "large" : "small", "region": "us-east-1"]) }))
        let kept = try aws.strata.run(["tenants", "apply", stack, "--tenants", fewer, "--auto-approve"], environment: aws.env)
        #expect(kept.status == 0 && kept.stdout.contains("initech: not in the file, kept"), "\(kept.output)")
        let stillThere = try aws.aws([["s3api", "head-bucket", "--bucket", "strata-initech-data"],
                                      ["secretsmanager", "describe-secret", "--secret-id", "strata/initech/db-password"]])
        #expect(stillThere.allSatisfy { $0.status == 0 }, "\(stillThere.map(\.output))")

        let pruned = try aws.strata.run(["tenants", "apply", stack, "--tenants", fewer, "--prune", "--auto-approve"], environment: aws.env)
        #expect(pruned.status == 0, "\(pruned.output)")
        #expect(pruned.stdout.contains("✓ initech: 0 created, 0 updated, 3 destroyed"), "\(pruned.stdout)")
        let after = try aws.aws([["s3api", "list-buckets"], ["secretsmanager", "list-secrets"]])
        let buckets = (jsonPath(try awsJSON(after[0]), "Buckets") as? [[String: Any]] ?? []).compactMap { $0["Name"] as? String }
        #expect(buckets.sorted() == ids.filter { $0 != "initech" }.map { "strata-\($0)-data" }.sorted(), "\(buckets)")
        let secrets = (jsonPath(try awsJSON(after[1]), "SecretList") as? [[String: Any]] ?? [])
            .filter { $0["DeletedDate"] == nil }.compactMap { $0["Name"] as? String }
        #expect(!secrets.contains("strata/initech/db-password"), "\(secrets)")
        #expect(secrets.count == ids.count - 1, "\(secrets)")

        let status = try Self.jsonArray(try aws.strata.run(["tenants", "status", "--json"], environment: aws.env).stdout)
        #expect(status.count == ids.count)
        #expect(status.filter { $0["state"] as? String == "active" }.count == ids.count - 1)
    }
}
