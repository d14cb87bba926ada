import Foundation
import Testing

/// SQS and SNS against moto_server, checked with the `aws` CLI: a work queue with a
/// dead-letter queue (redrive policy), a topic and the queue's subscription to it; in-place
/// changes (visibility, receive count, display name, raw delivery, filter policy, tags), a
/// renamed queue and topic replaced with the subscription re-pointed, imports, destroy.
@Suite(.serialized) struct AWSMessagingTests {
    static let stack = ##"""
        import Strata
        import StrataAWS

        let run = Stack.variable("run", default: "x")
        let stage = Stack.variable("stage", default: "one", allowed: ["one", "two"])
        let generation = Stack.variable("generation", default: 1)
        let two = stage == "two"

        let dlq = AWS.SQSQueue("dlq", queueName: "dlq-\(run)", messageRetentionSeconds: 1_209_600)
        let work = AWS.SQSQueue("work", queueName: "work-\(run)-\(generation)", visibilityTimeout: two ? 120 : 60,
                                deadLetter: dlq, maxReceiveCount: two ? 5 : 3, tags: ["team": "\(stage)"])
        let topic = AWS.SNSTopic("alerts", topicName: "alerts-\(run)-\(generation)", displayName: "Alerts \(stage)", tags: ["team": "\(stage)"])
        let subscription = AWS.SNSSubscription("work", topic: topic, queue: work, rawMessageDelivery: two,
                                               filterPolicy: two ? #"{"kind": ["job"]}"# : nil)
        Stack.output("dlq", dlq.id)
        Stack.output("dlqArn", dlq.arn)
        Stack.output("work", work.url)
        Stack.output("workID", work.id)
        Stack.output("workArn", work.arn)
        Stack.output("topic", topic.arn)
        Stack.output("subscription", subscription.id)
        """##

    @Test(.enabled(if: AWSProviderTests.toolsMissing == nil, "needs moto_server and the aws CLI"))
    func queuesTopicsAndSubscriptionsLiveAndDie() throws {
        let server = try MotoServer.start(try #require(AWSProviderTests.moto))
        defer { server.stop() }
        // The aws CLI sends SQS calls to queue.amazonaws.com despite AWS_ENDPOINT_URL; --endpoint-url works.
        let cli = try AWSTestCLI(endpoint: server.endpoint)
        defer { cli.strata.remove() }
        let run = "m" + UUID().uuidString.prefix(6).lowercased()
        let stack = try cli.strata.writeStack("AWSMessaging", ["main.swift": Self.stack])
        let one = ["--var", "run=\(run)"]
        let apply = try cli.strata.run(["apply", stack, "--auto-approve"] + one, environment: cli.env)
        #expect(apply.status == 0, "\(apply.output)")
        #expect(apply.stdout.contains("4 created"), "\(apply.output)")
        let created = try cli.outputs(stack, one)
        let work = try #require(created["work"]), topic = try #require(created["topic"]), subscription = try #require(created["subscription"])
        let dlqArn = try #require(created["dlqArn"])

        func check(_ queue: String, _ topic: String, _ subscription: String) throws -> (queue: [String: String], queueTags: [String: String], topic: [String: String], topicTags: [String: String], subscription: [String: String]) {
            let results = try cli.aws([
                ["--endpoint-url", server.endpoint, "sqs", "get-queue-attributes", "--queue-url", queue, "--attribute-names", "All"],
                ["--endpoint-url", server.endpoint, "sqs", "list-queue-tags", "--queue-url", queue],
                ["sns", "get-topic-attributes", "--topic-arn", topic],
                ["sns", "list-tags-for-resource", "--resource-arn", topic],
                ["sns", "get-subscription-attributes", "--subscription-arn", subscription],
            ])
            return (jsonPath(try awsJSON(results[0]), "Attributes") as? [String: String] ?? [:],
                    jsonPath(try awsJSON(results[1]), "Tags") as? [String: String] ?? [:],
                    jsonPath(try awsJSON(results[2]), "Attributes") as? [String: String] ?? [:],
                    awsTagMap(jsonPath(try awsJSON(results[3]), "Tags")),
                    jsonPath(try awsJSON(results[4]), "Attributes") as? [String: String] ?? [:])
        }
        let first = try check(work, topic, subscription)
        #expect(first.queue["VisibilityTimeout"] == "60", "\(first.queue)")
        let redrive = try JSONSerialization.jsonObject(with: Data((first.queue["RedrivePolicy"] ?? "{}").utf8)) as? [String: Any]
        #expect(redrive?["deadLetterTargetArn"] as? String == dlqArn && "\(redrive?["maxReceiveCount"] ?? "")" == "3", "\(first.queue)")
        #expect(first.queueTags["team"] == "one" && first.queueTags["strata:address"] == "aws_sqs_queue.work", "\(first.queueTags)")
        #expect(first.topic["DisplayName"] == "Alerts one" && first.topicTags["team"] == "one", "\(first)")
        #expect(first.subscription["Endpoint"] == created["workArn"] && first.subscription["Protocol"] == "sqs", "\(first.subscription)")
        #expect(first.subscription["RawMessageDelivery"] == "false", "\(first.subscription)")
        let settled = try cli.strata.run(["plan", stack, "--detailed-exitcode"] + one, environment: cli.env)
        #expect(settled.status == 0, "nothing to change after apply: \(settled.output)")

        // Import: forget the queue, the topic and the subscription, import them, nothing to change.
        for (address, id) in [("aws_sqs_queue.work", try #require(created["workID"])), ("aws_sns_topic.alerts", topic), ("aws_sns_topic_subscription.work", subscription)] {
            #expect(try cli.strata.run(["state", "rm", stack, address] + one, environment: cli.env).status == 0)
            let imported = try cli.strata.run(["import", stack, address, id] + one, environment: cli.env)
            #expect(imported.status == 0, "\(imported.output)")
        }
        let afterImport = try cli.strata.run(["plan", stack, "--detailed-exitcode"] + one, environment: cli.env)
        #expect(afterImport.status == 0, "imported resources plan no change: \(afterImport.output)")

        let two = one + ["--var", "stage=two"]
        let plan = try cli.strata.run(["plan", stack, "--json"] + two, environment: cli.env)
        #expect(planActions(plan.stdout) == ["update aws_sns_topic.alerts", "update aws_sns_topic_subscription.work", "update aws_sqs_queue.work"], "\(plan.output)")
        let update = try cli.strata.run(["apply", stack, "--auto-approve"] + two, environment: cli.env)
        #expect(update.status == 0, "\(update.output)")
        let second = try check(work, topic, subscription)
        #expect(second.queue["VisibilityTimeout"] == "120" && (second.queue["RedrivePolicy"] ?? "").contains("5"), "\(second.queue)")
        #expect(second.queueTags["team"] == "two" && second.topicTags["team"] == "two" && second.topic["DisplayName"] == "Alerts two", "\(second)")
        #expect(second.subscription["RawMessageDelivery"] == "true" && (second.subscription["FilterPolicy"] ?? "").contains("job"), "\(second.subscription)")
        let afterUpdate = try cli.strata.run(["plan", stack, "--detailed-exitcode"] + two, environment: cli.env)
        #expect(afterUpdate.status == 0, "nothing to change after the update: \(afterUpdate.output)")

        // New names replace the queue and the topic; the subscription follows both.
        let renamed = two + ["--var", "generation=2"]
        let replace = try cli.strata.run(["apply", stack, "--auto-approve"] + renamed, environment: cli.env)
        #expect(replace.status == 0, "\(replace.output)")
        let after = try cli.outputs(stack, renamed)
        let newWork = try #require(after["work"]), newTopic = try #require(after["topic"]), newSubscription = try #require(after["subscription"])
        #expect(newWork != work && newTopic != topic && newSubscription != subscription, "\(after)")
        let third = try check(newWork, newTopic, newSubscription)
        #expect(third.subscription["TopicArn"] == newTopic && third.subscription["Endpoint"] == after["workArn"], "\(third.subscription)")
        let old = try cli.aws([["--endpoint-url", server.endpoint, "sqs", "get-queue-attributes", "--queue-url", work], ["sns", "get-topic-attributes", "--topic-arn", topic]])
        #expect(old[0].status != 0 && old[1].status != 0, "the old queue and topic are gone: \(old.map(\.output))")

        let destroy = try cli.strata.run(["destroy", stack, "--auto-approve"] + renamed, environment: cli.env)
        #expect(destroy.status == 0, "\(destroy.output)")
        let queues = try cli.aws([["--endpoint-url", server.endpoint, "sqs", "list-queues"], ["sns", "list-topics"]])
        #expect(!queues[0].stdout.contains(run) && !queues[1].stdout.contains(run), "gone: \(queues.map(\.output))")
    }
}
