import Foundation
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// `strata drift`: changed, deleted and unmanaged resources of the `test` provider, found,
/// reported, remediated, accepted, swept on a schedule, with webhook and metrics.
@Suite(.serialized) struct DriftTests {
    static let stack = """
        import Strata
        import StrataTestProvider

        let a = TestResource("a", value: "alpha")
        let b = TestResource("b", value: "beta", inputs: [a.id])
        let c = TestResource("c", value: "gamma")
        c.secret = "hunter2"
        let d = TestResource("d", value: "delta")
        d.ignoreChanges("value")
        """

    /// The store file of each resource, by address.
    func files(_ cli: StrataCLI) throws -> [String: URL] {
        var out: [String: URL] = [:]
        for id in cli.storedIDs() {
            let url = cli.store.appendingPathComponent(id + ".json")
            let object = try JSONSerialization.jsonObject(with: Data(contentsOf: url)) as? [String: Any]
            if let address = (object?["tags"] as? [String: String])?["strata:address"] { out[address] = url }
        }
        return out
    }

    /// Edits a stored resource's outputs as someone working by hand would.
    func edit(_ url: URL, _ change: (inout [String: Any]) -> Void) throws {
        var object = try JSONSerialization.jsonObject(with: Data(contentsOf: url)) as? [String: Any] ?? [:]
        var outputs = object["outputs"] as? [String: Any] ?? [:]
        change(&outputs)
        object["outputs"] = outputs
        try JSONSerialization.data(withJSONObject: object).write(to: url)
    }

    func value(_ url: URL, _ key: String = "value") throws -> String? {
        let object = try JSONSerialization.jsonObject(with: Data(contentsOf: url)) as? [String: Any]
        return (object?["outputs"] as? [String: Any])?[key] as? String
    }

    /// A resource carrying the stack's tags that no state knows (made by hand, or by a crashed run).
    func plantUnmanaged(_ cli: StrataCLI, stack: String, id: String = "t-orphan1") throws {
        let object: [String: Any] = [
            "type": "test_resource", "id": id, "token": "",
            "tags": ["strata:stack": stack, "strata:instance": "default"],
            "outputs": ["id": id, "value": "made by hand", "result": "made by hand"],
        ]
        try JSONSerialization.data(withJSONObject: object).write(to: cli.store.appendingPathComponent(id + ".json"))
    }

