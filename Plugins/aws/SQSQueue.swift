import Foundation
import StrataAWSKit
import StrataModel
import StrataPluginKit

/// `aws_sqs_queue`: an SQS queue (JSON protocol). CreateQueue / GetQueueAttributes +
/// ListQueueTags / SetQueueAttributes, TagQueue, UntagQueue / DeleteQueue. Its id is its ARN
/// (which stays known while the queue is updated, so subscriptions and redrive policies that
/// name it are not replaced); the URL each call needs comes from GetQueueUrl. Import takes
/// the ARN or the URL.
/// A dead-letter queue is another queue named by `deadLetterTargetArn` with `maxReceiveCount`
/// (the redrive policy).
struct SQSQueueResource: AWSResource {
    let type = "aws_sqs_queue"

    /// The number attributes: stack name, SQS name, range.
    static let numbers: [(attribute: String, sqs: String, range: ClosedRange<Int>)] = [
        ("visibilityTimeout", "VisibilityTimeout", 0...43200),
        ("messageRetentionSeconds", "MessageRetentionPeriod", 60...1_209_600),
        ("delaySeconds", "DelaySeconds", 0...900),
        ("maxMessageSize", "MaximumMessageSize", 1024...262_144),
        ("receiveWaitTimeSeconds", "ReceiveMessageWaitTimeSeconds", 0...20),
    ]

    var schema: ResourceSchema {
        var attributes: [String: AttributeSchema] = [
            "name": .init(.string, .required, forcesReplacement: true, description: "Ends in .fifo for a FIFO queue."),
            "fifoQueue": .init(.bool, .optionalComputed, forcesReplacement: true),
            "deadLetterTargetArn": .init(.string, .optional, description: "The dead-letter queue's ARN; changes in place."),
            "maxReceiveCount": .init(.number, .optional, description: "Receives before a message goes to the dead-letter queue (1 to 1000)."),
            "kmsMasterKeyId": .init(.string, .optional, description: "A KMS key for server-side encryption; changes in place."),
            "tags": CommonAttributes.tags,
            "id": .init(.string, .computed, description: "The queue ARN."),
            "url": .init(.string, .computed),
            "arn": CommonAttributes.arn,
        ]
        for number in Self.numbers {
            attributes[number.attribute] = .init(.number, .optionalComputed, description: "\(number.range.lowerBound) to \(number.range.upperBound); changes in place.")
        }
        return ResourceSchema(description: "An SQS queue, with an optional dead-letter queue.", attributes: attributes, typicalCreateSeconds: 1)
    }

    func check(_ inputs: Inputs) -> [CheckProblem] {
        var problems: [CheckProblem] = []
        if let name = inputs.string("name") {
            let base = name.hasSuffix(".fifo") ? String(name.dropLast(5)) : name
            let allowed = CharacterSet(charactersIn: "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_")
            if base.isEmpty || name.count > 80 || !base.unicodeScalars.allSatisfy({ allowed.contains($0) }) {
                problems.append(CheckProblem(attribute: "name", message: "queue name '\(name)' must be 1 to 80 letters, digits, hyphens or underscores (and .fifo at the end of a FIFO queue)"))
            }
            if let fifo = inputs.bool("fifoQueue"), fifo != name.hasSuffix(".fifo") {
                problems.append(CheckProblem(attribute: "fifoQueue", message: "a FIFO queue's name ends in .fifo, and only a FIFO queue's does"))
            }
        }
        for number in Self.numbers {
            if let bad = DataChecks.intProblem(inputs[number.attribute], number.range, attribute: number.attribute) { problems.append(bad) }
        }
        if let bad = DataChecks.intProblem(inputs["maxReceiveCount"], 1...1000, attribute: "maxReceiveCount") { problems.append(bad) }
        if inputs.isKnown("deadLetterTargetArn"), inputs.isKnown("maxReceiveCount"),
            (inputs.string("deadLetterTargetArn") == nil) != (inputs["maxReceiveCount"] == nil)
        {
            problems.append(CheckProblem(attribute: "maxReceiveCount", message: "a redrive policy needs both deadLetterTargetArn and maxReceiveCount"))
        }
        if let target = inputs.string("deadLetterTargetArn"), !target.hasPrefix("arn:") || !target.contains(":sqs:") {
            problems.append(CheckProblem(attribute: "deadLetterTargetArn", message: "deadLetterTargetArn must be an SQS queue ARN (not '\(target)')"))
        }
        return problems
    }

