import StrataAWSKit
import StrataModel
import StrataPluginKit

/// `aws_vpc_endpoint`: a Gateway VPC endpoint (S3, DynamoDB) and the route tables that route
/// to it. CreateVpcEndpoint / DescribeVpcEndpoints / ModifyVpcEndpoint (route tables),
/// CreateTags, DeleteTags / DeleteVpcEndpoints (then waits for `deleted`).
struct VPCEndpointResource: EC2ListedResource {
    let type = "aws_vpc_endpoint"
    let listing = EC2Listing(action: "DescribeVpcEndpoints", listElement: "vpcEndpointSet", idElement: "vpcEndpointId")

    var schema: ResourceSchema {
        ResourceSchema(
            description: "A Gateway VPC endpoint, e.g. for S3 (com.amazonaws.REGION.s3): traffic to the service stays inside AWS.",
            attributes: [
                "vpcId": .init(.string, .required, forcesReplacement: true),
                "serviceName": .init(.string, .required, forcesReplacement: true, description: "e.g. com.amazonaws.us-east-1.s3"),
                "vpcEndpointType": .init(.string, .optionalComputed, forcesReplacement: true, description: "Gateway (the only type supported here)."),
                "routeTableIds": .init(.list, .optionalComputed, description: "Route tables that get a route to the service; changed in place."),
                "tags": CommonAttributes.tags,
                "id": CommonAttributes.id,
                "arn": CommonAttributes.arn,
                "prefixListId": .init(.string, .computed, description: "The service's prefix list (the routes' destination)."),
                "state": .init(.string, .computed),
            ],
            typicalCreateSeconds: 5)
    }

    func check(_ inputs: Inputs) -> [CheckProblem] {
        var problems = InputChecks.oneOf(inputs, "vpcEndpointType", ["Gateway"])
        if let name = inputs.string("serviceName"), name.split(separator: ".").count < 4 {
            problems.append(CheckProblem(attribute: "serviceName", message: "serviceName '\(name)' is not a service name such as com.amazonaws.us-east-1.s3"))
        }
        return problems
    }

    func create(_ inputs: Inputs, token: String, tags: [String: String], in context: ResourceContext) async throws -> String {
        let vpc = try inputs.require("vpcId", for: type)
        let service = try inputs.require("serviceName", for: type)
        var params = QueryParameters()
        params["VpcId"] = vpc
        params["ServiceName"] = service
        params["VpcEndpointType"] = "Gateway"
        params.list("RouteTableId", ListAttribute.strings(inputs, "routeTableIds") ?? [])
        params["ClientToken"] = String(Digest.sha256Hex(Array("strata:\(token)".utf8)).prefix(64))
        params.tagSpecification(resourceType: "vpc-endpoint", tags: tags)
        context.progress.report("creating VPC endpoint for \(service) in \(vpc)")
        let answer = try await context.client.query(service: .ec2, action: "CreateVpcEndpoint", params: params)
        guard let id = answer.string("vpcEndpoint", "vpcEndpointId") else {
            throw PluginError(.fatal, "CreateVpcEndpoint answered without a vpcEndpointId: \(answer)")
        }
        try await Waiter("VPC endpoint \(id) to be available", timeout: 300, minDelay: 1, maxDelay: 10)
            .wait(progress: context.progress.report) { () async throws -> WaitState<Void> in
                let state = try await describe(id, context)?.string("state") ?? "not visible yet"
                switch state.lowercased() {
                case "available": return .done(())
                case "failed", "rejected", "deleted": return .failed(state)
                default: return .pending(state)
                }
            }
        return id
    }

    func read(id: String, recorded: Inputs?, in context: ResourceContext) async throws -> [String: Value]? {
        guard let endpoint = try await describe(id, context) else { return nil }
        let state = endpoint.string("state") ?? ""
        if ["deleted", "deleting"].contains(state.lowercased()) { return nil }
        let owner = endpoint.string("ownerId")
        var outputs: [String: Value] = [
            "id": .string(id),
            "vpcId": endpoint.string("vpcId").map(Value.string) ?? .null,
            "serviceName": endpoint.string("serviceName").map(Value.string) ?? .null,
            "vpcEndpointType": .string(endpoint.string("vpcEndpointType") ?? "Gateway"),
            "routeTableIds": ListAttribute.output(recorded?["routeTableIds"], endpoint.items("routeTableIdSet").map(\.text)),
            "prefixListId": endpoint.string("destinationPrefixListId").map(Value.string) ?? .null,
            "state": .string(state),
            "arn": EC2.arn(context, owner: owner, resource: "vpc-endpoint/\(id)"),
        ]
        StrataTags.output(StrataTags.userTags(EC2.tags(endpoint)), recorded: recorded, into: &outputs)
        return outputs
    }

    func update(id: String, prior: Inputs, inputs: Inputs, in context: ResourceContext) async throws {
        guard let endpoint = try await describe(id, context) else {
            throw PluginError(.notFound, "VPC endpoint \(id) does not exist", providerCode: "InvalidVpcEndpointId.NotFound")
        }
        if let wanted = ListAttribute.strings(inputs, "routeTableIds") {
            let actual = Set(endpoint.items("routeTableIdSet").map(\.text))
            let add = Set(wanted).subtracting(actual).sorted(), remove = actual.subtracting(wanted).sorted()
            if !add.isEmpty || !remove.isEmpty {
                var params: QueryParameters = ["VpcEndpointId": id]
                params.list("AddRouteTableId", add)
                params.list("RemoveRouteTableId", remove)
                context.progress.report("route tables of \(id): +\(add.count) -\(remove.count)")
                _ = try await context.client.query(service: .ec2, action: "ModifyVpcEndpoint", params: params)
            }
        }
        try await EC2.updateTags(id: id, from: prior.tags, to: inputs.tags, client: context.client)
    }

    func delete(id: String, in context: ResourceContext) async throws {
        context.progress.report("deleting VPC endpoint \(id)")
        var params = QueryParameters()
        params.list("VpcEndpointId", [id])
        do {
            _ = try await context.client.query(service: .ec2, action: "DeleteVpcEndpoints", params: params)
        } catch let error as AWSError where error.code.hasPrefix("InvalidVpcEndpoint") && error.kind == .notFound {
            return
        }
        try await Waiter("VPC endpoint \(id) to be deleted", timeout: 300, minDelay: 1, maxDelay: 10)
            .wait(progress: context.progress.report) { () async throws -> WaitState<Void> in
                let state = try await describe(id, context)?.string("state")?.lowercased() ?? "deleted"
                return state == "deleted" ? .done(()) : .pending(state)
            }
    }

    private func describe(_ id: String, _ context: ResourceContext) async throws -> XMLTree? {
        try await EC2.describeOne(action: "DescribeVpcEndpoints", idParameter: "VpcEndpointId", id: id, listElement: "vpcEndpointSet", client: context.client)
    }
}
