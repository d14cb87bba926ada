import Foundation
import StrataAWSKit
import StrataModel
import StrataPluginKit

/// `aws_cloudwatch_metric_alarm`: PutMetricAlarm (create and every change: it replaces the
/// alarm's whole definition) / DescribeAlarms + ListTagsForResource / TagResource,
/// UntagResource / DeleteAlarms. Its id is its name.
struct CloudWatchMetricAlarmResource: AWSResource {
    let type = "aws_cloudwatch_metric_alarm"
    static let operators = [
        "GreaterThanOrEqualToThreshold", "GreaterThanThreshold", "LessThanThreshold", "LessThanOrEqualToThreshold",
    ]
    static let statistics = ["SampleCount", "Average", "Sum", "Minimum", "Maximum"]
    static let missingData = ["breaching", "notBreaching", "ignore", "missing"]

    var schema: ResourceSchema {
        ResourceSchema(
            description: "A CloudWatch alarm on one metric, notifying actions (SNS topic ARNs, …) when it changes state.",
            attributes: [
                "alarmName": .init(.string, .required, forcesReplacement: true),
                "namespace": .init(.string, .required, description: "AWS/ApplicationELB, AWS/RDS, AWS/SQS, …"),
                "metricName": .init(.string, .required),
                "dimensions": .init(.map, .optional, description: "Dimension name → value (LoadBalancer, DBInstanceIdentifier, QueueName, …)."),
                "statistic": .init(.string, .optionalComputed, description: Self.statistics.joined(separator: " | ") + " (default Average)."),
                "period": .init(.number, .required, description: "Seconds: 10, 30 or a multiple of 60."),
                "evaluationPeriods": .init(.number, .required),
                "datapointsToAlarm": .init(.number, .optional),
                "threshold": .init(.number, .required),
                "comparisonOperator": .init(.string, .required, description: Self.operators.joined(separator: " | ")),
                "treatMissingData": .init(.string, .optionalComputed, description: Self.missingData.joined(separator: " | ") + " (default missing)."),
                "alarmDescription": .init(.string, .optional),
                "alarmActions": .init(.list, .optional, description: "ARNs notified on ALARM (SNS topics)."),
                "okActions": .init(.list, .optional, description: "ARNs notified on OK."),
                "actionsEnabled": .init(.bool, .optionalComputed),
                "tags": CommonAttributes.tags,
                "id": .init(.string, .computed, description: "The alarm name."),
                "arn": CommonAttributes.arn,
            ],
            typicalCreateSeconds: 1)
    }

    func check(_ inputs: Inputs) -> [CheckProblem] {
        var problems: [CheckProblem] = []
        if let name = inputs.string("alarmName"), name.isEmpty || name.count > 255 {
            problems.append(CheckProblem(attribute: "alarmName", message: "alarmName must be 1 to 255 characters"))
        }
        if let op = inputs.string("comparisonOperator"), let bad = DataChecks.enumProblem(op, allowed: Self.operators, attribute: "comparisonOperator") { problems.append(bad) }
        if let stat = inputs.string("statistic"), let bad = DataChecks.enumProblem(stat, allowed: Self.statistics, attribute: "statistic") { problems.append(bad) }
        if let missing = inputs.string("treatMissingData"), let bad = DataChecks.enumProblem(missing, allowed: Self.missingData, attribute: "treatMissingData") { problems.append(bad) }
        if let period = inputs.int("period"), !([10, 30].contains(period) || (period >= 60 && period % 60 == 0)) {
            problems.append(CheckProblem(attribute: "period", message: "period must be 10, 30 or a multiple of 60 seconds (not \(period))"))
        }
        if let bad = DataChecks.intProblem(inputs["evaluationPeriods"], 1...100_000, attribute: "evaluationPeriods") { problems.append(bad) }
        for attribute in ["alarmActions", "okActions"] {
            for action in inputs.strings(attribute) ?? [] where !action.hasPrefix("arn:") {
                problems.append(CheckProblem(attribute: attribute, message: "\(attribute) holds ARNs (an SNS topic's, …), not '\(action)'"))
            }
        }
        return problems
    }

