import ArgumentParser
import Foundation
import StrataEngine
import StrataModel

extension StrataCommand {
    struct Import: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "import",
            abstract: "Bring an existing resource under management by its provider id.",
            discussion: """
                Declare the resource in the stack first, then import it at that address: \
                `strata import Stacks/Demo test_resource.cache t-1234`. A plan afterwards shows \
                what differs between the declaration and the resource as it is.
                """)

        @OptionGroup var global: GlobalOptions
        @OptionGroup var stack: StackArgument
        @Argument(help: "The address the stack declares it at (type.name).") var address: String
        @Argument(help: "The provider's id for it.") var id: String

        func validate() throws {
            guard ResourceAddress(parsing: address) != nil else {
                throw ValidationError("'\(address)' is not a resource address (type.name, e.g. test_resource.web)")
            }
        }

        func run() async throws {
            let style = global.style
            guard let target = ResourceAddress(parsing: address) else { return }
            let engine = try await global.engine()
            let key = engine.key(for: stack.url)
            do {
                let state = try await Self.withEngine(engine) { engine in
                    try await engine.withLock(key, operation: "import") {
                        let manifest = try await engine.loadForCommand(stack, style: style)
                        return try await engine.importResource(target, id: id, manifest: manifest, key: key)
                    }
                }
                print(style.green("Imported ") + "\(state.address) (id \(state.id)). Run `strata plan \(stack.path)` to see how it differs from the stack.")
            } catch let error as ImportError {
                printError(style.red("Error: ") + error.description)
                throw ExitCode(1)
            }
        }
    }
}
