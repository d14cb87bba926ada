import Strata
import StrataAWS

/// An ElastiCache Redis replication group (one primary and `replicas` replicas, cluster mode
/// off) in a network's database subnets, with a security group open on 6379 to the VPC.
/// Encrypted at rest and in transit; automatic failover when there is a replica.
///
/// ```swift
/// let cache = RedisCluster(id: "lin-cache", network: network, nodeType: "cache.r7g.large", replicas: 2)
/// Stack.output("redis", cache.group.primaryEndpoint)
/// ```
public struct RedisCluster: Component {
    public let securityGroup: AWS.SecurityGroup
    public let subnetGroup: AWS.ElastiCacheSubnetGroup
    public let group: AWS.ElastiCacheReplicationGroup

    /// - Parameters:
    ///   - id: the replication group id (40 characters at most), and the start of the other names.
    ///   - replicas: replicas of the primary, 0 to 5 (a "3-node cluster" is `replicas: 2`).
    ///   - version: the Redis version, or a prefix of it (`7.1`).
    ///   - allowedCidrBlocks: who may connect (default: the whole VPC).
    ///   - provider: the provider instance every resource uses, if not the default.
    public init(_ name: String = "cache", id: String, network: ThreeTierNetwork, nodeType: String = "cache.t4g.micro", replicas: Int = 1,
                version: String? = nil, allowedCidrBlocks: [String]? = nil, provider: ProviderRef? = nil,
                tags: [String: Expr<String>] = [:], file: String = #filePath, line: Int = #line) {
        if !(0...5).contains(replicas) {
            Stack.error("RedisCluster \(name): replicas must be 0 to 5, not \(replicas)", file: file, line: line)
        }
        @discardableResult func place<R: Resource>(_ resource: R) -> R {
            if let provider { resource.using(provider) }
            return resource
        }
        (securityGroup, subnetGroup, group) = Stack.component(name) {
            let securityGroup = place(AWS.SecurityGroup(
                "redis", groupName: Expr("\(id)-redis"), vpc: network.vpc, description: "Redis \(id)",
                ingress: [.tcp(6379, from: allowedCidrBlocks ?? [network.cidrBlock], description: "Redis clients")],
                tags: tags, file: file, line: line))
            let subnets = place(AWS.ElastiCacheSubnetGroup(
                "subnets", groupName: Expr("\(id)-cache"), subnets: network.databaseSubnets,
                description: Expr("cache subnets of \(id)"), tags: tags, file: file, line: line))
            let group = place(AWS.ElastiCacheReplicationGroup(
                "redis", replicationGroupId: Expr(id), nodeType: Expr(nodeType), replicaCount: replicas,
                description: Expr("Redis of \(id)"), engine: "redis", engineVersion: version.map { Expr($0) },
                automaticFailover: replicas > 0, atRestEncryption: true, transitEncryption: true, subnetGroup: subnets,
                securityGroups: [securityGroup], tags: tags, file: file, line: line))
            return (securityGroup, subnets, group)
        }
    }
}
