import Foundation

/// What one poll of a waiter found.
public enum WaitState<T: Sendable>: Sendable {
    case done(T)
    /// Not yet; the words say what it is now ("pending"), for progress.
    case pending(String)
    /// It will never get there ("failed: …").
    case failed(String)
}

/// Polls until a predicate holds, with exponential backoff (full jitter above a floor),
/// reporting progress, and gives up after `timeout` seconds.
public struct Waiter: Sendable {
    public var description: String
    public var timeout: Double
    public var minDelay: Double
    public var maxDelay: Double

    public init(_ description: String, timeout: Double = 300, minDelay: Double = 0.5, maxDelay: Double = 15) {
        self.description = description
        self.timeout = timeout
        self.minDelay = minDelay
        self.maxDelay = maxDelay
    }

    public func wait<T: Sendable>(
        now: @Sendable () -> Date = { Date() },
        sleep: @Sendable (Double) async throws -> Void = { try await Task.sleep(nanoseconds: UInt64(max(0, $0) * 1_000_000_000)) },
        progress: (String) -> Void = { _ in },
        _ poll: () async throws -> WaitState<T>
    ) async throws -> T {
        let start = now()
        var attempt = 0
        var last = "not checked yet"
        while true {
            switch try await poll() {
            case .done(let value): return value
            case .failed(let why): throw WaiterError.failed(description, why)
            case .pending(let state): last = state
            }
            let elapsed = now().timeIntervalSince(start)
            if elapsed >= timeout { throw WaiterError.timedOut(description, seconds: timeout, last: last) }
            attempt += 1
            let ceiling = min(maxDelay, minDelay * pow(2, Double(attempt - 1)))
            let delay = min(minDelay + Double.random(in: 0...max(0, ceiling - minDelay)), timeout - elapsed)
            progress("waiting for \(description): \(last) (\(Int(elapsed))s)")
            try await sleep(delay)
        }
    }
}

public enum WaiterError: Error, Sendable, CustomStringConvertible, Equatable {
    case failed(String, String)
    case timedOut(String, seconds: Double, last: String)

    public var description: String {
        switch self {
        case .failed(let what, let why): return "\(what) failed: \(why)"
        case .timedOut(let what, let seconds, let last):
            return "gave up waiting for \(what) after \(Int(seconds))s (last seen: \(last)); it may still finish, run the command again later"
        }
    }
}
