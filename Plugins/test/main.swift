import Foundation
import StrataModel
import StrataPluginKit

/// `strata-provider-test`: resources that exist as JSON files, for tests and benchmarks.
///
/// Each resource is one file `<id>.json` in `STRATA_TEST_STORE` (default
/// `.strata/test-provider/`), so a test can change or delete one out of band and count what
/// exists. Create, update and delete take `latencyMs`; `failOn` makes chosen calls fail.
/// `STRATA_TEST_CRASH_AFTER_CREATES=N` makes the process exit after N creates (crash tests).
/// `failureRate` makes that share of create, update and delete calls fail at random (torture
/// tests): half of them before the change is made, half after it (the answer was lost), half
/// of them retryable and half fatal; `STRATA_TEST_FAILURE_SEED` seeds the draw.
struct TestProvider: Provider {
    let name = "test"
    let version = "0.1.0"
    let stores: StoreHolder
    /// Where resources live now: `STRATA_TEST_STORE`, or the `store` the provider was configured with.
    var store: TestStore { stores.current }
    /// `STRATA_TEST_MAX_PARALLELISM`: the limit this plugin declares (tests of per-provider limits).
    let maxParallelism: Int?
    /// Draws the random failures that `failureRate` asks for.
    let faults: FaultDraw

    var resources: [String: ResourceSchema] {
        [
            "test_resource": ResourceSchema(
                description: "A resource kept as a JSON file; latency and failures on demand.",
                attributes: [
                    "name": .init(.string, .optional, description: "A label."),
                    "value": .init(.any, .optional, description: "Any value; changes update in place."),
                    "inputs": .init(.list, .optional, description: "Values from other resources (graph edges)."),
                    "tags": .init(.map, .optional),
                    "replaceKey": .init(.string, .optional, forcesReplacement: true, description: "Changing it replaces the resource."),
                    "secret": .init(.string, .optional, secret: true, description: "A secret input."),
                    "latencyMs": .init(.number, .optional, description: "Create/update/delete take this long."),
                    "readLatencyMs": .init(.number, .optional, description: "Read takes this long."),
                    "failOn": .init(.string, .optional, description: "Comma-separated calls that fail: create, update, delete, read."),
                    "failureRate": .init(.number, .optional, description: "The share (0 to 1) of create, update and delete calls that fail at random."),
                    "id": .init(.string, .computed),
                    "result": .init(.string, .computed, description: "Derived from value: known only after create or update."),
                ],
                typicalCreateSeconds: 0.1),
        ]
    }

    /// `{"store": "path"}` keeps this instance's resources in another folder (as another
    /// region or account would): two instances of the provider, two separate worlds.
    func configure(_ request: ConfigureRequest) async throws {
        for key in request.config.keys where key != "store" {
            throw PluginError(.invalid, "the test provider takes only 'store' in its configuration, not '\(key)'")
        }
        if let path = request.config["store"]?.stringValue {
            stores.current = try TestStore(directory: URL(fileURLWithPath: path), crashAfterCreates: store.crashAfterCreates)
        }
    }

    func check(_ request: CheckRequest) async throws -> CheckResponse {
        guard let schema = resources[request.type] else { throw PluginError(.invalid, "no resource type \(request.type)") }
        var problems = SchemaCheck.problems(request.inputs, schema: schema)
        if let failOn = request.inputs["failOn"]?.stringValue {
            for call in failOn.split(separator: ",").map({ $0.trimmingCharacters(in: .whitespaces) })
            where !["create", "update", "delete", "read"].contains(call) {
                problems.append(CheckProblem(attribute: "failOn", message: "failOn: '\(call)' is not one of create, update, delete, read"))
            }
        }
        if let rate = request.inputs["failureRate"]?.numberValue, !(0...1).contains(rate) {
            problems.append(CheckProblem(attribute: "failureRate", message: "failureRate must be between 0 and 1, not \(rate)"))
        }
        let latency = request.inputs["latencyMs"]?.numberValue
        return CheckResponse(inputs: request.inputs, problems: problems, estimatedSeconds: latency.map { $0 / 1000 })
    }