    func put(_ inputs: Inputs, tags: [String: String]?, _ context: ResourceContext) async throws {
        let name = try inputs.require("alarmName", for: type)
        var params: QueryParameters = [
            "AlarmName": name, "Namespace": try inputs.require("namespace", for: type),
            "MetricName": try inputs.require("metricName", for: type),
            "Statistic": inputs.string("statistic") ?? "Average",
            "ComparisonOperator": try inputs.require("comparisonOperator", for: type),
        ]
        params.set("Period", inputs.int("period") ?? 60)
        params.set("EvaluationPeriods", inputs.int("evaluationPeriods") ?? 1)
        if let points = inputs.int("datapointsToAlarm") { params.set("DatapointsToAlarm", points) }
        params["Threshold"] = inputs["threshold"]?.numberValue.map { $0 == $0.rounded() ? String(Int($0)) : String($0) } ?? "0"
        if let missing = inputs.string("treatMissingData") { params["TreatMissingData"] = missing }
        if let description = inputs.string("alarmDescription") { params["AlarmDescription"] = description }
        if let enabled = inputs.bool("actionsEnabled") { params.set("ActionsEnabled", enabled) }
        let dimensions = (inputs["dimensions"]?.revealed.mapValue ?? [:]).compactMapValues(\.stringValue)
        for (index, key) in dimensions.keys.sorted().enumerated() {
            params["Dimensions.member.\(index + 1).Name"] = key
            params["Dimensions.member.\(index + 1).Value"] = dimensions[key]
        }
        params.list("AlarmActions.member", inputs.strings("alarmActions") ?? [])
        params.list("OKActions.member", inputs.strings("okActions") ?? [])
        if let tags { params.tagList("Tags.member", tags) }
        _ = try await context.client.query(service: .cloudWatch, action: "PutMetricAlarm", params: params)
    }

    func create(_ inputs: Inputs, token: String, tags: [String: String], in context: ResourceContext) async throws -> String {
        let name = try inputs.require("alarmName", for: type)
        if try await describe(name, context) != nil {
            throw PluginError(.conflict, "an alarm named \(name) already exists and was not made by this stack; choose another name, or adopt it with import", providerCode: "AlreadyExists")
        }
        context.progress.report("creating alarm \(name)")
        try await put(inputs, tags: tags, context)
        return name
    }

    func describe(_ name: String, _ context: ResourceContext) async throws -> XMLTree? {
        var params = QueryParameters()
        params.list("AlarmNames.member", [name])
        let result = QueryAPI.result(try await context.client.query(service: .cloudWatch, action: "DescribeAlarms", params: params), "DescribeAlarms")
        return result.child("MetricAlarms")?.children.first { $0.string("AlarmName") == name }
    }

    static func tags(_ arn: String, _ context: ResourceContext) async throws -> [String: String] {
        let result = QueryAPI.result(try await context.client.query(service: .cloudWatch, action: "ListTagsForResource", params: ["ResourceARN": arn]), "ListTagsForResource")
        return QueryAPI.tagMap(result.child("Tags"))
    }

