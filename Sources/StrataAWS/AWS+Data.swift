import Strata
import StrataModel

/// Typed data resources of the `aws` provider: RDS, ElastiCache and KMS. Attribute names
/// match the plugin's schema.
extension AWS {
    /// `aws_db_subnet_group`: the subnets (two zones or more) an RDS instance may use.
    public final class DBSubnetGroup: Resource {
        public init(_ name: String, groupName: Expr<String>, subnets: [Subnet], description: Expr<String>? = nil,
                    tags: [String: Expr<String>] = [:], file: String = #filePath, line: Int = #line) {
            super.init(type: "aws_db_subnet_group", name: name, file: file, line: line)
            setInput("name", groupName)
            setInput("subnetIds", Expr<[String]>(subnets.map(\.id)))
            setInput("description", description)
            if !tags.isEmpty { setInput("tags", Expr<[String: String]>(tags)) }
        }
        public var id: Expr<String> { attribute("id") }
        public var name: Expr<String> { attribute("name") }
        public var arn: Expr<String> { attribute("arn") }
    }

    /// One setting of a DB parameter group.
    public struct DBParameter {
        public var name: String
        public var value: String
        /// `immediate` or `pending-reboot`.
        public var applyMethod: String?

        public init(_ name: String, _ value: String, applyMethod: String? = nil) {
            self.name = name
            self.value = value
            self.applyMethod = applyMethod
        }

        var strataValue: Value {
            var fields: [String: Value] = ["name": .string(name), "value": .string(value)]
            if let applyMethod { fields["applyMethod"] = .string(applyMethod) }
            return .map(fields)
        }
    }

    /// `aws_db_parameter_group`: engine settings for a family (`postgres16`); parameters change in place.
    public final class DBParameterGroup: Resource {
        public init(_ name: String, groupName: Expr<String>, family: Expr<String>, description: Expr<String>? = nil,
                    parameters: [DBParameter] = [], tags: [String: Expr<String>] = [:], file: String = #filePath, line: Int = #line) {
            super.init(type: "aws_db_parameter_group", name: name, file: file, line: line)
            setInput("name", groupName)
            setInput("family", family)
            setInput("description", description)
            if !parameters.isEmpty { setRawInput("parameters", .list(parameters.map(\.strataValue))) }
            if !tags.isEmpty { setInput("tags", Expr<[String: String]>(tags)) }
        }
        public var id: Expr<String> { attribute("id") }
        public var name: Expr<String> { attribute("name") }
        public var arn: Expr<String> { attribute("arn") }
    }

    /// `aws_db_instance`: an RDS PostgreSQL instance. The identifier, engine, user and subnet
    /// group force a new instance; class, storage, version, multi-AZ, backups, groups and the
    /// password change in place (applied immediately). Its password is a secret.
    public final class DBInstance: Resource {
        public init(_ name: String, identifier: Expr<String>, instanceClass: Expr<String>, allocatedStorage: Int,
                    username: Expr<String>, password: Expr<String>, engine: Expr<String> = "postgres", engineVersion: Expr<String>? = nil,
                    multiAz: Bool? = nil, backupRetentionPeriod: Int? = nil, subnetGroup: DBSubnetGroup? = nil,
                    parameterGroup: DBParameterGroup? = nil, vpcSecurityGroups: [SecurityGroup]? = nil, publiclyAccessible: Bool? = nil,
                    tags: [String: Expr<String>] = [:], file: String = #filePath, line: Int = #line) {
            super.init(type: "aws_db_instance", name: name, file: file, line: line)
            setInput("identifier", identifier)
            setInput("engine", engine)
            setInput("engineVersion", engineVersion)
            setInput("instanceClass", instanceClass)
            setInput("allocatedStorage", Expr(allocatedStorage))
            setInput("username", username)
            setInput("password", password.secret)
            setCommon(multiAz: multiAz, backupRetentionPeriod: backupRetentionPeriod, subnetGroup: subnetGroup, parameterGroup: parameterGroup,
                      vpcSecurityGroups: vpcSecurityGroups, publiclyAccessible: publiclyAccessible, tags: tags)
        }

        /// A read replica of `source`: its engine, user and password come from the source.
        public init(_ name: String, identifier: Expr<String>, replicaOf source: DBInstance, instanceClass: Expr<String>,
                    multiAz: Bool? = nil, backupRetentionPeriod: Int? = nil, subnetGroup: DBSubnetGroup? = nil,
                    parameterGroup: DBParameterGroup? = nil, vpcSecurityGroups: [SecurityGroup]? = nil, publiclyAccessible: Bool? = nil,
                    tags: [String: Expr<String>] = [:], file: String = #filePath, line: Int = #line) {
            super.init(type: "aws_db_instance", name: name, file: file, line: line)
            setInput("identifier", identifier)
            setInput("replicateSourceDb", source.id)
            setInput("instanceClass", instanceClass)
            setCommon(multiAz: multiAz, backupRetentionPeriod: backupRetentionPeriod, subnetGroup: subnetGroup, parameterGroup: parameterGroup,
                      vpcSecurityGroups: vpcSecurityGroups, publiclyAccessible: publiclyAccessible, tags: tags)
        }

