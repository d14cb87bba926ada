import ArgumentParser
import Foundation
import StrataEngine

/// `strata`: the root command. Each subcommand lives in its own file as an extension.
public struct StrataCommand: AsyncParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "strata",
        abstract: "Declare infrastructure in Swift; Strata makes the cloud match it.",
        discussion: """
            A stack is a folder of Swift files (with a main.swift) that import Strata and provider \
            modules. Loading a stack compiles and runs its code. State is kept per stack and \
            instance, by default in .strata/state.db under the current directory.

            Typical use:
              strata plan Stacks/Demo --out demo.plan
              strata apply demo.plan
              strata destroy Stacks/Demo --auto-approve
            """,
        version: StrataVersion.current,
        subcommands: [
            Validate.self, Plan.self, Apply.self, Destroy.self, Show.self, Output.self, Graph.self,
            State.self, Import.self, Drift.self, Providers.self, ForceUnlock.self, Tenants.self, Worker.self,
        ])

    public init() {}
}

/// Options every command that touches a stack shares.
struct GlobalOptions: ParsableArguments {
    @Option(name: .long, help: ArgumentHelp("Where state is kept: a SQLite file path or sqlite:PATH (default: .strata/state.db here), postgres://USER@HOST:PORT/DB?schema=NAME, or s3://BUCKET/PREFIX (both need STRATA_STATE_KEY; docs/state-backends.md).", valueName: "url"))
    var state: String?

    @Option(name: .long, help: ArgumentHelp("The stack instance: one state per stack and instance.", valueName: "name"))
    var instance: String = "default"

    @Option(name: .customLong("var"), help: ArgumentHelp("A stack parameter, KEY=VALUE (repeatable).", valueName: "key=value"))
    var variables: [String] = []

    @Flag(name: .customLong("no-color"), help: "No colors in output (also when NO_COLOR is set).")
    var noColor = false

    @Option(name: .customLong("plugin-dir"), help: ArgumentHelp("Also look for provider plugins here (repeatable).", valueName: "dir"))
    var pluginDirectories: [String] = []

    @Option(name: .customLong("lock-timeout"), help: ArgumentHelp("Seconds to wait for the state lock held by another run.", valueName: "seconds"))
    var lockTimeout: Double = 0

    @Option(name: .customLong("plugin-timeout"), help: ArgumentHelp("Seconds a provider call may take before it fails.", valueName: "seconds"))
    var pluginTimeout: Double = 600

    func validate() throws {
        for variable in variables where !variable.contains("=") {
            throw ValidationError("--var \(variable): write it as KEY=VALUE")
        }
        if instance.isEmpty || instance.contains("..") || instance.hasPrefix("/") || instance.contains(where: { $0.isWhitespace }) {
            throw ValidationError("--instance '\(instance)' is not a valid instance name: use letters, digits, '-', '_' and '/'")
        }
    }

    var variableMap: [String: String] {
        var out: [String: String] = [:]
        for variable in variables {
            let parts = variable.split(separator: "=", maxSplits: 1)
            out[String(parts[0])] = parts.count > 1 ? String(parts[1]) : ""
        }
        return out
    }

    var style: Style { Style(color: !noColor && ProcessInfo.processInfo.environment["NO_COLOR"] == nil && isatty(1) == 1) }

    func engine(parallelism: Int = 10, checksProviderLock: Bool = true, progress: (@Sendable (String, Int, String) -> Void)? = nil) async throws -> Engine {
        var configuration = Engine.Configuration(
            workingDirectory: URL(fileURLWithPath: FileManager.default.currentDirectoryPath),
            stateURL: state, instance: instance, variables: variableMap, pluginDirectories: pluginDirectories,
            parallelism: parallelism, lockTimeout: lockTimeout, pluginTimeout: pluginTimeout)
        configuration.checksProviderLock = checksProviderLock
        return try await Engine.open(configuration: configuration, progress: progress)
    }
}

/// The stack folder argument.
struct StackArgument: ParsableArguments {
    @Argument(help: ArgumentHelp("The stack folder (holding main.swift).", valueName: "stack"))
    var path: String

    var url: URL { URL(fileURLWithPath: path).standardizedFileURL }
}

/// Errors that end a command: printed as they are, exit status 1.
struct CommandFailure: Error, CustomStringConvertible {
    var message: String
    var exitCode: Int32 = 1
    var description: String { message }
}

extension ParsableCommand {
    /// Runs `body` with an engine, stopping its plugins afterwards whatever happens.
    static func withEngine<T>(_ engine: Engine, _ body: (Engine) async throws -> T) async throws -> T {
        do {
            let result = try await body(engine)
            await engine.shutdown()
            return result
        } catch {
            await engine.shutdown()
            throw error
        }
    }
}

/// Prints to stderr.
func printError(_ text: String) {
    FileHandle.standardError.write(Data((text + "\n").utf8))
}

/// Turns any error of ours into what the user reads.
func userMessage(_ error: any Error) -> String {
    if let e = error as? any CustomStringConvertible { return e.description }
    return error.localizedDescription
}
