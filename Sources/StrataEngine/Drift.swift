import Foundation
import StrataModel
import StrataPluginKit
import StrataState

// MARK: - The report (docs/drift.md documents its JSON)

/// What happened to a resource outside Strata.
public enum DriftKind: String, Sendable, Codable, Hashable {
    /// It exists, and some attributes differ from the recorded ones.
    case changed
    /// The state records it; the provider says it is gone.
    case deleted
    /// It carries this stack instance's tags, but the state does not know it.
    case unmanaged
}

/// How the stack's declared value of a drifted attribute relates to the two others.
public enum DeclaredAgreement: String, Sendable, Codable, Hashable {
    /// The stack still declares the recorded value: `--remediate` puts it back.
    case recorded
    /// The stack declares the actual value: the state is behind; `--accept` (or `--remediate`) records it.
    case actual
    /// The stack declares a third value: the next apply changes it anyway.
    case neither
    /// Known only after apply, or the stack could not be evaluated.
    case unknown
    /// The stack does not set this attribute (or no longer declares the resource).
    case undeclared
}

public struct AttributeDrift: Sendable, Codable, Hashable {
    public var name: String
    /// As the state records it; `"(secret)"` for secrets; absent when unset.
    public var recorded: Value?
    /// As the provider reports it now.
    public var actual: Value?
    /// As the stack declares it (references resolved), when known.
    public var declared: Value?
    public var declaredAgreesWith: DeclaredAgreement
    public var secret: Bool
}

public struct ResourceDrift: Sendable, Codable, Hashable {
    public var kind: DriftKind
    /// The resource's address; for an unmanaged resource, the one its `strata:address` tag names, if any.
    public var address: String?
    public var type: String
    public var provider: String
    public var id: String
    /// For `changed`: the attributes that differ.
    public var attributes: [AttributeDrift]
    /// For `unmanaged`: the resource's tags.
    public var tags: [String: String]?
    public var note: String?
}

public struct DriftProblem: Sendable, Codable, Hashable {
    public var address: String?
    public var provider: String?
    public var message: String
}

public enum DriftStatus: String, Sendable, Codable, Hashable {
    case clean, drift, error
}

public struct DriftSummary: Sendable, Codable, Hashable {
    public var checked: Int
    public var changed: Int
    public var deleted: Int
    public var unmanaged: Int
    public var errors: Int
}

/// What `--remediate` or `--accept` did.
public struct DriftRemediation: Sendable, Codable, Hashable {
    public struct Step: Sendable, Codable, Hashable {
        public var address: String
        /// `create`, `update`, `replace`, `delete` (plan steps), `record` (state written from the
        /// actual values), `forget` (a deleted resource dropped from the state), `skip`.
        public var action: String
        /// `done`, `failed` or `skipped`.
        public var outcome: String
        public var message: String?
    }
    /// `remediate` or `accept`.
    public var action: String
    public var succeeded: Bool
    public var steps: [Step]
    public var message: String?
}

public struct DriftReport: Sendable, Codable, Hashable {
    public static let currentSchemaVersion = 1

    public var schemaVersion: Int
    public var stack: String
    public var instance: String
    /// ISO 8601, UTC.
    public var startedAt: String
    public var durationSeconds: Double
    public var status: DriftStatus
    public var summary: DriftSummary
    /// Sorted: changed, deleted, unmanaged; then by address and id.
    public var resources: [ResourceDrift]
    public var errors: [DriftProblem]
    public var notes: [String]
    public var remediation: DriftRemediation?

    public var key: InstanceKey { InstanceKey(stack: stack, instance: instance) }

    public init(key: InstanceKey, started: Date, duration: Double, checked: Int, resources: [ResourceDrift],
                errors: [DriftProblem], notes: [String], remediation: DriftRemediation? = nil) {
        schemaVersion = Self.currentSchemaVersion
        stack = key.stack
        instance = key.instance
        startedAt = DriftReport.timestamp(started)
        durationSeconds = (duration * 1000).rounded() / 1000
        self.resources = resources.sorted(by: DriftReport.order)
        self.errors = errors
        self.notes = notes
        self.remediation = remediation
        summary = DriftSummary(checked: checked, changed: 0, deleted: 0, unmanaged: 0, errors: 0)
        status = .clean
        recount()
    }

