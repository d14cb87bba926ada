import Foundation
import StrataModel
import StrataPostgresState
import StrataState

/// How a worker runs (`strata worker`).
public struct WorkerSettings: Sendable {
    /// This worker's name in the queue (`user@host:pid-xxxx`): who holds a job.
    public var id: String
    /// Jobs at once.
    public var concurrency = 4
    /// How long a claim lasts unless renewed; renewed every third of it. A killed worker's
    /// jobs are claimed again this long after its last renewal.
    public var lease: Duration = .seconds(30)
    /// How often an idle worker looks for work.
    public var poll: Duration = .seconds(1)
    /// Where to find a stack folder by name when the folder a job names is not here.
    public var stacksRoot: URL?
    /// Exit once no job is queued or running anywhere (for batch runs and tests).
    public var exitWhenDone = false
    /// Applies and destroys: parallelism and refresh.
    public var planOptions = Planner.Options()
    /// A job whose tenant another run has locked goes back to the queue for this long.
    public var lockedDelay: Duration = .seconds(5)

    public init(id: String) {
        self.id = id
    }

    /// `user@host:pid-xxxx`, unique per process.
    public static func defaultID() -> String {
        let user = ProcessInfo.processInfo.environment["USER"] ?? "strata"
        return "\(user)@\(ProcessInfo.processInfo.hostName):\(getpid())-\(UUID().uuidString.prefix(4).lowercased())"
    }
}

/// What one job came to, as the worker logs it.
public struct WorkerJobResult: Sendable {
    public enum Ending: String, Sendable {
        case done, failed
        /// The worker stopped (SIGTERM) before the job finished: it went back to the queue.
        case givenBack = "given back"
        /// Another worker claimed it after this one's lease ran out; nothing was recorded.
        case takenOver = "taken over"
        /// Its tenant was locked by another run: back in the queue for a while, not counted.
        case postponed
    }
    public var job: TenantJob
    public var ending: Ending
    public var message: String
    public var seconds: Double
}

/// Takes tenant jobs (apply, destroy, drift sweep) from the queue in a PostgreSQL state and
/// runs them, `concurrency` at once, each as `strata tenants` would run that one tenant: under
/// the tenant's instance lock, after recovering what an interrupted run left (intent journal,
/// adoption), so that a job retried after its worker was killed converges instead of making
/// anything twice.
///
/// The worker renews the leases of the jobs it holds every third of the lease; a job it lost
/// (another worker took it after the lease ran out) is interrupted and not recorded. `stop()`
/// (SIGTERM): no new job is claimed; running applies finish the steps in flight and stop; a
/// job that did not finish goes back to the queue, where another worker continues it.
public final class TenantWorker: Sendable {
    public let engine: Engine
    public let queue: TenantJobQueue
    public let settings: WorkerSettings
    let stopping = Interrupt()
    let held = HeldJobs()
    let fleets: FleetCache

    public init(engine: Engine, settings: WorkerSettings) throws {
        guard let postgres = engine.backend as? PostgresStateBackend else {
            throw WorkerError.needsPostgres
        }
        self.engine = engine
        self.queue = postgres.jobQueue
        self.settings = settings
        self.fleets = FleetCache(engine: engine)
    }

    /// Stops claiming; running jobs stop after their steps in flight and go back to the queue.
    public func stop() {
        stopping.raise()
        Task { await held.interruptAll() }
    }

    /// Claims and runs jobs until `stop()`, or (with `exitWhenDone`) until no job is open.
    /// `log` gets one line per job start and end. Returns every job's result.
    public func run(log: @escaping @Sendable (String) -> Void) async -> [WorkerJobResult] {
        enum Event: Sendable { case finished(WorkerJobResult), tick }
        let renewer = Task { await self.renewLeases(log: log) }
        var results: [WorkerJobResult] = []
        await withTaskGroup(of: Event.self) { group in
            var running = 0
            var ticking = false
            var failures = 0
            while stopping.current == .none {
                // Fill up to the concurrency.
                while running < settings.concurrency, stopping.current == .none {
                    let job: TenantJob?
                    do {
                        job = try await queue.claim(worker: settings.id, lease: settings.lease)
                        failures = 0
                    } catch {
                        failures += 1
                        if failures == 1 || failures % 30 == 0 { log("cannot claim a job: \(Executor.message(error))") }
                        break
                    }
                    guard let job else { break }
                    running += 1
                    group.addTask { .finished(await self.execute(job, log: log)) }
                }
                if stopping.current != .none { break }
                if running == 0, settings.exitWhenDone, failures == 0, (try? await queue.openCount()) == 0 { break }
                if !ticking {
                    ticking = true
                    let poll = settings.poll
                    group.addTask {
                        try? await Task.sleep(for: poll)
                        return .tick
                    }
                }
                switch await group.next() {
                case .finished(let result)?:
                    running -= 1
                    results.append(result)
                case .tick?: ticking = false
                case nil: break
                }
            }
            // Stopping: the running jobs end (finished, or given back).
            for await event in group {
                if case .finished(let result) = event { results.append(result) }
            }
        }
        renewer.cancel()
        return results
    }

