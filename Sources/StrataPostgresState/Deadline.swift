import Foundation
import StrataState

/// Waits for `body` at most `seconds`; past that, throws `StateError.unavailable` and leaves
/// the body behind. A query on a connection the server ended (a restart) can wait forever in
/// PostgresNIO; a run must fail cleanly instead of hanging.
func withDeadline<T: Sendable>(_ seconds: Double, _ doing: String, _ body: @escaping @Sendable () async throws -> T) async throws -> T {
    let gate = OnceGate<T>()
    return try await withCheckedThrowingContinuation { continuation in
        gate.set(continuation)
        Task {
            do { gate.finish(.success(try await body())) } catch { gate.finish(.failure(error)) }
        }
        Task {
            try? await Task.sleep(nanoseconds: UInt64(seconds * 1_000_000_000))
            gate.finish(.failure(StateError.unavailable(
                "\(doing): the PostgreSQL state gave no answer in \(Int(seconds)) s (was the server restarted?). Check the server and try again; "
                    + "on a server that is just slow, allow longer calls with STRATA_PG_CALL_TIMEOUT=SECONDS.")))
        }
    }
}

/// Resumes a continuation once: the first result wins.
private final class OnceGate<T: Sendable>: @unchecked Sendable {
    private let lock = NSLock()
    private var continuation: CheckedContinuation<T, any Error>?
    private var early: Result<T, any Error>?

    func set(_ continuation: CheckedContinuation<T, any Error>) {
        lock.lock()
        if let early {
            lock.unlock()
            continuation.resume(with: early)
            return
        }
        self.continuation = continuation
        lock.unlock()
    }

    func finish(_ result: Result<T, any Error>) {
        lock.lock()
        guard let continuation else {
            if early == nil { early = result }
            lock.unlock()
            return
        }
        self.continuation = nil
        early = result  // later results are ignored
        lock.unlock()
        continuation.resume(with: result)
    }
}
