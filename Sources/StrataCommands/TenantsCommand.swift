import ArgumentParser
import Foundation
import StrataEngine
import StrataModel
import StrataPostgresState
import StrataState

extension StrataCommand {
    /// `strata tenants`: one instance of a stack per tenant, many at once.
    struct Tenants: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Run one instance of a stack per tenant, many at once (plan, apply, status, destroy).",
            discussion: """
                A tenants file lists the tenants and their parameters (YAML, or the same in JSON):

                  tenants:
                    - id: acme
                      vars: {size: small, region: us-east-1}
                    - id: globex

                Each tenant is the stack instance tenant/<id>, with its own state and lock, run \
                with the variable `tenant` set to its id plus its vars (and any --var, which the \
                file overrides). Ids are lower-case letters, digits and '-' (at most 63). The \
                stack is compiled once. One tenant's failure never stops the others; the summary \
                lists each tenant's outcome and the exit status is 1 if any failed. A tenant \
                removed from the file is destroyed only with --prune. See docs/tenants.md.

                  strata tenants plan    Stacks/Tenant --tenants tenants.yaml
                  strata tenants apply   Stacks/Tenant --tenants tenants.yaml --concurrency 8 \\
                                         --prune --auto-approve
                  strata tenants status  --json
                  strata tenants destroy Stacks/Tenant --tenant acme --auto-approve

                With a PostgreSQL state, --queue (apply, destroy, drift) puts one job per tenant \
                in the state's queue instead of running it; `strata worker` processes run them.
                """,
            subcommands: [TenantsPlan.self, TenantsApply.self, TenantsStatus.self, TenantsDestroy.self, TenantsDrift.self])
    }
}

/// Options of the tenant runs.
struct FleetOptions: ParsableArguments {
    @Option(help: ArgumentHelp("How many tenants to work on at once.", valueName: "n"))
    var concurrency: Int = 4

    @Option(help: ArgumentHelp("How many resources of one tenant to work on at once.", valueName: "n"))
    var parallelism: Int = 10

    @Option(help: ArgumentHelp(
        "Read recorded resources from their providers first: true (all), false (none), or changed.",
        valueName: "true|false|changed"))
    var refresh: Planner.Refresh = .all

    @Flag(help: "Print each tenant's outcome as JSON (an array, one object per tenant) instead of the table.")
    var json = false

    func validate() throws {
        guard concurrency >= 1 else { throw ValidationError("--concurrency must be at least 1") }
        guard parallelism >= 1 else { throw ValidationError("--parallelism must be at least 1") }
    }

    func planOptions() -> Planner.Options {
        var options = Planner.Options()
        options.refresh = refresh
        options.parallelism = parallelism
        return options
    }
}

/// The tenants file argument.
struct TenantsFileOption: ParsableArguments {
    @Option(name: .customLong("tenants"), help: ArgumentHelp("The tenants file (YAML or JSON): `tenants: [{id: acme, vars: {size: small}}]`.", valueName: "file"))
    var path: String
}

extension GlobalOptions {
    /// Checks what makes no sense for tenants: `--instance` (each tenant is its own) and `--var tenant=`.
    func validateForTenants() throws {
        if instance != "default" {
            throw ValidationError("--instance does not go with `strata tenants`: each tenant is the instance tenant/<id>")
        }
        if variableMap["tenant"] != nil {
            throw ValidationError("--var tenant=… does not go with `strata tenants`: `tenant` is each tenant's id")
        }
    }

    /// Reads the tenants file; `--var` values apply to every tenant, the file's vars win.
    func tenantsFile(_ path: String) throws -> TenantsFile {
        var file: TenantsFile
        do {
            file = try TenantsFile.read(path: path, workingDirectory: URL(fileURLWithPath: FileManager.default.currentDirectoryPath))
        } catch let error as TenantsFileError {
            throw CommandFailure(message: error.description)
        }
        let common = variableMap
        for index in file.tenants.indices {
            file.tenants[index].vars = common.merging(file.tenants[index].vars) { _, fromFile in fromFile }
        }
        return file
    }
}