    func read(id: String, recorded: Inputs?, in context: ResourceContext) async throws -> [String: Value]? {
        guard let alarm = try await describe(id, context) else { return nil }
        let arn = alarm.string("AlarmArn") ?? ""
        var outputs: [String: Value] = [
            "id": .string(id), "alarmName": .string(id), "arn": .string(arn),
            "namespace": alarm.string("Namespace").map(Value.string) ?? .null,
            "metricName": alarm.string("MetricName").map(Value.string) ?? .null,
            "statistic": alarm.string("Statistic").map(Value.string) ?? .null,
            "comparisonOperator": alarm.string("ComparisonOperator").map(Value.string) ?? .null,
            "treatMissingData": .string(alarm.string("TreatMissingData") ?? "missing"),
            "actionsEnabled": .bool(alarm.bool("ActionsEnabled") ?? true),
        ]
        for (attribute, element) in [("period", "Period"), ("evaluationPeriods", "EvaluationPeriods"), ("threshold", "Threshold"), ("datapointsToAlarm", "DatapointsToAlarm")] {
            if let number = alarm.string(element).flatMap(Double.init) { outputs[attribute] = .number(number) }
        }
        if recorded != nil, recorded?["datapointsToAlarm"] == nil { outputs["datapointsToAlarm"] = nil }
        var dimensions: [String: Value] = [:]
        for member in alarm.child("Dimensions")?.children ?? [] {
            if let name = member.string("Name") { dimensions[name] = .string(member.string("Value") ?? "") }
        }
        if !dimensions.isEmpty || recorded?["dimensions"] != nil { outputs["dimensions"] = .map(dimensions) }
        for (attribute, element) in [("alarmActions", "AlarmActions"), ("okActions", "OKActions")] {
            let actions = (alarm.child(element)?.children ?? []).map(\.text)
            if !actions.isEmpty || recorded?[attribute] != nil { outputs[attribute] = OrderedList.value(actions, recorded: recorded?.strings(attribute)) }
        }
        let description = alarm.string("AlarmDescription") ?? ""
        if !description.isEmpty || recorded?["alarmDescription"] != nil { outputs["alarmDescription"] = .string(description) }
        StrataTags.output(StrataTags.userTags(try await Self.tags(arn, context)), recorded: recorded, into: &outputs)
        return outputs
    }

    func update(id: String, prior: Inputs, inputs: Inputs, in context: ResourceContext) async throws {
        guard let current = try await read(id: id, recorded: prior, in: context) else {
            throw PluginError(.notFound, "alarm \(id) does not exist", providerCode: "ResourceNotFound")
        }
        context.progress.report("updating alarm \(id)")
        try await put(inputs, tags: nil, context)
        guard let arn = current["arn"]?.stringValue else { return }
        let old = StrataTags.userTags(try await Self.tags(arn, context)), new = StrataTags.userTags(inputs.tags)
        let removed = old.keys.filter { new[$0] == nil }.sorted()
        if !removed.isEmpty {
            var params: QueryParameters = ["ResourceARN": arn]
            params.list("TagKeys.member", removed)
            _ = try await context.client.query(service: .cloudWatch, action: "UntagResource", params: params)
        }
        let changed = new.filter { old[$0.key] != $0.value }
        if !changed.isEmpty {
            var params: QueryParameters = ["ResourceARN": arn]
            params.tagList("Tags.member", changed)
            _ = try await context.client.query(service: .cloudWatch, action: "TagResource", params: params)
        }
    }

    func delete(id: String, in context: ResourceContext) async throws {
        var params = QueryParameters()
        params.list("AlarmNames.member", [id])
        context.progress.report("deleting alarm \(id)")
        do {
            _ = try await context.client.query(service: .cloudWatch, action: "DeleteAlarms", params: params)
        } catch let error as AWSError where error.kind == .notFound {
            return
        }
    }

    func find(token: String, inputs: Inputs, in context: ResourceContext) async throws -> String? {
        guard let name = inputs.string("alarmName"), let alarm = try await describe(name, context), let arn = alarm.string("AlarmArn") else { return nil }
        return try await Self.tags(arn, context)[StrataTags.token] == token ? name : nil
    }

    /// DescribeAlarms (every page), then the tags of each.
    func discover(tags: [String: String], in context: ResourceContext) async throws -> [DiscoveredResource] {
        let alarms = try await Paginator.collect { token in
            var params = QueryParameters()
            params["NextToken"] = token
            let result = QueryAPI.result(try await context.client.query(service: .cloudWatch, action: "DescribeAlarms", params: params), "DescribeAlarms")
            return (result.child("MetricAlarms")?.children ?? [], result.string("NextToken"))
        }
        var candidates: [(id: String, tags: [String: String])] = []
        for alarm in alarms {
            guard let name = alarm.string("AlarmName"), let arn = alarm.string("AlarmArn") else { continue }
            let actual = try await Self.tags(arn, context)
            if Discovery.matches(actual, tags) { candidates.append((name, actual)) }
        }
        return try await Discovery.read(self, candidates, in: context)
    }
}

