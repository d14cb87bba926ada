import Foundation
import Testing

/// An SQS queue feeding a Lambda function (`aws_lambda_event_source_mapping`) against
/// moto_server, checked with the `aws` CLI: created tagged; batch size, `enabled` and the
/// batching window changed in place; imported by UUID; a new queue replaces the mapping;
/// destroy. moto_server cannot invoke functions: nothing here sends a message.
@Suite(.serialized) struct AWSEventSourceMappingTests {
    static let stack = ##"""
        import Strata
        import StrataAWS

        let run = Stack.variable("run", default: "x")
        let stage = Stack.variable("stage", default: "one", allowed: ["one", "two"])
        let generation = Stack.variable("generation", default: 1)
        let two = stage == "two"

        let trust = #"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"lambda.amazonaws.com"},"Action":"sts:AssumeRole"}]}"#
        let role = AWS.IAMRole("worker", roleName: "worker-\(run)", assumeRolePolicy: "\(trust)")
        let worker = AWS.LambdaFunction("worker", functionName: "worker-\(run)", role: role.arn, runtime: "python3.12",
                                        handler: "index.handler", filename: "code.zip")
        let jobs = AWS.SQSQueue("jobs", queueName: "jobs-\(run)-\(generation)", visibilityTimeout: 60)
        let feed = AWS.LambdaEventSourceMapping("jobs", function: worker, queue: jobs, batchSize: two ? 10 : 5, enabled: !two,
                                                maximumBatchingWindowInSeconds: two ? 5 : 0, tags: ["team": "\(stage)"])
        Stack.output("mapping", feed.id)
        Stack.output("mappingArn", feed.arn)
        Stack.output("queue", jobs.arn)
        Stack.output("function", worker.arn)
        """##

    @Test(.enabled(if: AWSProviderTests.toolsMissing == nil, "needs moto_server and the aws CLI"))
    func queuesFeedFunctionsThroughMappingsThatLiveAndDie() throws {
        let server = try MotoServer.start(try #require(AWSProviderTests.moto))
        defer { server.stop() }
        let cli = try AWSTestCLI(endpoint: server.endpoint)
        defer { cli.strata.remove() }
        let run = "e" + UUID().uuidString.prefix(6).lowercased()
        let stack = try cli.strata.writeStack("AWSEventSourceMapping", ["main.swift": Self.stack])
        try AWSServerlessTests.writeZip(stack + "/code.zip", "def handler(e, c):\n    return len(e['Records'])\n")
        let one = ["--var", "run=\(run)"]
        let apply = try cli.strata.run(["apply", stack, "--auto-approve"] + one, environment: cli.env)
        #expect(apply.status == 0, "\(apply.output)")
        #expect(apply.stdout.contains("4 created"), "\(apply.output)")
        let out = try cli.outputs(stack, one)
        let uuid = try #require(out["mapping"])

        func mapping(_ uuid: String) throws -> (config: [String: Any], tags: [String: String]) {
            let got = try cli.aws([["lambda", "get-event-source-mapping", "--uuid", uuid]])[0]
            let config = try #require(try awsJSON(got) as? [String: Any], "\(got.output)")
            let arn = try #require(config["EventSourceMappingArn"] as? String, "\(config)")
            let listed = try cli.aws([["lambda", "list-tags", "--resource", arn]])[0]
            return (config, (jsonPath(try awsJSON(listed), "Tags") as? [String: String]) ?? [:])
        }
        let first = try mapping(uuid)
        #expect(first.config["EventSourceArn"] as? String == out["queue"] && first.config["FunctionArn"] as? String == out["function"], "\(first.config) \(out)")
        #expect(first.config["BatchSize"] as? Int == 5 && first.config["State"] as? String == "Enabled", "\(first.config)")
        #expect(first.tags["team"] == "one" && first.tags["strata:address"] == "aws_lambda_event_source_mapping.jobs" && first.tags["strata:token"] != nil, "\(first.tags)")
        let listed = try awsJSON(try cli.aws([["lambda", "list-event-source-mappings", "--function-name", "worker-\(run)"]])[0])
        #expect((jsonPath(listed, "EventSourceMappings") as? [[String: Any]])?.compactMap { $0["UUID"] as? String } == [uuid], "\(listed)")
        let settled = try cli.strata.run(["plan", stack, "--detailed-exitcode"] + one, environment: cli.env)
        #expect(settled.status == 0, "nothing to change after apply: \(settled.output)")

        // In place: batch size, disabled, a batching window, tags.
        let two = one + ["--var", "stage=two"]
        let plan = try cli.strata.run(["plan", stack, "--json"] + two, environment: cli.env)
        #expect(planActions(plan.stdout) == ["update aws_lambda_event_source_mapping.jobs"], "\(plan.output)")
        let update = try cli.strata.run(["apply", stack, "--auto-approve"] + two, environment: cli.env)
        #expect(update.status == 0, "\(update.output)")
        let second = try mapping(uuid)
        #expect(second.config["BatchSize"] as? Int == 10 && second.config["State"] as? String == "Disabled", "\(second.config)")
        #expect(second.config["MaximumBatchingWindowInSeconds"] as? Int == 5 && second.tags["team"] == "two", "\(second)")
        #expect(try cli.strata.run(["plan", stack, "--detailed-exitcode"] + two, environment: cli.env).status == 0, "nothing to change after the update")

        // Import by UUID.
        #expect(try cli.strata.run(["state", "rm", stack, "aws_lambda_event_source_mapping.jobs"] + two, environment: cli.env).status == 0)
        let imported = try cli.strata.run(["import", stack, "aws_lambda_event_source_mapping.jobs", uuid] + two, environment: cli.env)
        #expect(imported.status == 0, "\(imported.output)")
        let afterImport = try cli.strata.run(["plan", stack, "--detailed-exitcode"] + two, environment: cli.env)
        #expect(afterImport.status == 0, "an imported mapping plans no change: \(afterImport.output)")

        // A new queue replaces the mapping.
        let renamed = two + ["--var", "generation=2"]
        let replace = try cli.strata.run(["apply", stack, "--auto-approve"] + renamed, environment: cli.env)
        #expect(replace.status == 0, "\(replace.output)")
        let moved = try cli.outputs(stack, renamed)
        let newUUID = try #require(moved["mapping"])
        #expect(newUUID != uuid && moved["queue"]?.hasSuffix(":jobs-\(run)-2") == true, "\(moved)")
        #expect(try mapping(newUUID).config["EventSourceArn"] as? String == moved["queue"])
        let old = try cli.aws([["lambda", "get-event-source-mapping", "--uuid", uuid]])[0]
        #expect(old.status != 0 && old.output.contains("ResourceNotFoundException"), "the old mapping is gone: \(old.output)")

        let destroy = try cli.strata.run(["destroy", stack, "--auto-approve"] + renamed, environment: cli.env)
        #expect(destroy.status == 0, "\(destroy.output)")
        let gone = try cli.aws([["lambda", "get-event-source-mapping", "--uuid", newUUID]])[0]
        #expect(gone.status != 0 && gone.output.contains("ResourceNotFoundException"), "gone: \(gone.output)")
    }
}
