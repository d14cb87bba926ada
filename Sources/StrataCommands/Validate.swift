import ArgumentParser
import Foundation
import StrataEngine
import StrataModel

extension StrataCommand {
    struct Validate: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Check a stack: it compiles, its resources match the provider schemas, and it has no cycle.",
            discussion: "Touches neither the state nor the cloud. Exit status 0 when valid, 1 otherwise.")

        @OptionGroup var global: GlobalOptions
        @OptionGroup var stack: StackArgument
        @Flag(help: "Print the result as JSON.") var json = false

        func run() async throws {
            let style = global.style
            let engine = try await global.engine()
            let diagnostics = try await Self.withEngine(engine) { engine in
                let manifest = try await engine.loadForCommand(stack, style: style, quiet: json)
                return (manifest, try await engine.validate(manifest))
            }
            let errors = diagnostics.1.filter { $0.severity == .error }
            if json {
                struct Out: Encodable { var valid: Bool; var resources: Int; var diagnostics: [Diagnostic] }
                let data = try StrataJSON.encode(Out(valid: errors.isEmpty, resources: diagnostics.0.resources.count, diagnostics: diagnostics.1), pretty: true)
                print(String(decoding: data, as: UTF8.self))
            } else if !diagnostics.1.isEmpty {
                printError(renderDiagnostics(diagnostics.1, style: style))
            }
            guard errors.isEmpty else {
                if !json { printError(style.red("Invalid:") + " \(errors.count) error(s).") }
                throw ExitCode(1)
            }
            if !json { print(style.green("Valid:") + " \(diagnostics.0.resources.count) resources, \(diagnostics.0.outputs.count) outputs.") }
        }
    }
}