    func create(_ request: CreateRequest, progress: ProgressReporter) async throws -> CreateResponse {
        let inputs = request.inputs
        store.callStarted()
        defer { store.callEnded() }
        try await pause(inputs["latencyMs"])
        try failIfAsked(inputs, "create")
        let fault = faults.draw(inputs["failureRate"])
        try fault?.before("create")
        let id = TestStore.id(forToken: request.token)
        // Idempotent by token: a create retried after a crash returns the same resource.
        if let existing = try store.load(id) { return CreateResponse(id: id, outputs: existing.outputs) }
        let outputs = attributes(id: id, inputs: inputs)
        try store.save(StoredResource(type: request.type, id: id, token: request.token, tags: request.tags, outputs: outputs))
        store.countCreate()
        try fault?.after("create")
        return CreateResponse(id: id, outputs: outputs)
    }

    func read(_ request: ReadRequest) async throws -> ReadResponse {
        try await pause(request.inputs["readLatencyMs"])
        try failIfAsked(request.inputs, "read")
        guard let stored = try store.load(request.id) else { return ReadResponse(exists: false) }
        return ReadResponse(exists: true, outputs: stored.outputs)
    }

    func update(_ request: UpdateRequest, progress: ProgressReporter) async throws -> UpdateResponse {
        try await pause(request.inputs["latencyMs"])
        try failIfAsked(request.inputs, "update")
        let fault = faults.draw(request.inputs["failureRate"])
        try fault?.before("update")
        guard var stored = try store.load(request.id) else {
            throw PluginError(.notFound, "test_resource \(request.id) does not exist", providerCode: "NoSuchResource")
        }
        stored.outputs = attributes(id: request.id, inputs: request.inputs)
        try store.save(stored)
        try fault?.after("update")
        return UpdateResponse(outputs: stored.outputs)
    }

    func delete(_ request: DeleteRequest, progress: ProgressReporter) async throws {
        try await pause(request.inputs["latencyMs"])
        try failIfAsked(request.inputs, "delete")
        let fault = faults.draw(request.inputs["failureRate"])
        try fault?.before("delete")
        guard try store.remove(request.id) else {
            throw PluginError(.notFound, "test_resource \(request.id) does not exist", providerCode: "NoSuchResource")
        }
        try fault?.after("delete")
    }

    func importResource(_ request: ImportRequest) async throws -> ImportResponse {
        guard let stored = try store.load(request.id) else {
            throw PluginError(.notFound, "test_resource \(request.id) does not exist", providerCode: "NoSuchResource")
        }
        let inputs = stored.outputs.filter { resources[request.type]?.attributes[$0.key]?.isInput == true }
        return ImportResponse(inputs: inputs, outputs: stored.outputs)
    }

    var dataSources: [String: ResourceSchema] {
        [
            "test_lookup": ResourceSchema(
                description: "Finds an existing test_resource by its name (label), whoever made it.",
                attributes: [
                    "name": .init(.string, .required, description: "The name (label) to look for."),
                    "id": .init(.string, .computed),
                    "value": .init(.any, .computed),
                    "result": .init(.string, .computed),
                ]),
        ]
    }

    func lookup(_ request: LookupRequest) async throws -> LookupResponse {
        guard let name = request.inputs["name"]?.stringValue else {
            throw PluginError(.invalid, "test_lookup needs a name")
        }
        let files = (try? FileManager.default.contentsOfDirectory(atPath: store.directory.path)) ?? []
        for file in files.sorted() where file.hasSuffix(".json") {
            guard let stored = try? store.load(String(file.dropLast(5))), stored.outputs["name"]?.stringValue == name else { continue }
            var outputs: [String: Value] = ["name": .string(name), "id": .string(stored.id)]
            outputs["value"] = stored.outputs["value"] ?? .null
            outputs["result"] = stored.outputs["result"] ?? .null
            return LookupResponse(outputs: outputs)
        }
        throw PluginError(.notFound, "no test_resource is named '\(name)'", providerCode: "NoSuchResource")
    }

    func recover(_ request: RecoverRequest) async throws -> RecoverResponse {
        let id = TestStore.id(forToken: request.token)
        guard let stored = try store.load(id) else { return RecoverResponse(found: false) }
        return RecoverResponse(found: true, id: id, outputs: stored.outputs)
    }

