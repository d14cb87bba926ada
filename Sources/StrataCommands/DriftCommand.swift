import ArgumentParser
import Foundation
import StrataEngine
import StrataModel
import StrataState
import Synchronization

extension StrataCommand {
    struct Drift: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Find what changed outside Strata: changed, deleted and unmanaged resources.",
            discussion: """
                strata drift STACK                 one sweep; exit 0 clean, 2 drift, 1 error
                strata drift STACK --json          the report as JSON (docs/drift.md)
                strata drift STACK --every 15m     sweep on a schedule until SIGTERM/SIGINT
                strata drift --all                 every stack instance in the state backend
                strata drift history STACK         past sweeps and what they found

                A sweep reads every recorded resource (in parallel) and asks each provider for \
                resources tagged for the stack instance that the state does not know. It writes \
                nothing but its history record, unless --remediate or --accept is given. \
                `strata drift sweep --help` lists every option of a sweep.
                """,
            subcommands: [Sweep.self, History.self],
            defaultSubcommand: Sweep.self)
    }
}

extension StrataCommand.Drift {
    enum WebhookWhen: String, ExpressibleByArgument, CaseIterable, Sendable {
        case always, drift, change
    }

    struct Sweep: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Sweep a stack instance (or all of them) for drift, once or on a schedule.",
            discussion: """
                Exit status of a single sweep: 0 no drift, 2 drift found, 1 an error (a provider \
                call failed, the stack did not load, remediation failed) — an error wins over drift. \
                With --every the command runs until SIGTERM or SIGINT and then exits 0.
                """)

        @OptionGroup var global: GlobalOptions
        @Argument(help: ArgumentHelp("The stack folder (holding main.swift); omit with --all.", valueName: "stack"))
        var stack: String?

        @Flag(help: "Sweep every stack instance in the state backend (each from the folder it was last applied from).")
        var all = false
        @Option(name: .customLong("stacks-root"), help: ArgumentHelp("With --all: look for stack folders here (a subfolder per stack, by name) when none was recorded or it moved.", valueName: "dir"))
        var stacksRoot: String?
        @Flag(help: "Print the report as JSON (docs/drift.md); with --every, one JSON object a line; with --all, a JSON array.")
        var json = false
        @Option(help: ArgumentHelp("Run as a daemon sweeping on this schedule: an interval (30s, 15m, 1h30m) or a 5-field cron expression (\"*/15 * * * *\").", valueName: "schedule"))
        var every: String?
        @Option(help: ArgumentHelp("With --every: delay each sweep by a random time up to this (e.g. 30s), to spread the load.", valueName: "duration"))
        var jitter: String?
        @Option(help: ArgumentHelp("POST each report (JSON) to this http(s) URL, retried with backoff.", valueName: "url"))
        var webhook: String?
        @Option(name: .customLong("webhook-secret"), help: ArgumentHelp("Sign webhook bodies: header X-Strata-Signature: sha256=<hex HMAC-SHA256> (or set STRATA_WEBHOOK_SECRET).", valueName: "secret"))
        var webhookSecret: String?
        @Option(name: .customLong("webhook-when"), help: ArgumentHelp("When to POST: always, drift (drift or error; the default) or change (the outcome differs from the previous sweep's).", valueName: "when"))
        var webhookWhen: WebhookWhen = .drift
        @Option(help: ArgumentHelp("With --every: serve Prometheus metrics on HOST:PORT at /metrics (e.g. 127.0.0.1:9464).", valueName: "host:port"))
        var metrics: String?
        @Flag(help: "Put drifted resources back as the stack declares them (plan + apply under the lock), and record what was done.")
        var remediate = false
        @Flag(name: .customLong("delete-unmanaged"), help: "With --remediate: also delete unmanaged resources (tagged for this instance, not in its state).")
        var deleteUnmanaged = false
        @Flag(help: "Record the actual values as the new state of the drifted resources (deleted ones are dropped from it), under the lock.")
        var accept = false
        @Option(help: ArgumentHelp("How many provider reads at once (each provider's own limit applies too).", valueName: "n"))
        var parallelism: Int = 10
        @Option(help: ArgumentHelp("With --all: how many instances to sweep at once, each with plugin processes of its own.", valueName: "n"))
        var concurrency: Int = 4

        func validate() throws {
            if all && stack != nil { throw ValidationError("give a stack folder or --all, not both") }
            if !all && stack == nil { throw ValidationError("give a stack folder, or --all for every stack instance in the state backend") }
            if stacksRoot != nil && !all { throw ValidationError("--stacks-root goes with --all") }
            if remediate && accept { throw ValidationError("--remediate and --accept are two answers to drift: pick one") }
            if deleteUnmanaged && !remediate { throw ValidationError("--delete-unmanaged goes with --remediate") }
            if parallelism < 1 { throw ValidationError("--parallelism must be at least 1") }
            if concurrency < 1 { throw ValidationError("--concurrency must be at least 1") }
            if every == nil && (jitter != nil || metrics != nil) { throw ValidationError("--jitter and --metrics go with --every") }
            if let every { do { _ = try Schedule(parsing: every) } catch { throw ValidationError("--every: \(error)") } }
            if let jitter { do { _ = try DurationText.parse(jitter) } catch { throw ValidationError("--jitter: \(error)") } }
            if let webhook { do { _ = try Webhook.parse(webhook) } catch { throw ValidationError("\(error)") } }
            if let metrics { do { _ = try MetricsServer.parseAddress(metrics) } catch { throw ValidationError("\(error)") } }
            if let stack {
                var isDirectory: ObjCBool = false
                guard FileManager.default.fileExists(atPath: stack, isDirectory: &isDirectory), isDirectory.boolValue else {
                    throw ValidationError("\(stack): no such stack folder")
                }
            }
        }

        var options: DriftOptions {
            DriftOptions(action: remediate ? .remediate : accept ? .accept : .none, deleteUnmanaged: deleteUnmanaged)
        }

        func run() async throws {
            let style = global.style
            let engine = try await global.engine(parallelism: parallelism)
            let secret = webhookSecret ?? ProcessInfo.processInfo.environment["STRATA_WEBHOOK_SECRET"]
            let hook = try webhook.map { Webhook(url: try Webhook.parse($0), secret: secret) }
            let delivery = Delivery(engine: engine, webhook: hook, when: webhookWhen, style: style, json: json)
            if let every {
                try await runDaemon(engine, schedule: try Schedule(parsing: every), delivery: delivery)
                return
            }
            let status = try await Self.withEngine(engine) { engine -> Int32 in
                let started = Date()
                let targets: [DriftTarget]
                var reports: [DriftReport] = []
                do {
                    targets = try await findTargets(engine, failures: &reports, started: started)
                } catch {
                    throw CommandFailure(message: "cannot list the stack instances in the state backend: \(userMessage(error))")
                }
                reports += await Self.sweep(targets, engine: engine, options: options, concurrency: all ? concurrency : 1)
                var failed = false
                for report in reports {
                    if !(await delivery.keep(report, quiet: false)) { failed = true }
                }
                delivery.printOnce(reports, all: all)
                if failed || reports.contains(where: { $0.status == .error }) { return 1 }
                return reports.contains(where: { $0.status == .drift }) ? 2 : 0
            }
            if status != 0 { throw ExitCode(status) }
        }

        /// What to sweep: the one stack folder, or every instance in the backend with its folder.
        /// Instances whose folder cannot be found become failed reports in `failures`.
        func findTargets(_ engine: Engine, failures: inout [DriftReport], started: Date) async throws -> [DriftTarget] {
            if let stack {
                let url = URL(fileURLWithPath: stack).standardizedFileURL
                return [DriftTarget(key: engine.key(for: url), directory: url, variables: global.variableMap)]
            }
            var targets: [DriftTarget] = []
            for key in try await engine.backend.instances() {
                let origin = try await engine.backend.origin(key)
                if let directory = Self.folder(for: key, origin: origin, stacksRoot: stacksRoot) {
                    targets.append(DriftTarget(key: key, directory: directory, variables: origin?.variables ?? [:]))
                } else {
                    let recorded = origin.map { " (it was applied from \($0.stackDirectory), which is gone)" } ?? " (none was recorded: it was applied by an older strata)"
                    failures.append(.failure(key, started: started, message: "no stack folder for \(key)\(recorded): pass --stacks-root DIR with a folder named like the stack under it"))
                }
            }
            return targets
        }

        static func folder(for key: InstanceKey, origin: InstanceOrigin?, stacksRoot: String?) -> URL? {
            let fm = FileManager.default
            if let origin, fm.fileExists(atPath: URL(fileURLWithPath: origin.stackDirectory).appendingPathComponent("main.swift").path) {
                return URL(fileURLWithPath: origin.stackDirectory).standardizedFileURL
            }
            guard let stacksRoot else { return nil }
            let root = URL(fileURLWithPath: stacksRoot).standardizedFileURL
            let names = (try? fm.contentsOfDirectory(atPath: root.path)) ?? []
            for name in names.sorted() where name.lowercased() == key.stack {
                let dir = root.appendingPathComponent(name)
                if fm.fileExists(atPath: dir.appendingPathComponent("main.swift").path) { return dir }
            }
            return nil
        }

        func runDaemon(_ engine: Engine, schedule: Schedule, delivery: Delivery) async throws {
            let metricsRegistry = DriftMetrics()
            var server: MetricsServer?
            if let metrics {
                do {
                    server = try MetricsServer(address: metrics, metrics: metricsRegistry)
                } catch {
                    throw CommandFailure(message: userMessage(error))
                }
                if let server { Log.line("drift daemon: metrics on http://\(server.host):\(server.port)/metrics") }
            }
            let options = self.options
            let single: DriftTarget? = stack.map {
                let url = URL(fileURLWithPath: $0).standardizedFileURL
                return DriftTarget(key: engine.key(for: url), directory: url, variables: global.variableMap)
            }
            let stacksRoot = self.stacksRoot
            let daemon = DriftDaemon(
                schedule: schedule, jitter: try jitter.map { try DurationText.parse($0) } ?? .zero,
                targets: {
                    if let single { return [single] }
                    var targets: [DriftTarget] = []
                    for key in try await engine.backend.instances() {
                        let origin = try await engine.backend.origin(key)
                        if let directory = Sweep.folder(for: key, origin: origin, stacksRoot: stacksRoot) {
                            targets.append(DriftTarget(key: key, directory: directory, variables: origin?.variables ?? [:]))
                        } else {
                            Log.line("drift daemon: \(key): no stack folder recorded or found under --stacks-root; skipped")
                        }
                    }
                    return targets
                },
                sweep: { target in
                    await engine.forInstance(target.key.instance, variables: target.variables).driftSweep(directory: target.directory, options: options)
                },
                deliver: { report in
                    metricsRegistry.record(report)
                    _ = await delivery.keep(report, quiet: false)
                    delivery.printLine(report)
                },
                log: { Log.line($0) })

            let task = Task { await daemon.run() }
            let signals = SignalStop(onStop: {
                Log.line("drift daemon: stopping (sweeps in flight finish first; signal again to exit at once)")
                task.cancel()
            })
            await task.value
            signals.cancel()
            server?.stop()
            await engine.shutdown()
            Log.line("drift daemon: stopped")
        }
    }

    struct History: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "List past drift sweeps of a stack instance and what they found, newest first.")

        @OptionGroup var global: GlobalOptions
        @OptionGroup var stack: StackArgument
        @Option(help: ArgumentHelp("Show at most this many sweeps (0: all kept).", valueName: "n")) var limit: Int = 20
        @Flag(help: "Print JSON: an array of sweeps, each with its full report.") var json = false
        @Option(help: ArgumentHelp("Show the full report of this sweep (its ID from the list).", valueName: "id")) var show: Int?

        func run() async throws {
            let engine = try await global.engine()
            let key = engine.key(for: stack.url)
            let sweeps = try await engine.backend.sweeps(key, limit: show == nil ? limit : 0)
            let style = global.style
            if let show {
                guard let sweep = sweeps.first(where: { $0.id == show }) else {
                    throw CommandFailure(message: "no sweep \(show) of \(key) is kept; `strata drift history \(stack.path)` lists them")
                }
                let report = try DriftReport.decode(Data(sweep.reportJSON.utf8))
                if json {
                    print(String(decoding: try report.json(), as: UTF8.self))
                } else {
                    print(DriftRenderer(style: style).render(report), terminator: "")
                }
                return
            }
            if json {
                var items: [HistoryItem] = []
                for sweep in sweeps {
                    items.append(HistoryItem(id: sweep.id, startedAt: DriftReportTime.string(sweep.startedAt), durationSeconds: sweep.durationSeconds,
                                             status: sweep.status, checked: sweep.checked, changed: sweep.changed, deleted: sweep.deleted,
                                             unmanaged: sweep.unmanaged, errors: sweep.errors, action: sweep.action,
                                             report: try? DriftReport.decode(Data(sweep.reportJSON.utf8))))
                }
                print(String(decoding: try StrataJSON.encoder(pretty: true).encode(items), as: UTF8.self))
                return
            }
            guard !sweeps.isEmpty else {
                print("No drift sweeps of \(key) are recorded yet: run `strata drift \(stack.path)`.")
                return
            }
            print(DriftRenderer(style: style).history(sweeps))
        }
    }

    struct HistoryItem: Codable {
        var id: Int
        var startedAt: String
        var durationSeconds: Double
        var status: String
        var checked: Int
        var changed: Int
        var deleted: Int
        var unmanaged: Int
        var errors: Int
        var action: String
        var report: DriftReport?
    }
}

