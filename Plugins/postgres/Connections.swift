import Foundation
import Logging
import PostgresNIO
import StrataPluginKit

/// Connections to the server, one database each, kept idle for reuse (a few per database).
/// Objects inside a database (schemas, extensions, grants on them) need a connection to that
/// database; databases, roles and database grants use the settings' own database.
actor Connections {
    let settings: ConnectionSettings
    let logger: Logger
    private var idle: [String: [PostgresConnection]] = [:]
    private var nextID = 1
    /// Idle connections kept per database.
    let keptPerDatabase = 4

    init(settings: ConnectionSettings) {
        self.settings = settings
        var logger = Logger(label: "strata.provider.postgresql")
        logger.logLevel = .critical
        self.logger = logger
    }

    /// Runs `body` on a connection to `database` (nil: the settings' database). A connection
    /// that failed is closed, not reused.
    func with<T: Sendable>(database: String? = nil, _ body: @Sendable (PostgresConnection) async throws -> T) async throws -> T {
        let name = database ?? settings.database
        let connection = try await acquire(name)
        do {
            let result = try await body(connection)
            release(connection, name)
            return result
        } catch {
            if PostgresFailure.isConnectionLost(error) {
                try? await connection.close()
            } else {
                release(connection, name)
            }
            throw error
        }
    }

    /// Closes the idle connections to `database`: a database cannot be dropped while they are
    /// open (DROP DATABASE … WITH (FORCE) would end them anyway, but not politely).
    func closeIdle(database: String) async {
        let connections = idle[database] ?? []
        idle[database] = nil
        for connection in connections { try? await connection.close() }
    }

    private func acquire(_ database: String) async throws -> PostgresConnection {
        while let connection = idle[database]?.popLast() {
            if !connection.isClosed { return connection }
        }
        let id = nextID
        nextID += 1
        do {
            return try await PostgresConnection.connect(configuration: try configuration(database), id: id, logger: logger)
        } catch {
            throw PostgresFailure.connecting(settings, database: database, error)
        }
    }

    private func release(_ connection: PostgresConnection, _ database: String) {
        if connection.isClosed { return }
        if idle[database, default: []].count < keptPerDatabase {
            idle[database, default: []].append(connection)
        } else {
            Task { try? await connection.close() }
        }
    }

    private func configuration(_ database: String) throws -> PostgresConnection.Configuration {
        var configuration: PostgresConnection.Configuration
        if let host = settings.host {
            let tls: PostgresConnection.Configuration.TLS
            var client = TLSConfiguration.makeClientConfiguration()
            if let root = settings.rootCertificate, settings.sslMode == .verifyCA || settings.sslMode == .verifyFull {
                guard FileManager.default.isReadableFile(atPath: root) else {
                    throw PluginError(.invalid, "postgresql provider: the sslrootcert file \(root) does not exist or cannot be read; name the PEM file of the CA that signed the server's certificate")
                }
                client.trustRoots = .file(root)
            }
            switch settings.sslMode {
            case .disable, .allow: tls = .disable
            case .prefer, .require:
                // libpq's prefer and require encrypt without checking the certificate.
                client.certificateVerification = .none
                let context = try NIOSSLContext(configuration: client)
                tls = settings.sslMode == .prefer ? .prefer(context) : .require(context)
            case .verifyCA:
                client.certificateVerification = .noHostnameVerification
                tls = .require(try NIOSSLContext(configuration: client))
            case .verifyFull:
                tls = .require(try NIOSSLContext(configuration: client))
            }
            configuration = .init(host: host, port: settings.port, username: settings.username, password: settings.password, database: database, tls: tls)
        } else {
            configuration = .init(unixSocketPath: settings.socketPath, username: settings.username, password: settings.password, database: database)
        }
        configuration.options.connectTimeout = .seconds(15)
        // SQL.literal relies on it.
        configuration.options.additionalStartupParameters = [
            ("application_name", "strata-provider-postgresql"), ("standard_conforming_strings", "on"),
        ]
        return configuration
    }
}

/// PostgreSQL's errors in the plugin protocol's words.
enum PostgresFailure {
    /// The SQLSTATE of a server error, if it is one.
    static func sqlState(_ error: any Error) -> String? {
        if let error = error as? PSQLError { return error.serverInfo?[.sqlState] }
        if let error = error as? PostgresTransactionError, let inner = error.closureError ?? error.beginError ?? error.commitError {
            return sqlState(inner)
        }
        return nil
    }

