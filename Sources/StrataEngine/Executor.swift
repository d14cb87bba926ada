import Foundation
import StrataModel
import StrataPluginKit
import StrataState

/// Applies a plan: a bounded parallel walk of its operations, longest remaining path first,
/// the state written after every operation, an intent journaled before every create.
public struct Executor: Sendable {
    public let registry: ProviderRegistry
    public let backend: any StateBackend
    public let parallelism: Int
    public let interrupt: Interrupt
    public let observer: (any ApplyObserver)?

    public init(registry: ProviderRegistry, backend: any StateBackend, parallelism: Int, interrupt: Interrupt, observer: (any ApplyObserver)?) {
        self.registry = registry
        self.backend = backend
        self.parallelism = max(1, parallelism)
        self.interrupt = interrupt
        self.observer = observer
    }

    /// Applies `plan`; `recordedOutputs` are the outputs in the state now (written again only
    /// when they change, so a no-change apply leaves the serial alone).
    public func apply(_ plan: Plan, recordedOutputs: [String: ManifestOutput] = [:]) async throws -> ApplyReport {
        let started = Date()
        let graph = try OperationGraph(plan: plan)
        // Renames first: state-only, one transaction each.
        for step in plan.steps {
            if let from = step.movedFrom { try await backend.write(plan.key, .move(from: from, to: step.address)) }
        }
        var known: [ResourceAddress: [String: Value]] = [:]
        for (text, values) in plan.reads {
            if let address = ResourceAddress(parsing: text) { known[address] = values }
        }
        for step in plan.steps where step.action != .delete {
            if let prior = step.prior { known[step.address] = prior.outputs }
        }
        var outcomes = [OperationOutcome?](repeating: nil, count: graph.operations.count)
        var remaining = graph.operations.map(\.dependencies.count)
        var ready = ReadyQueue(ranks: graph.ranks)
        for op in graph.operations where op.dependencies.isEmpty { ready.push(op.id) }
        var running = 0
        var stateFailure: (any Error)? = nil

        await withTaskGroup(of: (Int, OperationOutcome, [String: Value]?).self) { group in
            func startReady() {
                while running < parallelism, interrupt.current == .none, stateFailure == nil, let id = ready.pop() {
                    let op = graph.operations[id]
                    let step = plan.steps[op.stepIndex]
                    var resolver = Resolver()
                    for dep in step.desired?.dependencies ?? [] { resolver.attributes[dep] = known[dep] }
                    let inputs = step.desired.map { resolver.resolve($0.inputs) }
                    let triggers: [Value]? = step.desired.flatMap { desired in
                        desired.options.replaceWhen.isEmpty ? nil : desired.options.replaceWhen.map { resolver.resolve($0) }
                    }
                    running += 1
                    observer?.started(op.kind, step.address, deposed: op.deposedCopy)
                    group.addTask {
                        let start = Date()
                        do {
                            let (outcome, outputs) = try await self.run(op, step: step, inputs: inputs, triggers: triggers, plan: plan)
                            return (id, outcome.timed(Date().timeIntervalSince(start)), outputs)
                        } catch let error as StateError {
                            return (id, .stateFailed(error.description), nil)
                        } catch {
                            // The plugin saw the secrets in the clear and may quote them.
                            let redaction = Redaction(inputs ?? [:], step.prior?.inputs ?? [:], step.prior?.outputs ?? [:])
                            return (id, .failed(redaction.redact(Executor.message(error)), seconds: Date().timeIntervalSince(start)), nil)
                        }
                    }
                }
            }
            let cancelOnSecondInterrupt = interrupt
            cancelOnSecondInterrupt.onRaise { level in
                if level == .cancel { Task { await registry.killAll() } }
            }
            startReady()
            while let (id, outcome, outputs) = await group.next() {
                running -= 1
                let op = graph.operations[id]
                let step = plan.steps[op.stepIndex]
                outcomes[id] = outcome
                observer?.finished(op.kind, step.address, outcome, deposed: op.deposedCopy)
                if case .stateFailed(let message) = outcome { stateFailure = ExecutorError.stateWrite(message) }
                if outcome.succeeded {
                    if let outputs { known[step.address] = outputs }
                    for dependent in graph.dependents[id] {
                        remaining[dependent] -= 1
                        if remaining[dependent] == 0 { ready.push(dependent) }
                    }
                } else {
                    // Everything downstream of a failure is skipped; independent branches go on.
                    var queue = graph.dependents[id]
                    while let next = queue.popLast() {
                        guard outcomes[next] == nil else { continue }
                        outcomes[next] = .skipped(because: step.address.description)
                        let skippedOp = graph.operations[next]
                        observer?.finished(skippedOp.kind, plan.steps[skippedOp.stepIndex].address, outcomes[next]!, deposed: skippedOp.deposedCopy)
                        queue += graph.dependents[next]
                    }
                }
                startReady()
            }
        }

        var results: [OperationResult] = []
        for op in graph.operations {
            let step = plan.steps[op.stepIndex]
            let outcome = outcomes[op.id] ?? .notStarted
            results.append(OperationResult(address: step.address, kind: op.kind, deposed: op.deposedCopy, outcome: outcome))
        }
        // Outputs, as far as they are known now.
        var outputsWritten: [String: ManifestOutput] = [:]
        if stateFailure == nil {
            var resolver = Resolver()
            resolver.attributes = known
            for (name, output) in plan.outputs {
                let value = resolver.resolve(output.value)
                if value.isKnown { outputsWritten[name] = ManifestOutput(value: value, secret: output.secret || value.containsSecret) }
            }
            if outputsWritten != recordedOutputs {
                try await backend.write(plan.key, .outputs(outputsWritten))
            }
        }
        return ApplyReport(results: results, outputs: outputsWritten, seconds: Date().timeIntervalSince(started),
                           interrupted: interrupt.current != .none, stateError: stateFailure.map { "\($0)" })
    }

