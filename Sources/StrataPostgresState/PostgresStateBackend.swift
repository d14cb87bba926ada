import Foundation
import Logging
import PostgresNIO
import StrataModel
import StrataState

/// State kept in PostgreSQL (`--state postgres://…`), for many workers on many machines: the
/// same tables and guarantees as `SQLiteStateBackend` (one transaction per write, a serial bump
/// and a history row with every change, the intent journal, drift sweeps and origins, secrets
/// sealed with the same `SecretCipher`), in a schema of their own (`?schema=`, `strata` by
/// default) that Strata creates and migrates itself (`PostgresSchema`).
///
/// Locks (PostgresStateBackend+Locking.swift) are a row in `locks` (who, what, lease) backed by
/// a session-level advisory lock on a connection kept open while the lock is held, so a lock
/// dies with its holder's connection: a crashed or killed worker never leaves one behind.
public final class PostgresStateBackend: StateBackend {
    /// Where the state lives (password kept, shown masked by `description`).
    public let url: PostgresStateURL
    /// Seals secret values at rest; nil stores them as they are (tests).
    public let cipher: SecretCipher?
    /// Drift sweep records kept per instance.
    public let sweepsKept: Int
    public static let defaultSweepsKept = 1000

    let connections: PostgresConnections
    let held = HeldLocks()
    private let ready = ReadyOnce()
    /// Identifies this backend object as a lock holder (a process may open several).
    let session = UUID().uuidString
    var logger: Logger { connections.logger }
    var schema: String { url.schema }

    /// Connects lazily: the first call connects, creates or migrates the schema, and checks
    /// that `cipher` opens the secrets already sealed in it.
    public init(url: PostgresStateURL, cipher: SecretCipher?, sweepsKept: Int = PostgresStateBackend.defaultSweepsKept,
                maximumConnections: Int = 8) {
        self.url = url
        self.cipher = cipher
        self.sweepsKept = max(1, sweepsKept)
        self.connections = PostgresConnections(url: url, limit: maximumConnections)
    }

    /// Connects, migrates and checks the key now, so that a wrong URL fails early.
    public func prepare() async throws {
        try await ready.once { try await self.setUp() }
    }

    public func close() async throws {
        let held = self.held, connections = self.connections
        // A connection the server ended can hang its close: give up on it after a while.
        _ = try? await withDeadline(Self.closeDeadline, "closing the state connections") {
            await held.closeAll()
            await connections.close()
        }
    }

    private func setUp() async throws {
        try await connections.with { connection in
            try await PostgresSchema.migrate(connection, url: self.url, logger: self.logger)
        }
        try await checkKey()
    }

    /// A sealed probe in `strata_meta` tells at once when STRATA_STATE_KEY is not the key
    /// this state's secrets were sealed with (rather than at the first secret read).
    private func checkKey() async throws {
        guard let cipher else { return }
        let probe = ValueJSON.string(try cipher.seal(.secret(.string("strata key check"))))
        let stored: String? = try await connections.with { c in
            try await c.query(
                "INSERT INTO \(unescaped: self.schema).strata_meta (name, value) VALUES ('key_check', \(probe)) ON CONFLICT (name) DO NOTHING",
                logger: self.logger)
            return try await c.query("SELECT value FROM \(unescaped: self.schema).strata_meta WHERE name = 'key_check'", logger: self.logger)
                .collect().first?.decode(String.self)
        }
        guard let stored else { return }
        do {
            _ = try cipher.open(try ValueJSON.parse(stored))
        } catch {
            // (Not `dataKey()`: that waits for this set-up to end.)
            if let stored = try? await connections.with({ c in try await self.readDataKey(c) }) {
                throw StateError.storage(
                    "the key in use does not open the secrets of the state \(url): they are sealed under the AWS KMS key \(stored.kmsKeyID). "
                        + "Set STRATA_STATE_KMS_KEY=\(stored.kmsKeyID) (and unset STRATA_STATE_KEY) on every worker of this state.")
            }
            throw StateError.storage(
                "STRATA_STATE_KEY does not open the secrets of the state \(url): they were sealed with another key. "
                    + "Set STRATA_STATE_KEY to the key every other worker of this state uses.")
        }
    }

