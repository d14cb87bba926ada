import Foundation
import Testing

/// Runs the built `strata` binary in a scratch folder of its own, as a user would.
struct StrataCLI {
    struct Result {
        var status: Int32
        var stdout: String
        var stderr: String
        var output: String { stdout + stderr }
    }

    static let packageRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    static let buildDirectory: URL = {
        if let dir = ProcessInfo.processInfo.environment["STRATA_BUILD_DIR"] { return URL(fileURLWithPath: dir) }
        return packageRoot.appendingPathComponent(".build/debug")
    }()
    static var binary: URL { buildDirectory.appendingPathComponent("strata") }

    /// The scratch folder: the state and the test provider's store live under it.
    let directory: URL
    var environment: [String: String]

    init() throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("strata-e2e-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        var env = ProcessInfo.processInfo.environment
        env["NO_COLOR"] = "1"
        env["STRATA_TEST_STORE"] = directory.appendingPathComponent("store").path
        env.removeValue(forKey: "STRATA_TEST_CRASH_AFTER_CREATES")
        // The suite's long in-process PostgreSQL timeout is not for the strata runs it starts.
        env.removeValue(forKey: "STRATA_PG_CALL_TIMEOUT")
        environment = env
    }

    var store: URL { directory.appendingPathComponent("store") }

    /// The ids of the test provider's resources that exist now.
    func storedIDs() -> Set<String> {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: store.path)) ?? []
        return Set(names.filter { $0.hasSuffix(".json") }.map { String($0.dropLast(5)) })
    }

    /// Writes a stack folder `name` with these files and returns its path.
    @discardableResult
    func writeStack(_ name: String, _ files: [String: String]) throws -> String {
        let dir = directory.appendingPathComponent(name)
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        for (file, text) in files {
            try text.write(to: dir.appendingPathComponent(file), atomically: true, encoding: .utf8)
        }
        return dir.path
    }

    @discardableResult
    func run(_ arguments: [String], environment extra: [String: String] = [:]) throws -> Result {
        let process = Process()
        process.executableURL = StrataCLI.binary
        process.arguments = arguments
        process.currentDirectoryURL = directory
        process.environment = environment.merging(extra) { _, new in new }
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        process.standardInput = FileHandle.nullDevice
        try process.run()
        nonisolated(unsafe) var outData = Data()
        let group = DispatchGroup()
        group.enter()
        DispatchQueue.global().async {
            outData = out.fileHandleForReading.readDataToEndOfFile()
            group.leave()
        }
        let errData = err.fileHandleForReading.readDataToEndOfFile()
        group.wait()
        process.waitUntilExit()
        return Result(status: process.terminationStatus, stdout: String(decoding: outData, as: UTF8.self), stderr: String(decoding: errData, as: UTF8.self))
    }

    /// Starts `strata` without waiting (to kill it).
    func start(_ arguments: [String], environment extra: [String: String] = [:]) throws -> Process {
        let process = Process()
        process.executableURL = StrataCLI.binary
        process.arguments = arguments
        process.currentDirectoryURL = directory
        process.environment = environment.merging(extra) { _, new in new }
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        process.standardInput = FileHandle.nullDevice
        try process.run()
        return process
    }

    func remove() {
        try? FileManager.default.removeItem(at: directory)
    }
}

/// A layered stack of `test` resources: `layers` × `width`, each on two of the layer before.
func layeredStack(width: Int, layers: Int, latencyMs: Int, value: String = "v") -> String {
    """
    import Strata
    import StrataTestProvider

    let width = \(width)
    var previous: [TestResource] = []
    for k in 0..<\(layers) {
        var current: [TestResource] = []
        for i in 0..<width {
            let inputs = k == 0 ? [] : [previous[i].id, previous[(i + 1) % width].id]
            current.append(TestResource("l\\(k)_\\(i)", value: "\(value)\\(k)_\\(i)", inputs: inputs, latencyMs: \(latencyMs)))
        }
        previous = current
    }
    """
}
