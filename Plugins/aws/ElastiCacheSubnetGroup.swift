import StrataAWSKit
import StrataModel
import StrataPluginKit

/// `aws_elasticache_subnet_group`: CreateCacheSubnetGroup / DescribeCacheSubnetGroups /
/// ModifyCacheSubnetGroup (subnets, description) / DeleteCacheSubnetGroup, which waits while
/// a replication group being deleted still uses it. Its id is its name.
struct ElastiCacheSubnetGroupResource: NamedQueryResource {
    let type = "aws_elasticache_subnet_group"
    let service = AWSService.elastiCache
    let nameAttribute = "name"
    static let defaultDescription = "Managed by Strata"

    var schema: ResourceSchema {
        ResourceSchema(
            description: "An ElastiCache subnet group: the subnets a replication group's nodes may use.",
            attributes: [
                "name": .init(.string, .required, forcesReplacement: true, description: "Lower-case letters, digits and hyphens; a letter first; up to 255."),
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
        let name = try inputs.require("name", for: type)
        var params: QueryParameters = [
            "CacheSubnetGroupName": name,
            "CacheSubnetGroupDescription": inputs.string("description") ?? Self.defaultDescription,
        ]
        QueryAPI.list(&params, "SubnetIds", member: "SubnetIdentifier", inputs.strings("subnetIds") ?? [])
        QueryAPI.tags(&params, tags)
        context.progress.report("creating ElastiCache subnet group \(name)")
        do {
            _ = try await context.client.query(service: .elastiCache, action: "CreateCacheSubnetGroup", params: params)
        } catch let error as AWSError where error.code == "CacheSubnetGroupAlreadyExists" {
            throw PluginError(.conflict, "an ElastiCache subnet group named \(name) already exists and was not made by this stack; choose another name, or adopt it with import", providerCode: error.code)
        }
        return name
    }

    func read(id: String, recorded: Inputs?, in context: ResourceContext) async throws -> [String: Value]? {
        guard let group = try await describe(id, context) else { return nil }
        let arn = group.string("ARN")
        let subnets = group.child("Subnets")?.children.compactMap { $0.string("SubnetIdentifier") } ?? []
        var outputs: [String: Value] = [
            "id": .string(id),
            "name": .string(group.string("CacheSubnetGroupName") ?? id),
            "arn": arn.map(Value.string) ?? .null,
            "vpcId": group.string("VpcId").map(Value.string) ?? .null,
            "description": group.string("CacheSubnetGroupDescription").map(Value.string) ?? .null,
            "subnetIds": Recorded.list(subnets, recorded: recorded?.strings("subnetIds")),
        ]
        if let arn {
            StrataTags.output(StrataTags.userTags(try await QueryAPI.listTags(.elastiCache, arn: arn, client: context.client)), recorded: recorded, into: &outputs)
        }
        return outputs
    }

    func update(id: String, prior: Inputs, inputs: Inputs, in context: ResourceContext) async throws {
        guard let group = try await describe(id, context) else {
            throw PluginError(.notFound, "ElastiCache subnet group \(id) does not exist", providerCode: "CacheSubnetGroupNotFoundFault")
        }
        let subnets = Set(group.child("Subnets")?.children.compactMap { $0.string("SubnetIdentifier") } ?? [])
        let wanted = inputs.strings("subnetIds") ?? []
        let description = inputs.string("description") ?? Self.defaultDescription
        if Set(wanted) != subnets || description != group.string("CacheSubnetGroupDescription") {
            var params: QueryParameters = ["CacheSubnetGroupName": id, "CacheSubnetGroupDescription": description]
            QueryAPI.list(&params, "SubnetIds", member: "SubnetIdentifier", wanted)
            context.progress.report("changing ElastiCache subnet group \(id)")
            _ = try await context.client.query(service: .elastiCache, action: "ModifyCacheSubnetGroup", params: params)
        }
        if let arn = group.string("ARN") {
            try await QueryAPI.updateTags(.elastiCache, arn: arn, to: inputs.tags, client: context.client)
        }
    }

    /// Waits out `CacheSubnetGroupInUse` for a while: a replication group being deleted
    /// holds on to it for some minutes.
    func delete(id: String, in context: ResourceContext) async throws {
        context.progress.report("deleting ElastiCache subnet group \(id)")
        let waiter = Waiter("ElastiCache subnet group \(id) to be deletable", timeout: 900, minDelay: 2, maxDelay: 30)
        do {
            try await waiter.wait(progress: context.progress.report) { () async throws -> WaitState<Void> in
                do {
                    _ = try await context.client.query(service: .elastiCache, action: "DeleteCacheSubnetGroup", params: ["CacheSubnetGroupName": id])
                    return .done(())
                } catch let error as AWSError where error.kind == .notFound {
                    return .done(())
                } catch let error as AWSError where error.code == "CacheSubnetGroupInUse" {
                    return .pending("still in use (\(error.message))")
                }
            }
        } catch WaiterError.timedOut(_, _, let last) {
            throw PluginError(.conflict, "ElastiCache subnet group \(id) cannot be deleted: \(last). Delete the replication groups that use it and run again.", providerCode: "CacheSubnetGroupInUse")
        }
    }

    func listAll(_ context: ResourceContext) async throws -> [(name: String, arn: String)] {
        try await QueryAPI.pages(.elastiCache, action: "DescribeCacheSubnetGroups", listElement: "CacheSubnetGroups", client: context.client)
            .compactMap { group in
                guard let name = group.string("CacheSubnetGroupName"), let arn = group.string("ARN") else { return nil }
                return (name, arn)
            }
    }

    func arn(of name: String, _ context: ResourceContext) async throws -> String? {
        try await describe(name, context)?.string("ARN")
    }

    private func describe(_ name: String, _ context: ResourceContext) async throws -> XMLTree? {
        do {
            let answer = try await context.client.query(service: .elastiCache, action: "DescribeCacheSubnetGroups", params: ["CacheSubnetGroupName": name])
            return QueryAPI.result(answer, "DescribeCacheSubnetGroups").child("CacheSubnetGroups")?.children.first
        } catch let error as AWSError where error.kind == .notFound {
            return nil
        }
    }
}
