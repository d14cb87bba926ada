import StrataAWSKit
import StrataModel
import StrataPluginKit

/// `aws_lb_listener_rule`: CreateRule / DescribeRules + DescribeTags / SetRulePriorities,
/// ModifyRule (conditions, action), AddTags, RemoveTags / DeleteRule. The id is the ARN.
struct ListenerRuleResource: AWSResource {
    let type = "aws_lb_listener_rule"
    static let conditionFields = [("pathPatterns", "path-pattern", "PathPatternConfig"), ("hostHeaders", "host-header", "HostHeaderConfig")]

    var schema: ResourceSchema {
        ResourceSchema(
            description: "A rule of a listener: requests matching its conditions get its action.",
            attributes: [
                "listenerArn": .init(.string, .required, forcesReplacement: true),
                "priority": .init(.number, .required, description: "1-50000, unique in the listener (lower goes first); changed in place."),
                "pathPatterns": .init(.list, .optional, description: "Path patterns, e.g. /api/*; changed in place."),
                "hostHeaders": .init(.list, .optional, description: "Host names, e.g. api.example.com; changed in place."),
                "action": .init(.map, .required, description: "As a listener's defaultAction; changed in place."),
                "tags": CommonAttributes.tags,
                "id": .init(.string, .computed, description: "The ARN."),
                "arn": CommonAttributes.arn,
            ],
            typicalCreateSeconds: 2)
    }

    func check(_ inputs: Inputs) -> [CheckProblem] {
        var problems = InputChecks.integer(inputs, "priority", in: 1...50000)
        problems += LoadBalancerAction.problems(inputs, "action")
        if inputs.isKnown("pathPatterns"), inputs.isKnown("hostHeaders"),
            (inputs.list("pathPatterns") ?? []).isEmpty, (inputs.list("hostHeaders") ?? []).isEmpty {
            problems.append(CheckProblem(attribute: "pathPatterns", message: "a rule needs at least one condition: 'pathPatterns' or 'hostHeaders'"))
        }
        for (key, _, _) in Self.conditionFields where (inputs.list(key)?.count ?? 0) > 5 {
            problems.append(CheckProblem(attribute: key, message: "'\(key)' takes at most 5 values"))
        }
        return problems
    }

    func create(_ inputs: Inputs, token: String, tags: [String: String], in context: ResourceContext) async throws -> String {
        let listener = try inputs.require("listenerArn", for: type)
        var params = QueryParameters()
        params["ListenerArn"] = listener
        if let priority = InputChecks.int(inputs, "priority") { params.set("Priority", priority) }
        encodeConditions(inputs, into: &params)
        try action(inputs).encode("Actions.member.1", into: &params)
        params.tagList("Tags.member", tags)
        context.progress.report("creating rule \(params["Priority"] ?? "?") of \(listener)")
        let made = try await ELB.call("CreateRule", params, list: "Rules", client: context.client)
        guard let arn = made.first?.string("RuleArn") else {
            throw PluginError(.fatal, "CreateRule answered without a RuleArn")
        }
        return arn
    }

    func read(id: String, recorded: Inputs?, in context: ResourceContext) async throws -> [String: Value]? {
        guard let rule = try await describe(id, context) else { return nil }
        var outputs: [String: Value] = [
            "id": .string(id), "arn": .string(id),
            "listenerArn": recorded?["listenerArn"] ?? Self.listenerARN(ofRule: id).map(Value.string) ?? .null,
            "priority": rule.string("Priority").flatMap(Double.init).map(Value.number) ?? .null,
            "action": LoadBalancerAction.output(ELB.members(rule, "Actions").first.map(LoadBalancerAction.init(xml:)),
                                                recorded: recorded?["action"], attribute: "action"),
        ]
        let conditions = Self.conditions(rule)
        for (key, _, _) in Self.conditionFields {
            let values = conditions[key] ?? []
            if !values.isEmpty || recorded?[key] != nil { outputs[key] = ListAttribute.output(recorded?[key], values) }
        }
        let tags = try await ELB.tags([id], client: context.client)[id] ?? [:]
        StrataTags.output(StrataTags.userTags(tags), recorded: recorded, into: &outputs)
        return outputs
    }

