import Strata
import StrataAWS

/// The queue background workers take jobs from, and its dead-letter queue: a job received
/// `maxReceiveCount` times without being deleted (its worker failed or timed out each time)
/// moves to `<queueName>-dead-letters`, where it is kept 14 days for someone to look at.
///
/// ```swift
/// let jobs = JobQueue(queueName: "aiwriter-generation", visibilityTimeout: 900)
/// Stack.output("jobs", jobs.queue.url)
/// ```
///
/// Both queues' settings change in place; their names force replacement. Watch them with
/// `Monitoring.Alarm.queueBacklog(jobs.queueName, above:)` and `.deadLetters(jobs.deadLetterQueueName)`.
public struct JobQueue: Component {
    public let queue: AWS.SQSQueue
    public let deadLetters: AWS.SQSQueue
    public let queueName: String
    public let deadLetterQueueName: String

    /// - Parameters:
    ///   - queueName: the queue's name (80 characters at most with `-dead-letters`).
    ///   - visibilityTimeout: seconds a received job stays hidden from other workers: longer
    ///     than a job takes.
    ///   - retentionDays: how long a job waits to be taken before it is dropped (1–14).
    ///   - maxReceiveCount: attempts before a job becomes a dead letter.
    public init(_ name: String = "jobs", queueName: String, visibilityTimeout: Int = 300, retentionDays: Int = 4, maxReceiveCount: Int = 5,
                provider: ProviderRef? = nil, tags: [String: Expr<String>] = [:], file: String = #filePath, line: Int = #line) {
        let deadLetterName = "\(queueName)-dead-letters"
        if deadLetterName.count > 80 {
            Stack.error("JobQueue \(name): the dead-letter queue's name \(deadLetterName) is longer than SQS allows (80)", file: file, line: line)
        }
        if !(1...14).contains(retentionDays) {
            Stack.error("JobQueue \(name): retentionDays must be 1 to 14, not \(retentionDays)", file: file, line: line)
        }
        self.queueName = queueName
        deadLetterQueueName = deadLetterName
        @discardableResult func place<R: Resource>(_ resource: R) -> R {
            if let provider { resource.using(provider) }
            return resource
        }
        (queue, deadLetters) = Stack.component(name) {
            let dead = place(AWS.SQSQueue("dead_letters", queueName: Expr(deadLetterName), messageRetentionSeconds: 14 * 86_400,
                                          tags: tags, file: file, line: line))
            let queue = place(AWS.SQSQueue("queue", queueName: Expr(queueName), visibilityTimeout: visibilityTimeout,
                                           messageRetentionSeconds: min(max(retentionDays, 1), 14) * 86_400, receiveWaitTimeSeconds: 20,
                                           deadLetter: dead, maxReceiveCount: maxReceiveCount, tags: tags, file: file, line: line))
            return (queue, dead)
        }
    }
}