    /// Runs one operation against its provider and records it in the state.
    func run(_ op: Operation, step: PlannedStep, inputs: [String: Value]?, triggers: [Value]?, plan: Plan) async throws -> (OperationOutcome, [String: Value]?) {
        let handle = try await registry.provider(step.provider)
        let timeout = await registry.callTimeout
        let schema = handle.schema.resources[step.type]
        switch op.kind {
        case .create:
            guard let desired = step.desired, let inputs else { throw ExecutorError.internalError("create without inputs") }
            if let unknown = inputs.first(where: { !$0.value.isKnown }) {
                throw ExecutorError.unresolved(step.address, unknown.key)
            }
            if step.action == .replace && step.createBeforeDestroy {
                try await backend.write(plan.key, .depose(step.address))
            }
            let token = randomHex(bytes: 16)
            let plain = handle.client.reveal(inputs)
            try await backend.journal(plan.key, Intent(token: token, address: step.address, provider: step.provider, inputs: inputs))
            let tags = ["strata:stack": plan.key.stack, "strata:instance": plan.key.instance, "strata:address": step.address.description, "strata:token": token]
            let response = try await Retry.run(handle) {
                try await handle.client.call(.create, CreateRequest(type: step.type, inputs: plain, token: token, tags: tags), as: CreateResponse.self, timeout: timeout)
            }
            let outputs = Executor.secretsKept(Planner.markSecrets(response.outputs, schema: schema), inputs: inputs)
            var state = ResourceState(address: step.address, provider: step.provider, id: response.id, inputs: inputs, outputs: outputs, dependencies: desired.dependencies)
            state.triggers = triggers
            try await backend.write(plan.key, .put(state, intentToken: token, action: step.action == .replace ? "replace" : "create"))
            return (.succeeded(detail: "id=\(response.id)", seconds: 0), outputs)

        case .update:
            guard let desired = step.desired, let inputs, let prior = step.prior else { throw ExecutorError.internalError("update without prior") }
            if let unknown = inputs.first(where: { !$0.value.isKnown }) {
                throw ExecutorError.unresolved(step.address, unknown.key)
            }
            let priorInputs = Planner.priorInputs(prior, schema: schema ?? ResourceSchema(attributes: [:]))
            let changed = Set(inputs.keys).union(priorInputs.keys).contains { name in
                guard schema?.attributes[name]?.isInput ?? true, !desired.options.ignoreChanges.contains(name) else { return false }
                if inputs[name] == nil && schema?.attributes[name]?.mode == .optionalComputed { return false }
                return !(inputs[name] ?? .null).sameAs(priorInputs[name])
            }
            guard changed else {
                // What was unknown at plan time turned out unchanged: nothing to do.
                return (.unchanged, prior.outputs)
            }
            let plain = handle.client.reveal(inputs)
            let response = try await Retry.run(handle) {
                try await handle.client.call(.update, UpdateRequest(type: step.type, id: prior.id, priorInputs: handle.client.reveal(prior.inputs), priorOutputs: handle.client.reveal(prior.outputs), inputs: plain), as: UpdateResponse.self, timeout: timeout)
            }
            let outputs = Executor.secretsKept(Planner.markSecrets(response.outputs, schema: schema), inputs: inputs)
            var state = ResourceState(address: step.address, provider: step.provider, id: prior.id, inputs: inputs, outputs: outputs, dependencies: desired.dependencies)
            state.triggers = triggers
            try await backend.write(plan.key, .put(state, intentToken: nil, action: "update"))
            return (.succeeded(detail: "id=\(prior.id)", seconds: 0), outputs)

        case .delete:
            guard let prior = step.prior else { throw ExecutorError.internalError("delete without prior") }
            let deposed = op.deposedCopy
            do {
                try await Retry.run(handle) {
                    _ = try await handle.client.call(.delete, DeleteRequest(type: step.type, id: prior.id, inputs: handle.client.reveal(prior.inputs), outputs: handle.client.reveal(prior.outputs)), as: EmptyResponse.self, timeout: timeout)
                }
            } catch let error as PluginCallError where error.kind == .notFound {
                // Already gone: what we wanted.
            }
            try await backend.write(plan.key, .remove(step.address, deposed: deposed, action: deposed ? "delete deposed" : "delete"))
            return (.succeeded(detail: "id=\(prior.id)", seconds: 0), nil)
        }
    }

