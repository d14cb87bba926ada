import Foundation
import StrataModel
import StrataPluginKit
import StrataPostgresState
import StrataState

/// The stages of a run, named: load the stack → plan against the state → apply the plan.
/// The CLI is a thin layer over this.
public struct Engine: Sendable {
    public struct Configuration: Sendable {
        public var workingDirectory: URL
        public var stateURL: String?
        public var instance: String
        public var variables: [String: String]
        public var pluginDirectories: [String]
        public var parallelism: Int
        public var lockTimeout: Double
        public var pluginTimeout: Double
        /// Whether loading a stack enforces its `strata.lock.json` (off only for
        /// `strata providers lock`, which writes it).
        public var checksProviderLock = true

        public init(workingDirectory: URL, stateURL: String?, instance: String, variables: [String: String],
                    pluginDirectories: [String], parallelism: Int, lockTimeout: Double, pluginTimeout: Double) {
            self.workingDirectory = workingDirectory
            self.stateURL = stateURL
            self.instance = instance
            self.variables = variables
            self.pluginDirectories = pluginDirectories
            self.parallelism = parallelism
            self.lockTimeout = lockTimeout
            self.pluginTimeout = pluginTimeout
        }
    }

    public let configuration: Configuration
    public let backend: any StateBackend
    /// Seals secrets at rest: in the state and in saved plans.
    public let cipher: SecretCipher
    public let registry: ProviderRegistry
    /// The stack already compiled (the fleet compiles once for every tenant); `load` runs it
    /// instead of looking in the cache when it is for the same folder.
    public var compiledStack: StackLoader.CompiledStack? = nil

    /// The engine on the state `configuration` names (a SQLite file, `postgres://`, `s3://`),
    /// with the key that seals its secrets, from KMS too (`STRATA_STATE_KMS_KEY`, which takes
    /// calls to KMS and to the state: `StateBackendOpener.openResolvingKey`).
    public static func open(configuration: Configuration, progress: (@Sendable (String, Int, String) -> Void)? = nil) async throws -> Engine {
        let (backend, cipher) = try await StateBackendOpener.openResolvingKey(url: configuration.stateURL, workingDirectory: configuration.workingDirectory)
        let registry = ProviderRegistry(
            searchPath: PluginSearchPath(extra: configuration.pluginDirectories),
            workingDirectory: configuration.workingDirectory, callTimeout: configuration.pluginTimeout, progress: progress)
        return Engine(configuration: configuration, backend: backend, registry: registry, cipher: cipher)
    }

    /// The stack's name: its folder's name, lower-cased.
    public static func stackName(of directory: URL) -> String {
        directory.standardizedFileURL.lastPathComponent.lowercased()
    }

    public func key(for directory: URL) -> InstanceKey {
        InstanceKey(stack: Engine.stackName(of: directory), instance: configuration.instance)
    }

    // MARK: Stages

    public func load(_ directory: URL, knownValues: [String: [String: Value]]? = nil) throws -> StackLoader.Result {
        let loader = try StackLoader.standard()
        let request = StackLoader.Request(directory: directory, stackName: Engine.stackName(of: directory), instance: configuration.instance,
                                          variables: configuration.variables, knownValues: knownValues)
        let result: StackLoader.Result
        if let compiledStack, compiledStack.directory.standardizedFileURL == directory.standardizedFileURL {
            result = try loader.run(compiledStack, request)
        } else {
            result = try loader.load(request)
        }
        if configuration.checksProviderLock {
            try registry.pins.requireLock(ofStack: directory, uses: Engine.pluginNames(result.manifest))
        }
        return result
    }

    /// Enforces the stack's `strata.lock.json`, if it has one, for every plugin this run starts
    /// from now on (and those it already started). Loading a stack does it too; call it first
    /// where plugins start before the stack is loaded (recovery, saved plans).
    public func requireProviderLock(ofStack directory: URL) throws {
        guard configuration.checksProviderLock else { return }
        try registry.pins.requireLock(ofStack: directory)
    }

    /// The plugins a manifest uses, by name (`aws`, not `aws.eu`).
    public static func pluginNames(_ manifest: Manifest) -> Set<String> {
        Set((manifest.resources.map(\.providerKey) + manifest.dataSources.map(\.providerKey) + manifest.providers.map(\.key))
            .map { ProviderInstance.pluginName(ofKey: $0) })
    }

