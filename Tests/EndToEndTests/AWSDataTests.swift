import Foundation
import Testing

/// RDS, ElastiCache and KMS types of `strata-provider-aws`, through the built `strata` and
/// the typed module, against moto_server; every step checked with the `aws` CLI.
@Suite(.serialized) struct AWSDataTests {
    /// VPC, two subnets, a DB subnet group, a parameter group, a PostgreSQL primary and a
    /// read replica. `--var stage=two` changes in-place attributes (class, multi-AZ, backups,
    /// a parameter, a tag); `--var generation=2` renames the parameter group and the replica
    /// (both replaced; the primary is re-pointed at the new group in place).
    static let rdsStack = #"""
        import Strata
        import StrataAWS

        let run = Stack.variable("run", default: "x")
        let stage = Stack.variable("stage", default: "one", allowed: ["one", "two"])
        let generation = Stack.variable("generation", default: 1)
        let two = stage == "two"

        let vpc = AWS.VPC("main", cidrBlock: "10.0.0.0/16")
        let a = AWS.Subnet("a", vpc: vpc, cidrBlock: "10.0.1.0/24", availabilityZone: "us-east-1a")
        let b = AWS.Subnet("b", vpc: vpc, cidrBlock: "10.0.2.0/24", availabilityZone: "us-east-1b")
        let group = AWS.SecurityGroup("db", groupName: "db-\(run)", vpc: vpc, description: "postgres",
                                      ingress: [.tcp(5432, from: ["10.0.0.0/16"])])
        let subnets = AWS.DBSubnetGroup("db", groupName: "db-\(run)", subnets: [a, b], description: "database subnets")
        let parameters = AWS.DBParameterGroup("pg", groupName: "pg-\(run)-\(generation)", family: "postgres16",
                                              parameters: [.init("log_min_duration_statement", two ? "500" : "1000")])
            .createBeforeDestroy()  // AWS refuses to delete a group an instance still uses
        let primary = AWS.DBInstance("primary", identifier: "primary-\(run)", instanceClass: two ? "db.t3.small" : "db.t3.micro",
                                     allocatedStorage: 20, username: "app", password: "pw-\(run)-secret", engineVersion: "16.3",
                                     multiAz: two, backupRetentionPeriod: two ? 7 : 1, subnetGroup: subnets, parameterGroup: parameters,
                                     vpcSecurityGroups: [group], tags: ["stage": "\(stage)"])
        let replica = AWS.DBInstance("replica", identifier: "replica-\(run)-\(generation)", replicaOf: primary, instanceClass: "db.t3.micro")
        Stack.output("primary", primary.id)
        Stack.output("endpoint", primary.endpoint)
        Stack.output("replica", replica.id)
        Stack.output("subnetGroup", subnets.id)
        Stack.output("parameterGroup", parameters.id)
        Stack.output("securityGroup", group.id)
        """#

    @Test(.enabled(if: AWSProviderTests.toolsMissing == nil, "needs moto_server and the aws CLI"))
    func rdsPrimaryAndReplicaCreateUpdateReplaceImportAndDestroy() throws {
        let server = try MotoServer.start(try #require(AWSProviderTests.moto))
        defer { server.stop() }
        let cli = try AWSTestCLI(endpoint: server.endpoint)
        defer { cli.strata.remove() }
        let stack = try cli.strata.writeStack("RDS", ["main.swift": Self.rdsStack])
        // aws-cli v1 sends `aws rds` to https://rds.amazonaws.com whatever AWS_ENDPOINT_URL
        // says (its rds customization), so the rds commands name the endpoint.
        let run = "r" + UUID().uuidString.prefix(6).lowercased()
        let vars = ["--var", "run=\(run)"]
        let password = "pw-\(run)-secret"

        // 1. Create.
        let create = try cli.strata.run(["apply", stack, "--auto-approve"] + vars, environment: cli.env)
        #expect(create.status == 0, "\(create.output)")
        #expect(create.stdout.contains("8 created"), "\(create.output)")
        #expect(!create.output.contains(password), "the password is never printed")
        let first = try cli.outputs(stack, vars)
        let primary = try #require(first["primary"]), replica = try #require(first["replica"])
        #expect(primary == "primary-\(run)" && replica == "replica-\(run)-1")
        #expect(first["endpoint"]?.hasSuffix(":5432") == true, "\(first)")
        let checks1 = try cli.aws([
            ["rds", "--endpoint-url", server.endpoint, "describe-db-instances", "--db-instance-identifier", primary],
            ["rds", "--endpoint-url", server.endpoint, "describe-db-instances", "--db-instance-identifier", replica],
            ["rds", "--endpoint-url", server.endpoint, "describe-db-subnet-groups", "--db-subnet-group-name", "db-\(run)"],
            ["rds", "--endpoint-url", server.endpoint, "describe-db-parameters", "--db-parameter-group-name", "pg-\(run)-1", "--source", "user"],
        ])
        let primaryJSON = try awsJSON(checks1[0])
        #expect(jsonPath(primaryJSON, "DBInstances", 0, "Engine") as? String == "postgres")
        #expect(jsonPath(primaryJSON, "DBInstances", 0, "EngineVersion") as? String == "16.3")
        #expect(jsonPath(primaryJSON, "DBInstances", 0, "DBInstanceClass") as? String == "db.t3.micro")
        #expect(jsonPath(primaryJSON, "DBInstances", 0, "BackupRetentionPeriod") as? Int == 1)
        #expect(jsonPath(primaryJSON, "DBInstances", 0, "MultiAZ") as? Bool == false)
        #expect(jsonPath(primaryJSON, "DBInstances", 0, "MasterUsername") as? String == "app")
        #expect(jsonPath(primaryJSON, "DBInstances", 0, "DBSubnetGroup", "DBSubnetGroupName") as? String == "db-\(run)")
        #expect(jsonPath(primaryJSON, "DBInstances", 0, "DBParameterGroups", 0, "DBParameterGroupName") as? String == "pg-\(run)-1")
        #expect(jsonPath(primaryJSON, "DBInstances", 0, "VpcSecurityGroups", 0, "VpcSecurityGroupId") as? String == first["securityGroup"])
        let primaryTags = awsTagMap(jsonPath(primaryJSON, "DBInstances", 0, "TagList"))
        #expect(primaryTags["stage"] == "one" && primaryTags["strata:address"] == "aws_db_instance.primary", "\(primaryTags)")
        let replicaJSON = try awsJSON(checks1[1])
        #expect(jsonPath(replicaJSON, "DBInstances", 0, "ReadReplicaSourceDBInstanceIdentifier") as? String == primary)
        #expect(awsTagMap(jsonPath(replicaJSON, "DBInstances", 0, "TagList"))["strata:address"] == "aws_db_instance.replica")
        #expect((jsonPath(try awsJSON(checks1[2]), "DBSubnetGroups", 0, "Subnets") as? [Any])?.count == 2)
        #expect(parameterValue(try awsJSON(checks1[3]), "log_min_duration_statement") == "1000")

        let quiet = try cli.strata.run(["plan", stack, "--detailed-exitcode"] + vars, environment: cli.env)
        #expect(quiet.status == 0, "a plan right after apply shows no changes: \(quiet.output)")

        // 2. In place: class, backup retention, a parameter, a tag.
        let stageTwo = vars + ["--var", "stage=two"]
        let update = try cli.strata.run(["apply", stack, "--auto-approve"] + stageTwo, environment: cli.env)
        #expect(update.status == 0, "\(update.output)")
        #expect(update.stdout.contains("0 created, 2 updated, 0 destroyed"), "\(update.output)")
        let checks2 = try cli.aws([
            ["rds", "--endpoint-url", server.endpoint, "describe-db-instances", "--db-instance-identifier", primary],
            ["rds", "--endpoint-url", server.endpoint, "describe-db-parameters", "--db-parameter-group-name", "pg-\(run)-1", "--source", "user"],
        ])
        let updated = try awsJSON(checks2[0])
        #expect(jsonPath(updated, "DBInstances", 0, "DBInstanceClass") as? String == "db.t3.small")
        #expect(jsonPath(updated, "DBInstances", 0, "BackupRetentionPeriod") as? Int == 7)
        #expect(jsonPath(updated, "DBInstances", 0, "MultiAZ") as? Bool == true)
        #expect(awsTagMap(jsonPath(updated, "DBInstances", 0, "TagList"))["stage"] == "two")
        #expect(awsTagMap(jsonPath(updated, "DBInstances", 0, "TagList"))["strata:token"]?.isEmpty == false, "a tag update keeps the strata tags")
        #expect(parameterValue(try awsJSON(checks2[1]), "log_min_duration_statement") == "500")
        let settled = try cli.strata.run(["plan", stack, "--detailed-exitcode"] + stageTwo, environment: cli.env)
        #expect(settled.status == 0, "\(settled.output)")

        // 3. Replace the parameter group (the primary is re-pointed in place) and the replica.
        let generationTwo = stageTwo + ["--var", "generation=2"]
        let replace = try cli.strata.run(["apply", stack, "--auto-approve"] + generationTwo, environment: cli.env)
        #expect(replace.status == 0, "\(replace.output)")
        #expect(replace.stdout.contains("2 created, 1 updated, 2 destroyed"), "\(replace.output)")
        let second = try cli.outputs(stack, generationTwo)
        let newReplica = try #require(second["replica"])
        #expect(newReplica == "replica-\(run)-2")
        let checks3 = try cli.aws([
            ["rds", "--endpoint-url", server.endpoint, "describe-db-instances", "--db-instance-identifier", primary],
            ["rds", "--endpoint-url", server.endpoint, "describe-db-instances", "--db-instance-identifier", replica],
            ["rds", "--endpoint-url", server.endpoint, "describe-db-instances", "--db-instance-identifier", newReplica],
            ["rds", "--endpoint-url", server.endpoint, "describe-db-parameter-groups"],
        ])
        #expect(jsonPath(try awsJSON(checks3[0]), "DBInstances", 0, "DBParameterGroups", 0, "DBParameterGroupName") as? String == "pg-\(run)-2")
        #expect(checks3[1].status != 0 && checks3[1].output.contains("DBInstanceNotFound"), "the old replica is gone: \(checks3[1].output)")
        #expect(jsonPath(try awsJSON(checks3[2]), "DBInstances", 0, "ReadReplicaSourceDBInstanceIdentifier") as? String == primary)
        let groupNames = (jsonPath(try awsJSON(checks3[3]), "DBParameterGroups") as? [[String: Any]] ?? []).compactMap { $0["DBParameterGroupName"] as? String }
        #expect(groupNames.contains("pg-\(run)-2") && !groupNames.contains("pg-\(run)-1"), "\(groupNames)")

        // 4. Import: the replica reads back exactly; the primary too, but for its password,
        // which AWS never shows (the plan sets it again, and only it).
        #expect(try cli.strata.run(["state", "rm", stack, "aws_db_instance.replica"], environment: cli.env).status == 0)
        let importReplica = try cli.strata.run(["import", stack, "aws_db_instance.replica", newReplica] + generationTwo, environment: cli.env)
        #expect(importReplica.status == 0, "\(importReplica.output)")
        let afterReplica = try cli.strata.run(["plan", stack, "--detailed-exitcode"] + generationTwo, environment: cli.env)
        #expect(afterReplica.status == 0, "an imported replica plans no change: \(afterReplica.output)")
        #expect(try cli.strata.run(["state", "rm", stack, "aws_db_instance.primary"], environment: cli.env).status == 0)
        let importPrimary = try cli.strata.run(["import", stack, "aws_db_instance.primary", primary] + generationTwo, environment: cli.env)
        #expect(importPrimary.status == 0, "\(importPrimary.output)")
        let afterPrimary = try cli.strata.run(["plan", stack, "--json"] + generationTwo, environment: cli.env)
        #expect(planChanges(afterPrimary.stdout) == ["aws_db_instance.primary": ["password"]], "\(afterPrimary.stdout)")
        #expect(!afterPrimary.output.contains(password), "the password is never printed")

        // 5. Destroy.
        let destroy = try cli.strata.run(["destroy", stack, "--auto-approve"] + generationTwo, environment: cli.env)
        #expect(destroy.status == 0, "\(destroy.output)")
        let gone = try cli.aws([
            ["rds", "--endpoint-url", server.endpoint, "describe-db-instances", "--db-instance-identifier", primary],
            ["rds", "--endpoint-url", server.endpoint, "describe-db-instances", "--db-instance-identifier", newReplica],
            ["rds", "--endpoint-url", server.endpoint, "describe-db-subnet-groups", "--db-subnet-group-name", "db-\(run)"],
            ["rds", "--endpoint-url", server.endpoint, "describe-db-parameter-groups"],
        ])
        #expect(gone[0].status != 0 && gone[0].output.contains("DBInstanceNotFound"), "\(gone[0].output)")
        #expect(gone[1].status != 0 && gone[1].output.contains("DBInstanceNotFound"), "\(gone[1].output)")
        #expect(gone[2].status != 0 && gone[2].output.contains("DBSubnetGroupNotFoundFault"), "\(gone[2].output)")
        #expect((jsonPath(try awsJSON(gone[3]), "DBParameterGroups") as? [Any])?.isEmpty == true, "\(gone[3].output)")
    }

    /// A Redis replication group (a primary and two replicas) in its own subnet group.
    /// `--var stage=two` changes tags (in place); `--var generation=2` renames the group
    /// (replaced).
    static let cacheStack = #"""
        import Strata
        import StrataAWS

