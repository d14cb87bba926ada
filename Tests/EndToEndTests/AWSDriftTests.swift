import Foundation
import Testing

/// `strata drift` with `strata-provider-aws` against moto_server: changes made with the `aws`
/// CLI are found (changed, deleted, and a hand-made bucket carrying the stack's tags found by
/// `discover` as unmanaged), remediated, and checked again with the `aws` CLI.
@Suite(.serialized) struct AWSDriftTests {
    static let stack = #"""
        import Strata
        import StrataModel

        let run = Stack.variable("run", default: "x")

        let vpc = GenericResource("aws_vpc", "main", inputs: [
            "cidrBlock": "10.1.0.0/16",
            "tags": .map(["Name": "strata-drift"]),
        ])
        let vpcID: Expr<String> = vpc.attribute("id")

        let web = GenericResource("aws_security_group", "web", inputs: [
            "name": "web",
            "description": "web servers",
            "ingress": .list([.map(["protocol": "tcp", "fromPort": 443, "toPort": 443, "cidrBlocks": ["0.0.0.0/0"]])]),
        ])
        web.setRawInput("vpcId", vpcID.value)

        let bucket = GenericResource("aws_s3_bucket", "logs", inputs: [
            "bucket": .string("strata-drift-\(run)"),
            "versioning": true,
        ])

        let secret = GenericResource("aws_secretsmanager_secret", "db", inputs: [
            "name": .string("strata-drift/\(run)/db"),
            "secretString": .secret("pw"),
        ])

