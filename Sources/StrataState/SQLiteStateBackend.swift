import Foundation
import GRDB
import StrataModel

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// The embedded default state backend: one SQLite file (WAL mode) that several processes may
/// open at once (two `strata apply` runs on different instances, `strata state` while an apply
/// runs). Every write is one short IMMEDIATE transaction; the instance lock is a row in `locks`.
///
/// Lock ownership is per backend object: the lock taken through one `SQLiteStateBackend` is
/// re-entrant for that object, and a second object (in this process or another) waits for it.
public final class SQLiteStateBackend: StateBackend {
    /// The database file.
    public let path: String
    private let pool: DatabasePool
    /// Identifies this backend object as a lock holder (a process may open several).
    let session: String

    /// Who and where this process is, as written into lock rows.
    static let hostName: String = ProcessInfo.processInfo.hostName
    static let ownerName: String = {
        let env = ProcessInfo.processInfo.environment
        var user = env["USER"] ?? ""
        if user.isEmpty { user = NSUserName() }
        if user.isEmpty { user = "unknown" }
        return "\(user)@\(hostName)"
    }()
    static var pid: Int32 { getpid() }

    /// How long a write waits for another process's write transaction before giving up.
    public static let defaultBusyTimeout: TimeInterval = 30
    /// How often `lock` looks again while someone else holds the lock.
    static let lockPollInterval: Duration = .milliseconds(100)

    /// Opens (creating if needed) the state database at `path` and brings its schema up to date.
    /// The folder must exist.
    /// Seals secret values at rest; nil stores them as they are (tests).
    public let cipher: SecretCipher?

    func seal(_ fields: [String: Value]) throws -> [String: Value] { try cipher?.seal(fields) ?? fields }
    func open(_ fields: [String: Value]) throws -> [String: Value] { try cipher?.open(fields) ?? fields }

    public init(path: String, busyTimeout: TimeInterval = SQLiteStateBackend.defaultBusyTimeout,
                sweepsKept: Int = SQLiteStateBackend.defaultSweepsKept, cipher: SecretCipher? = nil) throws {
        self.cipher = cipher
        self.path = path
        self.sweepsKept = max(1, sweepsKept)
        self.session = UUID().uuidString
        var config = Configuration()
        config.label = "strata-state"
        config.busyMode = .timeout(busyTimeout)
        config.prepareDatabase { db in
            try db.execute(sql: "PRAGMA synchronous = NORMAL")
        }
        do {
            pool = try DatabasePool(path: path, configuration: config)
        } catch {
            throw StateError.storage(
                "cannot open the state database \(path): \(Self.describe(error)). "
                    + "Check that the folder exists and is writable, or pick another --state.")
        }
        try migrate()
    }

    /// Closes the database connections. Later calls fail.
    /// Folds the write-ahead log back into the file (and empties it), then closes.
    public func close() throws {
        _ = try? pool.writeWithoutTransaction { db in try db.execute(sql: "PRAGMA wal_checkpoint(TRUNCATE)") }
        do { try pool.close() } catch { throw mapError(error, "closing") }
    }

    // MARK: - Schema