    /// A sweep that could not run at all (the stack did not load, the state could not be read, …).
    public static func failure(_ key: InstanceKey, started: Date, message: String) -> DriftReport {
        DriftReport(key: key, started: started, duration: Date().timeIntervalSince(started), checked: 0, resources: [],
                    errors: [DriftProblem(address: nil, provider: nil, message: message)], notes: [])
    }

    public mutating func recount() {
        summary.changed = resources.filter { $0.kind == .changed }.count
        summary.deleted = resources.filter { $0.kind == .deleted }.count
        summary.unmanaged = resources.filter { $0.kind == .unmanaged }.count
        summary.errors = errors.count
        status = !errors.isEmpty || remediation.map { !$0.succeeded } == true ? .error : resources.isEmpty ? .clean : .drift
    }

    static func order(_ a: ResourceDrift, _ b: ResourceDrift) -> Bool {
        let rank: [DriftKind: Int] = [.changed: 0, .deleted: 1, .unmanaged: 2]
        if a.kind != b.kind { return rank[a.kind, default: 3] < rank[b.kind, default: 3] }
        if (a.address ?? "") != (b.address ?? "") { return (a.address ?? "") < (b.address ?? "") }
        return a.id < b.id
    }

    static func timestamp(_ date: Date) -> String {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        formatter.timeZone = TimeZone(identifier: "UTC")
        return formatter.string(from: date)
    }

    public var startDate: Date {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        return formatter.date(from: startedAt) ?? Date()
    }

    /// The report as pretty JSON with sorted keys (`--json`, the webhook body, the history).
    public func json(pretty: Bool = true) throws -> Data {
        let encoder = StrataJSON.encoder(pretty: pretty)
        return try encoder.encode(self)
    }

    public static func decode(_ data: Data) throws -> DriftReport {
        try JSONDecoder().decode(DriftReport.self, from: data)
    }

    /// The record kept in the backend's sweep history.
    public func record() throws -> SweepRecord {
        SweepRecord(startedAt: startDate, durationSeconds: durationSeconds, status: status.rawValue, checked: summary.checked,
                    changed: summary.changed, deleted: summary.deleted, unmanaged: summary.unmanaged, errors: summary.errors,
                    action: remediation?.action ?? "none", reportJSON: String(decoding: try json(pretty: false), as: UTF8.self))
    }
}

// MARK: - Classification (pure)

public enum DriftClassifier {
    /// A value as a report may show it: secrets (and anything holding one) as `"(secret)"`.
    static func shown(_ value: Value?, secret: Bool) -> Value? {
        guard let value, value != .null else { return nil }
        if secret || value.containsSecret { return .string("(secret)") }
        return value
    }

