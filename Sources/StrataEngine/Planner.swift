import Foundation
import StrataModel
import StrataPluginKit
import StrataState

/// Desired (manifest) + recorded (state) + actual (refresh through providers) → a Plan.
public struct Planner: Sendable {
    /// Which recorded resources a plan reads from their providers first.
    public enum Refresh: String, Sendable, CaseIterable, ExpressibleByBooleanLiteral {
        /// Every recorded resource (`--refresh=true`, the default).
        case all = "true"
        /// None: the recorded state is taken as it is (`--refresh=false`).
        case none = "false"
        /// Only resources whose declared inputs differ from the recorded ones, and what
        /// depends on them (`--refresh=changed`).
        case changed

        public init(booleanLiteral value: Bool) { self = value ? .all : .none }
    }

    public struct Options: Sendable {
        public var refresh: Refresh = .all
        public var targets: [String] = []
        public var replace: [String] = []
        public var destroy = false
        public var parallelism = 10
        public init() {}
    }

    public let registry: ProviderRegistry
    /// Where stack references are read from (the same backend as the stack's own state).
    public let backend: (any StateBackend)?
    public init(registry: ProviderRegistry, backend: (any StateBackend)? = nil) {
        self.registry = registry
        self.backend = backend
    }

    /// Plans `manifest` (nil with `destroy`) against `snapshot`.
    public func plan(manifest: Manifest, snapshot: StateSnapshot, stackDirectory: String, variables: [String: String],
                     options: Options, pendingIntents: Int = 0) async throws -> Plan {
        let desired = options.destroy ? [] : manifest.resources
        await registry.configure(manifest.providers)
        let providers = Set(desired.map(\.providerKey)).union(snapshot.resources.map(\.provider))
            .union(options.destroy ? [] : manifest.dataSources.map(\.providerKey))
        let schemas = try await Timings.measure("plan: start providers") { try await registry.schemas(for: providers) }

        if !options.destroy {
            let problems = Timings.measure("plan: validate") { Validator(schemas: schemas).validate(manifest).filter { $0.severity == .error } }
            if !problems.isEmpty { throw PlanError.validation(problems) }
            let failed = manifest.checks.filter { $0.kind == .precondition && $0.status == .failed }
            if !failed.isEmpty {
                throw PlanError.validation(failed.map { Diagnostic(.error, "precondition failed: \($0.message)", address: $0.address.description, location: $0.location) })
            }
        }
        var notes: [String] = []
        let deferred = manifest.checks.filter { $0.status == .deferred || $0.kind == .postcondition }.count
        if deferred > 0 && !options.destroy {
            notes.append("\(deferred) check(s) need values known only after apply; they are evaluated then.")
        }
        if pendingIntents > 0 {
            notes.append("\(pendingIntents) create(s) were interrupted by a crash; apply will look for them first and adopt what exists.")
        }

        // Refresh: ask each provider what exists now, in parallel.
        var recorded = snapshot.resources.filter { !$0.deposed }
        var refreshed: [ResourceAddress: ResourceState] = [:]
        var gone: Set<ResourceAddress> = []
        if options.refresh == .changed {
            let total = recorded.count
            let replace = Set(try options.replace.map { try parseTarget($0) })
            let wanted = Timings.measure("plan: find changed") {
                Planner.changedSinceRecorded(desired, recorded: recorded, schemas: schemas, replace: replace)
            }
            for state in recorded where !wanted.contains(state.address) { refreshed[state.address] = state }
            recorded = recorded.filter { wanted.contains($0.address) }
            notes.append("refreshed \(recorded.count) of \(total) resources (--refresh=changed)")
        }
        if options.refresh != .none {
            let results = try await Timings.measure("plan: refresh") { try await refresh(recorded, parallelism: options.parallelism) }
            for state in recorded {
                switch results[state.address] {
                case .some(.some(let outputs)):
                    var updated = state
                    updated.outputs = outputs
                    refreshed[state.address] = updated
                case .some(.none):
                    gone.insert(state.address)
                case .none:
                    refreshed[state.address] = state
                }
            }
        } else {
            for state in recorded { refreshed[state.address] = state }
        }

        // Renames: the recorded resource follows its new address (`moved(from:)`).
        var movedFrom: [ResourceAddress: ResourceAddress] = [:]
        if !options.destroy {
            var problems: [Diagnostic] = []
            for move in manifest.moves {
                guard var state = refreshed[move.from] ?? (gone.contains(move.from) ? recorded.first(where: { $0.address == move.from }) : nil) else { continue }
                if refreshed[move.to] != nil || recorded.contains(where: { $0.address == move.to }) {
                    problems.append(Diagnostic(.error, "moved(from: \(move.from)): both \(move.from) and \(move.to) are in the state; `strata state rm` one of them", address: move.to.description, location: move.location))
                    continue
                }
                refreshed[move.from] = nil
                state.address = move.to
                if gone.remove(move.from) != nil { gone.insert(move.to) } else { refreshed[move.to] = state }
                movedFrom[move.to] = movedFrom.removeValue(forKey: move.from) ?? move.from
            }
            if !problems.isEmpty { throw PlanError.validation(problems) }
        }

        // What the stack can count on: recorded values (at their new addresses after moves),
        // then stack references and data sources, read now.
        var resolver = Resolver()
        for state in refreshed.values { resolver.attributes[state.address] = state.outputs }
        var reads: [String: [String: Value]] = [:]
        if !options.destroy {
            reads = try await readExternal(manifest, into: &resolver.attributes)
        }

        let replaceRequested = Set(try options.replace.map { try parseTarget($0) })
        var steps: [PlannedStep] = []
        var stepIndex: [ResourceAddress: Int] = [:]
        let ordered = try topologicalOrder(desired)

        for resource in ordered {
            let address = resource.address
            guard let schema = schemas[address.provider]?.resources[resource.type] else { continue }
            let inputs = resolver.resolve(resource.inputs)
            var step = PlannedStep(address: address, action: .noop, provider: resource.providerKey, desired: resource, prior: refreshed[address],
                                   changes: [], createBeforeDestroy: resource.options.createBeforeDestroy, reason: nil,
                                   estimatedSeconds: schema.typicalCreateSeconds ?? 1, deposed: false)
            step.movedFrom = movedFrom[address]
            if let prior = refreshed[address] {
                let priorInputs = Planner.priorInputs(prior, schema: schema)
                var changes: [AttributeChange] = []
                for name in Set(inputs.keys).union(priorInputs.keys).sorted() {
                    guard let attribute = schema.attributes[name], attribute.isInput else { continue }
                    if resource.options.ignoreChanges.contains(name) { continue }
                    let after = inputs[name]
                    // An optional+computed attribute the stack does not set is the provider's to choose.
                    if after == nil && attribute.mode == .optionalComputed { continue }
                    let before = priorInputs[name]
                    if let after, after.sameAs(before) { continue }
                    if after == nil && (before == nil || before == .null) { continue }
                    changes.append(AttributeChange(attribute: name, before: before, after: after ?? .null,
                                                   forcesReplacement: attribute.forcesReplacement,
                                                   secret: attribute.secret || (after?.containsSecret ?? false) || (before?.containsSecret ?? false)))
                }
                step.changes = changes
                let triggers = resolver.resolve(.list(resource.options.replaceWhen))
                let triggered = !resource.options.replaceWhen.isEmpty && prior.triggers != nil
                    && (!triggers.isKnown || !triggers.sameAs(.list(prior.triggers ?? [])))
                if replaceRequested.contains(address) {
                    step.action = .replace
                    step.reason = "requested with --replace"
                } else if triggered {
                    step.action = .replace
                    step.reason = "replaceWhen: a value it watches changed"
                } else if changes.contains(where: \.forcesReplacement) {
                    step.action = .replace
                } else if !changes.isEmpty {
                    step.action = .update
                }
                // What dependents can count on at plan time.
                var known = prior.outputs
                for (k, v) in inputs { known[k] = v }
                if step.action == .replace {
                    known = inputs
                } else if step.action == .update {
                    for (name, attribute) in schema.attributes where attribute.mode == .computed && name != "id" { known[name] = nil }
                }
                resolver.attributes[address] = known
            } else {
                step.action = .create
                if gone.contains(address) { step.reason = "it was deleted outside Strata" }
                step.changes = inputs.keys.sorted().map { name in
                    let attribute = schema.attributes[name]
                    return AttributeChange(attribute: name, before: nil, after: inputs[name], forcesReplacement: false,
                                           secret: (attribute?.secret ?? false) || (inputs[name]?.containsSecret ?? false))
                }
                resolver.attributes[address] = inputs
            }
            stepIndex[address] = steps.count
            steps.append(step)
        }

        // Deletes: recorded but no longer declared, and deposed copies left by a crash.
        let declared = Set(desired.map(\.address))
        let movedAway = Set(movedFrom.values)
        for state in snapshot.resources.sorted(by: { $0.address < $1.address }) where !(movedAway.contains(state.address) && !state.deposed) {
            if state.deposed {
                steps.append(PlannedStep(address: state.address, action: .delete, provider: state.provider, desired: nil, prior: state,
                                         changes: [], createBeforeDestroy: false, reason: "a copy left over from an interrupted replacement",
                                         estimatedSeconds: 1, deposed: true))
            } else if !declared.contains(state.address) {
                let reason = gone.contains(state.address) ? "it was already deleted outside Strata" : nil
                steps.append(PlannedStep(address: state.address, action: .delete, provider: state.provider, desired: nil, prior: refreshed[state.address] ?? state,
                                         changes: [], createBeforeDestroy: false, reason: reason,
                                         estimatedSeconds: schemas[state.provider]?.resources[state.type]?.typicalCreateSeconds ?? 1, deposed: false))
            }
        }

        if !options.targets.isEmpty {
            steps = try applyTargets(options.targets, steps: steps, desired: desired, snapshot: snapshot)
        }
        Planner.propagateCreateBeforeDestroy(&steps)

        let protected = steps.filter { ($0.action == .delete || $0.action == .replace) && !$0.deposed && ($0.desired?.options.protect ?? false || options.destroy && Planner.wasProtected($0, manifest)) }
        if !protected.isEmpty {
            throw PlanError.protected(protected.map(\.address), options.destroy ? "destroyed" : "destroyed or replaced")
        }
        try await Timings.measure("plan: check changed") { try await checkChanged(&steps, schemas: schemas, parallelism: options.parallelism) }

        return Plan(version: Plan.currentVersion, key: snapshot.key, stackDirectory: stackDirectory, variables: variables,
                    stateSerial: snapshot.serial, stateLineage: snapshot.lineage, destroy: options.destroy, steps: steps,
                    outputs: options.destroy ? [:] : manifest.outputs, createdAt: Date(), schemas: schemas, notes: notes, reads: reads,
                    hasChecks: !options.destroy && !manifest.checks.isEmpty)
    }

