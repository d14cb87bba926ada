import Foundation
import Testing

/// S3 cross-region replication against moto_server, checked with the `aws` CLI: a versioned
/// bucket in us-east-1 replicated to a versioned bucket in eu-west-1 (a second provider
/// instance) through a role; the storage class changed in place, a new destination bucket
/// re-pointed in place, an import, destroy. And an RDS read replica in eu-west-1 of a
/// primary in us-east-1.
@Suite(.serialized) struct AWSReplicationTests {
    static let stack = ##"""
        import Strata
        import StrataAWS

        let run = Stack.variable("run", default: "x")
        let stage = Stack.variable("stage", default: "one", allowed: ["one", "two"])
        let generation = Stack.variable("generation", default: 1)
        let eu = AWS.provider("eu", region: "eu-west-1")

        let trust = #"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"s3.amazonaws.com"},"Action":"sts:AssumeRole"}]}"#
        let role = AWS.IAMRole("replication", roleName: "replication-\(run)", assumeRolePolicy: "\(trust)")
        let source = AWS.S3Bucket("source", bucket: "source-\(run)", versioning: true)
        let copy = AWS.S3Bucket("copy", bucket: "copy-\(run)-\(generation)", versioning: true).using(eu)
        let replication = AWS.S3BucketReplication("dr", bucket: source, destination: copy, role: role,
                                                  storageClass: stage == "two" ? "STANDARD_IA" : "STANDARD")
        Stack.output("replication", replication.id)
        Stack.output("copy", copy.id)
        """##

    @Test(.enabled(if: AWSProviderTests.toolsMissing == nil, "needs moto_server and the aws CLI"))
    func bucketsReplicateToAnotherRegion() throws {
        let server = try MotoServer.start(try #require(AWSProviderTests.moto))
        defer { server.stop() }
        let cli = try AWSTestCLI(endpoint: server.endpoint)
        defer { cli.strata.remove() }
        let run = "r" + UUID().uuidString.prefix(6).lowercased()
        let stack = try cli.strata.writeStack("AWSReplication", ["main.swift": Self.stack])
        let one = ["--var", "run=\(run)"]
        let apply = try cli.strata.run(["apply", stack, "--auto-approve"] + one, environment: cli.env)
        #expect(apply.status == 0, "\(apply.output)")
        #expect(apply.stdout.contains("4 created"), "\(apply.output)")
        let source = "source-\(run)"
        func replication() throws -> [String: Any] {
            let result = try cli.aws([["s3api", "get-bucket-replication", "--bucket", source]])[0]
            return try #require(jsonPath(try awsJSON(result), "ReplicationConfiguration") as? [String: Any], "\(result.output)")
        }
        let first = try replication()
        #expect(jsonPath(first, "Rules", 0, "Destination", "Bucket") as? String == "arn:aws:s3:::copy-\(run)-1", "\(first)")
        #expect((first["Role"] as? String)?.hasSuffix(":role/replication-\(run)") == true, "\(first)")
        let location = try cli.aws([["s3api", "get-bucket-location", "--bucket", "copy-\(run)-1"]])[0]
        #expect(location.stdout.contains("eu-west-1"), "the copy is in another region: \(location.output)")
        #expect(try cli.strata.run(["plan", stack, "--detailed-exitcode"] + one, environment: cli.env).status == 0, "nothing to change after apply")

        #expect(try cli.strata.run(["state", "rm", stack, "aws_s3_bucket_replication.dr"] + one, environment: cli.env).status == 0)
        let imported = try cli.strata.run(["import", stack, "aws_s3_bucket_replication.dr", source] + one, environment: cli.env)
        #expect(imported.status == 0, "\(imported.output)")
        let afterImport = try cli.strata.run(["plan", stack, "--detailed-exitcode"] + one, environment: cli.env)
        #expect(afterImport.status == 0, "an imported replication plans no change: \(afterImport.output)")

        let two = one + ["--var", "stage=two"]
        let update = try cli.strata.run(["apply", stack, "--auto-approve"] + two, environment: cli.env)
        #expect(update.status == 0, "\(update.output)")
        #expect(jsonPath(try replication(), "Rules", 0, "Destination", "StorageClass") as? String == "STANDARD_IA")
        #expect(try cli.strata.run(["plan", stack, "--detailed-exitcode"] + two, environment: cli.env).status == 0, "nothing to change after the update")

        let moved = two + ["--var", "generation=2"]
        let replace = try cli.strata.run(["apply", stack, "--auto-approve"] + moved, environment: cli.env)
        #expect(replace.status == 0, "\(replace.output)")
        #expect(jsonPath(try replication(), "Rules", 0, "Destination", "Bucket") as? String == "arn:aws:s3:::copy-\(run)-2", "re-pointed to the new bucket")

        let destroy = try cli.strata.run(["destroy", stack, "--auto-approve"] + moved, environment: cli.env)
        #expect(destroy.status == 0, "\(destroy.output)")
        let gone = try cli.aws([["s3api", "head-bucket", "--bucket", source], ["s3api", "head-bucket", "--bucket", "copy-\(run)-2"]])
        #expect(gone[0].status != 0 && gone[1].status != 0, "gone: \(gone.map(\.output))")
    }

    static let databaseStack = ##"""
        import Strata
        import StrataAWS

