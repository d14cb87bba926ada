import StrataAWSKit
import StrataModel
import StrataPluginKit

/// `aws_autoscaling_group`: CreateAutoScalingGroup / DescribeAutoScalingGroups /
/// UpdateAutoScalingGroup, Attach- and DetachLoadBalancerTargetGroups, CreateOrUpdateTags,
/// DeleteTags / DeleteAutoScalingGroup (forced: its instances go too; waits until it is gone).
/// The id is the group's name.
struct AutoScalingGroupResource: AWSResource {
    let type = "aws_autoscaling_group"

    var schema: ResourceSchema {
        ResourceSchema(
            description: "An EC2 Auto Scaling group launching instances from a launch template into subnets.",
            attributes: [
                "name": .init(.string, .required, forcesReplacement: true, description: "1-255 characters; unique in the region."),
                "minSize": .init(.number, .required, description: "Changed in place."),
                "maxSize": .init(.number, .required, description: "Changed in place."),
                "desiredCapacity": .init(.number, .optionalComputed, description: "Between minSize and maxSize; default minSize. Changed in place."),
                "subnets": .init(.list, .required, description: "Subnet ids (VPCZoneIdentifier); changed in place."),
                "launchTemplateId": .init(.string, .required, description: "Changed in place (new instances use it)."),
                "launchTemplateVersion": .init(.string, .optionalComputed, description: "$Default (default), $Latest or a number; changed in place."),
                "targetGroupArns": .init(.list, .optionalComputed, description: "Load balancer target groups its instances join; changed in place."),
                "tags": CommonAttributes.tags,
                "id": .init(.string, .computed, description: "The name."),
                "arn": CommonAttributes.arn,
            ],
            typicalCreateSeconds: 5)
    }

    func check(_ inputs: Inputs) -> [CheckProblem] {
        var problems: [CheckProblem] = []
        if let name = inputs.string("name"), name.isEmpty || name.count > 255 {
            problems.append(CheckProblem(attribute: "name", message: "Auto Scaling group name must be 1 to 255 characters long"))
        }
        for key in ["minSize", "maxSize", "desiredCapacity"] { problems += InputChecks.integer(inputs, key, in: 0...10_000) }
        if let min = InputChecks.int(inputs, "minSize"), let max = InputChecks.int(inputs, "maxSize") {
            if min > max { problems.append(CheckProblem(attribute: "minSize", message: "minSize (\(min)) is above maxSize (\(max))")) }
            if let desired = InputChecks.int(inputs, "desiredCapacity"), !(min...Swift.max(min, max)).contains(desired) {
                problems.append(CheckProblem(attribute: "desiredCapacity", message: "desiredCapacity (\(desired)) must be between minSize (\(min)) and maxSize (\(max))"))
            }
        }
        if let subnets = inputs["subnets"], subnets.isKnown, (subnets.revealed.listValue ?? []).isEmpty {
            problems.append(CheckProblem(attribute: "subnets", message: "an Auto Scaling group needs at least one subnet"))
        }
        return problems
    }

    func create(_ inputs: Inputs, token: String, tags: [String: String], in context: ResourceContext) async throws -> String {
        let name = try inputs.require("name", for: type)
        var params: QueryParameters = ["AutoScalingGroupName": name]
        encodeSettings(inputs, into: &params)
        params.list("TargetGroupARNs.member", ListAttribute.strings(inputs, "targetGroupArns") ?? [])
        encodeTags(tags, name: name, into: &params)
        context.progress.report("creating Auto Scaling group \(name)")
        _ = try await context.client.query(service: .autoscaling, action: "CreateAutoScalingGroup", params: params)
        return name
    }

    func read(id: String, recorded: Inputs?, in context: ResourceContext) async throws -> [String: Value]? {
        guard let group = try await describe(id, context) else { return nil }
        func number(_ element: String) -> Value { group.string(element).flatMap(Double.init).map(Value.number) ?? .null }
        let subnets = (group.string("VPCZoneIdentifier") ?? "").split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        var outputs: [String: Value] = [
            "id": .string(id),
            "name": .string(group.string("AutoScalingGroupName") ?? id),
            "arn": group.string("AutoScalingGroupARN").map(Value.string) ?? .null,
            "minSize": number("MinSize"), "maxSize": number("MaxSize"), "desiredCapacity": number("DesiredCapacity"),
            // Without the stack's spelling (import), in AWS's order: the order they were given in.
            "subnets": ListAttribute.output(recorded?["subnets"], subnets, sorted: false),
            "launchTemplateId": group.string("LaunchTemplate", "LaunchTemplateId").map(Value.string) ?? .null,
            "launchTemplateVersion": group.string("LaunchTemplate", "Version").map(Value.string) ?? .null,
            "targetGroupArns": ListAttribute.output(recorded?["targetGroupArns"], ELB.members(group, "TargetGroupARNs").map(\.text), sorted: false),
        ]
        StrataTags.output(StrataTags.userTags(Self.tags(group)), recorded: recorded, into: &outputs)
        return outputs
    }

