import StrataAWSKit
import StrataModel
import StrataPluginKit

/// `aws_vpc`: CreateVpc / DescribeVpcs / ModifyVpcAttribute / DeleteVpc.
struct VPCResource: EC2ListedResource {
    let type = "aws_vpc"
    let listing = EC2Listing(action: "DescribeVpcs", listElement: "vpcSet", idElement: "vpcId")

    var schema: ResourceSchema {
        ResourceSchema(
            description: "An Amazon VPC.",
            attributes: [
                "cidrBlock": .init(.string, .required, forcesReplacement: true, description: "IPv4 range, /16 to /28, e.g. 10.0.0.0/16."),
                "enableDnsSupport": .init(.bool, .optionalComputed, description: "Amazon DNS in the VPC (AWS default true)."),
                "enableDnsHostnames": .init(.bool, .optionalComputed, description: "DNS names for public IPs (AWS default false)."),
                "tags": CommonAttributes.tags,
                "id": CommonAttributes.id,
                "arn": CommonAttributes.arn,
                "ownerId": .init(.string, .computed),
                "state": .init(.string, .computed),
                "isDefault": .init(.bool, .computed),
            ],
            typicalCreateSeconds: 3)
    }

    func check(_ inputs: Inputs) -> [CheckProblem] {
        guard let cidr = inputs.string("cidrBlock"), let problem = NameRules.vpcCIDRProblem(cidr) else { return [] }
        return [CheckProblem(attribute: "cidrBlock", message: problem)]
    }

    func create(_ inputs: Inputs, token: String, tags: [String: String], in context: ResourceContext) async throws -> String {
        let cidr = try inputs.require("cidrBlock", for: type)
        var params = QueryParameters()
        params["CidrBlock"] = cidr
        params.tagSpecification(resourceType: "vpc", tags: tags)
        context.progress.report("creating VPC \(cidr)")
        let answer = try await context.client.query(service: .ec2, action: "CreateVpc", params: params)
        guard let id = answer.string("vpc", "vpcId") else {
            throw PluginError(.fatal, "CreateVpc answered without a vpcId: \(answer)")
        }
        try await waitAvailable(id, context)
        try await setAttributes(id: id, prior: nil, inputs: inputs, context)
        return id
    }

    func read(id: String, recorded: Inputs?, in context: ResourceContext) async throws -> [String: Value]? {
        guard let vpc = try await EC2.describeOne(action: "DescribeVpcs", idParameter: "VpcId", id: id, listElement: "vpcSet", client: context.client) else {
            return nil
        }
        let owner = vpc.string("ownerId")
        var outputs: [String: Value] = [
            "id": .string(id),
            "cidrBlock": vpc.string("cidrBlock").map(Value.string) ?? .null,
            "state": vpc.string("state").map(Value.string) ?? .null,
            "isDefault": vpc.bool("isDefault").map(Value.bool) ?? .null,
            "ownerId": owner.map(Value.string) ?? .null,
            "arn": EC2.arn(context, owner: owner, resource: "vpc/\(id)"),
        ]
        StrataTags.output(StrataTags.userTags(EC2.tags(vpc)), recorded: recorded, into: &outputs)
        for attribute in ["enableDnsSupport", "enableDnsHostnames"] {
            var params = QueryParameters()
            params["VpcId"] = id
            params["Attribute"] = attribute
            let answer = try await context.client.query(service: .ec2, action: "DescribeVpcAttribute", params: params)
            if let value = answer.bool(attribute, "value") { outputs[attribute] = .bool(value) }
        }
        return outputs
    }

    func update(id: String, prior: Inputs, inputs: Inputs, in context: ResourceContext) async throws {
        try await setAttributes(id: id, prior: prior, inputs: inputs, context)
        try await EC2.updateTags(id: id, from: prior.tags, to: inputs.tags, client: context.client)
    }

    func delete(id: String, in context: ResourceContext) async throws {
        context.progress.report("deleting VPC \(id)")
        try await EC2.delete("VPC \(id)", action: "DeleteVpc", params: ["VpcId": id], context: context)
    }


    /// ModifyVpcAttribute takes one attribute per call; only set what the stack sets and changed.
    private func setAttributes(id: String, prior: Inputs?, inputs: Inputs, _ context: ResourceContext) async throws {
        for attribute in ["enableDnsSupport", "enableDnsHostnames"] {
            guard let wanted = inputs.bool(attribute) else { continue }
            if let prior, prior.bool(attribute) == wanted { continue }
            if prior == nil && wanted == (attribute == "enableDnsSupport") { continue }  // AWS's default already
            var params = QueryParameters()
            params["VpcId"] = id
            params.set("\(attribute.prefix(1).uppercased())\(attribute.dropFirst()).Value", wanted)
            context.progress.report("setting \(attribute) = \(wanted) on \(id)")
            _ = try await context.client.query(service: .ec2, action: "ModifyVpcAttribute", params: params)
        }
    }

    private func waitAvailable(_ id: String, _ context: ResourceContext) async throws {
        try await Waiter("VPC \(id) to be available", timeout: 300, minDelay: 1, maxDelay: 10)
            .wait(progress: context.progress.report) { () async throws -> WaitState<Void> in
                guard let vpc = try await EC2.describeOne(action: "DescribeVpcs", idParameter: "VpcId", id: id, listElement: "vpcSet", client: context.client) else {
                    return .pending("not visible yet")
                }
                let state = vpc.string("state") ?? "unknown"
                return state == "available" ? .done(()) : .pending(state)
            }
    }
}