enum DriftReportTime {
    static func string(_ date: Date) -> String {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        return formatter.string(from: date)
    }
}

/// After a sweep: the history record, the webhook, and what is printed.
struct Delivery: Sendable {
    let engine: Engine
    let webhook: Webhook?
    let when: StrataCommand.Drift.WebhookWhen
    let style: Style
    let json: Bool

    /// Records the sweep and posts the webhook if asked. False if the webhook failed.
    func keep(_ report: DriftReport, quiet: Bool) async -> Bool {
        var previous: DriftReport?
        if webhook != nil && when == .change {
            previous = (try? await engine.backend.sweeps(report.key, limit: 1))?.first.flatMap { try? DriftReport.decode(Data($0.reportJSON.utf8)) }
        }
        // The record is kept even if the caller is being cancelled (SIGTERM): it runs apart.
        let backend = engine.backend
        let recorded = await Task { () -> String? in
            do {
                try await backend.recordSweep(report.key, try report.record())
                return nil
            } catch {
                return userMessage(error)
            }
        }.value
        if let recorded { Log.line(style.yellow("Warning: ") + "\(report.key): the sweep was not recorded in the history: \(recorded)") }
        guard let webhook, shouldSend(report, previous: previous) else { return true }
        do {
            try await webhook.send(try report.json(pretty: false))
            return true
        } catch is CancellationError {
            return true
        } catch {
            Log.line(style.red("Error: ") + "\(report.key): \(userMessage(error))")
            return false
        }
    }

