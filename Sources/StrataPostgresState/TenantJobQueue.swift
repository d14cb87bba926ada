import Foundation
import Logging
import PostgresNIO
import StrataState

/// What a tenant job does.
public enum TenantJobKind: String, Sendable, Codable, CaseIterable {
    /// Plan and apply the tenant (`strata tenants apply --queue`).
    case apply
    /// Destroy the tenant's resources (`tenants destroy --queue`, `tenants apply --prune --queue`).
    case destroy
    /// Sweep the tenant for drift and record the sweep (`tenants drift --queue`).
    case drift
}

/// Where a job is in its life.
public enum TenantJobStatus: String, Sendable, Codable, CaseIterable {
    /// Waiting for a worker.
    case queued
    /// Claimed by a worker whose lease runs until `leaseUntil`.
    case running
    /// Finished: the apply, destroy or sweep ran to its end.
    case done
    /// Finished with an error (the message says which), or given up after `maxAttempts`.
    case failed

    public var isOpen: Bool { self == .queued || self == .running }
}

/// A job to enqueue: one tenant, one operation, with the stack folder and the variables to run
/// it with.
public struct TenantJobSpec: Sendable, Hashable {
    public var kind: TenantJobKind
    /// The stack's name (the state key's stack) and its folder as the enqueuer saw it; a
    /// worker on another machine finds the folder by name under its `--stacks-root`.
    public var stack: String
    public var stackDirectory: String
    public var tenant: String
    /// The state instance, `tenant/<id>`.
    public var instance: String
    public var variables: [String: String]

    public init(kind: TenantJobKind, stack: String, stackDirectory: String, tenant: String, instance: String, variables: [String: String]) {
        self.kind = kind
        self.stack = stack
        self.stackDirectory = stackDirectory
        self.tenant = tenant
        self.instance = instance
        self.variables = variables
    }
}

/// A job as the queue holds it.
public struct TenantJob: Sendable, Codable, Hashable {
    public var id: Int
    public var kind: TenantJobKind
    public var stack: String
    public var stackDirectory: String
    public var tenant: String
    public var instance: String
    public var variables: [String: String]
    public var status: TenantJobStatus
    /// Claims so far (a job claimed again after its worker died counts each claim).
    public var attempts: Int
    public var maxAttempts: Int
    /// The worker that holds (or last held) it.
    public var worker: String?
    public var leaseUntil: Date?
    public var enqueuedAt: Date
    public var startedAt: Date?
    public var finishedAt: Date?
    /// What the last attempt ended with: a summary when done, the error when failed.
    public var message: String?

    public var spec: TenantJobSpec {
        TenantJobSpec(kind: kind, stack: stack, stackDirectory: stackDirectory, tenant: tenant, instance: instance, variables: variables)
    }
}

/// The newest job of a tenant for `strata tenants status`: the running one, else the next
/// queued, else the last finished; and how many are still open.
public struct TenantJobSummary: Sendable, Hashable {
    public var job: TenantJob
    public var open: Int
}

/// The queue of tenant jobs in a PostgreSQL state (tables `jobs` and `job_attempts`, schema
/// version 2), shared by any number of `strata worker`s on any number of machines.
///
/// A worker claims the oldest claimable job with `SELECT … FOR UPDATE SKIP LOCKED`, so workers
/// never wait on each other's claims. A claim carries the worker's id and a lease (server
/// time) that the worker renews; a job whose lease ran out (its worker was killed, or hangs)
/// is claimable again, by any worker, until it has had `maxAttempts` claims. A tenant's jobs
/// run in the order they were enqueued: a job waits while an older one of the same tenant is
/// open. Every claim is a row in `job_attempts` (worker, times, outcome).
public struct TenantJobQueue: Sendable {
    public let backend: PostgresStateBackend
    public static let defaultMaxAttempts = 5

    public init(backend: PostgresStateBackend) {
        self.backend = backend
    }

    private var jobs: String { backend.table("jobs") }
    private var attempts: String { backend.table("job_attempts") }
    private var logger: Logger { backend.logger }

    private static let columns = """
        id, kind, stack, stack_dir, tenant, instance, variables_json, status, attempts, max_attempts, worker, lease_until,
        enqueued_at, started_at, finished_at, message
        """

