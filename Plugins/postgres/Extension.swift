import Foundation
import PostgresNIO
import StrataModel
import StrataPluginKit

/// `postgresql_extension`: an extension installed in a database (only those the server
/// ships: Debian's has pgcrypto, uuid-ossp, citext, hstore, …). Its id is
/// `database.extension`. Schema and version change in place (ALTER EXTENSION … SET SCHEMA /
/// UPDATE TO). Not tagged: an extension's comment is its authors' description, so it is kept,
/// and an extension that exists already is a conflict to import, not something to adopt.
struct ExtensionResource: DatabaseScoped {
    let objectNoun = "extension"
    let type = "postgresql_extension"
    var tagged: Bool { false }

    var schema: ResourceSchema {
        ResourceSchema(
            description: "An extension installed in a database.",
            attributes: [
                "database": .init(.string, .required, forcesReplacement: true, description: "The database it is installed in."),
                "name": .init(.string, .required, forcesReplacement: true, description: "The extension, e.g. pgcrypto, uuid-ossp, citext."),
                "schema": .init(.string, .optionalComputed, description: "The schema its objects go in; default: the first of the search path."),
                "version": .init(.string, .optionalComputed, description: "Its version; default: the one the server ships."),
                "id": .init(.string, .computed),
            ], typicalCreateSeconds: 0.3)
    }

    func check(_ inputs: Inputs) -> [CheckProblem] {
        var problems = InputCheck.identifier(inputs, "database") + InputCheck.identifier(inputs, "name") + InputCheck.identifier(inputs, "schema")
        if inputs.isKnown("version"), let version = inputs.string("version"), let problem = SQL.problem(literal: version, what: "version") {
            problems.append(CheckProblem(attribute: "version", message: problem))
        }
        return problems
    }

    func create(_ inputs: Inputs, comment: StrataComment, in context: Context) async throws {
        let (database, name) = try parts(try id(for: inputs))
        var statement = "CREATE EXTENSION \(SQL.identifier(name))"
        if let schema = inputs.string("schema") { statement += " SCHEMA \(SQL.identifier(schema))" }
        if let version = inputs.string("version") { statement += " VERSION \(SQL.literal(version))" }
        let created = statement
        do {
            try await context.connections.with(database: database) { c in try await c.run(created, logger: context.connections.logger) }
        } catch where ["0A000", "58P01"].contains(PostgresFailure.sqlState(error) ?? "") {
            let available = (try? await self.available(database, context)) ?? []
            throw PluginError(
                .invalid, "the server has no extension '\(name)'" + (available.isEmpty ? "" : " (it has: \(available.joined(separator: ", ")))"),
                providerCode: PostgresFailure.sqlState(error))
        }
    }

    /// The extensions the server can install.
    private func available(_ database: String, _ context: Context) async throws -> [String] {
        try await context.connections.with(database: database) { c in
            try await c.query("SELECT name::text FROM pg_available_extensions ORDER BY 1", logger: context.connections.logger)
                .collect().map { try $0.decode(String.self) }
        }
    }

    func read(id: String, recorded: Inputs?, in context: Context) async throws -> [String: Value]? {
        let (database, name) = try parts(id)
        let rows: [PostgresRow]
        do {
            rows = try await context.connections.with(database: database) { c in
                try await c.query(
                    """
                    SELECT e.extname::text, n.nspname::text, e.extversion::text
                    FROM pg_extension e JOIN pg_namespace n ON n.oid = e.extnamespace WHERE e.extname = \(name)
                    """, logger: context.connections.logger
                ).collect()
            }
        } catch let error as PluginError where error.kind == .notFound {
            return nil
        }
        guard let row = rows.first else { return nil }
        let (actual, schema, version) = try row.decode((String, String, String).self)
        return [
            "id": .string(id), "database": .string(database), "name": .string(actual),
            "schema": .string(schema), "version": .string(version),
        ]
    }

    func update(id: String, prior: Inputs, inputs: Inputs, in context: Context) async throws {
        let (database, name) = try parts(id)
        let logger = context.connections.logger
        try await context.connections.with(database: database) { c in
            let rows = try await c.query(
                "SELECT n.nspname::text, e.extversion::text FROM pg_extension e JOIN pg_namespace n ON n.oid = e.extnamespace WHERE e.extname = \(name)",
                logger: logger
            ).collect()
            guard let row = rows.first else { throw PluginError(.notFound, "extension \(name) is not installed in \(database)") }
            let (schema, version) = try row.decode((String, String).self)
            if let wanted = inputs.string("schema"), wanted != schema {
                try await c.run("ALTER EXTENSION \(SQL.identifier(name)) SET SCHEMA \(SQL.identifier(wanted))", logger: logger)
            }
            if let wanted = inputs.string("version"), wanted != version {
                try await c.run("ALTER EXTENSION \(SQL.identifier(name)) UPDATE TO \(SQL.literal(wanted))", logger: logger)
            }
        }
    }

    func delete(id: String, inputs: Inputs, in context: Context) async throws {
        let (database, name) = try parts(id)
        do {
            try await context.connections.with(database: database) { c in
                try await c.run("DROP EXTENSION IF EXISTS \(SQL.identifier(name))", logger: context.connections.logger)
            }
        } catch let error as PluginError where error.kind == .notFound {
            return
        } catch where PostgresFailure.sqlState(error) == "2BP01" {
            throw PluginError(.conflict, "extension \(name) in \(database) is still used by other objects (a column of its type, …): drop them first", providerCode: "2BP01")
        }
    }
}
