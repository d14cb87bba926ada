import Foundation
import StrataModel
import StrataState
import Testing

/// What every `StateBackend` must do, run against SQLite and PostgreSQL alike.
@Suite struct StateBackendConformanceTests {
    @Test(arguments: BackendKind.available)
    func emptyStateHasSerialZeroAndStableLineage(_ kind: BackendKind) async throws {
        try await withStore(kind) { store in
            let backend = try store.open()
            let first = try await backend.load(demo)
            #expect(first.serial == 0 && first.resources.isEmpty && !first.lineage.isEmpty)
            #expect(try await backend.load(demo).lineage == first.lineage)
            #expect(try await backend.instances().isEmpty)
            try await backend.write(demo, .put(resource("test_resource.a"), intentToken: nil, action: "create"))
            let written = try await backend.load(demo)
            #expect(written.lineage == first.lineage && written.serial == 1)
            let other = try store.open()
            #expect(try await other.load(demo).lineage == first.lineage)
            let tenant = InstanceKey(stack: "demo", instance: "acme")
            try await other.write(tenant, .outputs([:]))
            #expect(try await other.load(tenant).lineage != first.lineage)
            #expect(try await other.instances() == [tenant, demo])
        }
    }

    @Test(arguments: BackendKind.available)
    func writeLoadRoundTripWithMarkersAndSealedSecrets(_ kind: BackendKind) async throws {
        try await withStore(kind) { store in
            let backend = try store.open()
            let b = resource("test_resource.b", id: "b-1", deps: ["test_resource.a"])
            let a = resource("test_resource.a", id: "a-1")
            var nested = resource("net.test_resource.c", id: "c-1", deps: ["test_resource.a", "test_resource.b"])
            nested.triggers = ["v1", .secret("t")]
            let old = resource("test_resource.b", id: "b-0", deposed: true)
            var serial = 0
            for r in [b, a, nested, old] { serial = try await backend.write(demo, .put(r, intentToken: nil, action: "create")) }
            #expect(serial == 4)
            let outputs: [String: ManifestOutput] = [
                "url": .init(value: "https://example.com/a"), "key": .init(value: .secret("k-secret"), secret: true), "later": .init(value: .unknown),
            ]
            #expect(try await backend.write(demo, .outputs(outputs)) == 5)
            let snapshot = try await backend.load(demo)
            #expect(snapshot.serial == 5)
            #expect(snapshot.resources == [nested, a, b, old])
            #expect(snapshot.outputs == outputs)
            #expect(snapshot.resources[1].inputs["password"] == .secret("hunter2"))
            // Secrets are sealed at rest.
            let raw = try store.rawText()
            #expect(raw.contains("$sealed"))
            #expect(!raw.contains("hunter2"))
            // Replacing a resource keeps one row.
            var updated = a
            updated.id = "a-2"
            updated.outputs["arn"] = "arn:aws:a"
            try await backend.write(demo, .put(updated, intentToken: nil, action: "update"))
            let after = try await backend.load(demo)
            #expect(after.resources.count == 4)
            #expect(after.resources.first { $0.address == a.address && !$0.deposed } == updated)
            #expect(after.serial == 6)
            // Another object with the same key reads it back; without the key the secrets stay sealed.
            #expect(try await store.open().load(demo).resources == after.resources)
        }
    }