    /// Adds the jobs, in order, in one transaction; returns their ids.
    @discardableResult
    public func enqueue(_ specs: [TenantJobSpec], maxAttempts: Int = TenantJobQueue.defaultMaxAttempts) async throws -> [Int] {
        let rows = try specs.map { ($0, try PostgresStateBackend.encodeJSON($0.variables)) }
        let jobs = self.jobs, logger = self.logger
        return try await backend.transaction("enqueueing \(specs.count) tenant job(s)") { c in
            var ids: [Int] = []
            for (spec, variables) in rows {
                let id = try await c.query(
                    """
                    INSERT INTO \(unescaped: jobs) (kind, stack, stack_dir, tenant, instance, variables_json, status, max_attempts, enqueued_at)
                    VALUES (\(spec.kind.rawValue), \(spec.stack), \(spec.stackDirectory), \(spec.tenant), \(spec.instance), \(variables),
                            'queued', \(Int32(clamping: max(1, maxAttempts))), clock_timestamp())
                    RETURNING id
                    """, logger: logger
                ).collect().first?.decode(Int.self) ?? 0
                ids.append(id)
            }
            return ids
        }
    }

    /// Claims the oldest claimable job for `worker` with a lease of `lease`, or nil when none
    /// is claimable now. First fails the jobs that ran out of attempts.
    public func claim(worker: String, lease: Duration) async throws -> TenantJob? {
        let jobs = self.jobs, attempts = self.attempts, logger = self.logger
        let seconds = lease.seconds
        return try await backend.transaction("claiming a tenant job") { c in
            // Out of attempts: a lease that ran out once too often, or a job given back at its limit.
            try await c.query(
                """
                UPDATE \(unescaped: attempts) a SET finished_at = clock_timestamp(), outcome = 'lost',
                    message = 'the lease ran out: the worker stopped renewing it (killed or hung)'
                FROM \(unescaped: jobs) j
                WHERE a.job_id = j.id AND a.finished_at IS NULL AND j.status = 'running'
                  AND j.lease_until < clock_timestamp() AND j.attempts >= j.max_attempts
                """, logger: logger)
            try await c.query(
                """
                UPDATE \(unescaped: jobs) SET status = 'failed', finished_at = clock_timestamp(), lease_until = NULL,
                    message = 'gave up after ' || attempts || ' attempt(s): the last worker (' || COALESCE(worker, '?') || ') stopped without finishing it'
                WHERE ((status = 'running' AND lease_until < clock_timestamp()) OR status = 'queued') AND attempts >= max_attempts
                """, logger: logger)
            let rows = try await c.query(
                """
                UPDATE \(unescaped: jobs) SET status = 'running', worker = \(worker), attempts = attempts + 1,
                    lease_until = clock_timestamp() + make_interval(secs => \(seconds)), started_at = clock_timestamp(),
                    finished_at = NULL, message = NULL
                WHERE id = (
                    SELECT j.id FROM \(unescaped: jobs) j
                    WHERE (j.status = 'queued' OR (j.status = 'running' AND j.lease_until < clock_timestamp()))
                      AND j.attempts < j.max_attempts AND (j.not_before IS NULL OR j.not_before <= clock_timestamp())
                      AND NOT EXISTS (SELECT 1 FROM \(unescaped: jobs) e WHERE e.stack = j.stack AND e.tenant = j.tenant
                                      AND e.id < j.id AND e.status IN ('queued', 'running'))
                    ORDER BY j.id LIMIT 1
                    FOR UPDATE SKIP LOCKED)
                RETURNING \(unescaped: Self.columns)
                """, logger: logger
            ).collect()
            guard let row = rows.first else { return nil }
            let job = try Self.decode(row)
            // The attempt before, if its worker died holding it.
            try await c.query(
                """
                UPDATE \(unescaped: attempts) SET finished_at = clock_timestamp(), outcome = 'lost',
                    message = 'the lease ran out: the worker stopped renewing it (killed or hung)'
                WHERE job_id = \(job.id) AND finished_at IS NULL
                """, logger: logger)
            try await c.query(
                """
                INSERT INTO \(unescaped: attempts) (job_id, attempt, worker, started_at)
                VALUES (\(job.id), \(Int32(clamping: job.attempts)), \(worker), clock_timestamp())
                """, logger: logger)
            return job
        }
    }

