import Foundation
import Testing

/// Every byte Strata writes — stdout, stderr, the state file and its WAL, plan files, the
/// compile cache, debug logs, webhook bodies — is searched for the secrets a stack handled.
/// Only `strata output --show-secrets` (the user asking) may print one.
@Suite(.serialized) struct SecretLeakTests {
    /// A webhook receiver that appends each body it gets to `bodies` in its folder.
    static let receiver = """
        import http.server, os, sys
        folder = sys.argv[1]
        class Hook(http.server.BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers["Content-Length"]))
                with open(folder + "/bodies", "ab") as f:
                    f.write(body + b"\\n")
                self.send_response(200)
                self.end_headers()
            def log_message(self, *args):
                pass
        server = http.server.HTTPServer(("127.0.0.1", 0), Hook)
        with open(folder + "/port.tmp", "w") as f:
            f.write(str(server.server_address[1]))
        os.rename(folder + "/port.tmp", folder + "/port")
        server.serve_forever()
        """

    @Test func noSecretIsWrittenAnywhereUnlessTheUserAsksForIt() throws {
        let cli = try StrataCLI()
        defer { cli.remove() }
        func secret(_ name: String) -> String { "\(name)-\(UUID().uuidString.prefix(12).lowercased())" }
        let token = secret("tok"), drifted = secret("drifted"), updated = secret("upd"), inError = secret("err")
        let stack = try cli.writeStack("Vault", ["main.swift": """
            import Strata
            import StrataRandom
            import StrataTestProvider

            let password = RandomPassword("db", length: 24, special: false)
            let db = TestResource("db", value: "postgres")
            db.secret = password.result
            let api = TestResource("api", value: "svc")
            api.secret = Expr(Stack.variable("token", default: "none")).secret
            let fail = Stack.variable("fail", default: "")
            if !fail.isEmpty { api.failOn = Expr(fail) }
            let bad = Stack.variable("bad", default: "")
            if !bad.isEmpty { api.failOn = Expr(bad).secret }
            let conn = TestResource("conn", value: "postgres://app:\\(password.result)@db")
            Stack.output("password", password.result)
            Stack.output("token", Expr(Stack.variable("token", default: "none")).secret)
            Stack.output("conn", conn.value ?? "")
            """])
        let cache = cli.directory.appendingPathComponent("cache")
        let hooks = cli.directory.appendingPathComponent("hooks")
        try FileManager.default.createDirectory(at: hooks, withIntermediateDirectories: true)
        let receiver = Process()
        receiver.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        receiver.arguments = ["python3", "-c", Self.receiver, hooks.path]
        try receiver.run()
        defer { kill(receiver.processIdentifier, SIGKILL); receiver.waitUntilExit() }
        let portFile = hooks.appendingPathComponent("port")
        for _ in 0..<100 where !FileManager.default.fileExists(atPath: portFile.path) { usleep(50_000) }
        let port = try String(contentsOf: portFile, encoding: .utf8)

        // Everything goes through the debug log, and a cache of our own to search.
        let env = ["XDG_CACHE_HOME": cache.path, "STRATA_LOG": "debug"]
        var printed: [(String, String)] = []
        @discardableResult
        func run(_ arguments: [String], expect status: Int32? = 0) throws -> StrataCLI.Result {
            let result = try cli.run(arguments, environment: env)
            if let status { #expect(result.status == status, "\(arguments): \(result.output)") }
            printed.append((arguments.joined(separator: " "), result.output))
            return result
        }
        let first = ["--var", "token=\(token)"]
        try run(["validate", stack] + first)
        try run(["validate", stack, "--json"] + first)
        try run(["plan", stack, "--out", "first.plan"] + first)
        try run(["plan", stack, "--json"] + first)
        try run(["show", "first.plan"])
        try run(["show", "first.plan", "--json"])
        try run(["apply", "first.plan"])
        try run(["show", stack])
        try run(["show", stack, "--json"])
        try run(["output", stack])
        try run(["output", stack, "--json"])
        try run(["output", stack, "password"])
        for address in ["random_password.db", "test_resource.db", "test_resource.api", "test_resource.conn"] {
            try run(["state", "show", stack, address])
            try run(["state", "show", stack, address, "--json"])
        }
        try run(["state", "list", stack])
        try run(["state", "history", stack])
        try run(["state", "history", stack, "--json"])
        try run(["plan", stack, "--detailed-exitcode"] + first)

        // Drift: the secret changed out of band, reported (and posted) without its values.
        let apiFile = try #require(cli.storedIDs().map { cli.store.appendingPathComponent($0 + ".json") }.first { url in
            ((try? JSONSerialization.jsonObject(with: Data(contentsOf: url)) as? [String: Any])?["tags"] as? [String: String])?["strata:address"] == "test_resource.api"
        })
        var object = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: apiFile)) as? [String: Any])
        var outputs = object["outputs"] as? [String: Any] ?? [:]
        outputs["secret"] = drifted
        object["outputs"] = outputs
        try JSONSerialization.data(withJSONObject: object).write(to: apiFile)
        let drift = try run(["drift", stack, "--json"] + first, expect: 2)
        #expect(drift.stdout.contains("test_resource.api"), "\(drift.output)")
        try run(["drift", stack, "--webhook", "http://127.0.0.1:\(port)/hook", "--webhook-when", "always"] + first, expect: 2)
        try run(["plan", stack, "--json"] + first)
        try run(["plan", stack] + first, expect: nil)
        try run(["drift", "history", stack])
        let sweeps = try run(["drift", "history", stack, "--json"])
        #expect(sweeps.stdout.contains("test_resource.api"), "\(sweeps.output)")
        try run(["drift", "history", stack, "--show", "1"], expect: nil)

        // A failing apply that was changing a secret, and a secret the plugin quotes in a problem.
        let second = ["--var", "token=\(updated)", "--var", "fail=update"]
        try run(["plan", stack, "--out", "second.plan"] + second)
        let failed = try run(["apply", "second.plan"], expect: 1)
        #expect(failed.output.contains("asked to fail"), "\(failed.output)")
        try run(["apply", stack, "--auto-approve"] + second, expect: 1)
        let third = ["--var", "token=\(token)", "--var", "bad=\(inError)"]
        let refused = try run(["validate", stack] + third, expect: nil)
        let planRefused = try run(["plan", stack] + third, expect: 1)
        #expect(planRefused.output.contains("failOn: '(secret)' is not one of"), "\(planRefused.output)")
        _ = refused // validate checks against the schema only; the plugin's check runs at plan
        try run(["apply", stack, "--auto-approve"] + third, expect: 1)

        // The user asking: the only place a secret may appear.
        let password = try cli.run(["output", stack, "password", "--show-secrets"], environment: env).stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(password.count == 24)
        let shownToken = try cli.run(["output", stack, "token", "--show-secrets"], environment: env).stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        // The outputs are the last apply's (the failed one declared the updated token).
        #expect(shownToken == updated)
        // The provider's own store has the values (so the search below would find them).
        #expect(files(containing: password, under: cli.store).count > 0)

        let secrets = [password, token, drifted, updated, inError]
        for secret in secrets {
            for (command, output) in printed where output.contains(secret) {
                Issue.record("`strata \(command)` printed a secret: \(output)")
            }
            // Every file: the state and its WAL, plans, the compile cache, webhook bodies. The
            // stack source and the provider's store are the user's and the provider's.
            let hits = files(containing: secret, under: cli.directory).filter { !$0.hasPrefix(cli.store.path) }
            #expect(hits.isEmpty, "\(secret) written to \(hits)")
        }
        #expect(FileManager.default.fileExists(atPath: hooks.appendingPathComponent("bodies").path), "no webhook was posted")
        #expect(FileManager.default.fileExists(atPath: cli.directory.appendingPathComponent(".strata/state.db").path))
        #expect(((try? FileManager.default.subpathsOfDirectory(atPath: cache.path)) ?? []).count > 0, "the compile cache is elsewhere")
    }

    /// Files under `dir` holding `needle`, byte for byte.
    func files(containing needle: String, under dir: URL) -> [String] {
        guard let walker = FileManager.default.enumerator(at: dir, includingPropertiesForKeys: nil) else { return [] }
        let bytes = Data(needle.utf8)
        var hits: [String] = []
        for case let file as URL in walker {
            if let data = FileManager.default.contents(atPath: file.path), data.range(of: bytes) != nil { hits.append(file.path) }
        }
        return hits
    }
}
