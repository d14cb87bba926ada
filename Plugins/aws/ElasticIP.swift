import StrataAWSKit
import StrataModel
import StrataPluginKit

/// `aws_eip`: an Elastic IP address for use in a VPC. AllocateAddress (domain vpc) /
/// DescribeAddresses / CreateTags, DeleteTags / ReleaseAddress (waits while a NAT gateway
/// being deleted still holds it). The id is the allocation id.
struct ElasticIPResource: EC2ListedResource {
    let type = "aws_eip"
    let listing = EC2Listing(action: "DescribeAddresses", listElement: "addressesSet", idElement: "allocationId")

    var schema: ResourceSchema {
        ResourceSchema(
            description: "An Elastic IP address (domain vpc), e.g. for a NAT gateway.",
            attributes: [
                "tags": CommonAttributes.tags,
                "id": .init(.string, .computed, description: "The allocation id (eipalloc-…)."),
                "arn": CommonAttributes.arn,
                "publicIp": .init(.string, .computed),
                "domain": .init(.string, .computed),
                "associationId": .init(.string, .computed),
            ],
            typicalCreateSeconds: 1)
    }

    func check(_ inputs: Inputs) -> [CheckProblem] { [] }

    func create(_ inputs: Inputs, token: String, tags: [String: String], in context: ResourceContext) async throws -> String {
        var params: QueryParameters = ["Domain": "vpc"]
        params.tagSpecification(resourceType: "elastic-ip", tags: tags)
        context.progress.report("allocating an Elastic IP")
        let answer = try await context.client.query(service: .ec2, action: "AllocateAddress", params: params)
        guard let id = answer.string("allocationId") else {
            throw PluginError(.fatal, "AllocateAddress answered without an allocationId: \(answer)")
        }
        return id
    }

    func read(id: String, recorded: Inputs?, in context: ResourceContext) async throws -> [String: Value]? {
        guard let address = try await describe(id, context) else { return nil }
        let owner = address.string("networkInterfaceOwnerId") ?? address.string("ownerId")
        var outputs: [String: Value] = [
            "id": .string(id),
            "publicIp": address.string("publicIp").map(Value.string) ?? .null,
            "domain": address.string("domain").map(Value.string) ?? .null,
            "associationId": address.string("associationId").map(Value.string) ?? .null,
            "arn": EC2.arn(context, owner: owner, resource: "elastic-ip/\(id)"),
        ]
        StrataTags.output(StrataTags.userTags(EC2.tags(address)), recorded: recorded, into: &outputs)
        return outputs
    }

    func update(id: String, prior: Inputs, inputs: Inputs, in context: ResourceContext) async throws {
        try await EC2.updateTags(id: id, from: prior.tags, to: inputs.tags, client: context.client)
    }

    func delete(id: String, in context: ResourceContext) async throws {
        guard try await describe(id, context) != nil else { return }
        context.progress.report("releasing Elastic IP \(id)")
        try await Waiter("Elastic IP \(id) to be releasable", timeout: 300, minDelay: 2, maxDelay: 15)
            .wait(progress: context.progress.report) { () async throws -> WaitState<Void> in
                do {
                    _ = try await context.client.query(service: .ec2, action: "ReleaseAddress", params: ["AllocationId": id])
                    return .done(())
                } catch let error as AWSError where error.kind == .notFound {
                    return .done(())
                } catch let error as AWSError where error.code.hasSuffix(".InUse") || error.code == "DependencyViolation" {
                    return .pending("still in use (\(error.message))")
                }
            }
    }

    private func describe(_ id: String, _ context: ResourceContext) async throws -> XMLTree? {
        try await EC2.describeOne(action: "DescribeAddresses", idParameter: "AllocationId", id: id, listElement: "addressesSet", client: context.client)
    }
}
