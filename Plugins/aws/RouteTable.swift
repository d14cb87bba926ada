import StrataAWSKit
import StrataModel
import StrataPluginKit

/// `aws_route_table`: CreateRouteTable / DescribeRouteTables / Create-, Replace- and
/// DeleteRoute for the routes / DeleteRouteTable. The VPC's local route is AWS's and is not
/// part of `routes`.
struct RouteTableResource: EC2ListedResource {
    let type = "aws_route_table"
    let listing = EC2Listing(action: "DescribeRouteTables", listElement: "routeTableSet", idElement: "routeTableId")
    static let routeKeys: Set<String> = ["destinationCidrBlock", "gatewayId", "natGatewayId"]

    var schema: ResourceSchema {
        ResourceSchema(
            description: "A route table of a VPC and its routes.",
            attributes: [
                "vpcId": .init(.string, .required, forcesReplacement: true),
                "routes": .init(.list, .optionalComputed, description: "List of {destinationCidrBlock, gatewayId} or {destinationCidrBlock, natGatewayId}; changed in place. The local route and VPC endpoint routes are not listed."),
                "tags": CommonAttributes.tags,
                "id": CommonAttributes.id,
                "arn": CommonAttributes.arn,
                "ownerId": .init(.string, .computed),
            ],
            typicalCreateSeconds: 2)
    }

    func check(_ inputs: Inputs) -> [CheckProblem] {
        guard let value = inputs["routes"], value.isKnown else { return [] }
        do { _ = try Self.routes(value.revealed.listValue) } catch let error as PluginError {
            return [CheckProblem(attribute: "routes", message: error.message)]
        } catch {
            return [CheckProblem(attribute: "routes", message: "\(error)")]
        }
        return []
    }

    func create(_ inputs: Inputs, token: String, tags: [String: String], in context: ResourceContext) async throws -> String {
        let vpcID = try inputs.require("vpcId", for: type)
        var params = QueryParameters()
        params["VpcId"] = vpcID
        params.tagSpecification(resourceType: "route-table", tags: tags)
        context.progress.report("creating route table in \(vpcID)")
        let answer = try await context.client.query(service: .ec2, action: "CreateRouteTable", params: params)
        guard let id = answer.string("routeTable", "routeTableId") else {
            throw PluginError(.fatal, "CreateRouteTable answered without a routeTableId: \(answer)")
        }
        try await setRoutes(id: id, current: answer.child("routeTable"), inputs: inputs, context)
        return id
    }

    func read(id: String, recorded: Inputs?, in context: ResourceContext) async throws -> [String: Value]? {
        guard let table = try await describe(id, context) else { return nil }
        let owner = table.string("ownerId")
        var outputs: [String: Value] = [
            "id": .string(id),
            "vpcId": table.string("vpcId").map(Value.string) ?? .null,
            "ownerId": owner.map(Value.string) ?? .null,
            "arn": EC2.arn(context, owner: owner, resource: "route-table/\(id)"),
        ]
        let actual = Self.routes(xml: table)
        // Keep the stack's spelling (its order) when it means the same routes, so plans stay quiet.
        if let written = recorded?["routes"], let meant = try? Self.routes(written.revealed.listValue), meant == actual {
            outputs["routes"] = written
        } else {
            outputs["routes"] = Self.value(actual)
        }
        StrataTags.output(StrataTags.userTags(EC2.tags(table)), recorded: recorded, into: &outputs)
        return outputs
    }

    func update(id: String, prior: Inputs, inputs: Inputs, in context: ResourceContext) async throws {
        guard let current = try await describe(id, context) else {
            throw PluginError(.notFound, "route table \(id) does not exist", providerCode: "InvalidRouteTableID.NotFound")
        }
        try await setRoutes(id: id, current: current, inputs: inputs, context)
        try await EC2.updateTags(id: id, from: prior.tags, to: inputs.tags, client: context.client)
    }

    func delete(id: String, in context: ResourceContext) async throws {
        context.progress.report("deleting route table \(id)")
        try await EC2.delete("route table \(id)", action: "DeleteRouteTable", params: ["RouteTableId": id], context: context)
    }


    // MARK: Routes

    /// Where a route goes: an internet (or virtual private) gateway, or a NAT gateway.
    struct Target: Sendable, Hashable {
        /// `gatewayId` or `natGatewayId`: the key in the stack's route map.
        var key: String
        var id: String

        /// The CreateRoute/ReplaceRoute parameter.
        var parameter: String { key == "natGatewayId" ? "NatGatewayId" : "GatewayId" }
    }

