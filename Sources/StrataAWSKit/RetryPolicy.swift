import Foundation

/// Exponential backoff with full jitter (AWS Architecture Blog, "Exponential Backoff And
/// Jitter"): before retry n (from 1) sleep a random time in [0, min(cap, base · 2ⁿ⁻¹)].
public struct RetryPolicy: Sendable {
    /// Attempts in all, the first included.
    public var maxAttempts: Int
    public var baseDelay: Double
    public var maxDelay: Double

    public static let standard = RetryPolicy(maxAttempts: 5, baseDelay: 0.25, maxDelay: 20)
    public static let none = RetryPolicy(maxAttempts: 1, baseDelay: 0, maxDelay: 0)

    public init(maxAttempts: Int, baseDelay: Double, maxDelay: Double) {
        self.maxAttempts = max(1, maxAttempts)
        self.baseDelay = baseDelay
        self.maxDelay = maxDelay
    }

    /// The ceiling of the jittered delay before retry `retry` (1 = the first retry).
    public func ceiling(retry: Int) -> Double {
        min(maxDelay, baseDelay * pow(2, Double(max(0, retry - 1))))
    }

    /// A delay in [0, ceiling(retry)], drawn with `unit` in [0, 1).
    public func delay(retry: Int, unit: Double = Double.random(in: 0..<1)) -> Double {
        ceiling(retry: retry) * min(max(unit, 0), 1)
    }

    /// Is an error worth another attempt? Throttling, 5xx, and network faults are; the rest not.
    public static func isRetryable(_ error: any Error) -> Bool {
        if let aws = error as? AWSError { return aws.kind.isRetryable }
        if let transport = error as? TransportError { return transport.retryable }
        return false
    }
}
