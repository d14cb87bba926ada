import Foundation
import Testing

/// Provider instances and data sources against moto_server: one stack, two regions.
@Suite(.serialized) struct AWSRegionsTests {
    @Test(.enabled(if: AWSProviderTests.toolsMissing == nil, "needs moto_server and the aws CLI"))
    func oneStackAppliesToTwoRegionsWithDataSources() throws {
        let server = try MotoServer.start(try #require(AWSProviderTests.moto))
        defer { server.stop() }
        let cli = try AWSTestCLI(endpoint: server.endpoint)
        defer { cli.strata.remove() }
        let run = "r" + UUID().uuidString.prefix(6).lowercased()
        let stack = try cli.strata.writeStack("Regions", ["main.swift": """
            import Strata
            import StrataModel

            let run = Stack.variable("run", default: "x")
            for region in ["us-east-1", "eu-west-1"] {
                let provider = Stack.provider("aws", alias: region, ["region": .string(region)])
                let zones = GenericDataSource("aws_availability_zones", region).using(provider)
                let vpc = GenericResource("aws_vpc", region, inputs: ["cidrBlock": "10.1.0.0/16", "tags": .map(["Name": .string("strata-\\(run)-\\(region)")])]).using(provider)
                let subnet = GenericResource("aws_subnet", region, inputs: [
                    "cidrBlock": "10.1.1.0/24",
                    "vpcId": .reference(Reference(address: vpc.address, attribute: "id")),
                    "availabilityZone": .reference(Reference(address: zones.address, attribute: "first")),
                ]).using(provider)
                Stack.output("vpc-\\(region)", vpc.attribute("id") as Expr<String>)
                Stack.output("subnet-\\(region)", subnet.attribute("id") as Expr<String>)
            }
            """])
        let vars = ["--var", "run=\(run)"]
        let apply = try cli.strata.run(["apply", stack, "--auto-approve"] + vars, environment: cli.env)
        #expect(apply.status == 0, "\(apply.output)")
        #expect(apply.stdout.contains("4 created"), "\(apply.output)")
        #expect(apply.stdout.contains("Read: data.aws_availability_zones.eu-west-1, data.aws_availability_zones.us-east-1"), "\(apply.output)")
        let outputs = try cli.outputs(stack, vars)

        // Each VPC and subnet is in its own region, the subnet in a zone the data source found there.
        let checks = try cli.aws([
            ["ec2", "describe-vpcs", "--region", "us-east-1", "--vpc-ids", outputs["vpc-us-east-1"] ?? "?"],
            ["ec2", "describe-vpcs", "--region", "eu-west-1", "--vpc-ids", outputs["vpc-eu-west-1"] ?? "?"],
            ["ec2", "describe-vpcs", "--region", "us-east-1", "--vpc-ids", outputs["vpc-eu-west-1"] ?? "?"],
            ["ec2", "describe-subnets", "--region", "eu-west-1", "--subnet-ids", outputs["subnet-eu-west-1"] ?? "?"],
        ])
        #expect(checks[0].status == 0 && checks[0].stdout.contains("strata-\(run)-us-east-1"), "\(checks[0].output)")
        #expect(checks[1].status == 0 && checks[1].stdout.contains("strata-\(run)-eu-west-1"), "\(checks[1].output)")
        #expect(checks[2].status != 0, "the eu-west-1 VPC is not in us-east-1: \(checks[2].output)")
        #expect(checks[3].stdout.contains("\"AvailabilityZone\": \"eu-west-1"), "\(checks[3].output)")

        let state = try cli.strata.run(["show", stack, "--json"] + vars, environment: cli.env)
        #expect(state.stdout.contains("\"provider\" : \"aws.eu-west-1\""), "\(state.output)")
        #expect(try cli.strata.run(["plan", stack, "--detailed-exitcode"] + vars, environment: cli.env).status == 0)
        let destroy = try cli.strata.run(["destroy", stack, "--auto-approve"] + vars, environment: cli.env)
        #expect(destroy.status == 0, "\(destroy.output)")
        let gone = try cli.aws([["ec2", "describe-vpcs", "--region", "eu-west-1", "--vpc-ids", outputs["vpc-eu-west-1"] ?? "?"]])
        #expect(gone[0].status != 0, "\(gone[0].output)")
    }
}
