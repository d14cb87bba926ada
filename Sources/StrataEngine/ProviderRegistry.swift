import Foundation
import StrataModel
import StrataPluginKit

/// Where plugins are looked for, in order.
public struct PluginSearchPath: Sendable {
    public var directories: [URL]

    public init(extra: [String] = [], environment: [String: String] = ProcessInfo.processInfo.environment) {
        var dirs = extra.map { URL(fileURLWithPath: $0) }
        if let path = environment["STRATA_PLUGIN_PATH"] {
            dirs += path.split(separator: ":").map { URL(fileURLWithPath: String($0)) }
        }
        if let exeDir = ExecutableLocation.directory { dirs.append(exeDir) }
        if let home = environment["HOME"] {
            dirs.append(URL(fileURLWithPath: home).appendingPathComponent(".strata/plugins"))
        }
        directories = dirs
    }

    public static let prefix = "strata-provider-"

    /// Every plugin found, by provider name (the first found wins).
    public func discover() -> [String: URL] {
        var found: [String: URL] = [:]
        for dir in directories {
            guard let names = try? FileManager.default.contentsOfDirectory(atPath: dir.path) else { continue }
            for name in names.sorted() where name.hasPrefix(Self.prefix) {
                let provider = String(name.dropFirst(Self.prefix.count))
                let url = dir.appendingPathComponent(name)
                if found[provider] == nil, FileManager.default.isExecutableFile(atPath: url.path),
                    !provider.contains(".")
                {
                    found[provider] = url
                }
            }
        }
        return found
    }

    public func locate(_ provider: String) -> URL? {
        for dir in directories {
            let url = dir.appendingPathComponent(Self.prefix + provider)
            if FileManager.default.isExecutableFile(atPath: url.path) { return url }
        }
        return nil
    }
}

/// The directory of the running `strata` executable, read from /proc/self/exe (never argv[0]).
public enum ExecutableLocation {
    public static let directory: URL? = {
        if let path = try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe") {
            return URL(fileURLWithPath: path).deletingLastPathComponent()
        }
        return Bundle.main.executableURL?.deletingLastPathComponent()
    }()
}

public enum ProviderError: Error, Sendable, CustomStringConvertible {
    case notFound(String, searched: [URL])
    case startFailed(String, String)
    case protocolMismatch(String, Int)

    public var description: String {
        switch self {
        case .notFound(let name, let searched):
            return "no plugin for provider '\(name)': looked for strata-provider-\(name) in \(searched.map(\.path).joined(separator: ", ")). Install it there or pass --plugin-dir."
        case .startFailed(let name, let detail): return "provider \(name) failed to start: \(detail)"
        case .protocolMismatch(let name, let version):
            return "provider \(name) speaks plugin protocol v\(version); this strata speaks v\(PluginProtocol.version). Upgrade one of them."
        }
    }
}

/// A started plugin: its client, its schema and its concurrency limit.
public struct ProviderHandle: Sendable {
    public let name: String
    public let client: PluginClient
    public let schema: ProviderSchema
    public let limiter: AsyncLimiter?
}

