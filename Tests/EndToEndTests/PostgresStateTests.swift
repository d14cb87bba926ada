import Foundation
import StrataTestSupport
import Testing

/// Every command on `--state postgres://…`, through the built binary, against a PostgreSQL
/// server the tests start; rows checked with psql.
@Suite(.serialized, .enabled(if: PostgresServer.isAvailable, "needs Debian's postgresql package (scripts/setup)"))
struct PostgresStateTests {
    /// A CLI whose state is a schema of its own on the shared test server.
    func cli(_ schema: String) throws -> (StrataCLI, PostgresServer, String) {
        let server = try PostgresServer.shared()
        var cli = try StrataCLI()
        cli.environment["STRATA_STATE_KEY"] = "e2e-postgres-key"
        return (cli, server, server.url(schema: schema))
    }

    @Test func demoAppliesConvergesAndDestroysWithItsStateInPostgres() throws {
        let schema = "e2e_demo_\(UUID().uuidString.prefix(8).lowercased())"
        let (cli, server, url) = try cli(schema)
        defer { cli.remove(); _ = try? server.psql("DROP SCHEMA IF EXISTS \(schema) CASCADE") }
        let demo = StrataCLI.packageRoot.appendingPathComponent("Stacks/Demo").path

        let apply = try cli.run(["apply", demo, "--state", url, "--auto-approve"])
        #expect(apply.status == 0, "\(apply.output)")
        #expect(apply.stdout.contains("Apply complete: 14 created"), "\(apply.output)")
        let noChange = try cli.run(["plan", demo, "--state", url, "--detailed-exitcode"])
        #expect(noChange.status == 0, "\(noChange.output)")
        #expect(noChange.stdout.contains("No changes."))
        #expect(!FileManager.default.fileExists(atPath: cli.directory.appendingPathComponent(".strata/state.db").path), "no SQLite file was made")

        // The rows, as PostgreSQL holds them.
        let serial = try server.psql("SELECT serial FROM \(schema).instances WHERE stack = 'demo' AND instance = 'default'")
        #expect(Int(serial) ?? 0 >= 14)
        #expect(try server.psql("SELECT count(*) FROM \(schema).resources WHERE stack = 'demo'") == "14")
        #expect(try server.psql("SELECT count(*) FROM \(schema).history WHERE stack = 'demo'") == serial, "one history row per serial")
        #expect(try server.psql("SELECT max(version) FROM \(schema).strata_schema_version") == "4")
        #expect(try server.psql("SELECT count(*) FROM \(schema).locks") == "0", "the lock was released")
        #expect(try server.psql("SELECT count(*) FROM \(schema).intents") == "0")
        let password = try server.psql("SELECT outputs_json FROM \(schema).resources WHERE address = 'random_password.db_password'")
        #expect(password.contains("$sealed"), "the password is sealed at rest: \(password)")
        #expect(try server.psql("SELECT stack_dir FROM \(schema).instance_origins WHERE stack = 'demo'").hasSuffix("Stacks/Demo"))

        // Reading commands work on it too.
        let list = try cli.run(["state", "list", demo, "--state", url])
        #expect(list.stdout.split(separator: "\n").count == 14, "\(list.output)")
        let history = try cli.run(["state", "history", demo, "--state", url])
        #expect(history.status == 0 && history.stdout.contains("create"), "\(history.output)")
        let output = try cli.run(["output", demo, "url", "--state", url])
        #expect(output.stdout.hasPrefix("https://app-dev-"), "\(output.output)")

        // A change, applied, converges.
        let change = try cli.run(["apply", demo, "--state", url, "--var", "env=staging", "--auto-approve"])
        #expect(change.status == 0 && change.stdout.contains("0 created, 2 updated, 0 destroyed"), "\(change.output)")
        #expect(try cli.run(["plan", demo, "--state", url, "--var", "env=staging", "--detailed-exitcode"]).status == 0)

        // Without the key, or with another, the state is not opened.
        var noKey = cli
        noKey.environment.removeValue(forKey: "STRATA_STATE_KEY")
        let refused = try noKey.run(["plan", demo, "--state", url])
        #expect(refused.status != 0 && refused.stderr.contains("STRATA_STATE_KEY"), "\(refused.output)")
        let wrongKey = try cli.run(["plan", demo, "--state", url], environment: ["STRATA_STATE_KEY": "another"])
        #expect(wrongKey.status != 0 && wrongKey.stderr.contains("does not open the secrets"), "\(wrongKey.output)")

        let destroy = try cli.run(["destroy", demo, "--state", url, "--var", "env=staging", "--auto-approve"])
        #expect(destroy.status == 0 && destroy.stdout.contains("14 destroyed"), "\(destroy.output)")
        #expect(try server.psql("SELECT count(*) FROM \(schema).resources") == "0")
        #expect(cli.storedIDs().isEmpty)
    }