    /// The stack's routes: destination → target. Each route names one target.
    static func routes(_ list: [Value]?) throws -> [String: Target] {
        var out: [String: Target] = [:]
        let known = routeKeys.sorted().joined(separator: ", ")
        for (index, route) in (list ?? []).enumerated() {
            let at = "routes[\(index)]"
            guard let fields = route.revealed.mapValue else { throw PluginError(.invalid, "\(at) must be a map {destinationCidrBlock, gatewayId or natGatewayId}") }
            if let unknown = fields.keys.sorted().first(where: { !routeKeys.contains($0) }) {
                throw PluginError(.invalid, "\(at): unknown key '\(unknown)' (known: \(known))")
            }
            guard let destination = fields["destinationCidrBlock"]?.stringValue, !destination.isEmpty else {
                throw PluginError(.invalid, "\(at): 'destinationCidrBlock' is required")
            }
            let targets = ["gatewayId", "natGatewayId"].compactMap { key -> Target? in
                guard let id = fields[key]?.stringValue, !id.isEmpty else { return nil }
                return Target(key: key, id: id)
            }
            guard targets.count == 1, let target = targets.first else {
                throw PluginError(.invalid, targets.isEmpty ? "\(at): 'gatewayId' is required (or 'natGatewayId' for a NAT gateway)"
                                                            : "\(at): give either 'gatewayId' or 'natGatewayId', not both")
            }
            if target.id == "local" { throw PluginError(.invalid, "\(at): the local route is AWS's and is not listed in 'routes'") }
            if target.id.hasPrefix("vpce-") { throw PluginError(.invalid, "\(at): VPC endpoint routes belong to the aws_vpc_endpoint (its routeTableIds), not to 'routes'") }
            if out[destination] != nil { throw PluginError(.invalid, "\(at): two routes for \(destination)") }
            out[destination] = target
        }
        return out
    }

    /// The IPv4 gateway and NAT gateway routes AWS has, without the local route and without
    /// the routes VPC endpoints manage (to a prefix list, through a `vpce-` gateway).
    static func routes(xml table: XMLTree) -> [String: Target] {
        var out: [String: Target] = [:]
        for route in table.items("routeSet") {
            guard let destination = route.string("destinationCidrBlock"), !destination.isEmpty else { continue }
            if let nat = route.string("natGatewayId"), !nat.isEmpty {
                out[destination] = Target(key: "natGatewayId", id: nat)
            } else if let gateway = route.string("gatewayId"), gateway != "local", !gateway.hasPrefix("vpce-"), !gateway.isEmpty {
                out[destination] = Target(key: "gatewayId", id: gateway)
            }
        }
        return out
    }

    static func value(_ routes: [String: Target]) -> Value {
        .list(routes.sorted { $0.key < $1.key }.map { .map(["destinationCidrBlock": .string($0.key), $0.value.key: .string($0.value.id)]) })
    }

    private func describe(_ id: String, _ context: ResourceContext) async throws -> XMLTree? {
        try await EC2.describeOne(action: "DescribeRouteTables", idParameter: "RouteTableId", id: id, listElement: "routeTableSet", client: context.client)
    }

    /// Makes the table's routes the stack's: delete what is extra, replace what points
    /// elsewhere, create what is missing. Unset `routes` leaves them as AWS has them.
    private func setRoutes(id: String, current: XMLTree?, inputs: Inputs, _ context: ResourceContext) async throws {
        guard let list = inputs.list("routes") else { return }
        let wanted = try Self.routes(list)
        let actual = current.map(Self.routes(xml:)) ?? [:]
        for destination in actual.keys.sorted() where wanted[destination] == nil {
            context.progress.report("deleting route \(destination) of \(id)")
            do {
                _ = try await context.client.query(service: .ec2, action: "DeleteRoute", params: ["RouteTableId": id, "DestinationCidrBlock": destination])
            } catch let error as AWSError where error.kind == .notFound {}
        }
        for (destination, target) in wanted.sorted(by: { $0.key < $1.key }) {
            let params: QueryParameters = ["RouteTableId": id, "DestinationCidrBlock": destination, target.parameter: target.id]
            if let existing = actual[destination] {
                guard existing != target else { continue }
                context.progress.report("replacing route \(destination) of \(id): \(target.id)")
                _ = try await context.client.query(service: .ec2, action: "ReplaceRoute", params: params)
            } else {
                context.progress.report("creating route \(destination) → \(target.id) in \(id)")
                _ = try await context.client.query(service: .ec2, action: "CreateRoute", params: params)
            }
        }
    }
}
