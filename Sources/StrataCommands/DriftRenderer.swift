import Foundation
import StrataEngine
import StrataModel
import StrataState

/// Shows a drift report to a person: a block per resource, grouped changed / deleted /
/// unmanaged, then errors, notes and what remediation did. Secrets arrive as "(secret)".
struct DriftRenderer {
    var style: Style

    func render(_ report: DriftReport) -> String {
        var out = ""
        let s = report.summary
        let seconds = String(format: "%.2f", report.durationSeconds)
        switch report.status {
        case .clean:
            out += style.green("No drift") + " in \(style.bold(report.key.description)): \(s.checked) resource(s) match the state (\(seconds) s).\n"
        case .drift, .error:
            let head = report.status == .drift ? style.yellow("Drift") : style.red("Drift sweep failed")
            out += "\(head) in \(style.bold(report.key.description)): \(counts(s)) (\(s.checked) checked in \(seconds) s)\n"
        }
        for drift in report.resources {
            out += "\n" + header(drift) + "\n"
            for attribute in drift.attributes { out += attributeLine(attribute) + "\n" }
        }
        if !report.errors.isEmpty {
            out += "\n" + style.red("Errors:") + "\n"
            for error in report.errors {
                var line = "  "
                if let address = error.address { line += style.bold(address) + ": " } else if let provider = error.provider { line += "provider \(provider): " }
                out += line + error.message + "\n"
            }
        }
        for note in report.notes { out += style.dim("Note: \(note)") + "\n" }
        if let remediation = report.remediation {
            let title = remediation.action == "accept" ? "Accepted" : "Remediation"
            out += "\n" + style.bold("\(title):") + (remediation.succeeded ? style.green(" done") : style.red(" failed")) + "\n"
            if let message = remediation.message { out += "  " + message + "\n" }
            for step in remediation.steps {
                let mark = step.outcome == "done" ? style.green("✓") : step.outcome == "failed" ? style.red("✗") : style.yellow("-")
                out += "  \(mark) \(step.address): \(step.action) \(step.outcome)" + (step.message.map { " — \($0)" } ?? "") + "\n"
            }
        }
        if report.status == .drift && report.remediation == nil {
            out += "\n" + style.dim("`strata drift --remediate` puts them back as declared; `--accept` records what exists as the state.") + "\n"
        }
        return out
    }

    func counts(_ s: DriftSummary) -> String {
        var parts: [String] = []
        if s.changed > 0 { parts.append("\(s.changed) changed") }
        if s.deleted > 0 { parts.append("\(s.deleted) deleted") }
        if s.unmanaged > 0 { parts.append("\(s.unmanaged) unmanaged") }
        if s.errors > 0 { parts.append("\(s.errors) error(s)") }
        return parts.isEmpty ? "nothing drifted" : parts.joined(separator: ", ")
    }

    func header(_ drift: ResourceDrift) -> String {
        switch drift.kind {
        case .changed:
            return "  \(style.yellow("~")) \(style.bold(drift.address ?? drift.id)) \(style.dim("(id \(drift.id))")) changed outside Strata"
        case .deleted:
            return "  \(style.red("-")) \(style.bold(drift.address ?? drift.id)) \(style.dim("(id \(drift.id))")) " + (drift.note ?? "deleted outside Strata")
        case .unmanaged:
            let name = drift.address.map { "\($0) " } ?? ""
            return "  \(style.cyan("?")) \(style.bold("\(drift.type) \(drift.id)")) \(style.dim(name.isEmpty ? "" : "(tagged \(name.trimmingCharacters(in: .whitespaces)))")) unmanaged: "
                + (drift.note ?? "not in the state")
        }
    }

    func show(_ value: Value?) -> String {
        guard let value else { return "(unset)" }
        return value.rendered()
    }

    func attributeLine(_ a: AttributeDrift) -> String {
        var line = "      \(a.name): recorded \(show(a.recorded)) → actual \(style.yellow(show(a.actual)))"
        switch a.declaredAgreesWith {
        case .recorded: line += style.dim("; the stack declares the recorded value (--remediate puts it back)")
        case .actual: line += style.dim("; the stack declares the actual value (the state is behind: --accept records it)")
        case .neither: line += style.dim("; the stack declares \(show(a.declared)) (apply changes it to that)")
        case .unknown: line += style.dim("; the stack's value is known only after apply")
        case .undeclared: line += style.dim("; the stack does not set it")
        }
        return line
    }

    /// One line per daemon sweep.
    func line(_ report: DriftReport) -> String {
        let status: String
        switch report.status {
        case .clean: status = style.green("clean")
        case .drift: status = style.yellow("drift")
        case .error: status = style.red("error")
        }
        var text = "\(report.startedAt) \(report.key): \(status): \(counts(report.summary)); \(report.summary.checked) checked in \(String(format: "%.2f", report.durationSeconds)) s"
        if let remediation = report.remediation { text += "; \(remediation.action) \(remediation.succeeded ? "done" : "failed")" }
        return text
    }

    func history(_ sweeps: [SweepRecord]) -> String {
        var rows = [["ID", "STARTED", "STATUS", "CHECKED", "CHANGED", "DELETED", "UNMANAGED", "ERRORS", "ACTION", "DURATION"]]
        for sweep in sweeps {
            rows.append([String(sweep.id), DriftReportTime.string(sweep.startedAt), sweep.status, String(sweep.checked), String(sweep.changed),
                         String(sweep.deleted), String(sweep.unmanaged), String(sweep.errors), sweep.action,
                         String(format: "%.2fs", sweep.durationSeconds)])
        }
        var widths = [Int](repeating: 0, count: rows[0].count)
        for row in rows { for (i, cell) in row.enumerated() { widths[i] = max(widths[i], cell.count) } }
        return rows.enumerated().map { index, row in
            let text = row.enumerated().map { i, cell in cell + String(repeating: " ", count: widths[i] - cell.count) }.joined(separator: "  ")
                .trimmingCharacters(in: .whitespaces)
            return index == 0 ? style.bold(text) : text
        }.joined(separator: "\n") + "\n" + style.dim("`strata drift history STACK --show ID` prints a sweep's report.")
    }
}