    static var migrator: DatabaseMigrator {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("v1") { db in
            try db.execute(
                sql: """
                    CREATE TABLE instances (
                        stack TEXT NOT NULL,
                        instance TEXT NOT NULL,
                        serial INTEGER NOT NULL,
                        lineage TEXT NOT NULL,
                        outputs_json TEXT NOT NULL DEFAULT '{}',
                        PRIMARY KEY (stack, instance)
                    );
                    CREATE TABLE resources (
                        stack TEXT NOT NULL,
                        instance TEXT NOT NULL,
                        address TEXT NOT NULL,
                        deposed INTEGER NOT NULL DEFAULT 0,
                        provider TEXT NOT NULL,
                        id TEXT NOT NULL,
                        inputs_json TEXT NOT NULL,
                        outputs_json TEXT NOT NULL,
                        deps_json TEXT NOT NULL,
                        PRIMARY KEY (stack, instance, address, deposed)
                    );
                    CREATE TABLE history (
                        stack TEXT NOT NULL,
                        instance TEXT NOT NULL,
                        serial INTEGER NOT NULL,
                        time REAL NOT NULL,
                        action TEXT NOT NULL,
                        address TEXT,
                        PRIMARY KEY (stack, instance, serial)
                    );
                    CREATE TABLE intents (
                        token TEXT NOT NULL PRIMARY KEY,
                        stack TEXT NOT NULL,
                        instance TEXT NOT NULL,
                        address TEXT NOT NULL,
                        provider TEXT NOT NULL,
                        inputs_json TEXT NOT NULL,
                        created_at REAL NOT NULL
                    );
                    CREATE INDEX intents_by_instance ON intents (stack, instance, created_at);
                    CREATE TABLE locks (
                        stack TEXT NOT NULL,
                        instance TEXT NOT NULL,
                        owner TEXT NOT NULL,
                        host TEXT NOT NULL,
                        pid INTEGER NOT NULL,
                        session TEXT NOT NULL,
                        acquired_at REAL NOT NULL,
                        lease_until REAL NOT NULL,
                        operation TEXT NOT NULL,
                        PRIMARY KEY (stack, instance)
                    );
                    """)
        }
        // v2 (drift detection): sweep history and where each instance was applied from.
        // Neither is state: writing them does not bump the serial.
        migrator.registerMigration("v2") { db in
            try db.execute(
                sql: """
                    CREATE TABLE drift_sweeps (
                        id INTEGER PRIMARY KEY AUTOINCREMENT,
                        stack TEXT NOT NULL,
                        instance TEXT NOT NULL,
                        started_at REAL NOT NULL,
                        duration REAL NOT NULL,
                        status TEXT NOT NULL,
                        checked INTEGER NOT NULL,
                        changed INTEGER NOT NULL,
                        deleted INTEGER NOT NULL,
                        unmanaged INTEGER NOT NULL,
                        errors INTEGER NOT NULL,
                        action TEXT NOT NULL,
                        report_json TEXT NOT NULL
                    );
                    CREATE INDEX drift_sweeps_by_instance ON drift_sweeps (stack, instance, id);
                    CREATE TABLE instance_origins (
                        stack TEXT NOT NULL,
                        instance TEXT NOT NULL,
                        stack_dir TEXT NOT NULL,
                        variables_json TEXT NOT NULL,
                        recorded_at REAL NOT NULL,
                        PRIMARY KEY (stack, instance)
                    );
                    """)
        }
        // v3 (replaceWhen): the trigger values a resource was made with.
        migrator.registerMigration("v3") { db in
            try db.execute(sql: "ALTER TABLE resources ADD COLUMN triggers_json TEXT")
        }
        // v4: how each instance's last apply or destroy ended (`strata tenants status`).
        migrator.registerMigration("v4") { db in
            try db.execute(
                sql: """
                    CREATE TABLE instance_runs (
                        stack TEXT NOT NULL,
                        instance TEXT NOT NULL,
                        operation TEXT NOT NULL,
                        succeeded INTEGER NOT NULL,
                        finished_at REAL NOT NULL,
                        message TEXT,
                        PRIMARY KEY (stack, instance)
                    )
                    """)
        }
        // v5 (KMS): the encrypted data key of a state sealed under an AWS KMS key.
        migrator.registerMigration("v5") { db in
            try db.execute(
                sql: """
                    CREATE TABLE state_keys (
                        name TEXT NOT NULL PRIMARY KEY,
                        kms_key_id TEXT NOT NULL,
                        encrypted_key TEXT NOT NULL,
                        created_at REAL NOT NULL
                    )
                    """)
        }
        return migrator
    }

    private func migrate() throws {
        // Two processes opening a fresh file at once may both decide to run a migration; the
        // loser's CREATE fails after the winner committed, and a second pass finds it applied.
        var lastError: (any Error)?
        for _ in 0..<3 {
            do {
                try Self.migrator.migrate(pool)
                return
            } catch {
                lastError = error
            }
        }
        let reason = lastError.map(Self.describe) ?? "unknown error"
        throw StateError.storage(
            "cannot prepare the state database \(path): \(reason). "
                + "If it was written by a newer strata, upgrade strata; otherwise check the file.")
    }

    // MARK: - Reading

    public func load(_ key: InstanceKey) async throws -> StateSnapshot {
        let snapshot = try await loadSealed(key)
        guard let cipher else { return snapshot }
        var opened = snapshot
        for i in opened.resources.indices {
            opened.resources[i].inputs = try cipher.open(opened.resources[i].inputs)
            opened.resources[i].outputs = try cipher.open(opened.resources[i].outputs)
        }
        opened.outputs = try opened.outputs.mapValues { ManifestOutput(value: try cipher.open($0.value), secret: $0.secret) }
        return opened
    }

    private func loadSealed(_ key: InstanceKey) async throws -> StateSnapshot {
        do {
            if let snapshot = try await pool.read({ db in try Self.readSnapshot(db, key) }) {
                return snapshot
            }
            // Never written: record the instance with serial 0 and a lineage now, so that a plan
            // made against this empty state and the apply that follows agree on the lineage.
            return try await pool.write { db in
                try db.cachedStatement(
                    sql: "INSERT OR IGNORE INTO instances (stack, instance, serial, lineage) VALUES (?, ?, 0, ?)"
                ).execute(arguments: [key.stack, key.instance, UUID().uuidString])
                guard let snapshot = try Self.readSnapshot(db, key) else {
                    throw StateError.storage("instance \(key) vanished while being created; try again")
                }
                return snapshot
            }
        } catch {
            throw mapError(error, "loading \(key)")
        }
    }