/// `aws_cloudwatch_log_group`: CreateLogGroup / DescribeLogGroups + ListTagsForResource /
/// PutRetentionPolicy, DeleteRetentionPolicy, TagResource, UntagResource / DeleteLogGroup.
/// Its id is its name.
struct CloudWatchLogGroupResource: AWSResource {
    let type = "aws_cloudwatch_log_group"
    static let retentions = [1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653]

    var schema: ResourceSchema {
        ResourceSchema(
            description: "A CloudWatch Logs log group with a retention period.",
            attributes: [
                "name": .init(.string, .required, forcesReplacement: true),
                "retentionInDays": .init(.number, .optional, description: "Days kept (\(Self.retentions.map(String.init).joined(separator: ", "))); none keeps them forever. Changes in place."),
                "kmsKeyId": .init(.string, .optional, forcesReplacement: true, description: "A KMS key ARN."),
                "tags": CommonAttributes.tags,
                "id": .init(.string, .computed, description: "The name."),
                "arn": CommonAttributes.arn,
            ],
            typicalCreateSeconds: 1)
    }

    func check(_ inputs: Inputs) -> [CheckProblem] {
        var problems: [CheckProblem] = []
        if let name = inputs.string("name") {
            let allowed = CharacterSet(charactersIn: "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-/.#")
            if name.isEmpty || name.count > 512 || !name.unicodeScalars.allSatisfy({ allowed.contains($0) }) {
                problems.append(CheckProblem(attribute: "name", message: "log group name '\(name)' must be 1 to 512 letters, digits and _ - / . #"))
            }
        }
        if let days = inputs["retentionInDays"]?.numberValue, !Self.retentions.contains(Int(days)) || days != days.rounded() {
            problems.append(CheckProblem(attribute: "retentionInDays", message: "retentionInDays must be one of \(Self.retentions.map(String.init).joined(separator: ", ")) (not \(inputs["retentionInDays"]?.rendered() ?? ""))"))
        }
        return problems
    }

    func create(_ inputs: Inputs, token: String, tags: [String: String], in context: ResourceContext) async throws -> String {
        let name = try inputs.require("name", for: type)
        var body: [String: Value] = ["logGroupName": .string(name), "tags": StrataTags.value(tags)]
        if let key = inputs.string("kmsKeyId") { body["kmsKeyId"] = .string(key) }
        context.progress.report("creating log group \(name)")
        do {
            _ = try await context.client.json(service: .logs, target: "CreateLogGroup", body: body)
        } catch let error as AWSError where error.code == "ResourceAlreadyExistsException" {
            throw PluginError(.conflict, "a log group named \(name) already exists and was not made by this stack; choose another name, or adopt it with import", providerCode: error.code)
        }
        if let days = inputs.int("retentionInDays") {
            _ = try await context.client.json(service: .logs, target: "PutRetentionPolicy", body: ["logGroupName": .string(name), "retentionInDays": .number(Double(days))])
        }
        return name
    }

    func describe(_ name: String, _ context: ResourceContext) async throws -> [String: Value]? {
        let groups = try await context.client.jsonPages(service: .logs, target: "DescribeLogGroups", body: ["logGroupNamePrefix": .string(name)], listKey: "logGroups", tokenKey: "nextToken")
        return groups.compactMap(\.mapValue).first { $0["logGroupName"]?.stringValue == name }
    }

    /// The ARN the tagging calls take: the group's, without the trailing `:*`.
    static func taggingArn(_ arn: String) -> String { arn.hasSuffix(":*") ? String(arn.dropLast(2)) : arn }