    /// Loads a stack; when some of its checks need values that the state has, runs it once
    /// more with those values, so the checks are decided at plan time where they can be.
    public func loadWithChecks(_ directory: URL) async throws -> StackLoader.Result {
        let first = try load(directory)
        guard first.manifest.checks.contains(where: { $0.status == .deferred && $0.kind == .precondition }) else { return first }
        let snapshot = try await backend.load(key(for: directory))
        guard !snapshot.resources.isEmpty else { return first }
        return try load(directory, knownValues: Engine.knownValues(snapshot))
    }

    /// Checks after an apply: the stack runs again with the values now in the state. The
    /// checks that fail, if any.
    public func failedChecksAfterApply(_ directory: URL) async throws -> [CheckResult] {
        let snapshot = try await backend.load(key(for: directory))
        let result = try load(directory, knownValues: Engine.knownValues(snapshot))
        return result.manifest.checks.filter { $0.status == .failed }
    }

    static func knownValues(_ snapshot: StateSnapshot) -> [String: [String: Value]] {
        var values: [String: [String: Value]] = [:]
        for resource in snapshot.resources where !resource.deposed { values[resource.address.description] = resource.outputs }
        return values
    }

    /// Validates a manifest against the provider schemas; the diagnostics, errors first.
    public func validate(_ manifest: Manifest) async throws -> [Diagnostic] {
        await registry.configure(manifest.providers)
        let providers = Set((manifest.resources + manifest.dataSources).map(\.providerKey))
        var diagnostics: [Diagnostic] = []
        var schemas: [String: ProviderSchema] = [:]
        for name in providers.sorted() {
            do {
                schemas[ProviderInstance.pluginName(ofKey: name)] = try await registry.provider(name).schema
            } catch {
                diagnostics.append(Diagnostic(.error, "\(error)"))
            }
        }
        diagnostics += Validator(schemas: schemas).validate(manifest).filter { d in
            !(d.message.hasPrefix("no provider '") && !diagnostics.isEmpty)
        }
        return diagnostics.sorted { ($0.severity == .error ? 0 : 1) < ($1.severity == .error ? 0 : 1) }
    }

    public func plan(_ manifest: Manifest, directory: URL, options: Planner.Options) async throws -> Plan {
        let key = self.key(for: directory)
        let snapshot = try await Timings.measure("state: load") { try await backend.load(key) }
        let intents = try await backend.pendingIntents(key)
        var options = options
        options.parallelism = configuration.parallelism
        return try await Planner(registry: registry, backend: backend).plan(
            manifest: manifest, snapshot: snapshot, stackDirectory: directory.path, variables: configuration.variables,
            options: options, pendingIntents: intents.count)
    }

    /// Finds what interrupted creates made, and records it (must hold the lock).
    /// Returns the addresses adopted. `providers`: the stack's provider configurations, sent
    /// to a plugin started here (one configured by the stack, not its environment, needs them).
    public func recover(_ key: InstanceKey, configuring providers: [ProviderInstance] = []) async throws -> [ResourceAddress] {
        await registry.configure(providers)
        let intents = try await backend.pendingIntents(key)
        guard !intents.isEmpty else { return [] }
        let snapshot = try await backend.load(key)
        var adopted: [ResourceAddress] = []
        for intent in intents {
            let handle = try await registry.provider(intent.provider)
            let response = try await Retry.run(handle) {
                try await handle.client.call(.recover, RecoverRequest(type: intent.address.type, token: intent.token, inputs: handle.client.reveal(intent.inputs)), as: RecoverResponse.self, timeout: 120)
            }
            if response.found, let id = response.id {
                let occupied = snapshot.resources.contains { $0.address == intent.address && !$0.deposed && $0.id != id }
                let outputs = Executor.secretsKept(Planner.markSecrets(response.outputs ?? [:], schema: handle.schema.resources[intent.address.type]), inputs: intent.inputs)
                var state = ResourceState(address: intent.address, provider: intent.provider, id: id, inputs: intent.inputs, outputs: outputs, dependencies: intent.inputs.values.flatMap(\.references).map(\.address))
                // If the address is taken (the old copy of a replacement), the found one waits as deposed.
                state.deposed = occupied
                try await backend.write(key, .put(state, intentToken: intent.token, action: "adopt after crash"))
                adopted.append(intent.address)
            } else {
                try await backend.clearIntent(key, token: intent.token)
            }
        }
        return adopted
    }