    /// The SQS attributes the inputs set (strings, as SQS takes them).
    func attributes(_ inputs: Inputs) -> [String: String] {
        var out: [String: String] = [:]
        for number in Self.numbers { if let value = inputs.int(number.attribute) { out[number.sqs] = String(value) } }
        if let target = inputs.string("deadLetterTargetArn"), let count = inputs.int("maxReceiveCount") {
            out["RedrivePolicy"] = #"{"deadLetterTargetArn":"\#(target)","maxReceiveCount":\#(count)}"#
        }
        if let key = inputs.string("kmsMasterKeyId") { out["KmsMasterKeyId"] = key }
        return out
    }

    static func isGone(_ error: AWSError) -> Bool {
        error.kind == .notFound || error.code == "QueueDoesNotExist" || error.code.contains("NonExistentQueue")
    }

    func create(_ inputs: Inputs, token: String, tags: [String: String], in context: ResourceContext) async throws -> String {
        let name = try inputs.require("name", for: type)
        var attributes = attributes(inputs)
        if name.hasSuffix(".fifo") { attributes["FifoQueue"] = "true" }
        context.progress.report("creating SQS queue \(name)")
        do {
            let answer = try await context.client.json(service: .sqs, target: "CreateQueue", body: [
                "QueueName": .string(name), "Attributes": StrataTags.value(attributes), "tags": StrataTags.value(tags),
            ])
            guard let url = answer["QueueUrl"]?.stringValue else { throw PluginError(.fatal, "CreateQueue answered without a QueueUrl") }
            let attributes = try await context.client.json(service: .sqs, target: "GetQueueAttributes", body: [
                "QueueUrl": .string(url), "AttributeNames": ["QueueArn"],
            ])
            guard let arn = attributes["Attributes"]?.mapValue?["QueueArn"]?.stringValue else { throw PluginError(.fatal, "GetQueueAttributes answered without a QueueArn") }
            return arn
        } catch let error as AWSError where error.code.contains("QueueNameExists") || error.code.contains("QueueAlreadyExists") {
            throw PluginError(.conflict, "a queue named \(name) already exists with other attributes and was not made by this stack; choose another name, or adopt it with import", providerCode: error.code)
        }
    }

    /// The URL of the queue `id` names (an ARN, or a URL already); nil when there is none.
    static func url(_ id: String, _ context: ResourceContext) async throws -> String? {
        guard id.hasPrefix("arn:") else { return id }
        let parts = id.split(separator: ":", omittingEmptySubsequences: false)
        guard parts.count >= 6 else { throw PluginError(.invalid, "'\(id)' is not an SQS queue ARN") }
        do {
            let answer = try await context.client.json(service: .sqs, target: "GetQueueUrl", body: [
                "QueueName": .string(String(parts[5])), "QueueOwnerAWSAccountId": .string(String(parts[4])),
            ])
            return answer["QueueUrl"]?.stringValue
        } catch let error as AWSError where isGone(error) {
            return nil
        }
    }

    func read(id: String, recorded: Inputs?, in context: ResourceContext) async throws -> [String: Value]? {
        guard let url = try await Self.url(id, context) else { return nil }
        let attributes: [String: String]
        let tags: [String: String]
        do {
            let answer = try await context.client.json(service: .sqs, target: "GetQueueAttributes", body: [
                "QueueUrl": .string(url), "AttributeNames": ["All"],
            ])
            attributes = (answer["Attributes"]?.mapValue ?? [:]).compactMapValues(\.stringValue)
            tags = try await Self.tags(url, context)
        } catch let error as AWSError where Self.isGone(error) {
            return nil
        }
        let arn = attributes["QueueArn"] ?? id
        var outputs: [String: Value] = [
            "id": .string(arn), "url": .string(url), "arn": .string(arn),
            "name": .string(arn.split(separator: ":").last.map(String.init) ?? ""),
            "fifoQueue": .bool(attributes["FifoQueue"] == "true"),
        ]
        for number in Self.numbers { if let value = attributes[number.sqs].flatMap(Double.init) { outputs[number.attribute] = .number(value) } }
        if let redrive = attributes["RedrivePolicy"], !redrive.isEmpty,
            let policy = (try? ValueJSON.parse(Data(redrive.utf8)))?.mapValue
        {
            outputs["deadLetterTargetArn"] = policy["deadLetterTargetArn"] ?? .null
            if let count = policy["maxReceiveCount"]?.numberValue ?? policy["maxReceiveCount"]?.stringValue.flatMap(Double.init) {
                outputs["maxReceiveCount"] = .number(count)
            }
        }
        if let key = attributes["KmsMasterKeyId"], !key.isEmpty { outputs["kmsMasterKeyId"] = .string(key) }
        StrataTags.output(StrataTags.userTags(tags), recorded: recorded, into: &outputs)
        return outputs
    }

