import ArgumentParser
import Foundation
import StrataEngine
import StrataModel

extension StrataCommand {
    /// `strata providers`: the plugins found (`list`, the default) and the lock file that pins
    /// them (`lock`).
    struct Providers: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "List the provider plugins found, or pin a stack's plugins by SHA-256.",
            discussion: "Plugins are executables named strata-provider-NAME in --plugin-dir, $STRATA_PLUGIN_PATH, next to strata, and ~/.strata/plugins.",
            subcommands: [List.self, Lock.self],
            defaultSubcommand: List.self)

        struct List: AsyncParsableCommand {
            static let configuration = CommandConfiguration(abstract: "List the provider plugins found, their versions and resource types.")

            @OptionGroup var global: GlobalOptions
            @Flag(help: "Print JSON, with the full schemas.") var json = false

            func run() async throws {
                let engine = try await global.engine()
                let found = engine.registry.searchPath.discover()
                var schemas: [String: ProviderSchema] = [:]
                var failures: [String: String] = [:]
                try await Self.withEngine(engine) { engine in
                    for name in found.keys.sorted() {
                        do { schemas[name] = try await engine.registry.provider(name).schema } catch { failures[name] = userMessage(error) }
                    }
                }
                if json {
                    print(String(decoding: try StrataJSON.encode(schemas, pretty: true), as: UTF8.self))
                    return
                }
                if found.isEmpty { print("No provider plugins found in: " + engine.registry.searchPath.directories.map(\.path).joined(separator: ", ")) }
                for (name, url) in found.sorted(by: { $0.key < $1.key }) {
                    if let schema = schemas[name] {
                        print("\(global.style.bold(name)) \(schema.version) (protocol v\(schema.protocolVersion)) \(global.style.dim(url.path))")
                        for (type, resource) in schema.resources.sorted(by: { $0.key < $1.key }) {
                            print("  \(type)" + (resource.description.map { global.style.dim("  \($0)") } ?? ""))
                        }
                    } else {
                        print("\(global.style.bold(name)) \(global.style.red("failed to start")): \(failures[name] ?? "")")
                    }
                }
            }
        }

        /// `strata providers lock STACK`: writes `STACK/strata.lock.json`.
        struct Lock: AsyncParsableCommand {
            static let configuration = CommandConfiguration(
                abstract: "Pin the provider plugins a stack uses by SHA-256, in STACK/strata.lock.json.",
                discussion: """
                    Every later run of the stack (validate, plan, apply, destroy, import, drift, tenants) \
                    checks each plugin's SHA-256 against the lock before starting it, and refuses a \
                    binary that differs. Run this again after upgrading or rebuilding a plugin, and \
                    commit the lock file with the stack.
                    """)

            @OptionGroup var global: GlobalOptions
            @Argument(help: ArgumentHelp("The stack folder (holding main.swift).", valueName: "stack"))
            var path: String = "."

            func run() async throws {
                let directory = URL(fileURLWithPath: path).standardizedFileURL
                let engine = try await global.engine(checksProviderLock: false)
                let previous = try? ProviderLock.load(stack: directory)
                let lock = try await Self.withEngine(engine) { engine -> ProviderLock in
                    let manifest = try await engine.loadForCommand(directory, displayPath: path, style: global.style)
                    var entries: [String: ProviderLock.Entry] = [:]
                    for name in Engine.pluginNames(manifest).sorted() {
                        guard let url = engine.registry.searchPath.locate(name) else {
                            throw ProviderError.notFound(name, searched: engine.registry.searchPath.directories)
                        }
                        let digest = try PluginDigests.sha256(of: url)
                        let schema = try await engine.registry.provider(name).schema
                        entries[name] = ProviderLock.Entry(version: schema.version, path: url.path, sha256: digest)
                    }
                    return ProviderLock(providers: entries)
                }
                try lock.write(stack: directory)
                let style = global.style
                let file = ProviderLock.url(forStack: URL(fileURLWithPath: path)).relativePath
                print("Locked \(lock.providers.count) provider plugin(s) in \(file):")
                for (name, entry) in lock.providers.sorted(by: { $0.key < $1.key }) {
                    var note = ""
                    if let old = previous?.providers[name] {
                        if old.sha256 != entry.sha256 { note = style.yellow("  (changed: was \(old.sha256.prefix(16))…)") }
                    } else if previous != nil {
                        note = style.green("  (new)")
                    }
                    print("  \(style.bold(name)) \(entry.version) sha256:\(entry.sha256) \(style.dim(entry.path))\(note)")
                }
                for name in (previous?.providers.keys.sorted() ?? []) where lock.providers[name] == nil {
                    print(style.dim("  \(name): removed (the stack no longer uses it)"))
                }
            }
        }
    }
}
