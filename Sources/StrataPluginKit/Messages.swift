import StrataModel

/// Plugin protocol v1: one request and one response type per call (docs/plugin-protocol.md).
public enum PluginProtocol {
    public static let version = 1
    /// Set by the engine when it starts a plugin; a plugin run by hand without it says what it is.
    public static let environmentVariable = "STRATA_PLUGIN_PROTOCOL"
}

public enum PluginMethod: String, Sendable, Codable, CaseIterable {
    case initialize, configure, check, diff, create, read, update, delete
    case importResource = "import"
    case recover, shutdown
    /// Optional (answered `unsupported` by plugins that predate it): list resources by tags.
    case discover
    case lookup
}

public struct InitializeRequest: Sendable, Codable {
    public var protocolVersion: Int
    public var engineVersion: String
    public init(protocolVersion: Int = PluginProtocol.version, engineVersion: String) {
        self.protocolVersion = protocolVersion
        self.engineVersion = engineVersion
    }
}
public typealias InitializeResponse = ProviderSchema

public struct ConfigureRequest: Sendable, Codable {
    public var config: [String: Value]
    public init(config: [String: Value]) { self.config = config }
}

public struct EmptyResponse: Sendable, Codable {
    public init() {}
}

/// Validate and normalise a resource's inputs before planning.
public struct CheckRequest: Sendable, Codable {
    public var type: String
    public var inputs: [String: Value]
    public init(type: String, inputs: [String: Value]) {
        self.type = type
        self.inputs = inputs
    }
}
public struct CheckResponse: Sendable, Codable {
    public var inputs: [String: Value]
    public var problems: [CheckProblem]
    /// How long a create of this resource should take, if the provider can tell; the
    /// executor starts long chains first with it.
    public var estimatedSeconds: Double?
    public init(inputs: [String: Value], problems: [CheckProblem] = [], estimatedSeconds: Double? = nil) {
        self.inputs = inputs
        self.problems = problems
        self.estimatedSeconds = estimatedSeconds
    }
}
public struct CheckProblem: Sendable, Codable, Hashable {
    public var attribute: String?
    public var message: String
    public init(attribute: String?, message: String) {
        self.attribute = attribute
        self.message = message
    }
}

/// Only for types whose schema says `customDiff`; otherwise the engine diffs by the schema.
public struct DiffRequest: Sendable, Codable {
    public var type: String
    public var id: String
    public var priorInputs: [String: Value]
    public var priorOutputs: [String: Value]
    public var inputs: [String: Value]
    public init(type: String, id: String, priorInputs: [String: Value], priorOutputs: [String: Value], inputs: [String: Value]) {
        self.type = type
        self.id = id
        self.priorInputs = priorInputs
        self.priorOutputs = priorOutputs
        self.inputs = inputs
    }
}
public struct DiffResponse: Sendable, Codable {
    /// Attributes that change.
    public var changed: [String]
    /// Of those, the ones that force a replacement.
    public var replace: [String]
    public init(changed: [String], replace: [String]) {
        self.changed = changed
        self.replace = replace
    }
}

public struct CreateRequest: Sendable, Codable {
    public var type: String
    public var inputs: [String: Value]
    /// Idempotency token: journaled by the engine before the call, so that `recover` can find
    /// the resource if the engine dies before it records the answer.
    public var token: String
    /// Tags the provider should put on the resource where the cloud has tags
    /// (`strata:stack`, `strata:instance`, `strata:address`, `strata:token`).
    public var tags: [String: String]
    public init(type: String, inputs: [String: Value], token: String, tags: [String: String]) {
        self.type = type
        self.inputs = inputs
        self.token = token
        self.tags = tags
    }
}
public struct CreateResponse: Sendable, Codable {
    public var id: String
    /// Every attribute of the new resource: inputs and computed values.
    public var outputs: [String: Value]
    public init(id: String, outputs: [String: Value]) {
        self.id = id
        self.outputs = outputs
    }
}

