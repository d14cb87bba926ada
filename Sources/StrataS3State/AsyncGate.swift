/// Lets one task at a time through, in arrival order, per key: an actor alone would not do,
/// since it admits another call at every `await` inside the first. The S3 backend runs each
/// instance's read-modify-write of `state.json` through it, so that the writes of one process
/// never race each other on the object's ETag.
actor AsyncGate<Key: Hashable & Sendable> {
    private var busy: Set<Key> = []
    private var waiting: [Key: [CheckedContinuation<Void, Never>]] = [:]

    func run<T: Sendable>(_ key: Key, _ body: @Sendable () async throws -> T) async throws -> T {
        await enter(key)
        defer { leave(key) }
        return try await body()
    }

    private func enter(_ key: Key) async {
        if !busy.contains(key) {
            busy.insert(key)
            return
        }
        await withCheckedContinuation { waiting[key, default: []].append($0) }
    }

    private func leave(_ key: Key) {
        if var queue = waiting[key], !queue.isEmpty {
            // The gate passes straight to the next in line: `busy` stays set.
            let next = queue.removeFirst()
            waiting[key] = queue.isEmpty ? nil : queue
            next.resume()
        } else {
            busy.remove(key)
        }
    }
}
