import ArgumentParser
import Foundation
import StrataEngine
import StrataModel
import StrataState

extension StrataCommand {
    struct Show: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Show a saved plan file, or a stack's recorded state.",
            discussion: "Secrets are shown as (secret), in text and in JSON.")

        @OptionGroup var global: GlobalOptions
        @Argument(help: ArgumentHelp("A plan file, or a stack folder.", valueName: "plan-or-stack")) var target: String
        @Flag(help: "Print JSON.") var json = false

        func run() async throws {
            var isDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: target, isDirectory: &isDirectory) else {
                throw CommandFailure(message: "\(target): no such plan file or stack folder")
            }
            if !isDirectory.boolValue {
                let plan = try StrataEngine.Plan.read(from: URL(fileURLWithPath: target), cipher: try await global.engine().cipher)
                if json {
                    print(String(decoding: try StrataJSON.encode(PlanJSON(plan), pretty: true), as: UTF8.self))
                } else {
                    print(PlanRenderer(style: global.style).render(plan), terminator: "")
                }
                return
            }
            let engine = try await global.engine()
            let snapshot = try await engine.backend.load(engine.key(for: URL(fileURLWithPath: target).standardizedFileURL))
            if json {
                print(String(decoding: try StrataJSON.encode(PublicState(snapshot), pretty: true), as: UTF8.self))
                return
            }
            let style = global.style
            print(style.bold("State \(snapshot.key)") + " serial \(snapshot.serial), \(snapshot.resources.count) resources")
            for resource in snapshot.resources {
                print("\n" + style.bold(resource.address.description) + (resource.deposed ? " (deposed)" : "") + " id=\(resource.id)")
                for (name, value) in resource.outputs.sorted(by: { $0.key < $1.key }) {
                    print("    \(name) = \(value.rendered(secret: value.containsSecret))")
                }
            }
        }
    }

    struct Output: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Print a stack instance's outputs (secrets hidden unless --show-secrets).")

        @OptionGroup var global: GlobalOptions
        @OptionGroup var stack: StackArgument
        @Argument(help: "Print only this output's value.") var name: String?
        @Flag(help: "Print JSON.") var json = false
        @Flag(name: .customLong("show-secrets"), help: "Print secret outputs in the clear.") var showSecrets = false

        func run() async throws {
            let engine = try await global.engine()
            let snapshot = try await engine.backend.load(engine.key(for: stack.url))
            func shown(_ output: ManifestOutput) -> Value {
                (output.secret && !showSecrets) ? .string("(secret)") : output.value.revealed
            }
            if let name {
                guard let output = snapshot.outputs[name] else {
                    throw CommandFailure(message: "no output '\(name)' in \(snapshot.key) (it has: \(snapshot.outputs.keys.sorted().joined(separator: ", ")))")
                }
                let value = shown(output)
                if json {
                    print(String(decoding: try StrataJSON.encode(value), as: UTF8.self))
                } else if case .string(let s) = value {
                    print(s)
                } else {
                    print(value.rendered())
                }
                return
            }
            if json {
                print(String(decoding: try StrataJSON.encode(snapshot.outputs.mapValues(shown), pretty: true), as: UTF8.self))
            } else {
                for (key, output) in snapshot.outputs.sorted(by: { $0.key < $1.key }) {
                    print("\(key) = \(shown(output).rendered())")
                }
            }
        }
    }

    struct Graph: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Print the stack's dependency graph as Mermaid or Graphviz dot.")

        enum Format: String, ExpressibleByArgument, CaseIterable { case mermaid, dot }

        @OptionGroup var global: GlobalOptions
        @OptionGroup var stack: StackArgument
        @Option(help: "mermaid or dot.") var format: Format = .mermaid

        func run() async throws {
            let engine = try await global.engine()
            let manifest = try await Self.withEngine(engine) { try await $0.loadForCommand(stack, style: global.style) }
            print(GraphRenderer.render(manifest, format: format == .mermaid ? .mermaid : .dot), terminator: "")
        }
    }

    struct ForceUnlock: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "force-unlock",
            abstract: "Remove a stack instance's lock, whoever holds it.",
            discussion: "Only when the holder is gone for good: two runs writing one state at once can lose resources.")

        @OptionGroup var global: GlobalOptions
        @OptionGroup var stack: StackArgument

        func run() async throws {
            let engine = try await global.engine()
            let key = engine.key(for: stack.url)
            if let holder = try await engine.backend.forceUnlock(key) {
                print("Unlocked \(key) (it was held: \(holder)).")
            } else {
                print("\(key) was not locked.")
            }
        }
    }
}

/// The state as shown to people and scripts: secrets hidden.
struct PublicState: Encodable {
    struct Resource: Encodable {
        var address: String
        var type: String
        var provider: String
        var id: String
        var deposed: Bool
        var attributes: [String: Value]
        var dependencies: [String]
    }
    var stack: String
    var instance: String
    var serial: Int
    var lineage: String
    var resources: [Resource]
    var outputs: [String: Value]

    init(_ snapshot: StateSnapshot) {
        stack = snapshot.key.stack
        instance = snapshot.key.instance
        serial = snapshot.serial
        lineage = snapshot.lineage
        resources = snapshot.resources.map {
            Resource(address: $0.address.description, type: $0.type, provider: $0.provider, id: $0.id, deposed: $0.deposed,
                     attributes: $0.outputs.mapValues(PlanJSON.publicValue), dependencies: $0.dependencies.map(\.description))
        }
        outputs = snapshot.outputs.mapValues { $0.secret ? .string("(secret)") : PlanJSON.publicValue($0.value) }
    }
}
