import StrataAWSKit
import StrataModel
import StrataPluginKit

/// `aws_elasticache_subnet_group`: CreateCacheSubnetGroup / DescribeCacheSubnetGroups /
/// ModifyCacheSubnetGroup (subnets, description) / DeleteCacheSubnetGroup, through
/// `SubnetGroupAPI`; a delete waits while a replication group being deleted still uses it.
/// Its id is its name.
struct ElastiCacheSubnetGroupResource: NamedQueryResource {
    let type = "aws_elasticache_subnet_group"
    let service = AWSService.elastiCache
    let nameAttribute = "name"
    let api = SubnetGroupAPI(service: .elastiCache, prefix: "Cache", arnElement: "ARN", noun: "ElastiCache subnet group")

    var schema: ResourceSchema {
        api.schema(
            description: "An ElastiCache subnet group: the subnets a replication group's nodes may use.",
            nameRule: "Lower-case letters, digits and hyphens; a letter first; up to 255.")
    }

    func check(_ inputs: Inputs) -> [CheckProblem] {
        var problems: [CheckProblem] = []
        if let name = inputs.string("name") {
            if let problem = DataChecks.identifierProblem(name, what: "name", maxLength: 255) {
                problems.append(CheckProblem(attribute: "name", message: problem))
            } else if name != name.lowercased() {
                problems.append(CheckProblem(attribute: "name", message: "name must be lower case (AWS stores it so): '\(name.lowercased())'"))
            }
        }
        if let ids = inputs.list("subnetIds"), ids.isEmpty {
            problems.append(CheckProblem(attribute: "subnetIds", message: "subnetIds needs at least one subnet"))
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

    /// Waits out `CacheSubnetGroupInUse` for a while: a replication group being deleted
    /// holds on to it for some minutes.
    func delete(id: String, in context: ResourceContext) async throws {
        context.progress.report("deleting ElastiCache subnet group \(id)")
        let waiter = Waiter("ElastiCache subnet group \(id) to be deletable", timeout: 900, minDelay: 2, maxDelay: 30)
        do {
            try await waiter.wait(progress: context.progress.report) { () async throws -> WaitState<Void> in
                do {
                    try await api.delete(id, in: context)
                    return .done(())
                } catch let error as AWSError where error.code == "CacheSubnetGroupInUse" {
                    return .pending("still in use (\(error.message))")
                }
            }
        } catch WaiterError.timedOut(_, _, let last) {
            throw PluginError(.conflict, "ElastiCache subnet group \(id) cannot be deleted: \(last). Delete the replication groups that use it and run again.", providerCode: "CacheSubnetGroupInUse")
        }
    }

    func listAll(_ context: ResourceContext) async throws -> [(name: String, arn: String)] { try await api.listAll(context) }

    func arn(of name: String, _ context: ResourceContext) async throws -> String? { try await api.arn(of: name, context) }
}
