import StrataAWSKit
import StrataModel
import StrataPluginKit

/// `aws_route_table_association`: AssociateRouteTable / DescribeRouteTables (filtered by
/// association id) / DisassociateRouteTable. Its id is the association id. AWS puts no tags
/// on associations, so `find` matches by (subnetId, routeTableId) and `discover` lists the
/// subnet associations of the route tables carrying the tags.
struct RouteTableAssociationResource: AWSResource {
    let type = "aws_route_table_association"

    var schema: ResourceSchema {
        ResourceSchema(
            description: "Associates a subnet with a route table.",
            attributes: [
                "subnetId": .init(.string, .required, forcesReplacement: true),
                "routeTableId": .init(.string, .required, forcesReplacement: true),
                "id": CommonAttributes.id,
            ],
            typicalCreateSeconds: 1)
    }

    func check(_ inputs: Inputs) -> [CheckProblem] { [] }

    func create(_ inputs: Inputs, token: String, tags: [String: String], in context: ResourceContext) async throws -> String {
        let subnetID = try inputs.require("subnetId", for: type)
        let tableID = try inputs.require("routeTableId", for: type)
        context.progress.report("associating \(subnetID) with \(tableID)")
        let answer = try await context.client.query(service: .ec2, action: "AssociateRouteTable",
                                                    params: ["SubnetId": subnetID, "RouteTableId": tableID])
        guard let id = answer.string("associationId") else {
            throw PluginError(.fatal, "AssociateRouteTable answered without an associationId: \(answer)")
        }
        return id
    }

    func read(id: String, recorded: Inputs?, in context: ResourceContext) async throws -> [String: Value]? {
        var params = QueryParameters()
        params.filter("association.route-table-association-id", [id])
        let tables = try await context.client.queryPages(service: .ec2, action: "DescribeRouteTables", params: params, listElement: "routeTableSet")
        for table in tables {
            for association in table.items("associationSet") where association.string("routeTableAssociationId") == id {
                if let state = association.string("associationState", "state"), ["disassociated", "disassociating", "failed"].contains(state) { return nil }
                return [
                    "id": .string(id),
                    "subnetId": association.string("subnetId").map(Value.string) ?? .null,
                    "routeTableId": (association.string("routeTableId") ?? table.string("routeTableId")).map(Value.string) ?? .null,
                ]
            }
        }
        return nil
    }

    /// Both inputs force replacement: nothing changes in place.
    func update(id: String, prior: Inputs, inputs: Inputs, in context: ResourceContext) async throws {}

    func delete(id: String, in context: ResourceContext) async throws {
        context.progress.report("disassociating \(id)")
        do {
            _ = try await context.client.query(service: .ec2, action: "DisassociateRouteTable", params: ["AssociationId": id])
        } catch let error as AWSError where error.kind == .notFound {}
    }

    /// No tags on associations: the association of this subnet with this route table, if any.
    func find(token: String, inputs: Inputs, in context: ResourceContext) async throws -> String? {
        guard let subnetID = inputs.string("subnetId"), let tableID = inputs.string("routeTableId") else { return nil }
        var params = QueryParameters()
        params.filter("association.subnet-id", [subnetID])
        let tables = try await context.client.queryPages(service: .ec2, action: "DescribeRouteTables", params: params, listElement: "routeTableSet")
        for table in tables where table.string("routeTableId") == tableID {
            for association in table.items("associationSet") where association.string("subnetId") == subnetID {
                if let id = association.string("routeTableAssociationId") { return id }
            }
        }
        return nil
    }

    /// The subnet associations of the route tables carrying every one of `tags` (each with
    /// its table's tags, less the table's own `strata:address` and `strata:token`: the
    /// association has no tags of its own).
    func discover(tags: [String: String], in context: ResourceContext) async throws -> [DiscoveredResource] {
        var params = QueryParameters()
        for (key, value) in tags.sorted(by: { $0.key < $1.key }) { params.filter("tag:\(key)", [value]) }
        let tables = try await context.client.queryPages(service: .ec2, action: "DescribeRouteTables", params: params, listElement: "routeTableSet")
        var candidates: [(id: String, tags: [String: String])] = []
        for table in tables {
            let tableTags = EC2.tags(table)
            guard Discovery.matches(tableTags, tags) else { continue }
            for association in table.items("associationSet") where association.string("subnetId") != nil {
                if let id = association.string("routeTableAssociationId") {
                    candidates.append((id, tableTags.filter { $0.key != StrataTags.token && $0.key != "strata:address" }))
                }
            }
        }
        return try await Discovery.read(self, candidates, in: context)
    }
}
