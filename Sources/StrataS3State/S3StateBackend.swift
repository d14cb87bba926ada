import Foundation
import StrataAWSKit
import StrataModel
import StrataState

/// State kept in an S3 bucket (`--state s3://BUCKET/PREFIX`), for teams who keep state in S3:
/// the `StateBackend` guarantees of SQLite and PostgreSQL, built on S3's conditional writes.
///
/// - Each instance's whole state (resources, outputs, serial, lineage, the intent journal and
///   the newest history entries) is one object, `<prefix>/<stack>/<instance>/state.json`.
///   A write reads it, applies the change, bumps the serial, appends the history entry, and
///   puts it back with `If-Match: <the ETag it read>` (`If-None-Match: *` for the first), so two
///   writers can never both win: the loser reads again and re-applies its change, as a
///   database transaction would, and after many losses in a row stops with
///   `S3StateError.writeConflict`.
/// - History moves to `history/<first serial>.json` a full block of 100 at a time; drift
///   sweeps are `sweeps/<id>.json`, the origin `origin.json`, the lock `lock.json`
///   (S3StateBackend+Locking.swift).
/// - Secrets are sealed with the same `SecretCipher` as the other backends, and a sealed probe
///   (`<prefix>/key-check.json`) refuses a process with another key at once.
public final class S3StateBackend: StateBackend {
    public let url: S3StateURL
    /// Seals secret values at rest; nil stores them as they are (tests).
    public let cipher: SecretCipher?
    /// Drift sweep records kept per instance.
    public let sweepsKept: Int
    public static let defaultSweepsKept = 1000
    /// How many times in a row a write may find the state changed under it before giving up.
    public let writeAttempts: Int
    public static let defaultWriteAttempts = 60

    let store: S3ObjectStore
    /// Identifies this backend object as a lock holder (a process may open several).
    let session = UUID().uuidString
    let held = HeldLocks()
    let writers = AsyncGate<InstanceKey>()
    let cache = StateCache()
    private let ready = ReadyOnce()

    public init(url: S3StateURL, settings: AWSSettings, cipher: SecretCipher?,
                sweepsKept: Int = S3StateBackend.defaultSweepsKept, writeAttempts: Int = S3StateBackend.defaultWriteAttempts,
                transport: any HTTPTransport = URLSessionTransport(timeout: 30)) {
        self.url = url
        self.writeAttempts = max(1, writeAttempts)
        self.cipher = cipher
        self.sweepsKept = max(1, sweepsKept)
        let client = AWSClient(settings: settings, transport: transport, userAgent: "strata-state-s3")
        store = S3ObjectStore(client: client, bucket: url.bucket, location: url.description)
    }

    /// The AWS settings for `url`: its region, endpoint and profile over the environment's.
    public static func settings(for url: S3StateURL, environment: [String: String]) throws -> AWSSettings {
        do {
            return try AWSSettings.resolve(AWSConfigInput(region: url.region, endpoint: url.endpoint, profile: url.profile), environment: environment)
        } catch {
            throw StateError.unavailable(
                "cannot open the S3 state \(url): \(error) (for the state alone: add ?region=REGION or ?profile=NAME to --state)")
        }
    }

    // MARK: Keys

    /// `<prefix>/` or nothing.
    var root: String { url.prefix.isEmpty ? "" : url.prefix + "/" }

