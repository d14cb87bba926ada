import Foundation
import StrataAWSKit
import StrataModel
import StrataPluginKit

/// What the SNS types share (Query protocol): attribute maps (`Attributes.entry.N.key`),
/// tags (`Tags.member.N.Key`), and the `<entry><key/><value/></entry>` answers.
enum SNSAPI {
    static func call(_ action: String, _ params: QueryParameters, _ context: ResourceContext) async throws -> XMLTree {
        QueryAPI.result(try await context.client.query(service: .sns, action: action, params: params), action)
    }

    static func entries(_ params: inout QueryParameters, _ name: String, _ map: [String: String]) {
        for (index, key) in map.keys.sorted().enumerated() {
            params["\(name).entry.\(index + 1).key"] = key
            params["\(name).entry.\(index + 1).value"] = map[key]
        }
    }

    static func entryMap(_ tree: XMLTree?) -> [String: String] {
        var out: [String: String] = [:]
        for entry in tree?.all("entry") ?? [] { if let key = entry.string("key") { out[key] = entry.string("value") ?? "" } }
        return out
    }

    static func tags(_ arn: String, _ context: ResourceContext) async throws -> [String: String] {
        let result = try await call("ListTagsForResource", ["ResourceArn": arn], context)
        var out: [String: String] = [:]
        for tag in result.child("Tags")?.children ?? [] { if let key = tag.string("Key") { out[key] = tag.string("Value") ?? "" } }
        return out
    }

    static func updateTags(_ arn: String, to new: [String: String], _ context: ResourceContext) async throws {
        let old = StrataTags.userTags(try await tags(arn, context)), new = StrataTags.userTags(new)
        let removed = old.keys.filter { new[$0] == nil }.sorted()
        if !removed.isEmpty {
            var params: QueryParameters = ["ResourceArn": arn]
            params.list("TagKeys.member", removed)
            _ = try await call("UntagResource", params, context)
        }
        let changed = new.filter { old[$0.key] != $0.value }
        if !changed.isEmpty {
            var params: QueryParameters = ["ResourceArn": arn]
            params.tagList("Tags.member", changed)
            _ = try await call("TagResource", params, context)
        }
    }
}

/// `aws_sns_topic`: CreateTopic / GetTopicAttributes + ListTagsForResource /
/// SetTopicAttributes, TagResource, UntagResource / DeleteTopic. Its id is its ARN.
struct SNSTopicResource: AWSResource {
    let type = "aws_sns_topic"

    var schema: ResourceSchema {
        ResourceSchema(
            description: "An SNS topic.",
            attributes: [
                "name": .init(.string, .required, forcesReplacement: true, description: "Ends in .fifo for a FIFO topic."),
                "displayName": .init(.string, .optional, description: "Changes in place."),
                "kmsMasterKeyId": .init(.string, .optional, description: "Changes in place."),
                "tags": CommonAttributes.tags,
                "id": .init(.string, .computed, description: "The ARN."),
                "arn": CommonAttributes.arn,
            ],
            typicalCreateSeconds: 1)
    }

    static let settable = [("displayName", "DisplayName"), ("kmsMasterKeyId", "KmsMasterKeyId")]

    func check(_ inputs: Inputs) -> [CheckProblem] {
        guard let name = inputs.string("name") else { return [] }
        let base = name.hasSuffix(".fifo") ? String(name.dropLast(5)) : name
        let allowed = CharacterSet(charactersIn: "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_")
        if base.isEmpty || name.count > 256 || !base.unicodeScalars.allSatisfy({ allowed.contains($0) }) {
            return [CheckProblem(attribute: "name", message: "topic name '\(name)' must be 1 to 256 letters, digits, hyphens or underscores (and .fifo at the end of a FIFO topic)")]
        }
        return []
    }

    func create(_ inputs: Inputs, token: String, tags: [String: String], in context: ResourceContext) async throws -> String {
        let name = try inputs.require("name", for: type)
        var params: QueryParameters = ["Name": name]
        var attributes: [String: String] = [:]
        for (attribute, sns) in Self.settable { if let value = inputs.string(attribute) { attributes[sns] = value } }
        if name.hasSuffix(".fifo") { attributes["FifoTopic"] = "true" }
        SNSAPI.entries(&params, "Attributes", attributes)
        params.tagList("Tags.member", tags)
        context.progress.report("creating SNS topic \(name)")
        guard let arn = try await SNSAPI.call("CreateTopic", params, context).string("TopicArn") else {
            throw PluginError(.fatal, "CreateTopic answered without a TopicArn")
        }
        return arn
    }

