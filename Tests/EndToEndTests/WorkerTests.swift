import Foundation
import StrataTestSupport
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// `strata worker`: tenant jobs queued in a PostgreSQL state (`tenants … --queue`) and run by
/// several worker processes, one of them killed midway; checked with psql, `tenants status`,
/// `tenants plan` and the test provider's store.
@Suite(.serialized, .enabled(if: PostgresServer.isAvailable, "needs Debian's postgresql package (scripts/setup)"))
struct WorkerTests {
    /// A worker process, its output in a file.
    struct WorkerProcess {
        var name: String
        var process: Process
        var log: URL
        var output: String { (try? String(contentsOf: log, encoding: .utf8)) ?? "" }

        func kill(_ signal: Int32) {
            if process.isRunning { Glibc.kill(process.processIdentifier, signal) }
        }

        /// Waits up to `seconds` for the process to end; true if it did.
        func wait(_ seconds: Double) -> Bool {
            let deadline = Date().addingTimeInterval(seconds)
            while process.isRunning && Date() < deadline { usleep(100_000) }
            return !process.isRunning
        }
    }

    /// A scratch folder, a schema of its own on the shared server, and the tenant stack.
    struct Setting {
        var cli: StrataCLI
        var server: PostgresServer
        var schema: String
        var url: String
        var stack: String

        func psql(_ sql: String) throws -> String { try server.psql(sql) }
        func count(_ sql: String) throws -> Int { Int(try psql(sql)) ?? -1 }

        func worker(_ name: String, _ extra: [String] = []) throws -> WorkerProcess {
            let log = cli.directory.appendingPathComponent("\(name).log")
            _ = FileManager.default.createFile(atPath: log.path, contents: nil)
            let handle = try FileHandle(forWritingTo: log)
            let process = Process()
            process.executableURL = StrataCLI.binary
            process.arguments = ["worker", "--state", url, "--id", name] + extra
            process.currentDirectoryURL = cli.directory
            process.environment = cli.environment
            process.standardOutput = handle
            process.standardError = handle
            process.standardInput = FileHandle.nullDevice
            try process.run()
            try handle.close()
            return WorkerProcess(name: name, process: process, log: log)
        }

        /// Waits up to `seconds` for `condition`.
        func waitFor(_ seconds: Double, _ condition: () throws -> Bool) rethrows -> Bool {
            let deadline = Date().addingTimeInterval(seconds)
            while Date() < deadline {
                if try condition() { return true }
                usleep(100_000)
            }
            return try condition()
        }

        /// The advisory locks held now on this schema's instance locks.
        func advisoryLocks() throws -> Int {
            try count("SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND classid = \(Self.lockNamespace(schema))")
        }

        /// As PostgresSchema.lockNamespace: FNV-1a of `strata:<schema>`, 31 bits.
        static func lockNamespace(_ schema: String) -> Int32 {
            var hash: UInt32 = 2_166_136_261
            for byte in "strata:\(schema)".utf8 { hash = (hash ^ UInt32(byte)) &* 16_777_619 }
            return Int32(bitPattern: hash & 0x7fff_ffff)
        }

        func remove() {
            cli.remove()
            _ = try? server.psql("DROP SCHEMA IF EXISTS \(schema) CASCADE")
        }
    }

    func setting(_ name: String) throws -> Setting {
        let server = try PostgresServer.shared()
        var cli = try StrataCLI()
        cli.environment["STRATA_STATE_KEY"] = "e2e-worker-key"
        let schema = "e2e_\(name)_\(UUID().uuidString.prefix(8).lowercased())"
        let stack = try cli.writeStack("Shop", ["main.swift": TenantsTests.stack])
        // Compiled once here, so that the workers' clocks start on work, not on the compiler.
        let validate = try cli.run(["validate", stack])
        #expect(validate.status == 0, "\(validate.output)")
        return Setting(cli: cli, server: server, schema: schema, url: server.url(schema: schema), stack: stack)
    }