    /// The drift of a resource that still exists, or nil when it matches what the state recorded.
    ///
    /// Compared: the input attributes (the ones a stack sets) that the provider reports now,
    /// against the recorded value (the recorded outputs overlaid on the recorded inputs, as the
    /// planner does). Computed attributes are the provider's to change; attributes named in
    /// `ignoreChanges` are not drift; an `optionalComputed` attribute the stack leaves unset is
    /// the provider's to choose. Secrets are compared by value and never shown.
    ///
    /// - declared: the stack's resource, nil when the stack was not evaluated or no longer declares it.
    /// - declaredInputs: its inputs with references resolved as far as known.
    /// - manifestLoaded: whether the stack was evaluated (then an absent declaration is `undeclared`).
    public static func changed(recorded: ResourceState, actual: [String: Value], schema: ResourceSchema?,
                               declared: ManifestResource?, declaredInputs: [String: Value]?, manifestLoaded: Bool) -> ResourceDrift? {
        let ignored = Set(declared?.options.ignoreChanges ?? [])
        var attributes: [AttributeDrift] = []
        for name in actual.keys.sorted() where !ignored.contains(name) {
            let attribute = schema?.attributes[name]
            if let attribute, !attribute.isInput { continue }
            if schema == nil, name == "id" { continue }
            let after = actual[name]
            let before = recorded.outputs[name] ?? recorded.inputs[name]
            if (after ?? .null).sameAs(before) { continue }
            let declaredValue = declaredInputs?[name]
            if attribute?.mode == .optionalComputed, declared != nil, declaredValue == nil || declaredValue == .null { continue }
            let agreement: DeclaredAgreement
            if declared == nil {
                agreement = manifestLoaded ? .undeclared : .unknown
            } else if let declaredValue, declaredValue != .null {
                if !declaredValue.isKnown {
                    agreement = .unknown
                } else if declaredValue.sameAs(before) {
                    agreement = .recorded
                } else if declaredValue.sameAs(after) {
                    agreement = .actual
                } else {
                    agreement = .neither
                }
            } else {
                agreement = (before ?? .null) == .null ? .recorded : (after ?? .null) == .null ? .actual : .undeclared
            }
            let secret = (attribute?.secret ?? false) || (before?.containsSecret ?? false) || (after?.containsSecret ?? false)
                || (declaredValue?.containsSecret ?? false)
            attributes.append(AttributeDrift(
                name: name, recorded: shown(before, secret: secret), actual: shown(after, secret: secret),
                declared: declaredValue.flatMap { $0.isKnown ? shown($0, secret: secret) : nil },
                declaredAgreesWith: agreement, secret: secret))
        }
        guard !attributes.isEmpty else { return nil }
        return ResourceDrift(kind: .changed, address: recorded.address.description, type: recorded.type, provider: recorded.provider,
                             id: recorded.id, attributes: attributes, tags: nil, note: nil)
    }

    public static func deleted(_ recorded: ResourceState, declared: Bool) -> ResourceDrift {
        ResourceDrift(kind: .deleted, address: recorded.address.description, type: recorded.type, provider: recorded.provider,
                      id: recorded.id, attributes: [], tags: nil,
                      note: declared ? "deleted outside Strata; --remediate (or apply) creates it again" : "deleted outside Strata; the stack no longer declares it")
    }

    /// Found resources of `type` the state does not know (by id, current or deposed copies).
    public static func unmanaged(_ found: [DiscoveredResource], type: String, provider: String, snapshot: StateSnapshot,
                                 intents: [Intent]) -> [ResourceDrift] {
        let known = Set(snapshot.resources.filter { $0.type == type }.map(\.id))
        let pending = Dictionary(intents.map { ($0.token, $0) }, uniquingKeysWith: { a, _ in a })
        return found.filter { !known.contains($0.id) }.map { resource in
            var note = "carries this instance's tags but is not in its state (made by hand, or by a run that crashed)"
            if let token = resource.tags["strata:token"], let intent = pending[token] {
                note = "made by an interrupted create of \(intent.address); the next apply (or --remediate) adopts it"
            } else if let address = resource.tags["strata:address"] {
                note = "tagged as \(address), which the state does not record with this id (left by a crashed run, or `state rm`)"
            }
            return ResourceDrift(kind: .unmanaged, address: resource.tags["strata:address"], type: type, provider: provider,
                                 id: resource.id, attributes: [], tags: resource.tags, note: note)
        }
    }
}

// MARK: - The sweep

/// Reads every recorded resource and asks each provider for resources tagged for the instance;
/// classifies what differs. Never writes anything.
public struct DriftDetector: Sendable {
    public let registry: ProviderRegistry
    public let parallelism: Int

    public init(registry: ProviderRegistry, parallelism: Int) {
        self.registry = registry
        self.parallelism = max(1, parallelism)
    }

    enum ReadOutcome: Sendable {
        case exists([String: Value])
        case gone
        case failed(String)
    }