    /// Reads what the stack refers to outside itself: other stacks' outputs (from the state
    /// backend) and data sources (through their providers), in declaration order.
    func readExternal(_ manifest: Manifest, into known: inout [ResourceAddress: [String: Value]]) async throws -> [String: [String: Value]] {
        var reads: [String: [String: Value]] = [:]
        var problems: [Diagnostic] = []
        let everything = manifest.resources + manifest.dataSources
        var stackRefs: [ResourceAddress: [(attribute: String, user: ManifestResource?)]] = [:]
        for user in everything {
            for ref in user.inputs.values.flatMap(\.references) where ref.address.isStackReference {
                stackRefs[ref.address, default: []].append((ref.attribute, user))
            }
        }
        for ref in manifest.outputs.values.flatMap(\.value.references) where ref.address.isStackReference {
            stackRefs[ref.address, default: []].append((ref.attribute, nil))
        }
        for (address, uses) in stackRefs.sorted(by: { $0.key < $1.key }) {
            guard let target = address.stackReferenceTarget, let backend else { continue }
            let snapshot = try await backend.load(InstanceKey(stack: target.stack, instance: target.instance))
            guard snapshot.serial > 0 else {
                problems.append(Diagnostic(.error, "StackRef(\"\(target.stack)\", instance: \"\(target.instance)\"): that stack instance has no state in this backend; apply it first (or check --state)", address: uses.first?.user?.address.description, location: uses.first?.user?.location))
                continue
            }
            let values = snapshot.outputs.mapValues { $0.secret && !$0.value.containsSecret ? Value.secret($0.value) : $0.value }
            for use in uses where values[use.attribute] == nil {
                problems.append(Diagnostic(.error, "stack \(target.stack)/\(target.instance) has no output '\(use.attribute)' (it has: \(values.keys.sorted().joined(separator: ", ")))", address: use.user?.address.description, location: use.user?.location))
            }
            known[address] = values
            reads[address.description] = values
        }
        if !problems.isEmpty { throw PlanError.validation(problems) }

        for source in manifest.dataSources {
            var resolver = Resolver()
            resolver.attributes = known
            let inputs = resolver.resolve(source.inputs)
            if let unknown = inputs.first(where: { !$0.value.isKnown }) {
                problems.append(Diagnostic(.error, "'\(unknown.key)' is known only after apply; a data source is read during plan, so its query must be known then", address: source.address.description, location: source.location))
                continue
            }
            let handle = try await registry.provider(source.providerKey)
            do {
                let response = try await Retry.run(handle) {
                    try await handle.client.call(.lookup, LookupRequest(type: source.type, inputs: handle.client.reveal(inputs)), as: LookupResponse.self, timeout: registry.callTimeout)
                }
                let outputs = Planner.markSecrets(response.outputs, schema: handle.schema.dataSources?[source.type])
                known[source.address] = outputs
                reads[source.address.description] = outputs
            } catch let error as PluginCallError {
                problems.append(Diagnostic(.error, "reading it failed: \(error)", address: source.address.description, location: source.location))
            }
        }
        if !problems.isEmpty { throw PlanError.validation(problems) }
        return reads
    }

