import Foundation
import StrataModel
import Synchronization

/// The lock file `strata.lock.json` in a stack's folder: the SHA-256 of each provider plugin
/// the stack uses, written by `strata providers lock STACK` and checked by every run.
///
/// Like Terraform's `.terraform.lock.hcl` it lives with the stack's code (so it is reviewed and
/// committed with it, and each stack pins its own plugins), not in `.strata/` beside the state
/// (which is per working directory and not committed).
public struct ProviderLock: Codable, Sendable, Equatable {
    /// One pinned plugin.
    public struct Entry: Codable, Sendable, Equatable {
        /// The plugin's own version, as its schema says (for people; not checked).
        public var version: String
        /// Where the plugin was found when locked (for people; not checked: a binary with the
        /// same hash elsewhere is the same plugin).
        public var path: String
        /// Lower-case hex SHA-256 of the executable file.
        public var sha256: String

        public init(version: String, path: String, sha256: String) {
            self.version = version
            self.path = path
            self.sha256 = sha256
        }
    }

    public static let fileName = "strata.lock.json"
    public static let formatVersion = 1

    /// The format of the file: 1.
    public var version: Int
    /// By plugin name (`aws`, not `aws.eu`: every instance runs the same binary).
    public var providers: [String: Entry]

    public init(providers: [String: Entry]) {
        self.version = Self.formatVersion
        self.providers = providers
    }

    public static func url(forStack directory: URL) -> URL {
        directory.appendingPathComponent(fileName)
    }

    /// The stack's lock, or nil when it has none.
    public static func load(stack directory: URL) throws -> ProviderLock? {
        let file = url(forStack: directory)
        guard let data = FileManager.default.contents(atPath: file.path) else { return nil }
        let lock: ProviderLock
        do {
            lock = try JSONDecoder().decode(ProviderLock.self, from: data)
        } catch {
            throw ProviderLockError.unreadable(file: file.path, detail: "\(error)", stack: directory.path)
        }
        guard lock.version == formatVersion else {
            throw ProviderLockError.unreadable(file: file.path, detail: "format version \(lock.version); this strata reads version \(formatVersion)", stack: directory.path)
        }
        return lock
    }

    /// Writes the lock, whole, through a temporary file renamed into place.
    public func write(stack directory: URL) throws {
        let file = Self.url(forStack: directory)
        var data = try StrataJSON.encode(self, pretty: true)
        data.append(0x0A)
        try data.write(to: file, options: .atomic)
    }
}

/// Why a run refuses a plugin because of the lock file.
public enum ProviderLockError: Error, Sendable, CustomStringConvertible, Equatable {
    /// The plugin's binary is not the one locked.
    case mismatch(provider: String, path: String, expected: String, actual: String, lockFile: String, stack: String)
    /// The stack uses a provider its lock file does not list.
    case notLocked(provider: String, lockFile: String, stack: String)
    case unreadable(file: String, detail: String, stack: String)
    case cannotHash(provider: String, path: String, detail: String)

    public var description: String {
        switch self {
        case .mismatch(let provider, let path, let expected, let actual, let lockFile, let stack):
            return "refusing to start provider plugin '\(provider)' (\(path)): its SHA-256 is \(actual), but \(lockFile) expects \(expected). "
                + "If you replaced the plugin on purpose, pin the new binary with `strata providers lock \(stack)` (with the same --plugin-dir options)."
        case .notLocked(let provider, let lockFile, let stack):
            return "the stack uses provider '\(provider)', which \(lockFile) does not pin: run `strata providers lock \(stack)` to add it."
        case .unreadable(let file, let detail, let stack):
            return "cannot read the provider lock file \(file): \(detail). Fix it, or write it again with `strata providers lock \(stack)`."
        case .cannotHash(let provider, let path, let detail):
            return "cannot read provider plugin '\(provider)' (\(path)) to check its SHA-256: \(detail)"
        }
    }
}

/// SHA-256 of plugin files, each hashed once per process (keyed by path, size, mtime and inode,
/// so a file replaced in place is hashed again).
public enum PluginDigests {
    struct Stamp: Hashable {
        var size: UInt64
        var modified: Double
        var inode: UInt64
    }

    private static let cache = Mutex([String: (Stamp, String)]())

