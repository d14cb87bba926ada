import Foundation
import PostgresNIO
import StrataModel
import StrataPluginKit

/// `postgresql_grant`: the privileges one role holds on a database, a schema, or all the
/// tables or sequences of a schema — exactly those: a create or update revokes what is not
/// declared and grants what is, in one transaction. Its id is
/// `database.role.objectType[.schema]` (`QualifiedID`). Privileges change in place; the rest
/// replaces it. With no privileges left, it is gone. Not tagged (a grant has no comment), so
/// creating one where the role already holds privileges takes them over.
///
/// `table` and `sequence` grants cover the tables (sequences) that exist in the schema when
/// it is applied (GRANT … ON ALL TABLES IN SCHEMA); while the schema has none, a read reports
/// the declared privileges.
struct GrantResource: PostgresResource {
    let type = "postgresql_grant"
    var tagged: Bool { false }
    var takesOverExisting: Bool { true }
    /// GRANT and REVOKE on one object at the same moment fail ("tuple concurrently
    /// updated"): the grants of one object take turns.
    let turns = Turns()

    /// What can be granted on each object type, as GRANT spells it.
    static let privileges: [String: [String]] = [
        "database": ["CONNECT", "CREATE", "TEMPORARY"],
        "schema": ["CREATE", "USAGE"],
        "table": ["DELETE", "INSERT", "REFERENCES", "SELECT", "TRIGGER", "TRUNCATE", "UPDATE"],
        "sequence": ["SELECT", "UPDATE", "USAGE"],
    ]

    var schema: ResourceSchema {
        ResourceSchema(
            description: "The privileges a role holds on a database, a schema, or the tables or sequences of a schema.",
            attributes: [
                "database": .init(.string, .required, forcesReplacement: true, description: "The database (the object, or where the schema is)."),
                "role": .init(.string, .required, forcesReplacement: true, description: "The role that gets the privileges (PUBLIC: every role)."),
                "objectType": .init(.string, .required, forcesReplacement: true, description: "database, schema, table or sequence."),
                "schema": .init(.string, .optional, forcesReplacement: true, description: "The schema (for schema, table and sequence grants)."),
                "privileges": .init(.list, .required, description: "e.g. [CONNECT, TEMPORARY], [USAGE], [SELECT, INSERT] or [ALL]."),
                "id": .init(.string, .computed),
            ], typicalCreateSeconds: 0.1)
    }

    func check(_ inputs: Inputs) -> [CheckProblem] {
        var problems = InputCheck.identifier(inputs, "database") + InputCheck.identifier(inputs, "schema")
        problems += InputCheck.identifier(inputs, "role")
        guard inputs.isKnown("objectType"), let objectType = inputs.string("objectType") else { return problems }
        guard let allowed = Self.privileges[objectType] else {
            return problems + [CheckProblem(attribute: "objectType", message: "objectType must be database, schema, table or sequence, not '\(objectType)'")]
        }
        if inputs.isKnown("schema") {
            if objectType == "database", inputs["schema"] != nil {
                problems.append(CheckProblem(attribute: "schema", message: "a database grant has no schema: leave schema unset"))
            } else if objectType != "database", inputs["schema"] == nil {
                problems.append(CheckProblem(attribute: "schema", message: "a \(objectType) grant needs the schema it is in"))
            }
        }
        if inputs.isKnown("privileges"), let items = inputs["privileges"]?.revealed.listValue {
            if items.isEmpty {
                problems.append(CheckProblem(attribute: "privileges", message: "privileges must name at least one (to take all away, remove the grant)"))
            }
            for item in items {
                guard let word = item.stringValue else {
                    problems.append(CheckProblem(attribute: "privileges", message: "privileges must be strings, not a \(item.typeName)"))
                    continue
                }
                if Self.normalise(word) == nil || !(allowed + ["ALL"]).contains(Self.normalise(word)!) {
                    problems.append(CheckProblem(attribute: "privileges", message: "'\(word)' cannot be granted on a \(objectType) (known: \((allowed + ["ALL"]).joined(separator: ", ")))"))
                }
            }
        }
        return problems
    }

    /// A privilege as GRANT spells it (`temp` → TEMPORARY, `all privileges` → ALL).
    static func normalise(_ word: String) -> String? {
        let upper = word.trimmingCharacters(in: .whitespaces).uppercased()
        switch upper {
        case "TEMP": return "TEMPORARY"
        case "ALL PRIVILEGES": return "ALL"
        default: return upper.allSatisfy({ $0.isLetter }) ? upper : nil
        }
    }

