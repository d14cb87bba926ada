import StrataAWSKit
import StrataModel
import StrataPluginKit

/// `aws_db_subnet_group`: CreateDBSubnetGroup / DescribeDBSubnetGroups / ModifyDBSubnetGroup
/// (subnets, description) / DeleteDBSubnetGroup, through `SubnetGroupAPI`. Its id is its name.
struct DBSubnetGroupResource: NamedQueryResource {
    let type = "aws_db_subnet_group"
    let service = AWSService.rds
    let nameAttribute = "name"
    let api = SubnetGroupAPI(service: .rds, prefix: "DB", arnElement: "DBSubnetGroupArn", noun: "DB subnet group")

    var schema: ResourceSchema {
        api.schema(
            description: "An RDS DB subnet group: the subnets (in at least two availability zones) a DB instance may use.",
            nameRule: "Lower-case letters, digits, hyphens, dots, underscores, spaces; up to 255.")
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
        try await api.create(inputs, type: type, tags: tags, in: context)
    }

    func read(id: String, recorded: Inputs?, in context: ResourceContext) async throws -> [String: Value]? {
        try await api.read(id: id, recorded: recorded, in: context)
    }

    func update(id: String, prior: Inputs, inputs: Inputs, in context: ResourceContext) async throws {
        try await api.update(id: id, inputs: inputs, in: context)
    }

    func delete(id: String, in context: ResourceContext) async throws {
        context.progress.report("deleting DB subnet group \(id)")
        do {
            try await api.delete(id, in: context)
        } catch let error as AWSError where error.code == "InvalidDBSubnetGroupStateFault" {
            throw PluginError(.conflict, "DB subnet group \(id) is still used by a DB instance; delete or move the instance first", providerCode: error.code)
        }
    }

    func listAll(_ context: ResourceContext) async throws -> [(name: String, arn: String)] { try await api.listAll(context) }

    func arn(of name: String, _ context: ResourceContext) async throws -> String? { try await api.arn(of: name, context) }
}
