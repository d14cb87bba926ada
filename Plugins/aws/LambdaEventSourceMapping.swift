import Foundation
import StrataAWSKit
import StrataModel
import StrataPluginKit

/// `aws_lambda_event_source_mapping`: a function fed by a queue (or a stream).
/// CreateEventSourceMapping / GetEventSourceMapping / UpdateEventSourceMapping (function,
/// batch size, enabled, batching window), TagResource, UntagResource /
/// DeleteEventSourceMapping. Its id is the mapping's UUID. Mappings carry the engine's tags
/// (CreateEventSourceMapping takes `Tags`): one is found by its `strata:token` among the
/// mappings of its function and source, and discovered by tags.
struct LambdaEventSourceMappingResource: AWSResource {
    let type = "aws_lambda_event_source_mapping"

    var schema: ResourceSchema {
        ResourceSchema(
            description: "A Lambda function reading batches from an SQS queue (or a Kinesis / DynamoDB stream).",
            attributes: [
                "eventSourceArn": .init(.string, .required, forcesReplacement: true, description: "The queue's (or stream's) ARN."),
                "functionName": .init(.string, .required, description: "The function's name or ARN; changes in place."),
                "batchSize": .init(.number, .optionalComputed, description: "Records per batch, 1 to 10000 (SQS default 10, FIFO at most 10); changes in place."),
                "enabled": .init(.bool, .optionalComputed, description: "Polling on (default true); changes in place."),
                "maximumBatchingWindowInSeconds": .init(.number, .optionalComputed, description: "0 to 300 seconds to gather a batch (default 0); changes in place."),
                "tags": CommonAttributes.tags,
                "id": .init(.string, .computed, description: "The mapping's UUID."),
                "arn": CommonAttributes.arn,
                "functionArn": .init(.string, .computed),
                "state": .init(.string, .computed, description: "Enabled, Disabled, Creating, …"),
            ],
            typicalCreateSeconds: 2)
    }

    func check(_ inputs: Inputs) -> [CheckProblem] {
        var problems: [CheckProblem] = []
        if let source = inputs.string("eventSourceArn"), !(source.hasPrefix("arn:") && source.split(separator: ":", omittingEmptySubsequences: false).count >= 6) {
            problems.append(CheckProblem(attribute: "eventSourceArn", message: "eventSourceArn must be a queue's or stream's ARN (arn:aws:sqs:REGION:ACCOUNT:NAME), not '\(source)'"))
        }
        if let function = inputs.string("functionName"), let problem = LambdaAPI.functionNameProblem(function) {
            problems.append(CheckProblem(attribute: "functionName", message: problem))
        }
        if let bad = DataChecks.intProblem(inputs["batchSize"], 1...10000, attribute: "batchSize") { problems.append(bad) }
        if let source = inputs.string("eventSourceArn"), source.hasSuffix(".fifo"), let size = inputs.int("batchSize"), size > 10 {
            problems.append(CheckProblem(attribute: "batchSize", message: "a FIFO queue's batchSize is at most 10 (not \(size))"))
        }
        if let bad = DataChecks.intProblem(inputs["maximumBatchingWindowInSeconds"], 0...300, attribute: "maximumBatchingWindowInSeconds") { problems.append(bad) }
        return problems
    }

    static let path = ["2015-03-31", "event-source-mappings"]

    /// What UpdateEventSourceMapping can change (and CreateEventSourceMapping sets).
    func settings(_ inputs: Inputs) -> [String: Value] {
        var body: [String: Value] = ["Enabled": .bool(inputs.bool("enabled") ?? true)]
        if let function = inputs.string("functionName") { body["FunctionName"] = .string(function) }
        if let size = inputs.int("batchSize") { body["BatchSize"] = .number(Double(size)) }
        if let window = inputs.int("maximumBatchingWindowInSeconds") { body["MaximumBatchingWindowInSeconds"] = .number(Double(window)) }
        return body
    }

    func create(_ inputs: Inputs, token: String, tags: [String: String], in context: ResourceContext) async throws -> String {
        let source = try inputs.require("eventSourceArn", for: type), function = try inputs.require("functionName", for: type)
        var body = settings(inputs)
        body["EventSourceArn"] = .string(source)
        body["Tags"] = StrataTags.value(tags)
        context.progress.report("feeding Lambda function \(function) from \(source)")
        let answer: RestJSONResponse
        do {
            answer = try await context.client.restJSON(service: .lambda, method: "POST", path: Self.path, body: body, operation: "CreateEventSourceMapping")
        } catch let error as AWSError where error.code == "ResourceConflictException" {
            throw PluginError(.conflict, "\(function) is already fed from \(source) by a mapping this stack did not make; adopt it with import (its UUID: aws lambda list-event-source-mappings --function-name \(function))", providerCode: error.code)
        }
        guard let id = answer.body["UUID"]?.stringValue else { throw PluginError(.fatal, "CreateEventSourceMapping answered without a UUID") }
        try await waitSettled(id, context)
        return id
    }

    /// Waits while the mapping is Creating, Enabling, Disabling or Updating.
    func waitSettled(_ id: String, _ context: ResourceContext) async throws {
        try await Waiter("event source mapping \(id) to settle", timeout: 300, minDelay: 1, maxDelay: 5)
            .wait(progress: context.progress.report) { () async throws -> WaitState<Void> in
                guard let mapping = try await LambdaAPI.get(Self.path + [id], operation: "GetEventSourceMapping", context) else { return .done(()) }
                let state = mapping["State"]?.stringValue ?? "Enabled"
                return ["Creating", "Enabling", "Disabling", "Updating"].contains(state) ? .pending("state \(state)") : .done(())
            }
    }