    static func wasProtected(_ step: PlannedStep, _ manifest: Manifest) -> Bool {
        manifest.resources.first { $0.address == step.address }?.options.protect ?? false
    }

    /// `--refresh=changed`: the recorded resources whose declared inputs (resolved against the
    /// recorded outputs) differ from the recorded inputs, or that are to be replaced, plus
    /// everything that depends on them, since their inputs may change with them.
    static func changedSinceRecorded(_ desired: [ManifestResource], recorded: [ResourceState], schemas: [String: ProviderSchema],
                                     replace: Set<ResourceAddress>) -> Set<ResourceAddress> {
        var index: [ResourceAddress: Int] = [:]
        index.reserveCapacity(recorded.count)
        var resolver = Resolver()
        resolver.attributes.reserveCapacity(recorded.count)
        for (i, state) in recorded.enumerated() {
            index[state.address] = i
            resolver.attributes[state.address] = state.outputs
        }
        var changed: Set<ResourceAddress> = []
        for resource in desired {
            guard let i = index[resource.address] else { continue }
            guard let schema = schemas[resource.address.provider]?.resources[resource.type] else { changed.insert(resource.address); continue }
            if replace.contains(resource.address) { changed.insert(resource.address); continue }
            if !resource.options.replaceWhen.isEmpty, let recordedTriggers = recorded[i].triggers {
                let triggers = resolver.resolve(.list(resource.options.replaceWhen))
                if !triggers.isKnown || !triggers.sameAs(.list(recordedTriggers)) { changed.insert(resource.address); continue }
            }
            let inputs = resolver.resolve(resource.inputs)
            let before = recorded[i].inputs
            // The same test as the plan's attribute diff, on declared vs recorded inputs.
            func differs(_ name: String, _ after: Value?, _ prior: Value?) -> Bool {
                guard let attribute = schema.attributes[name], attribute.isInput else { return false }
                if resource.options.ignoreChanges.contains(name) { return false }
                if after == nil && attribute.mode == .optionalComputed { return false }
                if let after, after.sameAs(prior) { return false }
                if after == nil && (prior == nil || prior == .null) { return false }
                return true
            }
            if inputs.contains(where: { differs($0.key, $0.value, before[$0.key]) })
                || before.contains(where: { inputs[$0.key] == nil && differs($0.key, nil, $0.value) })
            {
                changed.insert(resource.address)
            }
        }
        guard !changed.isEmpty else { return changed }
        // What depends on a changed resource may change with it.
        var dependents: [ResourceAddress: [ResourceAddress]] = [:]
        for resource in desired where index[resource.address] != nil {
            for dep in resource.dependencies { dependents[dep, default: []].append(resource.address) }
        }
        var queue = Array(changed)
        while let address = queue.popLast() {
            for dependent in dependents[address] ?? [] where changed.insert(dependent).inserted { queue.append(dependent) }
        }
        return changed
    }

