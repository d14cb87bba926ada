import StrataAWSKit
import StrataModel
import StrataPluginKit

/// `aws_subnet`: CreateSubnet / DescribeSubnets / ModifySubnetAttribute / DeleteSubnet.
struct SubnetResource: EC2ListedResource {
    let type = "aws_subnet"
    let listing = EC2Listing(action: "DescribeSubnets", listElement: "subnetSet", idElement: "subnetId")

    var schema: ResourceSchema {
        ResourceSchema(
            description: "A subnet of a VPC.",
            attributes: [
                "vpcId": .init(.string, .required, forcesReplacement: true),
                "cidrBlock": .init(.string, .required, forcesReplacement: true, description: "IPv4 range inside the VPC's, /16 to /28."),
                "availabilityZone": .init(.string, .optionalComputed, forcesReplacement: true, description: "e.g. us-east-1a; AWS picks one if unset."),
                "mapPublicIpOnLaunch": .init(.bool, .optionalComputed, description: "Give instances launched here a public IPv4 address."),
                "tags": CommonAttributes.tags,
                "id": CommonAttributes.id,
                "arn": CommonAttributes.arn,
                "ownerId": .init(.string, .computed),
                "availabilityZoneId": .init(.string, .computed),
                "state": .init(.string, .computed),
            ],
            typicalCreateSeconds: 2)
    }

    func check(_ inputs: Inputs) -> [CheckProblem] {
        // Whether the block lies inside the VPC's is only known with both values: AWS says so
        // at create (InvalidSubnet.Range).
        guard let cidr = inputs.string("cidrBlock"), let problem = NameRules.vpcCIDRProblem(cidr) else { return [] }
        return [CheckProblem(attribute: "cidrBlock", message: problem)]
    }

    func create(_ inputs: Inputs, token: String, tags: [String: String], in context: ResourceContext) async throws -> String {
        let vpcID = try inputs.require("vpcId", for: type)
        let cidr = try inputs.require("cidrBlock", for: type)
        var params = QueryParameters()
        params["VpcId"] = vpcID
        params["CidrBlock"] = cidr
        params["AvailabilityZone"] = inputs.string("availabilityZone")
        params.tagSpecification(resourceType: "subnet", tags: tags)
        context.progress.report("creating subnet \(cidr) in \(vpcID)")
        let answer = try await context.client.query(service: .ec2, action: "CreateSubnet", params: params)
        guard let id = answer.string("subnet", "subnetId") else {
            throw PluginError(.fatal, "CreateSubnet answered without a subnetId: \(answer)")
        }
        if inputs.bool("mapPublicIpOnLaunch") == true { try await setMapPublicIP(id, true, context) }
        return id
    }

    func read(id: String, recorded: Inputs?, in context: ResourceContext) async throws -> [String: Value]? {
        guard let subnet = try await EC2.describeOne(action: "DescribeSubnets", idParameter: "SubnetId", id: id, listElement: "subnetSet", client: context.client) else {
            return nil
        }
        let owner = subnet.string("ownerId")
        var outputs: [String: Value] = ["id": .string(id)]
        for (attribute, element) in [("vpcId", "vpcId"), ("cidrBlock", "cidrBlock"), ("availabilityZone", "availabilityZone"),
                                     ("availabilityZoneId", "availabilityZoneId"), ("state", "state"), ("ownerId", "ownerId")] {
            outputs[attribute] = subnet.string(element).map(Value.string) ?? .null
        }
        outputs["mapPublicIpOnLaunch"] = .bool(subnet.bool("mapPublicIpOnLaunch") ?? false)
        outputs["arn"] = subnet.string("subnetArn").map(Value.string) ?? EC2.arn(context, owner: owner, resource: "subnet/\(id)")
        StrataTags.output(StrataTags.userTags(EC2.tags(subnet)), recorded: recorded, into: &outputs)
        return outputs
    }

    func update(id: String, prior: Inputs, inputs: Inputs, in context: ResourceContext) async throws {
        if let wanted = inputs.bool("mapPublicIpOnLaunch"), wanted != prior.bool("mapPublicIpOnLaunch") {
            try await setMapPublicIP(id, wanted, context)
        }
        try await EC2.updateTags(id: id, from: prior.tags, to: inputs.tags, client: context.client)
    }

    func delete(id: String, in context: ResourceContext) async throws {
        context.progress.report("deleting subnet \(id)")
        try await EC2.delete("subnet \(id)", action: "DeleteSubnet", params: ["SubnetId": id], context: context)
    }


    private func setMapPublicIP(_ id: String, _ on: Bool, _ context: ResourceContext) async throws {
        var params = QueryParameters()
        params["SubnetId"] = id
        params.set("MapPublicIpOnLaunch.Value", on)
        context.progress.report("setting mapPublicIpOnLaunch = \(on) on \(id)")
        _ = try await context.client.query(service: .ec2, action: "ModifySubnetAttribute", params: params)
    }
}