    /// The file's SHA-256 as lower-case hex.
    public static func sha256(of file: URL) throws -> String {
        let path = file.resolvingSymlinksInPath().path
        let attributes = try FileManager.default.attributesOfItem(atPath: path)
        let stamp = Stamp(
            size: (attributes[.size] as? NSNumber)?.uint64Value ?? 0,
            modified: (attributes[.modificationDate] as? Date)?.timeIntervalSince1970 ?? 0,
            inode: (attributes[.systemFileNumber] as? NSNumber)?.uint64Value ?? 0)
        if let (cachedStamp, digest) = cache.withLock({ $0[path] }), cachedStamp == stamp { return digest }
        guard let handle = FileHandle(forReadingAtPath: path) else {
            throw CocoaError(.fileReadNoPermission, userInfo: [NSFilePathErrorKey: path])
        }
        defer { try? handle.close() }
        var hasher = SHA256Hasher()
        while let chunk = try handle.read(upToCount: 1 << 20), !chunk.isEmpty {
            hasher.update(chunk)
        }
        let digest = hasher.finalize()
        cache.withLock { $0[path] = (stamp, digest) }
        return digest
    }
}

/// The pins a run enforces: every lock file of the stacks it works on, and the hash of every
/// plugin it started. Shared by the registries of one run (a fleet's tenants).
public final class PluginPins: Sendable {
    struct Requirement: Sendable {
        var sha256: String
        var lockFile: String
        var stack: String
    }

    private struct State {
        var requirements: [String: [Requirement]] = [:]
        /// Plugins started so far: name → (path, sha256 if it was hashed).
        var started: [String: (String, String?)] = [:]
    }

    private let state = Mutex(State())

    public init() {}

    /// Adds a stack's lock: every provider `uses` names must be in it, and every plugin already
    /// started must match it.
    public func require(_ lock: ProviderLock, stack directory: URL, displayPath: String, uses: Set<String> = []) throws {
        let lockFile = ProviderLock.url(forStack: directory).path
        for name in uses.sorted() where lock.providers[name] == nil {
            throw ProviderLockError.notLocked(provider: name, lockFile: lockFile, stack: displayPath)
        }
        // A plugin started before this lock was known (by another stack of the same run) must
        // match it too.
        let started = state.withLock { $0.started }
        for (name, (path, known)) in started.sorted(by: { $0.key < $1.key }) {
            guard let entry = lock.providers[name] else { continue }
            let actual: String
            if let known { actual = known } else {
                do { actual = try PluginDigests.sha256(of: URL(fileURLWithPath: path)) } catch {
                    throw ProviderLockError.cannotHash(provider: name, path: path, detail: "\(error)")
                }
            }
            if actual != entry.sha256 {
                throw ProviderLockError.mismatch(provider: name, path: path, expected: entry.sha256, actual: actual, lockFile: lockFile, stack: displayPath)
            }
        }
        state.withLock { s in
            for (name, entry) in lock.providers {
                let requirement = Requirement(sha256: entry.sha256, lockFile: lockFile, stack: displayPath)
                if !(s.requirements[name] ?? []).contains(where: { $0.lockFile == lockFile && $0.sha256 == entry.sha256 }) {
                    s.requirements[name, default: []].append(requirement)
                }
            }
        }
    }

    /// Reads the stack's lock file, if it has one, and requires it.
    public func requireLock(ofStack directory: URL, displayPath: String? = nil, uses: Set<String> = []) throws {
        guard let lock = try ProviderLock.load(stack: directory) else { return }
        try require(lock, stack: directory, displayPath: displayPath ?? directory.path, uses: uses)
    }

    /// Checks a plugin binary before it is started; throws when a lock pins another hash.
    /// Hashes only when some lock pins the plugin.
    public func verify(_ name: String, executable: URL) throws {
        let requirements = state.withLock { $0.requirements[name] ?? [] }
        guard !requirements.isEmpty else {
            state.withLock { $0.started[name] = (executable.path, nil) }
            return
        }
        let actual: String
        do {
            actual = try Timings.measure("plugin \(name): sha256") { try PluginDigests.sha256(of: executable) }
        } catch {
            throw ProviderLockError.cannotHash(provider: name, path: executable.path, detail: "\(error)")
        }
        if let failed = requirements.first(where: { $0.sha256 != actual }) {
            throw ProviderLockError.mismatch(provider: name, path: executable.path, expected: failed.sha256, actual: actual, lockFile: failed.lockFile, stack: failed.stack)
        }
        state.withLock { $0.started[name] = (executable.path, actual) }
    }
}
