/// Runs work on many elements at once, but never more than a limit at a time.
public enum BoundedMap {
    /// `body` on every element, at most `limit` at once (in a task group); the results in the
    /// order of `elements`.
    public static func map<Element: Sendable, Result: Sendable>(
        _ elements: [Element], limit: Int, _ body: @escaping @Sendable (Element) async -> Result
    ) async -> [Result] {
        var results = [Result?](repeating: nil, count: elements.count)
        await withTaskGroup(of: (Int, Result).self) { group in
            var next = 0
            func startNext() {
                guard next < elements.count else { return }
                let index = next
                let element = elements[index]
                next += 1
                group.addTask { (index, await body(element)) }
            }
            for _ in 0..<min(max(1, limit), elements.count) { startNext() }
            for await (index, result) in group {
                results[index] = result
                startNext()
            }
        }
        return results.compactMap { $0 }
    }
}
