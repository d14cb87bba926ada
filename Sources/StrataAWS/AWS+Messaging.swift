import Strata
import StrataModel

extension AWS {
    /// `aws_sqs_queue`: a queue (a name ending in `.fifo` makes a FIFO queue). With
    /// `deadLetter`, messages received `maxReceiveCount` times move to that queue. The name
    /// forces replacement; everything else changes in place.
    public final class SQSQueue: Resource {
        public init(_ name: String, queueName: Expr<String>, visibilityTimeout: Int? = nil, messageRetentionSeconds: Int? = nil,
                    delaySeconds: Int? = nil, receiveWaitTimeSeconds: Int? = nil, maxMessageSize: Int? = nil,
                    deadLetter: SQSQueue? = nil, maxReceiveCount: Int? = nil, kmsMasterKeyId: Expr<String>? = nil,
                    tags: [String: Expr<String>] = [:], file: String = #filePath, line: Int = #line) {
            super.init(type: "aws_sqs_queue", name: name, file: file, line: line)
            setInput("name", queueName)
            for (attribute, value) in [("visibilityTimeout", visibilityTimeout), ("messageRetentionSeconds", messageRetentionSeconds),
                                       ("delaySeconds", delaySeconds), ("receiveWaitTimeSeconds", receiveWaitTimeSeconds),
                                       ("maxMessageSize", maxMessageSize), ("maxReceiveCount", maxReceiveCount)] {
                if let value { setRawInput(attribute, .number(Double(value))) }
            }
            setInput("deadLetterTargetArn", deadLetter?.arn)
            setInput("kmsMasterKeyId", kmsMasterKeyId)
            if !tags.isEmpty { setInput("tags", Expr<[String: String]>(tags)) }
        }
        /// The queue ARN.
        public var id: Expr<String> { attribute("id") }
        public var url: Expr<String> { attribute("url") }
        /// The ARN (the id: it stays known while the queue is updated).
        public var arn: Expr<String> { attribute("id") }
    }

    /// `aws_sns_topic`: a topic; the name forces replacement, the display name and tags change in place.
    public final class SNSTopic: Resource {
        public init(_ name: String, topicName: Expr<String>, displayName: Expr<String>? = nil, kmsMasterKeyId: Expr<String>? = nil,
                    tags: [String: Expr<String>] = [:], file: String = #filePath, line: Int = #line) {
            super.init(type: "aws_sns_topic", name: name, file: file, line: line)
            setInput("name", topicName)
            setInput("displayName", displayName)
            setInput("kmsMasterKeyId", kmsMasterKeyId)
            if !tags.isEmpty { setInput("tags", Expr<[String: String]>(tags)) }
        }
        /// The ARN.
        public var id: Expr<String> { attribute("id") }
        /// The ARN (the id: it stays known while the topic is updated).
        public var arn: Expr<String> { attribute("id") }
    }

    /// `aws_sns_topic_subscription`: an endpoint subscribed to a topic; topic, protocol and
    /// endpoint force replacement, raw delivery and the filter policy change in place.
    public final class SNSSubscription: Resource {
        public init(_ name: String, topic: SNSTopic, protocol proto: Expr<String>, endpoint: Expr<String>,
                    rawMessageDelivery: Bool? = nil, filterPolicy: Expr<String>? = nil, file: String = #filePath, line: Int = #line) {
            super.init(type: "aws_sns_topic_subscription", name: name, file: file, line: line)
            setInput("topicArn", topic.arn)
            setInput("protocol", proto)
            setInput("endpoint", endpoint)
            if let rawMessageDelivery { setRawInput("rawMessageDelivery", .bool(rawMessageDelivery)) }
            setInput("filterPolicy", filterPolicy)
        }
        /// An SQS queue subscribed to a topic.
        public convenience init(_ name: String, topic: SNSTopic, queue: SQSQueue, rawMessageDelivery: Bool? = nil,
                                filterPolicy: Expr<String>? = nil, file: String = #filePath, line: Int = #line) {
            self.init(name, topic: topic, protocol: "sqs", endpoint: queue.arn, rawMessageDelivery: rawMessageDelivery,
                      filterPolicy: filterPolicy, file: file, line: line)
        }
        /// The subscription ARN.
        public var id: Expr<String> { attribute("id") }
        public var arn: Expr<String> { attribute("arn") }
    }
}