    @Test(arguments: BackendKind.available)
    func historyRecordsEveryWrite(_ kind: BackendKind) async throws {
        try await withStore(kind) { store in
            let backend = try store.open()
            let before = Date()
            try await backend.write(demo, .put(resource("test_resource.a"), intentToken: nil, action: "create"))
            try await backend.write(demo, .put(resource("test_resource.b"), intentToken: nil, action: "import"))
            try await backend.write(demo, .move(from: addr("test_resource.b"), to: addr("test_resource.c")))
            try await backend.write(demo, .outputs(["x": .init(value: 1)]))
            try await backend.write(demo, .remove(addr("test_resource.a"), deposed: false, action: "delete"))
            let all = try await backend.history(demo, limit: 0)
            #expect(all.map(\.serial) == [5, 4, 3, 2, 1])
            #expect(all.map(\.action) == ["delete", "outputs", "move test_resource.b -> test_resource.c", "import", "create"])
            #expect(all.map(\.address) == ["test_resource.a", nil, "test_resource.b", "test_resource.b", "test_resource.a"])
            #expect(all.allSatisfy { $0.time >= before.addingTimeInterval(-1) && $0.time <= Date().addingTimeInterval(1) })
            #expect(try await backend.history(demo, limit: 2).map(\.serial) == [5, 4])
            #expect(try await backend.history(InstanceKey(stack: "x", instance: "y"), limit: 10).isEmpty)
        }
    }

    @Test(arguments: BackendKind.available)
    func moveDeposeAndRemove(_ kind: BackendKind) async throws {
        try await withStore(kind) { store in
            let backend = try store.open()
            try await backend.write(demo, .put(resource("test_resource.a"), intentToken: nil, action: "create"))
            try await backend.write(demo, .put(resource("test_resource.a", id: "old", deposed: true), intentToken: nil, action: "create"))
            try await backend.write(demo, .put(resource("test_resource.b", deps: ["test_resource.a"]), intentToken: nil, action: "create"))
            try await backend.write(demo, .move(from: addr("test_resource.a"), to: addr("net.test_resource.a")))
            var snapshot = try await backend.load(demo)
            #expect(snapshot.resources.map(\.address.description) == ["net.test_resource.a", "net.test_resource.a", "test_resource.b"])
            #expect(snapshot.resources.map(\.deposed) == [false, true, false])
            #expect(snapshot.resources[2].dependencies == [addr("net.test_resource.a")])
            await #expect(throws: StateError.self) { try await backend.write(demo, .move(from: addr("test_resource.zz"), to: addr("test_resource.yy"))) }
            await #expect(throws: StateError.self) { try await backend.write(demo, .move(from: addr("test_resource.b"), to: addr("net.test_resource.a"))) }
            // A second deposed copy is refused; nothing changed.
            await #expect(throws: StateError.self) { try await backend.write(demo, .depose(addr("net.test_resource.a"))) }
            #expect(try await backend.load(demo).serial == 4)
            try await backend.write(demo, .remove(addr("net.test_resource.a"), deposed: true, action: "delete"))
            #expect(try await backend.write(demo, .depose(addr("net.test_resource.a"))) == 6)
            snapshot = try await backend.load(demo)
            #expect(snapshot.resources.map(\.deposed) == [true, false])
            try await backend.write(demo, .remove(addr("net.test_resource.a"), deposed: true, action: "delete"))
            do {
                try await backend.write(demo, .remove(addr("net.test_resource.a"), deposed: false, action: "delete"))
                Issue.record("removing a missing resource should fail")
            } catch let error as StateError {
                guard case .notFound = error else { Issue.record("wrong error \(error)"); return }
                #expect(error.description.contains("net.test_resource.a"))
            }
            snapshot = try await backend.load(demo)
            #expect(snapshot.resources.map(\.address.description) == ["test_resource.b"])
            #expect(snapshot.serial == 7)
        }
    }

