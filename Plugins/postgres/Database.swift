import Foundation
import PostgresNIO
import StrataModel
import StrataPluginKit

/// `postgresql_database`: a database. Its id is its name. Name, encoding and template are
/// fixed at creation (a change replaces it: the old one is dropped WITH (FORCE), ending its
/// sessions); owner and connection limit change in place. Tagged through its comment.
struct DatabaseResource: PostgresResource {
    let type = "postgresql_database"

    var schema: ResourceSchema {
        ResourceSchema(
            description: "A database on the server.",
            attributes: [
                "name": .init(.string, .required, forcesReplacement: true, description: "The database's name (any characters; quoted)."),
                "owner": .init(.string, .optionalComputed, description: "The role that owns it; default: the provider's user."),
                "encoding": .init(.string, .optionalComputed, forcesReplacement: true, description: "Character set, e.g. UTF8; default: the template's."),
                "template": .init(.string, .optional, forcesReplacement: true, description: "The database it is copied from (template1 by default, template0 for another encoding)."),
                "connectionLimit": .init(.number, .optional, description: "At most this many sessions at once; -1 or unset: no limit."),
                "id": .init(.string, .computed),
            ], typicalCreateSeconds: 0.5)
    }

    func check(_ inputs: Inputs) -> [CheckProblem] {
        var problems = InputCheck.identifier(inputs, "name") + InputCheck.identifier(inputs, "owner")
            + InputCheck.identifier(inputs, "template") + InputCheck.connectionLimit(inputs, "connectionLimit")
        if inputs.isKnown("encoding"), let encoding = inputs.string("encoding"),
            encoding.isEmpty || !encoding.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "_" || $0 == "-") })
        {
            problems.append(CheckProblem(attribute: "encoding", message: "encoding must be a character set name such as UTF8, not '\(encoding)'"))
        }
        return problems
    }

    func id(for inputs: Inputs) throws -> String { try inputs.require("name", for: type) }

    func create(_ inputs: Inputs, comment: StrataComment, in context: Context) async throws {
        let name = try id(for: inputs)
        var statement = "CREATE DATABASE \(SQL.identifier(name))"
        if let owner = inputs.string("owner") { statement += " OWNER \(SQL.identifier(owner))" }
        if let template = inputs.string("template") { statement += " TEMPLATE \(SQL.identifier(template))" }
        if let encoding = inputs.string("encoding") { statement += " ENCODING \(SQL.literal(encoding))" }
        if let limit = inputs.int("connectionLimit") { statement += " CONNECTION LIMIT \(limit)" }
        let created = statement
        try await context.connections.with { c in
            // CREATE DATABASE cannot run in a transaction; the comment follows it.
            try await c.run(created, logger: context.connections.logger)
            try await c.run("COMMENT ON DATABASE \(SQL.identifier(name)) IS \(SQL.literal(comment.text))", logger: context.connections.logger)
        }
    }

    func read(id: String, recorded: Inputs?, in context: Context) async throws -> [String: Value]? {
        let rows = try await context.connections.with { c in
            try await c.query(
                """
                SELECT datname::text, pg_get_userbyid(datdba)::text, pg_encoding_to_char(encoding)::text, datconnlimit
                FROM pg_database WHERE datname = \(id)
                """, logger: context.connections.logger
            ).collect()
        }
        guard let row = rows.first else { return nil }
        let (name, owner, encoding, limit) = try row.decode((String, String, String, Int32).self)
        var outputs: [String: Value] = [
            "id": .string(name), "name": .string(name),
            "owner": .string(owner),  // role names are case-sensitive: as it is
            "encoding": .string(Recorded.spelling(encoding, recorded?.string("encoding"))),
        ]
        outputs["connectionLimit"] = Recorded.defaulted(.number(Double(limit)), default: .number(-1), recorded: recorded, "connectionLimit")
        // Which template it was copied from is not kept by PostgreSQL.
        if let template = recorded?.string("template") { outputs["template"] = .string(template) }
        return outputs
    }

    func update(id: String, prior: Inputs, inputs: Inputs, in context: Context) async throws {
        var statements: [String] = []
        let name = SQL.identifier(id)
        // Everything declared, whatever the prior values: the server may have drifted from them.
        if let owner = inputs.string("owner") { statements.append("ALTER DATABASE \(name) OWNER TO \(SQL.identifier(owner))") }
        statements.append("ALTER DATABASE \(name) CONNECTION LIMIT \(inputs.int("connectionLimit") ?? -1)")
        let all = statements
        try await context.connections.with { c in try await c.transaction(all, logger: context.connections.logger) }
    }

    func delete(id: String, inputs: Inputs, in context: Context) async throws {
        await context.connections.closeIdle(database: id)
        try await context.connections.with { c in
            try await c.run("DROP DATABASE IF EXISTS \(SQL.identifier(id)) WITH (FORCE)", logger: context.connections.logger)
        }
    }

    func comment(id: String, in context: Context) async throws -> StrataComment? {
        try await CommentCatalog.databases.comment(of: id, in: context)
    }

    func discover(tags: [String: String], in context: Context) async throws -> [DiscoveredResource] {
        var found: [DiscoveredResource] = []
        for (name, comment) in try await CommentCatalog.databases.tagged(tags, in: context) {
            guard let outputs = try await read(id: name, recorded: nil, in: context) else { continue }
            found.append(DiscoveredResource(id: name, outputs: outputs, tags: comment.tags))
        }
        return found
    }
}
