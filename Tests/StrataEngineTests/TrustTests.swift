import Foundation
import StrataModel
import Testing

@testable import StrataEngine

/// The plugin environment, the plugin pins and the redaction of secrets, without processes.
@Suite struct TrustTests {
    let engineEnvironment = [
        "PATH": "/usr/bin", "HOME": "/home/me", "LANG": "C.UTF-8", "LC_TIME": "C", "TZ": "UTC", "TMPDIR": "/tmp",
        "STRATA_LOG": "debug", "STRATA_STATE_KEY": "k", "STRATA_STATE_KEY_FILE": "/k", "STRATA_WEBHOOK_SECRET": "w",
        "STRATA_PLUGIN_PATH": "/p", "STRATA_TEST_STORE": "/s", "STRATA_ECHO_STORE": "/e",
        "AWS_ACCESS_KEY_ID": "AKID", "AWS_SECRET_ACCESS_KEY": "s", "AWS_PROFILE": "p", "AWS_CA_BUNDLE": "/ca", "HTTPS_PROXY": "http://proxy",
        "GITHUB_TOKEN": "ghp", "DATABASE_URL": "postgres://", "GOOGLE_CREDENTIALS": "{}", "CLOUDSDK_CONFIG": "/g",
    ]

    @Test func theAWSPluginGetsTheBaseAndAWSVariablesOnly() {
        let env = PluginEnvironment(plugin: "aws", environment: engineEnvironment).scrub(engineEnvironment)
        #expect(Set(env.keys) == ["PATH", "HOME", "LANG", "LC_TIME", "TZ", "TMPDIR", "STRATA_LOG", "STRATA_PLUGIN_PROTOCOL",
                                  "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_PROFILE", "AWS_CA_BUNDLE", "HTTPS_PROXY"])
    }

    @Test func aPluginGetsItsOwnNamespaceAndNoOneElses() {
        let test = PluginEnvironment(plugin: "test", environment: engineEnvironment).scrub(engineEnvironment)
        #expect(test["STRATA_TEST_STORE"] == "/s" && test["STRATA_ECHO_STORE"] == nil && test["AWS_ACCESS_KEY_ID"] == nil)
        let random = PluginEnvironment(plugin: "random", environment: engineEnvironment).scrub(engineEnvironment)
        #expect(random.keys.allSatisfy { !$0.hasPrefix("STRATA_") || $0 == "STRATA_LOG" || $0 == "STRATA_PLUGIN_PROTOCOL" })
        #expect(PluginEnvironment.variableName(of: "my-cloud.v2") == "MY_CLOUD_V2")
    }

    @Test func theEscapeHatchAddsVariablesButNeverTheEngineSecrets() {
        var environment = engineEnvironment
        environment["STRATA_PLUGIN_ENV_GCP"] = "GOOGLE_*, CLOUDSDK_CONFIG,STRATA_STATE_KEY,STRATA_*"
        let gcp = PluginEnvironment(plugin: "gcp", environment: environment).scrub(environment)
        #expect(gcp["GOOGLE_CREDENTIALS"] == "{}" && gcp["CLOUDSDK_CONFIG"] == "/g")
        #expect(gcp["STRATA_TEST_STORE"] == "/s", "STRATA_* asked for, and given, except the withheld")
        for withheld in ["STRATA_STATE_KEY", "STRATA_STATE_KEY_FILE", "STRATA_WEBHOOK_SECRET", "STRATA_PLUGIN_PATH", "STRATA_PLUGIN_ENV_GCP"] {
            #expect(gcp[withheld] == nil, "\(withheld)")
        }
        #expect(gcp["GITHUB_TOKEN"] == nil && gcp["DATABASE_URL"] == nil)
        // A plugin named like an engine namespace gets nothing of it.
        let state = PluginEnvironment(plugin: "state", environment: engineEnvironment).scrub(engineEnvironment)
        #expect(state["STRATA_STATE_KEY"] == nil && state["STRATA_STATE_KEY_FILE"] == nil)
    }

    @Test func redactionHidesEverySecretInputTextLongestFirst() {
        let redaction = Redaction(["a": .secret(.string("hunter22")), "b": .secret(.string("hunter22-more")), "c": .string("visible"),
                                   "d": .secret(.string("abc")), "e": .list([.secret(.map(["k": .string("nested-secret")]))])])
        #expect(redaction.redact("failOn: 'hunter22-more' / hunter22 / nested-secret / visible / abc")
                    == "failOn: '(secret)' / (secret) / (secret) / visible / abc")
        #expect(Redaction(["a": .string("plain")]).isEmpty)
    }

    @Test func whatAPluginSaysBackHidesTheSecretsItWasSent() async throws {
        let client = try PluginClient(name: "x", executable: URL(fileURLWithPath: "/bin/true"), environment: [:],
                                      workingDirectory: FileManager.default.temporaryDirectory)
        #expect(client.redact("nothing sent yet: hunter22") == "nothing sent yet: hunter22")
        let plain = client.reveal(["password": .secret(.string("hunter22")), "name": .string("db")])
        #expect(plain == ["password": .string("hunter22"), "name": .string("db")])
        #expect(client.redact("cannot set password hunter22 on db") == "cannot set password (secret) on db")
        await client.shutdown()
    }

    @Test func anOutputHoldingASecretInputIsMarkedSecret() {
        let inputs: [String: Value] = ["value": .template([.string("postgres://app:"), .secret(.string("pw-123456")), .string("@db")]),
                                       "short": .secret(.string("ab"))]
        let outputs: [String: Value] = ["value": .string("postgres://app:pw-123456@db"), "result": .string("postgres://app:pw-123456@db"),
                                        "id": .string("t-1"), "other": .string("abab"), "tags": .map(["pw-123456": .string("x")])]
        let kept = Executor.secretsKept(outputs, inputs: inputs)
        #expect(kept["value"]?.containsSecret == true && kept["result"]?.containsSecret == true && kept["tags"]?.containsSecret == true)
        #expect(kept["id"] == .string("t-1") && kept["other"] == .string("abab"))
    }

    @Test func pinsRefuseABinaryThatDiffersBeforeAndAfterItStarted() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("strata-pins-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let plugin = dir.appendingPathComponent("strata-provider-x")
        try Data("one".utf8).write(to: plugin)
        let digest = try PluginDigests.sha256(of: plugin)
        #expect(digest == SHA256Hasher.hex(Data("one".utf8)))

        let pins = PluginPins()
        let good = ProviderLock(providers: ["x": .init(version: "1", path: plugin.path, sha256: digest)])
        try pins.require(good, stack: dir, displayPath: "S", uses: ["x"])
        try pins.verify("x", executable: plugin)
        #expect(throws: ProviderLockError.notLocked(provider: "y", lockFile: dir.appendingPathComponent("strata.lock.json").path, stack: "S")) {
            try pins.require(good, stack: dir, displayPath: "S", uses: ["x", "y"])
        }
        // Replaced in place (new size and mtime): hashed again and refused.
        try Data("two!".utf8).write(to: plugin)
        #expect(throws: ProviderLockError.self) { try pins.verify("x", executable: plugin) }

        // A lock learned after the plugin started (another stack of the same run) is checked too.
        let late = PluginPins()
        try late.verify("x", executable: plugin)
        let stale = ProviderLock(providers: ["x": .init(version: "1", path: plugin.path, sha256: digest)])
        #expect(throws: ProviderLockError.self) { try late.require(stale, stack: dir, displayPath: "S") }

        // Written and read back.
        try good.write(stack: dir)
        #expect(try ProviderLock.load(stack: dir) == good)
        try Data("{\"version\": 9, \"providers\": {}}".utf8).write(to: ProviderLock.url(forStack: dir))
        #expect(throws: ProviderLockError.self) { try ProviderLock.load(stack: dir) }
    }
}
