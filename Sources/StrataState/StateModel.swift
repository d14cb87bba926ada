import Foundation
import StrataModel

/// Which state: one per stack and instance (`demo/default`, `tenant/acme`).
public struct InstanceKey: Sendable, Hashable, Codable, CustomStringConvertible {
    public var stack: String
    public var instance: String
    public init(stack: String, instance: String) {
        self.stack = stack
        self.instance = instance
    }
    public var description: String { "\(stack)/\(instance)" }
}

/// One resource as the state records it.
public struct ResourceState: Sendable, Hashable, Codable {
    public var address: ResourceAddress
    public var type: String { address.type }
    public var provider: String
    /// The provider's id for it.
    public var id: String
    /// The inputs it was last created or updated with (references resolved).
    public var inputs: [String: Value]
    /// Every attribute as the provider last reported it (inputs and computed ones).
    public var outputs: [String: Value]
    public var dependencies: [ResourceAddress]
    /// A newer copy replaced this one under create-before-destroy; this one awaits delete.
    public var deposed: Bool
    /// The resolved `replaceWhen` values it was made with; a change replaces it.
    public var triggers: [Value]? = nil

    public init(
        address: ResourceAddress, provider: String, id: String, inputs: [String: Value],
        outputs: [String: Value], dependencies: [ResourceAddress], deposed: Bool = false
    ) {
        self.address = address
        self.provider = provider
        self.id = id
        self.inputs = inputs
        self.outputs = outputs
        self.dependencies = dependencies
        self.deposed = deposed
    }
}

/// The whole recorded state of one instance at one serial.
public struct StateSnapshot: Sendable, Hashable, Codable {
    public var key: InstanceKey
    /// Grows by one with every write; a saved plan records it and is refused once it moved.
    public var serial: Int
    /// A random id given when the instance's state is first created; never changes.
    public var lineage: String
    public var resources: [ResourceState]
    public var outputs: [String: ManifestOutput]

    public init(key: InstanceKey, serial: Int, lineage: String, resources: [ResourceState], outputs: [String: ManifestOutput]) {
        self.key = key
        self.serial = serial
        self.lineage = lineage
        self.resources = resources
        self.outputs = outputs
    }
}

/// One write, applied in one transaction: it bumps the serial by one and adds a history row.
public enum StateChange: Sendable, Hashable, Codable {
    /// Record (insert or replace) a resource; clears the intent journaled under `intentToken`.
    case put(ResourceState, intentToken: String?, action: String)
    /// Forget a resource (deleted, or `state rm`).
    case remove(ResourceAddress, deposed: Bool, action: String)
    /// Mark the current copy deposed (create-before-destroy), freeing its place for the new one.
    case depose(ResourceAddress)
    /// Rename (`state mv`).
    case move(from: ResourceAddress, to: ResourceAddress)
    /// Replace the stack outputs.
    case outputs([String: ManifestOutput])
}

/// Written before a create is sent to a provider, so that a crash between the create and the
/// state write can be recovered: the next run asks the provider for a resource with this token.
public struct Intent: Sendable, Hashable, Codable {
    public var token: String
    public var address: ResourceAddress
    public var provider: String
    public var inputs: [String: Value]
    public var createdAt: Date
    public init(token: String, address: ResourceAddress, provider: String, inputs: [String: Value], createdAt: Date = Date()) {
        self.token = token
        self.address = address
        self.provider = provider
        self.inputs = inputs
        self.createdAt = createdAt
    }
}

/// One line of `strata state history`.
public struct HistoryEntry: Sendable, Hashable, Codable {
    public var serial: Int
    public var time: Date
    public var action: String
    public var address: String?
    public init(serial: Int, time: Date, action: String, address: String?) {
        self.serial = serial
        self.time = time
        self.action = action
        self.address = address
    }
}

/// One drift sweep as kept in the backend (`strata drift history`). Not part of the state:
/// recording it does not bump the serial or add a state history row.
public struct SweepRecord: Sendable, Hashable, Codable {
    /// Assigned by the backend; 0 before it is recorded.
    public var id: Int
    public var startedAt: Date
    public var durationSeconds: Double
    /// `clean`, `drift` or `error`.
    public var status: String
    /// Resources read.
    public var checked: Int
    public var changed: Int
    public var deleted: Int
    public var unmanaged: Int
    public var errors: Int
    /// What the sweep did about it: `none`, `remediate` or `accept`.
    public var action: String
    /// The whole report as JSON (docs/drift.md); secrets are already hidden in it.
    public var reportJSON: String

    public init(id: Int = 0, startedAt: Date, durationSeconds: Double, status: String, checked: Int, changed: Int,
                deleted: Int, unmanaged: Int, errors: Int, action: String, reportJSON: String) {
        self.id = id
        self.startedAt = startedAt
        self.durationSeconds = durationSeconds
        self.status = status
        self.checked = checked
        self.changed = changed
        self.deleted = deleted
        self.unmanaged = unmanaged
        self.errors = errors
        self.action = action
        self.reportJSON = reportJSON
    }
}

/// How the last apply or destroy of an instance ended, kept even when the run failed before
/// it wrote anything (a stack that does not compile, a provider that refuses its settings), so
/// `strata tenants status` can show every tenant that was tried. Not part of the state:
/// recording it does not bump the serial.
public struct RunRecord: Sendable, Hashable, Codable {
    /// `apply`, `destroy` or `prune`.
    public var operation: String
    public var succeeded: Bool
    public var finishedAt: Date
    /// Why it failed (already free of secrets: errors are redacted before they get here).
    public var message: String?

