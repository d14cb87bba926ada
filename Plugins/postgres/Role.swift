import Foundation
import PostgresNIO
import StrataModel
import StrataPluginKit

/// `postgresql_role`: a role (a user when it can log in). Its id is its name, which cannot
/// change (a new name replaces it); everything else changes in place with ALTER ROLE and
/// GRANT/REVOKE. The password is secret; PostgreSQL keeps only a hash of it, so a read reports
/// the recorded password while the role still has one. Tagged through its comment.
///
/// Dropping a role that still owns objects or holds privileges reassigns what it owns to the
/// provider's user and drops its privileges (REASSIGN OWNED, DROP OWNED) in every database
/// where it has any, then drops it: its data stays, owned by the administrator.
struct RoleResource: PostgresResource {
    let type = "postgresql_role"

    var schema: ResourceSchema {
        ResourceSchema(
            description: "A role: a user when login is true.",
            attributes: [
                "name": .init(.string, .required, forcesReplacement: true, description: "The role's name (any characters; quoted)."),
                "login": .init(.bool, .optional, description: "It can log in (default false)."),
                "password": .init(.string, .optional, secret: true, description: "Its password (typically a random_password's result)."),
                "connectionLimit": .init(.number, .optional, description: "At most this many sessions at once; -1 or unset: no limit."),
                "memberOf": .init(.list, .optional, description: "Roles it is a member of (and inherits the privileges of)."),
                "createDatabase": .init(.bool, .optional, description: "It may create databases (default false)."),
                "createRole": .init(.bool, .optional, description: "It may create roles (default false)."),
                "id": .init(.string, .computed),
            ], typicalCreateSeconds: 0.1)
    }

    func check(_ inputs: Inputs) -> [CheckProblem] {
        var problems = InputCheck.identifier(inputs, "name", role: true) + InputCheck.connectionLimit(inputs, "connectionLimit")
            + InputCheck.roleList(inputs, "memberOf")
        if inputs.isKnown("password"), let password = inputs.string("password") {
            if let problem = SQL.problem(literal: password, what: "password") { problems.append(CheckProblem(attribute: "password", message: problem)) }
        }
        if inputs.isKnown("memberOf"), inputs.isKnown("name"), let name = inputs.string("name"), inputs.strings("memberOf")?.contains(name) == true {
            problems.append(CheckProblem(attribute: "memberOf", message: "a role cannot be a member of itself ('\(name)')"))
        }
        return problems
    }

    func id(for inputs: Inputs) throws -> String { try inputs.require("name", for: type) }

    /// `LOGIN CONNECTION LIMIT 5 …`: the options of CREATE/ALTER ROLE the inputs declare.
    private func options(_ inputs: Inputs, password: Bool) -> String {
        var words = [
            inputs.bool("login") == true ? "LOGIN" : "NOLOGIN",
            inputs.bool("createDatabase") == true ? "CREATEDB" : "NOCREATEDB",
            inputs.bool("createRole") == true ? "CREATEROLE" : "NOCREATEROLE",
            "CONNECTION LIMIT \(inputs.int("connectionLimit") ?? -1)",
        ]
        if password {
            // Sent as a SCRAM verifier made here, so the password itself never leaves.
            words.append(inputs.string("password").map { "PASSWORD \(SQL.literal(ScramVerifier.handles($0) ? ScramVerifier.make($0) : $0))" } ?? "PASSWORD NULL")
        }
        return words.joined(separator: " ")
    }

    func create(_ inputs: Inputs, comment: StrataComment, in context: Context) async throws {
        let name = try id(for: inputs)
        var statements = [
            "CREATE ROLE \(SQL.identifier(name)) \(options(inputs, password: inputs.string("password") != nil))",
            "COMMENT ON ROLE \(SQL.identifier(name)) IS \(SQL.literal(comment.text))",
        ]
        for parent in inputs.strings("memberOf") ?? [] { statements.append("GRANT \(SQL.identifier(parent)) TO \(SQL.identifier(name))") }
        let all = statements
        try await context.connections.with { c in try await c.transaction(all, logger: context.connections.logger) }
    }

