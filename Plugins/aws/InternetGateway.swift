import StrataAWSKit
import StrataModel
import StrataPluginKit

/// `aws_internet_gateway`: CreateInternetGateway / DescribeInternetGateways /
/// Attach- and DetachInternetGateway / DeleteInternetGateway. The VPC it is attached to
/// changes in place (detach, then attach).
struct InternetGatewayResource: EC2ListedResource {
    let type = "aws_internet_gateway"
    let listing = EC2Listing(action: "DescribeInternetGateways", listElement: "internetGatewaySet", idElement: "internetGatewayId")

    var schema: ResourceSchema {
        ResourceSchema(
            description: "An internet gateway, attached to a VPC.",
            attributes: [
                "vpcId": .init(.string, .optional, description: "The VPC it is attached to; unset leaves it detached. A change detaches and attaches in place."),
                "tags": CommonAttributes.tags,
                "id": CommonAttributes.id,
                "arn": CommonAttributes.arn,
                "ownerId": .init(.string, .computed),
            ],
            typicalCreateSeconds: 2)
    }

    func check(_ inputs: Inputs) -> [CheckProblem] { [] }

    func create(_ inputs: Inputs, token: String, tags: [String: String], in context: ResourceContext) async throws -> String {
        var params = QueryParameters()
        params.tagSpecification(resourceType: "internet-gateway", tags: tags)
        context.progress.report("creating internet gateway")
        let answer = try await context.client.query(service: .ec2, action: "CreateInternetGateway", params: params)
        guard let id = answer.string("internetGateway", "internetGatewayId") else {
            throw PluginError(.fatal, "CreateInternetGateway answered without an internetGatewayId: \(answer)")
        }
        if let vpcID = inputs.string("vpcId") { try await attach(id, vpcID, context) }
        return id
    }

    func read(id: String, recorded: Inputs?, in context: ResourceContext) async throws -> [String: Value]? {
        guard let gateway = try await describe(id, context) else { return nil }
        let owner = gateway.string("ownerId")
        var outputs: [String: Value] = [
            "id": .string(id),
            "ownerId": owner.map(Value.string) ?? .null,
            "arn": EC2.arn(context, owner: owner, resource: "internet-gateway/\(id)"),
            "vpcId": Self.attachedVPCs(gateway).first.map(Value.string) ?? .null,
        ]
        StrataTags.output(StrataTags.userTags(EC2.tags(gateway)), recorded: recorded, into: &outputs)
        return outputs
    }

    /// Makes the attachment the stack's, compared with what AWS has (not only with `prior`).
    func update(id: String, prior: Inputs, inputs: Inputs, in context: ResourceContext) async throws {
        guard let gateway = try await describe(id, context) else {
            throw PluginError(.notFound, "internet gateway \(id) does not exist", providerCode: "InvalidInternetGatewayID.NotFound")
        }
        let wanted = inputs.string("vpcId")
        for vpcID in Self.attachedVPCs(gateway) where vpcID != wanted {
            try await detach(id, vpcID, context)
        }
        if let wanted, !Self.attachedVPCs(gateway).contains(wanted) { try await attach(id, wanted, context) }
        try await EC2.updateTags(id: id, from: prior.tags, to: inputs.tags, client: context.client)
    }

    func delete(id: String, in context: ResourceContext) async throws {
        if let gateway = try await describe(id, context) {
            for vpcID in Self.attachedVPCs(gateway) { try await detach(id, vpcID, context) }
        }
        context.progress.report("deleting internet gateway \(id)")
        try await EC2.delete("internet gateway \(id)", action: "DeleteInternetGateway", params: ["InternetGatewayId": id], context: context)
    }


    /// The VPCs it is attached to (attaching or attached).
    static func attachedVPCs(_ gateway: XMLTree) -> [String] {
        gateway.items("attachmentSet").filter { ($0.string("state") ?? "available") != "detached" && $0.string("state") != "detaching" }
            .compactMap { $0.string("vpcId") }
    }

    private func describe(_ id: String, _ context: ResourceContext) async throws -> XMLTree? {
        try await EC2.describeOne(action: "DescribeInternetGateways", idParameter: "InternetGatewayId", id: id, listElement: "internetGatewaySet", client: context.client)
    }

    private func attach(_ id: String, _ vpcID: String, _ context: ResourceContext) async throws {
        context.progress.report("attaching \(id) to \(vpcID)")
        _ = try await context.client.query(service: .ec2, action: "AttachInternetGateway", params: ["InternetGatewayId": id, "VpcId": vpcID])
    }

    /// Detaches; waits out `DependencyViolation` (public addresses still mapped in the VPC);
    /// not attached any more is success.
    private func detach(_ id: String, _ vpcID: String, _ context: ResourceContext) async throws {
        context.progress.report("detaching \(id) from \(vpcID)")
        do {
            try await EC2.delete("internet gateway \(id) (detach from \(vpcID))", action: "DetachInternetGateway",
                                 params: ["InternetGatewayId": id, "VpcId": vpcID], context: context)
        } catch let error as AWSError where error.code == "Gateway.NotAttached" {
            return
        }
    }
}