    /// Keeps the stack's secret marking on inputs the provider echoes back as plain values,
    /// and marks secret every output that holds the text of a secret input (a provider that
    /// derives `result = "postgres://app:\(password)@db"` from a secret does not say so).
    static func secretsKept(_ outputs: [String: Value], inputs: [String: Value]) -> [String: Value] {
        var out = outputs
        for (name, value) in inputs where value.containsSecret {
            if let echoed = out[name], !echoed.containsSecret { out[name] = .secret(echoed) }
        }
        let secretTexts = Set(inputs.values.flatMap { Executor.secretStrings(in: $0, inSecret: false) })
        guard !secretTexts.isEmpty else { return out }
        for (name, value) in out where !value.containsSecret {
            let texts = Executor.strings(in: value)
            if texts.contains(where: { text in secretTexts.contains { text.contains($0) } }) { out[name] = .secret(value) }
        }
        return out
    }

    /// Secrets shorter than this are not looked for inside other values (every output would
    /// hold a one-letter secret somewhere).
    static let shortestSecretLookedFor = 4

    /// The strings inside the secret parts of a value.
    static func secretStrings(in value: Value, inSecret: Bool) -> [String] {
        switch value {
        case .secret(let inner): return secretStrings(in: inner, inSecret: true)
        case .string(let text): return inSecret && text.count >= shortestSecretLookedFor ? [text] : []
        case .list(let items): return items.flatMap { secretStrings(in: $0, inSecret: inSecret) }
        case .map(let fields): return fields.values.flatMap { secretStrings(in: $0, inSecret: inSecret) }
        case .template(let parts): return parts.flatMap { secretStrings(in: $0, inSecret: inSecret) }
        default:
            if inSecret, case .number = value { return [value.rendered()].filter { $0.count >= shortestSecretLookedFor } }
            return []
        }
    }

    /// Every string inside a value (map keys too).
    static func strings(in value: Value) -> [String] {
        switch value {
        case .string(let text): return [text]
        case .secret(let inner): return strings(in: inner)
        case .list(let items): return items.flatMap(strings(in:))
        case .map(let fields): return Array(fields.keys) + fields.values.flatMap(strings(in:))
        case .template(let parts): return parts.flatMap(strings(in:))
        default: return []
        }
    }

    static func message(_ error: any Error) -> String {
        if let e = error as? any CustomStringConvertible { return e.description }
        return "\(error)"
    }
}