    public func sweep(snapshot: StateSnapshot, manifest: Manifest?, intents: [Intent], started: Date = Date()) async -> DriftReport {
        let key = snapshot.key
        var errors: [DriftProblem] = []
        var notes: [String] = []
        let recorded = snapshot.resources.filter { !$0.deposed }
        let deposedCount = snapshot.resources.count - recorded.count
        if deposedCount > 0 { notes.append("\(deposedCount) deposed copy(ies) await deletion by the next apply; not checked") }
        if !intents.isEmpty { notes.append("\(intents.count) create(s) were interrupted by a crash; the next apply looks for them") }

        // Start every provider once; a provider that cannot start is one error, not one per resource.
        let names = Set(recorded.map(\.provider)).union(manifest?.resources.map(\.address.provider) ?? [])
        var handles: [String: ProviderHandle] = [:]
        for name in names.sorted() {
            do {
                handles[name] = try await registry.provider(name)
            } catch {
                let count = recorded.filter { $0.provider == name }.count
                errors.append(DriftProblem(address: nil, provider: name, message: "\(Executor.message(error)) (\(count) resource(s) not checked)"))
            }
        }
        let live = handles
        let readable = recorded.filter { live[$0.provider] != nil }

        async let discovered = discover(key: key, handles: live)
        let outcomes = await read(readable, handles: live)

        // Declared values, with references resolved against what exists now.
        var resolver = Resolver()
        for state in recorded {
            if case .exists(let outputs)? = outcomes[state.address] {
                resolver.attributes[state.address] = outputs
            } else {
                resolver.attributes[state.address] = state.outputs
            }
        }
        var declared: [ResourceAddress: ManifestResource] = [:]
        for resource in manifest?.resources ?? [] { declared[resource.address] = resource }

        var drifts: [ResourceDrift] = []
        var checked = 0
        for state in readable {
            switch outcomes[state.address] {
            case .exists(let actual)?:
                checked += 1
                let resource = declared[state.address]
                if let drift = DriftClassifier.changed(
                    recorded: state, actual: actual, schema: handles[state.provider]?.schema.resources[state.type],
                    declared: resource, declaredInputs: resource.map { resolver.resolve($0.inputs) }, manifestLoaded: manifest != nil)
                {
                    drifts.append(drift)
                }
            case .gone?:
                checked += 1
                drifts.append(DriftClassifier.deleted(state, declared: declared[state.address] != nil))
            case .failed(let message)?:
                errors.append(DriftProblem(address: state.address.description, provider: state.provider, message: message))
            case nil:
                errors.append(DriftProblem(address: state.address.description, provider: state.provider, message: "not read"))
            }
        }
        let (found, discoverProblems, discoverNotes) = await discovered
        errors += discoverProblems
        notes += discoverNotes
        for (provider, type, resources) in found {
            drifts += DriftClassifier.unmanaged(resources, type: type, provider: provider, snapshot: snapshot, intents: intents)
        }
        return DriftReport(key: key, started: started, duration: Date().timeIntervalSince(started), checked: checked,
                           resources: drifts, errors: errors, notes: notes)
    }

    /// Reads the resources in parallel: at most `parallelism` at once, and at most each
    /// provider's own limit (through `Retry`, which also retries throttling and passing faults).
    func read(_ resources: [ResourceState], handles: [String: ProviderHandle]) async -> [ResourceAddress: ReadOutcome] {
        let timeout = registry.callTimeout
        return await withTaskGroup(of: (ResourceAddress, ReadOutcome).self) { group in
            var results: [ResourceAddress: ReadOutcome] = [:]
            var iterator = resources.makeIterator()
            func startNext() -> Bool {
                guard let state = iterator.next() else { return false }
                guard let handle = handles[state.provider] else { return startNext() }
                group.addTask {
                    let request = ReadRequest(type: state.type, id: state.id, inputs: handle.client.reveal(state.inputs),
                                              outputs: handle.client.reveal(state.outputs))
                    do {
                        let response = try await Retry.run(handle) {
                            try await handle.client.call(.read, request, as: ReadResponse.self, timeout: timeout)
                        }
                        guard response.exists else { return (state.address, .gone) }
                        let outputs = Executor.secretsKept(Planner.markSecrets(response.outputs, schema: handle.schema.resources[state.type]), inputs: state.inputs)
                        return (state.address, .exists(outputs))
                    } catch let error as PluginCallError where error.kind == .notFound {
                        return (state.address, .gone)
                    } catch {
                        return (state.address, .failed(Executor.message(error)))
                    }
                }
                return true
            }
            var running = 0
            while running < parallelism, startNext() { running += 1 }
            while let (address, outcome) = await group.next() {
                results[address] = outcome
                if !startNext() { running -= 1 }
            }
            return results
        }
    }