    /// Extends the lease of every job `worker` holds; returns their ids. A job the worker
    /// thinks it holds but that is missing here was taken by another worker (the lease ran out
    /// first): the worker must stop working on it.
    public func renew(worker: String, lease: Duration) async throws -> Set<Int> {
        let jobs = self.jobs, logger = self.logger
        let seconds = lease.seconds
        return try await backend.run("renewing the leases of \(worker)") { c in
            let rows = try await c.query(
                """
                UPDATE \(unescaped: jobs) SET lease_until = clock_timestamp() + make_interval(secs => \(seconds))
                WHERE worker = \(worker) AND status = 'running' RETURNING id
                """, logger: logger)
            var ids: Set<Int> = []
            for try await id in rows.decode(Int.self) { ids.insert(id) }
            return ids
        }
    }

    /// Records the end of `job`'s attempt by `worker`: done or failed, with a message. False
    /// if the job was no longer this worker's (taken over after its lease ran out).
    @discardableResult
    public func finish(_ job: TenantJob, worker: String, status: TenantJobStatus, message: String?, resultJSON: String? = nil) async throws -> Bool {
        let jobs = self.jobs, attempts = self.attempts, logger = self.logger
        return try await backend.transaction("recording the end of job \(job.id)") { c in
            let updated = try await c.query(
                """
                UPDATE \(unescaped: jobs) SET status = \(status.rawValue), message = \(message), result_json = \(resultJSON),
                    finished_at = clock_timestamp(), lease_until = NULL
                WHERE id = \(job.id) AND worker = \(worker) AND attempts = \(Int32(clamping: job.attempts)) AND status = 'running'
                RETURNING id
                """, logger: logger
            ).collect().count
            try await c.query(
                """
                UPDATE \(unescaped: attempts) SET finished_at = clock_timestamp(), outcome = \(updated > 0 ? status.rawValue : "taken over"), message = \(message)
                WHERE job_id = \(job.id) AND attempt = \(Int32(clamping: job.attempts)) AND finished_at IS NULL
                """, logger: logger)
            return updated > 0
        }
    }

    /// Puts `job` back in the queue (a worker stopping before it finished): another worker
    /// claims it at once. The attempt is recorded as given back.
    public func giveBack(_ job: TenantJob, worker: String, reason: String) async throws {
        let jobs = self.jobs, attempts = self.attempts, logger = self.logger
        try await backend.transaction("giving back job \(job.id)") { c in
            try await c.query(
                """
                UPDATE \(unescaped: jobs) SET status = 'queued', lease_until = NULL, message = \(reason)
                WHERE id = \(job.id) AND worker = \(worker) AND attempts = \(Int32(clamping: job.attempts)) AND status = 'running'
                """, logger: logger)
            try await c.query(
                """
                UPDATE \(unescaped: attempts) SET finished_at = clock_timestamp(), outcome = 'given back', message = \(reason)
                WHERE job_id = \(job.id) AND attempt = \(Int32(clamping: job.attempts)) AND finished_at IS NULL
                """, logger: logger)
        }
    }

    /// Puts `job` back as if it had not been claimed (its tenant was locked by another run, so
    /// nothing was done): no attempt is counted, and no worker claims it for `delay`.
    public func postpone(_ job: TenantJob, worker: String, reason: String, delay: Duration) async throws {
        let jobs = self.jobs, attempts = self.attempts, logger = self.logger
        let seconds = delay.seconds
        try await backend.transaction("postponing job \(job.id)") { c in
            let updated = try await c.query(
                """
                UPDATE \(unescaped: jobs) SET status = 'queued', lease_until = NULL, attempts = attempts - 1, message = \(reason),
                    not_before = clock_timestamp() + make_interval(secs => \(seconds))
                WHERE id = \(job.id) AND worker = \(worker) AND attempts = \(Int32(clamping: job.attempts)) AND status = 'running'
                RETURNING id
                """, logger: logger
            ).collect().count
            guard updated > 0 else { return }
            try await c.query(
                "DELETE FROM \(unescaped: attempts) WHERE job_id = \(job.id) AND attempt = \(Int32(clamping: job.attempts))", logger: logger)
        }
    }

