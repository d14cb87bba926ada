import StrataAWSKit
import StrataModel
import StrataPluginKit

/// `aws_lb_target_group`: CreateTargetGroup / DescribeTargetGroups + DescribeTags /
/// ModifyTargetGroup (the health check path), AddTags, RemoveTags / DeleteTargetGroup
/// (waits while a listener or rule still forwards to it). The id is the ARN.
struct TargetGroupResource: AWSResource {
    let type = "aws_lb_target_group"
    static let protocols = ["HTTP", "HTTPS", "TCP", "TLS", "UDP", "TCP_UDP", "GENEVE"]
    static let targetTypes = ["instance", "ip", "lambda", "alb"]

    var schema: ResourceSchema {
        ResourceSchema(
            description: "A target group of a load balancer.",
            attributes: [
                "name": .init(.string, .required, forcesReplacement: true, description: "1-32 letters, digits and hyphens; unique in the region."),
                "port": .init(.number, .optional, forcesReplacement: true, description: "1-65535; not for lambda targets."),
                "protocol": .init(.string, .optional, forcesReplacement: true, description: "HTTP, HTTPS, TCP, TLS, UDP, TCP_UDP or GENEVE; not for lambda targets."),
                "vpcId": .init(.string, .optional, forcesReplacement: true, description: "Required unless targetType is lambda."),
                "targetType": .init(.string, .optionalComputed, forcesReplacement: true, description: "instance (default), ip, lambda or alb."),
                "healthCheckPath": .init(.string, .optionalComputed, description: "HTTP(S) health check path, e.g. /health; changed in place."),
                "tags": CommonAttributes.tags,
                "id": .init(.string, .computed, description: "The ARN."),
                "arn": CommonAttributes.arn,
            ],
            typicalCreateSeconds: 2)
    }

    func check(_ inputs: Inputs) -> [CheckProblem] {
        var problems = InputChecks.elbName(inputs, what: "target group")
        problems += InputChecks.integer(inputs, "port", in: 1...65535)
        problems += InputChecks.oneOf(inputs, "protocol", Self.protocols)
        problems += InputChecks.oneOf(inputs, "targetType", Self.targetTypes)
        let lambda = inputs.string("targetType") == "lambda"
        if !lambda, inputs.isKnown("targetType") {
            for key in ["port", "protocol", "vpcId"] where inputs[key] == nil {
                problems.append(CheckProblem(attribute: key, message: "'\(key)' is required unless targetType is lambda"))
            }
        }
        if let path = inputs.string("healthCheckPath"), !path.hasPrefix("/") {
            problems.append(CheckProblem(attribute: "healthCheckPath", message: "healthCheckPath must begin with '/', e.g. /health"))
        }
        return problems
    }

    func create(_ inputs: Inputs, token: String, tags: [String: String], in context: ResourceContext) async throws -> String {
        let name = try inputs.require("name", for: type)
        var params = QueryParameters()
        params["Name"] = name
        params["Protocol"] = inputs.string("protocol")
        if let port = InputChecks.int(inputs, "port") { params.set("Port", port) }
        params["VpcId"] = inputs.string("vpcId")
        params["TargetType"] = inputs.string("targetType")
        params["HealthCheckPath"] = inputs.string("healthCheckPath")
        params.tagList("Tags.member", tags)
        context.progress.report("creating target group \(name)")
        let made: [XMLTree]
        do {
            made = try await ELB.call("CreateTargetGroup", params, list: "TargetGroups", client: context.client)
        } catch let error as AWSError where error.code == "DuplicateTargetGroupName" {
            throw PluginError(
                .conflict,
                "a target group named \(name) already exists with other settings (names are unique in a region); a replacement made before the old one goes needs a new name",
                providerCode: error.code)
        }
        guard let arn = made.first?.string("TargetGroupArn") else {
            throw PluginError(.fatal, "CreateTargetGroup answered without a TargetGroupArn")
        }
        return arn
    }

    func read(id: String, recorded: Inputs?, in context: ResourceContext) async throws -> [String: Value]? {
        guard let group = try await describe(id, context) else { return nil }
        var outputs: [String: Value] = [
            "id": .string(id), "arn": .string(id),
            "name": group.string("TargetGroupName").map(Value.string) ?? .null,
            "protocol": group.string("Protocol").map(Value.string) ?? .null,
            "port": group.string("Port").flatMap(Double.init).map(Value.number) ?? .null,
            "vpcId": group.string("VpcId").map(Value.string) ?? .null,
            "targetType": group.string("TargetType").map(Value.string) ?? .null,
            "healthCheckPath": group.string("HealthCheckPath").map(Value.string) ?? .null,
        ]
        let tags = try await ELB.tags([id], client: context.client)[id] ?? [:]
        StrataTags.output(StrataTags.userTags(tags), recorded: recorded, into: &outputs)
        return outputs
    }

    func update(id: String, prior: Inputs, inputs: Inputs, in context: ResourceContext) async throws {
        guard let group = try await describe(id, context) else {
            throw PluginError(.notFound, "target group \(id) does not exist", providerCode: "TargetGroupNotFound")
        }
        if let path = inputs.string("healthCheckPath"), path != group.string("HealthCheckPath") {
            context.progress.report("setting the health check path of \(id) to \(path)")
            _ = try await context.client.query(service: .elbv2, action: "ModifyTargetGroup", params: ["TargetGroupArn": id, "HealthCheckPath": path])
        }
        try await ELB.updateTags(arn: id, to: inputs.tags, client: context.client)
    }

    /// `ResourceInUse` while a listener or rule still forwards to it: waited out for a while,
    /// then a conflict that says what to do.
    func delete(id: String, in context: ResourceContext) async throws {
        context.progress.report("deleting target group \(id)")
        do {
            try await Waiter("target group \(id) to be deletable", timeout: 60, minDelay: 1, maxDelay: 10)
                .wait(progress: context.progress.report) { () async throws -> WaitState<Void> in
                    do {
                        _ = try await context.client.query(service: .elbv2, action: "DeleteTargetGroup", params: ["TargetGroupArn": id])
                        return .done(())
                    } catch let error as AWSError where error.kind == .notFound {
                        return .done(())
                    } catch let error as AWSError where error.code == "ResourceInUse" {
                        return .pending("still in use (\(error.message))")
                    }
                }
        } catch WaiterError.timedOut(_, _, let last) {
            throw PluginError(
                .conflict,
                "target group \(id) cannot be deleted: \(last). Point the listeners and rules elsewhere first; to replace a target group they use, give the new one another name and mark it createBeforeDestroy (the typed AWS.TargetGroup does).",
                providerCode: "ResourceInUse")
        }
    }

    /// By name (unique in a region), if it carries the token.
    func find(token: String, inputs: Inputs, in context: ResourceContext) async throws -> String? {
        guard let name = inputs.string("name") else { return nil }
        return try await ELB.named(name, "DescribeTargetGroups", list: "TargetGroups", arnElement: "TargetGroupArn", token: token, client: context.client)
    }

    func discover(tags: [String: String], in context: ResourceContext) async throws -> [DiscoveredResource] {
        let arns = try await ELB.pages("DescribeTargetGroups", QueryParameters(), list: "TargetGroups", client: context.client)
            .compactMap { $0.string("TargetGroupArn") }
        return try await ELB.discover(self, arns: arns, tags: tags, in: context)
    }

    private func describe(_ arn: String, _ context: ResourceContext) async throws -> XMLTree? {
        try await ELB.describeOne("DescribeTargetGroups", arnParameter: "TargetGroupArns", arn: arn, list: "TargetGroups", client: context.client)
    }
}
