import ArgumentParser
import Foundation
import StrataEngine
import StrataModel
import StrataState

extension StrataCommand {
    struct State: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Inspect and edit a stack instance's recorded state.",
            subcommands: [List.self, ShowResource.self, Remove.self, Move.self, History.self, Check.self, Rekey.self])

        struct List: AsyncParsableCommand {
            static let configuration = CommandConfiguration(abstract: "List the recorded resources, one address a line.")
            @OptionGroup var global: GlobalOptions
            @OptionGroup var stack: StackArgument

            func run() async throws {
                let engine = try await global.engine()
                let snapshot = try await engine.backend.load(engine.key(for: stack.url))
                for resource in snapshot.resources {
                    print(resource.address.description + (resource.deposed ? " (deposed)" : ""))
                }
            }
        }

        struct ShowResource: AsyncParsableCommand {
            static let configuration = CommandConfiguration(commandName: "show", abstract: "Show one recorded resource (secrets hidden).")
            @OptionGroup var global: GlobalOptions
            @OptionGroup var stack: StackArgument
            @Argument(help: "The resource address.") var address: String
            @Flag(help: "Print JSON.") var json = false

            func run() async throws {
                let engine = try await global.engine()
                let snapshot = try await engine.backend.load(engine.key(for: stack.url))
                let matches = snapshot.resources.filter { $0.address.description == address }
                guard !matches.isEmpty else {
                    throw CommandFailure(message: "\(address) is not in the state of \(snapshot.key); `strata state list \(stack.path)` lists what is")
                }
                if json {
                    let resources = PublicState(StateSnapshot(key: snapshot.key, serial: snapshot.serial, lineage: snapshot.lineage, resources: matches, outputs: [:])).resources
                    print(String(decoding: try StrataJSON.encode(resources.count == 1 ? AnyEncodable(resources[0]) : AnyEncodable(resources), pretty: true), as: UTF8.self))
                    return
                }
                for resource in matches {
                    print("# \(resource.address)\(resource.deposed ? " (deposed)" : "")")
                    print("id       = \(resource.id)")
                    print("provider = \(resource.provider)")
                    for (name, value) in resource.outputs.sorted(by: { $0.key < $1.key }) {
                        print("\(name) = \(value.rendered(secret: value.containsSecret))")
                    }
                    if !resource.dependencies.isEmpty {
                        print("depends on: " + resource.dependencies.map(\.description).joined(separator: ", "))
                    }
                }
            }
        }

        struct Remove: AsyncParsableCommand {
            static let configuration = CommandConfiguration(
                commandName: "rm",
                abstract: "Forget a resource without destroying it (it keeps existing in the cloud).")
            @OptionGroup var global: GlobalOptions
            @OptionGroup var stack: StackArgument
            @Argument(help: "The resource addresses.") var addresses: [String]

            func run() async throws {
                let engine = try await global.engine()
                let key = engine.key(for: stack.url)
                try await engine.withLock(key, operation: "state rm") {
                    for text in addresses {
                        guard let address = ResourceAddress(parsing: text) else { throw CommandFailure(message: "'\(text)' is not a resource address") }
                        try await engine.backend.write(key, .remove(address, deposed: false, action: "state rm"))
                        print("Removed \(address) from the state of \(key).")
                    }
                }
            }
        }

        struct Move: AsyncParsableCommand {
            static let configuration = CommandConfiguration(
                commandName: "mv",
                abstract: "Rename a recorded resource (after renaming it in the stack), without replacing it.")
            @OptionGroup var global: GlobalOptions
            @OptionGroup var stack: StackArgument
            @Argument(help: "The current address.") var from: String
            @Argument(help: "The new address.") var to: String

            func run() async throws {
                guard let source = ResourceAddress(parsing: from), let destination = ResourceAddress(parsing: to) else {
                    throw CommandFailure(message: "both arguments must be resource addresses (type.name)")
                }
                guard source.type == destination.type else {
                    throw CommandFailure(message: "cannot move \(source) to \(destination): the type must stay \(source.type)")
                }
                let engine = try await global.engine()
                let key = engine.key(for: stack.url)
                try await engine.withLock(key, operation: "state mv") {
                    try await engine.backend.write(key, .move(from: source, to: destination))
                }
                print("Moved \(source) to \(destination).")
            }
        }

        struct History: AsyncParsableCommand {
            static let configuration = CommandConfiguration(abstract: "List the state's versions: serial, time, what changed.")
            @OptionGroup var global: GlobalOptions
            @OptionGroup var stack: StackArgument
            @Option(help: "How many versions, newest first (0: all).") var limit: Int = 50
            @Flag(help: "Print JSON.") var json = false

            func run() async throws {
                let engine = try await global.engine()
                let entries = try await engine.backend.history(engine.key(for: stack.url), limit: limit)
                if json {
                    print(String(decoding: try StrataJSON.encode(entries, pretty: true), as: UTF8.self))
                    return
                }
                let formatter = ISO8601DateFormatter()
                for entry in entries {
                    print("\(entry.serial)\t\(formatter.string(from: entry.time))\t\(entry.action)\t\(entry.address ?? "")")
                }
            }
        }
    }
}

extension StrataCommand.State {
    /// `strata state check`: the integrity check the torture test runs after every kill.
    struct Check: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Check the recorded state for damage: missing dependencies, duplicate addresses or ids, gaps in the history.",
            discussion: "Exits 0 when the state is intact, 1 (listing each problem) when it is not.")
        @OptionGroup var global: GlobalOptions
        @OptionGroup var stack: StackArgument
        @Flag(help: "Print JSON: serial, resources, pending intents, problems.") var json = false

        /// What `--json` prints.
        struct Report: Encodable {
            var instance: String
            var serial: Int
            var lineage: String
            var resources: Int
            var pendingIntents: Int
            var problems: [StateIntegrity.Problem]
        }

        func run() async throws {
            let engine = try await global.engine()
            let key = engine.key(for: stack.url)
            let snapshot = try await engine.backend.load(key)
            let history = try await engine.backend.history(key, limit: 0)
            let intents = try await engine.backend.pendingIntents(key)
            try? await engine.backend.close()
            let problems = StateIntegrity.problems(snapshot, history: history)
            if json {
                let report = Report(instance: key.description, serial: snapshot.serial, lineage: snapshot.lineage,
                                    resources: snapshot.resources.count, pendingIntents: intents.count, problems: problems)
                print(String(decoding: try StrataJSON.encode(report, pretty: true), as: UTF8.self))
            } else if problems.isEmpty {
                print("The state of \(key) is intact: serial \(snapshot.serial), \(snapshot.resources.count) resources, \(intents.count) pending intents.")
            } else {
                print("The state of \(key) has \(problems.count) problem(s) at serial \(snapshot.serial):")
                for problem in problems { print("  \(problem)") }
            }
            if !problems.isEmpty { throw ExitCode(1) }
        }
    }
}

/// Encodes any Encodable (for "one or many" JSON answers).
struct AnyEncodable: Encodable {
    let value: any Encodable
    init(_ value: any Encodable) { self.value = value }
    func encode(to encoder: any Encoder) throws { try value.encode(to: encoder) }
}
