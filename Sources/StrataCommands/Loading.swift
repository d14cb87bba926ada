import Foundation
import StrataEngine
import StrataModel

extension Engine {
    /// Loads a stack for a command, telling the user when it compiles (the slow path).
    func loadForCommand(_ stack: StackArgument, style: Style, quiet: Bool = false) async throws -> Manifest {
        try await loadForCommand(stack.url, displayPath: stack.path, style: style, quiet: quiet)
    }

    func loadForCommand(_ directory: URL, displayPath: String, style: Style, quiet: Bool = false) async throws -> Manifest {
        let started = Date()
        let result: StackLoader.Result
        do {
            result = try await loadWithChecks(directory)
        } catch let error as StackLoadError {
            throw CommandFailure(message: error.description)
        }
        if !result.cached && !quiet {
            printError(style.dim("Compiled stack \(displayPath) in \(String(format: "%.1f", Date().timeIntervalSince(started))) s (cached for next time)."))
        }
        return result.manifest
    }
}
