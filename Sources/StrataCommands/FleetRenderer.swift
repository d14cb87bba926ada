import Foundation
import StrataEngine
import StrataModel

/// Prints a line per tenant as it starts and finishes. With a single tenant it shows that
/// tenant's whole plan and every step instead, as `strata apply` does.
final class FleetLines: FleetObserver, @unchecked Sendable {
    let style: Style
    let quiet: Bool
    let single: Bool
    /// Show a single tenant's plan (off when it was shown before confirming).
    let showPlan: Bool
    private let lock = NSLock()
    private var progress: ProgressView?

    init(style: Style, quiet: Bool, single: Bool, showPlan: Bool = true) {
        self.style = style
        self.quiet = quiet
        self.single = single
        self.showPlan = showPlan
    }

    func tenantStarted(_ id: String, operation: String) {
        guard !quiet else { return }
        write("\(id): \(Self.verb(operation))…")
    }

    func tenantFinished(_ outcome: TenantOutcome) {
        lock.withLock {
            progress?.stop()
            progress = nil
        }
        guard !quiet else { return }
        write(FleetRenderer(style: style).line(outcome))
    }

    func tenantPlanned(_ id: String, _ plan: Plan) {
        guard single, showPlan, !quiet else { return }
        write(PlanRenderer(style: style).render(plan), newline: false)
    }

    func applyObserver(for id: String, _ plan: Plan) -> (any ApplyObserver)? {
        guard single, !quiet, plan.changeCount > 0 else { return nil }
        let view = ProgressView(style: style, total: plan.changeCount, live: isatty(1) == 1 && style.color)
        lock.withLock { progress = view }
        return view
    }

    static func verb(_ operation: String) -> String {
        switch operation {
        case "plan": return "planning"
        case "plan prune": return "planning the destroy (not in the file, --prune)"
        case "plan destroy": return "planning the destroy"
        case "apply": return "applying"
        case "prune": return "destroying (not in the file, --prune)"
        case "destroy": return "destroying"
        default: return operation
        }
    }

    private func write(_ text: String, newline: Bool = true) {
        lock.withLock {
            print(text, terminator: newline ? "\n" : "")
            fflush(nil)
        }
    }
}

/// The summary of a fleet run and the status table.
struct FleetRenderer {
    var style: Style

    /// One tenant's outcome on one line.
    func line(_ outcome: TenantOutcome) -> String {
        let time = String(format: "%.1fs", outcome.seconds)
        switch outcome.status {
        case .planned:
            return "  \(outcome.id): " + (outcome.changeCount == 0 ? style.green("no changes") : planned(outcome))
        case .succeeded:
            return "\(style.green("✓")) \(outcome.id): \(done(outcome)) in \(time)"
        case .failed:
            let first = outcome.error?.split(separator: "\n").first.map(String.init) ?? "failed"
            return "\(style.red("✗")) \(outcome.id): \(outcome.operation) failed: \(first)"
        case .kept:
            return "\(style.yellow("-")) \(outcome.id): not in the file, kept (--prune destroys it)"
        case .notStarted:
            return "\(style.yellow("-")) \(outcome.id): not started"
        }
    }

    func planned(_ outcome: TenantOutcome) -> String {
        "\(outcome.created) to create, \(outcome.updated) to update, \(outcome.replaced) to replace, \(outcome.destroyed) to destroy"
    }

    func done(_ outcome: TenantOutcome) -> String {
        var parts = ["\(outcome.created) created", "\(outcome.updated) updated"]
        if outcome.replaced > 0 { parts.append("\(outcome.replaced) replaced") }
        parts.append("\(outcome.destroyed) destroyed")
        return parts.joined(separator: ", ")
    }

    /// Every tenant's outcome, then the totals.
    func summary(_ outcomes: [TenantOutcome], planning: Bool) -> String {
        var rows: [[String]] = [["TENANT", "OPERATION", "OUTCOME", "CREATE", "UPDATE", "REPLACE", "DESTROY", "SECONDS", "SERIAL"]]
        for outcome in outcomes.sorted(by: { $0.id < $1.id }) {
            let outcomeText: String
            switch outcome.status {
            case .planned: outcomeText = outcome.changeCount == 0 ? "no changes" : "changes"
            case .succeeded: outcomeText = "ok"
            case .failed:
                let first = outcome.error?.split(separator: "\n").first.map(String.init) ?? ""
                outcomeText = "FAILED: " + (first.count > 70 ? first.prefix(69) + "…" : first)
            case .kept: outcomeText = "not in the file, kept"
            case .notStarted: outcomeText = "not started"
            }
            let counted = outcome.status == .planned || outcome.status == .succeeded || (outcome.status == .failed && outcome.changeCount > 0)
            let number = { (n: Int) in counted ? String(n) : "-" }
            rows.append([
                outcome.id, outcome.operation, outcomeText, number(outcome.created), number(outcome.updated), number(outcome.replaced),
                number(outcome.destroyed), outcome.status == .kept || outcome.status == .notStarted ? "-" : String(format: "%.1f", outcome.seconds),
                outcome.serial.map(String.init) ?? "-",
            ])
        }
        var out = "\n" + table(rows)
        let failed = outcomes.filter { $0.status == .failed }.count
        let kept = outcomes.filter { $0.status == .kept }.count
        let notStarted = outcomes.filter { $0.status == .notStarted }.count
        var totals: [String] = []
        if planning {
            let changing = outcomes.filter { $0.status == .planned && $0.changeCount > 0 }.count
            let clean = outcomes.filter { $0.status == .planned && $0.changeCount == 0 }.count
            totals = ["\(changing) with changes", "\(clean) without"]
        } else {
            totals = ["\(outcomes.filter { $0.status == .succeeded }.count) succeeded"]
        }
        if failed > 0 { totals.append("\(failed) failed") }
        if kept > 0 { totals.append("\(kept) kept (not in the file)") }
        if notStarted > 0 { totals.append("\(notStarted) not started") }
        let head = "Tenants: "
        let text = head + totals.joined(separator: ", ") + "."
        out += "\n" + (failed > 0 || notStarted > 0 ? style.red(style.bold(text)) : style.green(style.bold(text))) + "\n"
        return out
    }