    /// How many jobs are queued or running (by any worker, live or not).
    public func openCount() async throws -> Int {
        let jobs = self.jobs, logger = self.logger
        return try await backend.run("counting open jobs") { c in
            try await c.query("SELECT count(*)::bigint FROM \(unescaped: jobs) WHERE status IN ('queued', 'running')", logger: logger)
                .collect().first?.decode(Int.self) ?? 0
        }
    }

    /// Every job, oldest first, of one stack or of all; `status` narrows it.
    public func list(stack: String? = nil, status: TenantJobStatus? = nil) async throws -> [TenantJob] {
        let jobs = self.jobs, logger = self.logger
        return try await backend.run("listing jobs") { c in
            let rows = try await c.query(
                """
                SELECT \(unescaped: Self.columns) FROM \(unescaped: jobs)
                WHERE (\(stack)::text IS NULL OR stack = \(stack)) AND (\(status?.rawValue)::text IS NULL OR status = \(status?.rawValue))
                ORDER BY id
                """, logger: logger
            ).collect()
            return try rows.map(Self.decode)
        }
    }

    /// Per tenant (of one stack or all): the running job, else the oldest queued, else the
    /// newest finished; and how many of its jobs are open.
    public func summaries(stack: String? = nil) async throws -> [TenantJobSummary] {
        let jobs = self.jobs, logger = self.logger
        return try await backend.run("reading the tenants' jobs") { c in
            let rows = try await c.query(
                """
                SELECT DISTINCT ON (j.stack, j.tenant) \(unescaped: Self.columns.split(separator: ",").map { "j." + $0.trimmingCharacters(in: .whitespacesAndNewlines) }.joined(separator: ", ")),
                    (SELECT count(*) FROM \(unescaped: jobs) o WHERE o.stack = j.stack AND o.tenant = j.tenant AND o.status IN ('queued', 'running'))::bigint AS open
                FROM \(unescaped: jobs) j
                WHERE (\(stack)::text IS NULL OR j.stack = \(stack))
                ORDER BY j.stack, j.tenant, (j.status = 'running') DESC, (j.status = 'queued') DESC,
                    CASE WHEN j.status = 'queued' THEN j.id ELSE -j.id END
                """, logger: logger
            ).collect()
            return try rows.map { row in
                TenantJobSummary(job: try Self.decode(row), open: try row.makeRandomAccess()["open"].decode(Int.self))
            }
        }
    }

    static func decode(_ row: PostgresRow) throws -> TenantJob {
        let r = row.makeRandomAccess()
        let variables = try PostgresStateBackend.decodeJSON([String: String].self, try r["variables_json"].decode(String.self), "variables of a job")
        let kindText = try r["kind"].decode(String.self), statusText = try r["status"].decode(String.self)
        guard let kind = TenantJobKind(rawValue: kindText), let status = TenantJobStatus(rawValue: statusText) else {
            throw StateError.storage("a job in the queue has an unknown kind '\(kindText)' or status '\(statusText)': it was written by a newer strata; upgrade strata")
        }
        return TenantJob(
            id: try r["id"].decode(Int.self), kind: kind, stack: try r["stack"].decode(String.self),
            stackDirectory: try r["stack_dir"].decode(String.self), tenant: try r["tenant"].decode(String.self),
            instance: try r["instance"].decode(String.self), variables: variables, status: status,
            attempts: Int(try r["attempts"].decode(Int32.self)), maxAttempts: Int(try r["max_attempts"].decode(Int32.self)),
            worker: try r["worker"].decode(String?.self), leaseUntil: try r["lease_until"].decode(Date?.self),
            enqueuedAt: try r["enqueued_at"].decode(Date.self), startedAt: try r["started_at"].decode(Date?.self),
            finishedAt: try r["finished_at"].decode(Date?.self), message: try r["message"].decode(String?.self))
    }
}

extension Duration {
    /// Whole and fractional seconds.
    var seconds: Double {
        let (s, attoseconds) = components
        return Double(s) + Double(attoseconds) / 1e18
    }
}

extension PostgresStateBackend {
    /// The tenant job queue kept in this state.
    public var jobQueue: TenantJobQueue { TenantJobQueue(backend: self) }
}
