import Foundation
import Testing

/// The typed AWS module (`import StrataAWS`) agrees with the plugin's schema and applies.
@Suite(.serialized) struct TypedAWSTests {
    /// A subnet outside its VPC's range is refused by `validate`, naming the address and the
    /// line, before any plugin call.
    @Test func aSubnetOutsideItsVPCIsRefusedBeforeAnyCall() throws {
        let cli = try StrataCLI()
        defer { cli.remove() }
        let stack = try cli.writeStack("Outside", ["main.swift": """
            import Strata
            import StrataAWS

            let vpc = AWS.VPC("main", cidrBlock: "10.0.0.0/16")
            let inside = AWS.Subnet("inside", vpc: vpc, cidrBlock: "10.0.1.0/24")
            let outside = AWS.Subnet("outside", vpc: vpc, cidrBlock: "10.1.1.0/24")
            """])
        let result = try cli.run(["validate", stack], environment: ["AWS_ENDPOINT_URL": "http://127.0.0.1:9", "AWS_REGION": "us-east-1"])
        #expect(result.status != 0, "\(result.output)")
        #expect(result.stderr.contains("aws_subnet.outside") && result.stderr.contains("10.1.1.0/24 is outside its VPC aws_vpc.main's 10.0.0.0/16"), "\(result.output)")
        #expect(result.stderr.contains("main.swift:6"), "the line of the subnet: \(result.output)")
        #expect(!result.stderr.contains("aws_subnet.inside"), "\(result.output)")
    }

    @Test(.enabled(if: AWSProviderTests.toolsMissing == nil, "needs moto_server and the aws CLI"))
    func aTypedAWSStackValidatesAppliesSettlesAndDestroys() throws {
        let server = try MotoServer.start(try #require(AWSProviderTests.moto))
        defer { server.stop() }
        let cli = try AWSTestCLI(endpoint: server.endpoint)
        defer { cli.strata.remove() }
        let run = "t" + UUID().uuidString.prefix(6).lowercased()
        let stack = try cli.strata.writeStack("TypedAWS", ["main.swift": """
            import Strata
            import StrataAWS

            let run = Stack.variable("run", default: "x")
            let zones = AWS.AvailabilityZones("here")
            let vpc = AWS.VPC("main", cidrBlock: "10.0.0.0/16", enableDnsHostnames: true, tags: ["Name": "strata-\\(run)"])
            let subnet = AWS.Subnet("a", vpc: vpc, cidrBlock: "10.0.1.0/24", availabilityZone: zones.first)
            let web = AWS.SecurityGroup("web", groupName: "web-\\(run)", vpc: vpc, description: "web servers",
                                        ingress: [.tcp(443, from: ["0.0.0.0/0"], description: "https")])
            let logs = AWS.S3Bucket("logs", bucket: "strata-typed-\\(run)", versioning: true)
            let secret = AWS.Secret("db", secretName: "strata/\\(run)/db", value: "pw-\\(run)")
            Stack.output("vpc", vpc.id)
            Stack.output("subnet", subnet.id)
            Stack.output("bucket", logs.id)
            """])
        let vars = ["--var", "run=\(run)"]
        let validate = try cli.strata.run(["validate", stack] + vars, environment: cli.env)
        #expect(validate.status == 0, "the typed module matches the schema: \(validate.output)")
        let apply = try cli.strata.run(["apply", stack, "--auto-approve"] + vars, environment: cli.env)
        #expect(apply.status == 0, "\(apply.output)")
        #expect(apply.stdout.contains("5 created"), "\(apply.output)")
        #expect(!apply.output.contains("pw-\(run)"), "the secret value is never printed")
        let outputs = try cli.outputs(stack, vars)
        let checks = try cli.aws([
            ["ec2", "describe-subnets", "--subnet-ids", outputs["subnet"] ?? "?"],
            ["s3api", "get-bucket-versioning", "--bucket", outputs["bucket"] ?? "?"],
        ])
        #expect(checks[0].stdout.contains("\"AvailabilityZone\": \"us-east-1"), "\(checks[0].output)")
        #expect(checks[1].stdout.contains("Enabled"), "\(checks[1].output)")
        #expect(try cli.strata.run(["plan", stack, "--detailed-exitcode"] + vars, environment: cli.env).status == 0)
        #expect(try cli.strata.run(["destroy", stack, "--auto-approve"] + vars, environment: cli.env).status == 0)
    }
}