    func shouldSend(_ report: DriftReport, previous: DriftReport?) -> Bool {
        switch when {
        case .always: return true
        case .drift: return report.status != .clean
        case .change:
            guard let previous else { return report.status != .clean }
            func fingerprint(_ r: DriftReport) -> Set<String> {
                Set(r.resources.map { "\($0.kind.rawValue) \($0.address ?? "") \($0.id) " + $0.attributes.map(\.name).joined(separator: ",") })
                    .union(r.errors.map { "error \($0.address ?? "") \($0.message)" })
            }
            return previous.status != report.status || fingerprint(previous) != fingerprint(report)
        }
    }

    /// One-shot output: the report (or, with --all, each; with --json, an array).
    func printOnce(_ reports: [DriftReport], all: Bool) {
        if json {
            let data: Data?
            if all {
                data = try? StrataJSON.encoder(pretty: true).encode(reports)
            } else {
                data = reports.first.flatMap { try? $0.json() }
            }
            if let data { print(String(decoding: data, as: UTF8.self)) }
            return
        }
        let renderer = DriftRenderer(style: style)
        for (i, report) in reports.enumerated() {
            if i > 0 { print("") }
            print(renderer.render(report), terminator: "")
        }
    }

    /// Daemon output: one line per sweep (JSON Lines with --json), written whole.
    func printLine(_ report: DriftReport) {
        if json {
            if let data = try? report.json(pretty: false) { Log.out(String(decoding: data, as: UTF8.self)) }
            return
        }
        Log.out(DriftRenderer(style: style).line(report))
        if report.status != .clean {
            Log.out(DriftRenderer(style: style).render(report))
        }
    }
}

