import Foundation
import StrataAWSKit
import StrataModel
import StrataPluginKit

/// What the Query-protocol data services (RDS, ElastiCache) share: list and tag parameters
/// as their models name them, `Marker` pages, and tags through
/// ListTagsForResource / AddTagsToResource / RemoveTagsFromResource (the same three calls,
/// with the same shapes, in both services).
enum QueryAPI {
    /// `Name.Member.1`, `Name.Member.2`, … (a list whose members are named `member`).
    static func list(_ params: inout QueryParameters, _ name: String, member: String = "member", _ items: [String]) {
        params.list("\(name).\(member)", items)
    }

    /// `Tags.Tag.N.Key` / `Tags.Tag.N.Value`, sorted by key.
    static func tags(_ params: inout QueryParameters, _ tags: [String: String]) {
        params.tagList("Tags.Tag", tags)
    }

    /// `<ActionResult>` of an answer (or the answer itself when it has none).
    static func result(_ tree: XMLTree, _ action: String) -> XMLTree {
        tree.child("\(action)Result") ?? tree
    }

    /// The members of the list element `listElement` of every page (`Marker` in and out).
    static func pages(_ service: AWSService, action: String, params: QueryParameters = QueryParameters(), listElement: String, client: AWSClient) async throws -> [XMLTree] {
        try await Paginator.collect { marker in
            var p = params
            p["Marker"] = marker
            let result = Self.result(try await client.query(service: service, action: action, params: p), action)
            return (result.child(listElement)?.children ?? [], result.string("Marker"))
        }
    }

    /// `<TagList><Tag><Key/><Value/></Tag></TagList>` → a map.
    static func tagMap(_ tagList: XMLTree?) -> [String: String] {
        var tags: [String: String] = [:]
        for tag in tagList?.children ?? [] {
            if let key = tag.string("Key") { tags[key] = tag.string("Value") ?? "" }
        }
        return tags
    }

    /// Every tag of the resource with this ARN.
    static func listTags(_ service: AWSService, arn: String, client: AWSClient) async throws -> [String: String] {
        let answer = try await client.query(service: service, action: "ListTagsForResource", params: ["ResourceName": arn])
        return tagMap(result(answer, "ListTagsForResource").child("TagList"))
    }

    /// Makes the user tags `new`, compared with what the resource has now; `strata:*` tags
    /// are left alone.
    static func updateTags(_ service: AWSService, arn: String, to new: [String: String], client: AWSClient) async throws {
        let old = StrataTags.userTags(try await listTags(service, arn: arn, client: client))
        let new = StrataTags.userTags(new)
        let removed = old.keys.filter { new[$0] == nil }.sorted()
        let changed = new.filter { old[$0.key] != $0.value }
        if !removed.isEmpty {
            var params: QueryParameters = ["ResourceName": arn]
            list(&params, "TagKeys", removed)
            _ = try await client.query(service: service, action: "RemoveTagsFromResource", params: params)
        }
        if !changed.isEmpty {
            var params: QueryParameters = ["ResourceName": arn]
            tags(&params, changed)
            _ = try await client.query(service: service, action: "AddTagsToResource", params: params)
        }
    }

    /// `Int` text of an element.
    static func int(_ tree: XMLTree, _ path: String...) -> Int? {
        tree.descend(path).flatMap { Int($0.text) }
    }
}

/// A type whose resources have a stack-chosen name (the id) and carry tags read through
/// ListTagsForResource: `find` looks at the one with the stack's name and checks its
/// `strata:token` tag; `discover` lists them all and reads their tags.
protocol NamedQueryResource: AWSResource {
    var service: AWSService { get }
    /// The attribute holding the name (the id).
    var nameAttribute: String { get }
    /// Every resource of the type: (name, ARN).
    func listAll(_ context: ResourceContext) async throws -> [(name: String, arn: String)]
    /// The ARN of the one called `name`, nil when there is none.
    func arn(of name: String, _ context: ResourceContext) async throws -> String?
}

extension NamedQueryResource {
    func find(token: String, inputs: Inputs, in context: ResourceContext) async throws -> String? {
        guard let name = inputs.string(nameAttribute), let arn = try await arn(of: name, context) else { return nil }
        let tags = try await QueryAPI.listTags(service, arn: arn, client: context.client)
        return tags[StrataTags.token] == token ? name : nil
    }