    /// A stack or instance name as one key segment: letters, digits, `.`, `_`, `-` as they are,
    /// anything else (a `/`) percent-encoded, so that a listing reads the names back.
    static func segment(_ name: String) -> String {
        var out = ""
        for byte in name.utf8 {
            switch byte {
            case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "0")...UInt8(ascii: "9"),
                UInt8(ascii: "-"), UInt8(ascii: "_"):
                out.unicodeScalars.append(Unicode.Scalar(byte))
            case UInt8(ascii: ".") where name != "." && name != "..":
                out.append(".")
            default:
                out += String(format: "%%%02X", byte)
            }
        }
        return out.isEmpty ? "%00" : out
    }

    func folder(_ key: InstanceKey) -> String { "\(root)\(Self.segment(key.stack))/\(Self.segment(key.instance))/" }
    func stateKey(_ key: InstanceKey) -> String { folder(key) + "state.json" }
    func lockKey(_ key: InstanceKey) -> String { folder(key) + "lock.json" }
    func originKey(_ key: InstanceKey) -> String { folder(key) + "origin.json" }
    func runKey(_ key: InstanceKey) -> String { folder(key) + "run.json" }
    func historyFolder(_ key: InstanceKey) -> String { folder(key) + "history/" }
    func sweepsFolder(_ key: InstanceKey) -> String { folder(key) + "sweeps/" }
    static func numbered(_ n: Int) -> String { String(repeating: "0", count: max(0, 20 - String(n).count)) + String(n) + ".json" }

    // MARK: Set-up

    /// Checks once, before the first call, that the bucket answers and that `cipher` opens
    /// the secrets already sealed in this state.
    func prepare() async throws {
        try await ready.once { try await self.checkKey() }
    }

    private func checkKey() async throws {
        let key = root + "key-check.json"
        guard let cipher else {
            _ = try await store.list(root, delimiter: "/", maxKeys: 1)
            return
        }
        let probe = try S3StateDocuments.encode(S3StateDocuments.KeyCheck(probe: try cipher.seal(.secret(.string("strata key check")))))
        do {
            try await store.put(key, probe, .absent)
            return
        } catch is S3ObjectStore.Conflict {}
        guard let stored = try await store.get(key) else { return }
        let check = try S3StateDocuments.decode(S3StateDocuments.KeyCheck.self, stored.data, "\(url)/key-check.json")
        do {
            _ = try cipher.open(check.probe)
        } catch {
            throw StateError.storage(
                "STRATA_STATE_KEY does not open the secrets of the state \(url): they were sealed with another key. "
                    + "Set STRATA_STATE_KEY to the key everyone else who uses this state uses.")
        }
    }

    // MARK: Reading

    /// The state object and its ETag; nil ETag when there is none yet.
    func readState(_ key: InstanceKey) async throws -> (state: S3StateDocuments.State, etag: String?) {
        try await prepare()
        guard let object = try await store.get(stateKey(key)) else { return (S3StateDocuments.State.empty(key), nil) }
        let state = try S3StateDocuments.decode(S3StateDocuments.State.self, object.data, "the state \(url)/\(stateKey(key))")
        guard state.format <= S3StateDocuments.format else {
            throw StateError.storage("the state \(url)/\(stateKey(key)) was written by a newer strata (format \(state.format)); upgrade strata")
        }
        return (state, object.etag)
    }

    public func load(_ key: InstanceKey) async throws -> StateSnapshot {
        let read = try await readState(key)
        var state = read.state
        if read.etag == nil {
            // Never written: store serial 0 with a lineage now, so that a plan made against this
            // empty state and the apply that follows agree on the lineage.
            do {
                try await store.put(stateKey(key), try S3StateDocuments.encode(state), .absent, metadata: ["serial": "0"])
            } catch is S3ObjectStore.Conflict {
                state = try await readState(key).state
            }
        }
        return StateSnapshot(
            key: key, serial: state.serial, lineage: state.lineage,
            resources: try state.resources.map { resource in
                var opened = resource
                opened.inputs = try open(resource.inputs)
                opened.outputs = try open(resource.outputs)
                return opened
            },
            outputs: try state.outputs.mapValues { ManifestOutput(value: try cipher?.open($0.value) ?? $0.value, secret: $0.secret) })
    }

    public func pendingIntents(_ key: InstanceKey) async throws -> [Intent] {
        let state = try await readState(key).state
        return try state.intents
            .sorted { ($0.createdAt, $0.token) < ($1.createdAt, $1.token) }
            .map { $0.intent(inputs: try open($0.inputs)) }
    }

    /// Newest first; `limit <= 0` means all.
    public func history(_ key: InstanceKey, limit: Int) async throws -> [HistoryEntry] {
        let state = try await readState(key).state
        var seen = Set<Int>()
        var entries: [S3StateDocuments.HistoryRecord] = []
        func take(_ records: [S3StateDocuments.HistoryRecord]) {
            for record in records.reversed() where record.serial <= state.serial && !seen.contains(record.serial) {
                seen.insert(record.serial)
                entries.append(record)
            }
        }
        take(state.history)
        if limit <= 0 || entries.count < limit {
            let blocks = try await store.list(historyFolder(key)).keys.sorted(by: >)
            for block in blocks {
                guard let object = try await store.get(block) else { continue }
                take(try S3StateDocuments.decode(S3StateDocuments.HistoryBlock.self, object.data, "the history block \(url)/\(block)").entries)
                if limit > 0 && entries.count >= limit { break }
            }
        }
        entries.sort { $0.serial > $1.serial }
        return (limit > 0 ? Array(entries.prefix(limit)) : entries).map(\.entry)
    }

    /// Instances that were written at least once (serial > 0), sorted.
    /// Every instance folder under the prefix (written or not), with its key.
    func instanceFolders() async throws -> [(InstanceKey, String)] {
        var folders: [(InstanceKey, String)] = []
        for stackFolder in try await store.list(root, delimiter: "/").folders {
            let stackSegment = String(stackFolder.dropFirst(root.count).dropLast())
            for instanceFolder in try await store.list(stackFolder, delimiter: "/").folders {
                let instanceSegment = String(instanceFolder.dropFirst(stackFolder.count).dropLast())
                guard let stack = stackSegment.removingPercentEncoding, let instance = instanceSegment.removingPercentEncoding else { continue }
                folders.append((InstanceKey(stack: stack, instance: instance), instanceFolder))
            }
        }
        return folders
    }

    public func instances() async throws -> [InstanceKey] {
        try await prepare()
        let candidates = try await instanceFolders().map { ($0.0, $0.1 + "state.json") }
        // The serial is in each state object's metadata: a HEAD each, a few at a time.
        let store = self.store
        let written = try await withThrowingTaskGroup(of: InstanceKey?.self) { group in
            var found: [InstanceKey] = []
            var pending = candidates.makeIterator()
            for _ in 0..<8 {
                guard let (key, object) = pending.next() else { break }
                group.addTask { (try await store.serial(object) ?? 0) > 0 ? key : nil }
            }
            while let result = try await group.next() {
                if let result { found.append(result) }
                if let (key, object) = pending.next() {
                    group.addTask { (try await store.serial(object) ?? 0) > 0 ? key : nil }
                }
            }
            return found
        }
        return written.sorted { ($0.stack, $0.instance) < ($1.stack, $1.instance) }
    }

    // MARK: Writing

    @discardableResult
    public func write(_ key: InstanceKey, _ change: StateChange) async throws -> Int {
        let sealed = try seal(change)
        let time = Date().timeIntervalSince1970
        return try await update(key, "writing") { state in
            try Self.apply(sealed, to: &state, key: key, time: time)
            return state.serial
        }
    }

    public func journal(_ key: InstanceKey, _ intent: Intent) async throws {
        let record = S3StateDocuments.IntentRecord(intent, inputs: try seal(intent.inputs))
        try await update(key, "journaling an intent for \(intent.address) in") { state in
            state.intents.removeAll { $0.token == record.token }
            state.intents.append(record)
            return state.serial
        }
    }

    public func clearIntent(_ key: InstanceKey, token: String) async throws {
        try await update(key, "clearing an intent of", skipUnchanged: true) { state in
            state.intents.removeAll { $0.token == token }
            return state.serial
        }
    }

    /// One read-modify-write of the instance's `state.json`, conditional on the ETag it read,
    /// repeated on a fresh read when another writer got there first. `change` edits the state
    /// (and throws for a change that cannot apply); with `skipUnchanged`, a change that
    /// changed nothing writes nothing.
    @discardableResult
    func update(_ key: InstanceKey, _ doing: String, skipUnchanged: Bool = false,
                _ change: @escaping @Sendable (inout S3StateDocuments.State) throws -> Int) async throws -> Int {
        try await prepare()
        return try await writers.run(key) {
            let writeID = UUID().uuidString
            var current = await self.cache.get(key)
            var fresh = false
            for attempt in 1...self.writeAttempts {
                if current == nil {
                    let read = try await self.readState(key)
                    current = (read.state, read.etag)
                    fresh = true
                }
                guard let (state, etag) = current else { continue }
                var next = state
                let result: Int
                do {
                    result = try change(&next)
                } catch {
                    // A cached copy may be behind another process's write: decide on a fresh one.
                    if fresh { throw error }
                    current = nil
                    continue
                }
                if skipUnchanged, Self.same(state, next) { return result }
                next.writeID = writeID
                next.format = S3StateDocuments.format
                try await self.moveFullHistoryBlocks(key, committed: state, into: &next)
                do {
                    let newETag = try await self.store.put(
                        self.stateKey(key), try S3StateDocuments.encode(next), etag.map { .matches($0) } ?? .absent,
                        metadata: ["serial": String(next.serial)])
                    await self.cache.set(key, next, etag: newETag)
                    return result
                } catch is S3ObjectStore.Conflict {
                    await self.cache.drop(key)
                    let read = try await self.readState(key)
                    // The write went through, but its answer was lost (and the retry refused).
                    if read.state.writeID == writeID {
                        await self.cache.set(key, read.state, etag: read.etag ?? "")
                        return result
                    }
                    current = (read.state, read.etag)
                    fresh = true
                    // Two writers taking turns: let the other one finish.
                    try await Task.sleep(for: .milliseconds(Int.random(in: 5...(20 * min(attempt, 10)))))
                }
            }
            throw S3StateError.writeConflict(key, state: self.url.description, attempts: self.writeAttempts, doing: doing)
        }
    }

    static func same(_ a: S3StateDocuments.State, _ b: S3StateDocuments.State) -> Bool {
        a.serial == b.serial && a.intents == b.intents && a.resources == b.resources && a.outputs == b.outputs
    }

    /// Full blocks of committed history leave `state.json` for an object of their own, written
    /// before the state that no longer holds them (a crash in between leaves them in both; reads
    /// take each serial once).
    private func moveFullHistoryBlocks(_ key: InstanceKey, committed: S3StateDocuments.State, into next: inout S3StateDocuments.State) async throws {
        let size = S3StateDocuments.historyBlock
        var pending = committed.history
        while pending.count >= size {
            let block = Array(pending.prefix(size))
            let first = block[0].serial
            guard first % size == 1, block.last?.serial == first + size - 1 else { break }
            try await store.put(historyFolder(key) + Self.numbered(first), try S3StateDocuments.encode(S3StateDocuments.HistoryBlock(entries: block)))
            pending.removeFirst(size)
            next.history.removeAll { $0.serial <= block[size - 1].serial }
        }
    }

    /// A change with its secrets sealed.
    private func seal(_ change: StateChange) throws -> StateChange {
        switch change {
        case .put(var resource, let token, let action):
            resource.inputs = try seal(resource.inputs)
            resource.outputs = try seal(resource.outputs)
            return .put(resource, intentToken: token, action: action)
        case .outputs(let outputs):
            return .outputs(try outputs.mapValues { ManifestOutput(value: try cipher?.seal($0.value) ?? $0.value, secret: $0.secret) })
        default:
            return change
        }
    }

    /// Applies one change to the state, bumping the serial and adding the history entry;
    /// throws (changing nothing) what SQLite's transaction would.
    static func apply(_ change: StateChange, to state: inout S3StateDocuments.State, key: InstanceKey, time: Double) throws {
        var action = ""
        var address: String?
        switch change {
        case .put(let resource, let token, let what):
            state.resources.removeAll { $0.address == resource.address && $0.deposed == resource.deposed }
            state.resources.append(resource)
            if let token { state.intents.removeAll { $0.token == token } }
            (action, address) = (what, resource.address.description)
        case .remove(let target, let deposed, let what):
            guard let index = state.resources.firstIndex(where: { $0.address == target && $0.deposed == deposed }) else {
                throw StateError.notFound("\(deposed ? "deposed " : "")\(target) in \(key)")
            }
            state.resources.remove(at: index)
            (action, address) = (what, target.description)
        case .depose(let target):
            // Never drop a deposed copy here: it still exists in the cloud and must be deleted first.
            guard !state.resources.contains(where: { $0.address == target && $0.deposed }) else {
                throw StateError.alreadyExists("a deposed copy of \(target) in \(key)")
            }
            guard let index = state.resources.firstIndex(where: { $0.address == target && !$0.deposed }) else {
                throw StateError.notFound("\(target) in \(key)")
            }
            state.resources[index].deposed = true
            (action, address) = ("depose", target.description)
        case .move(let from, let to):
            guard from != to else { throw StateError.alreadyExists("\(to) in \(key)") }
            guard state.resources.contains(where: { $0.address == from }) else { throw StateError.notFound("\(from) in \(key)") }
            guard !state.resources.contains(where: { $0.address == to }) else { throw StateError.alreadyExists("\(to) in \(key)") }
            for i in state.resources.indices {
                if state.resources[i].address == from { state.resources[i].address = to }
                state.resources[i].dependencies = state.resources[i].dependencies.map { $0 == from ? to : $0 }
            }
            for i in state.intents.indices where state.intents[i].address == from { state.intents[i].address = to }
            (action, address) = ("move \(from) -> \(to)", from.description)
        case .outputs(let outputs):
            state.outputs = outputs
            (action, address) = ("outputs", nil)
        }
        state.resources.sort { a, b in a.address != b.address ? a.address < b.address : (!a.deposed && b.deposed) }
        state.serial += 1
        state.history.append(S3StateDocuments.HistoryRecord(serial: state.serial, time: time, action: action, address: address))
    }

    // MARK: Drift sweeps and origins

    @discardableResult
    public func recordSweep(_ key: InstanceKey, _ sweep: SweepRecord) async throws -> Int {
        try await prepare()
        let folder = sweepsFolder(key)
        var existing = try await store.list(folder).keys.sorted()
        var id = (existing.last.flatMap { Int($0.dropFirst(folder.count).dropLast(".json".count)) } ?? 0) + 1
        // Two recorders at once: the second finds the number taken and takes the next.
        while true {
            do {
                try await store.put(folder + Self.numbered(id), try S3StateDocuments.encode(S3StateDocuments.Sweep(sweep, id: id)), .absent)
                break
            } catch is S3ObjectStore.Conflict {
                id += 1
            }
        }
        existing.append(folder + Self.numbered(id))
        existing.sort()
        for old in existing.dropLast(sweepsKept) { try await store.delete(old) }
        return id
    }

    public func sweeps(_ key: InstanceKey, limit: Int) async throws -> [SweepRecord] {
        try await prepare()
        let keys = try await store.list(sweepsFolder(key)).keys.sorted(by: >)
        let wanted = limit > 0 ? Array(keys.prefix(limit)) : keys
        let store = self.store, location = url.description
        @Sendable func read(_ object: String) async throws -> SweepRecord? {
            guard let data = try await store.get(object)?.data else { return nil }
            return try S3StateDocuments.decode(S3StateDocuments.Sweep.self, data, "the drift sweep \(location)/\(object)").record
        }
        let found = try await withThrowingTaskGroup(of: SweepRecord?.self) { group in
            var records: [SweepRecord] = []
            var pending = wanted.makeIterator()
            for _ in 0..<8 {
                guard let object = pending.next() else { break }
                group.addTask { try await read(object) }
            }
            while let record = try await group.next() {
                if let record { records.append(record) }
                if let object = pending.next() { group.addTask { try await read(object) } }
            }
            return records
        }
        return found.sorted { $0.id > $1.id }
    }

    public func recordOrigin(_ key: InstanceKey, _ origin: InstanceOrigin) async throws {
        try await prepare()
        // Every --var is sealed like a secret: strata cannot tell which ones are.
        let document = S3StateDocuments.Origin(
            stackDirectory: origin.stackDirectory, variables: try seal(origin.variables.mapValues { Value.secret(.string($0)) }),
            recordedAt: origin.recordedAt.timeIntervalSince1970)
        try await store.put(originKey(key), try S3StateDocuments.encode(document))
    }

    public func origin(_ key: InstanceKey) async throws -> InstanceOrigin? {
        try await prepare()
        guard let object = try await store.get(originKey(key)) else { return nil }
        let document = try S3StateDocuments.decode(S3StateDocuments.Origin.self, object.data, "the origin \(url)/\(originKey(key))")
        return InstanceOrigin(
            stackDirectory: document.stackDirectory,
            variables: try open(document.variables).compactMapValues { $0.revealed.stringValue },
            recordedAt: Date(timeIntervalSince1970: document.recordedAt))
    }

    public func recordRun(_ key: InstanceKey, _ run: RunRecord) async throws {
        try await prepare()
        try await store.put(runKey(key), try S3StateDocuments.encode(run))
    }

    /// One GET of `run.json` per instance folder, a few at a time.
    public func lastRuns() async throws -> [InstanceKey: RunRecord] {
        try await prepare()
        let store = self.store, location = url.description
        let folders = try await instanceFolders()
        return try await withThrowingTaskGroup(of: (InstanceKey, RunRecord?).self) { group in
            var runs: [InstanceKey: RunRecord] = [:]
            var pending = folders.makeIterator()
            func add(_ key: InstanceKey, _ folder: String) {
                group.addTask {
                    guard let data = try await store.get(folder + "run.json")?.data else { return (key, nil) }
                    return (key, try S3StateDocuments.decode(RunRecord.self, data, "the last run \(location)/\(folder)run.json"))
                }
            }
            for _ in 0..<8 {
                guard let (key, folder) = pending.next() else { break }
                add(key, folder)
            }
            while let (key, run) = try await group.next() {
                if let run { runs[key] = run }
                if let (key, folder) = pending.next() { add(key, folder) }
            }
            return runs
        }
    }

    // MARK: Helpers

    func seal(_ fields: [String: Value]) throws -> [String: Value] { try cipher?.seal(fields) ?? fields }
    func open(_ fields: [String: Value]) throws -> [String: Value] { try cipher?.open(fields) ?? fields }
}