    private static func readSnapshot(_ db: Database, _ key: InstanceKey) throws -> StateSnapshot? {
        guard
            let row = try Row.fetchOne(
                db.cachedStatement(
                    sql: "SELECT serial, lineage, outputs_json FROM instances WHERE stack = ? AND instance = ?"),
                arguments: [key.stack, key.instance])
        else { return nil }
        let serial = try row.decode(Int.self, atIndex: 0)
        let lineage = try row.decode(String.self, atIndex: 1)
        let outputs = try decodeJSON([String: ManifestOutput].self, try row.decode(String.self, atIndex: 2), "outputs of \(key)")

        var resources: [ResourceState] = []
        let cursor = try Row.fetchCursor(
            db.cachedStatement(
                sql: """
                    SELECT address, deposed, provider, id, inputs_json, outputs_json, deps_json, triggers_json
                    FROM resources WHERE stack = ? AND instance = ? ORDER BY address, deposed
                    """),
            arguments: [key.stack, key.instance])
        while let r = try cursor.next() {
            let addressText = try r.decode(String.self, atIndex: 0)
            let address = try StateColumns.sqlite.address(addressText, in: key)
            let triggers = try StateColumns.sqlite.triggers(try r.decode(String?.self, atIndex: 7), "replaceWhen values of \(addressText)")
            resources.append(
                ResourceState(
                    address: address,
                    provider: try r.decode(String.self, atIndex: 2),
                    id: try r.decode(String.self, atIndex: 3),
                    inputs: try decodeFields(try r.decode(String.self, atIndex: 4), "inputs of \(addressText)"),
                    outputs: try decodeFields(try r.decode(String.self, atIndex: 5), "outputs of \(addressText)"),
                    dependencies: try decodeAddresses(try r.decode(String.self, atIndex: 6), "dependencies of \(addressText)"),
                    deposed: try r.decode(Bool.self, atIndex: 1)))
            resources[resources.count - 1].triggers = triggers
        }
        // SQLite orders by bytes; make the order exactly ResourceAddress's (current before deposed).
        resources.sort { a, b in
            a.address != b.address ? a.address < b.address : (!a.deposed && b.deposed)
        }
        return StateSnapshot(key: key, serial: serial, lineage: lineage, resources: resources, outputs: outputs)
    }

    /// Newest first; `limit <= 0` means all.
    public func history(_ key: InstanceKey, limit: Int) async throws -> [HistoryEntry] {
        do {
            return try await pool.read { db in
                let rows = try Row.fetchAll(
                    db.cachedStatement(
                        sql: """
                            SELECT serial, time, action, address FROM history
                            WHERE stack = ? AND instance = ? ORDER BY serial DESC LIMIT ?
                            """),
                    arguments: [key.stack, key.instance, limit > 0 ? limit : -1])
                return try rows.map { row in
                    HistoryEntry(
                        serial: try row.decode(Int.self, atIndex: 0),
                        time: Date(timeIntervalSince1970: try row.decode(Double.self, atIndex: 1)),
                        action: try row.decode(String.self, atIndex: 2),
                        address: try row.decode(String?.self, atIndex: 3))
                }
            }
        } catch {
            throw mapError(error, "reading the history of \(key)")
        }
    }

    /// Instances that were written at least once (serial > 0), sorted.
    public func instances() async throws -> [InstanceKey] {
        do {
            return try await pool.read { db in
                try Row.fetchAll(
                    db, sql: "SELECT stack, instance FROM instances WHERE serial > 0 ORDER BY stack, instance"
                ).map { InstanceKey(stack: try $0.decode(String.self, atIndex: 0), instance: try $0.decode(String.self, atIndex: 1)) }
            }
        } catch {
            throw mapError(error, "listing instances")
        }
    }

    // MARK: - Drift sweeps and origins

    /// Drift sweep records kept per instance; older ones are dropped as new ones come.
    public static let defaultSweepsKept = 1000
    public let sweepsKept: Int

    @discardableResult
    public func recordSweep(_ key: InstanceKey, _ sweep: SweepRecord) async throws -> Int {
        do {
            let sweepsKept = self.sweepsKept
            return try await pool.write { db in
                try db.cachedStatement(
                    sql: """
                        INSERT INTO drift_sweeps
                        (stack, instance, started_at, duration, status, checked, changed, deleted, unmanaged, errors, action, report_json)
                        VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                        """
                ).execute(arguments: [
                    key.stack, key.instance, sweep.startedAt.timeIntervalSince1970, sweep.durationSeconds, sweep.status,
                    sweep.checked, sweep.changed, sweep.deleted, sweep.unmanaged, sweep.errors, sweep.action, sweep.reportJSON,
                ])
                let id = Int(db.lastInsertedRowID)
                try db.cachedStatement(
                    sql: """
                        DELETE FROM drift_sweeps WHERE stack = ? AND instance = ? AND id <= (
                            SELECT id FROM drift_sweeps WHERE stack = ? AND instance = ? ORDER BY id DESC LIMIT 1 OFFSET ?)
                        """
                ).execute(arguments: [key.stack, key.instance, key.stack, key.instance, sweepsKept])
                return id
            }
        } catch {
            throw mapError(error, "recording a drift sweep of \(key)")
        }
    }