        let run = Stack.variable("run", default: "x")
        let stage = Stack.variable("stage", default: "one", allowed: ["one", "two"])
        let generation = Stack.variable("generation", default: 1)

        let vpc = AWS.VPC("main", cidrBlock: "10.1.0.0/16")
        let a = AWS.Subnet("a", vpc: vpc, cidrBlock: "10.1.1.0/24", availabilityZone: "us-east-1a")
        let b = AWS.Subnet("b", vpc: vpc, cidrBlock: "10.1.2.0/24", availabilityZone: "us-east-1b")
        let group = AWS.SecurityGroup("cache", groupName: "cache-\(run)", vpc: vpc, description: "redis",
                                      ingress: [.tcp(6379, from: ["10.1.0.0/16"])])
        let subnets = AWS.ElastiCacheSubnetGroup("cache", groupName: "cache-\(run)", subnets: [a, b], tags: ["stage": "\(stage)"])
        let redis = AWS.ElastiCacheReplicationGroup("redis", replicationGroupId: "redis-\(run)-\(generation)", nodeType: "cache.t4g.micro",
                                                    replicaCount: 2, description: "sessions", automaticFailover: true,
                                                    atRestEncryption: true, transitEncryption: true, subnetGroup: subnets,
                                                    securityGroups: [group], tags: ["stage": "\(stage)"])
        Stack.output("redis", redis.id)
        Stack.output("arn", redis.arn)
        Stack.output("primary", redis.primaryEndpoint)
        Stack.output("reader", redis.readerEndpoint)
        Stack.output("subnetGroupArn", subnets.arn)
        """#

    @Test(.enabled(if: AWSProviderTests.toolsMissing == nil, "needs moto_server and the aws CLI"))
    func elastiCacheReplicationGroupCreateUpdateReplaceImportAndDestroy() throws {
        let server = try MotoServer.start(try #require(AWSProviderTests.moto))
        defer { server.stop() }
        let cli = try AWSTestCLI(endpoint: server.endpoint)
        defer { cli.strata.remove() }
        let stack = try cli.strata.writeStack("Cache", ["main.swift": Self.cacheStack])
        let run = "c" + UUID().uuidString.prefix(6).lowercased()
        let vars = ["--var", "run=\(run)"]

        // 1. Create.
        let create = try cli.strata.run(["apply", stack, "--auto-approve"] + vars, environment: cli.env)
        #expect(create.status == 0, "\(create.output)")
        #expect(create.stdout.contains("6 created"), "\(create.output)")
        let first = try cli.outputs(stack, vars)
        let redis = try #require(first["redis"]), arn = try #require(first["arn"])
        let checks1 = try cli.aws([
            ["elasticache", "describe-replication-groups", "--replication-group-id", redis],
            ["elasticache", "list-tags-for-resource", "--resource-name", arn],
            ["elasticache", "describe-cache-subnet-groups", "--cache-subnet-group-name", "cache-\(run)"],
        ])
        let groupJSON = try awsJSON(checks1[0])
        #expect((jsonPath(groupJSON, "ReplicationGroups", 0, "MemberClusters") as? [Any])?.count == 3, "a primary and two replicas")
        #expect(jsonPath(groupJSON, "ReplicationGroups", 0, "AutomaticFailover") as? String == "enabled")
        #expect(jsonPath(groupJSON, "ReplicationGroups", 0, "AtRestEncryptionEnabled") as? Bool == true)
        #expect(jsonPath(groupJSON, "ReplicationGroups", 0, "TransitEncryptionEnabled") as? Bool == true)
        #expect(jsonPath(groupJSON, "ReplicationGroups", 0, "CacheNodeType") as? String == "cache.t4g.micro")
        #expect(jsonPath(groupJSON, "ReplicationGroups", 0, "NodeGroups", 0, "PrimaryEndpoint", "Address") as? String == first["primary"])
        #expect(jsonPath(groupJSON, "ReplicationGroups", 0, "NodeGroups", 0, "ReaderEndpoint", "Address") as? String == first["reader"])
        // moto_server answers no ReaderEndpoint for a replication group (AWS does): the
        // output is what the service says, so it is absent here.
        #expect(first["primary"]?.isEmpty == false, "\(first)")
        let tags = awsTagMap(jsonPath(try awsJSON(checks1[1]), "TagList"))
        #expect(tags["stage"] == "one" && tags["strata:address"] == "aws_elasticache_replication_group.redis", "\(tags)")
        #expect((jsonPath(try awsJSON(checks1[2]), "CacheSubnetGroups", 0, "Subnets") as? [Any])?.count == 2)
        let quiet = try cli.strata.run(["plan", stack, "--detailed-exitcode"] + vars, environment: cli.env)
        #expect(quiet.status == 0, "a plan right after apply shows no changes: \(quiet.output)")

        // 2. In place: the tags of both.
        let stageTwo = vars + ["--var", "stage=two"]
        let update = try cli.strata.run(["apply", stack, "--auto-approve"] + stageTwo, environment: cli.env)
        #expect(update.status == 0, "\(update.output)")
        #expect(update.stdout.contains("0 created, 2 updated, 0 destroyed"), "\(update.output)")
        let checks2 = try cli.aws([
            ["elasticache", "list-tags-for-resource", "--resource-name", arn],
            ["elasticache", "list-tags-for-resource", "--resource-name", try #require(first["subnetGroupArn"])],
        ])
        for check in checks2 {
            let tags = awsTagMap(jsonPath(try awsJSON(check), "TagList"))
            #expect(tags["stage"] == "two" && tags["strata:token"]?.isEmpty == false, "\(tags)")
        }
        #expect(try cli.strata.run(["plan", stack, "--detailed-exitcode"] + stageTwo, environment: cli.env).status == 0)

        // 3. A new id replaces the group.
        let generationTwo = stageTwo + ["--var", "generation=2"]
        let replace = try cli.strata.run(["apply", stack, "--auto-approve"] + generationTwo, environment: cli.env)
        #expect(replace.status == 0, "\(replace.output)")
        #expect(replace.stdout.contains("1 created, 0 updated, 1 destroyed"), "\(replace.output)")
        let newRedis = try #require(try cli.outputs(stack, generationTwo)["redis"])
        #expect(newRedis == "redis-\(run)-2")
        let checks3 = try cli.aws([
            ["elasticache", "describe-replication-groups", "--replication-group-id", newRedis],
            ["elasticache", "describe-replication-groups", "--replication-group-id", redis],
        ])
        #expect(jsonPath(try awsJSON(checks3[0]), "ReplicationGroups", 0, "Status") as? String == "available")
        #expect(isGoneOrDeleting(checks3[1]), "the old group is being deleted: \(checks3[1].output)")

        // 4. Import reads it back, but for the subnet group and security groups: AWS shows
        // them on the member clusters (DescribeCacheClusters), which moto_server does not
        // make for a replication group, so an import there cannot know them.
        #expect(try cli.strata.run(["state", "rm", stack, "aws_elasticache_replication_group.redis"], environment: cli.env).status == 0)
        let imported = try cli.strata.run(["import", stack, "aws_elasticache_replication_group.redis", newRedis] + generationTwo, environment: cli.env)
        #expect(imported.status == 0, "\(imported.output)")
        let afterImport = try cli.strata.run(["plan", stack, "--json"] + generationTwo, environment: cli.env)
        #expect(planChanges(afterImport.stdout) == ["aws_elasticache_replication_group.redis": ["securityGroupIds", "subnetGroupName"]], "\(afterImport.stdout)")

        // 5. Destroy. moto_server has no DeleteCacheSubnetGroup (it answers 500), so the
        // subnet group is forgotten first rather than deleted.
        #expect(try cli.strata.run(["state", "rm", stack, "aws_elasticache_subnet_group.cache"], environment: cli.env).status == 0)
        let destroy = try cli.strata.run(["destroy", stack, "--auto-approve"] + generationTwo, environment: cli.env)
        #expect(destroy.status == 0, "\(destroy.output)")
        let gone = try cli.aws([["elasticache", "describe-replication-groups", "--replication-group-id", newRedis]])
        #expect(isGoneOrDeleting(gone[0]), "\(gone[0].output)")
    }

    /// A KMS key and an alias for it. `--var stage=two` changes the description, rotation
    /// and a tag (in place); `--var generation=2` makes it an HMAC key (replaced; the alias
    /// is re-pointed in place).
    static let kmsStack = #"""
        import Strata
        import StrataAWS

