import Foundation
import StrataModel
import StrataPostgresState
import StrataState

/// A job just put in the queue, as `--queue` reports it.
public struct EnqueuedJob: Sendable, Codable, Hashable {
    public var id: Int
    public var tenant: String
    /// `apply`, `destroy` or `drift`.
    public var kind: String
}

/// `strata tenants … --queue`: instead of running, puts one job per tenant in the queue of
/// the PostgreSQL state, for `strata worker`s to run. Nothing is compiled or asked of a
/// provider here; the stack folder and each tenant's variables go with its job.
public struct FleetQueue: Sendable {
    public let queue: TenantJobQueue
    public let directory: URL
    public let stackName: String
    public var maxAttempts = TenantJobQueue.defaultMaxAttempts

    public init(engine: Engine, directory: URL) throws {
        guard let postgres = engine.backend as? PostgresStateBackend else { throw WorkerError.needsPostgres }
        self.queue = postgres.jobQueue
        self.directory = directory.standardizedFileURL
        self.stackName = Engine.stackName(of: directory)
    }

    var backend: any StateBackend { queue.backend }

    /// An apply job for every tenant in the file; with `prune`, a destroy job for every tenant
    /// in the state but not in the file (others are returned as kept).
    public func enqueueApply(_ file: TenantsFile, prune: Bool) async throws -> (jobs: [EnqueuedJob], kept: [RemovedTenant]) {
        var specs = file.tenants.map { spec(.apply, tenant: $0.id, variables: $0.variables) }
        let removed = try await Fleet.removedTenants(file, backend: backend, stack: stackName)
        if prune { specs += removed.map { spec(.destroy, tenant: $0.id, variables: $0.variables) } }
        return (try await enqueue(specs), prune ? [] : removed)
    }

    /// A destroy job for one tenant; its variables from the file when it lists the tenant,
    /// else as last applied.
    public func enqueueDestroy(_ id: String, file: TenantsFile?) async throws -> EnqueuedJob {
        if let problem = TenantID.problem(id) { throw FleetError.badTenantID(id, problem) }
        let variables: [String: String]
        if let listed = file?.tenants.first(where: { $0.id == id }) {
            variables = listed.variables
        } else {
            let key = InstanceKey(stack: stackName, instance: TenantID.instance(for: id))
            guard try await backend.instances().contains(key) else { throw FleetError.unknownTenant(id, stack: stackName) }
            variables = try await Fleet.recordedVariables(key, id: id, backend: backend)
        }
        return try await enqueue([spec(.destroy, tenant: id, variables: variables)])[0]
    }

    /// A drift sweep job for every tenant of the stack that holds resources in the state
    /// (with the variables it was last applied with), or only those `only` names.
    public func enqueueDrift(only: Set<String>? = nil) async throws -> [EnqueuedJob] {
        var specs: [TenantJobSpec] = []
        for key in try await backend.instances() where key.stack == stackName {
            guard let id = TenantID.id(ofInstance: key.instance), only?.contains(id) ?? true else { continue }
            guard try await !backend.load(key).resources.isEmpty else { continue }
            specs.append(spec(.drift, tenant: id, variables: try await Fleet.recordedVariables(key, id: id, backend: backend)))
        }
        return try await enqueue(specs)
    }

    func spec(_ kind: TenantJobKind, tenant: String, variables: [String: String]) -> TenantJobSpec {
        TenantJobSpec(kind: kind, stack: stackName, stackDirectory: directory.path, tenant: tenant,
                      instance: TenantID.instance(for: tenant), variables: variables)
    }

    func enqueue(_ specs: [TenantJobSpec]) async throws -> [EnqueuedJob] {
        guard !specs.isEmpty else { return [] }
        let ids = try await queue.enqueue(specs, maxAttempts: maxAttempts)
        return zip(ids, specs).map { EnqueuedJob(id: $0, tenant: $1.tenant, kind: $1.kind.rawValue) }
    }
}
