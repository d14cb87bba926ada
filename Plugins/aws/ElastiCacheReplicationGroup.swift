import StrataAWSKit
import StrataModel
import StrataPluginKit

/// `aws_elasticache_replication_group`: a Redis (cluster mode disabled) replication group,
/// one primary and `replicaCount` replicas. CreateReplicationGroup (ReplicasPerNodeGroup) /
/// DescribeReplicationGroups + DescribeCacheClusters of its first member (engine version,
/// subnet group, security groups: the group itself does not show them) /
/// ModifyReplicationGroup with ApplyImmediately, IncreaseReplicaCount / DecreaseReplicaCount /
/// DeleteReplicationGroup. Changes wait for `available` (botocore's ReplicationGroupAvailable).
/// A group AWS is deleting counts as gone; a create with the name of one being deleted waits
/// for it to go. Its id is its replication group id.
struct ElastiCacheReplicationGroupResource: NamedQueryResource {
    let type = "aws_elasticache_replication_group"
    let service = AWSService.elastiCache
    let nameAttribute = "replicationGroupId"
    static let engines = ["redis", "valkey"]
    static let defaultDescription = "Managed by Strata"

    var schema: ResourceSchema {
        ResourceSchema(
            description: "An ElastiCache Redis replication group (cluster mode disabled): one primary and its replicas.",
            attributes: [
                "replicationGroupId": .init(.string, .required, forcesReplacement: true, description: "Lower-case letters, digits and hyphens; a letter first; up to 40."),
                "description": .init(.string, .optionalComputed, description: "Default: \"\(Self.defaultDescription)\". Changes in place."),
                "engine": .init(.string, .optionalComputed, forcesReplacement: true, description: "redis (default) or valkey."),
                "engineVersion": .init(.string, .optionalComputed, description: "e.g. 7.1; changes in place."),
                "nodeType": .init(.string, .required, description: "cache.<family>.<size>, e.g. cache.t4g.micro; changes in place."),
                "replicaCount": .init(.number, .optionalComputed, description: "Replicas of the primary, 0 to 5 (default 1); changes in place."),
                "automaticFailover": .init(.bool, .optionalComputed, description: "Promote a replica when the primary fails (needs a replica); changes in place."),
                "atRestEncryption": .init(.bool, .optionalComputed, forcesReplacement: true),
                "transitEncryption": .init(.bool, .optionalComputed, forcesReplacement: true),
                "subnetGroupName": .init(.string, .optionalComputed, forcesReplacement: true),
                "securityGroupIds": .init(.list, .optionalComputed, description: "VPC security group ids; change in place."),
                "port": .init(.number, .optionalComputed, forcesReplacement: true, description: "Default 6379."),
                "tags": CommonAttributes.tags,
                "id": .init(.string, .computed, description: "The replication group id."),
                "arn": CommonAttributes.arn,
                "primaryEndpoint": .init(.string, .computed, description: "The primary's host name (reads and writes)."),
                "readerEndpoint": .init(.string, .computed, description: "The host name spreading reads over the replicas."),
                "memberClusters": .init(.list, .computed),
                "status": .init(.string, .computed),
            ],
            typicalCreateSeconds: 600)
    }

