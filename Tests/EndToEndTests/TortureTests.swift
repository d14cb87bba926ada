import Foundation
import StrataTestSupport
import Testing

/// The torture test in small (`scripts/torture` runs 100 kills of a 300-resource stack on each
/// backend): SIGKILL at random moments, then recovery and convergence with nothing corrupt,
/// orphaned or lost; and faults from outside the process: a full disk under the SQLite file,
/// the PostgreSQL server restarted in the middle of an apply.
@Suite(.serialized) struct TortureTests {
    static let stackSource = StrataCLI.packageRoot.appendingPathComponent("scripts/torture-stack/Torture/main.swift")

    /// A scratch CLI holding a copy of the torture stack (folder `Torture`).
    func tortureCLI() throws -> (StrataCLI, String) {
        var cli = try StrataCLI()
        cli.environment["STRATA_STATE_KEY"] = "torture-test-key"
        let stack = try cli.writeStack("Torture", ["main.swift": try String(contentsOf: Self.stackSource, encoding: .utf8)])
        return (cli, stack)
    }

    @Test func fiveKillsOnSQLiteRecoverAndConvergeWithNothingCorruptOrphanedOrLost() throws {
        let (cli, stack) = try tortureCLI()
        defer { cli.remove() }
        let vars = ["--var", "size=90", "--var", "failureRate=0.05"]
        #expect(try cli.run(["validate", stack] + vars + ["--var", "generation=0", "--var", "round=0"]).status == 0)
        var generator = SystemRandomNumberGenerator()
        var lastSerial = 0
        for round in 1...5 {
            let destroy = round == 4
            let command = destroy ? "destroy" : "apply"
            let roundVars = vars + ["--var", "generation=\(round)", "--var", "round=\(round / 2)"]
            let process = try cli.start([command, stack, "--auto-approve"] + roundVars)
            usleep(UInt32.random(in: 100_000...1_500_000, using: &generator))
            let plugins = childProcesses(of: process.processIdentifier)
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
            waitUntilGone(plugins)

            // 1. The state right after the kill: loads and is intact, the serial never went back.
            let check = try stateCheck(cli, stack)
            #expect(check.problems.isEmpty, "round \(round) after the kill: \(check.problems)")
            #expect(check.serial >= lastSerial, "round \(round): the serial went back from \(lastSerial) to \(check.serial)")
            lastSerial = check.serial

            // 2. Converge: the same command again until it succeeds (injected failures), then nothing to do.
            var converged = false
            for _ in 0..<15 where !converged {
                let run = try cli.run([command, stack, "--auto-approve"] + roundVars)
                guard run.status == 0 else {
                    #expect(run.output.contains("injected failure"), "round \(round): \(run.output)")
                    continue
                }
                if destroy {
                    converged = try cli.run(["state", "list", stack]).stdout.isEmpty
                } else {
                    converged = try cli.run(["plan", stack, "--detailed-exitcode"] + roundVars).status == 0
                }
            }
            #expect(converged, "round \(round): \(command) did not converge")
            let after = try stateCheck(cli, stack)
            #expect(after.problems.isEmpty, "round \(round) after converging: \(after.problems)")
            lastSerial = after.serial

            // 3. What the provider holds is exactly what the state records.
            let recorded = try recordedTestIDs(cli, stack)
            let stored = cli.storedIDs()
            #expect(stored.subtracting(recorded).isEmpty, "round \(round): orphaned \(stored.subtracting(recorded).sorted())")
            #expect(recorded.subtracting(stored).isEmpty, "round \(round): lost \(recorded.subtracting(stored).sorted())")
            #expect(destroy ? recorded.isEmpty : recorded.count == 81, "round \(round): \(recorded.count) test resources")
        }
        // Clean up (deletes carry the recorded failureRate: they may need a retry).
        for _ in 0..<10 where try cli.run(["destroy", stack, "--auto-approve"] + vars + ["--var", "generation=0", "--var", "round=0"]).status != 0 {}
        #expect(cli.storedIDs().isEmpty)
    }