    public func sweeps(_ key: InstanceKey, limit: Int) async throws -> [SweepRecord] {
        do {
            return try await pool.read { db in
                let rows = try Row.fetchAll(
                    db.cachedStatement(
                        sql: """
                            SELECT id, started_at, duration, status, checked, changed, deleted, unmanaged, errors, action, report_json
                            FROM drift_sweeps WHERE stack = ? AND instance = ? ORDER BY id DESC LIMIT ?
                            """),
                    arguments: [key.stack, key.instance, limit > 0 ? limit : -1])
                return try rows.map { row in
                    SweepRecord(
                        id: try row.decode(Int.self, atIndex: 0),
                        startedAt: Date(timeIntervalSince1970: try row.decode(Double.self, atIndex: 1)),
                        durationSeconds: try row.decode(Double.self, atIndex: 2),
                        status: try row.decode(String.self, atIndex: 3),
                        checked: try row.decode(Int.self, atIndex: 4),
                        changed: try row.decode(Int.self, atIndex: 5),
                        deleted: try row.decode(Int.self, atIndex: 6),
                        unmanaged: try row.decode(Int.self, atIndex: 7),
                        errors: try row.decode(Int.self, atIndex: 8),
                        action: try row.decode(String.self, atIndex: 9),
                        reportJSON: try row.decode(String.self, atIndex: 10))
                }
            }
        } catch {
            throw mapError(error, "reading the drift sweeps of \(key)")
        }
    }

    public func recordOrigin(_ key: InstanceKey, _ origin: InstanceOrigin) async throws {
        do {
            // Every --var is sealed like a secret: strata cannot tell which ones are.
            let variables = try Self.encodeJSON(try seal(origin.variables.mapValues { Value.secret(.string($0)) }))
            try await pool.write { db in
                try db.cachedStatement(
                    sql: """
                        INSERT OR REPLACE INTO instance_origins (stack, instance, stack_dir, variables_json, recorded_at)
                        VALUES (?, ?, ?, ?, ?)
                        """
                ).execute(arguments: [key.stack, key.instance, origin.stackDirectory, variables, origin.recordedAt.timeIntervalSince1970])
            }
        } catch {
            throw mapError(error, "recording where \(key) was applied from")
        }
    }

    public func origin(_ key: InstanceKey) async throws -> InstanceOrigin? {
        do {
            return try await pool.read { db in
                guard
                    let row = try Row.fetchOne(
                        db.cachedStatement(
                            sql: "SELECT stack_dir, variables_json, recorded_at FROM instance_origins WHERE stack = ? AND instance = ?"),
                        arguments: [key.stack, key.instance])
                else { return nil }
                return InstanceOrigin(
                    stackDirectory: try row.decode(String.self, atIndex: 0),
                    variables: try self.open(Self.decodeFields(try row.decode(String.self, atIndex: 1), "variables of \(key)")).compactMapValues { $0.revealed.stringValue },
                    recordedAt: Date(timeIntervalSince1970: try row.decode(Double.self, atIndex: 2)))
            }
        } catch {
            throw mapError(error, "reading where \(key) was applied from")
        }
    }

    public func recordRun(_ key: InstanceKey, _ run: RunRecord) async throws {
        do {
            try await pool.write { db in
                try db.cachedStatement(
                    sql: """
                        INSERT OR REPLACE INTO instance_runs (stack, instance, operation, succeeded, finished_at, message)
                        VALUES (?, ?, ?, ?, ?, ?)
                        """
                ).execute(arguments: [key.stack, key.instance, run.operation, run.succeeded, run.finishedAt.timeIntervalSince1970, run.message])
            }
        } catch {
            throw mapError(error, "recording the last run of \(key)")
        }
    }

    public func lastRuns() async throws -> [InstanceKey: RunRecord] {
        do {
            return try await pool.read { db in
                var runs: [InstanceKey: RunRecord] = [:]
                for row in try Row.fetchAll(db, sql: "SELECT stack, instance, operation, succeeded, finished_at, message FROM instance_runs") {
                    runs[InstanceKey(stack: try row.decode(String.self, atIndex: 0), instance: try row.decode(String.self, atIndex: 1))] = RunRecord(
                        operation: try row.decode(String.self, atIndex: 2), succeeded: try row.decode(Bool.self, atIndex: 3),
                        finishedAt: Date(timeIntervalSince1970: try row.decode(Double.self, atIndex: 4)),
                        message: try row.decode(String?.self, atIndex: 5))
                }
                return runs
            }
        } catch {
            throw mapError(error, "reading the last runs")
        }
    }

    // MARK: - Writing

    /// A change with its JSON already encoded, so the write transaction only runs SQL.
    private enum EncodedChange: Sendable {
        case put(address: String, deposed: Bool, provider: String, id: String, inputs: String, outputs: String, deps: String, triggers: String?, intentToken: String?, action: String)
        case remove(address: String, deposed: Bool, action: String)
        case move(from: ResourceAddress, to: ResourceAddress)
        case depose(String)
        case outputs(String)
    }

