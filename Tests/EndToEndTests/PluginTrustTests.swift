import Foundation
import Testing

/// Plugins see only the environment their provider needs, and a stack's lock file pins each
/// plugin binary by SHA-256.
@Suite(.serialized) struct PluginTrustTests {
    /// A plugin `strata-provider-NAME` in `dir` that runs `body` (shell) and then the real plugin.
    static func wrapper(_ name: String, in dir: URL, real: String, body: String) throws {
        let file = dir.appendingPathComponent("strata-provider-\(name)")
        try? FileManager.default.removeItem(at: file)
        try "#!/bin/sh\n\(body)\nexec '\(StrataCLI.buildDirectory.appendingPathComponent("strata-provider-\(real)").path)' \"$@\"\n"
            .write(to: file, atomically: true, encoding: .utf8)
        try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: file.path)
    }

    /// `NAME=value` lines of an `env` dump.
    static func variables(_ file: URL) throws -> [String: String] {
        var out: [String: String] = [:]
        for line in try String(contentsOf: file, encoding: .utf8).split(separator: "\n") {
            guard let equals = line.firstIndex(of: "=") else { continue }
            out[String(line[..<equals])] = String(line[line.index(after: equals)...])
        }
        return out
    }

    @Test func eachPluginSeesOnlyTheVariablesItsProviderNeeds() throws {
        let cli = try StrataCLI()
        defer { cli.remove() }
        let plugins = cli.directory.appendingPathComponent("plugins")
        try FileManager.default.createDirectory(at: plugins, withIntermediateDirectories: true)
        let dumps = cli.directory.appendingPathComponent("dumps")
        try FileManager.default.createDirectory(at: dumps, withIntermediateDirectories: true)
        for name in ["test", "aws"] {
            try Self.wrapper(name, in: plugins, real: name, body: "env > '\(dumps.path)/\(name).env'")
        }
        let stack = try cli.writeStack("Mixed", ["main.swift": """
            import Strata
            import StrataAWS
            import StrataTestProvider

            let a = TestResource("a", value: "hello")
            let vpc = AWS.VPC("main", cidrBlock: "10.0.0.0/16")
            """])
        let stateKey = "state-key-\(UUID().uuidString)"
        let unrelated = "unrelated-\(UUID().uuidString)"
        let env = [
            "STRATA_STATE_KEY": stateKey, "STRATA_WEBHOOK_SECRET": "webhook-\(unrelated)", "UNRELATED_TOKEN": unrelated,
            "AWS_ACCESS_KEY_ID": "AKIDTRUSTTEST", "AWS_SECRET_ACCESS_KEY": "aws-secret-\(unrelated)", "AWS_REGION": "eu-west-1",
            "AWS_CA_BUNDLE": "/etc/ssl/certs/ca-certificates.crt", "LC_ALL": "C.UTF-8",
            // The escape hatch gives the test plugin one more variable; it cannot give it the state key.
            "STRATA_PLUGIN_ENV_TEST": "EXTRA_FOR_TEST,STRATA_STATE_KEY,UNRELATED_*", "EXTRA_FOR_TEST": "yes",
        ]
        let validate = try cli.run(["validate", stack, "--plugin-dir", plugins.path], environment: env)
        #expect(validate.status == 0, "\(validate.output)")
        let testOnly = try cli.writeStack("TestOnly", ["main.swift": "import Strata\nimport StrataTestProvider\nlet a = TestResource(\"a\", value: \"hello\")\n"])
        let apply = try cli.run(["apply", testOnly, "--plugin-dir", plugins.path, "--auto-approve"], environment: env)
        #expect(apply.status == 0, "\(apply.output)")
        // The test plugin found its store through STRATA_TEST_STORE.
        #expect(cli.storedIDs().count == 1, "\(apply.output)")

        let test = try Self.variables(dumps.appendingPathComponent("test.env"))
        let aws = try Self.variables(dumps.appendingPathComponent("aws.env"))
        for seen in [test, aws] {
            #expect(seen["STRATA_PLUGIN_PROTOCOL"] == "1")
            #expect(seen["PATH"] != nil && seen["HOME"] != nil && seen["LC_ALL"] == "C.UTF-8")
            for withheld in ["STRATA_STATE_KEY", "STRATA_WEBHOOK_SECRET", "STRATA_PLUGIN_ENV_TEST"] {
                #expect(seen[withheld] == nil, "\(withheld) reached a plugin")
            }
            #expect(!seen.values.contains { $0.contains(stateKey) }, "the state key reached a plugin")
        }
        #expect(test["STRATA_TEST_STORE"] == cli.store.path)
        #expect(test["EXTRA_FOR_TEST"] == "yes" && test["UNRELATED_TOKEN"] == unrelated, "the escape hatch: \(test.keys.sorted())")
        #expect(test.keys.allSatisfy { !$0.hasPrefix("AWS_") }, "AWS variables reached the test plugin: \(test.keys.sorted())")
        #expect(aws["AWS_ACCESS_KEY_ID"] == "AKIDTRUSTTEST" && aws["AWS_SECRET_ACCESS_KEY"] == "aws-secret-\(unrelated)")
        #expect(aws["AWS_REGION"] == "eu-west-1" && aws["AWS_CA_BUNDLE"] != nil)
        #expect(aws["UNRELATED_TOKEN"] == nil && aws["EXTRA_FOR_TEST"] == nil && aws["STRATA_TEST_STORE"] == nil, "\(aws.keys.sorted())")
    }

    @Test func aSwappedPluginBinaryIsRefusedBeforeItStartsUntilRelocked() throws {
        let cli = try StrataCLI()
        defer { cli.remove() }
        let plugins = cli.directory.appendingPathComponent("plugins")
        try FileManager.default.createDirectory(at: plugins, withIntermediateDirectories: true)
        let pluginFile = plugins.appendingPathComponent("strata-provider-test")
        try FileManager.default.copyItem(at: StrataCLI.buildDirectory.appendingPathComponent("strata-provider-test"), to: pluginFile)
        let stack = try cli.writeStack("Pinned", ["main.swift": """
            import Strata
            import StrataTestProvider

            let a = TestResource("a", value: Expr(Stack.variable("value", default: "one")))
            """])
        let dir = ["--plugin-dir", plugins.path]

        let lock = try cli.run(["providers", "lock", stack] + dir)
        #expect(lock.status == 0, "\(lock.output)")
        let lockFile = URL(fileURLWithPath: stack).appendingPathComponent("strata.lock.json")
        let locked = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: lockFile)) as? [String: Any])
        let entry = try #require((locked["providers"] as? [String: Any])?["test"] as? [String: Any])
        let expected = try #require(entry["sha256"] as? String)
        #expect(expected.count == 64 && entry["version"] as? String == "0.1.0" && entry["path"] as? String == pluginFile.path)

        let first = try cli.run(["apply", stack, "--auto-approve"] + dir)
        #expect(first.status == 0, "\(first.output)")
        let plan = try cli.run(["plan", stack, "--var", "value=two", "--out", "two.plan"] + dir)
        #expect(plan.status == 0, "\(plan.output)")

        // Swapped for a copy of another plugin: refused, naming the plugin and both hashes.
        try FileManager.default.removeItem(at: pluginFile)
        try FileManager.default.copyItem(at: StrataCLI.buildDirectory.appendingPathComponent("strata-provider-random"), to: pluginFile)
        let swapped = try cli.run(["plan", stack] + dir)
        #expect(swapped.status != 0)
        #expect(swapped.stderr.contains("'test'") && swapped.stderr.contains(expected), "\(swapped.output)")
        #expect(swapped.stderr.contains("strata providers lock"), "\(swapped.output)")
        #expect(!swapped.stderr.contains("no resource type"), "the swapped plugin was started: \(swapped.output)")

        // A binary that behaves the same but differs is refused too, before it runs: by a
        // direct apply (recovery starts plugins before the stack loads), a saved plan, validate.
        let marker = cli.directory.appendingPathComponent("started")
        try Self.wrapper("test", in: plugins, real: "test", body: "touch '\(marker.path)'")
        for arguments in [["apply", stack, "--auto-approve"], ["apply", "two.plan"], ["validate", stack], ["destroy", stack, "--auto-approve"]] {
            let refused = try cli.run(arguments + dir)
            #expect(refused.status != 0 && refused.stderr.contains("refusing to start provider plugin 'test'"), "\(arguments): \(refused.output)")
            #expect(!FileManager.default.fileExists(atPath: marker.path), "\(arguments) started the swapped plugin")
        }
        let actual = try #require(swappedHash(try cli.run(["plan", stack] + dir).stderr))
        #expect(actual != expected)

        // Re-locked: the new binary is pinned and runs.
        let relock = try cli.run(["providers", "lock", stack] + dir)
        #expect(relock.status == 0 && relock.stdout.contains(actual) && relock.stdout.contains("changed"), "\(relock.output)")
        let again = try cli.run(["apply", stack, "--var", "value=two", "--auto-approve"] + dir)
        #expect(again.status == 0, "\(again.output)")
        #expect(FileManager.default.fileExists(atPath: marker.path))

        // A provider the lock does not pin is refused until locked.
        try cli.writeStack("Pinned", ["main.swift": """
            import Strata
            import StrataRandom
            import StrataTestProvider

            let a = TestResource("a", value: "two")
            let pet = RandomID("pet", byteLength: 4)
            """])
        let unpinned = try cli.run(["plan", stack] + dir)
        #expect(unpinned.status != 0 && unpinned.stderr.contains("provider 'random'") && unpinned.stderr.contains("strata providers lock"), "\(unpinned.output)")
        #expect(try cli.run(["providers", "lock", stack] + dir).status == 0)
        let pinned = try cli.run(["plan", stack] + dir)
        #expect(pinned.status == 0, "\(pinned.output)")
    }

    /// The actual hash a refusal quotes ("its SHA-256 is …,").
    func swappedHash(_ text: String) -> String? {
        guard let range = text.range(of: "its SHA-256 is ") else { return nil }
        return String(text[range.upperBound...].prefix(64))
    }
}