    /// Asks each provider, type by type, for resources tagged for this instance. A provider
    /// that answers `unsupported` is noted once, not an error.
    func discover(key: InstanceKey, handles: [String: ProviderHandle]) async
        -> ([(String, String, [DiscoveredResource])], [DriftProblem], [String])
    {
        let tags = ["strata:stack": key.stack, "strata:instance": key.instance]
        let timeout = registry.callTimeout
        return await withTaskGroup(of: ([(String, String, [DiscoveredResource])], [DriftProblem], [String]).self) { group in
            for (name, handle) in handles {
                group.addTask {
                    var found: [(String, String, [DiscoveredResource])] = []
                    var problems: [DriftProblem] = []
                    // A provider may list some of its types and not others (untaggable ones).
                    var unsupported: [String] = []
                    let types = handle.schema.resources.keys.sorted()
                    // Several types at once (a provider with 60 types answers in the time of a
                    // few); each call is one list in the cloud, so keep it to the read parallelism.
                    enum Listed: Sendable {
                        case found(String, [DiscoveredResource])
                        case unsupported(String)
                        case failed(String, String)
                    }
                    let listed = await BoundedMap.map(types, limit: parallelism) { type -> Listed in
                        do {
                            let response = try await Retry.run(handle) {
                                try await handle.client.call(.discover, DiscoverRequest(type: type, tags: tags), as: DiscoverResponse.self, timeout: timeout)
                            }
                            return .found(type, response.resources)
                        } catch let error as PluginCallError where error.kind == .unsupported {
                            return .unsupported(type)
                        } catch {
                            return .failed(type, Executor.message(error))
                        }
                    }
                    for result in listed {
                        switch result {
                        case .found(let type, let resources): found.append((name, type, resources))
                        case .unsupported(let type): unsupported.append(type)
                        case .failed(let type, let message):
                            problems.append(DriftProblem(address: nil, provider: name, message: "looking for unmanaged \(type) resources: \(message)"))
                        }
                    }
                    if unsupported.count == types.count {
                        return ([], [], ["provider \(name) cannot list resources by tags (no `discover`): unmanaged \(name) resources were not looked for"])
                    }
                    let notes = unsupported.isEmpty ? [] : ["provider \(name) cannot list \(unsupported.joined(separator: ", ")) resources by tags: unmanaged ones were not looked for"]
                    return (found, problems, notes)
                }
            }
            var found: [(String, String, [DiscoveredResource])] = []
            var problems: [DriftProblem] = []
            var notes: [String] = []
            for await (f, p, n) in group {
                found += f
                problems += p
                notes += n
            }
            return (found, problems, notes.sorted())
        }
    }
}

// MARK: - Sweeps with the stack and the state, and what to do about drift

public struct DriftOptions: Sendable {
    public enum Action: String, Sendable {
        /// Report only; nothing is written but the sweep's history record.
        case none
        /// Plan and apply the declared state back for the drifted resources, under the lock.
        case remediate
        /// Record the actual values as the new state for the drifted resources, under the lock.
        case accept
    }
    public var action: Action = .none
    /// With `remediate`: also delete unmanaged resources (off by default: they may be someone's).
    public var deleteUnmanaged = false
    public init(action: Action = .none, deleteUnmanaged: Bool = false) {
        self.action = action
        self.deleteUnmanaged = deleteUnmanaged
    }
}