    /// Renews the leases of the held jobs every third of the lease; interrupts the ones lost.
    func renewLeases(log: @escaping @Sendable (String) -> Void) async {
        let every = settings.lease / 3
        while !Task.isCancelled {
            try? await Task.sleep(for: every)
            if Task.isCancelled { return }
            guard await !held.isEmpty else { continue }
            do {
                let kept = try await queue.renew(worker: settings.id, lease: settings.lease)
                for job in await held.lost(keeping: kept) {
                    log("job \(job.id) (\(job.kind.rawValue) \(job.tenant)): another worker took it over (this worker's lease ran out); stopping it")
                }
            } catch {
                log("cannot renew the job leases: \(Executor.message(error)) (will try again)")
            }
        }
    }

    /// Runs one claimed job and records how it ended.
    func execute(_ job: TenantJob, log: @escaping @Sendable (String) -> Void) async -> WorkerJobResult {
        let started = Date()
        let interrupt = Interrupt()
        await held.add(job, interrupt: interrupt)
        if stopping.current != .none { interrupt.raise() }
        log("job \(job.id): \(job.kind.rawValue) \(job.tenant) (attempt \(job.attempts) of \(job.maxAttempts))…")
        let work = await perform(job, interrupt: interrupt)
        let lost = await held.remove(job.id)
        let status: TenantJobStatus
        var message: String
        switch work {
        case .finished(let ended, let text): (status, message) = (ended, text)
        case .locked(let text): (status, message) = (.failed, text)
        }
        var ending: WorkerJobResult.Ending = status == .done ? .done : .failed
        do {
            if case .locked = work, !lost {
                ending = .postponed
                message += "; retried in \(settings.lockedDelay)"
                try await queue.postpone(job, worker: settings.id, reason: "waiting: " + message, delay: settings.lockedDelay)
            } else if lost {
                ending = .takenOver
                message = "another worker took it over; not recorded"
            } else if status != .done, interrupt.current != .none, stopping.current != .none {
                ending = .givenBack
                message = "given back: worker \(settings.id) stopped before it finished (\(message))"
                try await queue.giveBack(job, worker: settings.id, reason: message)
            } else if try await !queue.finish(job, worker: settings.id, status: status, message: message) {
                ending = .takenOver
                message = "another worker took it over before it finished; not recorded"
            }
        } catch {
            // The lease runs out and another worker runs it again.
            ending = .failed
            message = "could not record the job's end (\(Executor.message(error))); it runs again when its lease runs out"
        }
        let seconds = Date().timeIntervalSince(started)
        let mark = ending == .done ? "✓" : ending == .failed ? "✗" : "-"
        log("\(mark) job \(job.id): \(job.kind.rawValue) \(job.tenant): \(ending.rawValue): \(message) in \(String(format: "%.1f", seconds))s")
        return WorkerJobResult(job: job, ending: ending, message: message, seconds: seconds)
    }

    /// What a job's work came to.
    enum Work: Sendable {
        /// Done with a summary, or failed with the error.
        case finished(TenantJobStatus, String)
        /// Not started, or stopped before it did anything: another run holds the tenant's lock, or
        /// the state could not be reached (which, in the text). Postponed, not failed.
        case locked(String)
    }

