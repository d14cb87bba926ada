import Foundation
import StrataModel
import StrataState

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// The instance lock is the object `lock.json` (who, what, until when), and S3's conditional
/// writes decide who gets it:
///
/// - **take**: `PutObject` with `If-None-Match: *`: of any number of racing takers, exactly one
///   is answered 200; the others 412 (or 409), and read who won.
/// - **take over** a lock whose lease ran out (or whose process is gone from this host): a put
///   with `If-Match: <the ETag of the lock object as read>`, so of two racing takers only one wins.
/// - **renew**: a put with `If-Match: <the ETag this backend last wrote>`; refused means someone
///   took the lock over or force-unlocked it: `StateError.lockLost`.
/// - **unlock**: `DeleteObject` with `If-Match` of our ETag (a lock taken over is left alone).
///
/// Leases are in the writers' clocks (the lock says until when, in seconds since 1970): keep
/// machines sharing a state within a few seconds of each other (NTP); leases are 60 s.
extension S3StateBackend {
    /// How often `lock` looks again while someone else holds the lock.
    static let lockPollInterval: Duration = .milliseconds(150)

    static let hostName: String = ProcessInfo.processInfo.hostName
    static let ownerName: String = {
        let env = ProcessInfo.processInfo.environment
        var user = env["USER"] ?? ""
        if user.isEmpty { user = NSUserName() }
        if user.isEmpty { user = "unknown" }
        return "\(user)@\(hostName)"
    }()

    private func lockDocument(operation: String, lease: Duration) -> S3StateDocuments.Lock {
        let now = Date().timeIntervalSince1970
        return S3StateDocuments.Lock(
            owner: Self.ownerName, host: Self.hostName, pid: getpid(), session: session,
            acquiredAt: now, leaseUntil: now + Self.seconds(lease), operation: operation)
    }

    /// The lock object as it is now, and its ETag.
    func readLock(_ key: InstanceKey) async throws -> (lock: S3StateDocuments.Lock, etag: String)? {
        guard let object = try await store.get(lockKey(key)) else { return nil }
        let lock = try S3StateDocuments.decode(S3StateDocuments.Lock.self, object.data, "the lock \(url)/\(lockKey(key))")
        return (lock, object.etag)
    }

    public func lock(_ key: InstanceKey, operation: String, timeout: Duration, lease: Duration) async throws -> LockInfo {
        try await prepare()
        let deadline = ContinuousClock.now + timeout
        while true {
            do {
                // Free: whoever creates the object holds the lock.
                let mine = lockDocument(operation: operation, lease: lease)
                let etag = try await store.put(lockKey(key), try S3StateDocuments.encode(mine), .absent)
                await held.keep(key, mine, etag: etag)
                return mine.info
            } catch is S3ObjectStore.Conflict {}
            var holder: LockInfo?
            if let (current, etag) = try await readLock(key) {
                // Ours already (re-entrant), or stale: replace it, if it is still what we read.
                if current.session == session || Self.isStale(current, now: Date()) {
                    let mine = lockDocument(operation: operation, lease: lease)
                    do {
                        let newETag = try await store.put(lockKey(key), try S3StateDocuments.encode(mine), .matches(etag))
                        await held.keep(key, mine, etag: newETag)
                        return mine.info
                    } catch is S3ObjectStore.Conflict {
                        continue  // someone else replaced or removed it first: look again
                    }
                }
                holder = current.info
            } else {
                continue  // released between our put and our read: try again at once
            }
            let now = ContinuousClock.now
            if now >= deadline, let holder { throw StateError.locked(key, holder: holder) }
            try await Task.sleep(for: min(Self.lockPollInterval, max(.zero, deadline - now)))
        }
    }

    /// A lock that may be taken over: its lease ran out, or its process is gone from this host.
    static func isStale(_ lock: S3StateDocuments.Lock, now: Date) -> Bool {
        if lock.leaseUntil <= now.timeIntervalSince1970 { return true }
        if lock.host == hostName, !processIsAlive(lock.pid) { return true }
        return false
    }

    static func processIsAlive(_ pid: Int32) -> Bool {
        guard pid > 0 else { return false }
        if kill(pid, 0) == 0 { return true }
        return errno != ESRCH  // EPERM: it exists but belongs to someone else
    }

    public func renew(_ key: InstanceKey, lease: Duration) async throws {
        try await prepare()
        guard let (mine, etag) = await held.lock(key) else { throw StateError.lockLost(key) }
        var renewed = mine
        renewed.leaseUntil = Date().timeIntervalSince1970 + Self.seconds(lease)
        do {
            let newETag = try await store.put(lockKey(key), try S3StateDocuments.encode(renewed), .matches(etag))
            await held.keep(key, renewed, etag: newETag)
        } catch is S3ObjectStore.Conflict {
            await held.drop(key)
            throw StateError.lockLost(key)
        }
    }

    /// Releases the lock if this backend holds it; does nothing otherwise.
    public func unlock(_ key: InstanceKey) async throws {
        try await prepare()
        guard let (_, etag) = await held.lock(key) else { return }
        await held.drop(key)
        do {
            try await store.delete(lockKey(key), ifMatch: etag)
        } catch is S3ObjectStore.Conflict {
            // Taken over (or force-unlocked) meanwhile: it is not ours to remove.
        }
    }

    public func forceUnlock(_ key: InstanceKey) async throws -> LockInfo? {
        try await prepare()
        guard let (current, _) = try await readLock(key) else { return nil }
        try await store.delete(lockKey(key))
        return current.info
    }

    public func lockHolder(_ key: InstanceKey) async throws -> LockInfo? {
        try await prepare()
        return try await readLock(key)?.lock.info
    }

    static func seconds(_ duration: Duration) -> TimeInterval {
        let c = duration.components
        return Double(c.seconds) + Double(c.attoseconds) / 1e18
    }
}

/// Each `lock.json` this backend object wrote and still holds, with its ETag.
actor HeldLocks {
    private var locks: [InstanceKey: (S3StateDocuments.Lock, String)] = [:]
    func keep(_ key: InstanceKey, _ lock: S3StateDocuments.Lock, etag: String) { locks[key] = (lock, etag) }
    func lock(_ key: InstanceKey) -> (S3StateDocuments.Lock, String)? { locks[key] }
    func drop(_ key: InstanceKey) { locks[key] = nil }
}
