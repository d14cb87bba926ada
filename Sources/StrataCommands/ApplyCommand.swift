import ArgumentParser
import Foundation
import StrataEngine
import StrataModel
import StrataState

extension StrataCommand {
    struct Apply: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Make the cloud match the stack (or apply a saved plan exactly).",
            discussion: """
                With a stack folder: plan, show the plan, ask for confirmation (or --auto-approve), \
                apply. With a plan file from `strata plan --out`: apply exactly that plan, refused \
                if the state changed since it was made. The state is written after every step; \
                Ctrl-C stops starting new steps, a second Ctrl-C cancels running ones.
                """)

        @OptionGroup var global: GlobalOptions
        @Argument(help: ArgumentHelp("A stack folder, or a plan file saved by `strata plan --out`.", valueName: "stack-or-plan"))
        var target: String
        @OptionGroup var planOptions: PlanOptions
        @Flag(name: .customLong("auto-approve"), help: "Do not ask for confirmation.") var autoApprove = false

        func run() async throws {
            try await ApplyRun(global: global, target: target, planOptions: planOptions, autoApprove: autoApprove, destroy: false).run()
        }
    }

    struct Destroy: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Delete everything the stack manages, in reverse dependency order.",
            discussion: "Protected resources stop the destroy before anything is deleted.")

        @OptionGroup var global: GlobalOptions
        @OptionGroup var stack: StackArgument
        @OptionGroup var planOptions: PlanOptions
        @Flag(name: .customLong("auto-approve"), help: "Do not ask for confirmation.") var autoApprove = false

        func run() async throws {
            try await ApplyRun(global: global, target: stack.path, planOptions: planOptions, autoApprove: autoApprove, destroy: true).run()
        }
    }
}

/// What apply and destroy share.
struct ApplyRun {
    var global: GlobalOptions
    var target: String
    var planOptions: PlanOptions
    var autoApprove: Bool
    var destroy: Bool