    @discardableResult
    public func write(_ key: InstanceKey, _ change: StateChange) async throws -> Int {
        do {
            let encoded: EncodedChange
            switch change {
            case .put(let resource, let token, let action):
                encoded = .put(
                    address: resource.address.description, deposed: resource.deposed, provider: resource.provider,
                    id: resource.id, inputs: ValueJSON.string(try seal(resource.inputs)),
                    outputs: ValueJSON.string(try seal(resource.outputs)), deps: try Self.encodeJSON(resource.dependencies),
                    triggers: resource.triggers.map { ValueJSON.string(.list($0)) },
                    intentToken: token, action: action)
            case .remove(let address, let deposed, let action):
                encoded = .remove(address: address.description, deposed: deposed, action: action)
            case .move(let from, let to):
                encoded = .move(from: from, to: to)
            case .depose(let address):
                encoded = .depose(address.description)
            case .outputs(let outputs):
                encoded = .outputs(try Self.encodeJSON(try outputs.mapValues { ManifestOutput(value: try cipher?.seal($0.value) ?? $0.value, secret: $0.secret) }))
            }
            let now = Date().timeIntervalSince1970
            return try await pool.write { db in try Self.apply(db, key, encoded, time: now) }
        } catch {
            throw mapError(error, "writing \(key)")
        }
    }

    private static func apply(_ db: Database, _ key: InstanceKey, _ change: EncodedChange, time: Double) throws -> Int {
        let stack = key.stack, instance = key.instance
        let historyAction: String
        let historyAddress: String?

        switch change {
        case .put(let address, let deposed, let provider, let id, let inputs, let outputs, let deps, let triggers, let token, let action):
            try db.cachedStatement(
                sql: """
                    INSERT OR REPLACE INTO resources
                    (stack, instance, address, deposed, provider, id, inputs_json, outputs_json, deps_json, triggers_json)
                    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                    """
            ).execute(arguments: [stack, instance, address, deposed, provider, id, inputs, outputs, deps, triggers])
            if let token {
                try db.cachedStatement(sql: "DELETE FROM intents WHERE token = ?").execute(arguments: [token])
            }
            historyAction = action
            historyAddress = address

        case .remove(let address, let deposed, let action):
            try db.cachedStatement(
                sql: "DELETE FROM resources WHERE stack = ? AND instance = ? AND address = ? AND deposed = ?"
            ).execute(arguments: [stack, instance, address, deposed])
            guard db.changesCount > 0 else {
                throw StateError.notFound("\(deposed ? "deposed " : "")\(address) in \(key)")
            }
            historyAction = action
            historyAddress = address

        case .move(let from, let to):
            try move(db, key, from: from, to: to)
            historyAction = "move \(from) -> \(to)"
            historyAddress = from.description

        case .depose(let address):
            // Never drop a deposed copy here: it still exists in the cloud and must be deleted first.
            let deposedCount = try Int.fetchOne(
                db, sql: "SELECT COUNT(*) FROM resources WHERE stack = ? AND instance = ? AND address = ? AND deposed = 1",
                arguments: [stack, instance, address]) ?? 0
            guard deposedCount == 0 else { throw StateError.alreadyExists("a deposed copy of \(address) in \(key)") }
            try db.cachedStatement(
                sql: "UPDATE resources SET deposed = 1 WHERE stack = ? AND instance = ? AND address = ? AND deposed = 0"
            ).execute(arguments: [stack, instance, address])
            guard db.changesCount > 0 else { throw StateError.notFound("\(address) in \(key)") }
            historyAction = "depose"
            historyAddress = address

        case .outputs(let outputs):
            try db.cachedStatement(
                sql: "INSERT OR IGNORE INTO instances (stack, instance, serial, lineage) VALUES (?, ?, 0, ?)"
            ).execute(arguments: [stack, instance, UUID().uuidString])
            try db.cachedStatement(
                sql: "UPDATE instances SET outputs_json = ? WHERE stack = ? AND instance = ?"
            ).execute(arguments: [outputs, stack, instance])
            historyAction = "outputs"
            historyAddress = nil
        }

        // Bump the serial, creating the instance on its first write.
        try db.cachedStatement(
            sql: "UPDATE instances SET serial = serial + 1 WHERE stack = ? AND instance = ?"
        ).execute(arguments: [stack, instance])
        let serial: Int
        if db.changesCount == 0 {
            try db.cachedStatement(
                sql: "INSERT INTO instances (stack, instance, serial, lineage) VALUES (?, ?, 1, ?)"
            ).execute(arguments: [stack, instance, UUID().uuidString])
            serial = 1
        } else {
            guard
                let value = try Int.fetchOne(
                    db.cachedStatement(sql: "SELECT serial FROM instances WHERE stack = ? AND instance = ?"),
                    arguments: [stack, instance])
            else { throw StateError.storage("instance \(key) vanished during a write; try again") }
            serial = value
        }

        try db.cachedStatement(
            sql: "INSERT INTO history (stack, instance, serial, time, action, address) VALUES (?, ?, ?, ?, ?, ?)"
        ).execute(arguments: [stack, instance, serial, time, historyAction, historyAddress])
        return serial
    }