        private func setCommon(multiAz: Bool?, backupRetentionPeriod: Int?, subnetGroup: DBSubnetGroup?, parameterGroup: DBParameterGroup?,
                               vpcSecurityGroups: [SecurityGroup]?, publiclyAccessible: Bool?, tags: [String: Expr<String>]) {
            if let multiAz { setInput("multiAz", Expr(multiAz)) }
            if let backupRetentionPeriod { setInput("backupRetentionPeriod", Expr(backupRetentionPeriod)) }
            setInput("dbSubnetGroupName", subnetGroup?.name)
            setInput("parameterGroupName", parameterGroup?.name)
            if let vpcSecurityGroups { setInput("vpcSecurityGroupIds", Expr<[String]>(vpcSecurityGroups.map(\.id))) }
            if let publiclyAccessible { setInput("publiclyAccessible", Expr(publiclyAccessible)) }
            if !tags.isEmpty { setInput("tags", Expr<[String: String]>(tags)) }
        }

        public var id: Expr<String> { attribute("id") }
        public var arn: Expr<String> { attribute("arn") }
        /// The endpoint's host name.
        public var endpointAddress: Expr<String> { attribute("address") }
        public var port: Expr<Int> { attribute("port") }
        public var endpoint: Expr<String> { attribute("endpoint") }
    }

    /// `aws_elasticache_subnet_group`: the subnets an ElastiCache replication group may use.
    public final class ElastiCacheSubnetGroup: Resource {
        public init(_ name: String, groupName: Expr<String>, subnets: [Subnet], description: Expr<String>? = nil,
                    tags: [String: Expr<String>] = [:], file: String = #filePath, line: Int = #line) {
            super.init(type: "aws_elasticache_subnet_group", name: name, file: file, line: line)
            setInput("name", groupName)
            setInput("subnetIds", Expr<[String]>(subnets.map(\.id)))
            setInput("description", description)
            if !tags.isEmpty { setInput("tags", Expr<[String: String]>(tags)) }
        }
        public var id: Expr<String> { attribute("id") }
        public var name: Expr<String> { attribute("name") }
        public var arn: Expr<String> { attribute("arn") }
    }

    /// `aws_elasticache_replication_group`: Redis with one primary and `replicaCount` replicas.
    /// The id, engine, port, subnet group and encryption flags force a new group; node type,
    /// version, replicas, failover and security groups change in place.
    public final class ElastiCacheReplicationGroup: Resource {
        public init(_ name: String, replicationGroupId: Expr<String>, nodeType: Expr<String>, replicaCount: Int? = nil,
                    description: Expr<String>? = nil, engine: Expr<String>? = nil, engineVersion: Expr<String>? = nil,
                    automaticFailover: Bool? = nil, atRestEncryption: Bool? = nil, transitEncryption: Bool? = nil,
                    subnetGroup: ElastiCacheSubnetGroup? = nil, securityGroups: [SecurityGroup]? = nil, port: Int? = nil,
                    tags: [String: Expr<String>] = [:], file: String = #filePath, line: Int = #line) {
            super.init(type: "aws_elasticache_replication_group", name: name, file: file, line: line)
            setInput("replicationGroupId", replicationGroupId)
            setInput("nodeType", nodeType)
            if let replicaCount { setInput("replicaCount", Expr(replicaCount)) }
            setInput("description", description)
            setInput("engine", engine)
            setInput("engineVersion", engineVersion)
            if let automaticFailover { setInput("automaticFailover", Expr(automaticFailover)) }
            if let atRestEncryption { setInput("atRestEncryption", Expr(atRestEncryption)) }
            if let transitEncryption { setInput("transitEncryption", Expr(transitEncryption)) }
            setInput("subnetGroupName", subnetGroup?.name)
            if let securityGroups { setInput("securityGroupIds", Expr<[String]>(securityGroups.map(\.id))) }
            if let port { setInput("port", Expr(port)) }
            if !tags.isEmpty { setInput("tags", Expr<[String: String]>(tags)) }
        }
        public var id: Expr<String> { attribute("id") }
        public var arn: Expr<String> { attribute("arn") }
        public var primaryEndpoint: Expr<String> { attribute("primaryEndpoint") }
        public var readerEndpoint: Expr<String> { attribute("readerEndpoint") }
    }

    /// `aws_kms_key`: a KMS key. Usage and spec force a new key; description, rotation and
    /// tags change in place. Destroying it schedules its deletion after `deletionWindowInDays`.
    public final class KMSKey: Resource {
        public init(_ name: String, description: Expr<String>? = nil, keyUsage: Expr<String>? = nil, keySpec: Expr<String>? = nil,
                    enableKeyRotation: Bool? = nil, deletionWindowInDays: Int? = nil, tags: [String: Expr<String>] = [:],
                    file: String = #filePath, line: Int = #line) {
            super.init(type: "aws_kms_key", name: name, file: file, line: line)
            setInput("description", description)
            setInput("keyUsage", keyUsage)
            setInput("keySpec", keySpec)
            if let enableKeyRotation { setInput("enableKeyRotation", Expr(enableKeyRotation)) }
            if let deletionWindowInDays { setInput("deletionWindowInDays", Expr(deletionWindowInDays)) }
            if !tags.isEmpty { setInput("tags", Expr<[String: String]>(tags)) }
        }
        public var id: Expr<String> { attribute("id") }
        public var keyId: Expr<String> { attribute("keyId") }
        public var arn: Expr<String> { attribute("arn") }
    }

    /// `aws_kms_alias`: a name (`alias/…`) for a key; the target changes in place.
    public final class KMSAlias: Resource {
        public init(_ name: String, aliasName: Expr<String>, target: KMSKey, file: String = #filePath, line: Int = #line) {
            super.init(type: "aws_kms_alias", name: name, file: file, line: line)
            setInput("name", aliasName)
            setInput("targetKeyId", target.id)
        }
        public var id: Expr<String> { attribute("id") }
        public var arn: Expr<String> { attribute("arn") }
    }
}
