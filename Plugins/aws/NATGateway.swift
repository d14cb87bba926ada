import StrataAWSKit
import StrataModel
import StrataPluginKit

/// `aws_nat_gateway`: a NAT gateway in a subnet. CreateNatGateway (then waits for
/// `available`) / DescribeNatGateways / CreateTags, DeleteTags / DeleteNatGateway (then waits
/// for `deleted`). Nothing but tags changes in place.
struct NATGatewayResource: AWSResource {
    let type = "aws_nat_gateway"
    static let live = ["pending", "available"]

    var schema: ResourceSchema {
        ResourceSchema(
            description: "A NAT gateway: instances in private subnets reach the internet through it.",
            attributes: [
                "subnetId": .init(.string, .required, forcesReplacement: true, description: "A public subnet (with a route to an internet gateway)."),
                "allocationId": .init(.string, .optional, forcesReplacement: true, description: "The Elastic IP's allocation id; required when public."),
                "connectivityType": .init(.string, .optionalComputed, forcesReplacement: true, description: "public (default) or private."),
                "tags": CommonAttributes.tags,
                "id": CommonAttributes.id,
                "publicIp": .init(.string, .computed),
                "privateIp": .init(.string, .computed),
                "networkInterfaceId": .init(.string, .computed),
                "vpcId": .init(.string, .computed),
                "state": .init(.string, .computed),
            ],
            typicalCreateSeconds: 120)
    }

    func check(_ inputs: Inputs) -> [CheckProblem] {
        var problems = InputChecks.oneOf(inputs, "connectivityType", ["public", "private"])
        let type = inputs.string("connectivityType") ?? "public"
        if inputs.isKnown("connectivityType"), inputs.isKnown("allocationId") {
            if type == "public", inputs["allocationId"] == nil {
                problems.append(CheckProblem(attribute: "allocationId", message: "a public NAT gateway needs 'allocationId' (an aws_eip's id)"))
            } else if type == "private", inputs["allocationId"] != nil {
                problems.append(CheckProblem(attribute: "allocationId", message: "a private NAT gateway takes no Elastic IP; drop 'allocationId'"))
            }
        }
        return problems
    }

    func create(_ inputs: Inputs, token: String, tags: [String: String], in context: ResourceContext) async throws -> String {
        let subnet = try inputs.require("subnetId", for: type)
        var params = QueryParameters()
        params["SubnetId"] = subnet
        params["AllocationId"] = inputs.string("allocationId")
        params["ConnectivityType"] = inputs.string("connectivityType") ?? "public"
        // At most 64 ASCII characters; the same engine token gives the same request token.
        params["ClientToken"] = String(Digest.sha256Hex(Array("strata:\(token)".utf8)).prefix(64))
        params.tagSpecification(resourceType: "natgateway", tags: tags)
        context.progress.report("creating NAT gateway in \(subnet)")
        let answer = try await context.client.query(service: .ec2, action: "CreateNatGateway", params: params)
        guard let id = answer.string("natGateway", "natGatewayId") else {
            throw PluginError(.fatal, "CreateNatGateway answered without a natGatewayId: \(answer)")
        }
        try await Waiter("NAT gateway \(id) to be available", timeout: 900, minDelay: 2, maxDelay: 15)
            .wait(progress: context.progress.report) { () async throws -> WaitState<Void> in
                guard let gateway = try await describe(id, context) else { return .pending("not visible yet") }
                switch gateway.string("state") ?? "" {
                case "available": return .done(())
                case "failed", "deleting", "deleted":
                    return .failed("\(gateway.string("state") ?? ""): \(gateway.string("failureMessage") ?? "no reason given")")
                case let state: return .pending(state)
                }
            }
        return id
    }