        let run = Stack.variable("run", default: "x")
        let stage = Stack.variable("stage", default: "one", allowed: ["one", "two"])
        let generation = Stack.variable("generation", default: 1)
        let two = stage == "two"

        let key = AWS.KMSKey("data", description: "data key (\(stage))",
                             keyUsage: generation == 1 ? "ENCRYPT_DECRYPT" : "GENERATE_VERIFY_MAC",
                             keySpec: generation == 1 ? "SYMMETRIC_DEFAULT" : "HMAC_256",
                             enableKeyRotation: two && generation == 1, deletionWindowInDays: 7, tags: ["stage": "\(stage)"])
        let alias = AWS.KMSAlias("data", aliasName: "alias/strata-\(run)", target: key)
        Stack.output("key", key.id)
        Stack.output("alias", alias.id)
        """#

    @Test(.enabled(if: AWSProviderTests.toolsMissing == nil, "needs moto_server and the aws CLI"))
    func kmsKeyAndAliasCreateUpdateReplaceImportAndDestroy() throws {
        let server = try MotoServer.start(try #require(AWSProviderTests.moto))
        defer { server.stop() }
        let cli = try AWSTestCLI(endpoint: server.endpoint)
        defer { cli.strata.remove() }
        let stack = try cli.strata.writeStack("KMS", ["main.swift": Self.kmsStack])
        let run = "k" + UUID().uuidString.prefix(6).lowercased()
        let vars = ["--var", "run=\(run)"]
        func aliasTarget(_ result: StrataCLI.Result) throws -> String? {
            (jsonPath(try awsJSON(result), "Aliases") as? [[String: Any]] ?? []).first { $0["AliasName"] as? String == "alias/strata-\(run)" }?["TargetKeyId"] as? String
        }

        // 1. Create.
        let create = try cli.strata.run(["apply", stack, "--auto-approve"] + vars, environment: cli.env)
        #expect(create.status == 0, "\(create.output)")
        #expect(create.stdout.contains("2 created"), "\(create.output)")
        let key = try #require(try cli.outputs(stack, vars)["key"])
        let checks1 = try cli.aws([
            ["kms", "describe-key", "--key-id", key],
            ["kms", "get-key-rotation-status", "--key-id", key],
            ["kms", "list-resource-tags", "--key-id", key],
            ["kms", "list-aliases"],
        ])
        let described = try awsJSON(checks1[0])
        #expect(jsonPath(described, "KeyMetadata", "Description") as? String == "data key (one)")
        #expect(jsonPath(described, "KeyMetadata", "KeyUsage") as? String == "ENCRYPT_DECRYPT")
        #expect(jsonPath(described, "KeyMetadata", "KeyState") as? String == "Enabled")
        #expect(jsonPath(try awsJSON(checks1[1]), "KeyRotationEnabled") as? Bool == false)
        let tags = kmsTags(try awsJSON(checks1[2]))
        #expect(tags["stage"] == "one" && tags["strata:address"] == "aws_kms_key.data", "\(tags)")
        #expect(try aliasTarget(checks1[3]) == key)
        let quiet = try cli.strata.run(["plan", stack, "--detailed-exitcode"] + vars, environment: cli.env)
        #expect(quiet.status == 0, "a plan right after apply shows no changes: \(quiet.output)")

        // 2. In place: description, rotation, a tag.
        let stageTwo = vars + ["--var", "stage=two"]
        let update = try cli.strata.run(["apply", stack, "--auto-approve"] + stageTwo, environment: cli.env)
        #expect(update.status == 0, "\(update.output)")
        #expect(update.stdout.contains("0 created, 1 updated, 0 destroyed"), "\(update.output)")
        let checks2 = try cli.aws([
            ["kms", "describe-key", "--key-id", key],
            ["kms", "get-key-rotation-status", "--key-id", key],
            ["kms", "list-resource-tags", "--key-id", key],
        ])
        #expect(jsonPath(try awsJSON(checks2[0]), "KeyMetadata", "Description") as? String == "data key (two)")
        #expect(jsonPath(try awsJSON(checks2[1]), "KeyRotationEnabled") as? Bool == true)
        let tags2 = kmsTags(try awsJSON(checks2[2]))
        #expect(tags2["stage"] == "two" && tags2["strata:token"]?.isEmpty == false, "\(tags2)")
        #expect(try cli.strata.run(["plan", stack, "--detailed-exitcode"] + stageTwo, environment: cli.env).status == 0)

        // 3. A new usage replaces the key; the alias follows in place; the old key is
        // pending deletion (7 days).
        let generationTwo = stageTwo + ["--var", "generation=2"]
        let replace = try cli.strata.run(["apply", stack, "--auto-approve"] + generationTwo, environment: cli.env)
        #expect(replace.status == 0, "\(replace.output)")
        #expect(replace.stdout.contains("1 created, 1 updated, 1 destroyed"), "\(replace.output)")
        let newKey = try #require(try cli.outputs(stack, generationTwo)["key"])
        #expect(newKey != key)
        let checks3 = try cli.aws([
            ["kms", "describe-key", "--key-id", key],
            ["kms", "describe-key", "--key-id", newKey],
            ["kms", "list-aliases"],
        ])
        let old = try awsJSON(checks3[0])
        #expect(jsonPath(old, "KeyMetadata", "KeyState") as? String == "PendingDeletion")
        let deletion = try #require(awsDate(jsonPath(old, "KeyMetadata", "DeletionDate")), "\(old)")
        let days = deletion.timeIntervalSinceNow / 86400
        #expect(days > 6.5 && days <= 7.01, "deletion in 7 days: \(days)")
        #expect(jsonPath(try awsJSON(checks3[1]), "KeyMetadata", "KeyUsage") as? String == "GENERATE_VERIFY_MAC")
        #expect(try aliasTarget(checks3[2]) == newKey, "the alias points at the new key")

        // 4. Import reads the key and the alias back exactly.
        for (address, id) in [("aws_kms_key.data", newKey), ("aws_kms_alias.data", "alias/strata-\(run)")] {
            #expect(try cli.strata.run(["state", "rm", stack, address], environment: cli.env).status == 0)
            let imported = try cli.strata.run(["import", stack, address, id] + generationTwo, environment: cli.env)
            #expect(imported.status == 0, "\(imported.output)")
        }
        let afterImport = try cli.strata.run(["plan", stack, "--detailed-exitcode"] + generationTwo, environment: cli.env)
        #expect(afterImport.status == 0, "imported key and alias plan no change: \(afterImport.output)")

        // 5. Destroy: the alias is gone, the key pending deletion.
        let destroy = try cli.strata.run(["destroy", stack, "--auto-approve"] + generationTwo, environment: cli.env)
        #expect(destroy.status == 0, "\(destroy.output)")
        #expect(destroy.stdout.contains("2 destroyed"), "\(destroy.output)")
        let gone = try cli.aws([["kms", "describe-key", "--key-id", newKey], ["kms", "list-aliases"]])
        #expect(jsonPath(try awsJSON(gone[0]), "KeyMetadata", "KeyState") as? String == "PendingDeletion")
        #expect(try aliasTarget(gone[1]) == nil, "the alias is gone")
    }

    /// The plugin on its own, for every data type: create is idempotent (found again by
    /// its `strata:token` tag; the untaggable alias by its name and key), recover finds it,
    /// discover finds it by the stack's tags (and nothing for another stack), import reads
    /// it back, delete then read says gone.
    @Test(.enabled(if: AWSProviderTests.toolsMissing == nil, "needs moto_server"))
    func recoverImportDiscoverAndDeleteOfTheDataTypes() throws {
        let server = try MotoServer.start(try #require(AWSProviderTests.moto))
        defer { server.stop() }
        let plugin = try PluginPipe(StrataCLI.buildDirectory.appendingPathComponent("strata-provider-aws"), environment: [
            "AWS_ENDPOINT_URL": server.endpoint, "AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing",
            "AWS_REGION": "us-east-1", "AWS_CONFIG_FILE": "/nonexistent", "AWS_SHARED_CREDENTIALS_FILE": "/nonexistent",
        ])
        defer { plugin.close() }
        _ = try plugin.call("initialize", #"{"protocolVersion":1,"engineVersion":"test"}"#)
        _ = try plugin.call("configure", #"{"config":{}}"#)
        func result(_ answer: [String: Any]) -> [String: Any] { answer["result"] as? [String: Any] ?? ["error": answer] }
        func create(_ type: String, _ inputs: String, _ token: String) throws -> String {
            let tags = #"{"strata:stack":"data","strata:instance":"default","strata:address":"\#(type).x","strata:token":"\#(token)"}"#
            let request = #"{"type":"\#(type)","inputs":\#(inputs),"token":"\#(token)","tags":\#(tags)}"#
            let id = try #require(result(try plugin.call("create", request))["id"] as? String, "\(type)")
            #expect(result(try plugin.call("create", request))["id"] as? String == id, "create is idempotent: \(type)")
            let recovered = result(try plugin.call("recover", #"{"type":"\#(type)","token":"\#(token)","inputs":\#(inputs)}"#))
            #expect(recovered["found"] as? Bool == true && recovered["id"] as? String == id, "\(type): \(recovered)")
            let other = result(try plugin.call("recover", #"{"type":"\#(type)","token":"another","inputs":\#(inputs)}"#))
            #expect(other["found"] as? Bool == false || type == "aws_kms_alias", "\(type): \(other)")
            let imported = result(try plugin.call("import", #"{"type":"\#(type)","id":"\#(id)"}"#))
            #expect((imported["outputs"] as? [String: Any])?["id"] as? String == id, "\(type): \(imported)")
            return id
        }
        let vpc = try create("aws_vpc", #"{"cidrBlock":"10.7.0.0/16"}"#, "tokvpc")
        let a = try create("aws_subnet", #"{"vpcId":"\#(vpc)","cidrBlock":"10.7.1.0/24","availabilityZone":"us-east-1a"}"#, "toka")
        let b = try create("aws_subnet", #"{"vpcId":"\#(vpc)","cidrBlock":"10.7.2.0/24","availabilityZone":"us-east-1b"}"#, "tokb")
        let created: [(type: String, id: String)] = [
            ("aws_db_subnet_group", try create("aws_db_subnet_group", #"{"name":"data-db","subnetIds":["\#(a)","\#(b)"]}"#, "tokdbsn")),
            ("aws_db_parameter_group", try create("aws_db_parameter_group", #"{"name":"data-pg","family":"postgres16"}"#, "tokpg")),
            ("aws_db_instance", try create("aws_db_instance", #"{"identifier":"data-db","engine":"postgres","instanceClass":"db.t3.micro","allocatedStorage":20,"username":"app","password":"secret-pw-1","dbSubnetGroupName":"data-db"}"#, "tokdb")),
            ("aws_elasticache_subnet_group", try create("aws_elasticache_subnet_group", #"{"name":"data-cache","subnetIds":["\#(a)","\#(b)"]}"#, "tokcsn")),
            ("aws_elasticache_replication_group", try create("aws_elasticache_replication_group", #"{"replicationGroupId":"data-redis","nodeType":"cache.t4g.micro","replicaCount":1}"#, "tokredis")),
            ("aws_kms_key", try create("aws_kms_key", #"{"description":"data"}"#, "tokkey")),
        ]
        let key = created[5].id
        let alias = try create("aws_kms_alias", #"{"name":"alias/data","targetKeyId":"\#(key)"}"#, "tokalias")
        for (type, id) in created + [("aws_kms_alias", alias)] {
            let found = result(try plugin.call("discover", #"{"type":"\#(type)","tags":{"strata:stack":"data"}}"#))
            #expect((found["resources"] as? [[String: Any]] ?? []).compactMap { $0["id"] as? String } == [id], "\(type): \(found)")
            let none = result(try plugin.call("discover", #"{"type":"\#(type)","tags":{"strata:stack":"other"}}"#))
            #expect((none["resources"] as? [[String: Any]] ?? []).isEmpty, "\(type): \(none)")
        }
        // moto_server cannot delete an ElastiCache subnet group (no DeleteCacheSubnetGroup).
        for (type, id) in [("aws_kms_alias", alias)] + created.reversed() where type != "aws_elasticache_subnet_group" {
            let deleted = try plugin.call("delete", #"{"type":"\#(type)","id":"\#(id)","inputs":{},"outputs":{}}"#)
            #expect(deleted["error"] == nil, "\(type): \(deleted)")
            let read = result(try plugin.call("read", #"{"type":"\#(type)","id":"\#(id)","inputs":{},"outputs":{}}"#))
            #expect(read["exists"] as? Bool == false, "\(type): \(read)")
        }
        let missing = try plugin.call("import", #"{"type":"aws_db_instance","id":"nothing-here"}"#)
        #expect(((missing["error"] as? [String: Any])?["data"] as? [String: Any])?["kind"] as? String == "notFound", "\(missing)")
    }

    @Test(.enabled(if: AWSProviderTests.toolsMissing == nil, "needs moto_server and the aws CLI"))
    func checkRejectsBadDataInputsBeforeAnyCall() throws {
        let cli = try AWSTestCLI(endpoint: "http://127.0.0.1:9")  // nothing listens: check must not call AWS
        defer { cli.strata.remove() }
        let stack = try cli.strata.writeStack("BadData", ["main.swift": """
            import Strata
            import StrataModel

