import Foundation
import PostgresNIO
import StrataModel
import StrataState

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// The lock of an instance is two things at once:
///
/// - a **session-level advisory lock** (`pg_try_advisory_lock(schema hash, lock_ids.id)`) taken
///   on a connection of its own that stays open while the lock is held. PostgreSQL drops it
///   the moment that connection ends, so a holder that crashes, is killed, or loses its network
///   releases the lock at once: no lock is ever left behind, on any machine.
/// - a **row in `locks`** saying who holds it (user, host, pid, operation) and until when its
///   lease runs (server time, so workers' clocks need not agree). The row is what
///   `lockHolder`, `force-unlock` and error messages show; it counts only while its holder's
///   advisory lock is alive.
///
/// A holder that is alive but stopped renewing (its lease ran out) is taken over as with
/// SQLite: its connection is ended (`pg_terminate_backend`), which frees the advisory lock,
/// and its next `renew` reports `lockLost`.
extension PostgresStateBackend {
    /// How often `lock` looks again while someone else holds the lock.
    static let lockPollInterval: Duration = .milliseconds(100)

    static let hostName: String = ProcessInfo.processInfo.hostName
    static let ownerName: String = {
        let env = ProcessInfo.processInfo.environment
        var user = env["USER"] ?? ""
        if user.isEmpty { user = NSUserName() }
        if user.isEmpty { user = "unknown" }
        return "\(user)@\(hostName)"
    }()

    var lockNamespace: Int32 { PostgresSchema.lockNamespace(schema) }

    /// The instance's number for advisory locks (made on first use, never reused).
    func lockID(_ key: InstanceKey) async throws -> Int32 {
        try await run("locking \(key)") { c in
            let table = self.table("lock_ids")
            if let id = try await c.query("SELECT id FROM \(unescaped: table) WHERE stack = \(key.stack) AND instance = \(key.instance)", logger: self.logger)
                .collect().first?.decode(Int32.self)
            {
                return id
            }
            try await c.query(
                "INSERT INTO \(unescaped: table) (stack, instance) VALUES (\(key.stack), \(key.instance)) ON CONFLICT DO NOTHING", logger: self.logger)
            guard
                let id = try await c.query("SELECT id FROM \(unescaped: table) WHERE stack = \(key.stack) AND instance = \(key.instance)", logger: self.logger)
                    .collect().first?.decode(Int32.self)
            else { throw StateError.storage("cannot number the lock of \(key)") }
            return id
        }
    }

    public func lock(_ key: InstanceKey, operation: String, timeout: Duration, lease: Duration) async throws -> LockInfo {
        let deadline = ContinuousClock.now + timeout
        let id = try await lockID(key)
        let namespace = lockNamespace
        let seconds = Self.seconds(lease)
        // Re-entrant for this backend object: renew the lease and take the new operation.
        // If its connection died meanwhile, the lock went with it: take it anew below.
        if let mine = await held.connection(key) {
            if let info = try? await upsertLock(mine, key, operation: operation, leaseSeconds: seconds) { return info }
            await held.drop(key)
        }
        var attempt: PostgresConnection? = nil
        defer { if let attempt { Task { try? await attempt.close() } } }
        while true {
            do {
                if attempt == nil || attempt?.isClosed == true { attempt = try await connections.connect() }
                let connection = attempt!
                let taken = try await connection.query("SELECT pg_try_advisory_lock(\(namespace), \(id))", logger: logger)
                    .collect().first?.decode(Bool.self) ?? false
                if taken {
                    // A process whose key was rotated away stops here (its session, and so the
                    // advisory lock, is closed by the defer above).
                    try await verifyKeyAfterLock(connection)
                    guard let info = try await upsertLock(connection, key, operation: operation, leaseSeconds: seconds) else {
                        throw StateError.storage("cannot record the lock of \(key)")
                    }
                    attempt = nil
                    await held.keep(key, connection)
                    return info
                }
            } catch {
                throw mapError(error, "locking \(key)")
            }
            // Someone alive holds it. If their lease ran out, end their session and take over.
            let holder = try await readLock(key)
            // (Refused without the right to signal it: then it is waited for like a live one.)
            if let holder, holder.expired, let pid = holder.advisoryPID {
                _ = try? await run("taking over the expired lock of \(key)") { c in
                    try await c.query("SELECT pg_terminate_backend(\(pid))", logger: self.logger).collect().count
                }
            }
            let now = ContinuousClock.now
            if now >= deadline {
                throw StateError.locked(
                    key,
                    holder: holder?.info
                        ?? LockInfo(owner: "another strata", host: "?", pid: 0, acquiredAt: Date(), leaseUntil: Date(), operation: "starting"))
            }
            try await Task.sleep(for: min(Self.lockPollInterval, deadline - now))
        }
    }