    func update(id: String, prior: Inputs, inputs: Inputs, in context: ResourceContext) async throws {
        guard let rule = try await describe(id, context) else {
            throw PluginError(.notFound, "listener rule \(id) does not exist", providerCode: "RuleNotFound")
        }
        if let priority = InputChecks.int(inputs, "priority"), String(priority) != rule.string("Priority") {
            var params = QueryParameters()
            params["RulePriorities.member.1.RuleArn"] = id
            params.set("RulePriorities.member.1.Priority", priority)
            context.progress.report("setting the priority of \(id) to \(priority)")
            _ = try await context.client.query(service: .elbv2, action: "SetRulePriorities", params: params)
        }
        let actual = Self.conditions(rule)
        let conditionsDiffer = Self.conditionFields.contains { key, _, _ in
            Set(ListAttribute.strings(inputs, key) ?? []) != Set(actual[key] ?? [])
        }
        let wanted = try action(inputs)
        let actionDiffers = ELB.members(rule, "Actions").first.map(LoadBalancerAction.init(xml:))?.normalized != wanted.normalized
        if conditionsDiffer || actionDiffers {
            var params: QueryParameters = ["RuleArn": id]
            encodeConditions(inputs, into: &params)
            wanted.encode("Actions.member.1", into: &params)
            context.progress.report("modifying rule \(id)")
            _ = try await context.client.query(service: .elbv2, action: "ModifyRule", params: params)
        }
        try await ELB.updateTags(arn: id, to: inputs.tags, client: context.client)
    }

    func delete(id: String, in context: ResourceContext) async throws {
        context.progress.report("deleting rule \(id)")
        do {
            _ = try await context.client.query(service: .elbv2, action: "DeleteRule", params: ["RuleArn": id])
        } catch let error as AWSError where error.kind == .notFound {
            return
        }
    }

    /// Among the rules of its listener, the one carrying the token.
    func find(token: String, inputs: Inputs, in context: ResourceContext) async throws -> String? {
        guard let listener = inputs.string("listenerArn") else { return nil }
        return try await ELB.tagged(try await ruleARNs(listener, context), token: token, client: context.client)
    }

    func discover(tags: [String: String], in context: ResourceContext) async throws -> [DiscoveredResource] {
        var arns: [String] = []
        for listener in try await ELB.listenerARNs(client: context.client) { arns += try await ruleARNs(listener, context) }
        return try await ELB.discover(self, arns: arns, tags: tags, in: context)
    }

    // MARK: Helpers

    /// `…:listener-rule/app/NAME/LB/LISTENER/RULE` → `…:listener/app/NAME/LB/LISTENER`.
    static func listenerARN(ofRule arn: String) -> String? { ARN.listener(ofRule: arn) }

    /// The rule's condition values by attribute (`pathPatterns`, `hostHeaders`).
    static func conditions(_ rule: XMLTree) -> [String: [String]] {
        var out: [String: [String]] = [:]
        for condition in ELB.members(rule, "Conditions") {
            guard let (key, _, config) = conditionFields.first(where: { $0.1 == condition.string("Field") }) else { continue }
            let values = ELB.members(condition, config, "Values").map(\.text)
            out[key, default: []] += values.isEmpty ? ELB.members(condition, "Values").map(\.text) : values
        }
        return out
    }

    private func encodeConditions(_ inputs: Inputs, into params: inout QueryParameters) {
        var n = 0
        for (key, field, config) in Self.conditionFields {
            guard let values = ListAttribute.strings(inputs, key), !values.isEmpty else { continue }
            n += 1
            params["Conditions.member.\(n).Field"] = field
            params.list("Conditions.member.\(n).\(config).Values.member", values)
        }
    }

    private func ruleARNs(_ listener: String, _ context: ResourceContext) async throws -> [String] {
        do {
            return try await ELB.pages("DescribeRules", ["ListenerArn": listener], list: "Rules", client: context.client)
                .filter { $0.bool("IsDefault") != true }
                .compactMap { $0.string("RuleArn") }
        } catch let error as AWSError where error.kind == .notFound {
            return []
        }
    }

    private func action(_ inputs: Inputs) throws -> LoadBalancerAction {
        guard let value = inputs["action"] else { throw PluginError(.invalid, "\(type): 'action' is required") }
        return try LoadBalancerAction(value, attribute: "action")
    }

    private func describe(_ arn: String, _ context: ResourceContext) async throws -> XMLTree? {
        try await ELB.describeOne("DescribeRules", arnParameter: "RuleArns", arn: arn, list: "Rules", client: context.client)
    }
}