    /// The recorded inputs, overlaid with what the provider reports now for input attributes.
    static func priorInputs(_ prior: ResourceState, schema: ResourceSchema) -> [String: Value] {
        var inputs = prior.inputs
        for (name, attribute) in schema.attributes where attribute.isInput {
            if let actual = prior.outputs[name] { inputs[name] = actual }
        }
        return inputs
    }

    /// A resource replaced create-before-destroy makes the resources it depends on, when they
    /// are replaced too, create-before-destroy as well; otherwise the order has a cycle.
    static func propagateCreateBeforeDestroy(_ steps: inout [PlannedStep]) {
        var index: [ResourceAddress: Int] = [:]
        for (i, step) in steps.enumerated() where step.desired != nil { index[step.address] = i }
        var changed = true
        while changed {
            changed = false
            for step in steps where step.action == .replace && step.createBeforeDestroy {
                for dep in step.desired?.dependencies ?? [] {
                    if let i = index[dep], steps[i].action == .replace, !steps[i].createBeforeDestroy {
                        steps[i].createBeforeDestroy = true
                        changed = true
                    }
                }
            }
        }
    }

    func parseTarget(_ text: String) throws -> ResourceAddress {
        guard let address = ResourceAddress(parsing: text) else { throw PlanError.unknownTarget(text) }
        return address
    }

