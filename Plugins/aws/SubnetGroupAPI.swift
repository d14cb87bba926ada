import StrataAWSKit
import StrataModel
import StrataPluginKit

/// The subnet-group calls RDS and ElastiCache share: the same Query shapes under their own
/// prefix (`CreateDBSubnetGroup`, `DBSubnetGroupName`, … and `CreateCacheSubnetGroup`,
/// `CacheSubnetGroupName`, …). `aws_db_subnet_group` and `aws_elasticache_subnet_group` are
/// this plus their own name rules and delete.
struct SubnetGroupAPI: Sendable {
    let service: AWSService
    /// `DB` or `Cache`.
    let prefix: String
    /// Where a group's ARN is in its description: `DBSubnetGroupArn`, `ARN`.
    let arnElement: String
    /// What a user calls it: `DB subnet group`, `ElastiCache subnet group`.
    let noun: String
    static let defaultDescription = "Managed by Strata"

    var nameKey: String { "\(prefix)SubnetGroupName" }
    private var article: String { noun.hasPrefix("E") ? "an" : "a" }
    var descriptionKey: String { "\(prefix)SubnetGroupDescription" }

    /// The attributes both types have.
    func schema(description: String, nameRule: String) -> ResourceSchema {
        ResourceSchema(
            description: description,
            attributes: [
                "name": .init(.string, .required, forcesReplacement: true, description: nameRule),
                "subnetIds": .init(.list, .required, description: "Subnet ids; changes in place."),
                "description": .init(.string, .optionalComputed, description: "Default: \"\(Self.defaultDescription)\". Changes in place."),
                "tags": CommonAttributes.tags,
                "id": .init(.string, .computed, description: "The name."),
                "arn": CommonAttributes.arn,
                "vpcId": .init(.string, .computed),
            ],
            typicalCreateSeconds: 2)
    }

    func create(_ inputs: Inputs, type: String, tags: [String: String], in context: ResourceContext) async throws -> String {
        let name = try inputs.require("name", for: type)
        var params: QueryParameters = [nameKey: name, descriptionKey: inputs.string("description") ?? Self.defaultDescription]
        QueryAPI.list(&params, "SubnetIds", member: "SubnetIdentifier", inputs.strings("subnetIds") ?? [])
        QueryAPI.tags(&params, tags)
        context.progress.report("creating \(noun) \(name)")
        do {
            _ = try await context.client.query(service: service, action: "Create\(prefix)SubnetGroup", params: params)
        } catch let error as AWSError where error.code == "\(prefix)SubnetGroupAlreadyExists" {
            throw PluginError(.conflict, "\(article) \(noun) named \(name) already exists and was not made by this stack; choose another name, or adopt it with import", providerCode: error.code)
        }
        return name
    }

    func read(id: String, recorded: Inputs?, in context: ResourceContext) async throws -> [String: Value]? {
        guard let group = try await describe(id, context) else { return nil }
        let arn = group.string(arnElement)
        var outputs: [String: Value] = [
            "id": .string(id),
            "name": .string(group.string(nameKey) ?? id),
            "arn": arn.map(Value.string) ?? .null,
            "vpcId": group.string("VpcId").map(Value.string) ?? .null,
            "description": group.string(descriptionKey).map(Value.string) ?? .null,
            "subnetIds": Recorded.list(subnets(group), recorded: recorded?.strings("subnetIds")),
        ]
        if let arn {
            StrataTags.output(StrataTags.userTags(try await QueryAPI.listTags(service, arn: arn, client: context.client)), recorded: recorded, into: &outputs)
        }
        return outputs
    }

    /// Subnets and description in one Modify call (only when they differ), then the tags.
    func update(id: String, inputs: Inputs, in context: ResourceContext) async throws {
        guard let group = try await describe(id, context) else {
            throw PluginError(.notFound, "\(noun) \(id) does not exist", providerCode: "\(prefix)SubnetGroupNotFoundFault")
        }
        let wanted = inputs.strings("subnetIds") ?? []
        let description = inputs.string("description") ?? Self.defaultDescription
        if Set(wanted) != Set(subnets(group)) || description != group.string(descriptionKey) {
            var params: QueryParameters = [nameKey: id, descriptionKey: description]
            QueryAPI.list(&params, "SubnetIds", member: "SubnetIdentifier", wanted)
            context.progress.report("changing \(noun) \(id)")
            _ = try await context.client.query(service: service, action: "Modify\(prefix)SubnetGroup", params: params)
        }
        if let arn = group.string(arnElement) {
            try await QueryAPI.updateTags(service, arn: arn, to: inputs.tags, client: context.client)
        }
    }

    /// One Delete call; a group already gone counts as deleted.
    func delete(_ id: String, in context: ResourceContext) async throws {
        do {
            _ = try await context.client.query(service: service, action: "Delete\(prefix)SubnetGroup", params: [nameKey: id])
        } catch let error as AWSError where error.kind == .notFound {
            return
        }
    }

    func listAll(_ context: ResourceContext) async throws -> [(name: String, arn: String)] {
        try await QueryAPI.pages(service, action: "Describe\(prefix)SubnetGroups", listElement: "\(prefix)SubnetGroups", client: context.client)
            .compactMap { group in
                guard let name = group.string(nameKey), let arn = group.string(arnElement) else { return nil }
                return (name, arn)
            }
    }

    func arn(of name: String, _ context: ResourceContext) async throws -> String? {
        try await describe(name, context)?.string(arnElement)
    }

    func describe(_ name: String, _ context: ResourceContext) async throws -> XMLTree? {
        do {
            let answer = try await context.client.query(service: service, action: "Describe\(prefix)SubnetGroups", params: [nameKey: name])
            return QueryAPI.result(answer, "Describe\(prefix)SubnetGroups").child("\(prefix)SubnetGroups")?.children.first
        } catch let error as AWSError where error.kind == .notFound {
            return nil
        }
    }

    private func subnets(_ group: XMLTree) -> [String] {
        group.child("Subnets")?.children.compactMap { $0.string("SubnetIdentifier") } ?? []
    }
}