extension StrataCommand {
    struct TenantsPlan: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "plan",
            abstract: "Plan every tenant in the file: a line per tenant with what would change.",
            discussion: """
                Tenants in the state but not in the file are listed as kept, or planned for \
                destroy with --prune. With one tenant, its whole plan is shown. With \
                --detailed-exitcode: 0 when no tenant has changes, 2 when some do, 1 when a \
                tenant could not be planned.
                """)

        @OptionGroup var global: GlobalOptions
        @OptionGroup var stack: StackArgument
        @OptionGroup var tenants: TenantsFileOption
        @OptionGroup var fleet: FleetOptions
        @Flag(help: "Plan destroying the tenants that are no longer in the file.") var prune = false
        @Flag(name: .customLong("detailed-exitcode"), help: "Exit 0 when no tenant has changes, 2 when some do, 1 on error.")
        var detailedExitcode = false

        func validate() throws { try global.validateForTenants() }

        func run() async throws {
            let style = global.style
            let file = try global.tenantsFile(tenants.path)
            let engine = try await global.engine(parallelism: fleet.parallelism)
            let outcomes = try await Self.withEngine(engine) { engine in
                let run = try FleetRun(engine: engine, stack: stack, style: style, quiet: fleet.json)
                let removed = try await run.fleet.removedTenants(file)
                let observer = FleetLines(style: style, quiet: fleet.json, single: file.tenants.count + removed.count == 1)
                return try await run.fleet.plan(file, prune: prune, concurrency: fleet.concurrency, options: fleet.planOptions(), observer: observer)
            }
            let renderer = FleetRenderer(style: style)
            if fleet.json {
                print(try renderer.json(outcomes))
            } else {
                print(renderer.summary(outcomes, planning: true), terminator: "")
            }
            renderer.printErrors(outcomes)
            if outcomes.contains(where: { $0.status == .failed }) { throw ExitCode(1) }
            if detailedExitcode && outcomes.contains(where: { $0.changeCount > 0 }) { throw ExitCode(2) }
        }
    }

    struct TenantsApply: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "apply",
            abstract: "Apply every tenant in the file, --concurrency at once; --prune destroys the ones removed from it.",
            discussion: """
                Each tenant is planned and applied under its own lock. A line is printed as each \
                tenant starts and finishes (with one tenant, every step), then a summary with each \
                tenant's outcome: created, updated, replaced and destroyed counts, or its error. \
                Exit status 1 if any tenant failed. Without --auto-approve every tenant is planned \
                first and you are asked once. Ctrl-C: no new tenant starts; a second Ctrl-C \
                cancels running steps.
                """)

        @OptionGroup var global: GlobalOptions
        @OptionGroup var stack: StackArgument
        @OptionGroup var tenants: TenantsFileOption
        @OptionGroup var fleet: FleetOptions
        @Flag(help: "Destroy the tenants that are in the state but no longer in the file (otherwise they are kept).") var prune = false
        @Flag(name: .customLong("auto-approve"), help: "Do not plan first and ask for confirmation.") var autoApprove = false
        @Flag(help: "Do not run: put an apply job per tenant (and with --prune a destroy job per removed tenant) in the queue of the PostgreSQL state, for `strata worker`.")
        var queue = false

        func validate() throws { try global.validateForTenants() }

        func run() async throws {
            let style = global.style
            let file = try global.tenantsFile(tenants.path)
            let engine = try await global.engine(parallelism: fleet.parallelism)
            if queue {
                let (jobs, kept) = try await Self.withEngine(engine) { engine in
                    try await QueueOutput.attempt { try await FleetQueue(engine: engine, directory: stack.url).enqueueApply(file, prune: prune) }
                }
                QueueOutput(style: style, json: fleet.json).print(jobs, kept: kept)
                return
            }
            let interrupt = Interrupt()
            let outcomes = try await Self.withEngine(engine) { engine -> [TenantOutcome]? in
                let run = try FleetRun(engine: engine, stack: stack, style: style, quiet: fleet.json)
                let removed = try await run.fleet.removedTenants(file)
                let single = file.tenants.count + removed.count == 1
                if !autoApprove {
                    guard isatty(0) == 1 else {
                        throw CommandFailure(message: "tenants apply needs confirmation, and there is no terminal to ask on: pass --auto-approve.")
                    }
                    let planned = try await run.fleet.plan(file, prune: prune, concurrency: fleet.concurrency, options: fleet.planOptions(),
                                                           observer: FleetLines(style: style, quiet: false, single: single))
                    print(FleetRenderer(style: style).summary(planned, planning: true), terminator: "")
                    print("\nDo you want to apply these tenants? Only 'yes' will be accepted: ", terminator: "")
                    guard readLine()?.trimmingCharacters(in: .whitespaces) == "yes" else {
                        print("Apply cancelled.")
                        return nil
                    }
                }
                InterruptHandler.install(interrupt, style: style)
                let observer = FleetLines(style: style, quiet: fleet.json, single: single, showPlan: autoApprove)
                return try await run.fleet.apply(file, prune: prune, concurrency: fleet.concurrency, options: fleet.planOptions(),
                                                 interrupt: interrupt, observer: observer)
            }
            guard let outcomes else { return }
            let renderer = FleetRenderer(style: style)
            if fleet.json {
                print(try renderer.json(outcomes))
            } else {
                print(renderer.summary(outcomes, planning: false), terminator: "")
            }
            renderer.printErrors(outcomes)
            if outcomes.contains(where: { $0.status == .failed || $0.status == .notStarted }) { throw ExitCode(1) }
        }
    }

    struct TenantsDestroy: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "destroy",
            abstract: "Destroy one tenant's resources (the instance tenant/<id>).",
            discussion: """
                The tenant's variables come from --tenants when it lists the tenant, else from \
                what it was last applied with. Protected resources stop the destroy before \
                anything is deleted. Other tenants are never touched.
                """)

        @OptionGroup var global: GlobalOptions
        @OptionGroup var stack: StackArgument
        @Option(help: ArgumentHelp("The tenant to destroy.", valueName: "id")) var tenant: String
        @Option(name: .customLong("tenants"), help: ArgumentHelp("A tenants file to take the tenant's vars from.", valueName: "file"))
        var tenantsFile: String?
        @Option(help: ArgumentHelp("How many resources to work on at once.", valueName: "n")) var parallelism: Int = 10
        @Flag(name: .customLong("auto-approve"), help: "Do not ask for confirmation.") var autoApprove = false
        @Flag(help: "Do not run: put a destroy job for the tenant in the queue of the PostgreSQL state, for `strata worker`.")
        var queue = false

        func validate() throws {
            try global.validateForTenants()
            if let problem = TenantID.problem(tenant) {
                throw ValidationError("--tenant '\(tenant)' is not a tenant id: \(problem)")
            }
            guard parallelism >= 1 else { throw ValidationError("--parallelism must be at least 1") }
        }

        func run() async throws {
            let style = global.style
            let file = try tenantsFile.map { try global.tenantsFile($0) }
            let engine = try await global.engine(parallelism: parallelism)
            if queue {
                let tenant = self.tenant
                let job = try await Self.withEngine(engine) { engine in
                    try await QueueOutput.attempt { try await FleetQueue(engine: engine, directory: stack.url).enqueueDestroy(tenant, file: file) }
                }
                QueueOutput(style: style, json: false).print([job], kept: [])
                return
            }
            let interrupt = Interrupt()
            var options = Planner.Options()
            options.parallelism = parallelism
            let tenant = self.tenant
            let outcome = try await Self.withEngine(engine) { engine -> TenantOutcome? in
                let run = try FleetRun(engine: engine, stack: stack, style: style, quiet: false)
                if !autoApprove {
                    guard isatty(0) == 1 else {
                        throw CommandFailure(message: "tenants destroy needs confirmation, and there is no terminal to ask on: pass --auto-approve.")
                    }
                    let planned = try await run.fleet.destroy(tenant, file: file, planOnly: true, options: options, interrupt: interrupt,
                                                              observer: FleetLines(style: style, quiet: false, single: true))
                    if planned.status == .failed { return planned }
                    print("\nDo you really want to destroy tenant \(tenant)? Only 'yes' will be accepted: ", terminator: "")
                    guard readLine()?.trimmingCharacters(in: .whitespaces) == "yes" else {
                        print("Destroy cancelled.")
                        return nil
                    }
                }
                InterruptHandler.install(interrupt, style: style)
                do {
                    return try await run.fleet.destroy(tenant, file: file, options: options, interrupt: interrupt,
                                                       observer: FleetLines(style: style, quiet: false, single: true, showPlan: autoApprove))
                } catch let error as FleetError {
                    throw CommandFailure(message: error.description)
                }
            }
            guard let outcome else { return }
            let renderer = FleetRenderer(style: style)
            print(renderer.summary([outcome], planning: outcome.status == .planned), terminator: "")
            renderer.printErrors([outcome])
            if outcome.status != .succeeded { throw ExitCode(1) }
        }
    }

    struct TenantsStatus: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "status",
            abstract: "One row per tenant from the state backend: serial, resources, last change, last drift sweep.",
            discussion: """
                Reads only the state backend (nothing is asked of the cloud): every instance \
                tenant/<id>, of the given stack or of all. The drift column is the last \
                `strata drift` sweep kept for the tenant. With --json, an array with one object \
                per tenant.
                """)

        @OptionGroup var global: GlobalOptions
        @Argument(help: ArgumentHelp("Only the tenants of this stack (a folder, or the stack's name).", valueName: "stack"))
        var stack: String?
        @Flag(help: "Print JSON: an array, one object per tenant.") var json = false

        func validate() throws { try global.validateForTenants() }

        func run() async throws {
            let backend: any StateBackend
            do {
                backend = try await StateBackendOpener.openResolvingKey(url: global.state, workingDirectory: URL(fileURLWithPath: FileManager.default.currentDirectoryPath)).backend
            } catch {
                throw CommandFailure(message: userMessage(error))
            }
            let stackName = stack.map { Engine.stackName(of: URL(fileURLWithPath: $0)) }
            let rows: [TenantStatus]
            do {
                rows = try await Fleet.status(backend: backend, stack: stackName)
            } catch {
                // Closing the SQLite file folds its write-ahead log back in; PostgreSQL closes its connections.
                try? await backend.close()
                throw CommandFailure(message: userMessage(error))
            }
            try? await backend.close()
            let renderer = FleetRenderer(style: global.style)
            if json {
                print(String(decoding: try StrataJSON.encode(rows, pretty: true), as: UTF8.self))
            } else {
                print(renderer.status(rows), terminator: "")
            }
        }
    }
}

