import Foundation
import StrataModel
import Testing

@testable import StrataState

@Suite struct DriftHistoryTests {
    func sweep(_ status: String, at seconds: Double) -> SweepRecord {
        SweepRecord(startedAt: Date(timeIntervalSince1970: seconds), durationSeconds: 0.5, status: status, checked: 3, changed: 1,
                    deleted: 0, unmanaged: 0, errors: 0, action: "none", reportJSON: "{\"status\":\"\(status)\"}")
    }

    @Test func sweepsAreKeptNewestFirstAndDoNotTouchTheState() async throws {
        let dir = try TempDir()
        let backend = try SQLiteStateBackend(path: dir.dbPath)
        try await backend.write(demo, .put(resource("test_resource.a"), intentToken: nil, action: "create"))
        let first = try await backend.recordSweep(demo, sweep("clean", at: 100))
        let second = try await backend.recordSweep(demo, sweep("drift", at: 200))
        #expect(second > first)
        let sweeps = try await backend.sweeps(demo, limit: 0)
        #expect(sweeps.map(\.status) == ["drift", "clean"])
        #expect(sweeps[0].startedAt == Date(timeIntervalSince1970: 200))
        #expect(sweeps[0].reportJSON == "{\"status\":\"drift\"}")
        #expect(try await backend.sweeps(demo, limit: 1).count == 1)
        #expect(try await backend.sweeps(InstanceKey(stack: "demo", instance: "other"), limit: 0).isEmpty)
        // Not state: the serial and the state history are untouched.
        #expect(try await backend.load(demo).serial == 1)
        #expect(try await backend.history(demo, limit: 0).count == 1)
    }

    @Test func onlyTheNewestSweepsAreKept() async throws {
        let dir = try TempDir()
        let backend = try SQLiteStateBackend(path: dir.dbPath, sweepsKept: 20)
        for i in 0..<25 { try await backend.recordSweep(demo, sweep("clean", at: Double(i))) }
        let kept = try await backend.sweeps(demo, limit: 0)
        #expect(kept.count == 20)
        #expect(SQLiteStateBackend.defaultSweepsKept == 1000)
        #expect(kept.last?.startedAt == Date(timeIntervalSince1970: 5))
    }

    @Test func theOriginOfAnInstanceIsRecorded() async throws {
        let dir = try TempDir()
        let backend = try SQLiteStateBackend(path: dir.dbPath)
        #expect(try await backend.origin(demo) == nil)
        try await backend.recordOrigin(demo, InstanceOrigin(stackDirectory: "/stacks/Demo", variables: ["env": "prod"], recordedAt: Date(timeIntervalSince1970: 7)))
        #expect(try await backend.origin(demo) == InstanceOrigin(stackDirectory: "/stacks/Demo", variables: ["env": "prod"], recordedAt: Date(timeIntervalSince1970: 7)))
        // Reopening runs no migration twice.
        let again = try SQLiteStateBackend(path: dir.dbPath)
        #expect(try await again.origin(demo)?.variables == ["env": "prod"])
    }
}