    /// Renames every copy (current and deposed) of `from` to `to`, and the dependencies on it.
    private static func move(_ db: Database, _ key: InstanceKey, from: ResourceAddress, to: ResourceAddress) throws {
        let stack = key.stack, instance = key.instance
        let fromText = from.description, toText = to.description
        guard from != to else { throw StateError.alreadyExists("\(to) in \(key)") }
        let exists = "SELECT COUNT(*) FROM resources WHERE stack = ? AND instance = ? AND address = ?"
        guard try Int.fetchOne(db, sql: exists, arguments: [stack, instance, fromText]) ?? 0 > 0 else {
            throw StateError.notFound("\(from) in \(key)")
        }
        guard try Int.fetchOne(db, sql: exists, arguments: [stack, instance, toText]) ?? 0 == 0 else {
            throw StateError.alreadyExists("\(to) in \(key)")
        }
        try db.execute(
            sql: "UPDATE resources SET address = ? WHERE stack = ? AND instance = ? AND address = ?",
            arguments: [toText, stack, instance, fromText])
        try db.execute(
            sql: "UPDATE intents SET address = ? WHERE stack = ? AND instance = ? AND address = ?",
            arguments: [toText, stack, instance, fromText])

        // Rewrite dependency lists that name the old address.
        let rows = try Row.fetchAll(
            db,
            sql: "SELECT address, deposed, deps_json FROM resources WHERE stack = ? AND instance = ? AND deps_json LIKE ?",
            arguments: [stack, instance, "%" + fromText + "%"])
        for row in rows {
            let address = try row.decode(String.self, atIndex: 0)
            let deposed = try row.decode(Bool.self, atIndex: 1)
            let deps = try decodeJSON([ResourceAddress].self, try row.decode(String.self, atIndex: 2), "dependencies of \(address)")
            guard deps.contains(from) else { continue }
            let updated = deps.map { $0 == from ? to : $0 }
            try db.execute(
                sql: "UPDATE resources SET deps_json = ? WHERE stack = ? AND instance = ? AND address = ? AND deposed = ?",
                arguments: [try encodeJSON(updated), stack, instance, address, deposed])
        }
    }

    // MARK: - Intents

    public func journal(_ key: InstanceKey, _ intent: Intent) async throws {
        do {
            let inputs = try Self.encodeJSON(try seal(intent.inputs))
            try await pool.write { db in
                try db.cachedStatement(
                    sql: """
                        INSERT OR REPLACE INTO intents (token, stack, instance, address, provider, inputs_json, created_at)
                        VALUES (?, ?, ?, ?, ?, ?, ?)
                        """
                ).execute(arguments: [
                    intent.token, key.stack, key.instance, intent.address.description, intent.provider, inputs,
                    intent.createdAt.timeIntervalSince1970,
                ])
            }
        } catch {
            throw mapError(error, "journaling an intent for \(intent.address) in \(key)")
        }
    }

    /// Oldest first.
    public func pendingIntents(_ key: InstanceKey) async throws -> [Intent] {
        do {
            return try await pool.read { db in
                let rows = try Row.fetchAll(
                    db.cachedStatement(
                        sql: """
                            SELECT token, address, provider, inputs_json, created_at FROM intents
                            WHERE stack = ? AND instance = ? ORDER BY created_at, token
                            """),
                    arguments: [key.stack, key.instance])
                return try rows.map { row in
                    let addressText = try row.decode(String.self, atIndex: 1)
                    guard let address = ResourceAddress(parsing: addressText) else {
                        throw StateError.storage("bad resource address '\(addressText)' in the intents of \(key)")
                    }
                    return Intent(
                        token: try row.decode(String.self, atIndex: 0),
                        address: address,
                        provider: try row.decode(String.self, atIndex: 2),
                        inputs: try open(try Self.decodeJSON([String: Value].self, try row.decode(String.self, atIndex: 3), "intent inputs of \(addressText)")),
                        createdAt: Date(timeIntervalSince1970: try row.decode(Double.self, atIndex: 4)))
                }
            }
        } catch {
            throw mapError(error, "reading the intents of \(key)")
        }
    }

    public func clearIntent(_ key: InstanceKey, token: String) async throws {
        do {
            try await pool.write { db in
                try db.cachedStatement(sql: "DELETE FROM intents WHERE token = ? AND stack = ? AND instance = ?")
                    .execute(arguments: [token, key.stack, key.instance])
            }
        } catch {
            throw mapError(error, "clearing an intent of \(key)")
        }
    }

    // MARK: - Locking

    private enum LockAttempt: Sendable {
        case taken(LockInfo)
        case held(LockInfo)
    }

    public func lock(_ key: InstanceKey, operation: String, timeout: Duration, lease: Duration) async throws -> LockInfo {
        let deadline = ContinuousClock.now + timeout
        let session = self.session
        while true {
            let attempt: LockAttempt
            do {
                attempt = try await pool.writeWithoutTransaction { db in
                    // The lease starts when the row is written, not when the call began: a
                    // busy process may wait a long time for the writer.
                    let now = Date()
                    let mine = LockInfo(
                        owner: Self.ownerName, host: Self.hostName, pid: Self.pid,
                        acquiredAt: now, leaseUntil: now + Self.seconds(lease), operation: operation)
                    var result = LockAttempt.taken(mine)
                    try db.inTransaction(.immediate) {
                        if let current = try Self.readLock(db, key),
                            current.session != session,
                            !Self.isStale(current.info, now: now)
                        {
                            result = .held(current.info)
                            return .rollback
                        }
                        try Self.insertLock(db, key, mine, session: session)
                        return .commit
                    }
                    return result
                }
            } catch {
                throw mapError(error, "locking \(key)")
            }
            switch attempt {
            case .taken(let info):
                return info
            case .held(let holder):
                let now = ContinuousClock.now
                if now >= deadline { throw StateError.locked(key, holder: holder) }
                try await Task.sleep(for: min(Self.lockPollInterval, deadline - now))
            }
        }
    }

