/// What a provider says about one resource type: its attributes and how they behave.
public struct ResourceSchema: Sendable, Hashable, Codable {
    public var description: String?
    public var attributes: [String: AttributeSchema]
    /// A typical create time in seconds; the executor starts long chains first with it.
    public var typicalCreateSeconds: Double?
    /// The provider implements `diff` for this type; otherwise the engine diffs by the schema.
    public var customDiff: Bool?

    public init(
        description: String? = nil, attributes: [String: AttributeSchema],
        typicalCreateSeconds: Double? = nil, customDiff: Bool? = nil
    ) {
        self.description = description
        self.attributes = attributes
        self.typicalCreateSeconds = typicalCreateSeconds
        self.customDiff = customDiff
    }
}

public struct AttributeSchema: Sendable, Hashable, Codable {
    public enum Kind: String, Sendable, Hashable, Codable {
        case string, number, bool, list, map, any
    }

    public enum Mode: String, Sendable, Hashable, Codable {
        /// The stack must set it.
        case required
        /// The stack may set it; the provider never does.
        case optional
        /// Only the provider sets it (an output such as `id`).
        case computed
        /// The stack may set it; if not, the provider does.
        case optionalComputed
    }

    public var kind: Kind
    public var mode: Mode
    public var forcesReplacement: Bool
    public var secret: Bool
    public var description: String?

    public init(
        _ kind: Kind, _ mode: Mode, forcesReplacement: Bool = false, secret: Bool = false,
        description: String? = nil
    ) {
        self.kind = kind
        self.mode = mode
        self.forcesReplacement = forcesReplacement
        self.secret = secret
        self.description = description
    }

    public var isInput: Bool { mode != .computed }
    public var isComputed: Bool { mode == .computed || mode == .optionalComputed }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        kind = try c.decode(Kind.self, forKey: .kind)
        mode = try c.decode(Mode.self, forKey: .mode)
        forcesReplacement = try c.decodeIfPresent(Bool.self, forKey: .forcesReplacement) ?? false
        secret = try c.decodeIfPresent(Bool.self, forKey: .secret) ?? false
        description = try c.decodeIfPresent(String.self, forKey: .description)
    }

    /// Does `value` fit this attribute's kind? Unknowns and references fit anything.
    public func accepts(_ value: Value) -> Bool {
        switch value {
        case .unknown, .reference, .null: return true
        case .secret(let inner): return accepts(inner)
        default: break
        }
        switch kind {
        case .any: return true
        case .string:
            if case .string = value { return true }
            if case .template = value { return true }
            return false
        case .number:
            if case .number = value { return true }
            return false
        case .bool:
            if case .bool = value { return true }
            return false
        case .list:
            if case .list = value { return true }
            return false
        case .map:
            if case .map = value { return true }
            return false
        }
    }
}

/// What a plugin answers to `initialize`.
public struct ProviderSchema: Sendable, Hashable, Codable {
    public var name: String
    public var version: String
    public var protocolVersion: Int
    public var resources: [String: ResourceSchema]
    /// Read-only lookups (`lookup` calls), by type: inputs are the query, computed
    /// attributes the answer.
    public var dataSources: [String: ResourceSchema]?
    /// At most this many calls at once to this plugin; nil means the engine's limit alone.
    public var maxParallelism: Int?

    public init(
        name: String, version: String, protocolVersion: Int, resources: [String: ResourceSchema],
        maxParallelism: Int? = nil, dataSources: [String: ResourceSchema]? = nil
    ) {
        self.dataSources = dataSources
        self.name = name
        self.version = version
        self.protocolVersion = protocolVersion
        self.resources = resources
        self.maxParallelism = maxParallelism
    }
}
