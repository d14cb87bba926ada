import StrataAWSKit
import StrataModel
import StrataPluginKit

/// One AWS resource type: its schema and the calls that create, read, change and delete it.
/// `AWSProvider` does the rest (errors, read-after-write, import, recover).
protocol AWSResource: Sendable {
    var type: String { get }
    var schema: ResourceSchema { get }
    /// Problems the inputs show before any call (unknown values are skipped).
    func check(_ inputs: Inputs) -> [CheckProblem]
    /// Makes the resource, tagged with `tags`; returns its id.
    func create(_ inputs: Inputs, token: String, tags: [String: String], in context: ResourceContext) async throws -> String
    /// Every attribute as AWS has it now; nil when it is gone. `recorded` (the inputs in the
    /// state, nil on import) lets a read keep the stack's spelling of equal values.
    func read(id: String, recorded: Inputs?, in context: ResourceContext) async throws -> [String: Value]?
    /// Changes the in-place attributes that differ between `prior` and `inputs`.
    func update(id: String, prior: Inputs, inputs: Inputs, in context: ResourceContext) async throws
    /// Deletes it; gone already is success.
    func delete(id: String, in context: ResourceContext) async throws
    /// Deletes it, knowing the recorded inputs (flags such as `forceDestroy`); defaults to `delete(id:in:)`.
    func delete(id: String, inputs: Inputs, in context: ResourceContext) async throws
    /// The id of the resource a create with this token made (its `strata:token` tag), if any.
    func find(token: String, inputs: Inputs, in context: ResourceContext) async throws -> String?
    /// The resources of this type carrying every one of `tags` (drift detection); see Discovery.swift.
    func discover(tags: [String: String], in context: ResourceContext) async throws -> [DiscoveredResource]
}

extension AWSResource {
    func delete(id: String, inputs: Inputs, in context: ResourceContext) async throws {
        try await delete(id: id, in: context)
    }
}

/// What every call gets: the client and the progress line of the request.
struct ResourceContext: Sendable {
    var client: AWSClient
    var progress: ProgressReporter
    var region: String { client.settings.region }
    /// `aws`, `aws-cn` or `aws-us-gov`, for ARNs.
    var partition: String {
        if region.hasPrefix("cn-") { return "aws-cn" }
        if region.hasPrefix("us-gov-") { return "aws-us-gov" }
        return "aws"
    }
}

/// A resource's inputs, read by attribute name.
struct Inputs: Sendable {
    var values: [String: Value]

    init(_ values: [String: Value]) { self.values = values }

    subscript(_ key: String) -> Value? {
        guard let value = values[key], value != .null else { return nil }
        return value
    }
    func string(_ key: String) -> String? { self[key]?.stringValue }
    func bool(_ key: String) -> Bool? { self[key]?.boolValue }
    func list(_ key: String) -> [Value]? { self[key]?.revealed.listValue }
    func isKnown(_ key: String) -> Bool { self[key]?.isKnown ?? true }

    /// The stack's `tags` map as strings (non-string values are written as JSON).
    var tags: [String: String] {
        guard let map = self["tags"]?.revealed.mapValue else { return [:] }
        return map.compactMapValues { value in
            if let s = value.stringValue { return s }
            if value == .null { return nil }
            return value.rendered()
        }
    }

    /// The required string `key`, or an `invalid` error naming it.
    func require(_ key: String, for type: String) throws -> String {
        guard let value = string(key), !value.isEmpty else {
            throw PluginError(.invalid, "\(type): '\(key)' is required and must be a known string")
        }
        return value
    }
}

/// Tags Strata puts on everything it makes; kept out of the `tags` the stack sees.
enum StrataTags {
    static let prefix = "strata:"
    static let token = "strata:token"

    static func userTags(_ all: [String: String]) -> [String: String] {
        all.filter { !$0.key.hasPrefix(prefix) }
    }

    /// What a create puts on: the stack's tags and the engine's `strata:*` tags.
    static func forCreate(_ inputs: Inputs, _ engineTags: [String: String], token: String) -> [String: String] {
        var tags = userTags(inputs.tags)
        for (key, value) in engineTags { tags[key] = value }
        tags[Self.token] = token
        return tags
    }

    static func value(_ tags: [String: String]) -> Value {
        .map(tags.mapValues { .string($0) })
    }

    /// The stack's tags as a read reports them: absent when there are none and the stack
    /// never set any (so a stack without `tags` plans no change).
    static func output(_ tags: [String: String], recorded: Inputs?, into outputs: inout [String: Value]) {
        if !tags.isEmpty || recorded?["tags"] != nil { outputs["tags"] = value(tags) }
    }
}

/// Shared attribute schemas.
enum CommonAttributes {
    static let tags = AttributeSchema(.map, .optional, description: "Tags (string values); strata:* tags are added and kept apart.")
    static let id = AttributeSchema(.string, .computed)
    static let arn = AttributeSchema(.string, .computed)
}
