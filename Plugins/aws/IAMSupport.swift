import Foundation
import StrataAWSKit
import StrataModel
import StrataPluginKit

/// What the IAM resources share: calls, tags, names.
enum IAM {
    /// Calls `action` and returns its `<ActionResult>` element.
    static func call(_ action: String, _ params: QueryParameters = QueryParameters(), _ context: ResourceContext) async throws -> XMLTree {
        let tree = try await context.client.query(service: .iam, action: action, params: params)
        return tree.child("\(action)Result") ?? tree
    }

    /// `<Tags><member><Key/><Value/></member></Tags>` → a map.
    static func tags(_ node: XMLTree?) -> [String: String] {
        var tags: [String: String] = [:]
        for member in node?.all("member") ?? [] {
            if let key = member.string("Key") { tags[key] = member.string("Value") ?? "" }
        }
        return tags
    }

    /// The tags of one role, policy or instance profile (`List<Kind>Tags`).
    static func listTags(_ kind: TagKind, _ id: String, _ context: ResourceContext) async throws -> [String: String] {
        var params = QueryParameters()
        params[kind.idParameter] = id
        var all: [String: String] = [:]
        for member in try await context.client.queryMarkerPages(service: .iam, action: "List\(kind.rawValue)Tags", params: params, listElement: "Tags") {
            if let key = member.string("Key") { all[key] = member.string("Value") ?? "" }
        }
        return all
    }

    /// Puts the stack's tags in place (strata:* tags are left alone), compared with what it has now.
    /// `now`: the tags it has, when the caller has them already.
    static func updateTags(_ kind: TagKind, _ id: String, to wanted: [String: String], now: [String: String]? = nil, _ context: ResourceContext) async throws {
        let current: [String: String]
        if let now { current = StrataTags.userTags(now) } else { current = StrataTags.userTags(try await listTags(kind, id, context)) }
        let new = StrataTags.userTags(wanted)
        let removed = current.keys.filter { new[$0] == nil }.sorted()
        let changed = new.filter { current[$0.key] != $0.value }
        if !removed.isEmpty {
            var params = QueryParameters()
            params[kind.idParameter] = id
            params.list("TagKeys.member", removed)
            _ = try await call("Untag\(kind.rawValue)", params, context)
        }
        if !changed.isEmpty {
            var params = QueryParameters()
            params[kind.idParameter] = id
            params.tagList("Tags.member", changed)
            _ = try await call("Tag\(kind.rawValue)", params, context)
        }
    }

    enum TagKind: String {
        case role = "Role", policy = "Policy", instanceProfile = "InstanceProfile"
        var idParameter: String {
            switch self {
            case .role: return "RoleName"
            case .policy: return "PolicyArn"
            case .instanceProfile: return "InstanceProfileName"
            }
        }
    }

    /// IAM names: 1…`max` characters of letters, digits and `+=,.@_-`.
    static func nameProblem(_ name: String, max: Int) -> String? {
        if name.isEmpty || name.count > max { return "must be 1 to \(max) characters long, not \(name.count)" }
        let allowed = CharacterSet.alphanumerics.union(CharacterSet(charactersIn: "+=,.@_-"))
        if name.unicodeScalars.contains(where: { !$0.isASCII || !allowed.contains($0) }) {
            return "'\(name)' may hold only ASCII letters, digits and + = , . @ _ -"
        }
        return nil
    }

    /// IAM paths: `/` or `/a/b/`.
    static func pathProblem(_ path: String) -> String? {
        if !path.hasPrefix("/") || !path.hasSuffix("/") { return "'\(path)' must begin and end with '/'" }
        if path.count > 512 { return "must be at most 512 characters long" }
        return nil
    }

    /// Check problems of the usual name/path/document attributes.
    static func problems(_ inputs: Inputs, name: String = "name", maxName: Int, document: String? = nil) -> [CheckProblem] {
        var problems: [CheckProblem] = []
        if let value = inputs.string(name), let problem = nameProblem(value, max: maxName) {
            problems.append(CheckProblem(attribute: name, message: "\(name) \(problem)"))
        }
        if let path = inputs.string("path"), let problem = pathProblem(path) {
            problems.append(CheckProblem(attribute: "path", message: "path \(problem)"))
        }
        if let document, let text = inputs.string(document), let problem = PolicyDocument.problem(text) {
            problems.append(CheckProblem(attribute: document, message: "\(document) \(problem)"))
        }
        return problems
    }
}