    /// Keeps only the steps of the targets and of what they depend on (for deletes: what depends on them).
    func applyTargets(_ targets: [String], steps: [PlannedStep], desired: [ManifestResource], snapshot: StateSnapshot) throws -> [PlannedStep] {
        let known = Set(steps.map(\.address))
        var wanted = Set<ResourceAddress>()
        var queue: [ResourceAddress] = []
        for text in targets {
            let address = try parseTarget(text)
            guard known.contains(address) else { throw PlanError.unknownTarget(text) }
            queue.append(address)
        }
        var dependencies: [ResourceAddress: [ResourceAddress]] = [:]
        for resource in desired { dependencies[resource.address] = resource.dependencies }
        var dependents: [ResourceAddress: [ResourceAddress]] = [:]
        for state in snapshot.resources { for dep in state.dependencies { dependents[dep, default: []].append(state.address) } }
        let deleting = Set(steps.filter { $0.action == .delete }.map(\.address))
        while let address = queue.popLast() {
            guard wanted.insert(address).inserted else { continue }
            if deleting.contains(address) {
                queue += dependents[address] ?? []
            } else {
                queue += dependencies[address] ?? []
            }
        }
        return steps.filter { wanted.contains($0.address) }
    }

    func topologicalOrder(_ resources: [ManifestResource]) throws -> [ManifestResource] {
        var graph = DependencyGraph<ResourceAddress>()
        var byAddress: [ResourceAddress: ManifestResource] = [:]
        for resource in resources {
            byAddress[resource.address] = resource
            graph.add(resource.address)
        }
        for resource in resources {
            for dep in resource.dependencies where byAddress[dep] != nil { graph.addEdge(from: resource.address, dependsOn: dep) }
        }
        guard let order = graph.topologicalOrder() else {
            let cycle = graph.findCycle() ?? []
            throw PlanError.validation([Diagnostic(.error, "dependency cycle: " + cycle.map(\.description).joined(separator: " -> "))])
        }
        return order.compactMap { byAddress[$0] }
    }