/// Whole lines to stdout/stderr, unbuffered, from any task.
enum Log {
    static func line(_ text: String) {
        FileHandle.standardError.write(Data((text + "\n").utf8))
    }

    static func out(_ text: String) {
        FileHandle.standardOutput.write(Data((text.hasSuffix("\n") ? text : text + "\n").utf8))
    }
}

/// SIGTERM and SIGINT: the first calls `onStop`; a second exits at once (status 130).
final class SignalStop: @unchecked Sendable {
    // Written in init and cancel only, under the lock.
    private let lock = NSLock()
    private var sources: [any DispatchSourceSignal] = []
    private let count = Atomic<Int>(0)

    init(name: String = "drift daemon", onStop: @escaping @Sendable () -> Void) {
        for sig in [SIGTERM, SIGINT] {
            signal(sig, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: sig, queue: DispatchQueue.global())
            source.setEventHandler { [self] in
                if count.add(1, ordering: .relaxed).newValue == 1 {
                    onStop()
                } else {
                    Log.line("\(name): exiting at once")
                    exit(130)
                }
            }
            source.resume()
            lock.withLock { sources.append(source) }
        }
    }

    func cancel() {
        lock.withLock {
            for source in sources { source.cancel() }
            sources.removeAll()
        }
    }
}

extension StrataCommand.Drift.Sweep {
    /// Sweeps the instances, at most `concurrency` at once (each then with its own plugin
    /// processes); the reports in the order of `targets`.
    static func sweep(_ targets: [DriftTarget], engine: Engine, options: DriftOptions, concurrency: Int) async -> [DriftReport] {
        if concurrency <= 1 {
            var reports: [DriftReport] = []
            for target in targets {
                reports.append(await engine.forInstance(target.key.instance, variables: target.variables)
                    .driftSweep(directory: target.directory, options: options))
            }
            return reports
        }
        return await BoundedMap.map(targets, limit: concurrency) { target in
            let instance = engine.forInstance(target.key.instance, variables: target.variables, ownPlugins: true)
            let report = await instance.driftSweep(directory: target.directory, options: options)
            await instance.registry.shutdownAll()
            return report
        }
    }
}
