import Foundation
import StrataModel
import StrataPluginKit
import StrataState

/// What happened to one tenant in a fleet run (`strata tenants plan|apply|destroy`).
public struct TenantOutcome: Sendable, Codable, Hashable {
    public enum Status: String, Sendable, Codable {
        /// Planned (with or without changes; see `changeCount`).
        case planned
        /// Applied or destroyed, every step succeeded.
        case succeeded
        case failed
        /// In the state, not in the file, and no `--prune`: left alone.
        case kept
        /// Never started: the run was interrupted first.
        case notStarted = "not-started"
    }

    public var id: String
    public var instance: String
    /// `plan`, `apply`, `destroy` (asked for), `prune` (not in the file, `--prune`), `keep`
    /// (not in the file), or `plan prune` / `plan destroy` (their plans).
    public var operation: String
    public var status: Status
    /// Done by an apply or destroy; planned by a plan.
    public var created = 0
    public var updated = 0
    public var replaced = 0
    public var destroyed = 0
    /// Why it failed (every failed step, one a line).
    public var error: String?
    public var seconds: Double = 0
    /// The state serial afterwards, when it was read.
    public var serial: Int?
    /// It failed because the state backend could not be reached (nothing was done): worth
    /// trying again later.
    public var stateUnavailable: Bool?

    public init(id: String, instance: String, operation: String, status: Status) {
        self.id = id
        self.instance = instance
        self.operation = operation
        self.status = status
    }

    public var changeCount: Int { created + updated + replaced + destroyed }
}

/// Told about each tenant as it starts and finishes. For a run of one tenant, it may also
/// take the tenant's plan and follow its apply step by step.
public protocol FleetObserver: Sendable {
    func tenantStarted(_ id: String, operation: String)
    func tenantFinished(_ outcome: TenantOutcome)
    /// The tenant's plan, just made (apply: under its lock, before anything runs).
    func tenantPlanned(_ id: String, _ plan: Plan)
    /// An observer for the tenant's steps, or nil for none.
    func applyObserver(for id: String, _ plan: Plan) -> (any ApplyObserver)?
}

extension FleetObserver {
    public func tenantPlanned(_ id: String, _ plan: Plan) {}
    public func applyObserver(for id: String, _ plan: Plan) -> (any ApplyObserver)? { nil }
}

/// A tenant in the state (an instance `tenant/<id>` of this stack with resources) that the
/// tenants file no longer lists.
public struct RemovedTenant: Sendable, Hashable {
    public var id: String
    /// The variables it was last applied with (from the backend's record), so it can be
    /// planned and destroyed; just `tenant` when none was recorded.
    public var variables: [String: String]
    public var resources: Int
}

/// Many instances of one stack, one per tenant, run at once: each tenant is the instance
/// `tenant/<id>` with the variable `tenant` = its id plus its vars, and has its own state,
/// lock and plugin processes (so one tenant's provider settings never reach another's
/// calls). The stack is compiled once. One tenant's failure never stops the others.
public struct Fleet: Sendable {
    /// The engine the command opened: its backend, key and settings are shared by every tenant.
    public let engine: Engine
    public let directory: URL
    public let compiled: StackLoader.CompiledStack

    public var stackName: String { compiled.stackName }

    /// Compiles the stack (or takes it from the cache) once for the whole fleet.
    public init(engine: Engine, directory: URL) throws {
        self.engine = engine
        self.directory = directory.standardizedFileURL
        self.compiled = try StackLoader.standard().compile(self.directory, stackName: Engine.stackName(of: directory))
        // Before any tenant starts a plugin (recovery runs before the stack is loaded).
        try engine.requireProviderLock(ofStack: self.directory)
    }

    // MARK: Runs

    /// Plans every tenant in the file; tenants removed from it are planned for destroy with
    /// `prune`, else reported as kept.
    public func plan(_ file: TenantsFile, prune: Bool, concurrency: Int, options: Planner.Options,
                     observer: (any FleetObserver)?) async throws -> [TenantOutcome] {
        var jobs = file.tenants.map { Job(id: $0.id, variables: $0.variables, operation: .plan) }
        jobs += try await removedTenants(file).map { Job(id: $0.id, variables: $0.variables, operation: prune ? .planPrune : .keep) }
        return await run(jobs, concurrency: concurrency, options: options, interrupt: Interrupt(), observer: observer)
    }