    /// Each failed tenant's whole error, on stderr.
    func printErrors(_ outcomes: [TenantOutcome]) {
        for outcome in outcomes.sorted(by: { $0.id < $1.id }) where outcome.status == .failed {
            printError(style.red("Error: ") + "tenant \(outcome.id) (\(outcome.instance)): " + (outcome.error ?? "failed"))
        }
    }

    func json(_ outcomes: [TenantOutcome]) throws -> String {
        String(decoding: try StrataJSON.encode(outcomes, pretty: true), as: UTF8.self)
    }

    /// `strata tenants status`.
    func status(_ rows: [TenantStatus]) -> String {
        if rows.isEmpty { return "No tenants in the state (instances named tenant/<id>).\n" }
        let jobs = rows.contains { $0.job != nil }
        var table: [[String]] = [["TENANT", "STACK", "SERIAL", "RESOURCES", "LAST RUN", "LAST CHANGE", "DRIFT", "LOCK"] + (jobs ? ["JOB"] : [])]
        for row in rows {
            let change = row.lastChange.map { "\($0.action)\($0.address.map { " \($0)" } ?? "") at \($0.time)" } ?? "-"
            let drift = row.drift.map { d -> String in
                let counts = d.status == "drift" ? " (\(d.changed) changed, \(d.deleted) deleted, \(d.unmanaged) unmanaged)" : ""
                return "\(d.status)\(counts) at \(d.time)"
            } ?? "never swept"
            var cells = [row.tenant, row.stack, String(row.serial),
                         row.state == "destroyed" ? "0 (destroyed)" : row.state == "new" ? "- (never written)" : String(row.resources),
                         row.lastRun.map(lastRunCell) ?? "-", change, drift, row.lockedBy == nil ? "-" : "locked"]
            if jobs { cells.append(row.job.map(jobCell) ?? "-") }
            table.append(cells)
        }
        return self.table(table)
    }

    /// `apply succeeded at …`, `apply failed at …: the first line of why`.
    func lastRunCell(_ run: TenantStatus.LastRun) -> String {
        var text = "\(run.operation) \(run.result) at \(run.time)"
        if let message = run.message, run.result == "failed" {
            let line = message.split(separator: "\n").first.map(String.init) ?? message
            text += ": " + (line.count > 80 ? String(line.prefix(79)) + "…" : line)
        }
        return text
    }

    /// `apply running on w1 (attempt 2)`, `destroy queued`, `apply failed (1 attempt): why`, `drift done`.
    func jobCell(_ job: TenantStatus.Job) -> String {
        var text = "#\(job.id) \(job.kind) \(job.status)"
        if job.status == "running", let worker = job.worker { text += " on \(worker)" }
        if job.attempts > 1 || job.status == "failed" { text += " (attempt \(job.attempts))" }
        if job.status == "failed", let message = job.message {
            let line = message.split(separator: "\n").first.map(String.init) ?? message
            text += ": " + (line.count > 80 ? String(line.prefix(79)) + "…" : line)
        }
        if job.open > (job.status == "queued" || job.status == "running" ? 1 : 0) {
            text += " +\(job.open - (job.status == "queued" || job.status == "running" ? 1 : 0)) queued"
        }
        return text
    }

    /// Left-aligned columns, two spaces apart; the first row is the header.
    func table(_ rows: [[String]]) -> String {
        guard let header = rows.first else { return "" }
        var widths = header.map(\.count)
        for row in rows { for (i, cell) in row.enumerated() where i < widths.count { widths[i] = max(widths[i], cell.count) } }
        var out = ""
        for (index, row) in rows.enumerated() {
            var line = ""
            for (i, cell) in row.enumerated() {
                let padded = i == row.count - 1 ? cell : cell + String(repeating: " ", count: widths[i] - cell.count + 2)
                line += padded
            }
            out += (index == 0 ? style.bold(line) : line) + "\n"
        }
        return out
    }
}