    func run() async throws {
        let style = global.style
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: target, isDirectory: &isDirectory) else {
            printError(style.red("Error: ") + "\(target): no such stack folder or plan file")
            throw ExitCode(1)
        }
        let engine = try await global.engine(parallelism: planOptions.parallelism)
        let interrupt = Interrupt()
        InterruptHandler.install(interrupt, style: style)
        let report: ApplyReport?
        do {
            report = try await StrataCommand.Apply.withEngine(engine) { engine -> ApplyReport? in
                if isDirectory.boolValue {
                    return try await applyStack(engine, directory: URL(fileURLWithPath: target).standardizedFileURL, interrupt: interrupt, style: style)
                } else {
                    return try await applySavedPlan(engine, file: URL(fileURLWithPath: target), interrupt: interrupt, style: style)
                }
            }
        } catch let error as StateError {
            printError(style.red("Error: ") + error.description)
            throw ExitCode(1)
        } catch let error as PlanError {
            printError(style.red("Error: ") + error.description)
            throw ExitCode(1)
        }
        guard let report else { return }
        try summarize(report, style: style)
    }

    func applyStack(_ engine: Engine, directory: URL, interrupt: Interrupt, style: Style) async throws -> ApplyReport? {
        let key = engine.key(for: directory)
        // Recovery starts plugins before the stack is loaded: the lock applies to it too.
        try engine.requireProviderLock(ofStack: directory)
        return try await engine.withLock(key, operation: destroy ? "destroy" : "apply") {
            let manifest = try await engine.loadForCommand(directory, displayPath: target, style: style)
            let adopted = try await engine.recover(key, configuring: manifest.providers)
            if !adopted.isEmpty {
                print(style.yellow("Recovered \(adopted.count) resource(s) created by an interrupted run: ") + adopted.map(\.description).joined(separator: ", "))
            }
            let plan = try await engine.plan(manifest, directory: directory, options: planOptions.options(destroy: destroy))
            print(PlanRenderer(style: style).render(plan), terminator: "")
            guard plan.changeCount > 0 else {
                // Outputs may still have changed.
                return try await engine.apply(plan, interrupt: interrupt, observer: nil)
            }
            guard try confirm(style: style) else {
                print("Apply cancelled.")
                return nil
            }
            return try await execute(engine, plan, interrupt: interrupt, style: style)
        }
    }

    func applySavedPlan(_ engine: Engine, file: URL, interrupt: Interrupt, style: Style) async throws -> ApplyReport? {
        let plan = try StrataEngine.Plan.read(from: file, cipher: engine.cipher)
        try engine.requireProviderLock(ofStack: URL(fileURLWithPath: plan.stackDirectory))
        return try await engine.withLock(plan.key, operation: "apply") {
            let adopted = try await engine.recover(plan.key)
            if !adopted.isEmpty {
                throw CommandFailure(message: "recovered \(adopted.count) resource(s) left by an interrupted run (\(adopted.map(\.description).joined(separator: ", "))); the saved plan no longer matches the state. Run `strata plan` again.")
            }
            print(PlanRenderer(style: style).render(plan), terminator: "")
            return try await execute(engine, plan, interrupt: interrupt, style: style)
        }
    }

    func execute(_ engine: Engine, _ plan: StrataEngine.Plan, interrupt: Interrupt, style: Style) async throws -> ApplyReport {
        print("")
        let progress = ProgressView(style: style, total: plan.changeCount, live: isatty(1) == 1 && style.color)
        var report = try await engine.apply(plan, interrupt: interrupt, observer: progress)
        progress.stop()
        if plan.hasChecks && report.failed.isEmpty && report.stateError == nil {
            report.failedChecks = try await engine.failedChecksAfterApply(URL(fileURLWithPath: plan.stackDirectory))
        }
        return report
    }

    func confirm(style: Style) throws -> Bool {
        if autoApprove { return true }
        guard isatty(0) == 1 else {
            throw CommandFailure(message: "apply needs confirmation, and there is no terminal to ask on: pass --auto-approve, or apply a saved plan.")
        }
        print("\nDo you want to perform these actions? Only 'yes' will be accepted: ", terminator: "")
        return readLine()?.trimmingCharacters(in: .whitespaces) == "yes"
    }

    func summarize(_ report: ApplyReport, style: Style) throws {
        let created = report.count(.create), updated = report.count(.update), deleted = report.count(.delete)
        let skipped = report.results.filter { if case .skipped = $0.outcome { return true }; return false }.count
        let notStarted = report.results.filter { if case .notStarted = $0.outcome { return true }; return false }.count
        var line = "\(created) created, \(updated) updated, \(deleted) destroyed"
        if !report.failed.isEmpty { line += ", \(report.failed.count) failed" }
        if skipped > 0 { line += ", \(skipped) skipped" }
        if notStarted > 0 { line += ", \(notStarted) not started" }
        line += String(format: " in %.1fs.", report.seconds)
        if report.results.isEmpty && report.failed.isEmpty {
            // Nothing ran.
        } else if report.succeeded {
            print("\n" + style.green(style.bold(destroy ? "Destroy complete: " : "Apply complete: ")) + line)
        } else {
            print("\n" + style.red(style.bold(report.interrupted ? "Apply interrupted: " : "Apply failed: ")) + line)
        }
        if !report.outputs.isEmpty && !destroy {
            print("\nOutputs:")
            for (name, output) in report.outputs.sorted(by: { $0.key < $1.key }) {
                print("  \(name) = \(output.value.rendered(secret: output.secret))")
            }
        }
        if let stateError = report.stateError { printError(style.red("Error: ") + stateError) }
        for check in report.failedChecks {
            let location = check.location.map { "\($0): " } ?? ""
            printError(style.red("Error: ") + "\(location)\(check.address): \(check.kind.rawValue) failed after apply: \(check.message)")
        }
        for failure in report.failed {
            if case .failed(let message, _) = failure.outcome {
                printError(style.red("Error: ") + "\(failure.address) (\(failure.kind.rawValue)): \(message)")
            }
        }
        if !report.succeeded && (!report.results.isEmpty || !report.failedChecks.isEmpty) {
            printError("Everything that completed is saved in the state; run apply again to finish.")
            throw ExitCode(1)
        }
    }
}