    /// Scans the store for files of this type whose tags include every tag asked for.
    func discover(_ request: DiscoverRequest) async throws -> DiscoverResponse {
        var found: [DiscoveredResource] = []
        for id in try store.ids() {
            // A file that vanished or is not a stored resource is not ours to report.
            guard let stored = try? store.load(id), stored.type == request.type,
                request.tags.allSatisfy({ stored.tags[$0.key] == $0.value })
            else { continue }
            found.append(DiscoveredResource(id: stored.id, outputs: stored.outputs, tags: stored.tags))
        }
        return DiscoverResponse(resources: found.sorted { $0.id < $1.id })
    }

    private func attributes(id: String, inputs: [String: Value]) -> [String: Value] {
        var outputs = inputs
        outputs["id"] = .string(id)
        switch inputs["value"] {
        case .string(let s): outputs["result"] = .string(s)
        case .some(let v) where v != .null: outputs["result"] = .string(v.rendered())
        default: outputs["result"] = .string(id)
        }
        return outputs
    }

    private func pause(_ latency: Value?) async throws {
        guard let ms = latency?.numberValue, ms > 0 else { return }
        try await Task.sleep(nanoseconds: UInt64(ms * 1_000_000))
    }

    private func failIfAsked(_ inputs: [String: Value], _ call: String) throws {
        guard let failOn = inputs["failOn"]?.stringValue else { return }
        let calls = failOn.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
        if calls.contains(call) {
            throw PluginError(.fatal, "test_resource asked to fail on \(call)", providerCode: "InjectedFailure")
        }
    }
}

struct StoredResource: Codable {
    var type: String
    var id: String
    var token: String
    var tags: [String: String]
    var outputs: [String: Value]
}

final class TestStore: Sendable {
    let directory: URL
    let crashAfterCreates: Int?
    private let creates = Counter()

    init(directory: URL, crashAfterCreates: Int?) throws {
        self.directory = directory
        self.crashAfterCreates = crashAfterCreates
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    }

    static func id(forToken token: String) -> String {
        "t-" + token.lowercased().filter { $0.isHexDigit }.prefix(20)
    }

    func url(_ id: String) throws -> URL {
        guard !id.isEmpty, id.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "-" || $0 == "_" }) else {
            throw PluginError(.invalid, "'\(id)' is not a test_resource id")
        }
        return directory.appendingPathComponent(id + ".json")
    }

    func load(_ id: String) throws -> StoredResource? {
        guard let data = try? Data(contentsOf: try url(id)) else { return nil }
        // The direct Value parser: reads are the hot path of a refresh.
        guard case .map(let fields)? = try? ValueJSON.parse(data),
            let type = fields["type"]?.stringValue, let storedID = fields["id"]?.stringValue,
            let outputs = fields["outputs"]?.mapValue
        else {
            throw PluginError(.fatal, "store file for \(id) is unreadable: not a stored test_resource")
        }
        let tags = (fields["tags"]?.mapValue ?? [:]).compactMapValues(\.stringValue)
        return StoredResource(type: type, id: storedID, token: fields["token"]?.stringValue ?? "", tags: tags, outputs: outputs)
    }

    func save(_ resource: StoredResource) throws {
        let record: Value = .map([
            "type": .string(resource.type), "id": .string(resource.id), "token": .string(resource.token),
            "tags": .map(resource.tags.mapValues { .string($0) }), "outputs": .map(resource.outputs),
        ])
        let data = Data(ValueJSON.string(record).utf8)
        // Written whole then renamed, so a kill never leaves half a file.
        try data.write(to: try url(resource.id), options: .atomic)
    }

    /// The ids of every stored resource, sorted.
    func ids() throws -> [String] {
        let names: [String]
        do {
            names = try FileManager.default.contentsOfDirectory(atPath: directory.path)
        } catch {
            throw PluginError(.retryable, "cannot list the store \(directory.path): \(error.localizedDescription)")
        }
        return names.filter { $0.hasSuffix(".json") }.map { String($0.dropLast(5)) }.sorted()
    }

    func remove(_ id: String) throws -> Bool {
        do {
            try FileManager.default.removeItem(at: try url(id))
            return true
        } catch let error as CocoaError where error.code == .fileNoSuchFile {
            return false
        } catch let error as PluginError {
            throw error
        } catch {
            return false
        }
    }

    private let inFlight = InFlight()

    /// Tracks creates in flight; the most seen at once is kept in `<store>/.max-in-flight`
    /// so tests can check a concurrency limit was honoured.
    func callStarted() {
        let file = directory.appendingPathComponent(".max-in-flight")
        inFlight.start { max in try? String(max).write(to: file, atomically: true, encoding: .utf8) }
    }

    func callEnded() { inFlight.end() }

    func countCreate() {
        let n = creates.increment()
        if let limit = crashAfterCreates, n >= limit {
            FileHandle.standardError.write(Data("strata-provider-test: crashing after \(n) creates, as asked\n".utf8))
            exit(3)
        }
    }
}