extension Engine {
    /// An engine for another instance of a stack, sharing this one's state backend and plugins.
    /// With `ownPlugins`, the instance gets plugin processes of its own (configured for it
    /// alone), so instances can be swept at the same time; shut them down with
    /// `registry.shutdownAll()` afterwards.
    public func forInstance(_ instance: String, variables: [String: String], ownPlugins: Bool = false) -> Engine {
        var configuration = self.configuration
        configuration.instance = instance
        configuration.variables = variables
        let registry = ownPlugins
            ? ProviderRegistry(searchPath: self.registry.searchPath, workingDirectory: configuration.workingDirectory,
                               callTimeout: configuration.pluginTimeout, pins: self.registry.pins)
            : self.registry
        var engine = Engine(configuration: configuration, backend: backend, registry: registry, cipher: cipher)
        engine.compiledStack = compiledStack
        return engine
    }

    init(configuration: Configuration, backend: any StateBackend, registry: ProviderRegistry, cipher: SecretCipher) {
        self.configuration = configuration
        self.backend = backend
        self.registry = registry
        self.cipher = cipher
    }

    /// One drift sweep of the stack in `directory` (this engine's instance). Never throws:
    /// whatever goes wrong is in the report's `errors` (status `error`). Reads only, unless
    /// `options.action` says otherwise; then everything happens under the instance's lock.
    public func driftSweep(directory: URL, options: DriftOptions) async -> DriftReport {
        let started = Date()
        let key = self.key(for: directory)
        let manifest: Manifest
        do {
            // The stack program is a child process: wait for it off the cooperative pool, so
            // sweeps of other instances keep running.
            manifest = try await OwnThread.run { [self] in try load(directory).manifest }
        } catch {
            return .failure(key, started: started, message: "cannot load the stack \(directory.path): \(Executor.message(error))")
        }
        let problems = manifest.diagnostics.filter { $0.severity == .error }
        if !problems.isEmpty {
            return .failure(key, started: started, message: "the stack has errors (run `strata validate`): " + problems.map(\.description).joined(separator: "; "))
        }
        // Plugins the stack configures (a URL, a region) read with that configuration.
        await registry.configure(manifest.providers)
        guard options.action != .none else {
            do {
                let snapshot = try await backend.load(key)
                let intents = try await backend.pendingIntents(key)
                // Read-only: no lock. But a run writing the instance now makes in-between states look like drift.
                let holder = try? await backend.lockHolder(key)
                var report = await DriftDetector(registry: registry, parallelism: configuration.parallelism)
                    .sweep(snapshot: snapshot, manifest: manifest, intents: intents, started: started)
                if let holder, holder.leaseUntil > Date() {
                    report.notes.append("the instance was locked during this sweep (\(holder)): what that run was changing may show as drift")
                }
                return report
            } catch {
                return .failure(key, started: started, message: Executor.message(error))
            }
        }
        // Acting on drift writes the state: hold the lock for the sweep and the action, so what
        // is acted on is what was seen. Run apart from the caller's cancellation (SIGTERM in the
        // daemon) so a started remediation finishes and is recorded.
        let engine = self
        let task = Task { () -> DriftReport in
            do {
                return try await engine.withLock(key, operation: "drift --\(options.action.rawValue)") {
                    await engine.sweepAndAct(key: key, directory: directory, manifest: manifest, options: options, started: started)
                }
            } catch {
                return .failure(key, started: started, message: Executor.message(error))
            }
        }
        return await task.value
    }