    func read(id: String, recorded: Inputs?, in context: ResourceContext) async throws -> [String: Value]? {
        let attributes: [String: String]
        do {
            attributes = SNSAPI.entryMap(try await SNSAPI.call("GetTopicAttributes", ["TopicArn": id], context).child("Attributes"))
        } catch let error as AWSError where error.kind == .notFound {
            return nil
        }
        var outputs: [String: Value] = [
            "id": .string(id), "arn": .string(id), "name": .string(id.split(separator: ":").last.map(String.init) ?? ""),
        ]
        for (attribute, sns) in Self.settable {
            let value = attributes[sns] ?? ""
            if !value.isEmpty || recorded?[attribute] != nil { outputs[attribute] = .string(value) }
        }
        StrataTags.output(StrataTags.userTags(try await SNSAPI.tags(id, context)), recorded: recorded, into: &outputs)
        return outputs
    }

    func update(id: String, prior: Inputs, inputs: Inputs, in context: ResourceContext) async throws {
        let current = try await read(id: id, recorded: prior, in: context).map(Inputs.init) ?? prior
        for (attribute, sns) in Self.settable where (inputs.string(attribute) ?? "") != (current.string(attribute) ?? "") {
            context.progress.report("setting \(sns) of \(id)")
            _ = try await SNSAPI.call("SetTopicAttributes", ["TopicArn": id, "AttributeName": sns, "AttributeValue": inputs.string(attribute) ?? ""], context)
        }
        try await SNSAPI.updateTags(id, to: inputs.tags, context)
    }

    func delete(id: String, in context: ResourceContext) async throws {
        context.progress.report("deleting SNS topic \(id)")
        do {
            _ = try await SNSAPI.call("DeleteTopic", ["TopicArn": id], context)
        } catch let error as AWSError where error.kind == .notFound {
            return
        }
    }

    /// The topic with the stack's name (its ARN is known from the account and region), if
    /// it carries the token.
    func find(token: String, inputs: Inputs, in context: ResourceContext) async throws -> String? {
        guard let name = inputs.string("name") else { return nil }
        for arn in try await topics(context) where arn.hasSuffix(":\(name)") {
            let tags: [String: String]
            do { tags = try await SNSAPI.tags(arn, context) } catch let error as AWSError where error.kind == .notFound { continue }
            if tags[StrataTags.token] == token { return arn }
        }
        return nil
    }

    func discover(tags: [String: String], in context: ResourceContext) async throws -> [DiscoveredResource] {
        var candidates: [(id: String, tags: [String: String])] = []
        for arn in try await topics(context) {
            let actual: [String: String]
            do { actual = try await SNSAPI.tags(arn, context) } catch let error as AWSError where error.kind == .notFound { continue }
            if Discovery.matches(actual, tags) { candidates.append((arn, actual)) }
        }
        return try await Discovery.read(self, candidates, in: context)
    }

    /// ListTopics, every page.
    func topics(_ context: ResourceContext) async throws -> [String] {
        try await Paginator.collect { token in
            var params = QueryParameters()
            params["NextToken"] = token
            let result = try await SNSAPI.call("ListTopics", params, context)
            return ((result.child("Topics")?.children ?? []).compactMap { $0.string("TopicArn") }, result.string("NextToken"))
        }
    }
}

/// `aws_sns_topic_subscription`: Subscribe / GetSubscriptionAttributes /
/// SetSubscriptionAttributes / Unsubscribe. Its id is the subscription ARN. Subscriptions
/// cannot be tagged: one is found by its topic, protocol and endpoint, and `discover` finds none.
/// Email and HTTP(S) endpoints stay pending until confirmed; the provider does not confirm them.
struct SNSSubscriptionResource: AWSResource {
    let type = "aws_sns_topic_subscription"
    static let protocols = ["sqs", "lambda", "http", "https", "email", "email-json", "sms", "application", "firehose"]

    var schema: ResourceSchema {
        ResourceSchema(
            description: "A subscription of an endpoint (queue, function, URL, address) to a topic.",
            attributes: [
                "topicArn": .init(.string, .required, forcesReplacement: true),
                "protocol": .init(.string, .required, forcesReplacement: true, description: Self.protocols.joined(separator: " | ")),
                "endpoint": .init(.string, .required, forcesReplacement: true),
                "rawMessageDelivery": .init(.bool, .optionalComputed, description: "Changes in place (default false)."),
                "filterPolicy": .init(.string, .optional, description: "A JSON filter policy; changes in place."),
                "id": .init(.string, .computed, description: "The subscription ARN."),
                "arn": CommonAttributes.arn,
            ],
            typicalCreateSeconds: 1)
    }

    func check(_ inputs: Inputs) -> [CheckProblem] {
        var problems: [CheckProblem] = []
        if let proto = inputs.string("protocol"), let bad = DataChecks.enumProblem(proto, allowed: Self.protocols, attribute: "protocol") { problems.append(bad) }
        if let topic = inputs.string("topicArn"), !topic.hasPrefix("arn:") || !topic.contains(":sns:") {
            problems.append(CheckProblem(attribute: "topicArn", message: "topicArn must be an SNS topic ARN (not '\(topic)')"))
        }
        if let policy = inputs.string("filterPolicy"), (try? ValueJSON.parse(Data(policy.utf8)))?.mapValue == nil {
            problems.append(CheckProblem(attribute: "filterPolicy", message: "filterPolicy must be a JSON object"))
        }
        return problems
    }