    /// How long one state call may wait for the server before it fails (a restarted server can
    /// leave a query waiting forever on a connection it ended).
    /// `STRATA_PG_CALL_TIMEOUT` (seconds) overrides it: the test suite, whose in-process tests
    /// can wait minutes for a thread on a loaded 2-core machine, sets a long one.
    static let callDeadline: Double = ProcessInfo.processInfo.environment["STRATA_PG_CALL_TIMEOUT"].flatMap(Double.init) ?? 30
    /// How long closing connections and releasing a lock may take.
    static let closeDeadline: Double = max(10, callDeadline / 3)

    /// Runs `body` on a pooled connection once the schema is ready; errors become `StateError`s.
    @discardableResult
    func run<T: Sendable>(_ doing: String, _ body: @escaping @Sendable (PostgresConnection) async throws -> T) async throws -> T {
        let connections = self.connections
        do {
            return try await withDeadline(Self.callDeadline, doing) {
                try await self.prepare()
                return try await connections.with(body)
            }
        } catch {
            throw mapError(error, doing)
        }
    }

    /// Runs `body` in one transaction (rolled back if it throws).
    func transaction<T: Sendable>(_ doing: String, isolation: String = "READ COMMITTED",
                                  _ body: @escaping @Sendable (PostgresConnection) async throws -> T) async throws -> T {
        try await run(doing) { c in
            try await c.query(PostgresQuery(unsafeSQL: "BEGIN ISOLATION LEVEL \(isolation)"), logger: self.logger)
            do {
                let result = try await body(c)
                try await c.query("COMMIT", logger: self.logger)
                return result
            } catch {
                do {
                    try await c.query("ROLLBACK", logger: self.logger)
                } catch {
                    // Never hand a connection stuck in a failed transaction back to the pool.
                    try? await c.close()
                }
                throw error
            }
        }
    }

    func mapError(_ error: any Error, _ doing: String) -> any Error {
        if error is StateError || error is CancellationError { return error }
        if PostgresErrors.isConnectionLost(error) {
            return StateError.unavailable(
                "\(doing): lost the connection to the PostgreSQL state \(url) (\(PostgresErrors.describe(error))). Check the server and try again.")
        }
        return StateError.storage("\(doing) in \(url): \(PostgresErrors.describe(error))")
    }

    /// The table's name in this backend's schema, for SQL.
    func table(_ name: String) -> String { "\(schema).\(name)" }

    // MARK: - Reading

    public func load(_ key: InstanceKey) async throws -> StateSnapshot {
        var snapshot = try await loadSealed(key)
        guard let cipher else { return snapshot }
        for i in snapshot.resources.indices {
            snapshot.resources[i].inputs = try cipher.open(snapshot.resources[i].inputs)
            snapshot.resources[i].outputs = try cipher.open(snapshot.resources[i].outputs)
        }
        snapshot.outputs = try snapshot.outputs.mapValues { ManifestOutput(value: try cipher.open($0.value), secret: $0.secret) }
        return snapshot
    }

    private func loadSealed(_ key: InstanceKey) async throws -> StateSnapshot {
        if let snapshot = try await transaction("loading \(key)", isolation: "REPEATABLE READ READ ONLY", { c in
            try await self.readSnapshot(c, key)
        }) {
            return snapshot
        }
        // Never written: record the instance with serial 0 and a lineage now, so that a plan
        // made against this empty state and the apply that follows agree on the lineage.
        return try await transaction("loading \(key)") { c in
            try await c.query(
                """
                INSERT INTO \(unescaped: self.table("instances")) (stack, instance, serial, lineage)
                VALUES (\(key.stack), \(key.instance), 0, \(UUID().uuidString)) ON CONFLICT DO NOTHING
                """, logger: self.logger)
            guard let snapshot = try await self.readSnapshot(c, key) else {
                throw StateError.storage("instance \(key) vanished while being created; try again")
            }
            return snapshot
        }
    }