    /// Writes this backend's lock row on its lock connection; nil if the row could not be written.
    private func upsertLock(_ c: PostgresConnection, _ key: InstanceKey, operation: String, leaseSeconds: Double) async throws -> LockInfo? {
        let pid = Int32(getpid())
        let row = try await c.query(
            """
            INSERT INTO \(unescaped: table("locks"))
            (stack, instance, owner, host, pid, session, backend_pid, acquired_at, lease_until, operation)
            VALUES (\(key.stack), \(key.instance), \(Self.ownerName), \(Self.hostName), \(pid), \(session), pg_backend_pid(),
                    clock_timestamp(), clock_timestamp() + make_interval(secs => \(leaseSeconds)), \(operation))
            ON CONFLICT (stack, instance) DO UPDATE SET owner = EXCLUDED.owner, host = EXCLUDED.host, pid = EXCLUDED.pid,
                session = EXCLUDED.session, backend_pid = EXCLUDED.backend_pid, acquired_at = EXCLUDED.acquired_at,
                lease_until = EXCLUDED.lease_until, operation = EXCLUDED.operation
            RETURNING owner, host, pid, acquired_at, lease_until, operation
            """, logger: logger
        ).collect().first
        guard let row else { return nil }
        let (owner, host, rowPID, acquiredAt, leaseUntil, op) = try row.decode((String, String, Int32, Date, Date, String).self)
        return LockInfo(owner: owner, host: host, pid: rowPID, acquiredAt: acquiredAt, leaseUntil: leaseUntil, operation: op)
    }

    /// A lock row with what the server knows about its holder.
    struct LockRow: Sendable {
        var info: LockInfo
        var session: String
        /// The lease ran out (server time).
        var expired: Bool
        /// The server process holding the instance's advisory lock, if anyone does.
        var advisoryPID: Int32?
    }

    /// The lock row and who really holds the advisory lock.
    func readLock(_ key: InstanceKey) async throws -> LockRow? {
        let id = try await lockID(key)
        let namespace = lockNamespace
        return try await run("reading the lock of \(key)") { c in
            let advisory = try await c.query(
                """
                SELECT pid FROM pg_locks WHERE locktype = 'advisory' AND granted AND objsubid = 2
                AND database = (SELECT oid FROM pg_database WHERE datname = current_database())
                AND classid = \(unescaped: String(namespace)) AND objid = \(unescaped: String(id))
                """, logger: self.logger
            ).collect().first?.decode(Int32.self)
            guard
                let row = try await c.query(
                    """
                    SELECT owner, host, pid, acquired_at, lease_until, operation, session, lease_until <= clock_timestamp()
                    FROM \(unescaped: self.table("locks")) WHERE stack = \(key.stack) AND instance = \(key.instance)
                    """, logger: self.logger
                ).collect().first
            else { return nil }  // free, or taken a moment ago with its row on its way
            let (owner, host, pid, acquiredAt, leaseUntil, operation, session, expired) =
                try row.decode((String, String, Int32, Date, Date, String, String, Bool).self)
            return LockRow(
                info: LockInfo(owner: owner, host: host, pid: pid, acquiredAt: acquiredAt, leaseUntil: leaseUntil, operation: operation),
                session: session, expired: expired, advisoryPID: advisory)
        }
    }