/// The fleet of a command: the stack compiled once, telling the user when it compiles.
struct FleetRun {
    var fleet: Fleet

    init(engine: Engine, stack: StackArgument, style: Style, quiet: Bool) throws {
        let started = Date()
        do {
            fleet = try Fleet(engine: engine, directory: stack.url)
        } catch let error as StackLoadError {
            throw CommandFailure(message: error.description)
        }
        if !fleet.compiled.cached && !quiet {
            printError(style.dim("Compiled stack \(stack.path) in \(String(format: "%.1f", Date().timeIntervalSince(started))) s (cached for next time)."))
        }
    }
}

extension StrataCommand {
    struct TenantsDrift: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "drift",
            abstract: "Queue a drift sweep of every tenant of a stack, for `strata worker` (--queue).",
            discussion: """
                Puts one drift sweep job per tenant of the stack that holds resources in the \
                state (or only the --tenant ones) in the queue of the PostgreSQL state, each with \
                the variables the tenant was last applied with. A worker sweeps the tenant and \
                records the sweep, which `strata tenants status` then shows. To sweep here and \
                now instead, use `strata drift --all`.
                """)

        @OptionGroup var global: GlobalOptions
        @OptionGroup var stack: StackArgument
        @Option(help: ArgumentHelp("Only this tenant (repeatable).", valueName: "id")) var tenant: [String] = []
        @Flag(help: "Put the sweeps in the queue (required: sweeping here is `strata drift --all`).") var queue = false
        @Flag(help: "Print the queued jobs as JSON.") var json = false

        func validate() throws {
            try global.validateForTenants()
            guard queue else {
                throw ValidationError("tenants drift only queues sweeps for workers: add --queue (to sweep here and now, run `strata drift --all`)")
            }
            for id in tenant {
                if let problem = TenantID.problem(id) { throw ValidationError("--tenant '\(id)' is not a tenant id: \(problem)") }
            }
        }

        func run() async throws {
            let engine = try await global.engine()
            let only = tenant.isEmpty ? nil : Set(tenant)
            let jobs = try await Self.withEngine(engine) { engine in
                try await QueueOutput.attempt { try await FleetQueue(engine: engine, directory: stack.url).enqueueDrift(only: only) }
            }
            QueueOutput(style: global.style, json: json).print(jobs, kept: [])
        }
    }
}

