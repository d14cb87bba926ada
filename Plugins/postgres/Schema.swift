import Foundation
import PostgresNIO
import StrataModel
import StrataPluginKit

/// `postgresql_schema`: a schema in a database. Its id is `database.schema` (`QualifiedID`);
/// its database and name cannot change (a change replaces it), its owner changes in place.
/// Tagged through its comment. Dropping a schema that still holds objects fails unless
/// `dropCascade` is true.
struct SchemaResource: DatabaseScoped {
    let objectNoun = "schema"
    let type = "postgresql_schema"

    var schema: ResourceSchema {
        ResourceSchema(
            description: "A schema in a database.",
            attributes: [
                "database": .init(.string, .required, forcesReplacement: true, description: "The database it is in."),
                "name": .init(.string, .required, forcesReplacement: true, description: "The schema's name (any characters; quoted)."),
                "owner": .init(.string, .optionalComputed, description: "The role that owns it; default: the provider's user."),
                "dropCascade": .init(.bool, .optional, description: "On destroy, drop what it still holds too (default false: refuse)."),
                "id": .init(.string, .computed),
            ], typicalCreateSeconds: 0.1)
    }

    func check(_ inputs: Inputs) -> [CheckProblem] {
        var problems = InputCheck.identifier(inputs, "database") + InputCheck.identifier(inputs, "name") + InputCheck.identifier(inputs, "owner")
        if inputs.isKnown("name"), let name = inputs.string("name"), name.lowercased().hasPrefix("pg_") {
            problems.append(CheckProblem(attribute: "name", message: "schema names starting with 'pg_' are reserved by PostgreSQL"))
        }
        return problems
    }

    func create(_ inputs: Inputs, comment: StrataComment, in context: Context) async throws {
        let (database, name) = try parts(try id(for: inputs))
        var statement = "CREATE SCHEMA \(SQL.identifier(name))"
        if let owner = inputs.string("owner") { statement += " AUTHORIZATION \(SQL.identifier(owner))" }
        let statements = [statement, "COMMENT ON SCHEMA \(SQL.identifier(name)) IS \(SQL.literal(comment.text))"]
        try await context.connections.with(database: database) { c in try await c.transaction(statements, logger: context.connections.logger) }
    }

    func read(id: String, recorded: Inputs?, in context: Context) async throws -> [String: Value]? {
        let (database, name) = try parts(id)
        let rows: [PostgresRow]
        do {
            rows = try await context.connections.with(database: database) { c in
                try await c.query(
                    "SELECT nspname::text, pg_get_userbyid(nspowner)::text FROM pg_namespace WHERE nspname = \(name)",
                    logger: context.connections.logger
                ).collect()
            }
        } catch let error as PluginError where error.kind == .notFound {
            return nil  // the database is gone, and the schema with it
        }
        guard let row = rows.first else { return nil }
        let (actual, owner) = try row.decode((String, String).self)
        var outputs: [String: Value] = [
            "id": .string(id), "database": .string(database), "name": .string(actual),
            "owner": .string(owner),  // role names are case-sensitive: as it is
        ]
        if let cascade = recorded?.bool("dropCascade") { outputs["dropCascade"] = .bool(cascade) }
        return outputs
    }

    func update(id: String, prior: Inputs, inputs: Inputs, in context: Context) async throws {
        let (database, name) = try parts(id)
        guard let owner = inputs.string("owner") else { return }  // dropCascade lives in the state only
        try await context.connections.with(database: database) { c in
            try await c.run("ALTER SCHEMA \(SQL.identifier(name)) OWNER TO \(SQL.identifier(owner))", logger: context.connections.logger)
        }
    }

    func delete(id: String, inputs: Inputs, in context: Context) async throws {
        let (database, name) = try parts(id)
        let statement = "DROP SCHEMA IF EXISTS \(SQL.identifier(name))" + (inputs.bool("dropCascade") == true ? " CASCADE" : "")
        do {
            try await context.connections.with(database: database) { c in try await c.run(statement, logger: context.connections.logger) }
        } catch let error as PluginError where error.kind == .notFound {
            return  // the database is gone already
        } catch where PostgresFailure.sqlState(error) == "2BP01" {
            throw PluginError(
                .conflict, "schema \(name) in \(database) still holds objects: drop them, or set dropCascade: true to drop them with it",
                providerCode: "2BP01")
        }
    }

    func comment(id: String, in context: Context) async throws -> StrataComment? {
        let (database, name) = try parts(id)
        return try await CommentCatalog.schemas.comment(of: name, database: database, in: context)
    }

    /// Looks in every database that takes connections, but those another stack instance made:
    /// their schemas are that instance's. (A fleet of 200 tenants with a database each would
    /// otherwise connect to all 200 databases to sweep each tenant.)
    func discover(tags: [String: String], in context: Context) async throws -> [DiscoveredResource] {
        let logger = context.connections.logger
        let rows = try await context.connections.with { c in
            try await c.query(
                "SELECT datname::text, shobj_description(oid, 'pg_database') FROM pg_database WHERE datallowconn AND NOT datistemplate ORDER BY 1",
                logger: logger
            ).collect()
        }
        var databases: [String] = []
        for row in rows {
            let (name, text) = try row.decode((String, String?).self)
            // Untagged (shared, or made by hand), or made by this very instance.
            if let comment = StrataComment(parsing: text), !comment.matches(tags) { continue }
            databases.append(name)
        }
        var found: [DiscoveredResource] = []
        for database in databases {
            for (name, comment) in try await CommentCatalog.schemas.tagged(tags, database: database, in: context) {
                let id = QualifiedID.format([database, name])
                guard let outputs = try await read(id: id, recorded: nil, in: context) else { continue }
                found.append(DiscoveredResource(id: id, outputs: outputs, tags: comment.tags))
            }
        }
        return found
    }
}
