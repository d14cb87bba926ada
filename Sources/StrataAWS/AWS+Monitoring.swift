import Strata
import StrataModel

extension AWS {
    /// `aws_cloudwatch_metric_alarm`: an alarm on one metric (ALB 5xx, RDS CPU, queue depth, …)
    /// notifying `alarmActions` (SNS topic ARNs). The name forces replacement; everything else
    /// changes in place.
    public final class MetricAlarm: Resource {
        public init(_ name: String, alarmName: Expr<String>, namespace: Expr<String>, metricName: Expr<String>,
                    dimensions: [String: Expr<String>] = [:], statistic: Expr<String>? = nil, period: Int = 60, evaluationPeriods: Int = 1,
                    threshold: Double, comparisonOperator: Expr<String>, treatMissingData: Expr<String>? = nil,
                    description: Expr<String>? = nil, alarmActions: [Expr<String>] = [], okActions: [Expr<String>] = [],
                    tags: [String: Expr<String>] = [:], file: String = #filePath, line: Int = #line) {
            super.init(type: "aws_cloudwatch_metric_alarm", name: name, file: file, line: line)
            setInput("alarmName", alarmName)
            setInput("namespace", namespace)
            setInput("metricName", metricName)
            if !dimensions.isEmpty { setInput("dimensions", Expr<[String: String]>(dimensions)) }
            setInput("statistic", statistic)
            setRawInput("period", .number(Double(period)))
            setRawInput("evaluationPeriods", .number(Double(evaluationPeriods)))
            setRawInput("threshold", .number(threshold))
            setInput("comparisonOperator", comparisonOperator)
            setInput("treatMissingData", treatMissingData)
            setInput("alarmDescription", description)
            if !alarmActions.isEmpty { setInput("alarmActions", Expr<[String]>(alarmActions)) }
            if !okActions.isEmpty { setInput("okActions", Expr<[String]>(okActions)) }
            if !tags.isEmpty { setInput("tags", Expr<[String: String]>(tags)) }
        }
        /// The alarm name.
        public var id: Expr<String> { attribute("id") }
        public var arn: Expr<String> { attribute("arn") }
    }

    /// `aws_cloudwatch_log_group`: a log group; the retention and tags change in place, the
    /// name and KMS key force replacement.
    public final class LogGroup: Resource {
        public init(_ name: String, logGroupName: Expr<String>, retentionInDays: Int? = nil, kmsKeyId: Expr<String>? = nil,
                    tags: [String: Expr<String>] = [:], file: String = #filePath, line: Int = #line) {
            super.init(type: "aws_cloudwatch_log_group", name: name, file: file, line: line)
            setInput("name", logGroupName)
            if let retentionInDays { setRawInput("retentionInDays", .number(Double(retentionInDays))) }
            setInput("kmsKeyId", kmsKeyId)
            if !tags.isEmpty { setInput("tags", Expr<[String: String]>(tags)) }
        }
        /// The name.
        public var id: Expr<String> { attribute("id") }
        public var arn: Expr<String> { attribute("arn") }
    }
}