    func tenantsFile(_ s: Setting, count: Int, latency: Int) throws -> (String, [String]) {
        let ids = (1...count).map { String(format: "t%03d", $0) }
        let file = try TenantsTests.write(s.cli, "tenants.yaml", TenantsTests.yaml(ids.map { ($0, ["latency": String(latency)]) }))
        return (file, ids)
    }

    @Test func threeWorkersShareSixtyJobsAndAKilledWorkersJobsAreRetriedByTheOthers() throws {
        try threeWorkersShare(count: 60, latency: 400)
    }

    /// The acceptance size; long on a small machine, so only when asked
    /// (STRATA_E2E_LARGE=1).
    @Test(.enabled(if: ProcessInfo.processInfo.environment["STRATA_E2E_LARGE"] != nil, "set STRATA_E2E_LARGE=1 to run the 200-job run"))
    func threeWorkersShareTwoHundredJobsOneKilledMidway() throws {
        try threeWorkersShare(count: 200, latency: 300)
    }

    func threeWorkersShare(count: Int, latency: Int) throws {
        let s = try setting("workers")
        defer { s.remove() }
        let (file, ids) = try tenantsFile(s, count: count, latency: latency)

        let queued = try s.cli.run(["tenants", "apply", s.stack, "--tenants", file, "--queue", "--state", s.url])
        #expect(queued.status == 0, "\(queued.output)")
        #expect(queued.stdout.contains("Queued \(count) jobs (#1–#\(count)): \(count) apply."), "\(queued.output)")
        #expect(try s.count("SELECT count(*) FROM \(s.schema).jobs WHERE status = 'queued' AND attempts = 0") == count)
        let before = try s.cli.run(["tenants", "status", "--state", s.url, "--json"])
        let beforeRows = try TenantsTests.jsonArray(before.stdout)
        #expect(beforeRows.count == count, "\(before.output)")
        #expect(beforeRows.allSatisfy { ($0["job"] as? [String: Any])?["status"] as? String == "queued" && $0["state"] as? String == "new" })

        let common = ["--concurrency", "4", "--lease", "3", "--poll", "0.2"]
        var workers = [try s.worker("w1", common)]
        defer { for w in workers { w.kill(SIGKILL); _ = w.wait(5) } }
        workers.append(try s.worker("w2", common + ["--exit-when-done"]))
        workers.append(try s.worker("w3", common + ["--exit-when-done"]))

        // Midway: w1 holds running jobs and a good part of the fleet is done. Then SIGKILL.
        let midway = try s.waitFor(120) {
            try s.count("SELECT count(*) FROM \(s.schema).jobs WHERE status = 'done'") >= count / 4
                && s.count("SELECT count(*) FROM \(s.schema).jobs WHERE status = 'running' AND worker = 'w1'") >= 1
        }
        #expect(midway, "w1: \(workers[0].output)")
        workers[0].kill(SIGKILL)
        #expect(workers[0].wait(10))
        // A claim w1 sent just before it died may still be committing on the server.
        usleep(500_000)
        let orphaned = try s.psql("SELECT string_agg(id::text, ',') FROM \(s.schema).jobs WHERE status = 'running' AND worker = 'w1'")
            .split(separator: ",").compactMap { Int($0) }
        #expect(!orphaned.isEmpty, "w1 was killed holding jobs")

        // The others finish everything, the killed worker's jobs once its leases ran out.
        #expect(workers[1].wait(240), "w2: \(workers[1].output)")
        #expect(workers[2].wait(60), "w3: \(workers[2].output)")
        #expect(workers[1].process.terminationStatus == 0 && workers[2].process.terminationStatus == 0)
        let notDone = try s.psql("SELECT id, tenant, status, attempts, worker, message FROM \(s.schema).jobs WHERE status <> 'done'")
        #expect(try s.count("SELECT count(*) FROM \(s.schema).jobs WHERE status = 'done'") == count, "\(notDone)")
        for id in orphaned {
            let row = try s.psql("SELECT status, attempts, worker FROM \(s.schema).jobs WHERE id = \(id)").split(separator: "|").map(String.init)
            #expect(row.count == 3 && row[0] == "done" && (Int(row[1]) ?? 0) >= 2 && row[2] != "w1", "job \(id): \(row)")
            #expect(try s.count("SELECT count(*) FROM \(s.schema).job_attempts WHERE job_id = \(id) AND worker = 'w1' AND outcome = 'lost'") == 1)
            #expect(try s.count("SELECT count(*) FROM \(s.schema).job_attempts WHERE job_id = \(id) AND outcome = 'done' AND worker IN ('w2', 'w3')") == 1)
        }
        // The killed worker's jobs were claimed again (on a loaded machine a live worker may also
        // miss a renewal and lose a job to another: then its attempt is recorded as such); each
        // job was done by exactly one attempt.
        let retried = try s.psql("SELECT string_agg(id::text, ',') FROM \(s.schema).jobs WHERE attempts > 1").split(separator: ",").compactMap { Int($0) }
        let others = try s.psql("""
            SELECT job_id, attempt, worker, outcome, message FROM \(s.schema).job_attempts
            WHERE job_id IN (SELECT id FROM \(s.schema).jobs WHERE attempts > 1) ORDER BY job_id, attempt
            """)
        #expect(Set(orphaned).isSubset(of: Set(retried)), "\(others)")
        #expect(try s.count("""
            SELECT count(*) FROM \(s.schema).job_attempts a JOIN \(s.schema).jobs j ON j.id = a.job_id
            WHERE a.attempt < j.attempts AND a.outcome NOT IN ('lost', 'taken over')
            """) == 0, "every attempt before the last was lost or taken over: \(others)")
        if retried.count != orphaned.count { print("jobs retried besides the killed worker's: \(others)") }
        #expect(try s.count("SELECT count(*) FROM \(s.schema).job_attempts WHERE outcome = 'done'") == count)
        #expect(try s.count("SELECT count(DISTINCT worker) FROM \(s.schema).job_attempts WHERE outcome = 'done'") >= 2, "the work was shared")

        // No lock left behind: no row, no advisory lock of this schema.
        #expect(try s.count("SELECT count(*) FROM \(s.schema).locks") == 0)
        #expect(try s.advisoryLocks() == 0)
        #expect(try s.count("SELECT count(*) FROM \(s.schema).intents") == 0)

        // Every tenant converged exactly once: its two resources, no duplicate from a retried create.
        #expect(s.cli.storedIDs().count == 2 * count, "\(s.cli.storedIDs().count) resources in the store")
        #expect(try s.count("SELECT count(*) FROM \(s.schema).resources") == 2 * count)
        let status = try s.cli.run(["tenants", "status", "--state", s.url, "--json"])
        let rows = try TenantsTests.jsonArray(status.stdout)
        #expect(rows.map { $0["tenant"] as? String ?? "" } == ids)
        for row in rows {
            #expect(row["resources"] as? Int == 2 && row["state"] as? String == "active" && (row["serial"] as? Int ?? 0) > 0, "\(row)")
            #expect((row["job"] as? [String: Any])?["status"] as? String == "done", "\(row)")
        }
        let plan = try s.cli.run(["tenants", "plan", s.stack, "--tenants", file, "--state", s.url, "--detailed-exitcode", "--concurrency", "8"])
        #expect(plan.status == 0, "\(plan.output)")
    }

    @Test func sigtermGivesRunningJobsBackAndExitsZeroThenAnotherWorkerFinishesThem() throws {
        let s = try setting("sigterm")
        defer { s.remove() }
        let (file, _) = try tenantsFile(s, count: 4, latency: 2500)
        #expect(try s.cli.run(["tenants", "apply", s.stack, "--tenants", file, "--queue", "--state", s.url]).status == 0)

        let first = try s.worker("first", ["--concurrency", "4", "--poll", "0.2"])
        defer { first.kill(SIGKILL) }
        #expect(try s.waitFor(60) { try s.count("SELECT count(*) FROM \(s.schema).jobs WHERE status = 'running'") == 4 })
        usleep(500_000)
        first.kill(SIGTERM)
        #expect(first.wait(30), "the worker exits after SIGTERM: \(first.output)")
        #expect(first.process.terminationStatus == 0, "\(first.output)")
        #expect(first.output.contains("stopping"), "\(first.output)")
        // Each db create was in flight: it finished, the web server was never started; the
        // job went back to the queue.
        #expect(try s.count("SELECT count(*) FROM \(s.schema).jobs WHERE status = 'queued' AND attempts = 1") == 4, "\(first.output)")
        #expect(try s.count("SELECT count(*) FROM \(s.schema).job_attempts WHERE outcome = 'given back'") == 4)
        #expect(try s.count("SELECT count(*) FROM \(s.schema).locks") == 0)
        #expect(try s.advisoryLocks() == 0)
        let status = try s.cli.run(["tenants", "status", s.stack, "--state", s.url])
        #expect(status.stdout.contains("apply queued"), "\(status.output)")

        let second = try s.worker("second", ["--concurrency", "4", "--poll", "0.2", "--exit-when-done"])
        defer { second.kill(SIGKILL) }
        #expect(second.wait(90), "\(second.output)")
        #expect(try s.count("SELECT count(*) FROM \(s.schema).jobs WHERE status = 'done' AND attempts = 2 AND worker = 'second'") == 4, "\(second.output)")
        #expect(s.cli.storedIDs().count == 8)
        #expect(try s.cli.run(["tenants", "plan", s.stack, "--tenants", file, "--state", s.url, "--detailed-exitcode"]).status == 0)
    }

    @Test func aJobWhoseTenantIsLockedByAnotherRunWaitsForItInsteadOfFailing() throws {
        let s = try setting("locked")
        defer { s.remove() }
        let (file, _) = try tenantsFile(s, count: 1, latency: 0)
        // A run by hand holds tenant/t001's lock for a few seconds.
        let holder = try s.cli.start(["apply", s.stack, "--state", s.url, "--instance", "tenant/t001", "--var", "tenant=t001",
                                      "--var", "latency=2500", "--auto-approve"])
        defer { if holder.isRunning { kill(holder.processIdentifier, SIGKILL) }; holder.waitUntilExit() }
        #expect(try s.waitFor(60) { try s.count("SELECT count(*) FROM pg_tables WHERE schemaname = '\(s.schema)' AND tablename = 'locks'") == 1
            && s.count("SELECT count(*) FROM \(s.schema).locks") == 1 })
        #expect(try s.cli.run(["tenants", "apply", s.stack, "--tenants", file, "--queue", "--state", s.url]).status == 0)
        let worker = try s.worker("patient", ["--poll", "0.2", "--exit-when-done"])
        defer { worker.kill(SIGKILL) }
        #expect(worker.wait(90), "\(worker.output)")
        holder.waitUntilExit()
        #expect(holder.terminationStatus == 0)
        #expect(worker.output.contains("postponed: shop/tenant/t001 is locked by"), "\(worker.output)")
        #expect(try s.psql("SELECT status, attempts FROM \(s.schema).jobs") == "done|1", "\(worker.output)")
        #expect(try s.count("SELECT count(*) FROM \(s.schema).job_attempts") == 1)
        #expect(s.cli.storedIDs().count == 2)
    }

    @Test func driftSweepsAndDestroysAreQueuedToo() throws {
        let s = try setting("kinds")
        defer { s.remove() }
        let (file, _) = try tenantsFile(s, count: 3, latency: 0)
        let run = ["--concurrency", "3", "--poll", "0.2", "--exit-when-done"]

        // --queue needs the PostgreSQL state: the queue lives there.
        let sqlite = try s.cli.run(["tenants", "apply", s.stack, "--tenants", file, "--queue"])
        #expect(sqlite.status != 0 && sqlite.stderr.contains("pass --state postgres://"), "\(sqlite.output)")

        #expect(try s.cli.run(["tenants", "apply", s.stack, "--tenants", file, "--queue", "--state", s.url]).status == 0)
        let applier = try s.worker("applier", run)
        #expect(applier.wait(60), "\(applier.output)")
        #expect(s.cli.storedIDs().count == 6)

        let drift = try s.cli.run(["tenants", "drift", s.stack, "--queue", "--state", s.url])
        #expect(drift.status == 0 && drift.stdout.contains("Queued 3 jobs (#4–#6): 3 drift."), "\(drift.output)")
        let sweeper = try s.worker("sweeper", run)
        #expect(sweeper.wait(60), "\(sweeper.output)")
        #expect(try s.count("SELECT count(*) FROM \(s.schema).jobs WHERE kind = 'drift' AND status = 'done' AND message LIKE 'clean%'") == 3,
                "\(sweeper.output)")
        #expect(try s.count("SELECT count(*) FROM \(s.schema).drift_sweeps WHERE status = 'clean'") == 3)

        let destroy = try s.cli.run(["tenants", "destroy", s.stack, "--tenant", "t002", "--queue", "--state", s.url])
        #expect(destroy.status == 0 && destroy.stdout.contains("Queued 1 job (#7): 1 destroy."), "\(destroy.output)")
        let destroyer = try s.worker("destroyer", run)
        #expect(destroyer.wait(60), "\(destroyer.output)")
        #expect(s.cli.storedIDs().count == 4)
        let status = try s.cli.run(["tenants", "status", "--state", s.url, "--json"])
        let rows = try TenantsTests.jsonArray(status.stdout)
        let t002 = try #require(rows.first { $0["tenant"] as? String == "t002" })
        #expect(t002["state"] as? String == "destroyed")
        #expect((t002["job"] as? [String: Any])?["kind"] as? String == "destroy")
        let t001 = try #require(rows.first { $0["tenant"] as? String == "t001" })
        #expect((t001["drift"] as? [String: Any])?["status"] as? String == "clean")

        // A tenant removed from the file is kept, or with --prune its destroy is queued (t002
        // is destroyed already: nothing to prune).
        let smaller = try TenantsTests.write(s.cli, "smaller.yaml", TenantsTests.yaml([("t001", ["latency": "0"])]))
        let kept = try s.cli.run(["tenants", "apply", s.stack, "--tenants", smaller, "--queue", "--state", s.url])
        #expect(kept.stdout.contains("- t003: not in the file, kept") && kept.stdout.contains("Queued 1 job (#8): 1 apply."), "\(kept.output)")
        let prune = try s.cli.run(["tenants", "apply", s.stack, "--tenants", smaller, "--queue", "--prune", "--state", s.url])
        #expect(prune.stdout.contains("Queued 2 jobs (#9–#10): 1 apply, 1 destroy."), "\(prune.output)")
        let pruner = try s.worker("pruner", run)
        #expect(pruner.wait(60), "\(pruner.output)")
        #expect(s.cli.storedIDs().count == 2)
        #expect(try s.count("SELECT count(*) FROM \(s.schema).jobs WHERE status = 'done'") == 10)

        // A job whose stack folder is not on the worker's machine fails with what to do; with
        // --stacks-root naming a folder that holds it (by the stack's name), it runs.
        let root = s.cli.directory.appendingPathComponent("stacks")
        try FileManager.default.createDirectory(at: root, withIntermediateDirectories: true)
        #expect(try s.cli.run(["tenants", "drift", s.stack, "--queue", "--state", s.url, "--tenant", "t001"]).status == 0)
        try FileManager.default.moveItem(atPath: s.stack, toPath: root.appendingPathComponent("Shop").path)
        let lost = try s.worker("lost", run)
        #expect(lost.wait(60), "\(lost.output)")
        let message = try s.psql("SELECT status || ': ' || message FROM \(s.schema).jobs WHERE id = 11")
        #expect(message.hasPrefix("failed: no stack folder for stack 'shop'") && message.contains("--stacks-root"), "\(message)")
        #expect(try s.cli.run(["tenants", "drift", s.stack, "--queue", "--state", s.url, "--tenant", "t001"]).status == 0)
        let found = try s.worker("found", run + ["--stacks-root", root.path])
        #expect(found.wait(60), "\(found.output)")
        #expect(try s.psql("SELECT status FROM \(s.schema).jobs WHERE id = 12") == "done", "\(found.output)")
    }
}