    private func readSnapshot(_ c: PostgresConnection, _ key: InstanceKey) async throws -> StateSnapshot? {
        guard
            let row = try await c.query(
                "SELECT serial, lineage, outputs_json FROM \(unescaped: table("instances")) WHERE stack = \(key.stack) AND instance = \(key.instance)",
                logger: logger
            ).collect().first
        else { return nil }
        let (serial, lineage, outputsText) = try row.decode((Int, String, String).self)
        let outputs = try Self.decodeJSON([String: ManifestOutput].self, outputsText, "outputs of \(key)")
        var resources: [ResourceState] = []
        let rows = try await c.query(
            """
            SELECT address, deposed, provider, id, inputs_json, outputs_json, deps_json, triggers_json
            FROM \(unescaped: table("resources")) WHERE stack = \(key.stack) AND instance = \(key.instance)
            """, logger: logger)
        for try await (addressText, deposed, provider, id, inputs, outputs, deps, triggersText)
            in rows.decode((String, Bool, String, String, String, String, String, String?).self)
        {
            let address = try StateColumns.postgres.address(addressText, in: key)
            var resource = ResourceState(
                address: address, provider: provider, id: id,
                inputs: try Self.decodeFields(inputs, "inputs of \(addressText)"),
                outputs: try Self.decodeFields(outputs, "outputs of \(addressText)"),
                dependencies: try Self.decodeAddresses(deps, "dependencies of \(addressText)"),
                deposed: deposed)
            resource.triggers = try StateColumns.postgres.triggers(triggersText, "replaceWhen values of \(addressText) in \(url)")
            resources.append(resource)
        }
        // The order is exactly ResourceAddress's (current before deposed), whatever the collation.
        resources.sort { a, b in a.address != b.address ? a.address < b.address : (!a.deposed && b.deposed) }
        return StateSnapshot(key: key, serial: serial, lineage: lineage, resources: resources, outputs: outputs)
    }

    /// Newest first; `limit <= 0` means all.
    public func history(_ key: InstanceKey, limit: Int) async throws -> [HistoryEntry] {
        try await run("reading the history of \(key)") { c in
            let rows = try await c.query(
                """
                SELECT serial, time, action, address FROM \(unescaped: self.table("history"))
                WHERE stack = \(key.stack) AND instance = \(key.instance) ORDER BY serial DESC LIMIT \(limit > 0 ? limit : nil)
                """, logger: self.logger)
            var entries: [HistoryEntry] = []
            for try await (serial, time, action, address) in rows.decode((Int, Date, String, String?).self) {
                entries.append(HistoryEntry(serial: serial, time: time, action: action, address: address))
            }
            return entries
        }
    }

    /// Instances that were written at least once (serial > 0), sorted.
    public func instances() async throws -> [InstanceKey] {
        let keys = try await run("listing instances") { c in
            let rows = try await c.query("SELECT stack, instance FROM \(unescaped: self.table("instances")) WHERE serial > 0", logger: self.logger)
            var keys: [InstanceKey] = []
            for try await (stack, instance) in rows.decode((String, String).self) {
                keys.append(InstanceKey(stack: stack, instance: instance))
            }
            return keys
        }
        return keys.sorted { ($0.stack, $0.instance) < ($1.stack, $1.instance) }
    }

    // MARK: - Drift sweeps and origins

    @discardableResult
    public func recordSweep(_ key: InstanceKey, _ sweep: SweepRecord) async throws -> Int {
        let kept = sweepsKept
        return try await transaction("recording a drift sweep of \(key)") { c in
            let id = try await c.query(
                """
                INSERT INTO \(unescaped: self.table("drift_sweeps"))
                (stack, instance, started_at, duration, status, checked, changed, deleted, unmanaged, errors, action, report_json)
                VALUES (\(key.stack), \(key.instance), \(sweep.startedAt), \(sweep.durationSeconds), \(sweep.status),
                        \(Int32(clamping: sweep.checked)), \(Int32(clamping: sweep.changed)), \(Int32(clamping: sweep.deleted)),
                        \(Int32(clamping: sweep.unmanaged)), \(Int32(clamping: sweep.errors)), \(sweep.action), \(sweep.reportJSON))
                RETURNING id
                """, logger: self.logger
            ).collect().first?.decode(Int.self) ?? 0
            try await c.query(
                """
                DELETE FROM \(unescaped: self.table("drift_sweeps")) WHERE stack = \(key.stack) AND instance = \(key.instance) AND id <= (
                    SELECT id FROM \(unescaped: self.table("drift_sweeps")) WHERE stack = \(key.stack) AND instance = \(key.instance)
                    ORDER BY id DESC LIMIT 1 OFFSET \(kept))
                """, logger: self.logger)
            return id
        }
    }

