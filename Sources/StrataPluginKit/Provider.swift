import StrataModel

/// A provider written in Swift: implement the calls its resources need; `PluginServer` does
/// the wire. Calls run concurrently (many requests in flight on one pipe).
public protocol Provider: Sendable {
    var name: String { get }
    var version: String { get }
    var resources: [String: ResourceSchema] { get }
    /// Data sources (read-only lookups) by type.
    var dataSources: [String: ResourceSchema] { get }
    /// At most this many calls at once; nil leaves it to the engine.
    var maxParallelism: Int? { get }

    func configure(_ request: ConfigureRequest) async throws
    func check(_ request: CheckRequest) async throws -> CheckResponse
    func diff(_ request: DiffRequest) async throws -> DiffResponse
    func create(_ request: CreateRequest, progress: ProgressReporter) async throws -> CreateResponse
    func read(_ request: ReadRequest) async throws -> ReadResponse
    func update(_ request: UpdateRequest, progress: ProgressReporter) async throws -> UpdateResponse
    func delete(_ request: DeleteRequest, progress: ProgressReporter) async throws
    func importResource(_ request: ImportRequest) async throws -> ImportResponse
    func recover(_ request: RecoverRequest) async throws -> RecoverResponse
    func lookup(_ request: LookupRequest) async throws -> LookupResponse
    /// Resources of a type carrying the given tags (drift: unmanaged resources).
    func discover(_ request: DiscoverRequest) async throws -> DiscoverResponse
}

extension Provider {
    public var maxParallelism: Int? { nil }
    public var dataSources: [String: ResourceSchema] { [:] }

    public func lookup(_ request: LookupRequest) async throws -> LookupResponse {
        throw PluginError(.unsupported, "\(name) has no data source '\(request.type)'")
    }
    public func configure(_ request: ConfigureRequest) async throws {}

    /// By default: the schema's own checks (unknown attributes, kinds, required ones).
    public func check(_ request: CheckRequest) async throws -> CheckResponse {
        guard let schema = resources[request.type] else {
            throw PluginError(.invalid, "\(name) has no resource type '\(request.type)'")
        }
        return CheckResponse(inputs: request.inputs, problems: SchemaCheck.problems(request.inputs, schema: schema))
    }

    /// By default: changed inputs, and which of them force a replacement.
    public func diff(_ request: DiffRequest) async throws -> DiffResponse {
        guard let schema = resources[request.type] else {
            throw PluginError(.invalid, "\(name) has no resource type '\(request.type)'")
        }
        var changed: [String] = []
        var replace: [String] = []
        for key in Set(request.inputs.keys).union(request.priorInputs.keys).sorted()
        where (request.inputs[key] ?? .null) != (request.priorInputs[key] ?? .null) {
            changed.append(key)
            if schema.attributes[key]?.forcesReplacement == true { replace.append(key) }
        }
        return DiffResponse(changed: changed, replace: replace)
    }

    public func importResource(_ request: ImportRequest) async throws -> ImportResponse {
        throw PluginError(.unsupported, "\(name) cannot import \(request.type)")
    }

    public func recover(_ request: RecoverRequest) async throws -> RecoverResponse {
        RecoverResponse(found: false)
    }

    /// By default: not supported (the engine then cannot look for unmanaged resources).
    public func discover(_ request: DiscoverRequest) async throws -> DiscoverResponse {
        throw PluginError(.unsupported, "\(name) cannot list \(request.type) resources by tags")
    }
}

/// Checks inputs against a schema; shared by plugins and the engine's validator.
public enum SchemaCheck {
    public static func problems(_ inputs: [String: Value], schema: ResourceSchema) -> [CheckProblem] {
        var problems: [CheckProblem] = []
        for key in inputs.keys.sorted() {
            guard let attribute = schema.attributes[key] else {
                let known = schema.attributes.filter { $0.value.isInput }.keys.sorted().joined(separator: ", ")
                problems.append(CheckProblem(attribute: key, message: "unknown attribute '\(key)' (known: \(known))"))
                continue
            }
            if attribute.mode == .computed {
                problems.append(CheckProblem(attribute: key, message: "'\(key)' is computed by the provider and cannot be set"))
            } else if let value = inputs[key], !attribute.accepts(value) {
                problems.append(CheckProblem(attribute: key, message: "'\(key)' must be a \(attribute.kind.rawValue), not a \(value.typeName)"))
            }
        }
        for (key, attribute) in schema.attributes.sorted(by: { $0.key < $1.key })
        where attribute.mode == .required && (inputs[key] == nil || inputs[key] == .null) {
            problems.append(CheckProblem(attribute: key, message: "required attribute '\(key)' is not set"))
        }
        return problems
    }
}