    @Test(.enabled(if: getuid() == 0, "mounts a small tmpfs: needs root"))
    func aFullDiskStopsTheApplyWithAClearErrorAndLeavesThePreviousStateIntact() throws {
        let (cli, stack) = try tortureCLI()
        defer { cli.remove() }
        let mount = cli.directory.appendingPathComponent("small-disk")
        try FileManager.default.createDirectory(at: mount, withIntermediateDirectories: true)
        guard runTool("/bin/mount", ["-t", "tmpfs", "-o", "size=16m", "tmpfs", mount.path]) == 0 else {
            Issue.record("cannot mount a tmpfs here")
            return
        }
        defer { _ = runTool("/bin/umount", [mount.path]) }
        let state = mount.appendingPathComponent("state.db").path
        let small = ["--state", state, "--var", "size=60", "--var", "failureRate=0", "--var", "round=0"]
        let first = try cli.run(["apply", stack, "--auto-approve", "--var", "generation=0"] + small)
        #expect(first.status == 0, "\(first.output)")
        let before = try stateCheck(cli, stack, state: state)
        #expect(before.problems.isEmpty && before.serial > 0)

        // Fill the disk but for a few kilobytes: the next apply's writes do not fit.
        let filler = mount.appendingPathComponent("filler")
        FileManager.default.createFile(atPath: filler.path, contents: nil)
        let handle = try FileHandle(forWritingTo: filler)
        let block = Data(count: 4096)
        while (try? handle.write(contentsOf: block)) != nil {}
        // Leave room for the lock and a few writes: the disk fills up in the middle of the apply.
        let size = try handle.offset()
        try handle.truncate(atOffset: size > 128 * 1024 ? size - 128 * 1024 : 0)
        try handle.close()
        let full = try cli.run(["apply", stack, "--auto-approve", "--var", "generation=1"] + small)
        #expect(full.status != 0, "\(full.output)")
        #expect(full.output.contains("disk") && full.output.contains("full"), "the error says the disk is full: \(full.output)")
        #expect(full.output.contains(state), "the error names the state file: \(full.output)")

        // The state still loads, intact, and records what the provider holds.
        try FileManager.default.removeItem(at: filler)
        let after = try stateCheck(cli, stack, state: state)
        #expect(after.problems.isEmpty, "\(after.problems)")
        #expect(after.serial >= before.serial)
        #expect(try recordedTestIDs(cli, stack, state: state).isSubset(of: cli.storedIDs()), "nothing recorded is missing")

        // With room again, the next apply recovers and converges; nothing orphaned.
        let again = try cli.run(["apply", stack, "--auto-approve", "--var", "generation=1"] + small)
        #expect(again.status == 0, "\(again.output)")
        #expect(try cli.run(["plan", stack, "--detailed-exitcode", "--var", "generation=1"] + small).status == 0)
        #expect(try recordedTestIDs(cli, stack, state: state) == cli.storedIDs())
        #expect(try stateCheck(cli, stack, state: state).problems.isEmpty)
    }

