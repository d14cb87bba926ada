import Foundation
import StrataEngine
import StrataModel
import Synchronization

/// Shows an apply as it happens. On a terminal: finished steps scroll above a live footer
/// listing what runs and for how long. Elsewhere: plain lines, plus a line for any step
/// still running every 10 seconds.
final class ProgressView: ApplyObserver, @unchecked Sendable {
    private let style: Style
    private let live: Bool
    private let lock = NSLock()
    private var running: [String: Date] = [:]
    private var footerLines = 0
    private var done = 0
    private let total: Int
    private var timer: (any DispatchSourceTimer)?
    private var lastStillRunning: [String: Date] = [:]

    init(style: Style, total: Int, live: Bool) {
        self.style = style
        self.total = total
        self.live = live
        let timer = DispatchSource.makeTimerSource(queue: DispatchQueue.global())
        timer.schedule(deadline: .now() + .milliseconds(200), repeating: .milliseconds(live ? 200 : 1000))
        timer.setEventHandler { [weak self] in self?.tick() }
        timer.resume()
        self.timer = timer
    }

    func stop() {
        timer?.cancel()
        lock.withLock { clearFooter() }
    }

    private func key(_ address: ResourceAddress, _ deposed: Bool) -> String { address.description + (deposed ? " (deposed)" : "") }

    private func verb(_ kind: OperationKind) -> String {
        switch kind {
        case .create: return "Creating"
        case .update: return "Updating"
        case .delete: return "Destroying"
        }
    }

    private func pastTense(_ kind: OperationKind) -> String {
        switch kind {
        case .create: return "created"
        case .update: return "updated"
        case .delete: return "destroyed"
        }
    }

    func started(_ kind: OperationKind, _ address: ResourceAddress, deposed: Bool) {
        lock.withLock {
            running[key(address, deposed)] = Date()
            if !live { write("\(key(address, deposed)): \(verb(kind))…\n") }
        }
    }

    func finished(_ kind: OperationKind, _ address: ResourceAddress, _ outcome: OperationOutcome, deposed: Bool) {
        lock.withLock {
            let k = key(address, deposed)
            running[k] = nil
            lastStillRunning[k] = nil
            done += 1
            let line: String
            switch outcome {
            case .succeeded(let detail, let seconds):
                line = "\(style.green("✓")) \(k): \(pastTense(kind)) in \(String(format: "%.1f", seconds))s [\(detail)]"
            case .unchanged:
                line = "\(style.green("✓")) \(k): nothing to change after all"
            case .failed(let message, _):
                line = "\(style.red("✗")) \(k): \(kind.rawValue) failed: \(message)"
            case .stateFailed(let message):
                line = "\(style.red("✗")) \(k): the state could not be written: \(message)"
            case .skipped(let because):
                line = "\(style.yellow("-")) \(k): skipped, because \(because) failed"
            case .notStarted:
                line = "\(style.yellow("-")) \(k): not started"
            }
            clearFooter()
            write(line + "\n")
            drawFooter()
        }
    }

    private func tick() {
        lock.withLock {
            if live {
                clearFooter()
                drawFooter()
            } else {
                let now = Date()
                for (k, since) in running.sorted(by: { $0.key < $1.key }) where now.timeIntervalSince(since) >= 10 {
                    if let last = lastStillRunning[k], now.timeIntervalSince(last) < 10 { continue }
                    lastStillRunning[k] = now
                    write("\(k): still working… [\(Int(now.timeIntervalSince(since)))s elapsed]\n")
                }
            }
        }
    }

    private func drawFooter() {
        guard live else { return }
        let now = Date()
        let longest = running.sorted { $0.value < $1.value }.prefix(8)
        var lines = [style.dim("[\(done)/\(total)] \(running.count) running")]
        for (k, since) in longest { lines.append(style.dim("  … \(k) (\(String(format: "%.0f", now.timeIntervalSince(since)))s)")) }
        if running.count > longest.count { lines.append(style.dim("  … and \(running.count - longest.count) more")) }
        write(lines.joined(separator: "\n") + "\n")
        footerLines = lines.count
    }

    private func clearFooter() {
        guard live, footerLines > 0 else { return }
        write(String(repeating: "\u{1B}[1A\u{1B}[2K", count: footerLines))
        footerLines = 0
    }

    private func write(_ text: String) {
        // Through stdio, like `print`, so the two never interleave out of order.
        print(text, terminator: "")
        fflush(nil)
    }
}

/// Ctrl-C: the first stops new steps, the second cancels running ones.
enum InterruptHandler {
    nonisolated(unsafe) static var source: (any DispatchSourceSignal)?

    static func install(_ interrupt: Interrupt, style: Style) {
        signal(SIGINT, SIG_IGN)
        let source = DispatchSource.makeSignalSource(signal: SIGINT, queue: DispatchQueue.global())
        source.setEventHandler {
            interrupt.raise()
            if interrupt.current == .stopStarting {
                printError(style.yellow("\nInterrupted: no new steps will start; running ones finish and are saved. Press Ctrl-C again to cancel them."))
            } else {
                printError(style.red("\nCancelling running steps."))
            }
        }
        source.resume()
        Self.source = source
    }
}
