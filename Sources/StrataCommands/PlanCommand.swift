import ArgumentParser
import Foundation
import StrataEngine
import StrataModel

/// Options that shape a plan (plan, apply, destroy).
struct PlanOptions: ParsableArguments {
    @Option(help: ArgumentHelp(
        "Read recorded resources from their providers first: true (all), false (none), or changed (only those whose declared inputs differ from the recorded ones, and what depends on them).",
        valueName: "true|false|changed"))
    var refresh: Planner.Refresh = .all

    @Option(name: .customLong("target"), help: ArgumentHelp("Plan only this resource and what it depends on (repeatable).", valueName: "address"))
    var targets: [String] = []

    @Option(name: .customLong("replace"), help: ArgumentHelp("Replace this resource even if nothing changed (repeatable).", valueName: "address"))
    var replace: [String] = []

    @Option(help: ArgumentHelp("How many resources to work on at once.", valueName: "n"))
    var parallelism: Int = 10

    func validate() throws {
        guard parallelism >= 1 else { throw ValidationError("--parallelism must be at least 1") }
        for address in targets + replace where ResourceAddress(parsing: address) == nil {
            throw ValidationError("'\(address)' is not a resource address (type.name, e.g. test_resource.web)")
        }
    }

    func options(destroy: Bool) -> Planner.Options {
        var options = Planner.Options()
        options.refresh = refresh
        options.targets = targets
        options.replace = replace
        options.destroy = destroy
        options.parallelism = parallelism
        return options
    }
}

extension StrataCommand {
    struct Plan: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Show what apply would change: + create, ~ update, -/+ replace, - delete.",
            discussion: """
                Loads the stack, reads the recorded state, refreshes it from the providers, and \
                prints the difference. With --out the plan is saved; `strata apply FILE` then \
                applies exactly it, and refuses it if the state moved on in between.
                """)

        @OptionGroup var global: GlobalOptions
        @OptionGroup var stack: StackArgument
        @OptionGroup var planOptions: PlanOptions

        @Option(help: ArgumentHelp("Save the plan to this file.", valueName: "file")) var out: String?
        @Flag(help: "Plan destroying everything the stack manages.") var destroy = false
        @Flag(name: .customLong("detailed-exitcode"), help: "Exit 0 when there are no changes, 2 when there are, 1 on error.")
        var detailedExitcode = false
        @Flag(help: "Print the plan as JSON (secrets hidden).") var json = false

        func run() async throws {
            let style = global.style
            let engine = try await global.engine(parallelism: planOptions.parallelism)
            let plan: StrataEngine.Plan
            do {
                plan = try await Self.withEngine(engine) { engine in
                    let manifest = try await engine.loadForCommand(stack, style: style, quiet: json)
                    return try await engine.plan(manifest, directory: stack.url, options: planOptions.options(destroy: destroy))
                }
            } catch let error as PlanError {
                printError(style.red("Error: ") + error.description)
                throw ExitCode(1)
            }
            if json {
                print(String(decoding: try StrataJSON.encode(PlanJSON(plan), pretty: true), as: UTF8.self))
            } else {
                print(PlanRenderer(style: style).render(plan), terminator: "")
            }
            if let out {
                try plan.write(to: URL(fileURLWithPath: out), cipher: engine.cipher)
                if !json { print("\nSaved the plan to \(out). Apply exactly it with: strata apply \(out)") }
            }
            if detailedExitcode && plan.changeCount > 0 { throw ExitCode(2) }
        }
    }
}

extension Planner.Refresh: ExpressibleByArgument {
    public init?(argument: String) {
        switch argument.lowercased() {
        case "true", "yes", "1": self = .all
        case "false", "no", "0": self = .none
        case "changed": self = .changed
        default: return nil
        }
    }
    public var defaultValueDescription: String { rawValue }
    public static var allValueStrings: [String] { ["true", "false", "changed"] }
}