    static func tags(_ arn: String, _ context: ResourceContext) async throws -> [String: String] {
        let answer = try await context.client.json(service: .logs, target: "ListTagsForResource", body: ["resourceArn": .string(taggingArn(arn))])
        return (answer["tags"]?.mapValue ?? [:]).compactMapValues(\.stringValue)
    }

    func read(id: String, recorded: Inputs?, in context: ResourceContext) async throws -> [String: Value]? {
        guard let group = try await describe(id, context) else { return nil }
        let arn = Self.taggingArn(group["arn"]?.stringValue ?? "")
        var outputs: [String: Value] = ["id": .string(id), "name": .string(id), "arn": .string(arn)]
        if let days = group["retentionInDays"], days != .null { outputs["retentionInDays"] = days }
        if let key = group["kmsKeyId"]?.stringValue { outputs["kmsKeyId"] = .string(key) }
        StrataTags.output(StrataTags.userTags(try await Self.tags(arn, context)), recorded: recorded, into: &outputs)
        return outputs
    }

    func update(id: String, prior: Inputs, inputs: Inputs, in context: ResourceContext) async throws {
        guard let current = try await read(id: id, recorded: prior, in: context).map(Inputs.init) else {
            throw PluginError(.notFound, "log group \(id) does not exist", providerCode: "ResourceNotFoundException")
        }
        let days = inputs.int("retentionInDays")
        if days != current.int("retentionInDays") {
            context.progress.report("setting the retention of \(id) to \(days.map { "\($0) days" } ?? "forever")")
            if let days {
                _ = try await context.client.json(service: .logs, target: "PutRetentionPolicy", body: ["logGroupName": .string(id), "retentionInDays": .number(Double(days))])
            } else {
                _ = try await context.client.json(service: .logs, target: "DeleteRetentionPolicy", body: ["logGroupName": .string(id)])
            }
        }
        guard let arn = current.string("arn") else { return }
        let old = StrataTags.userTags(try await Self.tags(arn, context)), new = StrataTags.userTags(inputs.tags)
        let removed = old.keys.filter { new[$0] == nil }.sorted()
        if !removed.isEmpty {
            _ = try await context.client.json(service: .logs, target: "UntagResource", body: ["resourceArn": .string(arn), "tagKeys": .list(removed.map(Value.string))])
        }
        let changed = new.filter { old[$0.key] != $0.value }
        if !changed.isEmpty {
            _ = try await context.client.json(service: .logs, target: "TagResource", body: ["resourceArn": .string(arn), "tags": StrataTags.value(changed)])
        }
    }

    func delete(id: String, in context: ResourceContext) async throws {
        context.progress.report("deleting log group \(id)")
        do {
            _ = try await context.client.json(service: .logs, target: "DeleteLogGroup", body: ["logGroupName": .string(id)])
        } catch let error as AWSError where error.kind == .notFound {
            return
        }
    }

    func find(token: String, inputs: Inputs, in context: ResourceContext) async throws -> String? {
        guard let name = inputs.string("name"), let group = try await describe(name, context), let arn = group["arn"]?.stringValue else { return nil }
        return try await Self.tags(arn, context)[StrataTags.token] == token ? name : nil
    }

    func discover(tags: [String: String], in context: ResourceContext) async throws -> [DiscoveredResource] {
        let groups = try await context.client.jsonPages(service: .logs, target: "DescribeLogGroups", body: [:], listKey: "logGroups", tokenKey: "nextToken")
        var candidates: [(id: String, tags: [String: String])] = []
        for group in groups.compactMap(\.mapValue) {
            guard let name = group["logGroupName"]?.stringValue, let arn = group["arn"]?.stringValue else { continue }
            let actual = try await Self.tags(arn, context)
            if Discovery.matches(actual, tags) { candidates.append((name, actual)) }
        }
        return try await Discovery.read(self, candidates, in: context)
    }
}