    func check(_ inputs: Inputs) -> [CheckProblem] {
        var problems: [CheckProblem] = []
        if let id = inputs.string("replicationGroupId") {
            if let message = DataChecks.identifierProblem(id, what: "replicationGroupId", maxLength: 40) {
                problems.append(CheckProblem(attribute: "replicationGroupId", message: message))
            } else if id != id.lowercased() {
                problems.append(CheckProblem(attribute: "replicationGroupId", message: "replicationGroupId must be lower case (AWS stores it so): '\(id.lowercased())'"))
            }
        }
        if let value = inputs.string("nodeType"), let message = DataChecks.instanceClassProblem(value, prefix: "cache") {
            problems.append(CheckProblem(attribute: "nodeType", message: message))
        }
        if let engine = inputs.string("engine"), let bad = DataChecks.enumProblem(engine, allowed: Self.engines, attribute: "engine") { problems.append(bad) }
        if let bad = DataChecks.intProblem(inputs["replicaCount"], 0...5, attribute: "replicaCount") { problems.append(bad) }
        if let bad = DataChecks.intProblem(inputs["port"], 1024...65535, attribute: "port") { problems.append(bad) }
        if inputs.bool("automaticFailover") == true, inputs.int("replicaCount") == 0 {
            problems.append(CheckProblem(attribute: "automaticFailover", message: "automaticFailover needs at least one replica (replicaCount ≥ 1)"))
        }
        if let version = inputs.string("engineVersion"), version.isEmpty || !version.allSatisfy({ $0.isNumber || $0 == "." || $0 == "x" }) {
            problems.append(CheckProblem(attribute: "engineVersion", message: "engineVersion must be a version such as 7.1 ('\(version)')"))
        }
        return problems
    }

    func create(_ inputs: Inputs, token: String, tags: [String: String], in context: ResourceContext) async throws -> String {
        let id = try inputs.require("replicationGroupId", for: type)
        var params: QueryParameters = [
            "ReplicationGroupId": id,
            "ReplicationGroupDescription": inputs.string("description") ?? Self.defaultDescription,
            "CacheNodeType": try inputs.require("nodeType", for: type),
            "Engine": inputs.string("engine") ?? "redis",
            "ReplicasPerNodeGroup": String(inputs.int("replicaCount") ?? 1),
        ]
        params["EngineVersion"] = inputs.string("engineVersion")
        params["AutomaticFailoverEnabled"] = inputs.bool("automaticFailover").map { $0 ? "true" : "false" }
        params["AtRestEncryptionEnabled"] = inputs.bool("atRestEncryption").map { $0 ? "true" : "false" }
        params["TransitEncryptionEnabled"] = inputs.bool("transitEncryption").map { $0 ? "true" : "false" }
        params["CacheSubnetGroupName"] = inputs.string("subnetGroupName")
        params["Port"] = inputs.int("port").map(String.init)
        if let groups = inputs.strings("securityGroupIds") { QueryAPI.list(&params, "SecurityGroupIds", member: "SecurityGroupId", groups) }
        QueryAPI.tags(&params, tags)
        context.progress.report("creating replication group \(id)")
        let waiter = Waiter("replication group \(id) (an older one being deleted) to go", timeout: 1800, minDelay: 2, maxDelay: 30)
        try await waiter.wait(progress: context.progress.report) { () async throws -> WaitState<Void> in
            do {
                _ = try await context.client.query(service: .elastiCache, action: "CreateReplicationGroup", params: params)
                return .done(())
            } catch let error as AWSError where error.code == "ReplicationGroupAlreadyExists" {
                if let existing = try await Self.describe(id, context), existing.string("Status") == "deleting" { return .pending("deleting") }
                throw PluginError(.conflict, "a replication group named \(id) already exists and was not made by this stack; choose another id, or adopt it with import", providerCode: error.code)
            }
        }
        try await available(id, context)
        return id
    }