    func json(_ text: String) throws -> [String: Any] {
        try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any], "not a JSON object: \(text)")
    }

    func stateSerialHistory(_ cli: StrataCLI, _ stack: String) throws -> Int {
        let result = try cli.run(["state", "history", stack, "--limit", "0", "--json"])
        return (try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [Any])?.count ?? -1
    }

    @Test func changedDeletedAndUnmanagedAreFoundRemediatedAndRecorded() throws {
        let cli = try StrataCLI()
        defer { cli.remove() }
        let stack = try cli.writeStack("Drift", ["main.swift": Self.stack])
        let apply = try cli.run(["apply", stack, "--auto-approve"])
        #expect(apply.status == 0, "\(apply.output)")
        #expect(try cli.run(["drift", stack]).status == 0, "a fresh apply has no drift")

        var byAddress = try files(cli)
        try edit(try #require(byAddress["test_resource.a"])) { $0["value"] = "changed by hand" }
        try edit(try #require(byAddress["test_resource.c"])) { $0["secret"] = "new-secret-value" }
        try edit(try #require(byAddress["test_resource.d"])) { $0["value"] = "ignored by the stack" }
        let deletedID = try #require(byAddress["test_resource.b"]).deletingPathExtension().lastPathComponent
        try FileManager.default.removeItem(at: try #require(byAddress["test_resource.b"]))
        try plantUnmanaged(cli, stack: "drift")
        let writes = try stateSerialHistory(cli, stack)

        let sweep = try cli.run(["drift", stack])
        #expect(sweep.status == 2, "\(sweep.output)")
        #expect(sweep.stdout.contains("Drift in drift/default: 2 changed, 1 deleted, 1 unmanaged"), "\(sweep.output)")
        #expect(sweep.stdout.contains("~ test_resource.a"), "\(sweep.output)")
        #expect(sweep.stdout.contains("value: recorded \"alpha\" → actual \"changed by hand\"; the stack declares the recorded value"), "\(sweep.output)")
        #expect(sweep.stdout.contains("secret: recorded \"(secret)\" → actual \"(secret)\""), "\(sweep.output)")
        #expect(sweep.stdout.contains("- test_resource.b (id \(deletedID)) deleted outside Strata"), "\(sweep.output)")
        #expect(sweep.stdout.contains("? test_resource t-orphan1"), "\(sweep.output)")
        #expect(!sweep.stdout.contains("test_resource.d"), "ignoreChanges is not drift: \(sweep.output)")
        #expect(!sweep.output.contains("hunter2") && !sweep.output.contains("new-secret-value"), "secrets are never printed")

        let report = try json(try cli.run(["drift", stack, "--json"]).stdout)
        #expect(report["schemaVersion"] as? Int == 1)
        #expect(report["status"] as? String == "drift")
        let resources = report["resources"] as? [[String: Any]] ?? []
        let found = Set(resources.map { "\($0["kind"] ?? "") \($0["address"] as? String ?? $0["id"] as? String ?? "")" })
        #expect(found == ["changed test_resource.a", "changed test_resource.c", "deleted test_resource.b", "unmanaged t-orphan1"], "\(found)")
        let attributes = resources.first { $0["address"] as? String == "test_resource.a" }?["attributes"] as? [[String: Any]] ?? []
        #expect(attributes.count == 1)
        #expect(attributes.first?["recorded"] as? String == "alpha")
        #expect(attributes.first?["actual"] as? String == "changed by hand")
        #expect(attributes.first?["declaredAgreesWith"] as? String == "recorded")
        let summary = report["summary"] as? [String: Int] ?? [:]
        #expect(summary == ["checked": 4, "changed": 2, "deleted": 1, "unmanaged": 1, "errors": 0], "\(summary)")
        #expect(try stateSerialHistory(cli, stack) == writes, "a sweep never writes the state")

        // Remediate: the changed ones are put back, the deleted one made again; the unmanaged one is left alone.
        let remediate = try cli.run(["drift", stack, "--remediate"])
        #expect(remediate.status == 2, "drift was found (and fixed): \(remediate.output)")
        #expect(remediate.stdout.contains("Remediation: done"), "\(remediate.output)")
        #expect(remediate.stdout.contains("test_resource t-orphan1: skip skipped"), "\(remediate.output)")
        byAddress = try files(cli)
        #expect(try value(try #require(byAddress["test_resource.a"])) == "alpha")
        #expect(try value(try #require(byAddress["test_resource.c"]), "secret") == "hunter2")
        #expect(byAddress["test_resource.b"] != nil, "made again")
        #expect(cli.storedIDs().contains("t-orphan1"), "unmanaged resources are not deleted unless asked")

        let after = try cli.run(["drift", stack, "--json"])
        #expect(after.status == 2)
        #expect((try json(after.stdout)["resources"] as? [[String: Any]])?.map { $0["kind"] as? String } == ["unmanaged"])

        let cleanup = try cli.run(["drift", stack, "--remediate", "--delete-unmanaged"])
        #expect(cleanup.stdout.contains("test_resource t-orphan1: delete done"), "\(cleanup.output)")
        #expect(!cli.storedIDs().contains("t-orphan1"))

        let clean = try cli.run(["drift", stack])
        #expect(clean.status == 0, "\(clean.output)")
        #expect(clean.stdout.contains("No drift in drift/default: 4 resource(s) match the state"), "\(clean.output)")

        let history = try cli.run(["drift", "history", stack])
        #expect(history.status == 0, "\(history.output)")
        #expect(history.stdout.contains("STATUS"), "\(history.output)")
        let sweeps = try #require(try JSONSerialization.jsonObject(with: Data(try cli.run(["drift", "history", stack, "--json"]).stdout.utf8)) as? [[String: Any]])
        #expect(sweeps.map { $0["status"] as? String ?? "" } == ["clean", "drift", "drift", "drift", "drift", "drift", "clean"], "\(sweeps.map { $0["status"] ?? "" })")
        #expect(sweeps.map { $0["action"] as? String ?? "" } == ["none", "remediate", "none", "remediate", "none", "none", "none"])
        let remediation = (sweeps[3]["report"] as? [String: Any])?["remediation"] as? [String: Any]
        let steps = (remediation?["steps"] as? [[String: Any]] ?? []).map { "\($0["address"] ?? "") \($0["action"] ?? "") \($0["outcome"] ?? "")" }
        #expect(Set(steps) == ["test_resource.a update done", "test_resource.c update done", "test_resource.b create done", "test_resource t-orphan1 skip skipped"], "\(steps)")
        let show = try cli.run(["drift", "history", stack, "--show", "\(sweeps[3]["id"] as? Int ?? 0)"])
        #expect(show.stdout.contains("Remediation: done"), "\(show.output)")
    }

    @Test func acceptRecordsWhatExistsAsTheState() throws {
        let cli = try StrataCLI()
        defer { cli.remove() }
        let stack = try cli.writeStack("Accept", ["main.swift": Self.stack])
        #expect(try cli.run(["apply", stack, "--auto-approve"]).status == 0)
        let byAddress = try files(cli)
        try edit(try #require(byAddress["test_resource.a"])) { $0["value"] = "keep me" }
        try FileManager.default.removeItem(at: try #require(byAddress["test_resource.d"]))

        let accept = try cli.run(["drift", stack, "--accept"])
        #expect(accept.status == 2, "\(accept.output)")
        #expect(accept.stdout.contains("test_resource.a: record done"), "\(accept.output)")
        #expect(accept.stdout.contains("test_resource.d: forget done"), "\(accept.output)")
        #expect(try cli.run(["drift", stack]).status == 0, "the state now matches what exists")
        #expect(!(try cli.run(["state", "list", stack]).stdout.contains("test_resource.d")))
        let plan = try cli.run(["plan", stack])
        #expect(plan.stdout.contains("value = \"keep me\" -> \"alpha\""), "the stack still wants its own value: \(plan.output)")
        #expect(plan.stdout.contains("+ test_resource.d"), "\(plan.output)")
    }

    @Test func aProviderErrorFailsTheSweepWithExitOne() throws {
        let cli = try StrataCLI()
        defer { cli.remove() }
        let stack = try cli.writeStack("Broken", ["main.swift": """
            import Strata
            import StrataTestProvider

            TestResource("fine", value: "ok")
            let bad = TestResource("unreadable", value: "x")
            bad.failOn = "read"
            """])
        #expect(try cli.run(["apply", stack, "--auto-approve"]).status == 0)
        let sweep = try cli.run(["drift", stack])
        #expect(sweep.status == 1, "\(sweep.output)")
        #expect(sweep.stdout.contains("test_resource.unreadable: provider test: test_resource asked to fail on read"), "\(sweep.output)")
        let report = try json(try cli.run(["drift", stack, "--json"]).stdout)
        #expect(report["status"] as? String == "error")
        #expect((report["summary"] as? [String: Int])?["checked"] == 1)
    }

    @Test func allSweepsEveryInstanceFromTheFolderItWasAppliedFrom() throws {
        let cli = try StrataCLI()
        defer { cli.remove() }
        let stack = try cli.writeStack("Fleet", ["main.swift": """
            import Strata
            import StrataTestProvider

            TestResource("web", value: "v-\\(Stack.instance)")
            """])
        #expect(try cli.run(["apply", stack, "--auto-approve"]).status == 0)
        #expect(try cli.run(["apply", stack, "--auto-approve", "--instance", "blue"]).status == 0)
        let stored = cli.storedIDs().map { cli.store.appendingPathComponent($0 + ".json") }
        let blue = try #require(try stored.first { try value($0) == "v-blue" })
        try edit(blue) { $0["value"] = "hand-edited" }

        let all = try cli.run(["drift", "--all", "--json"])
        #expect(all.status == 2, "\(all.output)")
        let reports = try #require(try JSONSerialization.jsonObject(with: Data(all.stdout.utf8)) as? [[String: Any]])
        #expect(reports.map { "\($0["instance"] ?? "") \($0["status"] ?? "")" } == ["blue drift", "default clean"])

        // A folder that moved: found again under --stacks-root.
        let moved = cli.directory.appendingPathComponent("elsewhere")
        try FileManager.default.createDirectory(at: moved, withIntermediateDirectories: true)
        try FileManager.default.moveItem(atPath: stack, toPath: moved.appendingPathComponent("Fleet").path)
        let lost = try cli.run(["drift", "--all"])
        #expect(lost.status == 1)
        #expect(lost.stdout.contains("pass --stacks-root"), "\(lost.output)")
        let found = try cli.run(["drift", "--all", "--stacks-root", moved.path])
        #expect(found.status == 2, "\(found.output)")
    }

    // MARK: The daemon

    /// A port nobody listens on now.
    func freePort() throws -> UInt16 {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_addr.s_addr = inet_addr("127.0.0.1")
        addr.sin_port = 0
        _ = withUnsafePointer(to: &addr) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) } }
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &addr) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) } }
        return UInt16(bigEndian: addr.sin_port)
    }

    /// A webhook receiver in Python: logs "<signature ok> <status>" per POST; writes its port to `port`.
    static let receiver = """
        import hashlib, hmac, http.server, json, sys
        secret, folder = sys.argv[1].encode(), sys.argv[2]
        class Hook(http.server.BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers["Content-Length"]))
                expected = "sha256=" + hmac.new(secret, body, hashlib.sha256).hexdigest()
                ok = hmac.compare_digest(self.headers.get("X-Strata-Signature", ""), expected)
                with open(folder + "/hooks.log", "a") as f:
                    f.write("%s %s\\n" % (ok, json.loads(body)["status"]))
                self.send_response(200)
                self.end_headers()
            def log_message(self, *args):
                pass
        server = http.server.HTTPServer(("127.0.0.1", 0), Hook)
        with open(folder + "/port.tmp", "w") as f:
            f.write(str(server.server_address[1]))
        import os
        os.rename(folder + "/port.tmp", folder + "/port")
        server.serve_forever()
        """

    func curl(_ url: String) throws -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["curl", "-sf", "--max-time", "5", url]
        let out = Pipe()
        process.standardOutput = out
        try process.run()
        let data = out.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return String(decoding: data, as: UTF8.self)
    }

    @Test func theDaemonSweepsOnScheduleSurvivesErrorsServesMetricsAndStopsOnSIGTERM() throws {
        let cli = try StrataCLI()
        defer { cli.remove() }
        let stack = try cli.writeStack("Watched", ["main.swift": Self.stack])
        #expect(try cli.run(["apply", stack, "--auto-approve"]).status == 0)

        let hooks = cli.directory.appendingPathComponent("hooks")
        try FileManager.default.createDirectory(at: hooks, withIntermediateDirectories: true)
        let script = cli.directory.appendingPathComponent("receiver.py")
        try Self.receiver.write(to: script, atomically: true, encoding: .utf8)
        let receiver = Process()
        receiver.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        receiver.arguments = ["python3", script.path, "s3cret", hooks.path]
        receiver.standardOutput = FileHandle.nullDevice
        try receiver.run()
        defer {
            // SIGKILL: a SIGTERM may be ignored by what the test runner passes down to children.
            kill(receiver.processIdentifier, SIGKILL)
            receiver.waitUntilExit()
        }
        let portFile = hooks.appendingPathComponent("port")
        for _ in 0..<100 where !FileManager.default.fileExists(atPath: portFile.path) { usleep(50_000) }
        let hookPort = try String(contentsOf: portFile, encoding: .utf8)
        let metricsPort = try freePort()

        let log = cli.directory.appendingPathComponent("daemon.out")
        FileManager.default.createFile(atPath: log.path, contents: nil)
        let daemon = Process()
        daemon.executableURL = StrataCLI.binary
        daemon.arguments = ["drift", stack, "--every", "1s", "--webhook", "http://127.0.0.1:\(hookPort)/hook", "--webhook-secret", "s3cret",
                            "--webhook-when", "always", "--metrics", "127.0.0.1:\(metricsPort)"]
        daemon.currentDirectoryURL = cli.directory
        daemon.environment = cli.environment
        daemon.standardOutput = try FileHandle(forWritingTo: log)
        daemon.standardError = FileHandle.nullDevice
        try daemon.run()
        defer {
            if daemon.isRunning {
                kill(daemon.processIdentifier, SIGKILL)
                daemon.waitUntilExit()
            }
        }

        // After two sweeps, break a resource's file (its reads fail), then mend it.
        usleep(1_700_000)
        let victim = try #require(try files(cli)["test_resource.a"])
        let original = try Data(contentsOf: victim)
        try Data("not json".utf8).write(to: victim)
        usleep(1_600_000)
        try original.write(to: victim)
        usleep(3_500_000)

        let metrics = try curl("http://127.0.0.1:\(metricsPort)/metrics")
        #expect(metrics.contains("strata_drift_sweeps_total{stack=\"watched\",instance=\"default\",status=\"clean\"}"), "\(metrics)")
        #expect(metrics.contains("strata_drift_sweeps_total{stack=\"watched\",instance=\"default\",status=\"error\"}"), "\(metrics)")
        #expect(metrics.contains("strata_drift_last_success_timestamp_seconds{stack=\"watched\",instance=\"default\"}"), "\(metrics)")
        #expect(metrics.contains("strata_drift_sweep_duration_seconds_count{stack=\"watched\",instance=\"default\"}"), "\(metrics)")
        #expect(metrics.contains("# TYPE strata_drift_drifted_resources gauge"), "\(metrics)")

        kill(daemon.processIdentifier, SIGTERM)
        daemon.waitUntilExit()
        #expect(daemon.terminationStatus == 0)
        #expect(daemon.terminationReason == .exit)

        let lines = try String(contentsOf: log, encoding: .utf8).split(separator: "\n").filter { $0.hasPrefix("20") && $0.contains(" watched/default: ") }
        #expect(lines.count >= 4, "\(lines)")
        #expect(lines.contains { $0.contains(": error: ") }, "\(lines)")
        #expect(lines.last?.contains(": clean: ") == true, "it kept going after the error: \(lines)")

        let posts = try String(contentsOf: hooks.appendingPathComponent("hooks.log"), encoding: .utf8).split(separator: "\n")
        #expect(posts.count >= 3, "\(posts)")
        #expect(posts.allSatisfy { $0.hasPrefix("True ") }, "every body is signed with the secret: \(posts)")
        #expect(posts.contains("True error") && posts.contains("True clean"), "\(posts)")

        let history = try #require(try JSONSerialization.jsonObject(with: Data(try cli.run(["drift", "history", stack, "--json", "--limit", "0"]).stdout.utf8)) as? [[String: Any]])
        #expect(history.count == lines.count, "every sweep is in the history")
        #expect(try cli.run(["drift", stack]).status == 0)
    }

    /// The acceptance run: `--every 5s` for a minute. Sweeps start on the 5 s grid (never two at
    /// once), each is in the history, `/metrics` is scraped with curl, and SIGTERM stops it with
    /// status 0. (Errors and recovery are in the test above.)
    @Test func theDaemonEveryFiveSecondsForAMinuteKeepsTime() throws {
        let cli = try StrataCLI()
        defer { cli.remove() }
        let stack = try cli.writeStack("Minute", ["main.swift": Self.stack])
        #expect(try cli.run(["apply", stack, "--auto-approve"]).status == 0)
        let metricsPort = try freePort()
        let log = cli.directory.appendingPathComponent("daemon.out")
        let errors = cli.directory.appendingPathComponent("daemon.err")
        FileManager.default.createFile(atPath: log.path, contents: nil)
        FileManager.default.createFile(atPath: errors.path, contents: nil)
        let daemon = Process()
        daemon.executableURL = StrataCLI.binary
        daemon.arguments = ["drift", stack, "--every", "5s", "--metrics", "127.0.0.1:\(metricsPort)"]
        daemon.currentDirectoryURL = cli.directory
        daemon.environment = cli.environment
        daemon.standardOutput = try FileHandle(forWritingTo: log)
        daemon.standardError = try FileHandle(forWritingTo: errors)
        try daemon.run()
        defer {
            if daemon.isRunning {
                kill(daemon.processIdentifier, SIGKILL)
                daemon.waitUntilExit()
            }
        }
        let started = Date()
        func sleep(until offset: Double) { usleep(useconds_t(max(0, offset - Date().timeIntervalSince(started)) * 1_000_000)) }

        sleep(until: 61)

        let metrics = try curl("http://127.0.0.1:\(metricsPort)/metrics")
        #expect(metrics.contains("strata_drift_sweeps_total{stack=\"minute\",instance=\"default\",status=\"clean\"}"), "\(metrics)")
        #expect(metrics.contains("strata_drift_last_success_timestamp_seconds{stack=\"minute\",instance=\"default\"}"), "\(metrics)")
        kill(daemon.processIdentifier, SIGTERM)
        daemon.waitUntilExit()
        #expect(daemon.terminationStatus == 0)
        #expect(daemon.terminationReason == .exit)

        let text = try String(contentsOf: log, encoding: .utf8) + (try String(contentsOf: errors, encoding: .utf8))
        let sweeps = text.split(separator: "\n").filter { $0.hasPrefix("20") && $0.contains(" minute/default: ") }
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        let starts = sweeps.compactMap { formatter.date(from: String($0.prefix { $0 != " " })) }
        #expect(starts.count == sweeps.count && (11...13).contains(starts.count), "about 12 sweeps in a minute: \(sweeps)")
        let gaps = zip(starts.dropFirst(), starts).map { $0.timeIntervalSince($1) }
        #expect(gaps.allSatisfy { $0 > 3.5 && $0 < 6.5 }, "one sweep every 5 s, on time, never overlapping: \(gaps)")
        #expect(sweeps.allSatisfy { $0.contains(": clean: ") }, "\(sweeps)")
        let history = try #require(try JSONSerialization.jsonObject(with: Data(try cli.run(["drift", "history", stack, "--json", "--limit", "0"]).stdout.utf8)) as? [[String: Any]])
        #expect(history.count == sweeps.count, "every sweep is in the history")
    }

    @Test func badOptionsAreRefusedWithAReason() throws {
        let cli = try StrataCLI()
        defer { cli.remove() }
        let stack = try cli.writeStack("Opts", ["main.swift": Self.stack])
        let cron = try cli.run(["drift", stack, "--every", "61 * * * *"])
        #expect(cron.status != 0)
        #expect(cron.stderr.contains("minute 61 is outside 0-59"), "\(cron.output)")
        let both = try cli.run(["drift", stack, "--remediate", "--accept"])
        #expect(both.stderr.contains("pick one"), "\(both.output)")
        let none = try cli.run(["drift"])
        #expect(none.stderr.contains("--all"), "\(none.output)")
        let hook = try cli.run(["drift", stack, "--webhook", "ftp://x"])
        #expect(hook.stderr.contains("not an http:// or https:// URL"), "\(hook.output)")
    }
}