    func sweepAndAct(key: InstanceKey, directory: URL, manifest: Manifest, options: DriftOptions, started: Date) async -> DriftReport {
        var adopted: [ResourceAddress] = []
        if options.action == .remediate {
            do { adopted = try await recover(key) } catch {
                return .failure(key, started: started, message: "recovering interrupted creates: \(Executor.message(error))")
            }
        }
        var report: DriftReport
        do {
            let snapshot = try await backend.load(key)
            let intents = try await backend.pendingIntents(key)
            report = await DriftDetector(registry: registry, parallelism: configuration.parallelism)
                .sweep(snapshot: snapshot, manifest: manifest, intents: intents, started: started)
        } catch {
            return .failure(key, started: started, message: Executor.message(error))
        }
        if !adopted.isEmpty {
            report.notes.append("adopted \(adopted.count) resource(s) made by an interrupted create: " + adopted.map(\.description).joined(separator: ", "))
        }
        guard report.status == .drift else { return report }
        var remediation: DriftRemediation
        switch options.action {
        case .none: return report
        case .accept: remediation = await accept(report, key: key)
        case .remediate: remediation = await remediate(report, key: key, directory: directory, manifest: manifest, deleteUnmanaged: options.deleteUnmanaged)
        }
        remediation.succeeded = remediation.steps.allSatisfy { $0.outcome != "failed" } && remediation.message == nil
        report.remediation = remediation
        report.durationSeconds = (Date().timeIntervalSince(started) * 1000).rounded() / 1000
        report.recount()
        return report
    }

    /// `--accept`: the actual values become the state of the drifted resources; resources
    /// deleted outside Strata are dropped from it. Unmanaged ones are left alone (reported).
    func accept(_ report: DriftReport, key: InstanceKey) async -> DriftRemediation {
        var steps: [DriftRemediation.Step] = []
        let snapshot: StateSnapshot
        do { snapshot = try await backend.load(key) } catch {
            return DriftRemediation(action: "accept", succeeded: false, steps: [], message: Executor.message(error))
        }
        for drift in report.resources {
            guard let text = drift.address else { continue }
            guard drift.kind != .unmanaged else {
                steps.append(.init(address: text, action: "skip", outcome: "skipped", message: "unmanaged: not adopted; import it or delete it"))
                continue
            }
            guard let state = snapshot.resources.first(where: { $0.address.description == text && !$0.deposed && $0.id == drift.id }) else {
                steps.append(.init(address: text, action: "skip", outcome: "skipped", message: "no longer in the state as swept"))
                continue
            }
            do {
                if drift.kind == .deleted {
                    try await backend.write(key, .remove(state.address, deposed: false, action: "drift accept: deleted outside Strata"))
                    steps.append(.init(address: text, action: "forget", outcome: "done", message: nil))
                } else {
                    // Read again under the lock: the report holds no secret values.
                    let handle = try await registry.provider(state.provider)
                    let timeout = registry.callTimeout
                    let request = ReadRequest(type: state.type, id: state.id, inputs: handle.client.reveal(state.inputs), outputs: handle.client.reveal(state.outputs))
                    let response = try await Retry.run(handle) {
                        try await handle.client.call(.read, request, as: ReadResponse.self, timeout: timeout)
                    }
                    guard response.exists else {
                        steps.append(.init(address: text, action: "skip", outcome: "skipped", message: "deleted since the sweep"))
                        continue
                    }
                    let schema = handle.schema.resources[state.type]
                    let outputs = Executor.secretsKept(Planner.markSecrets(response.outputs, schema: schema), inputs: state.inputs)
                    var updated = state
                    updated.outputs = outputs
                    for (name, value) in outputs where schema?.attributes[name]?.isInput ?? (name != "id") {
                        updated.inputs[name] = (state.inputs[name]?.containsSecret ?? false) && !value.containsSecret ? .secret(value) : value
                    }
                    try await backend.write(key, .put(updated, intentToken: nil, action: "drift accept"))
                    steps.append(.init(address: text, action: "record", outcome: "done", message: nil))
                }
            } catch {
                steps.append(.init(address: text, action: drift.kind == .deleted ? "forget" : "record", outcome: "failed", message: Executor.message(error)))
            }
        }
        return DriftRemediation(action: "accept", succeeded: true, steps: steps, message: nil)
    }

