/// Runs a backend's set-up (a migration, a key check) once, before its first call; callers
/// that come while it runs wait for it, and a failed set-up is tried again by the next caller.
public actor ReadyOnce {
    private var done = false
    private var running: Task<Void, any Error>?

    public init() {}

    public func once(_ body: @escaping @Sendable () async throws -> Void) async throws {
        if done { return }
        if let running { return try await running.value }
        let task = Task { try await body() }
        running = task
        do {
            try await task.value
            done = true
            running = nil
        } catch {
            running = nil
            throw error
        }
    }
}
