import Strata
import StrataModel

extension AWS {
    /// `aws_lambda_event_source_mapping`: a function fed with batches from an SQS queue. The
    /// queue forces replacement; the function, batch size, `enabled` and the batching window
    /// change in place.
    public final class LambdaEventSourceMapping: Resource {
        public init(_ name: String, function: LambdaFunction, queue: SQSQueue, batchSize: Int? = nil, enabled: Bool? = nil,
                    maximumBatchingWindowInSeconds: Int? = nil, tags: [String: Expr<String>] = [:],
                    file: String = #filePath, line: Int = #line) {
            super.init(type: "aws_lambda_event_source_mapping", name: name, file: file, line: line)
            setInput("eventSourceArn", queue.arn)
            setInput("functionName", function.id)
            if let batchSize { setRawInput("batchSize", .number(Double(batchSize))) }
            if let enabled { setRawInput("enabled", .bool(enabled)) }
            if let maximumBatchingWindowInSeconds { setRawInput("maximumBatchingWindowInSeconds", .number(Double(maximumBatchingWindowInSeconds))) }
            if !tags.isEmpty { setInput("tags", Expr<[String: String]>(tags)) }
        }
        /// The mapping's UUID.
        public var id: Expr<String> { attribute("id") }
        public var arn: Expr<String> { attribute("arn") }
        public var state: Expr<String> { attribute("state") }
    }
}