    /// Does the job's work.
    func perform(_ job: TenantJob, interrupt: Interrupt) async -> Work {
        if let problem = TenantID.problem(job.tenant) {
            return .finished(.failed, "tenant id '\(job.tenant)' is not valid: \(problem)")
        }
        guard job.instance == TenantID.instance(for: job.tenant) else {
            return .finished(.failed, "job instance '\(job.instance)' is not tenant/\(job.tenant)")
        }
        guard let directory = stackFolder(job) else {
            return .finished(.failed, "no stack folder for stack '\(job.stack)': it was enqueued from \(job.stackDirectory), which is not here; "
                + "start the worker with --stacks-root DIR, DIR holding a folder named like the stack")
        }
        let fleet: Fleet
        do {
            fleet = try await fleets.fleet(directory)
        } catch {
            return .finished(.failed, "the stack \(directory.path) did not compile: \(Executor.message(error))")
        }
        guard fleet.stackName == job.stack else {
            return .finished(.failed, "the folder \(directory.path) holds stack '\(fleet.stackName)', not '\(job.stack)'")
        }
        // Another run holds the tenant (a `strata apply` by hand, a worker that hangs but still
        // renews its instance lock): wait for it rather than fail.
        let key = InstanceKey(stack: job.stack, instance: job.instance)
        if job.kind != .drift, let holder = try? await engine.backend.lockHolder(key), holder.leaseUntil > Date() {
            return .locked("\(key) is locked by \(holder)")
        }
        switch job.kind {
        case .apply, .destroy:
            let operation: Fleet.Job.Operation = job.kind == .apply ? .apply : .destroy
            var variables = job.variables
            variables["tenant"] = job.tenant
            let outcome = await fleet.runTenant(Fleet.Job(id: job.tenant, variables: variables, operation: operation),
                                                options: settings.planOptions, interrupt: interrupt, observer: nil)
            if outcome.status == .succeeded {
                let counts = "\(outcome.created) created, \(outcome.updated) updated, \(outcome.replaced) replaced, \(outcome.destroyed) destroyed"
                return .finished(.done, counts + (outcome.serial.map { " (serial \($0))" } ?? ""))
            }
            // The state could not be reached (a connect timeout on a busy server): nothing was
            // done; wait and try again, as for a locked tenant.
            if outcome.stateUnavailable == true { return .locked(outcome.error ?? "the state could not be reached") }
            return .finished(.failed, outcome.error ?? "failed")
        case .drift:
            var variables = job.variables
            variables["tenant"] = job.tenant
            let tenantEngine = fleet.engine(forTenant: job.tenant, variables: variables)
            let report = await tenantEngine.driftSweep(directory: directory, options: DriftOptions())
            await tenantEngine.registry.shutdownAll()
            do {
                try await engine.backend.recordSweep(report.key, try report.record())
            } catch {
                return .finished(.failed, "the sweep ran but was not recorded: \(Executor.message(error))")
            }
            let s = report.summary
            switch report.status {
            case .clean: return .finished(.done, "clean (\(s.checked) checked)")
            case .drift: return .finished(.done, "drift: \(s.changed) changed, \(s.deleted) deleted, \(s.unmanaged) unmanaged (\(s.checked) checked)")
            case .error: return .finished(.failed, report.errors.map(\.message).joined(separator: "; "))
            }
        }
    }

    /// The job's stack folder: as enqueued if it is here, else under `stacksRoot` by name.
    func stackFolder(_ job: TenantJob) -> URL? {
        let fm = FileManager.default
        let recorded = URL(fileURLWithPath: job.stackDirectory).standardizedFileURL
        if fm.fileExists(atPath: recorded.appendingPathComponent("main.swift").path) { return recorded }
        guard let root = settings.stacksRoot else { return nil }
        let names = (try? fm.contentsOfDirectory(atPath: root.path)) ?? []
        for name in names.sorted() where Engine.stackName(of: root.appendingPathComponent(name)) == job.stack {
            let folder = root.appendingPathComponent(name)
            if fm.fileExists(atPath: folder.appendingPathComponent("main.swift").path) { return folder.standardizedFileURL }
        }
        return nil
    }
}

/// The jobs a worker holds now, with the interrupt that stops each.
actor HeldJobs {
    private var jobs: [Int: (job: TenantJob, interrupt: Interrupt)] = [:]
    private var lostIDs: Set<Int> = []

    var isEmpty: Bool { jobs.isEmpty }

    func add(_ job: TenantJob, interrupt: Interrupt) {
        jobs[job.id] = (job, interrupt)
    }

    /// Forgets the job; true if it was lost to another worker meanwhile.
    func remove(_ id: Int) -> Bool {
        jobs[id] = nil
        return lostIDs.remove(id) != nil
    }

    /// The held jobs whose lease was not renewed: each is cancelled (both interrupt levels).
    func lost(keeping kept: Set<Int>) -> [TenantJob] {
        var lost: [TenantJob] = []
        for (id, held) in jobs where !kept.contains(id) && !lostIDs.contains(id) {
            lostIDs.insert(id)
            while held.interrupt.current != .cancel { held.interrupt.raise() }
            lost.append(held.job)
        }
        return lost
    }

    /// Stopping: every held job stops starting steps (the ones in flight finish).
    func interruptAll() {
        for (_, held) in jobs where held.interrupt.current == .none { held.interrupt.raise() }
    }
}

/// Stacks compiled once per worker, by folder.
actor FleetCache {
    let engine: Engine
    private var fleets: [String: Task<Fleet, any Error>] = [:]

    init(engine: Engine) {
        self.engine = engine
    }

    func fleet(_ directory: URL) async throws -> Fleet {
        if let task = fleets[directory.path] { return try await task.value }
        let engine = self.engine
        let task = Task { try await OwnThread.run { try Fleet(engine: engine, directory: directory) } }
        fleets[directory.path] = task
        do {
            return try await task.value
        } catch {
            // A stack that failed to compile is tried again by the next job (it may be fixed).
            fleets[directory.path] = nil
            throw error
        }
    }
}

public enum WorkerError: Error, Sendable, CustomStringConvertible {
    case needsPostgres

    public var description: String {
        switch self {
        case .needsPostgres:
            return "the job queue lives in a PostgreSQL state: pass --state postgres://… (docs/state-backends.md); a SQLite state has no queue"
        }
    }
}