    /// Applies a plan under the instance's lock (taken, renewed and released here).
    public func apply(_ plan: Plan, interrupt: Interrupt, observer: (any ApplyObserver)?) async throws -> ApplyReport {
        let snapshot = try await backend.load(plan.key)
        guard snapshot.lineage == plan.stateLineage || snapshot.serial == 0 else {
            throw PlanError.foreignState(planLineage: plan.stateLineage, stateLineage: snapshot.lineage)
        }
        guard snapshot.serial == plan.stateSerial else {
            throw PlanError.stale(planSerial: plan.stateSerial, stateSerial: snapshot.serial)
        }
        // Where it was applied from, for `strata drift --all` (not state: no serial bump).
        if !plan.destroy, !plan.stackDirectory.isEmpty {
            try? await backend.recordOrigin(plan.key, InstanceOrigin(stackDirectory: plan.stackDirectory, variables: plan.variables))
        }
        let executor = Executor(registry: registry, backend: backend, parallelism: configuration.parallelism, interrupt: interrupt, observer: observer)
        return try await executor.apply(plan, recordedOutputs: snapshot.outputs)
    }

    /// Runs `body` holding the instance's lock, renewing its lease while it runs.
    public func withLock<T: Sendable>(_ key: InstanceKey, operation: String, _ body: @Sendable () async throws -> T) async throws -> T {
        let lease: Duration = .seconds(60)
        _ = try await backend.lock(key, operation: operation, timeout: .milliseconds(Int(configuration.lockTimeout * 1000)), lease: lease)
        let backend = self.backend
        let renewer = Task {
            while !Task.isCancelled {
                try? await Task.sleep(nanoseconds: 20_000_000_000)
                if Task.isCancelled { break }
                try? await backend.renew(key, lease: lease)
            }
        }
        do {
            let result = try await body()
            renewer.cancel()
            try? await backend.unlock(key)
            return result
        } catch {
            renewer.cancel()
            try? await backend.unlock(key)
            throw error
        }
    }

    public func shutdown() async {
        await registry.shutdownAll()
        // Closing the SQLite file folds its write-ahead log back in, so no -wal is left behind;
        // a PostgreSQL backend closes its connections.
        try? await backend.close()
    }
}

extension Engine {
    /// Brings an existing resource under management: asks its provider for it by id and
    /// records it at `address` (which the stack should declare). Must hold the lock.
    public func importResource(_ address: ResourceAddress, id: String, manifest: Manifest, key: InstanceKey) async throws -> ResourceState {
        let snapshot = try await backend.load(key)
        if snapshot.resources.contains(where: { $0.address == address && !$0.deposed }) {
            throw ImportError.alreadyManaged(address)
        }
        guard let declared = manifest.resources.first(where: { $0.address == address }) else {
            throw ImportError.notDeclared(address, manifest.resources.filter { $0.type == address.type }.map(\.address))
        }
        await registry.configure(manifest.providers)
        let handle = try await registry.provider(declared.providerKey)
        guard handle.schema.resources[address.type] != nil else {
            throw ImportError.unknownType(address.type, handle.name)
        }
        let response = try await Retry.run(handle) {
            try await handle.client.call(.importResource, ImportRequest(type: address.type, id: id), as: ImportResponse.self, timeout: registry.callTimeout)
        }
        let schema = handle.schema.resources[address.type]
        let state = ResourceState(address: address, provider: declared.providerKey, id: id,
                                  inputs: Planner.markSecrets(response.inputs, schema: schema),
                                  outputs: Planner.markSecrets(response.outputs, schema: schema),
                                  dependencies: declared.dependencies)
        try await backend.write(key, .put(state, intentToken: nil, action: "import"))
        return state
    }
}

public enum ImportError: Error, Sendable, CustomStringConvertible {
    case alreadyManaged(ResourceAddress)
    case notDeclared(ResourceAddress, [ResourceAddress])
    case unknownType(String, String)

    public var description: String {
        switch self {
        case .alreadyManaged(let address):
            return "\(address) is already in the state; `strata state rm` it first to import another resource there"
        case .notDeclared(let address, let candidates):
            let hint = candidates.isEmpty ? "" : " (the stack declares: \(candidates.map(\.description).joined(separator: ", ")))"
            return "\(address) is not declared in the stack: declare it first, then import\(hint)"
        case .unknownType(let type, let provider): return "provider \(provider) has no resource type \(type)"
        }
    }
}
