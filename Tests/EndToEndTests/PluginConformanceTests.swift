import Foundation
import Testing

/// Every plugin we ship, written in any language, passes the same protocol checks.
@Suite("PluginConformance")
struct PluginConformanceTests {
    /// Tests/EndToEndTests/<this file> → the package root.
    static let packageRoot = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    static var buildDirectory: URL {
        if let dir = ProcessInfo.processInfo.environment["STRATA_BUILD_DIR"], !dir.isEmpty {
            return URL(fileURLWithPath: dir)
        }
        return packageRoot.appendingPathComponent(".build/debug")
    }

    @Test("strata-provider-test passes the conformance checks")
    func testProvider() async throws {
        try await check(Self.buildDirectory.appendingPathComponent("strata-provider-test"), storeVariable: "STRATA_TEST_STORE")
    }

    @Test("strata-provider-random passes the conformance checks")
    func randomProvider() async throws {
        // Random values live only in the state: read returns what it is given, delete forgets.
        try await check(
            Self.buildDirectory.appendingPathComponent("strata-provider-random"), storeVariable: nil,
            stateOnlyTypes: ["random_password", "random_id", "random_uuid"])
    }

    @Test("strata-provider-echo (Python) passes the conformance checks")
    func pythonEchoProvider() async throws {
        try await check(
            Self.packageRoot.appendingPathComponent("Plugins/python-echo/strata-provider-echo"),
            storeVariable: "STRATA_ECHO_STORE")
    }

    /// Any other plugin, in any language: `STRATA_CONFORMANCE_PLUGIN=/path/to/strata-provider-x
    /// swift test --filter PluginConformance` (its store variable, if any, is up to you).
    @Test("$STRATA_CONFORMANCE_PLUGIN passes the conformance checks",
          .enabled(if: ProcessInfo.processInfo.environment["STRATA_CONFORMANCE_PLUGIN"].map { !$0.isEmpty } ?? false))
    func pluginFromEnvironment() async throws {
        let path = ProcessInfo.processInfo.environment["STRATA_CONFORMANCE_PLUGIN"] ?? ""
        try await check(URL(fileURLWithPath: path), storeVariable: nil)
    }

    /// Runs the checker with a fresh store directory; afterwards the store must be empty again.
    func check(_ executable: URL, storeVariable: String?, stateOnlyTypes: Set<String> = []) async throws {
        guard FileManager.default.isExecutableFile(atPath: executable.path) else {
            Issue.record("\(executable.path) is not built or not executable (swift build --product \(executable.lastPathComponent))")
            return
        }
        let store = FileManager.default.temporaryDirectory
            .appendingPathComponent("strata-conformance-store-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: store, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: store) }
        var environment = ProcessInfo.processInfo.environment
        environment.removeValue(forKey: "STRATA_PLUGIN_PROTOCOL")
        if let storeVariable { environment[storeVariable] = store.path }

        let failures = try await PluginConformance(
            executable: executable, environment: environment, stateOnlyTypes: stateOnlyTypes
        ).run()
        for failure in failures { print("\(executable.lastPathComponent): \(failure)") }
        #expect(failures.isEmpty, "\(executable.lastPathComponent) failed \(failures.count) check(s):\n\(failures.joined(separator: "\n"))")

        if storeVariable != nil {
            let left = (try? FileManager.default.contentsOfDirectory(atPath: store.path)) ?? []
            #expect(left.filter { $0.hasSuffix(".json") }.isEmpty, "resources left in the store after delete: \(left)")
        }
    }
}