        Stack.output("vpc", vpcID)
        Stack.output("securityGroup", web.attribute("id") as Expr<String>)
        Stack.output("bucket", bucket.attribute("id") as Expr<String>)
        Stack.output("secret", secret.attribute("arn") as Expr<String>)
        """#

    @Test(.enabled(if: AWSProviderTests.toolsMissing == nil, "needs moto_server and the aws CLI"))
    func outOfBandChangesAreFoundAndRemediated() throws {
        let server = try MotoServer.start(try #require(AWSProviderTests.moto))
        defer { server.stop() }
        let cli = try AWSTestCLI(endpoint: server.endpoint)
        defer { cli.strata.remove() }
        let stack = try cli.strata.writeStack("AWSDrift", ["main.swift": Self.stack])
        let run = "r" + UUID().uuidString.prefix(6).lowercased()
        let vars = ["--var", "run=\(run)"]

        let apply = try cli.strata.run(["apply", stack, "--auto-approve"] + vars, environment: cli.env)
        #expect(apply.status == 0, "\(apply.output)")
        let outputs = try cli.outputs(stack, vars)
        let vpc = try #require(outputs["vpc"]), group = try #require(outputs["securityGroup"])
        let bucket = try #require(outputs["bucket"]), secret = try #require(outputs["secret"])

        // Right after apply: clean, and discover finds only what the state knows.
        let fresh = try cli.strata.run(["drift", stack, "--json"] + vars, environment: cli.env)
        #expect(fresh.status == 0, "\(fresh.output)")
        let freshReport = try report(fresh.stdout)
        #expect(freshReport["status"] as? String == "clean", "\(fresh.stdout)")
        #expect((freshReport["notes"] as? [String] ?? []).allSatisfy { !$0.contains("discover") && !$0.contains("unmanaged") }, "\(fresh.stdout)")
        let stackName = try #require(freshReport["stack"] as? String)
        let instance = try #require(freshReport["instance"] as? String)

        // Out of band.
        let handMade = "strata-drift-\(run)-by-hand"
        let changes = try cli.aws([
            ["ec2", "authorize-security-group-ingress", "--group-id", group, "--protocol", "tcp", "--port", "22", "--cidr", "10.0.0.0/8"],
            ["s3api", "put-bucket-versioning", "--bucket", bucket, "--versioning-configuration", "Status=Suspended"],
            ["secretsmanager", "delete-secret", "--secret-id", secret, "--force-delete-without-recovery"],
            ["ec2", "create-tags", "--resources", vpc, "--tags", "Key=Name,Value=renamed-by-hand"],
            ["s3api", "create-bucket", "--bucket", handMade],
        ])
        for change in changes { #expect(change.status == 0, "\(change.output)") }
        let tagging = try cli.aws([[
            "s3api", "put-bucket-tagging", "--bucket", handMade, "--tagging",
            "TagSet=[{Key=strata:stack,Value=\(stackName)},{Key=strata:instance,Value=\(instance)}]",
        ]])
        #expect(tagging[0].status == 0, "\(tagging[0].output)")

        let sweep = try cli.strata.run(["drift", stack] + vars, environment: cli.env)
        #expect(sweep.status == 2, "\(sweep.output)")
        let drifted = try cli.strata.run(["drift", stack, "--json"] + vars, environment: cli.env)
        #expect(drifted.status == 2, "\(drifted.output)")
        let driftReport = try report(drifted.stdout)
        let entries = driftReport["resources"] as? [[String: Any]] ?? []
        let found = Set(entries.map { "\($0["kind"] ?? "") \($0["address"] as? String ?? $0["id"] as? String ?? "")" })
        #expect(found == [
            "changed aws_vpc.main", "changed aws_security_group.web", "changed aws_s3_bucket.logs",
            "deleted aws_secretsmanager_secret.db", "unmanaged \(handMade)",
        ], "\(drifted.stdout)")
        func changedNames(_ address: String) -> Set<String> {
            let attributes = entries.first { $0["address"] as? String == address && $0["kind"] as? String == "changed" }?["attributes"] as? [[String: Any]] ?? []
            return Set(attributes.compactMap { $0["name"] as? String })
        }
        #expect(changedNames("aws_vpc.main") == ["tags"], "\(drifted.stdout)")
        #expect(changedNames("aws_security_group.web") == ["ingress"], "\(drifted.stdout)")
        #expect(changedNames("aws_s3_bucket.logs") == ["versioning"], "\(drifted.stdout)")
        let unmanaged = entries.first { $0["kind"] as? String == "unmanaged" }
        #expect(unmanaged?["type"] as? String == "aws_s3_bucket")
        #expect((unmanaged?["tags"] as? [String: String])?["strata:stack"] == stackName)
        #expect((driftReport["summary"] as? [String: Int])?["errors"] == 0, "\(drifted.stdout)")

        // Remediate: drift was found (and fixed), so 2; the hand-made bucket is left alone.
        let remediate = try cli.strata.run(["drift", stack, "--remediate"] + vars, environment: cli.env)
        #expect(remediate.status == 2, "\(remediate.output)")
        #expect(remediate.stdout.contains("Remediation: done"), "\(remediate.output)")

        let checks = try cli.aws([
            ["s3api", "get-bucket-versioning", "--bucket", bucket],
            ["secretsmanager", "describe-secret", "--secret-id", "strata-drift/\(run)/db"],
            ["secretsmanager", "get-secret-value", "--secret-id", "strata-drift/\(run)/db"],
            ["ec2", "describe-security-groups", "--group-ids", group],
            ["ec2", "describe-vpcs", "--vpc-ids", vpc],
            ["s3api", "head-bucket", "--bucket", handMade],
        ])
        #expect(jsonPath(try awsJSON(checks[0]), "Status") as? String == "Enabled", "\(checks[0].output)")
        #expect(jsonPath(try awsJSON(checks[1]), "DeletedDate") == nil, "the secret exists again: \(checks[1].output)")
        #expect(jsonPath(try awsJSON(checks[2]), "SecretString") as? String == "pw")
        let permissions = jsonPath(try awsJSON(checks[3]), "SecurityGroups", 0, "IpPermissions") as? [[String: Any]] ?? []
        #expect(permissions.compactMap { $0["FromPort"] as? Int } == [443], "the extra rule is gone: \(checks[3].output)")
        #expect(awsTagMap(jsonPath(try awsJSON(checks[4]), "Vpcs", 0, "Tags"))["Name"] == "strata-drift", "\(checks[4].output)")
        #expect(checks[5].status == 0, "unmanaged resources are not deleted unless asked: \(checks[5].output)")

        // Unmanaged is drift too (docs/drift.md: exit 2 when drift was found): only the bucket is left.
        let after = try cli.strata.run(["drift", stack, "--json"] + vars, environment: cli.env)
        #expect(after.status == 2, "\(after.output)")
        let afterEntries = try report(after.stdout)["resources"] as? [[String: Any]] ?? []
        #expect(afterEntries.map { "\($0["kind"] ?? "") \($0["id"] ?? "")" } == ["unmanaged \(handMade)"], "\(after.stdout)")

        let cleanup = try cli.strata.run(["drift", stack, "--remediate", "--delete-unmanaged"] + vars, environment: cli.env)
        #expect(cleanup.status == 2, "\(cleanup.output)")
        #expect(try cli.aws([["s3api", "head-bucket", "--bucket", handMade]])[0].status != 0, "deleted when asked")

        let clean = try cli.strata.run(["drift", stack] + vars, environment: cli.env)
        #expect(clean.status == 0, "\(clean.output)")

        let destroy = try cli.strata.run(["destroy", stack, "--auto-approve"] + vars, environment: cli.env)
        #expect(destroy.status == 0, "\(destroy.output)")
    }

    private func report(_ text: String) throws -> [String: Any] {
        try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any], "not a JSON object: \(text)")
    }
}