    public func sweeps(_ key: InstanceKey, limit: Int) async throws -> [SweepRecord] {
        try await run("reading the drift sweeps of \(key)") { c in
            let rows = try await c.query(
                """
                SELECT id, started_at, duration, status, checked, changed, deleted, unmanaged, errors, action, report_json
                FROM \(unescaped: self.table("drift_sweeps")) WHERE stack = \(key.stack) AND instance = \(key.instance)
                ORDER BY id DESC LIMIT \(limit > 0 ? limit : nil)
                """, logger: self.logger)
            var records: [SweepRecord] = []
            for try await (id, startedAt, duration, status, checked, changed, deleted, unmanaged, errors, action, report)
                in rows.decode((Int, Date, Double, String, Int32, Int32, Int32, Int32, Int32, String, String).self)
            {
                records.append(
                    SweepRecord(
                        id: id, startedAt: startedAt, durationSeconds: duration, status: status, checked: Int(checked),
                        changed: Int(changed), deleted: Int(deleted), unmanaged: Int(unmanaged), errors: Int(errors),
                        action: action, reportJSON: report))
            }
            return records
        }
    }

    public func recordOrigin(_ key: InstanceKey, _ origin: InstanceOrigin) async throws {
        // `--var` values may be secrets strata cannot tell apart: all of them are sealed, as in SQLite.
        let fields = origin.variables.mapValues { Value.secret(.string($0)) }
        let variables = ValueJSON.string(.map(try cipher?.seal(fields) ?? origin.variables.mapValues { .string($0) }))
        try await run("recording where \(key) was applied from") { c in
            try await c.query(
                """
                INSERT INTO \(unescaped: self.table("instance_origins")) (stack, instance, stack_dir, variables_json, recorded_at)
                VALUES (\(key.stack), \(key.instance), \(origin.stackDirectory), \(variables), \(origin.recordedAt))
                ON CONFLICT (stack, instance) DO UPDATE SET stack_dir = EXCLUDED.stack_dir,
                    variables_json = EXCLUDED.variables_json, recorded_at = EXCLUDED.recorded_at
                """, logger: self.logger)
        }
    }

    public func origin(_ key: InstanceKey) async throws -> InstanceOrigin? {
        try await run("reading where \(key) was applied from") { c in
            guard
                let row = try await c.query(
                    """
                    SELECT stack_dir, variables_json, recorded_at FROM \(unescaped: self.table("instance_origins"))
                    WHERE stack = \(key.stack) AND instance = \(key.instance)
                    """, logger: self.logger
                ).collect().first
            else { return nil }
            let (directory, variables, recordedAt) = try row.decode((String, String, Date).self)
            // Older rows hold the values in clear: they read as they are.
            let fields = try Self.decodeFields(variables, "variables of \(key)")
            return InstanceOrigin(
                stackDirectory: directory,
                variables: try (self.cipher?.open(fields) ?? fields).compactMapValues { $0.revealed.stringValue },
                recordedAt: recordedAt)
        }
    }

    public func recordRun(_ key: InstanceKey, _ record: RunRecord) async throws {
        try await run("recording the last run of \(key)") { c in
            try await c.query(
                """
                INSERT INTO \(unescaped: self.table("instance_runs")) (stack, instance, operation, succeeded, finished_at, message)
                VALUES (\(key.stack), \(key.instance), \(record.operation), \(record.succeeded), \(record.finishedAt), \(record.message))
                ON CONFLICT (stack, instance) DO UPDATE SET operation = EXCLUDED.operation, succeeded = EXCLUDED.succeeded,
                    finished_at = EXCLUDED.finished_at, message = EXCLUDED.message
                """, logger: self.logger)
        }
    }

