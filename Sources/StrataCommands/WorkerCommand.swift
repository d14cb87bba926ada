import ArgumentParser
import Foundation
import StrataEngine
import StrataPostgresState

extension StrataCommand {
    /// `strata worker`: runs tenant jobs from the queue in a PostgreSQL state.
    struct Worker: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Run tenant jobs (apply, destroy, drift sweep) from the queue in a PostgreSQL state.",
            discussion: """
                `strata tenants apply|destroy|drift … --queue` puts one job per tenant in the queue; \
                any number of workers, on any number of machines, share it: each claims the oldest \
                job no one holds (SELECT … FOR UPDATE SKIP LOCKED) with a lease it renews, and runs \
                it as `strata tenants` runs one tenant, under the tenant's lock. A worker that is \
                killed leaves its jobs to the others once their leases run out; the retry finishes \
                what the killed run started (interrupted creates are found and adopted, nothing is \
                made twice). Each job records its outcome (done or failed, with a message), its \
                attempts and its worker; `strata tenants status` shows them.

                SIGTERM or Ctrl-C: no new job is claimed, running jobs finish the steps in flight \
                and go back to the queue if they did not finish; then the worker exits 0. A second \
                signal exits at once. See docs/tenants.md (Workers).

                  strata worker --state postgres://strata@db/fleet --concurrency 8 --stacks-root /srv/stacks
                """)

        @OptionGroup var global: GlobalOptions
        @Option(help: ArgumentHelp("How many jobs to run at once.", valueName: "n")) var concurrency: Int = 4
        @Option(help: ArgumentHelp("How many resources of one tenant to work on at once.", valueName: "n")) var parallelism: Int = 10
        @Option(name: .customLong("stacks-root"), help: ArgumentHelp("Find a job's stack folder here (a subfolder named like the stack) when the folder it was queued from is not on this machine.", valueName: "dir"))
        var stacksRoot: String?
        @Option(help: ArgumentHelp("Seconds a claim lasts unless renewed (renewed every third of it); a killed worker's jobs are retried this long after.", valueName: "seconds"))
        var lease: Double = 30
        @Option(help: ArgumentHelp("Seconds between looks at the queue when idle.", valueName: "seconds")) var poll: Double = 1
        @Flag(name: .customLong("exit-when-done"), help: "Exit once no job is queued or running (by any worker), instead of waiting for more.")
        var exitWhenDone = false
        @Option(help: ArgumentHelp("This worker's name in the queue (default: user@host:pid-xxxx).", valueName: "name")) var id: String?

        func validate() throws {
            guard concurrency >= 1 else { throw ValidationError("--concurrency must be at least 1") }
            guard parallelism >= 1 else { throw ValidationError("--parallelism must be at least 1") }
            guard lease >= 1 else { throw ValidationError("--lease must be at least 1 second") }
            guard poll > 0 else { throw ValidationError("--poll must be more than 0 seconds") }
            if global.instance != "default" { throw ValidationError("--instance does not go with `strata worker`: each job names its tenant") }
            if !global.variables.isEmpty { throw ValidationError("--var does not go with `strata worker`: each job carries its tenant's variables") }
            if let id, id.isEmpty || id.count > 200 { throw ValidationError("--id must be 1 to 200 characters") }
        }

        func run() async throws {
            let engine = try await global.engine(parallelism: parallelism)
            var settings = WorkerSettings(id: id ?? WorkerSettings.defaultID())
            settings.concurrency = concurrency
            settings.lease = .milliseconds(Int(lease * 1000))
            settings.poll = .milliseconds(Int(poll * 1000))
            settings.stacksRoot = stacksRoot.map { URL(fileURLWithPath: $0).standardizedFileURL }
            settings.exitWhenDone = exitWhenDone
            settings.planOptions.parallelism = parallelism
            let worker: TenantWorker
            do {
                worker = try TenantWorker(engine: engine, settings: settings)
                try await (engine.backend as? PostgresStateBackend)?.prepare()
            } catch {
                await engine.shutdown()
                throw CommandFailure(message: userMessage(error))
            }
            let workerID = settings.id
            Log.line("worker \(workerID): taking jobs, \(concurrency) at once")
            let signals = SignalStop(name: "worker \(workerID)") {
                Log.line("worker \(workerID): stopping (no new jobs; running jobs stop after their steps in flight and go back to the queue if unfinished; signal again to exit at once)")
                worker.stop()
            }
            let results = await worker.run { Log.line($0) }
            signals.cancel()
            await engine.shutdown()
            var counts: [WorkerJobResult.Ending: Int] = [:]
            for result in results { counts[result.ending, default: 0] += 1 }
            let summary = [WorkerJobResult.Ending.done, .failed, .givenBack, .takenOver, .postponed].compactMap { ending in
                counts[ending].map { "\($0) \(ending.rawValue)" }
            }
            Log.line("worker \(settings.id): stopped after \(results.count) job(s)\(summary.isEmpty ? "" : ": " + summary.joined(separator: ", "))")
        }
    }
}