    static func tags(_ url: String, _ context: ResourceContext) async throws -> [String: String] {
        let answer = try await context.client.json(service: .sqs, target: "ListQueueTags", body: ["QueueUrl": .string(url)])
        return (answer["Tags"]?.mapValue ?? [:]).compactMapValues(\.stringValue)
    }

    func update(id: String, prior: Inputs, inputs: Inputs, in context: ResourceContext) async throws {
        guard let current = try await read(id: id, recorded: prior, in: context).map(Inputs.init), let url = current.string("url") else {
            throw PluginError(.notFound, "SQS queue \(id) does not exist", providerCode: "QueueDoesNotExist")
        }
        let wanted = attributes(inputs), now = attributes(current)
        var changes = wanted.filter { now[$0.key] != $0.value }
        // A redrive policy or key the stack dropped is cleared.
        if wanted["RedrivePolicy"] == nil, now["RedrivePolicy"] != nil { changes["RedrivePolicy"] = "" }
        if wanted["KmsMasterKeyId"] == nil, now["KmsMasterKeyId"] != nil { changes["KmsMasterKeyId"] = "" }
        if !changes.isEmpty {
            context.progress.report("setting \(changes.keys.sorted().joined(separator: ", ")) of \(id)")
            _ = try await context.client.json(service: .sqs, target: "SetQueueAttributes", body: [
                "QueueUrl": .string(url), "Attributes": StrataTags.value(changes),
            ])
        }
        let old = StrataTags.userTags(try await Self.tags(url, context)), new = StrataTags.userTags(inputs.tags)
        let removed = old.keys.filter { new[$0] == nil }.sorted()
        if !removed.isEmpty {
            _ = try await context.client.json(service: .sqs, target: "UntagQueue", body: ["QueueUrl": .string(url), "TagKeys": .list(removed.map(Value.string))])
        }
        let changed = new.filter { old[$0.key] != $0.value }
        if !changed.isEmpty {
            _ = try await context.client.json(service: .sqs, target: "TagQueue", body: ["QueueUrl": .string(url), "Tags": StrataTags.value(changed)])
        }
    }

    func delete(id: String, in context: ResourceContext) async throws {
        context.progress.report("deleting SQS queue \(id)")
        guard let url = try await Self.url(id, context) else { return }
        do {
            _ = try await context.client.json(service: .sqs, target: "DeleteQueue", body: ["QueueUrl": .string(url)])
        } catch let error as AWSError where Self.isGone(error) {
            return
        }
    }

    /// GetQueueUrl of the stack's name, then its token tag.
    func find(token: String, inputs: Inputs, in context: ResourceContext) async throws -> String? {
        guard let name = inputs.string("name") else { return nil }
        do {
            let answer = try await context.client.json(service: .sqs, target: "GetQueueUrl", body: ["QueueName": .string(name)])
            guard let url = answer["QueueUrl"]?.stringValue, try await Self.tags(url, context)[StrataTags.token] == token else { return nil }
            return try await read(id: url, recorded: inputs, in: context)?["arn"]?.stringValue
        } catch let error as AWSError where Self.isGone(error) {
            return nil
        }
    }

    /// ListQueues (pages), then ListQueueTags of each.
    func discover(tags: [String: String], in context: ResourceContext) async throws -> [DiscoveredResource] {
        let urls = try await context.client.jsonPages(service: .sqs, target: "ListQueues", body: ["MaxResults": 1000], listKey: "QueueUrls")
        var candidates: [(id: String, tags: [String: String])] = []
        for url in urls.compactMap(\.stringValue) {
            let actual: [String: String]
            do { actual = try await Self.tags(url, context) } catch let error as AWSError where Self.isGone(error) { continue }
            if Discovery.matches(actual, tags) { candidates.append((url, actual)) }
        }
        // Listed by URL, known by ARN.
        return try await Discovery.read(self, candidates, in: context).map { found in
            var found = found
            if let arn = found.outputs["arn"]?.stringValue { found.id = arn }
            return found
        }
    }
}