    /// The declared privileges as a set, ALL expanded.
    static func expanded(_ words: [String], objectType: String) -> Set<String> {
        let all = Set(privileges[objectType] ?? [])
        var set: Set<String> = []
        for word in words {
            guard let privilege = normalise(word) else { continue }
            if privilege == "ALL" { set.formUnion(all) } else { set.insert(privilege) }
        }
        return set
    }

    /// What a grant is about, from its inputs or its id.
    struct Target: Sendable {
        var database: String
        var role: String
        var objectType: String
        var schema: String?

        var id: String { QualifiedID.format([database, role, objectType] + (schema.map { [$0] } ?? [])) }
        /// PUBLIC is the keyword, not a role named "public".
        var grantee: String { role.uppercased() == "PUBLIC" ? "PUBLIC" : SQL.identifier(role) }
        /// `ON DATABASE "d"`, `ON ALL TABLES IN SCHEMA "s"`, …
        var on: String {
            switch objectType {
            case "database": return "DATABASE \(SQL.identifier(database))"
            case "schema": return "SCHEMA \(SQL.identifier(schema ?? ""))"
            case "table": return "ALL TABLES IN SCHEMA \(SQL.identifier(schema ?? ""))"
            default: return "ALL SEQUENCES IN SCHEMA \(SQL.identifier(schema ?? ""))"
            }
        }
        /// Database grants are made from the provider's database; the others inside theirs.
        var connectTo: String? { objectType == "database" ? nil : database }
        var turnKey: String { QualifiedID.format([database, objectType, schema ?? ""]) }
    }

    func target(_ inputs: Inputs) throws -> Target {
        let objectType = try inputs.require("objectType", for: type)
        guard Self.privileges[objectType] != nil else { throw PluginError(.invalid, "\(type): objectType must be database, schema, table or sequence, not '\(objectType)'") }
        return Target(database: try inputs.require("database", for: type), role: try inputs.require("role", for: type),
                      objectType: objectType, schema: objectType == "database" ? nil : try inputs.require("schema", for: type))
    }

    func target(id: String) throws -> Target {
        guard let parts = QualifiedID.parse(id), parts.count == 3 || parts.count == 4, Self.privileges[parts[2]] != nil,
            (parts[2] == "database") == (parts.count == 3)
        else {
            throw PluginError(.invalid, "\(type) id must be database.role.database or database.role.schema|table|sequence.schema (a part with '.', '\"' or a space in double quotes), not '\(id)'")
        }
        return Target(database: parts[0], role: parts[1], objectType: parts[2], schema: parts.count == 4 ? parts[3] : nil)
    }

    func id(for inputs: Inputs) throws -> String { try target(inputs).id }

    func create(_ inputs: Inputs, comment: StrataComment, in context: Context) async throws {
        try await apply(try target(inputs), inputs, context)
    }

    func update(id: String, prior: Inputs, inputs: Inputs, in context: Context) async throws {
        try await apply(try target(id: id), inputs, context)
    }

    /// Revokes everything, then grants what is declared, in one transaction.
    private func apply(_ target: Target, _ inputs: Inputs, _ context: Context) async throws {
        let declared = Self.expanded(inputs.strings("privileges") ?? [], objectType: target.objectType).sorted()
        guard !declared.isEmpty else { throw PluginError(.invalid, "\(type) \(target.id): privileges must name at least one") }
        let statements = [
            "REVOKE ALL ON \(target.on) FROM \(target.grantee)",
            "GRANT \(declared.joined(separator: ", ")) ON \(target.on) TO \(target.grantee)",
        ]
        try await turns.run(target.turnKey) {
            try await context.connections.with(database: target.connectTo) { c in
                try await c.transaction(statements, logger: context.connections.logger)
            }
        }
    }

    func read(id: String, recorded: Inputs?, in context: Context) async throws -> [String: Value]? {
        let target = try target(id: id)
        let held: Set<String>?
        do {
            held = try await privileges(target, context)
        } catch let error as PluginError where error.kind == .notFound {
            return nil  // the database is gone
        }
        let declared = recorded?.strings("privileges")
        let actual: [String]
        if let held {
            guard !held.isEmpty else { return nil }
            if let declared, Self.expanded(declared, objectType: target.objectType) == held {
                actual = declared
            } else {
                actual = held.sorted()
            }
        } else {
            // No table (sequence) in the schema yet: nothing says otherwise.
            guard let declared else { return nil }
            actual = declared
        }
        var outputs: [String: Value] = [
            "id": .string(id), "database": .string(target.database), "role": .string(target.role),
            "objectType": .string(target.objectType), "privileges": .list(actual.map { .string($0) }),
        ]
        if let schema = target.schema { outputs["schema"] = .string(schema) }
        return outputs
    }