    @Test(arguments: BackendKind.available)
    func intentsJournalClearAndPutClears(_ kind: BackendKind) async throws {
        try await withStore(kind) { store in
            let backend = try store.open()
            let t0 = Date(timeIntervalSince1970: 1_700_000_000.25)
            let i1 = Intent(token: "tok-1", address: addr("test_resource.a"), provider: "test", inputs: ["p": .secret("hunter2"), "q": .unknown], createdAt: t0)
            let i2 = Intent(token: "tok-2", address: addr("test_resource.b"), provider: "test", inputs: [:], createdAt: t0 + 1)
            let i3 = Intent(token: "tok-3", address: addr("test_resource.c"), provider: "test", inputs: [:], createdAt: t0 + 2)
            try await backend.journal(demo, i2)
            try await backend.journal(demo, i1)
            try await backend.journal(demo, i3)
            let other = InstanceKey(stack: "demo", instance: "other")
            try await backend.journal(other, Intent(token: "tok-x", address: addr("test_resource.x"), provider: "test", inputs: [:]))
            let pending = try await backend.pendingIntents(demo)
            #expect(pending.map(\.token) == ["tok-1", "tok-2", "tok-3"])
            #expect(pending[0].inputs == i1.inputs)
            #expect(abs(pending[0].createdAt.timeIntervalSince(t0)) < 0.001)
            #expect(!(try store.rawText()).contains("hunter2"))
            #expect(try await backend.load(demo).serial == 0)
            try await backend.clearIntent(demo, token: "tok-2")
            #expect(try await backend.pendingIntents(demo).map(\.token) == ["tok-1", "tok-3"])
            try await backend.write(demo, .put(resource("test_resource.a"), intentToken: "tok-1", action: "create"))
            #expect(try await backend.pendingIntents(demo).map(\.token) == ["tok-3"])
            #expect(try await backend.pendingIntents(other).map(\.token) == ["tok-x"])
        }
    }

    @Test(arguments: BackendKind.available)
    func concurrentWritersLoseNothing(_ kind: BackendKind) async throws {
        try await withStore(kind) { store in
            let one = try store.open(), two = try store.open()
            let perWriter = 60
            let serials = try await withThrowingTaskGroup(of: [Int].self) { group in
                for (w, backend) in [one, two].enumerated() {
                    for lane in 0..<2 {
                        group.addTask {
                            var serials: [Int] = []
                            for n in 0..<(perWriter / 2) {
                                serials.append(try await backend.write(demo, .put(resource("test_resource.w\(w)_\(lane)_\(n)"), intentToken: nil, action: "create")))
                            }
                            return serials
                        }
                    }
                }
                var all: [Int] = []
                for try await s in group { all += s }
                return all
            }
            #expect(serials.sorted() == Array(1...(2 * perWriter)))
            let snapshot = try await two.load(demo)
            #expect(snapshot.serial == 2 * perWriter && snapshot.resources.count == 2 * perWriter)
            #expect(try await one.history(demo, limit: 0).count == 2 * perWriter)
        }
    }

    @Test(arguments: BackendKind.available)
    func sweepsAndOrigins(_ kind: BackendKind) async throws {
        try await withStore(kind) { store in
            func sweep(_ status: String, at seconds: Double) -> SweepRecord {
                SweepRecord(startedAt: Date(timeIntervalSince1970: seconds), durationSeconds: 0.5, status: status, checked: 3, changed: 1,
                            deleted: 2, unmanaged: 4, errors: 5, action: "none", reportJSON: "{\"status\":\"\(status)\"}")
            }
            let backend = try store.open(sweepsKept: 20)
            try await backend.write(demo, .put(resource("test_resource.a"), intentToken: nil, action: "create"))
            let first = try await backend.recordSweep(demo, sweep("clean", at: 100))
            let second = try await backend.recordSweep(demo, sweep("drift", at: 200))
            #expect(second > first)
            let sweeps = try await backend.sweeps(demo, limit: 0)
            #expect(sweeps.map(\.status) == ["drift", "clean"])
            #expect(sweeps[0] == { var s = sweep("drift", at: 200); s.id = second; return s }())
            #expect(try await backend.sweeps(demo, limit: 1).count == 1)
            #expect(try await backend.sweeps(InstanceKey(stack: "demo", instance: "other"), limit: 0).isEmpty)
            #expect(try await backend.load(demo).serial == 1)
            #expect(try await backend.history(demo, limit: 0).count == 1)
            for i in 0..<25 { try await backend.recordSweep(demo, sweep("clean", at: Double(1000 + i))) }
            let kept = try await backend.sweeps(demo, limit: 0)
            #expect(kept.count == 20)
            #expect(kept.last?.startedAt == Date(timeIntervalSince1970: 1005))

            #expect(try await backend.origin(demo) == nil)
            let origin = InstanceOrigin(stackDirectory: "/stacks/Demo", variables: ["env": "prod"], recordedAt: Date(timeIntervalSince1970: 7))
            try await backend.recordOrigin(demo, origin)
            try await backend.recordOrigin(demo, origin)
            #expect(try await store.open().origin(demo) == origin)
            // --var values are kept sealed: strata cannot tell which of them are secrets.
            let secretOrigin = InstanceOrigin(stackDirectory: "/stacks/Demo", variables: ["token": "origin-var-hunter2"], recordedAt: Date(timeIntervalSince1970: 8))
            try await backend.recordOrigin(demo, secretOrigin)
            #expect(try await store.open().origin(demo) == secretOrigin)
            #expect(!(try store.rawText()).contains("origin-var-hunter2"))
        }
    }

