import Foundation
import StrataModel
import Testing

@testable import StrataState

/// The pid of a child process that has already exited.
func deadPid() throws -> Int32 {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/bin/sh")
    process.arguments = ["-c", "exit 0"]
    try process.run()
    process.waitUntilExit()
    return process.processIdentifier
}

func holder(pid: Int32, host: String = SQLiteStateBackend.hostName, lease: TimeInterval = 3600, operation: String = "apply") -> LockInfo {
    LockInfo(owner: "someone@\(host)", host: host, pid: pid, acquiredAt: Date(), leaseUntil: Date() + lease, operation: operation)
}

@Suite struct LockTests {
    @Test func secondBackendTimesOutNamingTheHolder() async throws {
        let dir = try TempDir()
        let one = try SQLiteStateBackend(path: dir.dbPath)
        let two = try SQLiteStateBackend(path: dir.dbPath)
        let info = try await one.lock(demo, operation: "apply", timeout: .seconds(1), lease: .seconds(3600))
        #expect(info.pid == getpid())
        #expect(info.host == SQLiteStateBackend.hostName)
        #expect(info.owner.hasSuffix("@\(SQLiteStateBackend.hostName)"))
        #expect(info.leaseUntil.timeIntervalSince(info.acquiredAt) > 3599)

        let started = ContinuousClock.now
        do {
            _ = try await two.lock(demo, operation: "destroy", timeout: .milliseconds(350), lease: .seconds(3600))
            Issue.record("the second lock should have timed out")
        } catch let error as StateError {
            guard case .locked(let key, let by) = error else { Issue.record("wrong error \(error)"); return }
            #expect(key == demo)
            #expect(by.operation == "apply")
            #expect(by.pid == getpid())
            #expect(by.owner == info.owner)
            #expect(error.description.contains("apply by \(info.owner)"))
        }
        #expect(ContinuousClock.now - started >= .milliseconds(350))

        // Re-entrant for the holder; another instance of the stack is independent.
        _ = try await one.lock(demo, operation: "apply", timeout: .zero, lease: .seconds(60))
        _ = try await two.lock(InstanceKey(stack: "demo", instance: "acme"), operation: "apply", timeout: .zero, lease: .seconds(60))

        // The loser's unlock does not release the holder's lock.
        try await two.unlock(demo)
        #expect(try await two.lockHolder(demo)?.operation == "apply")

        try await one.unlock(demo)
        #expect(try await two.lockHolder(demo) == nil)
        _ = try await two.lock(demo, operation: "destroy", timeout: .zero, lease: .seconds(60))
        #expect(try await one.lockHolder(demo)?.operation == "destroy")
    }

    @Test func waiterGetsTheLockWhenReleased() async throws {
        let dir = try TempDir()
        let one = try SQLiteStateBackend(path: dir.dbPath)
        let two = try SQLiteStateBackend(path: dir.dbPath)
        _ = try await one.lock(demo, operation: "apply", timeout: .zero, lease: .seconds(60))
        let waiter = Task { try await two.lock(demo, operation: "plan", timeout: .seconds(60), lease: .seconds(60)) }
        try await Task.sleep(for: .milliseconds(300))
        try await one.unlock(demo)
        let got = try await waiter.value
        #expect(got.operation == "plan")
        #expect(try await one.lockHolder(demo)?.operation == "plan")
    }

    @Test func expiredLeaseIsTakenOver() async throws {
        let dir = try TempDir()
        let one = try SQLiteStateBackend(path: dir.dbPath)
        let two = try SQLiteStateBackend(path: dir.dbPath)
        _ = try await one.lock(demo, operation: "apply", timeout: .zero, lease: .milliseconds(200))
        try await one.renew(demo, lease: .milliseconds(200))
        try await Task.sleep(for: .milliseconds(300))
        let taken = try await two.lock(demo, operation: "apply", timeout: .zero, lease: .seconds(60))
        #expect(taken.pid == getpid())

        // The first holder finds out when it next renews, and its unlock leaves the new holder alone.
        await #expect(throws: StateError.self) { try await one.renew(demo, lease: .seconds(60)) }
        try await one.unlock(demo)
        #expect(try await two.lockHolder(demo) != nil)

        // A foreign host's expired lease is taken over too.
        try await one.plantLock(demo, holder(pid: 4242, host: "elsewhere.example", lease: -1))
        _ = try await two.lock(demo, operation: "apply", timeout: .zero, lease: .seconds(60))
    }