    public init(operation: String, succeeded: Bool, finishedAt: Date = Date(), message: String? = nil) {
        self.operation = operation
        self.succeeded = succeeded
        self.finishedAt = finishedAt
        self.message = message
    }
}

/// Where an instance was last applied from, so `strata drift --all` can load its stack.
public struct InstanceOrigin: Sendable, Hashable, Codable {
    /// The stack folder, absolute.
    public var stackDirectory: String
    /// The `--var` values it was applied with.
    public var variables: [String: String]
    public var recordedAt: Date
    public init(stackDirectory: String, variables: [String: String], recordedAt: Date = Date()) {
        self.stackDirectory = stackDirectory
        self.variables = variables
        self.recordedAt = recordedAt
    }
}

/// Who holds an instance's lock.
public struct LockInfo: Sendable, Hashable, Codable, CustomStringConvertible {
    public var owner: String
    public var host: String
    public var pid: Int32
    public var acquiredAt: Date
    public var leaseUntil: Date
    public var operation: String
    public init(owner: String, host: String, pid: Int32, acquiredAt: Date, leaseUntil: Date, operation: String) {
        self.owner = owner
        self.host = host
        self.pid = pid
        self.acquiredAt = acquiredAt
        self.leaseUntil = leaseUntil
        self.operation = operation
    }
    public var description: String {
        "\(operation) by \(owner) (pid \(pid) on \(host)) since \(ISO8601DateFormatter().string(from: acquiredAt))"
    }
}

public enum StateError: Error, Sendable, CustomStringConvertible {
    /// Someone else holds the lock and did not let go within the timeout.
    case locked(InstanceKey, holder: LockInfo)
    /// The lock this process thought it held is gone or held by another (lease expired).
    case lockLost(InstanceKey)
    case notFound(String)
    case alreadyExists(String)
    case storage(String)
    case badURL(String)
    /// A `postgres://` URL that does not parse (password already hidden), and why.
    case badPostgresURL(String, reason: String)
    /// The state server could not be reached or refused us; the message says what to do.
    case unavailable(String)

    public var description: String {
        switch self {
        case .locked(let key, let holder):
            return "state \(key) is locked: \(holder). Wait for it to finish, or run `strata force-unlock` if that process is gone."
        case .lockLost(let key):
            return "the lock on state \(key) was lost (its lease expired or it was force-unlocked); stopping to avoid two writers."
        case .notFound(let what): return "\(what) not found in the state"
        case .alreadyExists(let what): return "\(what) already exists in the state"
        case .storage(let message): return "state storage error: \(message)"
        case .badURL(let url): return "unsupported --state '\(url)': use a file path, sqlite:PATH, postgres://USER@HOST:PORT/DATABASE or s3://BUCKET/PREFIX"
        case .badPostgresURL(let url, let reason):
            return "bad --state '\(url)': \(reason). Use postgres://USER[:PASSWORD]@HOST[:PORT]/DATABASE[?schema=NAME] (docs/state-backends.md)."
        case .unavailable(let message): return message
        }
    }
}

/// A place state is kept. SQLite is the embedded default; PostgreSQL (StrataPostgresState) sits
/// behind this same interface. Every method is safe to call from many tasks at once.
public protocol StateBackend: Sendable {
    /// The instance's state; an empty one (serial 0, new lineage) if it was never written.
    func load(_ key: InstanceKey) async throws -> StateSnapshot
    /// Applies the change in one transaction, bumps the serial, writes history; returns the new serial.
    @discardableResult
    func write(_ key: InstanceKey, _ change: StateChange) async throws -> Int
    func journal(_ key: InstanceKey, _ intent: Intent) async throws
    func pendingIntents(_ key: InstanceKey) async throws -> [Intent]
    func clearIntent(_ key: InstanceKey, token: String) async throws
    func history(_ key: InstanceKey, limit: Int) async throws -> [HistoryEntry]
    /// Every stack instance this backend holds.
    func instances() async throws -> [InstanceKey]

    /// Keeps a drift sweep's record (the newest `sweepsKept` per instance are kept); returns its id.
    @discardableResult
    func recordSweep(_ key: InstanceKey, _ sweep: SweepRecord) async throws -> Int
    /// Newest first; `limit <= 0` means all kept.
    func sweeps(_ key: InstanceKey, limit: Int) async throws -> [SweepRecord]
    /// Records where the instance was applied from (its stack folder and variables).
    func recordOrigin(_ key: InstanceKey, _ origin: InstanceOrigin) async throws
    /// Where the instance was last applied from, if recorded.
    func origin(_ key: InstanceKey) async throws -> InstanceOrigin?
    /// Keeps how the instance's last apply or destroy ended (replacing the one before).
    func recordRun(_ key: InstanceKey, _ run: RunRecord) async throws
    /// The last run of every instance that has one, including instances never written.
    func lastRuns() async throws -> [InstanceKey: RunRecord]

    /// Takes the instance's lock, waiting up to `timeout`; a lock whose lease ran out, or whose
    /// holder process is gone from this host, is taken over at once.
    func lock(_ key: InstanceKey, operation: String, timeout: Duration, lease: Duration) async throws -> LockInfo
    /// Extends the lease of a lock this process holds.
    func renew(_ key: InstanceKey, lease: Duration) async throws
    func unlock(_ key: InstanceKey) async throws
    func forceUnlock(_ key: InstanceKey) async throws -> LockInfo?
    func lockHolder(_ key: InstanceKey) async throws -> LockInfo?
    /// Lets go of connections and files; the backend is not used afterwards.
    func close() async throws
}

extension StateBackend {
    public func close() async throws {}
}
