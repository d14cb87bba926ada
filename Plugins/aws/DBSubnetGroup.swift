import StrataAWSKit
import StrataModel
import StrataPluginKit

/// `aws_db_subnet_group`: CreateDBSubnetGroup / DescribeDBSubnetGroups / ModifyDBSubnetGroup
/// (subnets, description) / DeleteDBSubnetGroup. Its id is its name.
struct DBSubnetGroupResource: NamedQueryResource {
    let type = "aws_db_subnet_group"
    let service = AWSService.rds
    let nameAttribute = "name"
    static let defaultDescription = "Managed by Strata"

    var schema: ResourceSchema {
        ResourceSchema(
            description: "An RDS DB subnet group: the subnets (in at least two availability zones) a DB instance may use.",
            attributes: [
                "name": .init(.string, .required, forcesReplacement: true, description: "Lower-case letters, digits, hyphens, dots, underscores, spaces; up to 255."),
                "subnetIds": .init(.list, .required, description: "Subnet ids; changes in place."),
                "description": .init(.string, .optionalComputed, description: "Default: \"\(Self.defaultDescription)\". Changes in place."),
                "tags": CommonAttributes.tags,
                "id": .init(.string, .computed, description: "The name."),
                "arn": CommonAttributes.arn,
                "vpcId": .init(.string, .computed),
            ],
            typicalCreateSeconds: 2)
    }

    func check(_ inputs: Inputs) -> [CheckProblem] {
        var problems: [CheckProblem] = []
        if let name = inputs.string("name") {
            let allowed = Set("abcdefghijklmnopqrstuvwxyz0123456789-._ ")
            if name.isEmpty || name.count > 255 || !name.allSatisfy(allowed.contains) || name == "default" {
                problems.append(CheckProblem(attribute: "name", message: "name must be 1 to 255 lower-case letters, digits, hyphens, dots, underscores or spaces, and not 'default' ('\(name)')"))
            }
        }
        if let ids = inputs.list("subnetIds"), ids.isEmpty {
            problems.append(CheckProblem(attribute: "subnetIds", message: "subnetIds needs at least one subnet (AWS wants two availability zones)"))
        }
        return problems
    }

    func create(_ inputs: Inputs, token: String, tags: [String: String], in context: ResourceContext) async throws -> String {
        let name = try inputs.require("name", for: type)
        var params: QueryParameters = [
            "DBSubnetGroupName": name,
            "DBSubnetGroupDescription": inputs.string("description") ?? Self.defaultDescription,
        ]
        QueryAPI.list(&params, "SubnetIds", member: "SubnetIdentifier", inputs.strings("subnetIds") ?? [])
        QueryAPI.tags(&params, tags)
        context.progress.report("creating DB subnet group \(name)")
        do {
            _ = try await context.client.query(service: .rds, action: "CreateDBSubnetGroup", params: params)
        } catch let error as AWSError where error.code == "DBSubnetGroupAlreadyExists" {
            throw PluginError(.conflict, "a DB subnet group named \(name) already exists and was not made by this stack; choose another name, or adopt it with import", providerCode: error.code)
        }
        return name
    }

    func read(id: String, recorded: Inputs?, in context: ResourceContext) async throws -> [String: Value]? {
        guard let group = try await describe(id, context) else { return nil }
        let arn = group.string("DBSubnetGroupArn")
        let subnets = group.child("Subnets")?.children.compactMap { $0.string("SubnetIdentifier") } ?? []
        var outputs: [String: Value] = [
            "id": .string(id),
            "name": .string(group.string("DBSubnetGroupName") ?? id),
            "arn": arn.map(Value.string) ?? .null,
            "vpcId": group.string("VpcId").map(Value.string) ?? .null,
            "description": group.string("DBSubnetGroupDescription").map(Value.string) ?? .null,
            "subnetIds": Recorded.list(subnets, recorded: recorded?.strings("subnetIds")),
        ]
        if let arn {
            StrataTags.output(StrataTags.userTags(try await QueryAPI.listTags(.rds, arn: arn, client: context.client)), recorded: recorded, into: &outputs)
        }
        return outputs
    }

    func update(id: String, prior: Inputs, inputs: Inputs, in context: ResourceContext) async throws {
        guard let group = try await describe(id, context) else {
            throw PluginError(.notFound, "DB subnet group \(id) does not exist", providerCode: "DBSubnetGroupNotFoundFault")
        }
        let subnets = Set(group.child("Subnets")?.children.compactMap { $0.string("SubnetIdentifier") } ?? [])
        let wanted = inputs.strings("subnetIds") ?? []
        let description = inputs.string("description") ?? Self.defaultDescription
        if Set(wanted) != subnets || description != group.string("DBSubnetGroupDescription") {
            var params: QueryParameters = ["DBSubnetGroupName": id, "DBSubnetGroupDescription": description]
            QueryAPI.list(&params, "SubnetIds", member: "SubnetIdentifier", wanted)
            context.progress.report("changing DB subnet group \(id)")
            _ = try await context.client.query(service: .rds, action: "ModifyDBSubnetGroup", params: params)
        }
        if let arn = group.string("DBSubnetGroupArn") {
            try await QueryAPI.updateTags(.rds, arn: arn, to: inputs.tags, client: context.client)
        }
    }

    func delete(id: String, in context: ResourceContext) async throws {
        context.progress.report("deleting DB subnet group \(id)")
        do {
            _ = try await context.client.query(service: .rds, action: "DeleteDBSubnetGroup", params: ["DBSubnetGroupName": id])
        } catch let error as AWSError where error.kind == .notFound {
            return
        } catch let error as AWSError where error.code == "InvalidDBSubnetGroupStateFault" {
            throw PluginError(.conflict, "DB subnet group \(id) is still used by a DB instance; delete or move the instance first", providerCode: error.code)
        }
    }

    func listAll(_ context: ResourceContext) async throws -> [(name: String, arn: String)] {
        try await QueryAPI.pages(.rds, action: "DescribeDBSubnetGroups", listElement: "DBSubnetGroups", client: context.client)
            .compactMap { group in
                guard let name = group.string("DBSubnetGroupName"), let arn = group.string("DBSubnetGroupArn") else { return nil }
                return (name, arn)
            }
    }

    func arn(of name: String, _ context: ResourceContext) async throws -> String? {
        try await describe(name, context)?.string("DBSubnetGroupArn")
    }

    private func describe(_ name: String, _ context: ResourceContext) async throws -> XMLTree? {
        do {
            let answer = try await context.client.query(service: .rds, action: "DescribeDBSubnetGroups", params: ["DBSubnetGroupName": name])
            return QueryAPI.result(answer, "DescribeDBSubnetGroups").child("DBSubnetGroups")?.children.first
        } catch let error as AWSError where error.kind == .notFound {
            return nil
        }
    }
}