    @Test func renewExtendsTheLease() async throws {
        let dir = try TempDir()
        let one = try SQLiteStateBackend(path: dir.dbPath)
        let first = try await one.lock(demo, operation: "apply", timeout: .zero, lease: .seconds(5))
        try await one.renew(demo, lease: .seconds(120))
        let renewed = try #require(try await one.lockHolder(demo))
        #expect(renewed.leaseUntil.timeIntervalSince(first.leaseUntil) > 100)
        #expect(renewed.acquiredAt == first.acquiredAt || abs(renewed.acquiredAt.timeIntervalSince(first.acquiredAt)) < 0.001)

        // Renewing a lock never taken is a lost lock.
        do {
            try await one.renew(InstanceKey(stack: "demo", instance: "nobody"), lease: .seconds(5))
            Issue.record("renew without a lock should fail")
        } catch let error as StateError {
            guard case .lockLost = error else { Issue.record("wrong error \(error)"); return }
        }
    }

    @Test func deadHolderOnThisHostIsTakenOver() async throws {
        let dir = try TempDir()
        let one = try SQLiteStateBackend(path: dir.dbPath)
        let pid = try deadPid()
        #expect(!SQLiteStateBackend.processIsAlive(pid))
        #expect(SQLiteStateBackend.processIsAlive(getpid()))
        try await one.plantLock(demo, holder(pid: pid))
        let taken = try await one.lock(demo, operation: "apply", timeout: .zero, lease: .seconds(60))
        #expect(taken.pid == getpid())
    }

    @Test func liveOrRemoteHolderIsNotTakenOver() async throws {
        let dir = try TempDir()
        let one = try SQLiteStateBackend(path: dir.dbPath)
        // A process alive on this host (pid 1 always exists) holds it.
        try await one.plantLock(demo, holder(pid: 1))
        await #expect(throws: StateError.self) {
            try await one.lock(demo, operation: "apply", timeout: .milliseconds(150), lease: .seconds(60))
        }
        // A pid on another host cannot be checked: only its lease counts.
        try await one.plantLock(demo, holder(pid: try deadPid(), host: "elsewhere.example"))
        do {
            _ = try await one.lock(demo, operation: "apply", timeout: .zero, lease: .seconds(60))
            Issue.record("a remote holder's lock was taken")
        } catch let error as StateError {
            guard case .locked(_, let by) = error else { Issue.record("wrong error \(error)"); return }
            #expect(by.host == "elsewhere.example")
        }
    }

    @Test func forceUnlockRemovesAnyHolder() async throws {
        let dir = try TempDir()
        let one = try SQLiteStateBackend(path: dir.dbPath)
        let two = try SQLiteStateBackend(path: dir.dbPath)
        #expect(try await two.forceUnlock(demo) == nil)
        let info = try await one.lock(demo, operation: "apply", timeout: .zero, lease: .seconds(60))
        let removed = try await two.forceUnlock(demo)
        #expect(removed?.operation == "apply")
        #expect(removed?.pid == info.pid)
        #expect(abs((removed?.acquiredAt.timeIntervalSince(info.acquiredAt)) ?? 99) < 0.001)
        #expect(try await one.lockHolder(demo) == nil)
        await #expect(throws: StateError.self) { try await one.renew(demo, lease: .seconds(60)) }
        _ = try await two.lock(demo, operation: "apply", timeout: .zero, lease: .seconds(60))
    }

    @Test func concurrentLockersOnlyOneWins() async throws {
        let dir = try TempDir()
        let backends = try (0..<6).map { _ in try SQLiteStateBackend(path: dir.dbPath) }
        let winners = await withTaskGroup(of: Bool.self) { group in
            for backend in backends {
                group.addTask {
                    (try? await backend.lock(demo, operation: "apply", timeout: .zero, lease: .seconds(60))) != nil
                }
            }
            var count = 0
            for await won in group where won { count += 1 }
            return count
        }
        #expect(winners == 1)
    }
}