    @Test(arguments: BackendKind.available)
    func lastRunsAreKeptForInstancesNeverWrittenAndReplacedByTheNext(_ kind: BackendKind) async throws {
        try await withStore(kind) { store in
            let backend = try store.open()
            #expect(try await backend.lastRuns().isEmpty)
            let failed = RunRecord(operation: "apply", succeeded: false, finishedAt: Date(timeIntervalSince1970: 50), message: "size=huge is not one of small, medium")
            try await backend.recordRun(demo, failed)
            // A run that failed before its first write: recorded, yet the instance holds no state.
            #expect(try await store.open().lastRuns() == [demo: failed])
            #expect(try await backend.instances().isEmpty)
            #expect(try await backend.load(demo).serial == 0)
            let other = InstanceKey(stack: "demo", instance: "tenant/acme")
            let succeeded = RunRecord(operation: "destroy", succeeded: true, finishedAt: Date(timeIntervalSince1970: 60))
            try await backend.recordRun(other, succeeded)
            try await backend.recordRun(demo, RunRecord(operation: "apply", succeeded: true, finishedAt: Date(timeIntervalSince1970: 70)))
            let runs = try await store.open().lastRuns()
            #expect(runs.count == 2 && runs[other] == succeeded)
            #expect(runs[demo]?.succeeded == true && runs[demo]?.message == nil && runs[demo]?.finishedAt == Date(timeIntervalSince1970: 70))
        }
    }

    // MARK: Locks

    @Test(arguments: BackendKind.available)
    func secondHolderTimesOutNamingTheHolder(_ kind: BackendKind) async throws {
        try await withStore(kind) { store in
            let one = try store.open(), two = try store.open()
            let info = try await one.lock(demo, operation: "apply", timeout: .seconds(1), lease: .seconds(3600))
            #expect(info.pid == getpid())
            #expect(info.leaseUntil.timeIntervalSince(info.acquiredAt) > 3599)
            let started = ContinuousClock.now
            do {
                _ = try await two.lock(demo, operation: "destroy", timeout: .milliseconds(350), lease: .seconds(3600))
                Issue.record("the second lock should have timed out")
            } catch let error as StateError {
                guard case .locked(let key, let by) = error else { Issue.record("wrong error \(error)"); return }
                #expect(key == demo && by.operation == "apply" && by.pid == getpid() && by.owner == info.owner)
                #expect(error.description.contains("apply by \(info.owner)"))
            }
            #expect(ContinuousClock.now - started >= .milliseconds(350))
            // Re-entrant for the holder; another instance is independent.
            _ = try await one.lock(demo, operation: "apply", timeout: .zero, lease: .seconds(3600))
            _ = try await two.lock(InstanceKey(stack: "demo", instance: "acme"), operation: "apply", timeout: .zero, lease: .seconds(3600))
            // The loser's unlock does not release the holder's lock.
            try await two.unlock(demo)
            #expect(try await two.lockHolder(demo)?.operation == "apply")
            try await one.unlock(demo)
            #expect(try await two.lockHolder(demo) == nil)
            _ = try await two.lock(demo, operation: "destroy", timeout: .zero, lease: .seconds(3600))
            #expect(try await one.lockHolder(demo)?.operation == "destroy")
        }
    }