    func read(id: String, recorded: Inputs?, in context: ResourceContext) async throws -> [String: Value]? {
        guard let group = try await Self.describe(id, context) else { return nil }
        let status = group.string("Status") ?? ""
        if status == "deleting" || status == "deleted" { return nil }
        let nodeGroup = group.child("NodeGroups")?.children.first
        let members = group.child("MemberClusters")?.children.map(\.text) ?? []
        let failover = group.string("AutomaticFailover")
        let arn = group.string("ARN")
        let port = QueryAPI.int(nodeGroup ?? group, "PrimaryEndpoint", "Port") ?? QueryAPI.int(nodeGroup ?? group, "Port")
        var outputs: [String: Value] = [
            "id": .string(id),
            "replicationGroupId": .string(group.string("ReplicationGroupId") ?? id),
            "description": group.string("Description").map(Value.string) ?? .null,
            "engine": group.string("Engine").map(Value.string) ?? .null,
            "nodeType": Recorded.string(group.string("CacheNodeType"), recorded: recorded?.string("nodeType")),
            "replicaCount": .number(Double(max(0, (nodeGroup?.child("NodeGroupMembers")?.children.count ?? members.count) - 1))),
            "automaticFailover": failover.map { .bool($0 == "enabled" || $0 == "enabling") } ?? .null,
            "atRestEncryption": group.bool("AtRestEncryptionEnabled").map(Value.bool) ?? .bool(false),
            "transitEncryption": group.bool("TransitEncryptionEnabled").map(Value.bool) ?? .bool(false),
            "port": port.map { .number(Double($0)) } ?? .null,
            "arn": arn.map(Value.string) ?? .null,
            "primaryEndpoint": nodeGroup?.string("PrimaryEndpoint", "Address").map(Value.string) ?? .null,
            "readerEndpoint": nodeGroup?.string("ReaderEndpoint", "Address").map(Value.string) ?? .null,
            "memberClusters": .list(members.map(Value.string)),
            "status": .string(status),
        ]
        // The group does not show these; its first member does. Left out (so the recorded
        // inputs stand) when the member cannot be described.
        if let first = members.first, let cluster = try await describeCluster(first, context) {
            outputs["engineVersion"] = Recorded.version(cluster.string("EngineVersion"), recorded: recorded?.string("engineVersion"))
            outputs["subnetGroupName"] = cluster.string("CacheSubnetGroupName").map(Value.string) ?? .null
            let groups = cluster.child("SecurityGroups")?.children.compactMap { $0.string("SecurityGroupId") } ?? []
            outputs["securityGroupIds"] = Recorded.list(groups, recorded: recorded?.strings("securityGroupIds"))
        }
        if let arn {
            StrataTags.output(StrataTags.userTags(try await QueryAPI.listTags(.elastiCache, arn: arn, client: context.client)), recorded: recorded, into: &outputs)
        }
        return outputs
    }

    func update(id: String, prior: Inputs, inputs: Inputs, in context: ResourceContext) async throws {
        let group = try await available(id, context)
        guard let current = try await read(id: id, recorded: inputs, in: context).map(Inputs.init) else {
            throw PluginError(.notFound, "replication group \(id) does not exist", providerCode: "ReplicationGroupNotFoundFault")
        }
        // Replicas first: AWS resizes before other changes.
        if let wanted = inputs.int("replicaCount"), let now = current.int("replicaCount"), wanted != now {
            let action = wanted > now ? "IncreaseReplicaCount" : "DecreaseReplicaCount"
            context.progress.report("\(wanted > now ? "adding" : "removing") replicas of \(id): \(now) → \(wanted)")
            _ = try await context.client.query(service: .elastiCache, action: action, params: [
                "ReplicationGroupId": id, "NewReplicaCount": String(wanted), "ApplyImmediately": "true",
            ])
            try await available(id, context)
        }
        var params: QueryParameters = ["ReplicationGroupId": id, "ApplyImmediately": "true"]
        var changed: [String] = []
        if let value = inputs.string("description"), value != current.string("description") { params["ReplicationGroupDescription"] = value; changed.append("description") }
        if let value = inputs.string("nodeType"), value != current.string("nodeType") { params["CacheNodeType"] = value; changed.append("nodeType") }
        if let value = inputs.string("engineVersion"), let now = current.string("engineVersion"), !Recorded.versionMatches(now, value) { params["EngineVersion"] = value; changed.append("engineVersion") }
        if let value = inputs.bool("automaticFailover"), value != current.bool("automaticFailover") {
            params["AutomaticFailoverEnabled"] = value ? "true" : "false"
            changed.append("automaticFailover")
        }
        if let value = inputs.strings("securityGroupIds"), let now = current.strings("securityGroupIds"), Set(value) != Set(now) {
            QueryAPI.list(&params, "SecurityGroupIds", member: "SecurityGroupId", value)
            changed.append("securityGroupIds")
        }
        if !changed.isEmpty {
            context.progress.report("changing \(changed.joined(separator: ", ")) of replication group \(id)")
            _ = try await context.client.query(service: .elastiCache, action: "ModifyReplicationGroup", params: params)
            try await available(id, context)
        }
        if let arn = group.string("ARN") {
            try await QueryAPI.updateTags(.elastiCache, arn: arn, to: inputs.tags, client: context.client)
        }
    }