/// What `--queue` prints: the jobs queued (or, with --json, an array of them).
struct QueueOutput {
    var style: Style
    var json: Bool

    /// Runs an enqueue, turning its errors into what the user reads.
    static func attempt<T>(_ body: () async throws -> T) async throws -> T {
        do {
            return try await body()
        } catch let error as FleetError {
            throw CommandFailure(message: error.description)
        } catch let error as WorkerError {
            throw CommandFailure(message: error.description)
        } catch {
            throw CommandFailure(message: "cannot queue the jobs: \(userMessage(error))")
        }
    }

    func print(_ jobs: [EnqueuedJob], kept: [RemovedTenant]) {
        if json {
            Swift.print((try? String(decoding: StrataJSON.encode(jobs, pretty: true), as: UTF8.self)) ?? "[]")
            return
        }
        for tenant in kept {
            Swift.print("- \(tenant.id): not in the file, kept (--prune queues its destroy)")
        }
        guard let first = jobs.first, let last = jobs.last else {
            Swift.print("Nothing to queue.")
            return
        }
        var kinds: [String: Int] = [:]
        for job in jobs { kinds[job.kind, default: 0] += 1 }
        let counts = kinds.sorted { $0.key < $1.key }.map { "\($0.value) \($0.key)" }.joined(separator: ", ")
        let ids = jobs.count == 1 ? "#\(first.id)" : "#\(first.id)–#\(last.id)"
        Swift.print(style.bold("Queued \(jobs.count) job\(jobs.count == 1 ? "" : "s") (\(ids)): \(counts).")
            + " `strata worker` runs them; `strata tenants status` shows their progress.")
    }
}