public struct ReadRequest: Sendable, Codable {
    public var type: String
    public var id: String
    public var inputs: [String: Value]
    public var outputs: [String: Value]
    public init(type: String, id: String, inputs: [String: Value], outputs: [String: Value]) {
        self.type = type
        self.id = id
        self.inputs = inputs
        self.outputs = outputs
    }
}
public struct ReadResponse: Sendable, Codable {
    /// False when the resource is gone.
    public var exists: Bool
    /// Every attribute as the cloud has it now.
    public var outputs: [String: Value]
    public init(exists: Bool, outputs: [String: Value] = [:]) {
        self.exists = exists
        self.outputs = outputs
    }
}

public struct UpdateRequest: Sendable, Codable {
    public var type: String
    public var id: String
    public var priorInputs: [String: Value]
    public var priorOutputs: [String: Value]
    public var inputs: [String: Value]
    public init(type: String, id: String, priorInputs: [String: Value], priorOutputs: [String: Value], inputs: [String: Value]) {
        self.type = type
        self.id = id
        self.priorInputs = priorInputs
        self.priorOutputs = priorOutputs
        self.inputs = inputs
    }
}
public struct UpdateResponse: Sendable, Codable {
    public var outputs: [String: Value]
    public init(outputs: [String: Value]) { self.outputs = outputs }
}

public struct DeleteRequest: Sendable, Codable {
    public var type: String
    public var id: String
    public var inputs: [String: Value]
    public var outputs: [String: Value]
    public init(type: String, id: String, inputs: [String: Value], outputs: [String: Value]) {
        self.type = type
        self.id = id
        self.inputs = inputs
        self.outputs = outputs
    }
}

public struct ImportRequest: Sendable, Codable {
    public var type: String
    public var id: String
    public init(type: String, id: String) {
        self.type = type
        self.id = id
    }
}
public struct ImportResponse: Sendable, Codable {
    public var inputs: [String: Value]
    public var outputs: [String: Value]
    public init(inputs: [String: Value], outputs: [String: Value]) {
        self.inputs = inputs
        self.outputs = outputs
    }
}

/// Find a resource that a `create` with this token made, if any (crash recovery).
public struct RecoverRequest: Sendable, Codable {
    public var type: String
    public var token: String
    public var inputs: [String: Value]
    public init(type: String, token: String, inputs: [String: Value]) {
        self.type = type
        self.token = token
        self.inputs = inputs
    }
}
public struct RecoverResponse: Sendable, Codable {
    public var found: Bool
    public var id: String?
    public var outputs: [String: Value]?
    public init(found: Bool, id: String? = nil, outputs: [String: Value]? = nil) {
        self.found = found
        self.id = id
        self.outputs = outputs
    }
}

/// List the resources of one type that carry every one of these tags (drift detection:
/// resources tagged for a stack instance that its state does not know).
public struct DiscoverRequest: Sendable, Codable {
    public var type: String
    /// Every tag must be present with this value; resources may carry more tags.
    public var tags: [String: String]
    public init(type: String, tags: [String: String]) {
        self.type = type
        self.tags = tags
    }
}
public struct DiscoverResponse: Sendable, Codable {
    public var resources: [DiscoveredResource]
    public init(resources: [DiscoveredResource]) { self.resources = resources }
}
public struct DiscoveredResource: Sendable, Codable, Hashable {
    public var id: String
    /// Every attribute as the cloud has it now, as `read` would answer.
    public var outputs: [String: Value]
    /// All of the resource's tags (not only the ones asked for).
    public var tags: [String: String]
    public init(id: String, outputs: [String: Value], tags: [String: String]) {
        self.id = id
        self.outputs = outputs
        self.tags = tags
    }
}

/// Reads a data source: a query in, what it finds out. Never creates anything.
public struct LookupRequest: Sendable, Codable {
    public var type: String
    public var inputs: [String: Value]
    public init(type: String, inputs: [String: Value]) {
        self.type = type
        self.inputs = inputs
    }
}
public struct LookupResponse: Sendable, Codable {
    /// The query's inputs and the attributes found.
    public var outputs: [String: Value]
    public init(outputs: [String: Value]) { self.outputs = outputs }
}

/// Notification plugin → engine while a call runs.
public struct ProgressNotification: Sendable, Codable {
    /// The id of the request this is about.
    public var id: Int
    public var message: String
    public init(id: Int, message: String) {
        self.id = id
        self.message = message
    }
}

/// Notification engine → plugin: stop working on that request.
public struct CancelNotification: Sendable, Codable {
    public var id: Int
    public init(id: Int) { self.id = id }
}