    /// What the role holds on the object: nil when a table or sequence grant's schema has no
    /// tables (sequences) to say; an empty set when the role, the schema or the privileges are
    /// gone.
    private func privileges(_ target: Target, _ context: Context) async throws -> Set<String>? {
        let logger = context.connections.logger
        let role = target.role.uppercased() == "PUBLIC" ? nil : target.role
        return try await context.connections.with(database: target.connectTo) { c in
            // 0 is PUBLIC in an ACL; a role that is gone holds nothing.
            let grantee: Int64
            if let role {
                let rows = try await c.query("SELECT oid::int8 FROM pg_roles WHERE rolname = \(role)", logger: logger).collect()
                guard let oid = try rows.first?.decode(Int64.self) else { return [] }
                grantee = oid
            } else {
                grantee = 0
            }
            switch target.objectType {
            case "database":
                let rows = try await c.query(
                    """
                    SELECT a.privilege_type::text FROM pg_database d, aclexplode(d.datacl) a
                    WHERE d.datname = \(target.database) AND a.grantee::int8 = \(grantee)
                    """, logger: logger
                ).collect()
                return Set(try rows.map { try $0.decode(String.self) })
            case "schema":
                let rows = try await c.query(
                    """
                    SELECT a.privilege_type::text FROM pg_namespace n, aclexplode(n.nspacl) a
                    WHERE n.nspname = \(target.schema ?? "") AND a.grantee::int8 = \(grantee)
                    """, logger: logger
                ).collect()
                return Set(try rows.map { try $0.decode(String.self) })
            default:
                let kinds = target.objectType == "table" ? "rpvmf" : "S"
                let exists = try await c.query("SELECT count(*)::int8 FROM pg_namespace WHERE nspname = \(target.schema ?? "")", logger: logger)
                    .collect().first?.decode(Int64.self) ?? 0
                guard exists > 0 else { return [] }
                // Per object: its privileges for the role; the grant holds what every one has.
                let rows = try await c.query(
                    """
                    SELECT c.relname::text, COALESCE(string_agg(a.privilege_type, ',' ORDER BY a.privilege_type), '')
                    FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
                    LEFT JOIN LATERAL aclexplode(c.relacl) a ON a.grantee::int8 = \(grantee)
                    WHERE n.nspname = \(target.schema ?? "") AND strpos(\(kinds), c.relkind::text) > 0
                    GROUP BY c.relname
                    """, logger: logger
                ).collect()
                guard !rows.isEmpty else { return nil }
                var common: Set<String>?
                for row in rows {
                    let (_, list) = try row.decode((String, String).self)
                    let set = Set(list.split(separator: ",").map(String.init))
                    common = common.map { $0.intersection(set) } ?? set
                }
                return common ?? []
            }
        }
    }

    func delete(id: String, inputs: Inputs, in context: Context) async throws {
        let target = try target(id: id)
        let statement = "REVOKE ALL ON \(target.on) FROM \(target.grantee)"
        do {
            try await turns.run(target.turnKey) {
                try await context.connections.with(database: target.connectTo) { c in try await c.run(statement, logger: context.connections.logger) }
            }
        } catch let error as PluginError where error.kind == .notFound {
            return  // the database is gone
        } catch where ["42704", "3F000", "3D000"].contains(PostgresFailure.sqlState(error) ?? "") {
            return  // the role, the schema or the database is gone: so are its privileges
        }
    }
}

/// Runs the bodies given the same key one after another (others at once).
actor Turns {
    private var busy: Set<String> = []
    private var waiting: [String: [CheckedContinuation<Void, Never>]] = [:]

    func run<T: Sendable>(_ key: String, _ body: @Sendable () async throws -> T) async throws -> T {
        while busy.contains(key) {
            await withCheckedContinuation { waiting[key, default: []].append($0) }
        }
        busy.insert(key)
        defer {
            busy.remove(key)
            if var queue = waiting[key], !queue.isEmpty {
                queue.removeFirst().resume()
                waiting[key] = queue.isEmpty ? nil : queue
            }
        }
        return try await body()
    }
}