    /// Applies every tenant in the file; tenants removed from it are destroyed with `prune`,
    /// else reported as kept.
    public func apply(_ file: TenantsFile, prune: Bool, concurrency: Int, options: Planner.Options,
                      interrupt: Interrupt, observer: (any FleetObserver)?) async throws -> [TenantOutcome] {
        var jobs = file.tenants.map { Job(id: $0.id, variables: $0.variables, operation: .apply) }
        jobs += try await removedTenants(file).map { Job(id: $0.id, variables: $0.variables, operation: prune ? .prune : .keep) }
        return await run(jobs, concurrency: concurrency, options: options, interrupt: interrupt, observer: observer)
    }

    /// Destroys one tenant (or, with `planOnly`, plans its destroy). Its variables: from the
    /// file when given, else as last applied.
    public func destroy(_ id: String, file: TenantsFile?, planOnly: Bool = false, options: Planner.Options, interrupt: Interrupt,
                        observer: (any FleetObserver)?) async throws -> TenantOutcome {
        if let problem = TenantID.problem(id) { throw FleetError.badTenantID(id, problem) }
        let variables: [String: String]
        if let spec = file?.tenants.first(where: { $0.id == id }) {
            variables = spec.variables
        } else {
            let key = InstanceKey(stack: stackName, instance: TenantID.instance(for: id))
            let snapshot = try await engine.backend.load(key)
            guard snapshot.serial > 0 else { throw FleetError.unknownTenant(id, stack: stackName) }
            variables = try await recordedVariables(key, id: id)
        }
        let jobs = [Job(id: id, variables: variables, operation: planOnly ? .planDestroy : .destroy)]
        return await run(jobs, concurrency: 1, options: options, interrupt: interrupt, observer: observer)[0]
    }

    /// Tenants of this stack that hold resources in the state but are not in `file`.
    public func removedTenants(_ file: TenantsFile) async throws -> [RemovedTenant] {
        try await Self.removedTenants(file, backend: engine.backend, stack: stackName)
    }

    /// Tenants of `stack` that hold resources in the state but are not in `file` (no compile needed).
    public static func removedTenants(_ file: TenantsFile, backend: any StateBackend, stack stackName: String) async throws -> [RemovedTenant] {
        let listed = Set(file.tenants.map(\.id))
        var removed: [RemovedTenant] = []
        for key in try await backend.instances() where key.stack == stackName {
            guard let id = TenantID.id(ofInstance: key.instance), !listed.contains(id) else { continue }
            let snapshot = try await backend.load(key)
            // Destroyed before: nothing left to keep or prune.
            guard !snapshot.resources.isEmpty else { continue }
            removed.append(RemovedTenant(id: id, variables: try await recordedVariables(key, id: id, backend: backend), resources: snapshot.resources.count))
        }
        return removed.sorted { $0.id < $1.id }
    }

    func recordedVariables(_ key: InstanceKey, id: String) async throws -> [String: String] {
        try await Self.recordedVariables(key, id: id, backend: engine.backend)
    }

    /// The variables the tenant was last applied with (recorded by the backend), and its id.
    static func recordedVariables(_ key: InstanceKey, id: String, backend: any StateBackend) async throws -> [String: String] {
        var variables = try await backend.origin(key)?.variables ?? [:]
        variables["tenant"] = id
        return variables
    }

    // MARK: The work queue

    /// One tenant's work in a run: what to do, with which variables.
    struct Job: Sendable {
        enum Operation: String, Sendable {
            case plan, planPrune = "plan prune", planDestroy = "plan destroy", apply, prune, destroy, keep
            var destroys: Bool { self == .prune || self == .destroy || self == .planPrune || self == .planDestroy }
            var applies: Bool { self == .apply || self == .prune || self == .destroy }
        }
        var id: String
        var variables: [String: String]
        var operation: Operation
    }

