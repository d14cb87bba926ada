import Foundation
import StrataModel

/// IAM/S3 policy documents (JSON text): parsed, compared by meaning rather than by spelling,
/// and decoded from the URL encoding IAM answers with.
enum PolicyDocument {
    /// Why `text` is not a JSON object, or nil when it is one.
    static func problem(_ text: String) -> String? {
        guard let value = try? ValueJSON.parse(text) else { return "is not valid JSON" }
        guard value.mapValue != nil else { return "must be a JSON object" }
        return nil
    }

    /// Do the two documents mean the same? Key order and white space do not count, nor does
    /// a one-element list written as its element (`"Action": "s3:*"` = `["s3:*"]`).
    static func equivalent(_ a: String?, _ b: String?) -> Bool {
        guard let a, let b else { return a == nil && b == nil }
        if a == b { return true }
        guard let left = try? ValueJSON.parse(a), let right = try? ValueJSON.parse(b) else { return false }
        return normalized(left) == normalized(right)
    }

    static func normalized(_ value: Value) -> Value {
        switch value {
        case .list(let items):
            let inner = items.map(normalized)
            return inner.count == 1 ? inner[0] : .list(inner)
        case .map(let fields):
            return .map(fields.mapValues(normalized))
        default:
            return value
        }
    }

    /// IAM answers documents URL-encoded (`%7B%22Version%22…`).
    static func decoded(_ text: String) -> String {
        let trimmed = text.trimmingCharacters(in: .whitespacesAndNewlines)
        if trimmed.hasPrefix("{") { return trimmed }
        return trimmed.removingPercentEncoding ?? trimmed
    }

    /// What a read reports: the stack's spelling when it means what AWS has, else AWS's.
    static func reported(actual: String, recorded: String?) -> String {
        if let recorded, equivalent(recorded, actual) { return recorded }
        return actual
    }
}
