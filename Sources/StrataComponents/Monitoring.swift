import Strata
import StrataAWS

/// Alarms on the metrics that say a deployment is in trouble (database CPU, servers' CPU, a
/// queue's backlog, dead letters, API 5xx, function errors), all notifying one SNS topic
/// `<prefix>-alerts` — subscribe the on-call system or an address to it (e-mail subscriptions
/// need a confirmation, so they are made by hand) — and CloudWatch log groups where the
/// services ship their logs, kept `logRetentionDays`.
///
/// ```swift
/// let monitoring = Monitoring(prefix: "lin", alarms: [
///     .databaseCPU("lin", above: 80), .serverCPU("lin-api-servers", above: 75),
/// ], logGroups: ["/lin/api"], logRetentionDays: 30)
/// Stack.output("alerts", monitoring.alerts.arn)
/// ```
///
/// Addresses are keyed: `monitoring.aws_cloudwatch_metric_alarm.alarm["database-cpu"]`,
/// `monitoring.aws_cloudwatch_log_group.logs["/lin/api"]`. Thresholds, periods and retention
/// change in place. Every dimension is a name the stack already knows (an identifier, a group
/// or queue name, an id), so an update elsewhere never makes an alarm's dimension unknown.
public struct Monitoring: Component {
    /// One alarm: a metric, its dimensions, and when it fires.
    public struct Alarm {
        /// The address key and the end of the alarm's name (`<prefix>-<key>`).
        public var key: String
        public var description: String
        public var namespace: String
        public var metric: String
        public var dimensions: [String: Expr<String>]
        public var statistic: String
        public var period: Int
        public var evaluationPeriods: Int
        public var threshold: Double
        public var comparison: String
        /// What a missing data point counts as (`notBreaching` for metrics that only exist under load).
        public var treatMissingData: String

        public init(key: String, description: String, namespace: String, metric: String, dimensions: [String: Expr<String>],
                    statistic: String = "Average", period: Int = 300, evaluationPeriods: Int = 2, threshold: Double,
                    comparison: String = "GreaterThanThreshold", treatMissingData: String = "missing") {
            self.key = key
            self.description = description
            self.namespace = namespace
            self.metric = metric
            self.dimensions = dimensions
            self.statistic = statistic
            self.period = period
            self.evaluationPeriods = evaluationPeriods
            self.threshold = threshold
            self.comparison = comparison
            self.treatMissingData = treatMissingData
        }

        /// An RDS instance's average CPU above `percent` for 10 minutes.
        public static func databaseCPU(_ identifier: String, above percent: Double, key: String = "database-cpu") -> Alarm {
            Alarm(key: key, description: "PostgreSQL \(identifier): CPU above \(Int(percent))% for 10 minutes", namespace: "AWS/RDS",
                  metric: "CPUUtilization", dimensions: ["DBInstanceIdentifier": Expr(identifier)], threshold: percent)
        }

        /// An autoscaling group's average CPU above `percent` for 10 minutes.
        public static func serverCPU(_ groupName: String, above percent: Double, key: String = "servers-cpu") -> Alarm {
            Alarm(key: key, description: "\(groupName): CPU above \(Int(percent))% for 10 minutes", namespace: "AWS/EC2",
                  metric: "CPUUtilization", dimensions: ["AutoScalingGroupName": Expr(groupName)], threshold: percent)
        }

        /// More than `messages` waiting in a queue for 10 minutes: the workers do not keep up.
        public static func queueBacklog(_ queueName: String, above messages: Int, key: String = "queue-backlog") -> Alarm {
            Alarm(key: key, description: "\(queueName): more than \(messages) messages waiting for 10 minutes", namespace: "AWS/SQS",
                  metric: "ApproximateNumberOfMessagesVisible", dimensions: ["QueueName": Expr(queueName)], statistic: "Maximum",
                  threshold: Double(messages), treatMissingData: "notBreaching")
        }

        /// Any message in a dead-letter queue: a job failed every attempt.
        public static func deadLetters(_ queueName: String, key: String = "dead-letters") -> Alarm {
            Alarm(key: key, description: "\(queueName): a job failed every attempt", namespace: "AWS/SQS",
                  metric: "ApproximateNumberOfMessagesVisible", dimensions: ["QueueName": Expr(queueName)], statistic: "Maximum",
                  period: 60, evaluationPeriods: 1, threshold: 0, treatMissingData: "notBreaching")
        }