    /// `--remediate`: plan the declared state for the drifted resources (and what they depend
    /// on) and apply it, under the lock already held. A drifted resource whose declared value
    /// is the actual one plans no change; the state then records the actual values.
    func remediate(_ report: DriftReport, key: InstanceKey, directory: URL, manifest: Manifest, deleteUnmanaged: Bool) async -> DriftRemediation {
        guard report.errors.isEmpty else {
            return DriftRemediation(action: "remediate", succeeded: false, steps: [], message: "not remediated: the sweep had errors")
        }
        var steps: [DriftRemediation.Step] = []
        let declared = Set(manifest.resources.map(\.address.description))
        var targets: [String] = []
        for drift in report.resources where drift.kind != .unmanaged {
            guard let address = drift.address else { continue }
            if declared.contains(address) {
                targets.append(address)
            } else {
                steps.append(.init(address: address, action: "skip", outcome: "skipped", message: "no longer declared: `strata apply` deletes it"))
            }
        }
        if !targets.isEmpty {
            do {
                var planOptions = Planner.Options()
                planOptions.targets = targets
                let plan = try await self.plan(manifest, directory: directory, options: planOptions)
                let applied = try await apply(plan, interrupt: Interrupt(), observer: nil)
                for result in applied.results {
                    let outcome: String, message: String?
                    switch result.outcome {
                    case .succeeded, .unchanged: (outcome, message) = ("done", nil)
                    case .failed(let why, _): (outcome, message) = ("failed", why)
                    case .stateFailed(let why): (outcome, message) = ("failed", "state write: \(why)")
                    case .skipped(let because): (outcome, message) = ("failed", "skipped because \(because) failed")
                    case .notStarted: (outcome, message) = ("failed", "not started")
                    }
                    steps.append(.init(address: result.address.description, action: result.kind.rawValue, outcome: outcome, message: message))
                }
                // No change planned, yet drifted: the stack agrees with the actual values. Record them.
                let targeted = Set(targets)
                for step in plan.steps where step.action == .noop && targeted.contains(step.address.description) {
                    guard let refreshed = step.prior else { continue }
                    do {
                        try await backend.write(key, .put(refreshed, intentToken: nil, action: "drift remediate: record actual"))
                        steps.append(.init(address: step.address.description, action: "record", outcome: "done", message: nil))
                    } catch {
                        steps.append(.init(address: step.address.description, action: "record", outcome: "failed", message: Executor.message(error)))
                    }
                }
            } catch {
                return DriftRemediation(action: "remediate", succeeded: false, steps: steps, message: Executor.message(error))
            }
        }
        for drift in report.resources where drift.kind == .unmanaged {
            let name = drift.address ?? "\(drift.type) \(drift.id)"
            guard deleteUnmanaged else {
                steps.append(.init(address: name, action: "skip", outcome: "skipped", message: "unmanaged: left alone (--delete-unmanaged deletes it)"))
                continue
            }
            do {
                let handle = try await registry.provider(drift.provider)
                let timeout = registry.callTimeout
                let outputs = try await discoveredOutputs(drift, handle: handle, key: key)
                try await Retry.run(handle) {
                    _ = try await handle.client.call(.delete, DeleteRequest(type: drift.type, id: drift.id, inputs: [:], outputs: outputs), as: EmptyResponse.self, timeout: timeout)
                }
                steps.append(.init(address: name, action: "delete", outcome: "done", message: "id=\(drift.id)"))
            } catch let error as PluginCallError where error.kind == .notFound {
                steps.append(.init(address: name, action: "delete", outcome: "done", message: "already gone"))
            } catch {
                steps.append(.init(address: name, action: "delete", outcome: "failed", message: Executor.message(error)))
            }
        }
        return DriftRemediation(action: "remediate", succeeded: true, steps: steps, message: nil)
    }

    /// The unmanaged resource's outputs as the provider reports them (the report hides secrets).
    private func discoveredOutputs(_ drift: ResourceDrift, handle: ProviderHandle, key: InstanceKey) async throws -> [String: Value] {
        let tags = ["strata:stack": key.stack, "strata:instance": key.instance]
        let timeout = registry.callTimeout
        let response = try await Retry.run(handle) {
            try await handle.client.call(.discover, DiscoverRequest(type: drift.type, tags: tags), as: DiscoverResponse.self, timeout: timeout)
        }
        return response.resources.first { $0.id == drift.id }?.outputs ?? [:]
    }
}