    /// Reads every recorded resource through its provider: the outputs, or nil when gone.
    func refresh(_ resources: [ResourceState], parallelism: Int) async throws -> [ResourceAddress: [String: Value]?] {
        try await withThrowingTaskGroup(of: (ResourceAddress, [String: Value]?).self) { group in
            var results: [ResourceAddress: [String: Value]?] = [:]
            var iterator = resources.makeIterator()
            var running = 0
            func startNext() async throws -> Bool {
                guard let state = iterator.next() else { return false }
                let handle = try await registry.provider(state.provider)
                group.addTask {
                    let request = ReadRequest(type: state.type, id: state.id, inputs: handle.client.reveal(state.inputs), outputs: handle.client.reveal(state.outputs))
                    let response: ReadResponse
                    do {
                        response = try await Retry.run(handle) {
                            try await handle.client.call(.read, request, as: ReadResponse.self, timeout: registry.callTimeout)
                        }
                    } catch let error as PluginCallError where error.kind == .notFound {
                        // Some providers say "gone" with an error rather than `exists: false`.
                        return (state.address, nil)
                    }
                    guard response.exists else { return (state.address, nil) }
                    return (state.address, Executor.secretsKept(Planner.markSecrets(response.outputs, schema: handle.schema.resources[state.type]), inputs: state.inputs))
                }
                return true
            }
            while running < max(1, parallelism), try await startNext() { running += 1 }
            while let (address, outputs) = try await group.next() {
                results[address] = .some(outputs)
                if try await !startNext() { running -= 1 }
            }
            return results
        }
    }

    /// Wraps the values of secret attributes so they are never shown.
    static func markSecrets(_ values: [String: Value], schema: ResourceSchema?) -> [String: Value] {
        guard let schema else { return values }
        var out = values
        for (name, attribute) in schema.attributes where attribute.secret {
            if let v = out[name], v != .null, !v.containsSecret { out[name] = .secret(v) }
        }
        return out
    }

    /// Asks the provider to check each resource that will be created or changed, and takes
    /// its time estimate.
    func checkChanged(_ steps: inout [PlannedStep], schemas: [String: ProviderSchema], parallelism: Int) async throws {
        let indices = steps.indices.filter { steps[$0].action == .create || steps[$0].action == .update || steps[$0].action == .replace }
        guard !indices.isEmpty else { return }
        let snapshot = steps
        let results = try await withThrowingTaskGroup(of: (Int, CheckResponse).self) { group in
            var iterator = indices.makeIterator()
            var out: [(Int, CheckResponse)] = []
            func startNext() async throws -> Bool {
                guard let i = iterator.next(), let desired = snapshot[i].desired else { return false }
                let handle = try await registry.provider(snapshot[i].provider)
                let inputs = handle.client.reveal(desired.inputs.mapValues { $0.isKnown ? $0 : Value.unknown })
                group.addTask {
                    (i, try await handle.client.call(.check, CheckRequest(type: desired.type, inputs: inputs), as: CheckResponse.self, timeout: 60))
                }
                return true
            }
            var running = 0
            while running < max(1, parallelism * 4), try await startNext() { running += 1 }
            while let result = try await group.next() {
                out.append(result)
                if try await !startNext() { running -= 1 }
            }
            return out
        }
        var problems: [Diagnostic] = []
        for (i, response) in results {
            if let seconds = response.estimatedSeconds { steps[i].estimatedSeconds = seconds }
            // The plugin saw the secrets in the clear and may quote them.
            let redaction = Redaction(steps[i].desired?.inputs ?? [:])
            for problem in response.problems {
                problems.append(Diagnostic(.error, redaction.redact(problem.message), address: steps[i].address.description, location: steps[i].desired?.location))
            }
        }
        if !problems.isEmpty { throw PlanError.validation(problems.sorted { ($0.address ?? "") < ($1.address ?? "") }) }
    }
}

/// Retries throttled and passing faults with exponential backoff and full jitter.
enum Retry {
    static let attempts = 6

    static func run<T: Sendable>(_ handle: ProviderHandle, _ body: @Sendable () async throws -> T) async throws -> T {
        var attempt = 0
        while true {
            do {
                if let limiter = handle.limiter {
                    await limiter.acquire()
                    do {
                        let result = try await body()
                        await limiter.release()
                        return result
                    } catch {
                        await limiter.release()
                        throw error
                    }
                }
                return try await body()
            } catch let error as PluginCallError where error.isRetryable && attempt + 1 < attempts {
                attempt += 1
                let cap = min(20.0, 0.2 * pow(2.0, Double(attempt)))
                try await Task.sleep(nanoseconds: UInt64(Double.random(in: 0...cap) * 1e9))
            }
        }
    }
}