    func read(id: String, recorded: Inputs?, in context: Context) async throws -> [String: Value]? {
        let logger = context.connections.logger
        let (rows, parents) = try await context.connections.with { c in
            let rows = try await c.query(
                "SELECT rolname::text, rolcanlogin, rolconnlimit, rolcreatedb, rolcreaterole FROM pg_roles WHERE rolname = \(id)",
                logger: logger
            ).collect()
            let parents = try await c.query(
                """
                SELECT r.rolname::text FROM pg_auth_members m
                JOIN pg_roles r ON r.oid = m.roleid JOIN pg_roles u ON u.oid = m.member
                WHERE u.rolname = \(id) ORDER BY 1
                """, logger: logger
            ).collect()
            return (rows, parents)
        }
        guard let row = rows.first else { return nil }
        let (name, login, limit, createDB, createRole) = try row.decode((String, Bool, Int32, Bool, Bool).self)
        let memberOf = try parents.map { try $0.decode(String.self) }
        var outputs: [String: Value] = ["id": .string(name), "name": .string(name)]
        outputs["login"] = Recorded.defaulted(.bool(login), default: .bool(false), recorded: recorded, "login")
        outputs["createDatabase"] = Recorded.defaulted(.bool(createDB), default: .bool(false), recorded: recorded, "createDatabase")
        outputs["createRole"] = Recorded.defaulted(.bool(createRole), default: .bool(false), recorded: recorded, "createRole")
        outputs["connectionLimit"] = Recorded.defaulted(.number(Double(limit)), default: .number(-1), recorded: recorded, "connectionLimit")
        if !memberOf.isEmpty || recorded?["memberOf"] != nil {
            outputs["memberOf"] = .list(Recorded.list(memberOf, recorded?.strings("memberOf")).map { .string($0) })
        }
        // Only a verifier is kept: the recorded password stands while it matches it (or while
        // that cannot be told: pg_authid is for superusers, MD5 verifiers are not checked).
        if let password = recorded?.string("password") {
            switch try await verifier(id, context) {
            case .some(nil): outputs["password"] = .null  // removed out of band
            case .some(let verifier?) where ScramVerifier.matches(password, verifier: verifier) == false:
                outputs["password"] = .secret(.string(Self.changedPassword))
            default: outputs["password"] = .secret(.string(password))
            }
        }
        return outputs
    }

    /// What a read reports for a password changed out of band (the new one cannot be known).
    static let changedPassword = "(changed outside Strata)"

    /// The role's password verifier: nil when it cannot be read (not a superuser), .some(nil)
    /// when the role has no password.
    private func verifier(_ id: String, _ context: Context) async throws -> String?? {
        do {
            let rows = try await context.connections.with { c in
                try await c.query("SELECT rolpassword FROM pg_authid WHERE rolname = \(id)", logger: context.connections.logger).collect()
            }
            guard let row = rows.first else { return nil }
            return .some(try row.decode(String?.self))
        } catch where PostgresFailure.sqlState(error) == "42501" {
            return nil
        }
    }

    func update(id: String, prior: Inputs, inputs: Inputs, in context: Context) async throws {
        let logger = context.connections.logger
        let name = SQL.identifier(id)
        // Always (a fresh verifier each time): the server's may have changed out of band.
        let changePassword = true
        let declared = Set(inputs.strings("memberOf") ?? [])
        let alter = "ALTER ROLE \(name) \(options(inputs, password: changePassword))"
        try await context.connections.with { c in
            let current = Set(try await c.query(
                """
                SELECT r.rolname::text FROM pg_auth_members m
                JOIN pg_roles r ON r.oid = m.roleid JOIN pg_roles u ON u.oid = m.member WHERE u.rolname = \(id)
                """, logger: logger
            ).collect().map { try $0.decode(String.self) })
            var statements = [alter]
            for parent in current.subtracting(declared).sorted() { statements.append("REVOKE \(SQL.identifier(parent)) FROM \(name)") }
            for parent in declared.subtracting(current).sorted() { statements.append("GRANT \(SQL.identifier(parent)) TO \(name)") }
            try await c.transaction(statements, logger: logger)
        }
    }

    func delete(id: String, inputs: Inputs, in context: Context) async throws {
        let logger = context.connections.logger
        let drop = "DROP ROLE IF EXISTS \(SQL.identifier(id))"
        do {
            try await context.connections.with { c in try await c.run(drop, logger: logger) }
            return
        } catch where PostgresFailure.sqlState(error) == "2BP01" {
            context.progress.report("\(id) still owns objects or holds privileges: reassigning and revoking them")
        }
        // Where it owns objects or holds privileges, and the provider's own database.
        let databases = try await context.connections.with { c in
            try await c.query(
                """
                SELECT DISTINCT d.datname::text FROM pg_shdepend s JOIN pg_database d ON d.oid = s.dbid
                WHERE s.refclassid = 'pg_authid'::regclass AND s.refobjid = (SELECT oid FROM pg_roles WHERE rolname = \(id))
                  AND d.datallowconn
                """, logger: logger
            ).collect().map { try $0.decode(String.self) }
        }
        for database in Set(databases + [context.settings.database]).sorted() {
            try await context.connections.with(database: database) { c in
                try await c.transaction([
                    "REASSIGN OWNED BY \(SQL.identifier(id)) TO CURRENT_USER", "DROP OWNED BY \(SQL.identifier(id))",
                ], logger: logger)
            }
        }
        try await context.connections.with { c in try await c.run(drop, logger: logger) }
    }

    func comment(id: String, in context: Context) async throws -> StrataComment? {
        try await CommentCatalog.roles.comment(of: id, in: context)
    }

    func discover(tags: [String: String], in context: Context) async throws -> [DiscoveredResource] {
        var found: [DiscoveredResource] = []
        for (name, comment) in try await CommentCatalog.roles.tagged(tags, in: context) {
            guard let outputs = try await read(id: name, recorded: nil, in: context) else { continue }
            found.append(DiscoveredResource(id: name, outputs: outputs, tags: comment.tags))
        }
        return found
    }
}