    func discover(tags: [String: String], in context: ResourceContext) async throws -> [DiscoveredResource] {
        var candidates: [(id: String, tags: [String: String])] = []
        for (name, arn) in try await listAll(context) {
            let actual: [String: String]
            do {
                actual = try await QueryAPI.listTags(service, arn: arn, client: context.client)
            } catch let error as AWSError where error.kind == .notFound {
                continue
            }
            if Discovery.matches(actual, tags) { candidates.append((name, actual)) }
        }
        return try await Discovery.read(self, candidates, in: context)
    }
}

/// Checks shared by the data types.
enum DataChecks {
    /// RDS identifiers (DB instances, subnet and parameter groups): a letter first, then
    /// letters, digits and hyphens, no `--`, no trailing hyphen, at most `maxLength`.
    static func identifierProblem(_ name: String, what: String, maxLength: Int = 63, allowDots: Bool = false, allowUnderscores: Bool = false) -> String? {
        if name.isEmpty || name.count > maxLength { return "\(what) must be 1 to \(maxLength) characters long" }
        guard let first = name.unicodeScalars.first, CharacterSet.letters.contains(first), first.isASCII else {
            return "\(what) must start with a letter"
        }
        var allowed = CharacterSet(charactersIn: "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-")
        if allowDots { allowed.insert(".") }
        if allowUnderscores { allowed.insert("_") }
        if !name.unicodeScalars.allSatisfy({ allowed.contains($0) }) {
            return "\(what) may hold only ASCII letters, digits and hyphens\(allowDots ? ", dots" : "")\(allowUnderscores ? ", underscores" : "") ('\(name)')"
        }
        if name.hasSuffix("-") || name.contains("--") { return "\(what) must not end with a hyphen or hold two hyphens in a row ('\(name)')" }
        return nil
    }

    /// `db.<family>.<size>` or `cache.<family>.<size>`.
    static func instanceClassProblem(_ value: String, prefix: String) -> String? {
        let parts = value.split(separator: ".", omittingEmptySubsequences: false)
        let lowerAlnum = CharacterSet(charactersIn: "abcdefghijklmnopqrstuvwxyz0123456789-")
        let ok = parts.count == 3 && parts[0] == prefix && parts.dropFirst().allSatisfy {
            !$0.isEmpty && $0.unicodeScalars.allSatisfy { lowerAlnum.contains($0) }
        }
        return ok ? nil : "'\(value)' is not an instance class: expected \(prefix).<family>.<size>, e.g. \(prefix).t3.micro"
    }

    static func enumProblem(_ value: String, allowed: [String], attribute: String) -> CheckProblem? {
        allowed.contains(value) ? nil : CheckProblem(attribute: attribute, message: "\(attribute) must be one of \(allowed.joined(separator: ", ")) (not '\(value)')")
    }

    static func intProblem(_ value: Value?, _ range: ClosedRange<Int>, attribute: String) -> CheckProblem? {
        guard let number = value?.numberValue else { return nil }
        if number != number.rounded() || !range.contains(Int(number)) {
            return CheckProblem(attribute: attribute, message: "\(attribute) must be a whole number from \(range.lowerBound) to \(range.upperBound) (not \(value?.rendered() ?? "?"))")
        }
        return nil
    }
}

extension Inputs {
    func int(_ key: String) -> Int? { self[key]?.numberValue.map { Int($0) } }
    /// A list of strings (non-strings left out).
    func strings(_ key: String) -> [String]? { list(key)?.compactMap(\.stringValue) }
}

/// What reads share: keeping the stack's spelling and order.
enum Recorded {
    /// `actual` in the stack's order when it holds the same strings as the recorded list.
    static func list(_ actual: [String], recorded: [String]?) -> Value {
        if let recorded, Set(recorded) == Set(actual), recorded.count == actual.count { return .list(recorded.map(Value.string)) }
        return .list(actual.sorted().map(Value.string))
    }

    /// An engine version: the stack's when it names AWS's version or a prefix of it at a dot
    /// (`16` for `16.3`, `7.1` for `7.1.0`), so a stack pinning only the major version plans
    /// no change when AWS applies a minor one.
    static func version(_ actual: String?, recorded: String?) -> Value {
        guard let actual else { return .null }
        if let recorded, versionMatches(actual, recorded) { return .string(recorded) }
        return .string(actual)
    }

    static func versionMatches(_ actual: String, _ wanted: String) -> Bool {
        actual == wanted || actual.hasPrefix(wanted + ".")
    }

    /// The stack's spelling when it differs from AWS's only in case (engine versions, classes).
    static func string(_ actual: String?, recorded: String?) -> Value {
        guard let actual else { return .null }
        if let recorded, recorded.lowercased() == actual.lowercased() { return .string(recorded) }
        return .string(actual)
    }
}