    @Test(.enabled(if: PostgresServer.isAvailable, "needs Debian's postgresql package (scripts/setup)"))
    func postgresRestartedMidApplyFailsCleanlyAndNoStepIsRecordedTwiceOrLost() throws {
        let server = try PostgresServer.start()
        defer { server.stop() }
        let (cli, stack) = try tortureCLI()
        defer { cli.remove() }
        let vars = ["--state", server.url(schema: "torture"), "--var", "size=120", "--var", "failureRate=0", "--var", "round=0", "--var", "generation=0"]
        #expect(try cli.run(["validate", stack] + vars).status == 0)
        let process = try cli.start(["apply", stack, "--auto-approve"] + vars)
        usleep(1_500_000)
        try server.restart()
        process.waitUntilExit()
        // Either outcome is clean: it failed (naming the lost connection) or it carried on.
        let check = try stateCheck(cli, stack, state: vars[1])
        #expect(check.problems.isEmpty, "after the restart: \(check.problems)")

        let again = try cli.run(["apply", stack, "--auto-approve"] + vars)
        #expect(again.status == 0, "\(again.output)")
        #expect(try cli.run(["plan", stack, "--detailed-exitcode"] + vars).status == 0)
        #expect(try stateCheck(cli, stack, state: vars[1]).problems.isEmpty)
        let recorded = try recordedTestIDs(cli, stack, state: vars[1])
        #expect(recorded == cli.storedIDs(), "orphaned \(cli.storedIDs().subtracting(recorded)), lost \(recorded.subtracting(cli.storedIDs()))")
        #expect(recorded.count == 108)
        // Every resource was recorded once: one create (or adoption) per address in the history.
        let history = try cli.run(["state", "history", stack, "--limit", "0", "--json", "--state", vars[1]])
        let entries = (try JSONSerialization.jsonObject(with: Data(history.stdout.utf8)) as? [[String: Any]]) ?? []
        var recordings: [String: Int] = [:]
        for entry in entries where ["create", "adopt after crash"].contains(entry["action"] as? String ?? "") {
            recordings[entry["address"] as? String ?? "", default: 0] += 1
        }
        #expect(recordings.count == 120, "every address was recorded: \(recordings.count)")
        #expect(recordings.values.allSatisfy { $0 == 1 }, "no step recorded twice: \(recordings.filter { $0.value > 1 })")
    }
}

/// What `strata state check --json` says.
struct StateCheck {
    var serial: Int
    var problems: [String]
}

func stateCheck(_ cli: StrataCLI, _ stack: String, state: String? = nil) throws -> StateCheck {
    let result = try cli.run(["state", "check", stack, "--json"] + (state.map { ["--state", $0] } ?? []))
    guard let json = try? JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any] else {
        return StateCheck(serial: -1, problems: ["the state does not load: \(result.output)"])
    }
    let problems = (json["problems"] as? [[String: Any]] ?? []).map { "\($0["kind"] ?? ""): \($0["message"] ?? "")" }
    return StateCheck(serial: json["serial"] as? Int ?? -1, problems: problems)
}

/// The ids of the `test_resource`s the state records.
func recordedTestIDs(_ cli: StrataCLI, _ stack: String, state: String? = nil) throws -> Set<String> {
    let show = try cli.run(["show", stack, "--json"] + (state.map { ["--state", $0] } ?? []))
    let json = try JSONSerialization.jsonObject(with: Data(show.stdout.utf8)) as? [String: Any]
    return Set(((json?["resources"] as? [[String: Any]]) ?? []).filter { $0["type"] as? String == "test_resource" }.compactMap { $0["id"] as? String })
}

/// The processes whose parent is `pid` (a run's plugins), from /proc.
func childProcesses(of pid: Int32) -> [Int32] {
    let names = (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []
    return names.compactMap(Int32.init).filter { child in
        guard let stat = try? String(contentsOfFile: "/proc/\(child)/stat", encoding: .utf8),
            let close = stat.lastIndex(of: ")")
        else { return false }
        let fields = stat[stat.index(after: close)...].split(separator: " ")
        return fields.count > 2 && Int32(fields[2]) == pid
    }
}

/// Waits (up to 60 s) until these processes have exited: a killed run's plugins finish the
/// calls they had in hand first, as a cloud finishes a request whose caller died.
func waitUntilGone(_ pids: [Int32]) {
    let deadline = Date().addingTimeInterval(60)
    func running(_ pid: Int32) -> Bool {
        guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8), let close = stat.lastIndex(of: ")") else { return false }
        return !stat[stat.index(after: close)...].trimmingCharacters(in: .whitespaces).hasPrefix("Z")
    }
    while Date() < deadline, pids.contains(where: running) { usleep(20_000) }
}

/// Runs a system tool, quietly; its exit status.
func runTool(_ path: String, _ arguments: [String]) -> Int32 {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: path)
    process.arguments = arguments
    process.standardOutput = FileHandle.nullDevice
    process.standardError = FileHandle.nullDevice
    guard (try? process.run()) != nil else { return -1 }
    process.waitUntilExit()
    return process.terminationStatus
}