    @Test func aSecondRunWaitsAndAKilledHolderLeavesNoLockBehind() throws {
        let schema = "e2e_lock_\(UUID().uuidString.prefix(8).lowercased())"
        let (cli, server, url) = try cli(schema)
        defer { cli.remove(); _ = try? server.psql("DROP SCHEMA IF EXISTS \(schema) CASCADE") }
        let stack = try cli.writeStack("Slow", ["main.swift": layeredStack(width: 3, layers: 4, latencyMs: 2500)])
        #expect(try cli.run(["validate", stack]).status == 0)  // compile once, before the clock matters

        let holder = try cli.start(["apply", stack, "--state", url, "--auto-approve"])
        defer { if holder.isRunning { kill(holder.processIdentifier, SIGKILL) }; holder.waitUntilExit() }
        var locked = false
        for _ in 0..<200 where !locked {
            locked = (try? server.psql("SELECT count(*) FROM \(schema).locks")) == "1"
            if !locked { usleep(50_000) }
        }
        #expect(locked, "the apply took its lock")

        // Another process is refused after waiting, and told who holds the lock.
        let second = try cli.run(["apply", stack, "--state", url, "--auto-approve", "--lock-timeout", "0.5"])
        #expect(second.status != 0, "\(second.output)")
        #expect(second.stderr.contains("is locked: apply by"), "\(second.output)")
        #expect(holder.isRunning, "the first apply still ran while the second was refused")

        // The holder is killed: its session ends with it, so the lock is free at once, although
        // its row (with a lease of a minute) is still there.
        kill(holder.processIdentifier, SIGKILL)
        holder.waitUntilExit()
        usleep(200_000)
        #expect(try server.psql("SELECT count(*) FROM \(schema).locks") == "1")
        let holderInfo = try cli.run(["state", "list", stack, "--state", url])
        #expect(holderInfo.status == 0)
        let finish = try cli.run(["apply", stack, "--state", url, "--auto-approve", "--lock-timeout", "0"])
        #expect(finish.status == 0, "\(finish.output)")
        #expect(try cli.run(["plan", stack, "--state", url, "--detailed-exitcode"]).status == 0)
        #expect(try server.psql("SELECT count(*) FROM \(schema).resources") == "12")
        #expect(try server.psql("SELECT count(*) FROM \(schema).locks") == "0")
        #expect(try cli.run(["destroy", stack, "--state", url, "--auto-approve"]).status == 0)
    }

    @Test func aBadURLOrAnUnreachableServerIsExplained() throws {
        var cli = try StrataCLI()
        cli.environment["STRATA_STATE_KEY"] = "k"
        defer { cli.remove() }
        let stack = try cli.writeStack("Tiny", ["main.swift": layeredStack(width: 1, layers: 1, latencyMs: 0)])
        let port = try PostgresServer.freePort()
        let unreachable = try cli.run(["plan", stack, "--state", "postgres://ops:hunter2@127.0.0.1:\(port)/fleet?connect_timeout=2"])
        #expect(unreachable.status != 0)
        #expect(unreachable.stderr.contains("cannot connect to the PostgreSQL state postgres://ops:***@127.0.0.1:\(port)/fleet"), "\(unreachable.output)")
        #expect(!unreachable.output.contains("hunter2"))
        let bad = try cli.run(["plan", stack, "--state", "postgres://ops:hunter2@db/fleet?schema=No-Such"])
        #expect(bad.status != 0)
        #expect(bad.stderr.contains("bad --state 'postgres://ops:***@db/fleet?schema=No-Such'"), "\(bad.output)")
        #expect(!bad.output.contains("hunter2"))
    }
}