    /// Runs the jobs, at most `concurrency` at once, in the order given; each job's outcome
    /// in that order. After a first Ctrl-C no new tenant starts.
    func run(_ jobs: [Job], concurrency: Int, options: Planner.Options, interrupt: Interrupt,
             observer: (any FleetObserver)?) async -> [TenantOutcome] {
        var outcomes = [TenantOutcome?](repeating: nil, count: jobs.count)
        await withTaskGroup(of: (Int, TenantOutcome).self) { group in
            var next = 0
            func startNext() -> Bool {
                while next < jobs.count {
                    let index = next
                    next += 1
                    let job = jobs[index]
                    if job.operation == .keep {
                        outcomes[index] = TenantOutcome(id: job.id, instance: TenantID.instance(for: job.id), operation: "keep", status: .kept)
                        observer?.tenantFinished(outcomes[index]!)
                        continue
                    }
                    if interrupt.current != .none {
                        outcomes[index] = TenantOutcome(id: job.id, instance: TenantID.instance(for: job.id), operation: job.operation.rawValue, status: .notStarted)
                        continue
                    }
                    group.addTask { (index, await self.runTenant(job, options: options, interrupt: interrupt, observer: observer)) }
                    return true
                }
                return false
            }
            var running = 0
            while running < max(1, concurrency), startNext() { running += 1 }
            for await (index, outcome) in group {
                outcomes[index] = outcome
                _ = startNext()
            }
        }
        return outcomes.enumerated().map { index, outcome in
            outcome ?? TenantOutcome(id: jobs[index].id, instance: TenantID.instance(for: jobs[index].id), operation: jobs[index].operation.rawValue, status: .notStarted)
        }
    }

    /// An engine for one tenant: its own instance, variables and plugin processes; the
    /// shared backend and the stack compiled once.
    func engine(forTenant id: String, variables: [String: String]) -> Engine {
        var configuration = engine.configuration
        configuration.instance = TenantID.instance(for: id)
        configuration.variables = variables
        let registry = ProviderRegistry(searchPath: engine.registry.searchPath, workingDirectory: configuration.workingDirectory,
                                        callTimeout: configuration.pluginTimeout, pins: engine.registry.pins)
        var tenantEngine = Engine(configuration: configuration, backend: engine.backend, registry: registry, cipher: engine.cipher)
        tenantEngine.compiledStack = compiled
        return tenantEngine
    }

    func runTenant(_ job: Job, options: Planner.Options, interrupt: Interrupt, observer: (any FleetObserver)?) async -> TenantOutcome {
        let started = Date()
        let tenantEngine = engine(forTenant: job.id, variables: job.variables)
        let key = tenantEngine.key(for: directory)
        observer?.tenantStarted(job.id, operation: job.operation.rawValue)
        var outcome = TenantOutcome(id: job.id, instance: key.instance, operation: job.operation.rawValue, status: .failed)
        var options = options
        options.destroy = job.operation.destroys
        do {
            if job.operation.applies {
                try await applyTenant(job, engine: tenantEngine, key: key, options: options, interrupt: interrupt, observer: observer, into: &outcome)
            } else {
                let manifest = try await loadManifest(tenantEngine, key: key)
                let plan = try await tenantEngine.plan(manifest, directory: directory, options: options)
                observer?.tenantPlanned(job.id, plan)
                outcome.status = .planned
                outcome.created = plan.count(.create)
                outcome.updated = plan.count(.update)
                outcome.replaced = plan.count(.replace)
                outcome.destroyed = plan.count(.delete)
                outcome.serial = plan.stateSerial
            }
        } catch {
            outcome.status = .failed
            outcome.error = Executor.message(error)
            if case StateError.unavailable? = error as? StateError { outcome.stateUnavailable = true }
        }
        await tenantEngine.registry.shutdownAll()
        if job.operation.applies {
            // Kept apart from the state, so a tenant whose run failed before it wrote anything
            // still shows in `strata tenants status`.
            let record = RunRecord(operation: job.operation.rawValue, succeeded: outcome.status == .succeeded, message: outcome.error)
            try? await tenantEngine.backend.recordRun(key, record)
        }
        outcome.seconds = Date().timeIntervalSince(started)
        observer?.tenantFinished(outcome)
        return outcome
    }