    static func describe(_ error: any Error) -> String {
        if let error = error as? PSQLError {
            if let info = error.serverInfo {
                let message = info[.message] ?? "server error"
                let detail = info[.detail].map { ". \($0)" } ?? ""
                let hint = info[.hint].map { " (\($0))" } ?? ""
                let state = info[.sqlState].map { " [SQLSTATE \($0)]" } ?? ""
                return message + detail + hint + state
            }
            if let underlying = error.underlying { return "\(underlying)" }
            return "\(error.code)"
        }
        if let error = error as? PostgresTransactionError, let inner = error.closureError ?? error.beginError ?? error.commitError {
            return describe(inner)
        }
        return "\(error)"
    }

    static func isConnectionLost(_ error: any Error) -> Bool {
        guard let error = error as? PSQLError else { return false }
        return error.serverInfo == nil
    }

    /// The kind the engine acts on, by SQLSTATE class and code.
    static func kind(_ state: String?) -> PluginErrorKind {
        guard let state else { return .retryable }  // no server answer: the connection failed
        switch state {
        case "42P04", "42710", "42P06", "42P07", "55006", "2BP01", "55000": return .conflict
        case "3D000", "42704", "3F000", "42P01": return .notFound
        case "40001", "40P01", "53300", "57P01", "57P02", "57P03", "08000", "08003", "08006", "55P03": return .retryable
        // "tuple concurrently updated": two GRANTs on one object at the same moment.
        case "XX000": return .retryable
        case "28P01", "28000", "42501", "22023", "42601", "0A000", "58P01", "22P02", "42602", "42939": return .invalid
        default: return .fatal
        }
    }

    /// A failed statement: `doing` says what was being done.
    static func pluginError(_ error: any Error, doing: String) -> PluginError {
        if let error = error as? PluginError { return error }
        let state = sqlState(error)
        return PluginError(kind(state), "\(doing): \(describe(error))", providerCode: state)
    }

    /// A connection that could not be made, with what to do about it.
    static func connecting(_ settings: ConnectionSettings, database: String, _ error: any Error) -> PluginError {
        if error is PluginError { return error as! PluginError }
        let reason = describe(error)
        let state = sqlState(error)
        var place = settings
        place.database = database
        let lower = reason.lowercased()
        var advice = "Check that the server is running and reachable (the provider's host and port, or PGHOST and PGPORT)."
        var kind = PluginErrorKind.retryable
        if state == "3D000" {
            advice = "The database does not exist."
            kind = .notFound
        } else if state == "28P01" || state == "28000" || lower.contains("password") || lower.contains("authentication") {
            advice = "Check the username and password (the provider's settings, or PGUSER and PGPASSWORD) and the server's pg_hba.conf."
            kind = .invalid
        } else if (settings.sslMode == .verifyCA || settings.sslMode == .verifyFull)
            && (lower.contains("certificate") || lower.contains("hostname") || lower.contains("verify")) {
            advice = "The server's certificate was refused (sslmode=\(settings.sslMode.rawValue)): check that sslrootcert (or PGSSLROOTCERT) names the CA that signed it"
                + (settings.sslMode == .verifyFull ? ", and that the certificate names the host connected to; sslmode=verify-ca skips the name." : ".")
            kind = .invalid
        } else if lower.contains("ssl") || lower.contains("tls") {
            advice = "Check the server's TLS set-up, or set sslmode to disable."
            kind = .invalid
        } else if state != nil {
            kind = Self.kind(state)
        }
        return PluginError(kind, "cannot connect to PostgreSQL at \(place): \(reason). \(advice)", providerCode: state)
    }
}

extension PostgresConnection {
    /// Runs a statement built with `SQL.identifier`/`SQL.literal` (DDL takes no parameters).
    func run(_ statement: String, logger: Logger) async throws {
        _ = try await query(PostgresQuery(unsafeSQL: statement), logger: logger)
    }

    /// Runs statements in one transaction: all or none.
    func transaction(_ statements: [String], logger: Logger) async throws {
        guard statements.count > 1 else {
            if let only = statements.first { try await run(only, logger: logger) }
            return
        }
        try await run("BEGIN", logger: logger)
        do {
            for statement in statements { try await run(statement, logger: logger) }
            try await run("COMMIT", logger: logger)
        } catch {
            try? await run("ROLLBACK", logger: logger)
            throw error
        }
    }
}
