import StrataAWSKit
import StrataModel
import StrataPluginKit

/// `aws_security_group`: CreateSecurityGroup / DescribeSecurityGroups / Authorize* and
/// Revoke* for the rules / DeleteSecurityGroup.
struct SecurityGroupResource: EC2ListedResource {
    let type = "aws_security_group"
    let listing = EC2Listing(action: "DescribeSecurityGroups", listElement: "securityGroupInfo", idElement: "groupId")
    static let defaultDescription = "Managed by Strata"

    var schema: ResourceSchema {
        let rules = "List of {protocol, fromPort, toPort, cidrBlocks, ipv6CidrBlocks, securityGroups, description}."
        return ResourceSchema(
            description: "A VPC security group and its rules.",
            attributes: [
                "name": .init(.string, .required, forcesReplacement: true),
                "description": .init(.string, .optionalComputed, forcesReplacement: true, description: "Default: \"\(Self.defaultDescription)\"."),
                "vpcId": .init(.string, .optionalComputed, forcesReplacement: true, description: "Default: the region's default VPC."),
                "ingress": .init(.list, .optionalComputed, description: "Inbound rules. " + rules),
                "egress": .init(.list, .optionalComputed, description: "Outbound rules; unset keeps AWS's allow-all. " + rules),
                "tags": CommonAttributes.tags,
                "id": CommonAttributes.id,
                "arn": CommonAttributes.arn,
                "ownerId": .init(.string, .computed),
            ],
            typicalCreateSeconds: 2)
    }

    func check(_ inputs: Inputs) -> [CheckProblem] {
        var problems = SecurityGroupRules.problems(inputs["ingress"], attribute: "ingress")
            + SecurityGroupRules.problems(inputs["egress"], attribute: "egress")
        if let name = inputs.string("name") {
            if name.isEmpty || name.count > 255 { problems.append(CheckProblem(attribute: "name", message: "name must be 1 to 255 characters long")) }
            if name.lowercased().hasPrefix("sg-") { problems.append(CheckProblem(attribute: "name", message: "name must not start with 'sg-'")) }
        }
        return problems
    }

    func create(_ inputs: Inputs, token: String, tags: [String: String], in context: ResourceContext) async throws -> String {
        let name = try inputs.require("name", for: type)
        var params = QueryParameters()
        params["GroupName"] = name
        params["GroupDescription"] = inputs.string("description") ?? Self.defaultDescription
        params["VpcId"] = inputs.string("vpcId")
        params.tagSpecification(resourceType: "security-group", tags: tags)
        context.progress.report("creating security group \(name)")
        let answer = try await context.client.query(service: .ec2, action: "CreateSecurityGroup", params: params)
        guard let id = answer.string("groupId") else {
            throw PluginError(.fatal, "CreateSecurityGroup answered without a groupId: \(answer)")
        }
        let current = try await describe(id, context)
        try await setRules(id: id, current: current, inputs: inputs, context)
        return id
    }

    func read(id: String, recorded: Inputs?, in context: ResourceContext) async throws -> [String: Value]? {
        guard let group = try await describe(id, context) else { return nil }
        let owner = group.string("ownerId")
        var outputs: [String: Value] = [
            "id": .string(id),
            "name": group.string("groupName").map(Value.string) ?? .null,
            "description": group.string("groupDescription").map(Value.string) ?? .null,
            "vpcId": group.string("vpcId").map(Value.string) ?? .null,
            "ownerId": owner.map(Value.string) ?? .null,
            "arn": group.string("securityGroupArn").map(Value.string) ?? EC2.arn(context, owner: owner, resource: "security-group/\(id)"),
        ]
        for (attribute, element) in [("ingress", "ipPermissions"), ("egress", "ipPermissionsEgress")] {
            let actual = SecurityGroupRules.atoms(xml: group.items(element))
            // Keep the stack's spelling when it means the same rules, so plans stay quiet.
            if let written = recorded?[attribute], let meant = try? SecurityGroupRules.atoms(written.revealed.listValue, attribute: attribute), meant == actual {
                outputs[attribute] = written
            } else {
                outputs[attribute] = SecurityGroupRules.value(actual)
            }
        }
        StrataTags.output(StrataTags.userTags(EC2.tags(group)), recorded: recorded, into: &outputs)
        return outputs
    }

    func update(id: String, prior: Inputs, inputs: Inputs, in context: ResourceContext) async throws {
        guard let current = try await describe(id, context) else {
            throw PluginError(.notFound, "security group \(id) does not exist", providerCode: "InvalidGroup.NotFound")
        }
        try await setRules(id: id, current: current, inputs: inputs, context)
        try await EC2.updateTags(id: id, from: prior.tags, to: inputs.tags, client: context.client)
    }

    func delete(id: String, in context: ResourceContext) async throws {
        context.progress.report("deleting security group \(id)")
        try await EC2.delete("security group \(id)", action: "DeleteSecurityGroup", params: ["GroupId": id], context: context)
    }


    private func describe(_ id: String, _ context: ResourceContext) async throws -> XMLTree? {
        try await EC2.describeOne(action: "DescribeSecurityGroups", idParameter: "GroupId", id: id, listElement: "securityGroupInfo", client: context.client)
    }

    /// Makes the group's rules the stack's: revoke what is extra, then authorize what is
    /// missing. A direction the stack leaves unset is left as AWS has it.
    private func setRules(id: String, current: XMLTree?, inputs: Inputs, _ context: ResourceContext) async throws {
        for (attribute, element, direction) in [("ingress", "ipPermissions", "Ingress"), ("egress", "ipPermissionsEgress", "Egress")] {
            guard let rules = inputs.list(attribute) else { continue }
            let wanted = try SecurityGroupRules.atoms(rules, attribute: attribute)
            let actual = SecurityGroupRules.atoms(xml: current?.items(element) ?? [])
            let extra = actual.subtracting(wanted), missing = wanted.subtracting(actual)
            if !extra.isEmpty {
                var params: QueryParameters = ["GroupId": id]
                SecurityGroupRules.encode(Array(extra), into: &params)
                context.progress.report("revoking \(extra.count) \(attribute) rule(s) of \(id)")
                _ = try await context.client.query(service: .ec2, action: "RevokeSecurityGroup\(direction)", params: params)
            }
            if !missing.isEmpty {
                var params: QueryParameters = ["GroupId": id]
                SecurityGroupRules.encode(Array(missing), into: &params)
                context.progress.report("authorizing \(missing.count) \(attribute) rule(s) of \(id)")
                _ = try await context.client.query(service: .ec2, action: "AuthorizeSecurityGroup\(direction)", params: params)
            }
        }
    }
}