    /// A lock that may be taken over: its lease ran out, or its process is gone from this host.
    static func isStale(_ holder: LockInfo, now: Date) -> Bool {
        if holder.leaseUntil <= now { return true }
        if holder.host == hostName, !processIsAlive(holder.pid) { return true }
        return false
    }

    static func processIsAlive(_ pid: Int32) -> Bool {
        guard pid > 0 else { return false }
        if kill(pid, 0) == 0 { return true }
        return errno != ESRCH  // EPERM: it exists but belongs to someone else
    }

    public func renew(_ key: InstanceKey, lease: Duration) async throws {
        let until = (Date() + Self.seconds(lease)).timeIntervalSince1970
        let session = self.session
        let renewed: Bool
        do {
            renewed = try await pool.write { db in
                try db.cachedStatement(
                    sql: "UPDATE locks SET lease_until = ? WHERE stack = ? AND instance = ? AND session = ?"
                ).execute(arguments: [until, key.stack, key.instance, session])
                return db.changesCount > 0
            }
        } catch {
            throw mapError(error, "renewing the lock on \(key)")
        }
        if !renewed { throw StateError.lockLost(key) }
    }

    /// Releases the lock if this backend holds it; does nothing otherwise.
    public func unlock(_ key: InstanceKey) async throws {
        let session = self.session
        do {
            try await pool.write { db in
                try db.cachedStatement(sql: "DELETE FROM locks WHERE stack = ? AND instance = ? AND session = ?")
                    .execute(arguments: [key.stack, key.instance, session])
            }
        } catch {
            throw mapError(error, "unlocking \(key)")
        }
    }

    public func forceUnlock(_ key: InstanceKey) async throws -> LockInfo? {
        do {
            return try await pool.write { db in
                let holder = try Self.readLock(db, key)?.info
                try db.cachedStatement(sql: "DELETE FROM locks WHERE stack = ? AND instance = ?")
                    .execute(arguments: [key.stack, key.instance])
                return holder
            }
        } catch {
            throw mapError(error, "force-unlocking \(key)")
        }
    }

    public func lockHolder(_ key: InstanceKey) async throws -> LockInfo? {
        do {
            return try await pool.read { db in try Self.readLock(db, key)?.info }
        } catch {
            throw mapError(error, "reading the lock of \(key)")
        }
    }

    static func readLock(_ db: Database, _ key: InstanceKey) throws -> (info: LockInfo, session: String)? {
        guard
            let row = try Row.fetchOne(
                db.cachedStatement(
                    sql: """
                        SELECT owner, host, pid, acquired_at, lease_until, operation, session
                        FROM locks WHERE stack = ? AND instance = ?
                        """),
                arguments: [key.stack, key.instance])
        else { return nil }
        let info = LockInfo(
            owner: try row.decode(String.self, atIndex: 0),
            host: try row.decode(String.self, atIndex: 1),
            pid: try row.decode(Int32.self, atIndex: 2),
            acquiredAt: Date(timeIntervalSince1970: try row.decode(Double.self, atIndex: 3)),
            leaseUntil: Date(timeIntervalSince1970: try row.decode(Double.self, atIndex: 4)),
            operation: try row.decode(String.self, atIndex: 5))
        return (info, try row.decode(String.self, atIndex: 6))
    }

    static func insertLock(_ db: Database, _ key: InstanceKey, _ info: LockInfo, session: String) throws {
        try db.cachedStatement(
            sql: """
                INSERT OR REPLACE INTO locks
                (stack, instance, owner, host, pid, session, acquired_at, lease_until, operation)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
                """
        ).execute(arguments: [
            key.stack, key.instance, info.owner, info.host, info.pid, session,
            info.acquiredAt.timeIntervalSince1970, info.leaseUntil.timeIntervalSince1970, info.operation,
        ])
    }

    /// For tests: writes a lock row as if another holder had taken it.
    func plantLock(_ key: InstanceKey, _ info: LockInfo, session: String = UUID().uuidString) async throws {
        try await pool.write { db in try Self.insertLock(db, key, info, session: session) }
    }

    // MARK: - Helpers

    static func seconds(_ duration: Duration) -> TimeInterval {
        let c = duration.components
        return Double(c.seconds) + Double(c.attoseconds) / 1e18
    }

    static func encodeJSON<T: Encodable>(_ value: T) throws -> String {
        String(decoding: try StrataJSON.encode(value), as: UTF8.self)
    }

    /// The stored columns, read by `StateColumns` (fuzzed on its own).
    static func decodeFields(_ text: String, _ what: String) throws -> [String: Value] {
        try StateColumns.sqlite.fields(text, what)
    }

    static func decodeAddresses(_ text: String, _ what: String) throws -> [ResourceAddress] {
        try StateColumns.sqlite.addresses(text, what)
    }

    static func decodeJSON<T: Decodable>(_ type: T.Type, _ text: String, _ what: String) throws -> T {
        try StateColumns.sqlite.json(type, text, what)
    }

