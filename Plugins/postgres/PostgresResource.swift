import Foundation
import StrataModel
import StrataPluginKit

/// One PostgreSQL object type: its schema and the statements that make, read, change and drop
/// it. Its id is derived from its inputs (names are the identity in PostgreSQL), so a create
/// retried with the same inputs finds what the first try made. `PostgresProvider` does the
/// rest (errors, idempotent create, recover, import, discover).
protocol PostgresResource: Sendable {
    var type: String { get }
    var schema: ResourceSchema { get }
    /// True when the object carries the engine's tags in its comment (`StrataComment`), so
    /// that create and recover know what they made and discover can list it.
    var tagged: Bool { get }
    /// True when creating it where it exists already simply sets it as declared (privileges),
    /// rather than a conflict.
    var takesOverExisting: Bool { get }
    /// Problems the inputs show before any connection (unknown values are skipped).
    func check(_ inputs: Inputs) -> [CheckProblem]
    /// The id an object with these inputs has.
    func id(for inputs: Inputs) throws -> String
    /// Makes it; `comment` holds the engine's tags for types that are `tagged`.
    func create(_ inputs: Inputs, comment: StrataComment, in context: Context) async throws
    /// Every attribute as the server has it now, in the stack's spelling where equal; nil when
    /// it is gone. `recorded` is nil on import.
    func read(id: String, recorded: Inputs?, in context: Context) async throws -> [String: Value]?
    /// Changes the in-place attributes that differ between `prior` and `inputs`.
    func update(id: String, prior: Inputs, inputs: Inputs, in context: Context) async throws
    /// Drops it; gone already is success.
    func delete(id: String, inputs: Inputs, in context: Context) async throws
    /// The engine's tags in its comment, if it has such a comment (nil when untagged or gone).
    func comment(id: String, in context: Context) async throws -> StrataComment?
    /// The objects of this type whose comment carries every one of `tags`.
    func discover(tags: [String: String], in context: Context) async throws -> [DiscoveredResource]
}

extension PostgresResource {
    var tagged: Bool { true }
    var takesOverExisting: Bool { false }
    func comment(id: String, in context: Context) async throws -> StrataComment? { nil }
    func discover(tags: [String: String], in context: Context) async throws -> [DiscoveredResource] {
        throw PluginError(.unsupported, "\(type) cannot carry tags (it has no comment of its own), so unmanaged ones cannot be listed")
    }
}

/// What every call gets: the connections and the progress line of the request.
struct Context: Sendable {
    var connections: Connections
    var progress: ProgressReporter
    var settings: ConnectionSettings { connections.settings }
}

/// A resource's inputs, read by attribute name.
struct Inputs: Sendable {
    var values: [String: Value]

    init(_ values: [String: Value]) { self.values = values }

    subscript(_ key: String) -> Value? {
        guard let value = values[key], value != .null else { return nil }
        return value
    }
    func string(_ key: String) -> String? { self[key]?.stringValue }
    func bool(_ key: String) -> Bool? { self[key]?.boolValue }
    func int(_ key: String) -> Int? { self[key]?.numberValue.map { Int($0) } }
    func strings(_ key: String) -> [String]? { self[key]?.revealed.listValue?.compactMap(\.stringValue) }
    func isKnown(_ key: String) -> Bool { self[key]?.isKnown ?? true }

    /// The required string `key`, or an `invalid` error naming it.
    func require(_ key: String, for type: String) throws -> String {
        guard let value = string(key), !value.isEmpty else {
            throw PluginError(.invalid, "\(type): '\(key)' is required and must be a known string")
        }
        return value
    }
}

/// Checks shared by the types.
enum InputCheck {
    /// `key`, if set and known, is a valid identifier; with `role`, one a new role may have.
    /// (Roles only referred to, such as an owner, may be PostgreSQL's own: pg_database_owner.)
    static func identifier(_ inputs: Inputs, _ key: String, role: Bool = false) -> [CheckProblem] {
        guard inputs.isKnown(key), let value = inputs[key] else { return [] }
        guard let name = value.stringValue else { return [] }  // the kind check says it
        let problem = role ? SQL.problem(roleName: name, what: key) : SQL.problem(identifier: name, what: key)
        return problem.map { [CheckProblem(attribute: key, message: $0)] } ?? []
    }

    /// `key`, if set and known, is a list of valid role names (PostgreSQL's own, such as
    /// pg_read_all_data, included).
    static func roleList(_ inputs: Inputs, _ key: String) -> [CheckProblem] {
        guard inputs.isKnown(key), let items = inputs[key]?.revealed.listValue else { return [] }
        var problems: [CheckProblem] = []
        for item in items {
            guard let name = item.stringValue else {
                problems.append(CheckProblem(attribute: key, message: "\(key) must list role names (strings), not a \(item.typeName)"))
                continue
            }
            if let problem = SQL.problem(identifier: name, what: "\(key) entry") { problems.append(CheckProblem(attribute: key, message: problem)) }
        }
        return problems
    }

    /// `key`, if set and known, is a whole number of at least -1 (-1: no limit).
    static func connectionLimit(_ inputs: Inputs, _ key: String) -> [CheckProblem] {
        guard inputs.isKnown(key), let number = inputs[key]?.numberValue else { return [] }
        if number != number.rounded() || number < -1 || number > 1_000_000 {
            return [CheckProblem(attribute: key, message: "\(key) must be a whole number from -1 (no limit) up, not \(number)")]
        }
        return []
    }
}