/// The newest `state.json` this backend object wrote or read for a write, and its ETag: the
/// next write of this process starts from it instead of reading the object again.
actor StateCache {
    private var entries: [InstanceKey: (S3StateDocuments.State, String)] = [:]
    func get(_ key: InstanceKey) -> (S3StateDocuments.State, String?)? { entries[key].map { ($0.0, $0.1) } }
    func set(_ key: InstanceKey, _ state: S3StateDocuments.State, etag: String) { entries[key] = (state, etag) }
    func drop(_ key: InstanceKey) { entries[key] = nil }
}

/// What the S3 state backend adds to `StateError`.
public enum S3StateError: Error, Sendable, CustomStringConvertible {
    /// Every attempt of a write found `state.json` changed since it was read (S3 answered 412
    /// Precondition Failed): another run keeps writing the same instance.
    case writeConflict(InstanceKey, state: String, attempts: Int, doing: String)

    public var description: String {
        switch self {
        case .writeConflict(let key, let state, let attempts, let doing):
            return "\(doing) \(key): another strata run wrote the state \(state) each of the \(attempts) times this one tried "
                + "(S3 refused the write: 412 Precondition Failed), so this change was not written. Another run is writing "
                + "this instance without its lock, or took the lock over after this run's lease ran out; see `strata state history`, "
                + "then run the command again"
        }
    }
}