    @Test(arguments: BackendKind.available)
    func waiterGetsTheLockWhenReleased(_ kind: BackendKind) async throws {
        try await withStore(kind) { store in
            let one = try store.open(), two = try store.open()
            _ = try await one.lock(demo, operation: "apply", timeout: .zero, lease: .seconds(3600))
            // A long timeout: on a loaded machine the holder's task may wait a while for a thread.
            let waiter = Task { try await two.lock(demo, operation: "plan", timeout: .seconds(300), lease: .seconds(3600)) }
            try await Task.sleep(for: .milliseconds(300))
            try await one.unlock(demo)
            #expect(try await waiter.value.operation == "plan")
            #expect(try await one.lockHolder(demo)?.operation == "plan")
        }
    }

    @Test(arguments: BackendKind.available)
    func expiredLeaseIsTakenOverAndTheOldHolderLearnsIt(_ kind: BackendKind) async throws {
        try await withStore(kind) { store in
            let one = try store.open(), two = try store.open()
            _ = try await one.lock(demo, operation: "apply", timeout: .zero, lease: .milliseconds(300))
            try await one.renew(demo, lease: .milliseconds(300))
            let taken = try await two.lock(demo, operation: "destroy", timeout: .seconds(300), lease: .seconds(3600))
            #expect(taken.operation == "destroy")
            do {
                try await one.renew(demo, lease: .seconds(60))
                Issue.record("the old holder's renew should fail")
            } catch let error as StateError {
                guard case .lockLost = error else { Issue.record("wrong error \(error)"); return }
            }
            #expect(try await one.lockHolder(demo)?.operation == "destroy")
        }
    }

    @Test(arguments: BackendKind.available)
    func renewExtendsTheLease(_ kind: BackendKind) async throws {
        try await withStore(kind) { store in
            let one = try store.open(), two = try store.open()
            let first = try await one.lock(demo, operation: "apply", timeout: .zero, lease: .seconds(2))
            try await one.renew(demo, lease: .seconds(120))
            let holder = try #require(try await two.lockHolder(demo))
            #expect(holder.leaseUntil.timeIntervalSince(first.leaseUntil) > 100)
            await #expect(throws: StateError.self) { try await two.renew(demo, lease: .seconds(5)) }
        }
    }

    @Test(arguments: BackendKind.available)
    func forceUnlockRemovesAnyHolder(_ kind: BackendKind) async throws {
        try await withStore(kind) { store in
            let one = try store.open(), two = try store.open()
            _ = try await one.lock(demo, operation: "apply", timeout: .zero, lease: .seconds(600))
            let removed = try await two.forceUnlock(demo)
            #expect(removed?.operation == "apply")
            #expect(try await two.lockHolder(demo) == nil)
            _ = try await two.lock(demo, operation: "destroy", timeout: .seconds(300), lease: .seconds(3600))
            await #expect(throws: StateError.self) { try await one.renew(demo, lease: .seconds(60)) }
            #expect(try await two.forceUnlock(InstanceKey(stack: "none", instance: "x")) == nil)
        }
    }

    @Test(arguments: BackendKind.available)
    func concurrentLockersOnlyOneWins(_ kind: BackendKind) async throws {
        try await withStore(kind) { store in
            let backends = try (0..<6).map { _ in try store.open() }
            let winners = await withTaskGroup(of: Bool.self) { group in
                for backend in backends {
                    group.addTask { (try? await backend.lock(demo, operation: "apply", timeout: .zero, lease: .seconds(3600))) != nil }
                }
                var count = 0
                for await won in group where won { count += 1 }
                return count
            }
            #expect(winners == 1)
        }
    }
}