            let db = GenericResource("aws_db_instance", "db", inputs: [
                "identifier": "1-bad--name", "instanceClass": "t3.micro", "engine": "oracle", "allocatedStorage": 5,
                "username": "app", "password": .secret("short"),
            ])
            let replica = GenericResource("aws_db_instance", "replica", inputs: [
                "identifier": "replica", "instanceClass": "db.t3.micro", "replicateSourceDb": "db", "username": "app",
            ])
            let redis = GenericResource("aws_elasticache_replication_group", "redis", inputs: [
                "replicationGroupId": "redis", "nodeType": "cache.t4g.micro", "replicaCount": 9, "engine": "memcached",
            ])
            let lonely = GenericResource("aws_elasticache_replication_group", "lonely", inputs: [
                "replicationGroupId": "lonely", "nodeType": "m5.large", "replicaCount": 0, "automaticFailover": true,
            ])
            let key = GenericResource("aws_kms_key", "key", inputs: ["keyUsage": "ENCRYPT", "deletionWindowInDays": 3])
            let alias = GenericResource("aws_kms_alias", "alias", inputs: ["name": "data", "targetKeyId": "k"])
            """])
        let plan = try cli.strata.run(["plan", stack], environment: cli.env)
        #expect(plan.status == 1, "\(plan.output)")
        for message in ["identifier must start with a letter", "expected db.<family>.<size>", "engine must be one of postgres",
                        "allocatedStorage must be a whole number from 20", "password must be 8 to 128",
                        "a read replica takes its username from its source",
                        "replicaCount must be a whole number from 0 to 5", "engine must be one of redis, valkey",
                        "expected cache.<family>.<size>", "automaticFailover needs at least one replica",
                        "keyUsage must be one of ENCRYPT_DECRYPT", "deletionWindowInDays must be a whole number from 7 to 30",
                        "name must be alias/ followed by"] {
            #expect(plan.output.contains(message), "expected '\(message)': \(plan.output)")
        }
    }
}

/// `describe-replication-groups` of a group that is gone, or that AWS is deleting (moto_server
/// keeps a deleted group in `deleting` for good).
private func isGoneOrDeleting(_ result: StrataCLI.Result) -> Bool {
    if result.status != 0 { return result.output.contains("ReplicationGroupNotFoundFault") }
    return (try? jsonPath(awsJSON(result), "ReplicationGroups", 0, "Status") as? String) == "deleting"
}

/// `aws kms list-resource-tags` JSON → a map.
private func kmsTags(_ json: Any) -> [String: String] {
    var out: [String: String] = [:]
    for tag in jsonPath(json, "Tags") as? [[String: Any]] ?? [] {
        if let key = tag["TagKey"] as? String { out[key] = tag["TagValue"] as? String ?? "" }
    }
    return out
}

/// A timestamp as the aws CLI prints it (ISO 8601, with or without fractions; or epoch seconds).
private func awsDate(_ value: Any?) -> Date? {
    if let seconds = value as? Double { return Date(timeIntervalSince1970: seconds) }
    guard let text = value as? String else { return nil }
    let formatter = ISO8601DateFormatter()
    formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
    if let date = formatter.date(from: text) { return date }
    formatter.formatOptions = [.withInternetDateTime]
    return formatter.date(from: text)
}

/// The value of one parameter in `aws rds describe-db-parameters` JSON.
private func parameterValue(_ json: Any, _ name: String) -> String? {
    (jsonPath(json, "Parameters") as? [[String: Any]] ?? []).first { $0["ParameterName"] as? String == name }?["ParameterValue"] as? String
}

/// `strata plan --json` → address: the attributes that change, for every step that is not a no-op.
private func planChanges(_ planJSON: String) -> [String: [String]] {
    let object = (try? JSONSerialization.jsonObject(with: Data(planJSON.utf8))) as? [String: Any]
    var out: [String: [String]] = [:]
    for step in object?["steps"] as? [[String: Any]] ?? [] where step["action"] as? String != "noop" {
        let changes = (step["changes"] as? [[String: Any]] ?? []).compactMap { $0["attribute"] as? String }.sorted()
        out["\(step["address"] ?? "")"] = changes
    }
    return out
}
