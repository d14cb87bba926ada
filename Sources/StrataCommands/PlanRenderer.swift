import Foundation
import StrataEngine
import StrataModel

/// Shows a plan the way Terraform users read one: a block per resource, then a summary.
struct PlanRenderer {
    var style: Style
    /// Above this many changes, one line per resource instead of a block.
    var detailLimit = 500

    func render(_ plan: Plan) -> String {
        var out = ""
        for note in plan.notes { out += style.yellow("Note: ") + note + "\n" }
        if !plan.reads.isEmpty {
            out += style.dim("Read: " + plan.reads.keys.sorted().joined(separator: ", ")) + "\n"
        }
        let changes = plan.steps.filter { $0.action != .noop || $0.movedFrom != nil }.sorted { $0.address < $1.address }
        if changes.isEmpty {
            out += style.green("No changes.") + " The infrastructure matches the stack (\(plan.steps.count) resources).\n"
            return out
        }
        out += "Strata will perform these actions:\n\n"
        let detailed = changes.count <= detailLimit
        for step in changes {
            out += header(step)
            if detailed { out += body(step) }
        }
        out += "\n" + summary(plan) + "\n"
        if !detailed { out += style.dim("(\(changes.count) changes: attribute details are shown for up to \(detailLimit); `strata show PLAN --json` has them all)") + "\n" }
        return out
    }

    func symbol(_ action: StepAction) -> String {
        switch action {
        case .create: return style.green("+")
        case .update: return style.yellow("~")
        case .replace: return style.red("-") + "/" + style.green("+")
        case .delete: return style.red("-")
        case .noop: return style.cyan(">")
        }
    }

    func header(_ step: PlannedStep) -> String {
        var line = "  \(symbol(step.action)) \(style.bold(step.address.description))"
        if step.deposed { line += style.dim(" (deposed copy)") }
        if let from = step.movedFrom { line += style.cyan(" (moved from \(from))") }
        if step.action == .replace {
            line += step.createBeforeDestroy ? style.dim(" (create before destroy)") : ""
        }
        if let reason = step.reason { line += style.dim(" — \(reason)") }
        return line + "\n"
    }

    func body(_ step: PlannedStep) -> String {
        var out = ""
        let width = step.changes.map(\.attribute.count).max() ?? 0
        let pad = { (s: String) in s + String(repeating: " ", count: max(0, width - s.count)) }
        switch step.action {
        case .create:
            for change in step.changes { out += "      \(pad(change.attribute)) = \(show(change.after, secret: change.secret))\n" }
        case .update, .replace:
            for change in step.changes {
                var line = "      \(pad(change.attribute)) = \(show(change.before, secret: change.secret)) -> \(show(change.after, secret: change.secret))"
                if change.forcesReplacement { line += style.red(" (forces replacement)") }
                out += line + "\n"
            }
        case .delete, .noop:
            break
        }
        return out
    }

    func show(_ value: Value?, secret: Bool) -> String {
        guard let value else { return "null" }
        return value.rendered(secret: secret || value.containsSecret)
    }

    func summary(_ plan: Plan) -> String {
        var counts = "\(plan.count(.create)) to create, \(plan.count(.update)) to update, \(plan.count(.replace)) to replace, \(plan.count(.delete)) to delete"
        let moves = plan.steps.filter { $0.movedFrom != nil }.count
        if moves > 0 { counts += ", \(moves) to move" }
        return style.bold("Plan:") + " \(counts)."
    }
}

/// The public, secret-free JSON of a plan (`strata show PLAN --json`, `plan --json`).
struct PlanJSON: Encodable {
    struct Step: Encodable {
        var address: String
        var action: String
        var movedFrom: String?
        var reason: String?
        var changes: [Change]
    }
    struct Change: Encodable {
        var attribute: String
        var before: Value?
        var after: Value?
        var forcesReplacement: Bool
    }
    var stack: String
    var instance: String
    var stateSerial: Int
    var destroy: Bool
    var summary: [String: Int]
    var steps: [Step]

    init(_ plan: Plan) {
        stack = plan.key.stack
        instance = plan.key.instance
        stateSerial = plan.stateSerial
        destroy = plan.destroy
        var summary = Dictionary(uniqueKeysWithValues: StepAction.allCases.map { ($0.rawValue, plan.count($0)) })
        summary["move"] = plan.steps.filter { $0.movedFrom != nil }.count
        self.summary = summary
        steps = plan.steps.filter { $0.action != .noop || $0.movedFrom != nil }.map { step in
            Step(address: step.address.description, action: step.action == .noop ? "move" : step.action.rawValue,
                 movedFrom: step.movedFrom?.description, reason: step.reason, changes: step.changes.map { change in
                let hide = change.secret
                return Change(attribute: change.attribute,
                              before: hide && change.before != nil ? .string("(secret)") : change.before.map(PlanJSON.publicValue),
                              after: hide && change.after != nil ? .string("(secret)") : change.after.map(PlanJSON.publicValue),
                              forcesReplacement: change.forcesReplacement)
            })
        }
    }

    /// Secrets hidden, unknowns as the string "(known after apply)".
    static func publicValue(_ value: Value) -> Value {
        switch value {
        case .secret: return .string("(secret)")
        case .unknown: return .string("(known after apply)")
        case .list(let items): return .list(items.map(publicValue))
        case .map(let fields): return .map(fields.mapValues(publicValue))
        case .reference, .template: return .string(value.rendered())
        default: return value
        }
    }
}

/// Diagnostics with paths made relative to where strata runs.
func renderDiagnostics(_ diagnostics: [Diagnostic], style: Style) -> String {
    let cwd = FileManager.default.currentDirectoryPath + "/"
    return diagnostics.map { d in
        var d = d
        if var location = d.location, location.file.hasPrefix(cwd) {
            location.file = String(location.file.dropFirst(cwd.count))
            d.location = location
        }
        let text = d.description
        return d.severity == .error ? text.replacingOccurrences(of: "error: ", with: style.red("error: ")) : text
    }.joined(separator: "\n")
}