    func attributes(_ inputs: Inputs) -> [String: String] {
        var out: [String: String] = [:]
        if let raw = inputs.bool("rawMessageDelivery") { out["RawMessageDelivery"] = raw ? "true" : "false" }
        if let policy = inputs.string("filterPolicy") { out["FilterPolicy"] = policy }
        return out
    }

    func create(_ inputs: Inputs, token: String, tags: [String: String], in context: ResourceContext) async throws -> String {
        var params: QueryParameters = [
            "TopicArn": try inputs.require("topicArn", for: type), "Protocol": try inputs.require("protocol", for: type),
            "Endpoint": try inputs.require("endpoint", for: type), "ReturnSubscriptionArn": "true",
        ]
        SNSAPI.entries(&params, "Attributes", attributes(inputs))
        context.progress.report("subscribing \(inputs.string("endpoint") ?? "") to \(inputs.string("topicArn") ?? "")")
        guard let arn = try await SNSAPI.call("Subscribe", params, context).string("SubscriptionArn") else {
            throw PluginError(.fatal, "Subscribe answered without a SubscriptionArn")
        }
        return arn
    }

    func read(id: String, recorded: Inputs?, in context: ResourceContext) async throws -> [String: Value]? {
        let attributes: [String: String]
        do {
            attributes = SNSAPI.entryMap(try await SNSAPI.call("GetSubscriptionAttributes", ["SubscriptionArn": id], context).child("Attributes"))
        } catch let error as AWSError where error.kind == .notFound {
            return nil
        }
        var outputs: [String: Value] = [
            "id": .string(id), "arn": .string(id),
            "topicArn": attributes["TopicArn"].map(Value.string) ?? .null,
            "protocol": attributes["Protocol"].map(Value.string) ?? .null,
            "endpoint": attributes["Endpoint"].map(Value.string) ?? .null,
            "rawMessageDelivery": .bool(attributes["RawMessageDelivery"] == "true"),
        ]
        if let policy = attributes["FilterPolicy"], !policy.isEmpty {
            // The stack's spelling when it means the same JSON.
            let recordedPolicy = recorded?.string("filterPolicy")
            let same = recordedPolicy.flatMap { try? ValueJSON.parse(Data($0.utf8)) } == (try? ValueJSON.parse(Data(policy.utf8)))
            outputs["filterPolicy"] = .string(same ? recordedPolicy ?? policy : policy)
        }
        return outputs
    }

    func update(id: String, prior: Inputs, inputs: Inputs, in context: ResourceContext) async throws {
        let current = try await read(id: id, recorded: prior, in: context).map(Inputs.init) ?? prior
        var wanted = attributes(inputs)
        if wanted["FilterPolicy"] == nil, current.string("filterPolicy") != nil { wanted["FilterPolicy"] = "" }
        let now = attributes(current)
        for (name, value) in wanted.sorted(by: { $0.key < $1.key }) where now[name] != value {
            context.progress.report("setting \(name) of \(id)")
            _ = try await SNSAPI.call("SetSubscriptionAttributes", ["SubscriptionArn": id, "AttributeName": name, "AttributeValue": value], context)
        }
    }

    func delete(id: String, in context: ResourceContext) async throws {
        do {
            _ = try await SNSAPI.call("Unsubscribe", ["SubscriptionArn": id], context)
        } catch let error as AWSError where error.kind == .notFound {
            return
        }
    }

    /// The topic's subscription with the same protocol and endpoint.
    func find(token: String, inputs: Inputs, in context: ResourceContext) async throws -> String? {
        guard let topic = inputs.string("topicArn"), let proto = inputs.string("protocol"), let endpoint = inputs.string("endpoint") else { return nil }
        let subscriptions: [XMLTree]
        do {
            subscriptions = try await Paginator.collect { token in
                var params: QueryParameters = ["TopicArn": topic]
                params["NextToken"] = token
                let result = try await SNSAPI.call("ListSubscriptionsByTopic", params, context)
                return (result.child("Subscriptions")?.children ?? [], result.string("NextToken"))
            }
        } catch let error as AWSError where error.kind == .notFound {
            return nil
        }
        return subscriptions.first { $0.string("Protocol") == proto && $0.string("Endpoint") == endpoint }
            .flatMap { $0.string("SubscriptionArn") }
            .flatMap { $0.hasPrefix("arn:") ? $0 : nil }
    }

    func discover(tags: [String: String], in context: ResourceContext) async throws -> [DiscoveredResource] { [] }
}