    func read(id: String, recorded: Inputs?, in context: ResourceContext) async throws -> [String: Value]? {
        guard let mapping = try await LambdaAPI.get(Self.path + [id], operation: "GetEventSourceMapping", context) else { return nil }
        let state = mapping["State"]?.stringValue ?? ""
        if state == "Deleting" { return nil }
        let functionArn = mapping["FunctionArn"]?.stringValue ?? ""
        // The stack names the function by name or by ARN: either is reported as it spells it.
        let name = Self.functionName(functionArn)
        let stacks = recorded?.string("functionName")
        let function = stacks.map { $0 == functionArn || $0 == name || Self.functionName($0) == name && $0.hasPrefix("arn:") } == true ? stacks! : name
        var outputs: [String: Value] = [
            "id": .string(id), "eventSourceArn": mapping["EventSourceArn"] ?? .null, "functionName": .string(function),
            "functionArn": .string(functionArn), "state": .string(state),
            "batchSize": mapping["BatchSize"] ?? .null, "enabled": .bool(state == "Enabled" || state == "Enabling" || state == "Creating"),
            "maximumBatchingWindowInSeconds": mapping["MaximumBatchingWindowInSeconds"] ?? .number(0),
        ]
        let arn = mapping["EventSourceMappingArn"]?.stringValue
        if let arn { outputs["arn"] = .string(arn) }
        var tags: [String: String] = [:]
        if let arn { tags = try await LambdaAPI.tags(arn, context) }
        StrataTags.output(StrataTags.userTags(tags), recorded: recorded, into: &outputs)
        return outputs
    }

    /// `arn:aws:lambda:REGION:ACCOUNT:function:NAME[:QUALIFIER]` → NAME (a name stays itself).
    static func functionName(_ arn: String) -> String {
        let parts = arn.split(separator: ":", omittingEmptySubsequences: false)
        guard arn.hasPrefix("arn:"), parts.count >= 7 else { return arn }
        return String(parts[6])
    }

    func update(id: String, prior: Inputs, inputs: Inputs, in context: ResourceContext) async throws {
        guard let current = try await read(id: id, recorded: prior, in: context).map(Inputs.init) else {
            throw PluginError(.notFound, "event source mapping \(id) does not exist", providerCode: "ResourceNotFoundException")
        }
        // Only what the stack sets is compared (a window AWS reports as 0 the stack may not set).
        let wanted = settings(inputs), now = settings(current)
        if wanted.contains(where: { !$0.value.sameValue(now[$0.key]) }) {
            context.progress.report("updating event source mapping \(id)")
            _ = try await context.client.restJSON(
                service: .lambda, method: "PUT", path: Self.path + [id], body: wanted, operation: "UpdateEventSourceMapping")
            try await waitSettled(id, context)
        }
        if let arn = current.string("arn") { try await LambdaAPI.updateTags(arn, to: inputs.tags, context) }
    }

    func delete(id: String, in context: ResourceContext) async throws {
        context.progress.report("deleting event source mapping \(id)")
        do {
            _ = try await context.client.restJSON(service: .lambda, method: "DELETE", path: Self.path + [id], operation: "DeleteEventSourceMapping")
        } catch let error as AWSError where error.kind == .notFound {
            return
        }
        // Deleting is asynchronous: wait until it is gone, so the function or queue can go next.
        try await Waiter("event source mapping \(id) to be deleted", timeout: 300, minDelay: 1, maxDelay: 5)
            .wait(progress: context.progress.report) { () async throws -> WaitState<Void> in
                try await LambdaAPI.get(Self.path + [id], operation: "GetEventSourceMapping", context) == nil ? .done(()) : .pending("deleting")
            }
    }

    /// Every mapping (Marker pages), optionally of one function and source.
    func mappings(function: String? = nil, source: String? = nil, _ context: ResourceContext) async throws -> [[String: Value]] {
        var filter: [HTTPRequest.QueryItem] = []
        if let source { filter.append(.init("EventSourceArn", source)) }
        if let function { filter.append(.init("FunctionName", function)) }
        return try await Paginator.collect { marker -> (items: [Value], next: String?) in
            let answer = try await context.client.restJSON(
                service: .lambda, method: "GET", path: Self.path, query: filter + (marker.map { [.init("Marker", $0)] } ?? []),
                operation: "ListEventSourceMappings")
            return (answer.body["EventSourceMappings"]?.listValue ?? [], answer.body["NextMarker"]?.stringValue)
        }.compactMap(\.mapValue)
    }

    /// The mapping of the stack's function and source carrying the token.
    func find(token: String, inputs: Inputs, in context: ResourceContext) async throws -> String? {
        guard let function = inputs.string("functionName"), let source = inputs.string("eventSourceArn") else { return nil }
        for mapping in try await mappings(function: function, source: source, context) {
            guard let id = mapping["UUID"]?.stringValue, let arn = mapping["EventSourceMappingArn"]?.stringValue else { continue }
            if try await LambdaAPI.tags(arn, context)[StrataTags.token] == token { return id }
        }
        return nil
    }

    /// ListEventSourceMappings, then ListTags of each.
    func discover(tags: [String: String], in context: ResourceContext) async throws -> [DiscoveredResource] {
        var candidates: [(id: String, tags: [String: String])] = []
        for mapping in try await mappings(context) {
            guard let id = mapping["UUID"]?.stringValue, let arn = mapping["EventSourceMappingArn"]?.stringValue else { continue }
            let actual = try await LambdaAPI.tags(arn, context)
            if Discovery.matches(actual, tags) { candidates.append((id, actual)) }
        }
        return try await Discovery.read(self, candidates, in: context)
    }
}