    func update(id: String, prior: Inputs, inputs: Inputs, in context: ResourceContext) async throws {
        guard let group = try await describe(id, context) else {
            throw PluginError(.notFound, "Auto Scaling group \(id) does not exist", providerCode: "ValidationError")
        }
        var params: QueryParameters = ["AutoScalingGroupName": id]
        encodeSettings(inputs, into: &params)
        context.progress.report("updating Auto Scaling group \(id)")
        _ = try await context.client.query(service: .autoscaling, action: "UpdateAutoScalingGroup", params: params)

        if let wanted = ListAttribute.strings(inputs, "targetGroupArns") {
            let actual = Set(ELB.members(group, "TargetGroupARNs").map(\.text))
            let attach = Set(wanted).subtracting(actual).sorted(), detach = actual.subtracting(wanted).sorted()
            if !detach.isEmpty {
                var p: QueryParameters = ["AutoScalingGroupName": id]
                p.list("TargetGroupARNs.member", detach)
                context.progress.report("detaching \(detach.count) target group(s) from \(id)")
                _ = try await context.client.query(service: .autoscaling, action: "DetachLoadBalancerTargetGroups", params: p)
            }
            if !attach.isEmpty {
                var p: QueryParameters = ["AutoScalingGroupName": id]
                p.list("TargetGroupARNs.member", attach)
                context.progress.report("attaching \(attach.count) target group(s) to \(id)")
                _ = try await context.client.query(service: .autoscaling, action: "AttachLoadBalancerTargetGroups", params: p)
            }
        }
        let actual = StrataTags.userTags(Self.tags(group)), new = StrataTags.userTags(inputs.tags)
        let removed = actual.keys.filter { new[$0] == nil }.sorted()
        let changed = new.filter { actual[$0.key] != $0.value }
        if !removed.isEmpty {
            var p = QueryParameters()
            encodeTags(Dictionary(uniqueKeysWithValues: removed.map { ($0, "") }), name: id, into: &p)
            _ = try await context.client.query(service: .autoscaling, action: "DeleteTags", params: p)
        }
        if !changed.isEmpty {
            var p = QueryParameters()
            encodeTags(changed, name: id, into: &p)
            _ = try await context.client.query(service: .autoscaling, action: "CreateOrUpdateTags", params: p)
        }
    }

    func delete(id: String, in context: ResourceContext) async throws {
        context.progress.report("deleting Auto Scaling group \(id) and its instances")
        var params: QueryParameters = ["AutoScalingGroupName": id]
        params.set("ForceDelete", true)
        do {
            _ = try await context.client.query(service: .autoscaling, action: "DeleteAutoScalingGroup", params: params)
        } catch let error as AWSError where error.kind == .notFound || error.message.contains("not found") {
            return
        }
        try await Waiter("Auto Scaling group \(id) to be deleted", timeout: 900, minDelay: 2, maxDelay: 15)
            .wait(progress: context.progress.report) { () async throws -> WaitState<Void> in
                guard let group = try await describe(id, context) else { return .done(()) }
                return .pending(group.string("Status") ?? "still there")
            }
    }

    /// By name (unique in a region), if it carries the token.
    func find(token: String, inputs: Inputs, in context: ResourceContext) async throws -> String? {
        guard let name = inputs.string("name"), let group = try await describe(name, context) else { return nil }
        return Self.tags(group)[StrataTags.token] == token ? name : nil
    }

    func discover(tags: [String: String], in context: ResourceContext) async throws -> [DiscoveredResource] {
        let groups = try await Self.describeAll(QueryParameters(), context)
        let candidates = groups.compactMap { group -> (id: String, tags: [String: String])? in
            let groupTags = Self.tags(group)
            guard let name = group.string("AutoScalingGroupName"), Discovery.matches(groupTags, tags) else { return nil }
            return (name, groupTags)
        }
        return try await Discovery.read(self, candidates, in: context)
    }

    // MARK: Helpers

    static func tags(_ group: XMLTree) -> [String: String] {
        var out: [String: String] = [:]
        for tag in ELB.members(group, "Tags") {
            if let key = tag.string("Key") { out[key] = tag.string("Value") ?? "" }
        }
        return out
    }

    /// Every page of DescribeAutoScalingGroups (`NextToken` inside the result).
    static func describeAll(_ params: QueryParameters, _ context: ResourceContext) async throws -> [XMLTree] {
        try await Paginator.collect { token in
            var p = params
            p["NextToken"] = token
            let answer = ELB.result(try await context.client.query(service: .autoscaling, action: "DescribeAutoScalingGroups", params: p), "DescribeAutoScalingGroups")
            return (ELB.members(answer, "AutoScalingGroups"), answer.string("NextToken"))
        }
    }

    /// The group; nil when it does not exist (or is being deleted).
    private func describe(_ name: String, _ context: ResourceContext) async throws -> XMLTree? {
        var params = QueryParameters()
        params.list("AutoScalingGroupNames.member", [name])
        return try await Self.describeAll(params, context).first { $0.string("AutoScalingGroupName") == name && $0.string("Status") != "Delete in progress" }
    }

    private func encodeSettings(_ inputs: Inputs, into params: inout QueryParameters) {
        for (key, parameter) in [("minSize", "MinSize"), ("maxSize", "MaxSize"), ("desiredCapacity", "DesiredCapacity")] {
            if let value = InputChecks.int(inputs, key) { params.set(parameter, value) }
        }
        if let subnets = ListAttribute.strings(inputs, "subnets") { params["VPCZoneIdentifier"] = subnets.joined(separator: ",") }
        params["LaunchTemplate.LaunchTemplateId"] = inputs.string("launchTemplateId")
        params["LaunchTemplate.Version"] = inputs.string("launchTemplateVersion") ?? "$Default"
    }

    private func encodeTags(_ tags: [String: String], name: String, into params: inout QueryParameters) {
        for (index, key) in tags.keys.sorted().enumerated() {
            let prefix = "Tags.member.\(index + 1)"
            params["\(prefix).Key"] = key
            params["\(prefix).Value"] = tags[key]
            params["\(prefix).ResourceId"] = name
            params["\(prefix).ResourceType"] = "auto-scaling-group"
            params.set("\(prefix).PropagateAtLaunch", true)
        }
    }
}