/// One random failure: where it strikes (before or after the change) and whether the engine
/// may retry it.
struct InjectedFault {
    var afterEffect: Bool
    var retryable: Bool

    func before(_ call: String) throws {
        if !afterEffect { throw error(call, "before") }
    }

    func after(_ call: String) throws {
        if afterEffect { throw error(call, "after") }
    }

    private func error(_ call: String, _ when: String) -> PluginError {
        PluginError(retryable ? .retryable : .fatal, "test_resource: injected failure of \(call) (\(when) the change)",
                    providerCode: "InjectedFailure")
    }
}

/// Draws injected failures from a seeded generator (SplitMix64), one draw per call, so a run
/// with `STRATA_TEST_FAILURE_SEED` set and one call at a time fails the same calls again.
final class FaultDraw: @unchecked Sendable {
    private let lock = NSLock()
    private var state: UInt64

    init(seed: UInt64?) {
        state = seed ?? UInt64.random(in: .min ... .max)
    }

    private func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// A failure with probability `rate` (a number input), else nil.
    func draw(_ rate: Value?) -> InjectedFault? {
        guard let rate = rate?.numberValue, rate > 0 else { return nil }
        let roll = lock.withLock { next() }
        let unit = Double(roll >> 11) / Double(1 << 53)
        guard unit < rate else { return nil }
        return InjectedFault(afterEffect: roll & 1 == 1, retryable: roll & 2 == 2)
    }
}

final class StoreHolder: @unchecked Sendable {
    private let lock = NSLock()
    private var store: TestStore
    init(_ store: TestStore) { self.store = store }
    var current: TestStore {
        get { lock.withLock { store } }
        set { lock.withLock { store = newValue } }
    }
}

final class InFlight: @unchecked Sendable {
    private let lock = NSLock()
    private var now = 0
    private var most = 0

    /// Counts a start; `onNewMaximum` runs under the lock, so records land in order.
    func start(onNewMaximum: (Int) -> Void) {
        lock.lock()
        defer { lock.unlock() }
        now += 1
        guard now > most else { return }
        most = now
        onNewMaximum(most)
    }

    func end() {
        lock.lock()
        defer { lock.unlock() }
        now -= 1
    }
}

final class Counter: @unchecked Sendable {
    private let lock = NSLock()
    private var value = 0
    func increment() -> Int {
        lock.lock()
        defer { lock.unlock() }
        value += 1
        return value
    }
}

let environment = ProcessInfo.processInfo.environment
let storePath = environment["STRATA_TEST_STORE"].flatMap { $0.isEmpty ? nil : $0 } ?? ".strata/test-provider"
do {
    let store = try TestStore(
        directory: URL(fileURLWithPath: storePath),
        crashAfterCreates: environment["STRATA_TEST_CRASH_AFTER_CREATES"].flatMap { Int($0) })
    PluginServer.main(TestProvider(
        stores: StoreHolder(store), maxParallelism: environment["STRATA_TEST_MAX_PARALLELISM"].flatMap { Int($0) },
        faults: FaultDraw(seed: environment["STRATA_TEST_FAILURE_SEED"].flatMap { UInt64($0) })))
} catch {
    FileHandle.standardError.write(Data("strata-provider-test: cannot use store \(storePath): \(error)\n".utf8))
    exit(1)
}
