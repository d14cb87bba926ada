import Foundation
import StrataModel
import StrataPluginKit

/// `strata-provider-postgresql`: databases, roles, schemas, grants and extensions on a
/// PostgreSQL server, configured like psql (settings, a URL, or PGHOST/PGPORT/PGUSER/…).
///
/// Names are the identity of PostgreSQL objects, so each id is derived from its inputs, and
/// databases, roles and schemas carry the engine's tags in their comment (`StrataComment`):
/// a create retried with the same token takes over what the first try made, `recover` finds
/// it, and `discover` lists what a stack instance made (drift). Grants and extensions cannot
/// carry tags: they are found by their identity alone.
struct PostgresProvider: Provider {
    let name = "postgresql"
    let version = "0.1.0"
    let store = ConnectionStore()
    let types: [String: any PostgresResource]

    init() {
        let all: [any PostgresResource] = [
            DatabaseResource(), RoleResource(), SchemaResource(), GrantResource(), ExtensionResource(),
        ]
        types = Dictionary(uniqueKeysWithValues: all.map { ($0.type, $0) })
    }

    var resources: [String: ResourceSchema] { types.mapValues(\.schema) }
    var maxParallelism: Int? { 8 }

    func configure(_ request: ConfigureRequest) async throws {
        try store.configure(request.config)
    }

    func check(_ request: CheckRequest) async throws -> CheckResponse {
        let resource = try type(request.type)
        let problems = SchemaCheck.problems(request.inputs, schema: resource.schema) + resource.check(Inputs(request.inputs))
        return CheckResponse(inputs: request.inputs, problems: problems)
    }

    func create(_ request: CreateRequest, progress: ProgressReporter) async throws -> CreateResponse {
        let (resource, context) = try prepare(request.type, progress)
        let inputs = Inputs(request.inputs)
        let id = try resource.id(for: inputs)
        return try await calling("creating \(request.type) \(id)") {
            if try await resource.read(id: id, recorded: inputs, in: context) != nil {
                if resource.takesOverExisting {
                    // Privileges are not an object: granting them again sets them as declared.
                    try await resource.create(inputs, comment: StrataComment(tags: request.tags), in: context)
                } else if let comment = try await resource.comment(id: id, in: context), comment.token == request.token {
                    progress.report("found \(id), made by an earlier try of this create")
                } else {
                    throw PluginError(
                        .conflict,
                        "\(request.type) \(id) exists already and this stack did not make it: import it (strata import STACK \(request.tags["strata:address"] ?? "ADDRESS") '\(id)') or choose another name",
                        providerCode: "exists")
                }
            } else {
                try await resource.create(inputs, comment: StrataComment(tags: request.tags), in: context)
            }
            guard let outputs = try await resource.read(id: id, recorded: inputs, in: context) else {
                throw PluginError(.retryable, "\(request.type) \(id) was created but cannot be read back")
            }
            return CreateResponse(id: id, outputs: outputs)
        }
    }

    func read(_ request: ReadRequest) async throws -> ReadResponse {
        let (resource, context) = try prepare(request.type, .none)
        return try await calling("reading \(request.type) \(request.id)") {
            guard let outputs = try await resource.read(id: request.id, recorded: Inputs(request.inputs), in: context) else {
                return ReadResponse(exists: false)
            }
            return ReadResponse(exists: true, outputs: outputs)
        }
    }

    func update(_ request: UpdateRequest, progress: ProgressReporter) async throws -> UpdateResponse {
        let (resource, context) = try prepare(request.type, progress)
        let inputs = Inputs(request.inputs)
        return try await calling("updating \(request.type) \(request.id)") {
            try await resource.update(id: request.id, prior: Inputs(request.priorInputs), inputs: inputs, in: context)
            guard let outputs = try await resource.read(id: request.id, recorded: inputs, in: context) else {
                throw PluginError(.notFound, "\(request.type) \(request.id) does not exist any more")
            }
            return UpdateResponse(outputs: outputs)
        }
    }

    func delete(_ request: DeleteRequest, progress: ProgressReporter) async throws {
        let (resource, context) = try prepare(request.type, progress)
        try await calling("dropping \(request.type) \(request.id)") {
            try await resource.delete(id: request.id, inputs: Inputs(request.inputs), in: context)
        }
    }

    func importResource(_ request: ImportRequest) async throws -> ImportResponse {
        let (resource, context) = try prepare(request.type, .none)
        return try await calling("importing \(request.type) \(request.id)") {
            guard let outputs = try await resource.read(id: request.id, recorded: nil, in: context) else {
                throw PluginError(.notFound, "\(request.type) \(request.id) does not exist on \(context.settings)")
            }
            let inputs = outputs.filter { resource.schema.attributes[$0.key]?.isInput == true && $0.value != .null }
            return ImportResponse(inputs: inputs, outputs: outputs)
        }
    }

    func recover(_ request: RecoverRequest) async throws -> RecoverResponse {
        let (resource, context) = try prepare(request.type, .none)
        let inputs = Inputs(request.inputs)
        guard let id = try? resource.id(for: inputs) else { return RecoverResponse(found: false) }
        return try await calling("recovering \(request.type) \(id)") {
            guard let outputs = try await resource.read(id: id, recorded: inputs, in: context) else { return RecoverResponse(found: false) }
            // Tagged types: only what this token made. The others: what is there by that name.
            if resource.tagged, try await resource.comment(id: id, in: context)?.token != request.token {
                return RecoverResponse(found: false)
            }
            return RecoverResponse(found: true, id: id, outputs: outputs)
        }
    }

    func discover(_ request: DiscoverRequest) async throws -> DiscoverResponse {
        let (resource, context) = try prepare(request.type, .none)
        return try await calling("listing \(request.type)") {
            let found = try await resource.discover(tags: request.tags, in: context)
            return DiscoverResponse(resources: found.sorted { $0.id < $1.id })
        }
    }

    // MARK: Helpers

    private func type(_ name: String) throws -> any PostgresResource {
        guard let resource = types[name] else {
            throw PluginError(.invalid, "postgresql has no resource type '\(name)' (known: \(types.keys.sorted().joined(separator: ", ")))")
        }
        return resource
    }

    private func prepare(_ name: String, _ progress: ProgressReporter) throws -> (any PostgresResource, Context) {
        (try type(name), Context(connections: try store.get(), progress: progress))
    }

    /// PostgreSQL's errors in the protocol's words, saying what was being done.
    private func calling<T>(_ doing: String, _ body: () async throws -> T) async throws -> T {
        do {
            return try await body()
        } catch {
            throw PostgresFailure.pluginError(error, doing: doing)
        }
    }
}

/// The provider's settings: from `configure` if the engine sends it, else from the
/// environment the first time a call needs the server.
final class ConnectionStore: @unchecked Sendable {
    private let lock = NSLock()
    private var connections: Connections?
    private let environment: [String: String]

    init(environment: [String: String] = ProcessInfo.processInfo.environment) {
        self.environment = environment
    }

    func configure(_ config: [String: Value]) throws {
        let settings = try ConnectionSettings(config: config, environment: environment)
        lock.withLock { connections = Connections(settings: settings) }
    }

    func get() throws -> Connections {
        try lock.withLock {
            if let connections { return connections }
            let made = Connections(settings: try ConnectionSettings(environment: environment))
            connections = made
            return made
        }
    }
}
