import StrataAWSKit
import StrataModel
import StrataPluginKit

/// `aws_lb`: an application load balancer. CreateLoadBalancer (then waits for `active`) /
/// DescribeLoadBalancers + DescribeTags / SetSubnets, SetSecurityGroups, AddTags, RemoveTags /
/// DeleteLoadBalancer. The id is the ARN.
struct LoadBalancerResource: AWSResource {
    let type = "aws_lb"

    var schema: ResourceSchema {
        ResourceSchema(
            description: "An application load balancer (Elastic Load Balancing v2).",
            attributes: [
                "name": .init(.string, .required, forcesReplacement: true, description: "1-32 letters, digits and hyphens; unique in the region."),
                "internal": .init(.bool, .optionalComputed, forcesReplacement: true, description: "true: internal; false (default): internet-facing."),
                "subnets": .init(.list, .required, description: "Subnet ids, in at least two availability zones; changed in place."),
                "securityGroups": .init(.list, .optionalComputed, description: "Security group ids; changed in place. Default: the VPC's default group."),
                "tags": CommonAttributes.tags,
                "id": .init(.string, .computed, description: "The ARN."),
                "arn": CommonAttributes.arn,
                "dnsName": .init(.string, .computed),
                "zoneId": .init(.string, .computed, description: "The canonical hosted zone id (for Route 53 alias records)."),
                "vpcId": .init(.string, .computed),
            ],
            typicalCreateSeconds: 180)
    }

    func check(_ inputs: Inputs) -> [CheckProblem] {
        var problems = InputChecks.elbName(inputs, what: "load balancer")
        if let subnets = inputs["subnets"], subnets.isKnown, (subnets.revealed.listValue ?? []).isEmpty {
            problems.append(CheckProblem(attribute: "subnets", message: "an application load balancer needs at least one subnet (two, in different zones, on AWS)"))
        }
        return problems
    }

    func create(_ inputs: Inputs, token: String, tags: [String: String], in context: ResourceContext) async throws -> String {
        let name = try inputs.require("name", for: type)
        var params = QueryParameters()
        params["Name"] = name
        params["Type"] = "application"
        params["Scheme"] = inputs.bool("internal") == true ? "internal" : "internet-facing"
        params.list("Subnets.member", ListAttribute.strings(inputs, "subnets") ?? [])
        if let groups = ListAttribute.strings(inputs, "securityGroups"), !groups.isEmpty { params.list("SecurityGroups.member", groups) }
        params.tagList("Tags.member", tags)
        context.progress.report("creating load balancer \(name)")
        let made: [XMLTree]
        do {
            made = try await ELB.call("CreateLoadBalancer", params, list: "LoadBalancers", client: context.client)
        } catch let error as AWSError where error.code == "DuplicateLoadBalancerName" {
            throw PluginError(
                .conflict,
                "a load balancer named \(name) already exists with other settings and was not made by this stack (names are unique in a region); choose another name, or adopt it with import",
                providerCode: error.code)
        }
        guard let arn = made.first?.string("LoadBalancerArn") else {
            throw PluginError(.fatal, "CreateLoadBalancer answered without a LoadBalancerArn")
        }
        try await Waiter("load balancer \(name) to be active", timeout: 900, minDelay: 2, maxDelay: 15)
            .wait(progress: context.progress.report) { () async throws -> WaitState<Void> in
                let state = try await describe(arn, context)?.string("State", "Code") ?? "not visible yet"
                switch state {
                case "active": return .done(())
                case "failed": return .failed("AWS reports the load balancer as failed")
                default: return .pending(state)
                }
            }
        return arn
    }

    func read(id: String, recorded: Inputs?, in context: ResourceContext) async throws -> [String: Value]? {
        guard let lb = try await describe(id, context) else { return nil }
        var outputs: [String: Value] = [
            "id": .string(id), "arn": .string(id),
            "name": lb.string("LoadBalancerName").map(Value.string) ?? .null,
            "internal": .bool(lb.string("Scheme") == "internal"),
            "dnsName": lb.string("DNSName").map(Value.string) ?? .null,
            "zoneId": lb.string("CanonicalHostedZoneId").map(Value.string) ?? .null,
            "vpcId": lb.string("VpcId").map(Value.string) ?? .null,
        ]
        // Without the stack's spelling (import), in zone order: the order stacks usually write.
        let zones = ELB.members(lb, "AvailabilityZones").sorted { ($0.string("ZoneName") ?? "") < ($1.string("ZoneName") ?? "") }
        let subnets = zones.compactMap { $0.string("SubnetId") }
        outputs["subnets"] = ListAttribute.output(recorded?["subnets"], subnets, sorted: false)
        outputs["securityGroups"] = ListAttribute.output(recorded?["securityGroups"], ELB.members(lb, "SecurityGroups").map(\.text))
        let tags = try await ELB.tags([id], client: context.client)[id] ?? [:]
        StrataTags.output(StrataTags.userTags(tags), recorded: recorded, into: &outputs)
        return outputs
    }

    func update(id: String, prior: Inputs, inputs: Inputs, in context: ResourceContext) async throws {
        guard let lb = try await describe(id, context) else {
            throw PluginError(.notFound, "load balancer \(id) does not exist", providerCode: "LoadBalancerNotFound")
        }
        let subnets = Set(ELB.members(lb, "AvailabilityZones").compactMap { $0.string("SubnetId") })
        if let wanted = ListAttribute.strings(inputs, "subnets"), Set(wanted) != subnets {
            var params: QueryParameters = ["LoadBalancerArn": id]
            params.list("Subnets.member", wanted)
            context.progress.report("setting the subnets of \(id)")
            _ = try await context.client.query(service: .elbv2, action: "SetSubnets", params: params)
        }
        let groups = Set(ELB.members(lb, "SecurityGroups").map(\.text))
        if let wanted = ListAttribute.strings(inputs, "securityGroups"), Set(wanted) != groups {
            var params: QueryParameters = ["LoadBalancerArn": id]
            params.list("SecurityGroups.member", wanted)
            context.progress.report("setting the security groups of \(id)")
            _ = try await context.client.query(service: .elbv2, action: "SetSecurityGroups", params: params)
        }
        try await ELB.updateTags(arn: id, to: inputs.tags, client: context.client)
    }

    func delete(id: String, in context: ResourceContext) async throws {
        context.progress.report("deleting load balancer \(id)")
        do {
            _ = try await context.client.query(service: .elbv2, action: "DeleteLoadBalancer", params: ["LoadBalancerArn": id])
        } catch let error as AWSError where error.kind == .notFound {
            return
        }
    }

    /// By name (unique in a region), if it carries the token.
    func find(token: String, inputs: Inputs, in context: ResourceContext) async throws -> String? {
        guard let name = inputs.string("name") else { return nil }
        return try await ELB.named(name, "DescribeLoadBalancers", list: "LoadBalancers", arnElement: "LoadBalancerArn", token: token, client: context.client)
    }

    func discover(tags: [String: String], in context: ResourceContext) async throws -> [DiscoveredResource] {
        try await ELB.discover(self, arns: try await ELB.loadBalancerARNs(client: context.client), tags: tags, in: context)
    }

    private func describe(_ arn: String, _ context: ResourceContext) async throws -> XMLTree? {
        try await ELB.describeOne("DescribeLoadBalancers", arnParameter: "LoadBalancerArns", arn: arn, list: "LoadBalancers", client: context.client)
    }
}