/// Keeps the stack's spelling of values the server spells its own way.
enum Recorded {
    /// `recorded` when it means the same as `actual` (case-insensitively), else `actual`.
    static func spelling(_ actual: String, _ recorded: String?) -> String {
        if let recorded, recorded.caseInsensitiveCompare(actual) == .orderedSame { return recorded }
        return actual
    }

    /// A number with a server default (`-1`, `false`): reported when the stack set it or the
    /// server has something other than the default, so an unset attribute stays unset.
    static func defaulted(_ actual: Value, default: Value, recorded: Inputs?, _ key: String) -> Value? {
        if let recorded, recorded[key] == nil, actual == `default` { return nil }
        if recorded == nil, actual == `default` { return nil }
        return actual
    }

    /// A list of names: the stack's order when it holds the same names, else sorted.
    static func list(_ actual: [String], _ recorded: [String]?) -> [String] {
        if let recorded, Set(recorded) == Set(actual), recorded.count == actual.count { return recorded }
        return actual.sorted()
    }
}

/// The engine's tags (`strata:stack`, `strata:instance`, `strata:address`, `strata:token`),
/// kept as a JSON object in the object's comment (`COMMENT ON DATABASE … IS '{…}'`): that is
/// how a create retried with the same token finds what it made, and how `discover` finds
/// objects a stack instance made that its state does not know.
struct StrataComment: Sendable, Hashable {
    var tags: [String: String]

    var token: String? { tags["strata:token"] }

    var text: String {
        guard let data = try? JSONSerialization.data(withJSONObject: tags, options: [.sortedKeys, .withoutEscapingSlashes]) else { return "{}" }
        return String(decoding: data, as: UTF8.self)
    }

    init(tags: [String: String]) { self.tags = tags }

    /// The tags in a comment, or nil when the comment is not ours.
    init?(parsing comment: String?) {
        guard let comment, comment.hasPrefix("{"),
            let object = try? JSONSerialization.jsonObject(with: Data(comment.utf8)) as? [String: Any]
        else { return nil }
        let tags = object.compactMapValues { $0 as? String }
        guard tags.keys.contains(where: { $0.hasPrefix("strata:") }) else { return nil }
        self.tags = tags
    }

    /// True when every one of `wanted` is among the tags with that value.
    func matches(_ wanted: [String: String]) -> Bool {
        wanted.allSatisfy { tags[$0.key] == $0.value }
    }
}

/// Where a kind of object keeps its Strata comment: its catalog, the catalog's name column,
/// and the function that reads comments (`shobj_description` for objects the whole server
/// shares — databases, roles — `obj_description` for the objects of one database — schemas).
struct CommentCatalog: Sendable {
    let table: String
    let nameColumn: String
    let function: String
    let classCatalog: String

    static let databases = CommentCatalog(table: "pg_database", nameColumn: "datname", function: "shobj_description", classCatalog: "pg_database")
    static let roles = CommentCatalog(table: "pg_roles", nameColumn: "rolname", function: "shobj_description", classCatalog: "pg_authid")
    static let schemas = CommentCatalog(table: "pg_namespace", nameColumn: "nspname", function: "obj_description", classCatalog: "pg_namespace")

    private var description: String { "\(function)(oid, '\(classCatalog)')" }

    /// The comment of the object called `name` (in `database`, for per-database objects).
    func comment(of name: String, database: String? = nil, in context: Context) async throws -> StrataComment? {
        let rows = try await context.connections.with(database: database) { c in
            try await c.query(
                "SELECT \(unescaped: description) FROM \(unescaped: table) WHERE \(unescaped: nameColumn) = \(name)",
                logger: context.connections.logger
            ).collect()
        }
        return StrataComment(parsing: try rows.first?.decode(String?.self))
    }

    /// Every object (in `database`, for per-database objects) whose Strata comment holds all
    /// of `tags`: its name and comment.
    func tagged(_ tags: [String: String], database: String? = nil, in context: Context) async throws -> [(name: String, comment: StrataComment)] {
        let rows = try await context.connections.with(database: database) { c in
            try await c.query(
                "SELECT \(unescaped: nameColumn)::text, \(unescaped: description) FROM \(unescaped: table) WHERE \(unescaped: description) LIKE '{%strata:%'",
                logger: context.connections.logger
            ).collect()
        }
        var found: [(name: String, comment: StrataComment)] = []
        for row in rows {
            let (name, text) = try row.decode((String, String?).self)
            if let comment = StrataComment(parsing: text), comment.matches(tags) { found.append((name, comment)) }
        }
        return found
    }
}

/// An object that lives in one database (a schema, an extension): its id is
/// `database.name`, each part quoted when it holds '.', '"' or a space.
protocol DatabaseScoped: PostgresResource {
    /// What the id's second part names, for errors: `schema`, `extension`.
    var objectNoun: String { get }
}

extension DatabaseScoped {
    func id(for inputs: Inputs) throws -> String {
        QualifiedID.format([try inputs.require("database", for: type), try inputs.require("name", for: type)])
    }

    /// The database and name of an id.
    func parts(_ id: String) throws -> (database: String, name: String) {
        guard let parts = QualifiedID.parse(id), parts.count == 2 else {
            throw PluginError(.invalid, "\(type) id must be database.\(objectNoun) (a part with '.', '\"' or a space in double quotes), not '\(id)'")
        }
        return (parts[0], parts[1])
    }
}
