import Foundation
import Synchronization

/// Ctrl-C as the executor sees it: the first asks to stop starting new steps, the second to
/// cancel the running ones.
public final class Interrupt: Sendable {
    public enum Level: Int, Sendable { case none = 0, stopStarting = 1, cancel = 2 }
    private let level = Atomic<Int>(0)
    private let handlers = Mutex<[@Sendable (Level) -> Void]>([])

    public init() {}

    public var current: Level { Level(rawValue: level.load(ordering: .relaxed)) ?? .cancel }

    /// Raises the level by one (called from the signal handler) and tells the listeners.
    public func raise() {
        let new = min(2, level.add(1, ordering: .relaxed).newValue)
        let level = Level(rawValue: new) ?? .cancel
        for handler in handlers.withLock({ $0 }) { handler(level) }
    }

    public func onRaise(_ handler: @escaping @Sendable (Level) -> Void) {
        handlers.withLock { $0.append(handler) }
    }
}