    public func renew(_ key: InstanceKey, lease: Duration) async throws {
        guard let connection = await held.connection(key) else { throw StateError.lockLost(key) }
        let seconds = Self.seconds(lease)
        let renewed: Int
        do {
            renewed = try await connection.query(
                """
                UPDATE \(unescaped: table("locks")) SET lease_until = clock_timestamp() + make_interval(secs => \(seconds))
                WHERE stack = \(key.stack) AND instance = \(key.instance) AND session = \(session) RETURNING 1
                """, logger: logger
            ).collect().count
        } catch {
            // The lock connection is gone, and the advisory lock with it.
            await held.drop(key)
            throw StateError.lockLost(key)
        }
        if renewed == 0 {
            await held.drop(key)
            throw StateError.lockLost(key)
        }
    }

    /// Releases the lock if this backend holds it; does nothing otherwise.
    public func unlock(_ key: InstanceKey) async throws {
        guard let connection = await held.take(key) else { return }
        let sql: PostgresQuery = "DELETE FROM \(unescaped: table("locks")) WHERE stack = \(key.stack) AND instance = \(key.instance) AND session = \(session)"
        let logger = self.logger
        // A lock connection the server ended (a restart) took its advisory lock with it, and a
        // query on it may never answer: bounded, and skipped when it is known closed.
        if !connection.isClosed {
            _ = try? await withDeadline(Self.closeDeadline, "unlocking \(key)") { try await connection.query(sql, logger: logger).collect().count }
        }
        // Closing the connection ends the session, and its advisory lock with it.
        _ = try? await withDeadline(Self.closeDeadline, "unlocking \(key)") { try await connection.close() }
    }

    /// Deletes the lock row and ends the holder's session (freeing its advisory lock); the
    /// holder's next renew reports `lockLost`. Returns who held it, if anyone did.
    public func forceUnlock(_ key: InstanceKey) async throws -> LockInfo? {
        let holder = try await readLock(key)
        let id = try await lockID(key)
        let namespace = lockNamespace
        _ = try await run("force-unlocking \(key)") { c in
            try await c.query(
                "DELETE FROM \(unescaped: self.table("locks")) WHERE stack = \(key.stack) AND instance = \(key.instance)", logger: self.logger)
            return try await c.query(
                """
                SELECT pg_terminate_backend(pid) FROM pg_locks WHERE locktype = 'advisory' AND granted AND objsubid = 2
                AND database = (SELECT oid FROM pg_database WHERE datname = current_database())
                AND classid = \(unescaped: String(namespace)) AND objid = \(unescaped: String(id))
                """, logger: self.logger
            ).collect().count
        }
        return holder.flatMap { $0.advisoryPID == nil ? nil : $0.info }
    }

    /// Who holds the lock: nil when nobody does, including when the row's holder is gone
    /// (its session ended, so its lock died with it).
    public func lockHolder(_ key: InstanceKey) async throws -> LockInfo? {
        guard let row = try await readLock(key), row.advisoryPID != nil else { return nil }
        return row.info
    }

    /// For tests: forgets the locks this backend holds without unlocking them, as a crash
    /// would (the rows stay; the connections, and so the advisory locks, end).
    func abandonLocks() async {
        await held.closeAll()
    }

    static func seconds(_ duration: Duration) -> Double {
        let c = duration.components
        return Double(c.seconds) + Double(c.attoseconds) / 1e18
    }
}

/// The connections that hold this backend's advisory locks, one per locked instance.
actor HeldLocks {
    private var connections: [InstanceKey: PostgresConnection] = [:]

    func connection(_ key: InstanceKey) -> PostgresConnection? {
        guard let connection = connections[key] else { return nil }
        if connection.isClosed {
            connections[key] = nil
            return nil
        }
        return connection
    }

    func keep(_ key: InstanceKey, _ connection: PostgresConnection) { connections[key] = connection }

    func take(_ key: InstanceKey) -> PostgresConnection? {
        defer { connections[key] = nil }
        return connections[key]
    }

    func drop(_ key: InstanceKey) {
        if let connection = connections.removeValue(forKey: key) { Task { try? await connection.close() } }
    }

    deinit {
        let all = Array(connections.values)
        if !all.isEmpty { Task { for connection in all { try? await connection.close() } } }
    }

    func closeAll() async {
        let all = connections.values
        connections = [:]
        for connection in all { try? await connection.close() }
    }
}