public enum ExecutorError: Error, Sendable, CustomStringConvertible {
    case unresolved(ResourceAddress, String)
    case cycle([String])
    case stateWrite(String)
    case internalError(String)

    public var description: String {
        switch self {
        case .unresolved(let address, let attribute): return "\(address): '\(attribute)' is still unknown at apply time"
        case .cycle(let path): return "the plan's operations form a cycle: \(path.joined(separator: " -> ")); mark the replaced resources createBeforeDestroy"
        case .stateWrite(let message): return "stopped: the state could not be written (\(message)); nothing more was started"
        case .internalError(let message): return "internal error: \(message)"
        }
    }
}

/// What happens to each resource, in the observer's terms.
public enum OperationKind: String, Sendable, Codable {
    case create, update, delete
}

public enum OperationOutcome: Sendable, Codable, Hashable {
    case succeeded(detail: String, seconds: Double)
    case unchanged
    case failed(String, seconds: Double)
    case stateFailed(String)
    case skipped(because: String)
    case notStarted

    var succeeded: Bool {
        switch self {
        case .succeeded, .unchanged: return true
        default: return false
        }
    }

    func timed(_ seconds: Double) -> OperationOutcome {
        switch self {
        case .succeeded(let detail, _): return .succeeded(detail: detail, seconds: seconds)
        default: return self
        }
    }
}

public struct OperationResult: Sendable, Codable {
    public var address: ResourceAddress
    public var kind: OperationKind
    public var deposed: Bool
    public var outcome: OperationOutcome
}

public struct ApplyReport: Sendable, Codable {
    public var results: [OperationResult]
    public var outputs: [String: ManifestOutput]
    public var seconds: Double
    public var interrupted: Bool
    public var stateError: String?
    /// Checks that failed when evaluated with the values after apply.
    public var failedChecks: [CheckResult] = []

    public var failed: [OperationResult] {
        results.filter { if case .failed = $0.outcome { return true }; if case .stateFailed = $0.outcome { return true }; return false }
    }
    public var succeeded: Bool {
        failed.isEmpty && !interrupted && stateError == nil && failedChecks.isEmpty && results.allSatisfy { $0.outcome.succeeded }
    }

    public func count(_ kind: OperationKind) -> Int {
        results.filter { $0.kind == kind && { if case .succeeded = $0.outcome { return true }; return false }($0) }.count
    }
}

/// Told about each operation as it starts and ends (the CLI's progress view).
public protocol ApplyObserver: Sendable {
    func started(_ kind: OperationKind, _ address: ResourceAddress, deposed: Bool)
    func finished(_ kind: OperationKind, _ address: ResourceAddress, _ outcome: OperationOutcome, deposed: Bool)
}

/// One provider call of the apply; a replacement is two (a delete and a create).
struct Operation: Sendable {
    var id: Int
    var kind: OperationKind
    var stepIndex: Int
    /// Deletes a copy other than the current one (the old copy of a create-before-destroy
    /// replacement, or one left deposed by an earlier run).
    var deposedCopy: Bool
    var dependencies: [Int]
    var weight: Double
}

/// The operations of a plan and the order they must keep, with each one's priority:
/// the longest weighted path from it to the end of the run.
struct OperationGraph {
    var operations: [Operation] = []
    var dependents: [[Int]] = []
    var ranks: [Double] = []

