import Foundation
import StrataModel
import Testing

@testable import StrataState

/// `StateIntegrity`: what `strata state check` and the torture test count as a corrupt state.
@Suite struct StateIntegrityTests {
    func history(_ serials: [Int]) -> [HistoryEntry] {
        serials.sorted(by: >).map { HistoryEntry(serial: $0, time: Date(), action: "create", address: nil) }
    }

    func snapshot(_ resources: [ResourceState], serial: Int) -> StateSnapshot {
        StateSnapshot(key: demo, serial: serial, lineage: "l", resources: resources, outputs: [:])
    }

    @Test func aStateWrittenByTheBackendIsIntact() async throws {
        let dir = try TempDir()
        let backend = try SQLiteStateBackend(path: dir.dbPath)
        try await backend.write(demo, .put(resource("test_resource.a", id: "a"), intentToken: nil, action: "create"))
        try await backend.write(demo, .put(resource("test_resource.b", id: "b", deps: ["test_resource.a"]), intentToken: nil, action: "create"))
        try await backend.write(demo, .depose(addr("test_resource.a")))
        try await backend.write(demo, .put(resource("test_resource.a", id: "a2"), intentToken: nil, action: "replace"))
        let loaded = try await backend.load(demo)
        #expect(StateIntegrity.problems(loaded, history: try await backend.history(demo, limit: 0)).isEmpty)
    }

    @Test func aMissingDependencyADuplicateIdAndAHistoryGapAreEachFound() {
        let state = snapshot([
            resource("test_resource.a", id: "same"),
            resource("test_resource.b", id: "same", deps: ["test_resource.gone"]),
            resource("random_password.p", id: "none"),
            resource("random_password.q", id: "none"),
        ], serial: 5)
        let problems = StateIntegrity.problems(state, history: history([1, 2, 4, 5]))
        #expect(problems.map(\.kind).sorted() == ["dependency", "duplicate-id", "history"], "\(problems)")
        #expect(problems.contains { $0.message.contains("test_resource.gone") })
        #expect(problems.contains { $0.kind == "history" && $0.message.contains("3") })
    }

    @Test func aSerialRecordedTwiceOrBeyondTheStateIsFound() {
        let twice = StateIntegrity.problems(snapshot([], serial: 2), history: history([1, 2, 2]))
        #expect(twice.map(\.message) == ["serial 2 is in the history 2 times"])
        let beyond = StateIntegrity.problems(snapshot([], serial: 2), history: history([1, 2, 3]))
        #expect(beyond.map(\.message) == ["the history reaches serial 3 but the state is at serial 2"])
        #expect(StateIntegrity.problems(snapshot([], serial: 0), history: []).isEmpty)
    }

    @Test func twoCurrentCopiesOfOneAddressAreFound() {
        let problems = StateIntegrity.problems(snapshot([resource("test_resource.a", id: "x"), resource("test_resource.a", id: "y")], serial: 1), history: history([1]))
        #expect(problems.map(\.kind) == ["duplicate-address"])
    }
}
