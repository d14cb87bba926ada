import Foundation
import StrataState

/// A stack instance the daemon sweeps.
public struct DriftTarget: Sendable, Hashable {
    public var key: InstanceKey
    public var directory: URL
    public var variables: [String: String]
    public init(key: InstanceKey, directory: URL, variables: [String: String]) {
        self.key = key
        self.directory = directory
        self.variables = variables
    }
}

/// Sweeps on a schedule until cancelled.
///
/// - Never two sweeps of one instance at once: a tick that finds the last sweep still running
///   skips that instance (and says so).
/// - A sweep that fails (provider errors, backend outage, a stack that does not load) is
///   reported like any other; the instance then backs off: after n failures in a row it waits
///   min(period × (2ⁿ⁻¹ − 1), max(period, 5 min)) beyond its next tick.
/// - Listing the targets failing (the backend is down) is reported and backed off the same way.
/// - Cancellation (SIGTERM, SIGINT) stops the ticks; sweeps in flight run to their end, apart
///   from the cancellation, and are delivered before `run` returns.
public struct DriftDaemon: Sendable {
    public let schedule: Schedule
    public let jitter: Duration
    public let targets: @Sendable () async throws -> [DriftTarget]
    public let sweep: @Sendable (DriftTarget) async -> DriftReport
    /// Told about each report (history, metrics, webhook, printing).
    public let deliver: @Sendable (DriftReport) async -> Void
    public let log: @Sendable (String) -> Void

    public init(schedule: Schedule, jitter: Duration, targets: @escaping @Sendable () async throws -> [DriftTarget],
                sweep: @escaping @Sendable (DriftTarget) async -> DriftReport, deliver: @escaping @Sendable (DriftReport) async -> Void,
                log: @escaping @Sendable (String) -> Void) {
        self.schedule = schedule
        self.jitter = jitter
        self.targets = targets
        self.sweep = sweep
        self.deliver = deliver
        self.log = log
    }

    /// The extra wait after `failures` failed sweeps in a row.
    public static func backoff(failures: Int, period: Double) -> Double {
        guard failures > 1 else { return 0 }
        let factor = pow(2.0, Double(min(failures - 1, 20))) - 1
        return min(period * factor, max(period, 300))
    }

    /// Which instances are being swept, and which are backing off.
    actor Gate {
        var running: Set<InstanceKey> = []
        var failures: [InstanceKey: Int] = [:]
        var notBefore: [InstanceKey: Date] = [:]

        enum Entry { case enter, busy, backingOff(Date) }

        func tryEnter(_ key: InstanceKey, now: Date) -> Entry {
            if running.contains(key) { return .busy }
            if let until = notBefore[key], until > now { return .backingOff(until) }
            running.insert(key)
            return .enter
        }

        /// Returns the failures in a row.
        func leave(_ key: InstanceKey, failed: Bool, period: Double) -> (Int, Date?) {
            running.remove(key)
            guard failed else {
                failures[key] = nil
                notBefore[key] = nil
                return (0, nil)
            }
            let n = (failures[key] ?? 0) + 1
            failures[key] = n
            let extra = DriftDaemon.backoff(failures: n, period: period)
            let until = extra > 0 ? Date().addingTimeInterval(period + extra) : nil
            notBefore[key] = until
            return (n, until)
        }
    }

    var period: Double {
        let now = Date()
        return max(1, schedule.next(after: now).timeIntervalSince(now))
    }

    public func run() async {
        let gate = Gate()
        let period = self.period
        let jitterSeconds = DurationText.seconds(jitter)
        await withDiscardingTaskGroup { group in
            var next: Date
            if case .every = schedule { next = Date() } else { next = schedule.next(after: Date()) }
            var listFailures = 0
            log("drift daemon: sweeping \(schedule)" + (jitterSeconds > 0 ? ", jitter up to \(DurationText.format(jitter))" : "")
                + ", first at \(DriftReport.timestamp(next))")
            while !Task.isCancelled {
                let wait = next.timeIntervalSinceNow
                if wait > 0 {
                    do { try await Task.sleep(nanoseconds: UInt64(wait * 1e9)) } catch { break }
                }
                let now = Date()
                next = schedule.next(after: max(now, next))
                let list: [DriftTarget]
                do {
                    list = try await targets()
                    listFailures = 0
                } catch {
                    listFailures += 1
                    let extra = DriftDaemon.backoff(failures: listFailures, period: period)
                    next = next.addingTimeInterval(extra)
                    log("drift daemon: cannot list what to sweep: \(Executor.message(error)); next try at \(DriftReport.timestamp(next))")
                    continue
                }
                for target in list {
                    switch await gate.tryEnter(target.key, now: now) {
                    case .busy:
                        log("drift daemon: \(target.key): the previous sweep is still running; this tick is skipped")
                        continue
                    case .backingOff:
                        continue
                    case .enter:
                        break
                    }
                    group.addTask {
                        if jitterSeconds > 0 {
                            let delay = Double.random(in: 0...jitterSeconds)
                            do { try await Task.sleep(nanoseconds: UInt64(delay * 1e9)) } catch {
                                _ = await gate.leave(target.key, failed: false, period: period)
                                return
                            }
                        }
                        // A sweep that started finishes whole (its own task, apart from the
                        // daemon's cancellation): SIGTERM never turns it into an error report.
                        let sweep = self.sweep, deliver = self.deliver
                        let report = await Task { await sweep(target) }.value
                        await Task { await deliver(report) }.value
                        let (failures, until) = await gate.leave(target.key, failed: report.status == .error, period: period)
                        if let until {
                            log("drift daemon: \(target.key): \(failures) failed sweeps in a row; backing off until \(DriftReport.timestamp(until))")
                        }
                    }
                }
            }
        }
    }
}
