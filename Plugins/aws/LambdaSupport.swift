import Foundation
import StrataAWSKit
import StrataModel
import StrataPluginKit

/// What the Lambda types share: paths, tags (a map, through `/2017-03-31/tags/{ARN}`), and
/// the wait for a function to settle between two changes.
enum LambdaAPI {
    static func functionPath(_ name: String, _ rest: String...) -> [String] {
        ["2015-03-31", "functions", name] + rest
    }

    /// GET a path; nil when Lambda says the thing is not there.
    static func get(_ path: [String], operation: String, _ context: ResourceContext) async throws -> [String: Value]? {
        do {
            return try await context.client.restJSON(service: .lambda, method: "GET", path: path, operation: operation).body
        } catch let error as AWSError where error.kind == .notFound {
            return nil
        }
    }

    static func tags(_ arn: String, _ context: ResourceContext) async throws -> [String: String] {
        let answer = try await context.client.restJSON(service: .lambda, method: "GET", path: ["2017-03-31", "tags", arn], operation: "ListTags")
        return (answer.body["Tags"]?.mapValue ?? [:]).compactMapValues(\.stringValue)
    }

    /// Makes the user tags `new` (compared with what the resource has now); `strata:*` tags stay.
    static func updateTags(_ arn: String, to new: [String: String], _ context: ResourceContext) async throws {
        let old = StrataTags.userTags(try await tags(arn, context)), new = StrataTags.userTags(new)
        let removed = old.keys.filter { new[$0] == nil }.sorted()
        if !removed.isEmpty {
            _ = try await context.client.restJSON(
                service: .lambda, method: "DELETE", path: ["2017-03-31", "tags", arn],
                query: removed.map { .init("tagKeys", $0) }, operation: "UntagResource")
        }
        let changed = new.filter { old[$0.key] != $0.value }
        if !changed.isEmpty {
            _ = try await context.client.restJSON(
                service: .lambda, method: "POST", path: ["2017-03-31", "tags", arn],
                body: ["Tags": StrataTags.value(changed)], operation: "TagResource")
        }
    }

    /// Waits until the function is Active and no update is in progress (AWS refuses a second
    /// change meanwhile with ResourceConflictException).
    static func waitSettled(_ name: String, _ context: ResourceContext) async throws {
        try await Waiter("Lambda function \(name) to settle", timeout: 300, minDelay: 1, maxDelay: 5)
            .wait(progress: context.progress.report) { () async throws -> WaitState<Void> in
                guard let config = try await get(functionPath(name, "configuration"), operation: "GetFunctionConfiguration", context) else {
                    return .done(())
                }
                let state = config["State"]?.stringValue ?? "Active"
                let update = config["LastUpdateStatus"]?.stringValue ?? "Successful"
                if state == "Failed" { throw PluginError(.fatal, "Lambda function \(name) failed: \(config["StateReason"]?.stringValue ?? "")") }
                if state == "Pending" || update == "InProgress" { return .pending("state \(state), last update \(update)") }
                return .done(())
            }
    }

    /// A function name: 1–64 letters, digits, hyphens and underscores (an ARN is accepted too).
    static func functionNameProblem(_ name: String) -> String? {
        if name.hasPrefix("arn:") { return nil }
        let allowed = CharacterSet(charactersIn: "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_")
        if name.isEmpty || name.count > 64 || !name.unicodeScalars.allSatisfy({ allowed.contains($0) }) {
            return "function name '\(name)' must be 1 to 64 letters, digits, hyphens or underscores"
        }
        return nil
    }
}

/// Lists as reads report them in the second wave: the stack's order when it holds the same
/// strings, else AWS's order as it answered (not sorted, so that an import of a list the
/// stack spells in AWS's order plans no change).
enum OrderedList {
    static func value(_ actual: [String], recorded: [String]?) -> Value {
        if let recorded, recorded.count == actual.count, Set(recorded) == Set(actual) { return .list(recorded.map(Value.string)) }
        return .list(actual.map(Value.string))
    }
}