/// Owns every plugin process of a run: starts each on first use, restarts one that died,
/// and stops them all at the end.
public actor ProviderRegistry {
    public nonisolated let searchPath: PluginSearchPath
    public nonisolated let workingDirectory: URL
    public nonisolated let callTimeout: Double
    /// The lock files this run enforces; checked before each plugin starts.
    public nonisolated let pins: PluginPins
    private var handles: [String: ProviderHandle] = [:]
    private var starting: [String: Task<ProviderHandle, any Error>] = [:]
    private var all: [PluginClient] = []
    private let progress: (@Sendable (String, Int, String) -> Void)?

    public init(searchPath: PluginSearchPath, workingDirectory: URL, callTimeout: Double = 600, pins: PluginPins = PluginPins(),
                progress: (@Sendable (String, Int, String) -> Void)? = nil) {
        self.searchPath = searchPath
        self.pins = pins
        self.workingDirectory = workingDirectory
        self.callTimeout = callTimeout
        self.progress = progress
    }

    private var configurations: [String: [String: Value]] = [:]

    /// The stack's provider configurations; an instance started afterwards is sent its
    /// `configure` (an instance already running keeps what it had).
    public func configure(_ instances: [ProviderInstance]) {
        for instance in instances { configurations[instance.key] = instance.config }
    }

    /// The running plugin for a provider instance (`test`, `aws.eu`), started on first use.
    public func provider(_ name: String) async throws -> ProviderHandle {
        if let handle = handles[name], handle.client.isAlive { return handle }
        if let task = starting[name] { return try await task.value }
        let task = Task { try await self.start(name) }
        starting[name] = task
        defer { starting[name] = nil }
        let handle = try await task.value
        handles[name] = handle
        return handle
    }

    /// The schemas of every provider instance `keys` lists, started in parallel, by plugin
    /// name (every instance of a plugin has the same schema).
    public func schemas(for keys: Set<String>) async throws -> [String: ProviderSchema] {
        try await withThrowingTaskGroup(of: (String, ProviderSchema).self) { group in
            for key in keys { group.addTask { (ProviderInstance.pluginName(ofKey: key), try await self.provider(key).schema) } }
            var out: [String: ProviderSchema] = [:]
            for try await (name, schema) in group { out[name] = schema }
            return out
        }
    }

    private func start(_ key: String) async throws -> ProviderHandle {
        let name = ProviderInstance.pluginName(ofKey: key)
        guard let url = searchPath.locate(name) else {
            throw ProviderError.notFound(name, searched: searchPath.directories)
        }
        // Before it runs: a binary the stack's lock does not pin is refused.
        try pins.verify(name, executable: url)
        var onProgress: (@Sendable (Int, String) -> Void)? = nil
        if let report = progress {
            onProgress = { id, message in report(name, id, message) }
        }
        let client: PluginClient
        do {
            client = try PluginClient(
                name: name, executable: url, environment: PluginEnvironment(plugin: name).scrub(ProcessInfo.processInfo.environment),
                workingDirectory: workingDirectory, onProgress: onProgress)
        } catch {
            throw ProviderError.startFailed(name, "\(error)")
        }
        all.append(client)
        let schema: ProviderSchema
        do {
            schema = try await client.call(.initialize, InitializeRequest(engineVersion: StrataVersion.current), as: ProviderSchema.self, timeout: 30)
        } catch {
            throw ProviderError.startFailed(name, "\(error)")
        }
        guard schema.protocolVersion == PluginProtocol.version else {
            throw ProviderError.protocolMismatch(name, schema.protocolVersion)
        }
        if let config = configurations[key] {
            do {
                _ = try await client.call(.configure, ConfigureRequest(config: client.reveal(config)), as: EmptyResponse.self, timeout: 60)
            } catch let error as PluginCallError where error.kind == .unsupported {
                if !config.isEmpty { throw ProviderError.startFailed(key, "it takes no configuration, and the stack gives it some") }
            } catch {
                throw ProviderError.startFailed(key, "configure: \(error)")
            }
        }
        let limiter = schema.maxParallelism.map { AsyncLimiter(limit: max(1, $0)) }
        return ProviderHandle(name: key, client: client, schema: schema, limiter: limiter)
    }

    public func shutdownAll() async {
        let clients = all
        all = []
        handles = [:]
        await withTaskGroup(of: Void.self) { group in
            for client in clients { group.addTask { await client.shutdown() } }
        }
    }

    public func killAll() {
        for client in all { client.kill() }
    }
}

public enum StrataVersion {
    public static let current = "0.1.0"
}

/// A counting semaphore for async code: at most `limit` holders at once.
public actor AsyncLimiter {
    private let limit: Int
    private var inUse = 0
    private var waiters: [CheckedContinuation<Void, Never>] = []

    public init(limit: Int) { self.limit = limit }

    public func acquire() async {
        if inUse < limit {
            inUse += 1
            return
        }
        await withCheckedContinuation { waiters.append($0) }
    }

    public func release() {
        if !waiters.isEmpty {
            waiters.removeFirst().resume()
        } else {
            inUse -= 1
        }
    }
}