    /// DeleteReplicationGroup; done once AWS has accepted it (status `deleting`, which reads
    /// as gone). What needs it gone waits: the subnet group's delete and a create of the same id.
    func delete(id: String, in context: ResourceContext) async throws {
        context.progress.report("deleting replication group \(id)")
        do {
            _ = try await context.client.query(service: .elastiCache, action: "DeleteReplicationGroup", params: ["ReplicationGroupId": id])
        } catch let error as AWSError where error.kind == .notFound {
            return
        } catch let error as AWSError where error.code == "InvalidReplicationGroupState" {
            // Being created or changed: wait until it settles, then delete; being deleted: done.
            guard let group = try await Self.describe(id, context), group.string("Status") != "deleting" else { return }
            try await available(id, context)
            _ = try await context.client.query(service: .elastiCache, action: "DeleteReplicationGroup", params: ["ReplicationGroupId": id])
        }
    }

    func listAll(_ context: ResourceContext) async throws -> [(name: String, arn: String)] {
        try await QueryAPI.pages(.elastiCache, action: "DescribeReplicationGroups", listElement: "ReplicationGroups", client: context.client)
            .compactMap { group in
                guard let name = group.string("ReplicationGroupId"), let arn = group.string("ARN"),
                      !["deleting", "deleted"].contains(group.string("Status") ?? "") else { return nil }
                return (name, arn)
            }
    }

    func arn(of name: String, _ context: ResourceContext) async throws -> String? {
        guard let group = try await Self.describe(name, context), group.string("Status") != "deleting" else { return nil }
        return group.string("ARN")
    }

    /// botocore's ReplicationGroupAvailable: `available` succeeds, `deleted` fails (polled at
    /// once, then backing off from 2 s to 30 s, for botocore's 15 s × 40).
    @discardableResult
    private func available(_ id: String, _ context: ResourceContext) async throws -> XMLTree {
        try await Waiter("replication group \(id) to be available", timeout: 15 * 40, minDelay: 2, maxDelay: 30)
            .wait(progress: context.progress.report) { () async throws -> WaitState<XMLTree> in
                guard let group = try await Self.describe(id, context) else { return .failed("it does not exist") }
                let status = group.string("Status") ?? "unknown"
                if status == "available" { return .done(group) }
                if status == "deleted" || status == "deleting" { return .failed("its status is \(status)") }
                return .pending(status)
            }
    }

    static func describe(_ id: String, _ context: ResourceContext) async throws -> XMLTree? {
        do {
            let answer = try await context.client.query(service: .elastiCache, action: "DescribeReplicationGroups", params: ["ReplicationGroupId": id])
            return QueryAPI.result(answer, "DescribeReplicationGroups").child("ReplicationGroups")?.children.first
        } catch let error as AWSError where error.kind == .notFound {
            return nil
        }
    }

    private func describeCluster(_ id: String, _ context: ResourceContext) async throws -> XMLTree? {
        do {
            let answer = try await context.client.query(service: .elastiCache, action: "DescribeCacheClusters", params: ["CacheClusterId": id])
            return QueryAPI.result(answer, "DescribeCacheClusters").child("CacheClusters")?.children.first
        } catch let error as AWSError where error.kind == .notFound {
            return nil
        }
    }
}