    public func lastRuns() async throws -> [InstanceKey: RunRecord] {
        try await run("reading the last runs") { c in
            let rows = try await c.query(
                "SELECT stack, instance, operation, succeeded, finished_at, message FROM \(unescaped: self.table("instance_runs"))",
                logger: self.logger)
            var runs: [InstanceKey: RunRecord] = [:]
            for try await (stack, instance, operation, succeeded, finishedAt, message) in rows.decode((String, String, String, Bool, Date, String?).self) {
                runs[InstanceKey(stack: stack, instance: instance)] = RunRecord(
                    operation: operation, succeeded: succeeded, finishedAt: finishedAt, message: message)
            }
            return runs
        }
    }

    // MARK: - Intents

    public func journal(_ key: InstanceKey, _ intent: Intent) async throws {
        let inputs = ValueJSON.string(try cipher?.seal(intent.inputs) ?? intent.inputs)
        try await run("journaling an intent for \(intent.address) in \(key)") { c in
            try await c.query(
                """
                INSERT INTO \(unescaped: self.table("intents")) (token, stack, instance, address, provider, inputs_json, created_at)
                VALUES (\(intent.token), \(key.stack), \(key.instance), \(intent.address.description), \(intent.provider), \(inputs), \(intent.createdAt))
                ON CONFLICT (token) DO UPDATE SET stack = EXCLUDED.stack, instance = EXCLUDED.instance, address = EXCLUDED.address,
                    provider = EXCLUDED.provider, inputs_json = EXCLUDED.inputs_json, created_at = EXCLUDED.created_at
                """, logger: self.logger)
        }
    }

    /// Oldest first.
    public func pendingIntents(_ key: InstanceKey) async throws -> [Intent] {
        let cipher = self.cipher
        return try await run("reading the intents of \(key)") { c in
            let rows = try await c.query(
                """
                SELECT token, address, provider, inputs_json, created_at FROM \(unescaped: self.table("intents"))
                WHERE stack = \(key.stack) AND instance = \(key.instance) ORDER BY created_at, token
                """, logger: self.logger)
            var intents: [Intent] = []
            for try await (token, addressText, provider, inputs, createdAt) in rows.decode((String, String, String, String, Date).self) {
                guard let address = ResourceAddress(parsing: addressText) else {
                    throw StateError.storage("bad resource address '\(addressText)' in the intents of \(key)")
                }
                let fields = try Self.decodeJSON([String: Value].self, inputs, "intent inputs of \(addressText)")
                intents.append(
                    Intent(token: token, address: address, provider: provider, inputs: try cipher?.open(fields) ?? fields, createdAt: createdAt))
            }
            return intents
        }
    }

    public func clearIntent(_ key: InstanceKey, token: String) async throws {
        try await run("clearing an intent of \(key)") { c in
            try await c.query(
                "DELETE FROM \(unescaped: self.table("intents")) WHERE token = \(token) AND stack = \(key.stack) AND instance = \(key.instance)",
                logger: self.logger)
        }
    }

    // MARK: - Helpers

    static func encodeJSON<T: Encodable>(_ value: T) throws -> String {
        String(decoding: try StrataJSON.encode(value), as: UTF8.self)
    }

    /// The stored columns, read by `StateColumns` (fuzzed on its own).
    static func decodeFields(_ text: String, _ what: String) throws -> [String: Value] {
        try StateColumns.postgres.fields(text, what)
    }

    static func decodeAddresses(_ text: String, _ what: String) throws -> [ResourceAddress] {
        try StateColumns.postgres.addresses(text, what)
    }

    static func decodeJSON<T: Decodable>(_ type: T.Type, _ text: String, _ what: String) throws -> T {
        try StateColumns.postgres.json(type, text, what)
    }
}
