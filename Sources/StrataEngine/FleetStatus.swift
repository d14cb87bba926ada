import Foundation
import StrataModel
import StrataPostgresState
import StrataState

/// One tenant as the state backend knows it (`strata tenants status`): read from the backend
/// only, never from the cloud.
public struct TenantStatus: Sendable, Codable, Hashable {
    /// The last state write: what it did, to what, when.
    public struct LastChange: Sendable, Codable, Hashable {
        public var serial: Int
        /// ISO 8601, UTC.
        public var time: String
        /// `create`, `update`, `replace`, `delete`, `outputs`, `import`, `drift accept`, …
        public var action: String
        public var address: String?
    }

    /// The last drift sweep kept for the instance (`strata drift`).
    public struct LastDrift: Sendable, Codable, Hashable {
        /// `clean`, `drift` or `error`.
        public var status: String
        public var time: String
        public var changed: Int
        public var deleted: Int
        public var unmanaged: Int
        public var errors: Int
    }

    /// The tenant's job in the queue (PostgreSQL state): the running one, else the next
    /// queued, else the last finished.
    public struct Job: Sendable, Codable, Hashable {
        public var id: Int
        /// `apply`, `destroy` or `drift`.
        public var kind: String
        /// `queued`, `running`, `done` or `failed`.
        public var status: String
        public var attempts: Int
        public var worker: String?
        /// A done job's summary, a failed job's error.
        public var message: String?
        public var enqueuedAt: String
        public var finishedAt: String?
        /// The tenant's jobs still queued or running.
        public var open: Int
    }

    public var tenant: String
    public var stack: String
    public var instance: String
    /// The state serial: grows by one with every write.
    public var serial: Int
    /// Resources recorded now; 0 once destroyed.
    public var resources: Int
    /// `active` (holds resources) or `destroyed` (its state is empty).
    public var state: String
    public var lastChange: LastChange?
    public var drift: LastDrift?
    /// Who holds its lock now, if anyone.
    public var lockedBy: String?
    /// The variables it was last applied with.
    public var variables: [String: String]?
    /// Its job in the queue, if it has had one.
    public var job: Job?
    /// How its last `tenants apply|destroy` (or worker job) ended, even one that failed before
    /// it wrote anything.
    public var lastRun: LastRun?

    /// How the tenant's last apply or destroy ended.
    public struct LastRun: Sendable, Codable, Hashable {
        /// `apply`, `destroy` or `prune`.
        public var operation: String
        /// `succeeded` or `failed`.
        public var result: String
        public var time: String
        /// Why it failed.
        public var message: String?
    }

    enum CodingKeys: String, CodingKey {
        case tenant, stack, instance, serial, resources, state, lastChange, drift, lockedBy, variables, job, lastRun
    }

    /// Every key always present (`null` when unknown), so scripts can rely on the shape.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(tenant, forKey: .tenant)
        try container.encode(stack, forKey: .stack)
        try container.encode(instance, forKey: .instance)
        try container.encode(serial, forKey: .serial)
        try container.encode(resources, forKey: .resources)
        try container.encode(state, forKey: .state)
        try container.encode(lastChange, forKey: .lastChange)
        try container.encode(drift, forKey: .drift)
        try container.encode(lockedBy, forKey: .lockedBy)
        try container.encode(variables, forKey: .variables)
        try container.encode(job, forKey: .job)
        try container.encode(lastRun, forKey: .lastRun)
    }
}

extension Fleet {
    /// Every tenant instance (`tenant/<id>`) in the backend, of `stack` or of every stack,
    /// sorted by stack and tenant.
    public static func status(backend: any StateBackend, stack: String?) async throws -> [TenantStatus] {
        let formatter = ISO8601DateFormatter()
        var rows: [TenantStatus] = []
        let runs = try await backend.lastRuns()
        func lastRun(_ key: InstanceKey) -> TenantStatus.LastRun? {
            runs[key].map {
                TenantStatus.LastRun(operation: $0.operation, result: $0.succeeded ? "succeeded" : "failed", time: formatter.string(from: $0.finishedAt), message: $0.message)
            }
        }
        let written = try await backend.instances()
        for key in written {
            if let stack, key.stack != stack { continue }
            guard let id = TenantID.id(ofInstance: key.instance) else { continue }
            let snapshot = try await backend.load(key)
            // The newest change to a resource; the outputs row every run ends with says less.
            let recent = try await backend.history(key, limit: 20)
            let last = recent.first { $0.action != "outputs" } ?? recent.first
            let sweep = try await backend.sweeps(key, limit: 1).first
            let holder = try await backend.lockHolder(key)
            let origin = try await backend.origin(key)
            let live = snapshot.resources.filter { !$0.deposed }.count
            rows.append(TenantStatus(
                tenant: id, stack: key.stack, instance: key.instance, serial: snapshot.serial,
                resources: live, state: snapshot.resources.isEmpty ? "destroyed" : "active",
                lastChange: last.map { .init(serial: $0.serial, time: formatter.string(from: $0.time), action: $0.action, address: $0.address) },
                drift: sweep.map {
                    .init(status: $0.status, time: formatter.string(from: $0.startedAt), changed: $0.changed, deleted: $0.deleted,
                          unmanaged: $0.unmanaged, errors: $0.errors)
                },
                lockedBy: holder.flatMap { $0.leaseUntil > Date() ? $0.description : nil },
                variables: origin?.variables, job: nil, lastRun: lastRun(key)))
        }
        // Tenants tried but never written: their run failed before the first write.
        for (key, _) in runs where !written.contains(key) {
            if let stack, key.stack != stack { continue }
            guard let id = TenantID.id(ofInstance: key.instance) else { continue }
            rows.append(TenantStatus(tenant: id, stack: key.stack, instance: key.instance, serial: 0, resources: 0, state: "new",
                                     lastChange: nil, drift: nil, lockedBy: nil, variables: nil, job: nil, lastRun: lastRun(key)))
        }
        if let postgres = backend as? PostgresStateBackend {
            // Jobs: on each tenant's row; a tenant queued but not applied yet gets a row of its own.
            var index: [String: Int] = [:]
            for (i, row) in rows.enumerated() { index[row.instance + "\u{0}" + row.stack] = i }
            for summary in try await postgres.jobQueue.summaries(stack: stack) {
                let job = summary.job
                let info = TenantStatus.Job(id: job.id, kind: job.kind.rawValue, status: job.status.rawValue, attempts: job.attempts, worker: job.worker,
                               message: job.message, enqueuedAt: formatter.string(from: job.enqueuedAt),
                               finishedAt: job.finishedAt.map { formatter.string(from: $0) }, open: summary.open)
                if let i = index[job.instance + "\u{0}" + job.stack] {
                    rows[i].job = info
                } else {
                    rows.append(TenantStatus(tenant: job.tenant, stack: job.stack, instance: job.instance, serial: 0, resources: 0,
                                             state: "new", lastChange: nil, drift: nil, lockedBy: nil, variables: nil, job: info, lastRun: nil))
                }
            }
        }
        return rows.sorted { ($0.stack, $0.tenant) < ($1.stack, $1.tenant) }
    }
}
