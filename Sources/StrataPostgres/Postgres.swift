import Strata
import StrataModel

/// Typed resources of the `postgresql` provider (`strata-provider-postgresql`): databases,
/// roles, schemas, grants and extensions on a PostgreSQL server. Attribute names match the
/// plugin's schema (docs/postgres-provider.md).
///
/// ```swift
/// let server = Postgres.provider(url: "postgres://admin@db.internal/postgres")
/// let password = RandomPassword("app", length: 32, special: false)
/// let role = Postgres.Role("app", name: "app", login: true, password: password.result).using(server)
/// let db = Postgres.Database("app", name: "app", owner: role.name).using(server)
/// ```
public enum Postgres {
    /// Configures an instance of the provider. Each setting left out falls back to the
    /// environment as psql's do (PGHOST, PGPORT, PGUSER, PGPASSWORD, PGDATABASE, PGSSLMODE);
    /// `url` (`postgres://user:password@host:port/database?sslmode=…&sslrootcert=…`) gives several at once,
    /// and the settings given one by one win over it. `database` is the one connected to for
    /// databases and roles (default `postgres`).
    @discardableResult
    public static func provider(_ alias: String? = nil, url: Expr<String>? = nil, host: String? = nil, port: Int? = nil,
                                username: String? = nil, password: Expr<String>? = nil, sslmode: String? = nil,
                                sslrootcert: String? = nil, database: String? = nil, file: String = #filePath, line: Int = #line) -> ProviderRef {
        var config: [String: Value] = [:]
        // A URL may hold the password: kept secret.
        if let url { config["url"] = url.secret.value }
        if let host { config["host"] = .string(host) }
        if let port { config["port"] = .string(String(port)) }
        if let username { config["username"] = .string(username) }
        if let password { config["password"] = password.secret.value }
        if let sslmode { config["sslmode"] = .string(sslmode) }
        if let sslrootcert { config["sslrootcert"] = .string(sslrootcert) }
        if let database { config["database"] = .string(database) }
        return Stack.provider("postgresql", alias: alias, config, file: file, line: line)
    }

    /// `postgresql_database`: a database. Name, encoding and template cannot change (a new
    /// database replaces it, and the old one is dropped with everything in it); owner and
    /// connection limit change in place.
    public final class Database: Resource {
        public init(_ name: String, name databaseName: Expr<String>, owner: Expr<String>? = nil, encoding: String? = nil,
                    template: String? = nil, connectionLimit: Expr<Int>? = nil, file: String = #filePath, line: Int = #line) {
            super.init(type: "postgresql_database", name: name, file: file, line: line)
            setInput("name", databaseName)
            setInput("owner", owner)
            if let encoding { setInput("encoding", Expr(encoding)) }
            if let template { setInput("template", Expr(template)) }
            setInput("connectionLimit", connectionLimit)
        }
        /// The database's name (also its id).
        public var name: Expr<String> { attribute("name") }
        public var owner: Expr<String> { attribute("owner") }
        public var id: Expr<String> { attribute("id") }
    }

    /// `postgresql_role`: a role, a user when `login` is true. Its name cannot change; the
    /// rest (password included) changes in place.
    public final class Role: Resource {
        public init(_ name: String, name roleName: Expr<String>, login: Bool? = nil, password: Expr<String>? = nil,
                    connectionLimit: Expr<Int>? = nil, memberOf: [Expr<String>] = [], createDatabase: Bool? = nil,
                    createRole: Bool? = nil, file: String = #filePath, line: Int = #line) {
            super.init(type: "postgresql_role", name: name, file: file, line: line)
            setInput("name", roleName)
            if let login { setInput("login", Expr(login)) }
            setInput("password", password?.secret)
            setInput("connectionLimit", connectionLimit)
            if !memberOf.isEmpty { setInput("memberOf", Expr<[String]>(memberOf)) }
            if let createDatabase { setInput("createDatabase", Expr(createDatabase)) }
            if let createRole { setInput("createRole", Expr(createRole)) }
        }
        /// The role's name (also its id).
        public var name: Expr<String> { attribute("name") }
        public var id: Expr<String> { attribute("id") }
    }

    /// `postgresql_schema`: a schema in a database; its owner changes in place.
    public final class Schema: Resource {
        public init(_ name: String, database: Expr<String>, name schemaName: Expr<String>, owner: Expr<String>? = nil,
                    dropCascade: Bool? = nil, file: String = #filePath, line: Int = #line) {
            super.init(type: "postgresql_schema", name: name, file: file, line: line)
            setInput("database", database)
            setInput("name", schemaName)
            setInput("owner", owner)
            if let dropCascade { setInput("dropCascade", Expr(dropCascade)) }
        }
        /// In the database `database` (its name).
        public convenience init(_ name: String, in database: Database, name schemaName: Expr<String>, owner: Expr<String>? = nil,
                                dropCascade: Bool? = nil, file: String = #filePath, line: Int = #line) {
            self.init(name, database: database.name, name: schemaName, owner: owner, dropCascade: dropCascade, file: file, line: line)
        }
        public var name: Expr<String> { attribute("name") }
        public var database: Expr<String> { attribute("database") }
        /// `database.schema`.
        public var id: Expr<String> { attribute("id") }
    }

    /// What a grant is on.
    public enum ObjectType: String, Sendable {
        case database, schema, table, sequence
    }

    /// `postgresql_grant`: exactly these privileges for a role on a database, a schema, or all
    /// the tables (sequences) of a schema. Privileges change in place.
    public final class Grant: Resource {
        public init(_ name: String, database: Expr<String>, role: Expr<String>, on objectType: ObjectType, schema: Expr<String>? = nil,
                    privileges: [String], file: String = #filePath, line: Int = #line) {
            super.init(type: "postgresql_grant", name: name, file: file, line: line)
            setInput("database", database)
            setInput("role", role)
            setInput("objectType", Expr(objectType.rawValue))
            setInput("schema", schema)
            setInput("privileges", Expr<[String]>(privileges.map { Expr($0) }))
        }
        public var id: Expr<String> { attribute("id") }
    }

    /// `postgresql_extension`: an extension the server ships (pgcrypto, uuid-ossp, citext, …)
    /// installed in a database; schema and version change in place.
    public final class Extension: Resource {
        public init(_ name: String, database: Expr<String>, name extensionName: Expr<String>, schema: Expr<String>? = nil,
                    version: Expr<String>? = nil, file: String = #filePath, line: Int = #line) {
            super.init(type: "postgresql_extension", name: name, file: file, line: line)
            setInput("database", database)
            setInput("name", extensionName)
            setInput("schema", schema)
            setInput("version", version)
        }
        public var schema: Expr<String> { attribute("schema") }
        public var version: Expr<String> { attribute("version") }
        public var id: Expr<String> { attribute("id") }
    }
}