        /// More than `errors` 5xx answers of an HTTP API in 5 minutes.
        public static func apiErrors(_ api: AWS.HTTPAPI, above errors: Int, key: String = "api-5xx") -> Alarm {
            Alarm(key: key, description: "the HTTP API answered more than \(errors) 5xx in 5 minutes", namespace: "AWS/ApiGateway",
                  metric: "5xx", dimensions: ["ApiId": api.id], statistic: "Sum", evaluationPeriods: 1, threshold: Double(errors),
                  treatMissingData: "notBreaching")
        }

        /// More than `errors` failed invocations of a Lambda function in 5 minutes.
        public static func functionErrors(_ functionName: String, above errors: Int, key: String) -> Alarm {
            Alarm(key: key, description: "\(functionName): more than \(errors) errors in 5 minutes", namespace: "AWS/Lambda",
                  metric: "Errors", dimensions: ["FunctionName": Expr(functionName)], statistic: "Sum", evaluationPeriods: 1,
                  threshold: Double(errors), treatMissingData: "notBreaching")
        }
    }

    /// Where every alarm (and its recovery) is sent.
    public let alerts: AWS.SNSTopic
    /// The alarms by key.
    public let alarms: [String: AWS.MetricAlarm]
    /// The log groups by name.
    public let logGroups: [String: AWS.LogGroup]

    /// - Parameters:
    ///   - prefix: the start of the topic's and every alarm's name.
    ///   - alarms: what to watch; keys must differ.
    ///   - logGroups: log group names (`/lin/api`) the services write to.
    ///   - logRetentionDays: how long their logs are kept (one of CloudWatch's values: 1, 3, 5,
    ///     7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, …).
    ///   - provider: the provider instance (region) of every resource, if not the default.
    public init(_ name: String = "monitoring", prefix: String, alarms: [Alarm], logGroups: [String] = [], logRetentionDays: Int = 30,
                provider: ProviderRef? = nil, tags: [String: Expr<String>] = [:], file: String = #filePath, line: Int = #line) {
        var seen: Set<String> = []
        for alarm in alarms where !seen.insert(alarm.key).inserted {
            Stack.error("Monitoring \(name): two alarms have the key '\(alarm.key)'; give one of them another `key:`", file: file, line: line)
        }
        @discardableResult func place<R: Resource>(_ resource: R) -> R {
            if let provider { resource.using(provider) }
            return resource
        }
        (alerts, self.alarms, self.logGroups) = Stack.component(name) {
            let topic = place(AWS.SNSTopic("alerts", topicName: Expr("\(prefix)-alerts"), displayName: Expr("\(prefix) alerts"),
                                           tags: tags, file: file, line: line))
            var made: [String: AWS.MetricAlarm] = [:]
            for alarm in alarms where made[alarm.key] == nil {
                made[alarm.key] = place(AWS.MetricAlarm(
                    keyed("alarm", alarm.key), alarmName: Expr("\(prefix)-\(alarm.key)"), namespace: Expr(alarm.namespace),
                    metricName: Expr(alarm.metric), dimensions: alarm.dimensions, statistic: Expr(alarm.statistic), period: alarm.period,
                    evaluationPeriods: alarm.evaluationPeriods, threshold: alarm.threshold, comparisonOperator: Expr(alarm.comparison),
                    treatMissingData: Expr(alarm.treatMissingData), description: Expr(alarm.description),
                    alarmActions: [topic.arn], okActions: [topic.arn], tags: tags, file: file, line: line))
            }
            var groups: [String: AWS.LogGroup] = [:]
            for group in logGroups {
                groups[group] = place(AWS.LogGroup(keyed("logs", group), logGroupName: Expr(group), retentionInDays: logRetentionDays,
                                                   tags: tags, file: file, line: line))
            }
            return (topic, made, groups)
        }
    }

    public subscript(alarm key: String) -> AWS.MetricAlarm? { alarms[key] }
}