    func read(id: String, recorded: Inputs?, in context: ResourceContext) async throws -> [String: Value]? {
        guard let gateway = try await describe(id, context), Self.live.contains(gateway.string("state") ?? "") else { return nil }
        let address = gateway.items("natGatewayAddressSet").first
        var outputs: [String: Value] = [
            "id": .string(id),
            "subnetId": gateway.string("subnetId").map(Value.string) ?? .null,
            "connectivityType": .string(gateway.string("connectivityType") ?? "public"),
            "vpcId": gateway.string("vpcId").map(Value.string) ?? .null,
            "state": gateway.string("state").map(Value.string) ?? .null,
            "publicIp": address?.string("publicIp").map(Value.string) ?? .null,
            "privateIp": address?.string("privateIp").map(Value.string) ?? .null,
            "networkInterfaceId": address?.string("networkInterfaceId").map(Value.string) ?? .null,
        ]
        if let allocation = address?.string("allocationId") { outputs["allocationId"] = .string(allocation) }
        StrataTags.output(StrataTags.userTags(EC2.tags(gateway)), recorded: recorded, into: &outputs)
        return outputs
    }

    func update(id: String, prior: Inputs, inputs: Inputs, in context: ResourceContext) async throws {
        try await EC2.updateTags(id: id, from: prior.tags, to: inputs.tags, client: context.client)
    }

    /// Deletes and waits for `deleted`; then makes sure the Elastic IP is free for a new
    /// gateway (AWS frees it with the gateway's network interface; moto_server keeps the
    /// association, so it is let go here).
    func delete(id: String, in context: ResourceContext) async throws {
        let address = try await describe(id, context)?.items("natGatewayAddressSet").first
        context.progress.report("deleting NAT gateway \(id)")
        do {
            _ = try await context.client.query(service: .ec2, action: "DeleteNatGateway", params: ["NatGatewayId": id])
        } catch let error as AWSError where error.kind == .notFound {
            return
        }
        try await Waiter("NAT gateway \(id) to be deleted", timeout: 900, minDelay: 2, maxDelay: 15)
            .wait(progress: context.progress.report) { () async throws -> WaitState<Void> in
                let state = try await describe(id, context)?.string("state") ?? "deleted"
                return state == "deleted" ? .done(()) : .pending(state)
            }
        if let allocation = address?.string("allocationId"), let interface = address?.string("networkInterfaceId") {
            try await releaseAssociation(allocation: allocation, interface: interface, context)
        }
    }

    /// Disassociates the address from the deleted gateway's interface if it still is.
    private func releaseAssociation(allocation: String, interface: String, _ context: ResourceContext) async throws {
        guard let eip = try await EC2.describeOne(action: "DescribeAddresses", idParameter: "AllocationId", id: allocation,
                                                  listElement: "addressesSet", client: context.client),
            eip.string("networkInterfaceId") == interface, let association = eip.string("associationId"), !association.isEmpty
        else { return }
        context.progress.report("letting go of \(allocation) (still associated with \(interface))")
        do {
            _ = try await context.client.query(service: .ec2, action: "DisassociateAddress", params: ["AssociationId": association])
        } catch let error as AWSError where error.kind == .notFound {}
    }

    /// Among the live gateways of its subnet, the one carrying the token (checked here: not
    /// every endpoint filters NAT gateways by tag).
    func find(token: String, inputs: Inputs, in context: ResourceContext) async throws -> String? {
        var params = QueryParameters()
        params.filter("tag:\(StrataTags.token)", [token])
        params.filter("state", Self.live)
        if let subnet = inputs.string("subnetId") { params.filter("subnet-id", [subnet]) }
        let items = try await context.client.queryPages(service: .ec2, action: "DescribeNatGateways", params: params, listElement: "natGatewaySet")
        return items.first { EC2.tags($0)[StrataTags.token] == token && Self.live.contains($0.string("state") ?? "") }?.string("natGatewayId")
    }

    func discover(tags: [String: String], in context: ResourceContext) async throws -> [DiscoveredResource] {
        try await Discovery.ec2(self, action: "DescribeNatGateways", listElement: "natGatewaySet", idElement: "natGatewayId", tags: tags, in: context)
    }

    private func describe(_ id: String, _ context: ResourceContext) async throws -> XMLTree? {
        try await EC2.describeOne(action: "DescribeNatGateways", idParameter: "NatGatewayId", id: id, listElement: "natGatewaySet", client: context.client)
    }
}