    func applyTenant(_ job: Job, engine tenantEngine: Engine, key: InstanceKey, options: Planner.Options, interrupt: Interrupt,
                     observer: (any FleetObserver)?, into outcome: inout TenantOutcome) async throws {
        let directory = self.directory
        let (plan, applied) = try await tenantEngine.withLock(key, operation: "tenants \(job.operation.rawValue)") { () -> (Plan, ApplyReport) in
            let manifest = try await self.loadManifest(tenantEngine, key: key)
            _ = try await tenantEngine.recover(key, configuring: manifest.providers)
            let plan = try await tenantEngine.plan(manifest, directory: directory, options: options)
            observer?.tenantPlanned(job.id, plan)
            let report = try await tenantEngine.apply(plan, interrupt: interrupt, observer: observer?.applyObserver(for: job.id, plan))
            return (plan, report)
        }
        var report = applied
        if plan.hasChecks && !plan.destroy && report.failed.isEmpty && report.stateError == nil {
            let snapshot = try await tenantEngine.backend.load(key)
            report.failedChecks = try await OwnThread.run { [directory] in
                try tenantEngine.load(directory, knownValues: Engine.knownValues(snapshot)).manifest.checks.filter { $0.status == .failed }
            }
        }
        // A replacement is a delete and a create of the same address: count it once, as replaced.
        let replaced = Set(plan.steps.filter { $0.action == .replace }.map(\.address))
        let done = report.results.filter { if case .succeeded = $0.outcome { return true }; return false }
        outcome.replaced = replaced.filter { address in done.contains { $0.address == address && $0.kind == .create } }.count
        outcome.created = done.filter { $0.kind == .create && !replaced.contains($0.address) }.count
        outcome.updated = done.filter { $0.kind == .update }.count
        outcome.destroyed = done.filter { $0.kind == .delete && !replaced.contains($0.address) }.count
        outcome.serial = try? await tenantEngine.backend.load(key).serial
        if report.succeeded {
            outcome.status = .succeeded
            return
        }
        var problems: [String] = []
        for failure in report.failed {
            switch failure.outcome {
            case .failed(let message, _), .stateFailed(let message): problems.append("\(failure.address) (\(failure.kind.rawValue)): \(message)")
            default: break
            }
        }
        if let stateError = report.stateError { problems.append(stateError) }
        for check in report.failedChecks { problems.append("\(check.address): \(check.kind.rawValue) failed after apply: \(check.message)") }
        if report.interrupted { problems.append("interrupted") }
        if problems.isEmpty { problems.append("some steps did not run (skipped or not started)") }
        outcome.status = .failed
        outcome.error = problems.joined(separator: "\n")
    }
}

extension Fleet {
    /// The tenant's manifest, as `Engine.loadWithChecks` makes it: the stack program runs
    /// once more with the state's values when checks need them. The program runs on a thread
    /// of its own: waiting for a child process must not hold one of the few threads every
    /// other tenant's tasks run on.
    func loadManifest(_ tenantEngine: Engine, key: InstanceKey) async throws -> Manifest {
        let directory = self.directory
        let first = try await OwnThread.run { try tenantEngine.load(directory) }
        guard first.manifest.checks.contains(where: { $0.status == .deferred && $0.kind == .precondition }) else { return first.manifest }
        let snapshot = try await tenantEngine.backend.load(key)
        guard !snapshot.resources.isEmpty else { return first.manifest }
        return try await OwnThread.run { try tenantEngine.load(directory, knownValues: Engine.knownValues(snapshot)) }.manifest
    }
}

/// Runs blocking work (a child process to wait for) on a new thread, off Swift's cooperative
/// pool, whose few threads (one per core) every task of the run shares.
enum OwnThread {
    static func run<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { continuation in
            let thread = Thread { continuation.resume(with: Result { try body() }) }
            thread.start()
        }
    }
}

public enum FleetError: Error, Sendable, CustomStringConvertible {
    case badTenantID(String, String)
    case unknownTenant(String, stack: String)

    public var description: String {
        switch self {
        case .badTenantID(let id, let problem): return "tenant id '\(id)' is not valid: \(problem)"
        case .unknownTenant(let id, let stack):
            return "no tenant '\(id)' of stack \(stack) in the state (`strata tenants status` lists them)"
        }
    }
}