    static func describe(_ error: any Error) -> String {
        if let db = error as? DatabaseError { return db.message ?? "\(db.resultCode)" }
        return "\(error)"
    }

    private func mapError(_ error: any Error, _ doing: String) -> any Error {
        if error is StateError || error is CancellationError { return error }
        if let db = error as? DatabaseError, db.resultCode == .SQLITE_BUSY || db.resultCode == .SQLITE_LOCKED {
            return StateError.storage(
                "\(doing): the state database \(path) stayed busy (another strata process is writing it); try again")
        }
        if let db = error as? DatabaseError, db.resultCode == .SQLITE_FULL || db.extendedResultCode == .SQLITE_IOERR_WRITE {
            // SQLite rolled the transaction back: the file holds what the last completed write left.
            return StateError.storage(
                "\(doing): the disk holding the state file \(path) is full (\(Self.describe(error))); nothing of this write was kept, "
                    + "the state is as the last completed step left it. Free some space and run the command again: it picks up where this one stopped")
        }
        return StateError.storage("\(doing) in \(path): \(Self.describe(error))")
    }
}

extension SQLiteStateBackend: StateKeyStore {
    public func dataKey() async throws -> StateDataKey? {
        do {
            return try await pool.read { db in try Self.readDataKey(db) }
        } catch {
            throw StateError.storage("reading the data key of \(path): \(Self.describe(error))")
        }
    }

    static func readDataKey(_ db: Database) throws -> StateDataKey? {
        guard let row = try Row.fetchOne(db, sql: "SELECT kms_key_id, encrypted_key FROM state_keys WHERE name = 'data_key'") else { return nil }
        let keyID: String = row[0]
        let text: String = row[1]
        guard let blob = Data(base64Encoded: text) else { throw StateError.storage("the stored data key of the state is damaged") }
        return StateDataKey(kmsKeyID: keyID, encryptedKey: blob)
    }

    public func storeDataKey(_ key: StateDataKey) async throws -> StateDataKey {
        do {
            return try await pool.write { db in
                try db.execute(
                    sql: "INSERT OR IGNORE INTO state_keys (name, kms_key_id, encrypted_key, created_at) VALUES ('data_key', ?, ?, ?)",
                    arguments: [key.kmsKeyID, key.encryptedKey.base64EncodedString(), Date().timeIntervalSince1970])
                return try Self.readDataKey(db) ?? key
            }
        } catch let error as StateError {
            throw error
        } catch {
            throw StateError.storage("storing the data key of \(path): \(Self.describe(error))")
        }
    }

    public func holdsSealedSecrets() async throws -> Bool {
        try await pool.read { db in
            for (table, column) in Self.sealedColumns {
                if try Row.fetchOne(db, sql: "SELECT 1 FROM \(table) WHERE instr(\(column), '$sealed') > 0 LIMIT 1") != nil { return true }
            }
            return false
        }
    }

    /// Every column that may hold a sealed secret.
    static let sealedColumns = [("resources", "inputs_json"), ("resources", "outputs_json"), ("instances", "outputs_json"),
                                ("intents", "inputs_json"), ("instance_origins", "variables_json")]

    /// Re-seals every secret in this state file (all instances, intents included) with
    /// `newCipher`, in one transaction; the serials do not move (the values are the same).
    /// Returns how many rows were re-sealed.
    public func rekey(to newCipher: SecretCipher) async throws -> Int {
        try await rekey(to: newCipher, dataKey: .keep)
    }

    public func rekey(to newCipher: SecretCipher, dataKey change: DataKeyChange) async throws -> Int {
        guard let cipher else { throw StateError.storage("this state has no key to rotate") }
        @Sendable func reseal(_ text: String) throws -> String {
            ValueJSON.string(try newCipher.seal(try cipher.open(try ValueJSON.parse(text))))
        }
        do {
            return try await pool.write { db in
                var count = 0
                for (table, column) in Self.sealedColumns {
                    let rows = try Row.fetchAll(db, sql: "SELECT rowid, \(column) FROM \(table) WHERE \(column) IS NOT NULL")
                    for row in rows {
                        let id = try row.decode(Int64.self, atIndex: 0)
                        let text = try row.decode(String.self, atIndex: 1)
                        guard text.contains("$sealed") || text.contains("$secret") else { continue }
                        try db.execute(sql: "UPDATE \(table) SET \(column) = ? WHERE rowid = ?", arguments: [try reseal(text), id])
                        count += 1
                    }
                }
                switch change {
                case .keep: break
                case .remove: try db.execute(sql: "DELETE FROM state_keys")
                case .set(let key):
                    try db.execute(
                        sql: "INSERT OR REPLACE INTO state_keys (name, kms_key_id, encrypted_key, created_at) VALUES ('data_key', ?, ?, ?)",
                        arguments: [key.kmsKeyID, key.encryptedKey.base64EncodedString(), Date().timeIntervalSince1970])
                }
                return count
            }
        } catch let error as StateError {
            throw error
        } catch {
            throw StateError.storage("rekey failed, nothing changed: \(error)")
        }
    }
}
