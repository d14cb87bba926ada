import Foundation
import StrataModel
import Testing

@testable import StrataState

/// A fresh temporary folder, removed when the test ends.
final class TempDir {
    let url: URL
    init() throws {
        url = FileManager.default.temporaryDirectory.appendingPathComponent("strata-state-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    }
    var dbPath: String { url.appendingPathComponent("state.db").path }
    deinit { try? FileManager.default.removeItem(at: url) }
}

let demo = InstanceKey(stack: "demo", instance: "default")

func addr(_ text: String) -> ResourceAddress {
    guard let a = ResourceAddress(parsing: text) else { fatalError("bad test address \(text)") }
    return a
}

func resource(_ address: String, id: String = "id-1", deps: [String] = [], deposed: Bool = false) -> ResourceState {
    ResourceState(
        address: addr(address), provider: addr(address).provider, id: id,
        inputs: ["name": "web", "count": 3, "password": .secret("hunter2"), "tags": .map(["a": "b"])],
        outputs: ["name": "web", "arn": .unknown, "password": .secret("hunter2"), "list": .list([1, 2.5, nil, true])],
        dependencies: deps.map(addr), deposed: deposed)
}

@Suite struct SQLiteStateBackendTests {
    @Test func emptyStateHasSerialZeroAndStableLineage() async throws {
        let dir = try TempDir()
        let backend = try SQLiteStateBackend(path: dir.dbPath)
        let first = try await backend.load(demo)
        #expect(first.serial == 0)
        #expect(first.resources.isEmpty)
        #expect(!first.lineage.isEmpty)
        let again = try await backend.load(demo)
        #expect(again.lineage == first.lineage)
        // A looked-at but never written instance is not listed.
        #expect(try await backend.instances().isEmpty)

        try await backend.write(demo, .put(resource("test_resource.a"), intentToken: nil, action: "create"))
        let written = try await backend.load(demo)
        #expect(written.lineage == first.lineage)
        #expect(written.serial == 1)

        // Another object on the same file sees the same lineage; other instances get their own.
        let other = try SQLiteStateBackend(path: dir.dbPath)
        #expect(try await other.load(demo).lineage == first.lineage)
        let tenant = InstanceKey(stack: "demo", instance: "acme")
        try await other.write(tenant, .outputs([:]))
        #expect(try await other.load(tenant).lineage != first.lineage)
    }

    @Test func writeLoadRoundTripWithMarkers() async throws {
        let dir = try TempDir()
        let backend = try SQLiteStateBackend(path: dir.dbPath)
        let b = resource("test_resource.b", id: "b-1", deps: ["test_resource.a"])
        let a = resource("test_resource.a", id: "a-1")
        let nested = resource("net.test_resource.c", id: "c-1", deps: ["test_resource.a", "test_resource.b"])
        let old = resource("test_resource.b", id: "b-0", deposed: true)
        var serial = 0
        for r in [b, a, nested, old] {
            serial = try await backend.write(demo, .put(r, intentToken: nil, action: "create"))
        }
        #expect(serial == 4)
        let outputs: [String: ManifestOutput] = [
            "url": .init(value: "https://example.com/a"), "key": .init(value: .secret("k"), secret: true),
            "later": .init(value: .unknown),
        ]
        #expect(try await backend.write(demo, .outputs(outputs)) == 5)

        let snapshot = try await backend.load(demo)
        #expect(snapshot.key == demo)
        #expect(snapshot.serial == 5)
        #expect(snapshot.resources == [nested, a, b, old])  // sorted by address, current before deposed
        #expect(snapshot.outputs == outputs)
        #expect(snapshot.resources[1].outputs["arn"] == .unknown)
        #expect(snapshot.resources[1].inputs["password"] == .secret("hunter2"))
        #expect(try await backend.instances() == [demo])

        // Replacing a resource keeps one row.
        var updated = a
        updated.id = "a-2"
        updated.outputs["arn"] = "arn:aws:a"
        try await backend.write(demo, .put(updated, intentToken: nil, action: "update"))
        let after = try await backend.load(demo)
        #expect(after.resources.count == 4)
        #expect(after.resources.first { $0.address == a.address && !$0.deposed } == updated)
        #expect(after.serial == 6)
    }

    @Test func historyRecordsEveryWrite() async throws {
        let dir = try TempDir()
        let backend = try SQLiteStateBackend(path: dir.dbPath)
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

    @Test func moveAndRemove() async throws {
        let dir = try TempDir()
        let backend = try SQLiteStateBackend(path: dir.dbPath)
        try await backend.write(demo, .put(resource("test_resource.a"), intentToken: nil, action: "create"))
        try await backend.write(demo, .put(resource("test_resource.a", id: "old", deposed: true), intentToken: nil, action: "create"))
        try await backend.write(demo, .put(resource("test_resource.b", deps: ["test_resource.a"]), intentToken: nil, action: "create"))

        try await backend.write(demo, .move(from: addr("test_resource.a"), to: addr("net.test_resource.a")))
        var snapshot = try await backend.load(demo)
        #expect(snapshot.resources.map(\.address.description) == ["net.test_resource.a", "net.test_resource.a", "test_resource.b"])
        #expect(snapshot.resources.map(\.deposed) == [false, true, false])
        #expect(snapshot.resources[2].dependencies == [addr("net.test_resource.a")])
        #expect(snapshot.serial == 4)

        // Moving something missing, or onto something present, fails and changes nothing.
        await #expect(throws: StateError.self) {
            try await backend.write(demo, .move(from: addr("test_resource.zz"), to: addr("test_resource.yy")))
        }
        await #expect(throws: StateError.self) {
            try await backend.write(demo, .move(from: addr("test_resource.b"), to: addr("net.test_resource.a")))
        }
        #expect(try await backend.load(demo).serial == 4)

        try await backend.write(demo, .remove(addr("net.test_resource.a"), deposed: true, action: "delete"))
        snapshot = try await backend.load(demo)
        #expect(snapshot.resources.map(\.deposed) == [false, false])
        try await backend.write(demo, .remove(addr("net.test_resource.a"), deposed: false, action: "state rm"))
        snapshot = try await backend.load(demo)
        #expect(snapshot.resources.map(\.address.description) == ["test_resource.b"])
        #expect(snapshot.serial == 6)

        do {
            try await backend.write(demo, .remove(addr("net.test_resource.a"), deposed: false, action: "delete"))
            Issue.record("removing a missing resource should fail")
        } catch let error as StateError {
            guard case .notFound = error else { Issue.record("wrong error \(error)"); return }
            #expect(error.description.contains("net.test_resource.a"))
        }
        #expect(try await backend.load(demo).serial == 6)
    }

    @Test func intentsJournalClearAndPutClears() async throws {
        let dir = try TempDir()
        let backend = try SQLiteStateBackend(path: dir.dbPath)
        let t0 = Date(timeIntervalSince1970: 1_700_000_000.25)
        let i1 = Intent(token: "tok-1", address: addr("test_resource.a"), provider: "test", inputs: ["p": .secret("s"), "q": .unknown], createdAt: t0)
        let i2 = Intent(token: "tok-2", address: addr("test_resource.b"), provider: "test", inputs: [:], createdAt: t0 + 1)
        let i3 = Intent(token: "tok-3", address: addr("test_resource.c"), provider: "test", inputs: [:], createdAt: t0 + 2)
        try await backend.journal(demo, i2)
        try await backend.journal(demo, i1)
        try await backend.journal(demo, i3)
        try await backend.journal(InstanceKey(stack: "demo", instance: "other"), Intent(token: "tok-x", address: addr("test_resource.x"), provider: "test", inputs: [:]))

        let pending = try await backend.pendingIntents(demo)
        #expect(pending.map(\.token) == ["tok-1", "tok-2", "tok-3"])
        #expect(pending[0].inputs == i1.inputs)
        #expect(pending[0].address == i1.address && pending[0].provider == "test")
        #expect(abs(pending[0].createdAt.timeIntervalSince(t0)) < 0.001)
        // Journaling does not bump the serial.
        #expect(try await backend.load(demo).serial == 0)

        try await backend.clearIntent(demo, token: "tok-2")
        #expect(try await backend.pendingIntents(demo).map(\.token) == ["tok-1", "tok-3"])

        try await backend.write(demo, .put(resource("test_resource.a"), intentToken: "tok-1", action: "create"))
        #expect(try await backend.pendingIntents(demo).map(\.token) == ["tok-3"])
        #expect(try await backend.pendingIntents(InstanceKey(stack: "demo", instance: "other")).map(\.token) == ["tok-x"])
    }

    @Test func serialIncrementsOnePerWrite() async throws {
        let dir = try TempDir()
        let backend = try SQLiteStateBackend(path: dir.dbPath)
        for n in 1...20 {
            let serial = try await backend.write(demo, .put(resource("test_resource.r\(n % 5)"), intentToken: nil, action: "update"))
            #expect(serial == n)
        }
        #expect(try await backend.load(demo).serial == 20)
        #expect(try await backend.load(demo).resources.count == 5)
    }

    @Test func concurrentWritersOnOneFileLoseNothing() async throws {
        let dir = try TempDir()
        let one = try SQLiteStateBackend(path: dir.dbPath)
        let two = try SQLiteStateBackend(path: dir.dbPath)
        let perWriter = 200
        let serials = try await withThrowingTaskGroup(of: [Int].self) { group in
            for (w, backend) in [one, two].enumerated() {
                for lane in 0..<2 {
                    group.addTask {
                        var serials: [Int] = []
                        for n in 0..<(perWriter / 2) {
                            let r = resource("test_resource.w\(w)_\(lane)_\(n)")
                            serials.append(try await backend.write(demo, .put(r, intentToken: nil, action: "create")))
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
        #expect(snapshot.serial == 2 * perWriter)
        #expect(snapshot.resources.count == 2 * perWriter)
        #expect(try await one.history(demo, limit: 0).count == 2 * perWriter)
    }

    @Test func writeCost() async throws {
        let dir = try TempDir()
        let backend = try SQLiteStateBackend(path: dir.dbPath)
        let count = 10_000
        let resources = (0..<count).map { resource("test_resource.r\($0)", id: "id-\($0)", deps: ["test_resource.base"]) }
        let clock = ContinuousClock()
        let elapsed = try await clock.measure {
            for r in resources {
                try await backend.write(demo, .put(r, intentToken: nil, action: "create"))
            }
        }
        let loadTime = try await clock.measure {
            let snapshot = try await backend.load(demo)
            #expect(snapshot.resources.count == count)
            #expect(snapshot.serial == count)
        }
        let perWrite = SQLiteStateBackend.seconds(elapsed) / Double(count) * 1e6
        print("SQLiteStateBackend: \(count) writes in \(elapsed), \(String(format: "%.1f", perWrite)) µs per write; load of \(count) resources \(loadTime)")
    }
}

@Suite struct SQLiteOpeningTests {
    @Test func manyOpenersOfAFreshFileAllSucceed() async throws {
        let dir = try TempDir()
        let path = dir.dbPath
        let opened = try await withThrowingTaskGroup(of: SQLiteStateBackend.self) { group in
            for _ in 0..<6 {
                group.addTask { try await Task.detached { try SQLiteStateBackend(path: path) }.value }
            }
            var all: [SQLiteStateBackend] = []
            for try await b in group { all.append(b) }
            return all
        }
        for (n, backend) in opened.enumerated() {
            #expect(try await backend.write(demo, .outputs(["n": .init(value: .number(Double(n)))])) == n + 1)
        }
    }

    @Test func notADatabaseIsAStorageError() throws {
        let dir = try TempDir()
        try Data("hello, this is not sqlite at all, not even close to a header".utf8).write(to: URL(fileURLWithPath: dir.dbPath))
        do {
            _ = try SQLiteStateBackend(path: dir.dbPath)
            Issue.record("opening garbage should fail")
        } catch let error as StateError {
            guard case .storage = error else { Issue.record("wrong error \(error)"); return }
            #expect(error.description.contains(dir.dbPath))
        }
    }
}
