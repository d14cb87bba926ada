import Foundation
import Testing

/// CloudWatch against moto_server, checked with the `aws` CLI: an alarm on a queue's depth
/// notifying an SNS topic, and a log group with retention; in-place changes (threshold,
/// periods, actions, retention, tags), renamed ones replaced, imports, destroy.
@Suite(.serialized) struct AWSMonitoringTests {
    static let stack = ##"""
        import Strata
        import StrataAWS

        let run = Stack.variable("run", default: "x")
        let stage = Stack.variable("stage", default: "one", allowed: ["one", "two"])
        let generation = Stack.variable("generation", default: 1)
        let two = stage == "two"

        let topic = AWS.SNSTopic("alerts", topicName: "alerts-\(run)")
        let queue = AWS.SQSQueue("jobs", queueName: "jobs-\(run)")
        let alarm = AWS.MetricAlarm("depth", alarmName: "depth-\(run)-\(generation)", namespace: "AWS/SQS",
                                    metricName: "ApproximateNumberOfMessagesVisible", dimensions: ["QueueName": "jobs-\(run)"],
                                    statistic: "Maximum", period: 60, evaluationPeriods: two ? 3 : 2, threshold: two ? 500 : 100,
                                    comparisonOperator: "GreaterThanThreshold", treatMissingData: "notBreaching",
                                    description: "queue depth (\(stage))", alarmActions: [topic.arn], okActions: two ? [topic.arn] : [],
                                    tags: ["team": "\(stage)"])
        let logs = AWS.LogGroup("api", logGroupName: "/strata/\(run)/api-\(generation)", retentionInDays: two ? 30 : 7, tags: ["team": "\(stage)"])
        Stack.output("alarm", alarm.id)
        Stack.output("topic", topic.arn)
        Stack.output("logs", logs.id)
        """##

    @Test(.enabled(if: AWSProviderTests.toolsMissing == nil, "needs moto_server and the aws CLI"))
    func alarmsAndLogGroupsLiveAndDie() throws {
        let server = try MotoServer.start(try #require(AWSProviderTests.moto))
        defer { server.stop() }
        let cli = try AWSTestCLI(endpoint: server.endpoint)
        defer { cli.strata.remove() }
        let run = "w" + UUID().uuidString.prefix(6).lowercased()
        let stack = try cli.strata.writeStack("AWSMonitoring", ["main.swift": Self.stack])
        let one = ["--var", "run=\(run)"]
        let apply = try cli.strata.run(["apply", stack, "--auto-approve"] + one, environment: cli.env)
        #expect(apply.status == 0, "\(apply.output)")
        #expect(apply.stdout.contains("4 created"), "\(apply.output)")
        let created = try cli.outputs(stack, one)
        let alarm = try #require(created["alarm"]), topic = try #require(created["topic"]), logs = try #require(created["logs"])

        func check(_ alarm: String, _ logs: String) throws -> (alarm: [String: Any], alarmTags: [String: String], group: [String: Any], groupTags: [String: String]) {
            let results = try cli.aws([
                ["cloudwatch", "describe-alarms", "--alarm-names", alarm],
                ["logs", "describe-log-groups", "--log-group-name-prefix", logs],
            ])
            let found = try #require(jsonPath(try awsJSON(results[0]), "MetricAlarms", 0) as? [String: Any], "\(results[0].output)")
            let group = try #require(jsonPath(try awsJSON(results[1]), "logGroups", 0) as? [String: Any], "\(results[1].output)")
            let arn = (group["arn"] as? String ?? "").replacingOccurrences(of: ":*", with: "")
            let tags = try cli.aws([
                ["cloudwatch", "list-tags-for-resource", "--resource-arn", found["AlarmArn"] as? String ?? ""],
                ["logs", "list-tags-for-resource", "--resource-arn", arn],
            ])
            return (found, awsTagMap(jsonPath(try awsJSON(tags[0]), "Tags")), group, jsonPath(try awsJSON(tags[1]), "tags") as? [String: String] ?? [:])
        }
        let first = try check(alarm, logs)
        #expect(first.alarm["Threshold"] as? Double == 100 && first.alarm["EvaluationPeriods"] as? Int == 2, "\(first.alarm)")
        #expect(first.alarm["AlarmActions"] as? [String] == [topic] && (first.alarm["OKActions"] as? [String] ?? []).isEmpty, "\(first.alarm)")
        #expect(jsonPath(first.alarm, "Dimensions", 0, "Value") as? String == "jobs-\(run)", "\(first.alarm)")
        #expect(first.alarmTags["team"] == "one" && first.alarmTags["strata:address"] == "aws_cloudwatch_metric_alarm.depth", "\(first.alarmTags)")
        #expect(first.group["retentionInDays"] as? Int == 7 && first.groupTags["team"] == "one", "\(first.group) \(first.groupTags)")
        let settled = try cli.strata.run(["plan", stack, "--detailed-exitcode"] + one, environment: cli.env)
        #expect(settled.status == 0, "nothing to change after apply: \(settled.output)")

        for (address, id) in [("aws_cloudwatch_metric_alarm.depth", alarm), ("aws_cloudwatch_log_group.api", logs)] {
            #expect(try cli.strata.run(["state", "rm", stack, address] + one, environment: cli.env).status == 0)
            let imported = try cli.strata.run(["import", stack, address, id] + one, environment: cli.env)
            #expect(imported.status == 0, "\(imported.output)")
        }
        let afterImport = try cli.strata.run(["plan", stack, "--detailed-exitcode"] + one, environment: cli.env)
        #expect(afterImport.status == 0, "imported resources plan no change: \(afterImport.output)")

        let two = one + ["--var", "stage=two"]
        let plan = try cli.strata.run(["plan", stack, "--json"] + two, environment: cli.env)
        #expect(planActions(plan.stdout) == ["update aws_cloudwatch_log_group.api", "update aws_cloudwatch_metric_alarm.depth"], "\(plan.output)")
        let update = try cli.strata.run(["apply", stack, "--auto-approve"] + two, environment: cli.env)
        #expect(update.status == 0, "\(update.output)")
        let second = try check(alarm, logs)
        #expect(second.alarm["Threshold"] as? Double == 500 && second.alarm["EvaluationPeriods"] as? Int == 3, "\(second.alarm)")
        #expect(second.alarm["OKActions"] as? [String] == [topic] && second.alarmTags["team"] == "two", "\(second)")
        #expect(second.group["retentionInDays"] as? Int == 30 && second.groupTags["team"] == "two", "\(second.group) \(second.groupTags)")
        let afterUpdate = try cli.strata.run(["plan", stack, "--detailed-exitcode"] + two, environment: cli.env)
        #expect(afterUpdate.status == 0, "nothing to change after the update: \(afterUpdate.output)")

        let renamed = two + ["--var", "generation=2"]
        let replace = try cli.strata.run(["apply", stack, "--auto-approve"] + renamed, environment: cli.env)
        #expect(replace.status == 0, "\(replace.output)")
        let after = try cli.outputs(stack, renamed)
        let newAlarm = try #require(after["alarm"]), newLogs = try #require(after["logs"])
        #expect(newAlarm == "depth-\(run)-2" && newLogs == "/strata/\(run)/api-2", "\(after)")
        let third = try check(newAlarm, newLogs)
        #expect(third.alarm["Threshold"] as? Double == 500 && third.group["retentionInDays"] as? Int == 30)
        let old = try cli.aws([["cloudwatch", "describe-alarms", "--alarm-names", alarm], ["logs", "describe-log-groups", "--log-group-name-prefix", logs]])
        #expect((jsonPath(try awsJSON(old[0]), "MetricAlarms") as? [Any])?.isEmpty == true, "\(old[0].output)")
        #expect((jsonPath(try awsJSON(old[1]), "logGroups") as? [Any])?.isEmpty == true, "\(old[1].output)")

        let destroy = try cli.strata.run(["destroy", stack, "--auto-approve"] + renamed, environment: cli.env)
        #expect(destroy.status == 0, "\(destroy.output)")
        let gone = try cli.aws([["cloudwatch", "describe-alarms", "--alarm-names", newAlarm], ["logs", "describe-log-groups", "--log-group-name-prefix", "/strata/\(run)"]])
        #expect((jsonPath(try awsJSON(gone[0]), "MetricAlarms") as? [Any])?.isEmpty == true, "\(gone[0].output)")
        #expect((jsonPath(try awsJSON(gone[1]), "logGroups") as? [Any])?.isEmpty == true, "\(gone[1].output)")
    }
}