        let run = Stack.variable("run", default: "x")
        let eu = AWS.provider("eu", region: "eu-west-1")
        let primary = AWS.DBInstance("primary", identifier: "primary-\(run)", instanceClass: "db.t3.micro", allocatedStorage: 20,
                                     username: "app", password: "correct-horse-1", backupRetentionPeriod: 1)
        let replica = AWS.DBInstance("replica", identifier: "replica-\(run)", crossRegionReplicaOf: primary, sourceRegion: "us-east-1",
                                     instanceClass: "db.t3.micro").using(eu)
        Stack.output("replica", replica.id)
        """##

    @Test(.enabled(if: AWSProviderTests.toolsMissing == nil, "needs moto_server and the aws CLI"))
    func databasesReplicateToAnotherRegion() throws {
        let server = try MotoServer.start(try #require(AWSProviderTests.moto))
        defer { server.stop() }
        let cli = try AWSTestCLI(endpoint: server.endpoint)
        defer { cli.strata.remove() }
        let run = "d" + UUID().uuidString.prefix(6).lowercased()
        let stack = try cli.strata.writeStack("AWSDBReplica", ["main.swift": Self.databaseStack])
        let vars = ["--var", "run=\(run)"]
        let apply = try cli.strata.run(["apply", stack, "--auto-approve"] + vars, environment: cli.env)
        #expect(apply.status == 0, "\(apply.output)")
        let described = try cli.aws([["rds", "describe-db-instances", "--region", "eu-west-1", "--db-instance-identifier", "replica-\(run)"]])[0]
        let replica = try #require(jsonPath(try awsJSON(described), "DBInstances", 0) as? [String: Any], "\(described.output)")
        #expect(replica["ReadReplicaSourceDBInstanceIdentifier"] as? String == "arn:aws:rds:us-east-1:123456789012:db:primary-\(run)", "\(replica)")
        let replan = try cli.strata.run(["plan", stack, "--detailed-exitcode"] + vars, environment: cli.env)
        #expect(replan.status == 0, "nothing to change after apply: \(replan.output)")
        let destroy = try cli.strata.run(["destroy", stack, "--auto-approve"] + vars, environment: cli.env)
        #expect(destroy.status == 0, "\(destroy.output)")
        let gone = try cli.aws([["rds", "describe-db-instances", "--region", "eu-west-1", "--db-instance-identifier", "replica-\(run)"],
                                ["rds", "describe-db-instances", "--db-instance-identifier", "primary-\(run)"]])
        #expect(gone[0].status != 0 && gone[1].status != 0, "gone: \(gone.map(\.output))")
    }
}