    init(plan: Plan) throws {
        var forward: [ResourceAddress: Int] = [:]     // create or update of the current copy
        var destroyOld: [ResourceAddress: Int] = [:]  // delete of the recorded copy
        func add(_ kind: OperationKind, _ stepIndex: Int, deposed: Bool, weight: Double) -> Int {
            operations.append(Operation(id: operations.count, kind: kind, stepIndex: stepIndex, deposedCopy: deposed, dependencies: [], weight: weight))
            return operations.count - 1
        }
        for (i, step) in plan.steps.enumerated() {
            switch step.action {
            case .noop: continue
            case .create: forward[step.address] = add(.create, i, deposed: false, weight: step.estimatedSeconds)
            case .update: forward[step.address] = add(.update, i, deposed: false, weight: step.estimatedSeconds)
            case .delete:
                let delete = add(.delete, i, deposed: step.deposed, weight: step.estimatedSeconds)
                if !step.deposed { destroyOld[step.address] = delete }
            case .replace:
                let create = add(.create, i, deposed: false, weight: step.estimatedSeconds)
                let delete = add(.delete, i, deposed: step.createBeforeDestroy, weight: step.estimatedSeconds)
                forward[step.address] = create
                destroyOld[step.address] = delete
                if step.createBeforeDestroy {
                    operations[delete].dependencies.append(create)
                } else {
                    operations[create].dependencies.append(delete)
                }
            }
        }
        // Deposed copies of an address are deleted apart from its current copy.
        var deposedDeletes: [ResourceAddress: Int] = [:]
        for op in operations where op.kind == .delete && plan.steps[op.stepIndex].deposed {
            deposedDeletes[plan.steps[op.stepIndex].address] = op.id
        }
        for op in operations {
            let step = plan.steps[op.stepIndex]
            if op.kind != .delete {
                for dep in step.desired?.dependencies ?? [] {
                    if let f = forward[dep] { operations[op.id].dependencies.append(f) }
                }
                if let d = deposedDeletes[step.address], step.action == .replace, step.createBeforeDestroy {
                    // A leftover deposed copy goes before this replacement deposes another.
                    operations[op.id].dependencies.append(d)
                }
            }
        }
        // A recorded copy is deleted after everything that depended on it let go of it.
        var recordedDependents: [ResourceAddress: [ResourceAddress]] = [:]
        for step in plan.steps {
            for dep in step.prior?.dependencies ?? [] { recordedDependents[dep, default: []].append(step.address) }
        }
        for op in operations where op.kind == .delete {
            let step = plan.steps[op.stepIndex]
            let letGoOnUpdate = step.action == .delete || step.createBeforeDestroy
            for dependent in recordedDependents[step.address] ?? [] where dependent != step.address {
                if let d = destroyOld[dependent] { operations[op.id].dependencies.append(d) }
                if letGoOnUpdate, let f = forward[dependent] { operations[op.id].dependencies.append(f) }
            }
        }
        dependents = [[Int]](repeating: [], count: operations.count)
        for op in operations {
            operations[op.id].dependencies = Array(Set(op.dependencies)).sorted()
            for dep in operations[op.id].dependencies { dependents[dep].append(op.id) }
        }
        // Ranks by reverse topological order; a cycle is reported.
        var remaining = dependents.map(\.count)
        var order: [Int] = []
        var stack = operations.indices.filter { remaining[$0] == 0 }
        while let i = stack.popLast() {
            order.append(i)
            for d in operations[i].dependencies {
                remaining[d] -= 1
                if remaining[d] == 0 { stack.append(d) }
            }
        }
        guard order.count == operations.count else {
            let stuck = operations.indices.filter { remaining[$0] > 0 }.prefix(6).map { plan.steps[operations[$0].stepIndex].address.description }
            throw ExecutorError.cycle(stuck)
        }
        ranks = [Double](repeating: 0, count: operations.count)
        for i in order {
            let downstream = dependents[i].map { ranks[$0] }.max() ?? 0
            ranks[i] = max(operations[i].weight, 0.001) + downstream
        }
    }
}

/// Ready operations, highest rank first (a binary heap).
struct ReadyQueue {
    let ranks: [Double]
    private var heap: [Int] = []

    init(ranks: [Double]) { self.ranks = ranks }

    private func before(_ a: Int, _ b: Int) -> Bool {
        ranks[a] != ranks[b] ? ranks[a] > ranks[b] : a < b
    }

    mutating func push(_ id: Int) {
        heap.append(id)
        var i = heap.count - 1
        while i > 0 {
            let parent = (i - 1) / 2
            guard before(heap[i], heap[parent]) else { break }
            heap.swapAt(i, parent)
            i = parent
        }
    }

    mutating func pop() -> Int? {
        guard !heap.isEmpty else { return nil }
        let top = heap[0]
        let last = heap.removeLast()
        if !heap.isEmpty {
            heap[0] = last
            var i = 0
            while true {
                let l = 2 * i + 1, r = l + 1
                var best = i
                if l < heap.count, before(heap[l], heap[best]) { best = l }
                if r < heap.count, before(heap[r], heap[best]) { best = r }
                if best == i { break }
                heap.swapAt(i, best)
                i = best
            }
        }
        return top
    }
}
