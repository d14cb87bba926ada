import Foundation
import Logging
import PostgresNIO
import StrataState

/// Opens connections to the state server and keeps the idle ones for reuse: a small pool of
/// its own (no background task to run), so that a connection failure is an error at the call
/// that needed the connection, naming the URL.
actor PostgresConnections {
    let url: PostgresStateURL
    let logger: Logger
    private var idle: [PostgresConnection] = []
    private var open = 0
    private var waiters: [CheckedContinuation<Void, Never>] = []
    private var nextID = 1
    private var closed = false
    /// At most this many connections at once (locks held have their own, outside this count).
    let limit: Int

    init(url: PostgresStateURL, limit: Int = 8) {
        self.url = url
        self.limit = max(1, limit)
        var logger = Logger(label: "strata.state.postgres")
        logger.logLevel = .critical
        self.logger = logger
    }

    /// Runs `body` on a pooled connection; a connection that failed is dropped, not reused.
    func with<T: Sendable>(_ body: (PostgresConnection) async throws -> T) async throws -> T {
        let connection = try await acquire()
        do {
            let result = try await body(connection)
            release(connection)
            return result
        } catch {
            release(connection)
            throw error
        }
    }

    private func acquire() async throws -> PostgresConnection {
        while true {
            if closed { throw StateError.storage("the state connection to \(url) is closed") }
            while let connection = idle.popLast() {
                if !connection.isClosed { return connection }
                open -= 1
            }
            if open < limit {
                open += 1
                do {
                    return try await connect()
                } catch {
                    open -= 1
                    wakeOne()
                    throw error
                }
            }
            await withCheckedContinuation { waiters.append($0) }
        }
    }

    private func release(_ connection: PostgresConnection) {
        if connection.isClosed || closed {
            open -= 1
            if !connection.isClosed { Task { try? await connection.close() } }
        } else {
            idle.append(connection)
        }
        wakeOne()
    }

    private func wakeOne() {
        if !waiters.isEmpty { waiters.removeFirst().resume() }
    }

    /// A connection of its own, outside the pool (a held lock keeps one for its lifetime).
    func connect() async throws -> PostgresConnection {
        let id = nextID
        nextID += 1
        return try await Self.connect(url, id: id, logger: logger)
    }

    /// A connection must be closed before it goes (PostgresNIO asserts it): a backend dropped
    /// without `close()` hands its idle connections to a task that closes them.
    deinit {
        let connections = idle
        if !connections.isEmpty { Task { for connection in connections { try? await connection.close() } } }
    }

    func close() async {
        closed = true
        let connections = idle
        idle = []
        open -= connections.count
        for connection in connections { try? await connection.close() }
        for waiter in waiters { waiter.resume() }
        waiters = []
    }

    static func configuration(_ url: PostgresStateURL) throws -> PostgresConnection.Configuration {
        var configuration: PostgresConnection.Configuration
        if let host = url.host {
            let tls: PostgresConnection.Configuration.TLS
            var client = TLSConfiguration.makeClientConfiguration()
            if let root = url.rootCertificate {
                guard FileManager.default.isReadableFile(atPath: root) else {
                    throw StateError.unavailable(
                        "cannot connect to the PostgreSQL state \(url): the sslrootcert file \(root) does not exist or cannot be read. "
                            + "Name the PEM file of the CA that signed the server's certificate.")
                }
                client.trustRoots = .file(root)
            }
            switch url.tls {
            case .disable: tls = .disable
            case .prefer, .require:
                // libpq's prefer and require encrypt without checking the certificate.
                client.certificateVerification = .none
                let context = try NIOSSLContext(configuration: client)
                tls = url.tls == .prefer ? .prefer(context) : .require(context)
            case .verifyCA:
                client.certificateVerification = .noHostnameVerification
                tls = .require(try NIOSSLContext(configuration: client))
            case .verifyFull:
                client.certificateVerification = .fullVerification
                tls = .require(try NIOSSLContext(configuration: client))
            }
            configuration = .init(host: host, port: url.port, username: url.user, password: url.password, database: url.database, tls: tls)
        } else {
            configuration = .init(unixSocketPath: url.socketPath ?? "", username: url.user, password: url.password, database: url.database)
        }
        configuration.options.connectTimeout = .seconds(Int64(url.connectTimeoutSeconds))
        configuration.options.additionalStartupParameters = [("application_name", "strata")]
        return configuration
    }

    static func connect(_ url: PostgresStateURL, id: Int, logger: Logger) async throws -> PostgresConnection {
        do {
            return try await PostgresConnection.connect(configuration: try configuration(url), id: id, logger: logger)
        } catch let error as StateError {
            throw error
        } catch {
            throw unreachable(url, error)
        }
    }

    /// What to tell the user when connecting failed.
    static func unreachable(_ url: PostgresStateURL, _ error: any Error) -> StateError {
        let reason = PostgresErrors.describe(error)
        let lower = reason.lowercased()
        var advice = "Check that the server is running and reachable, and the URL's host and port."
        if lower.contains("password") || lower.contains("authentication") || lower.contains("28p01") || lower.contains("28000") {
            advice = "Check the user and password (in the URL or PGPASSWORD) and the server's pg_hba.conf."
        } else if lower.contains("3d000") || lower.contains("does not exist") {
            advice = "Create the database (createdb \(url.database)) or name an existing one in the URL."
        } else if url.tls.verifies && (lower.contains("certificate") || lower.contains("hostname") || lower.contains("verify")) {
            advice = "The server's certificate was refused (sslmode=\(url.tls.rawValue)): check that sslrootcert names the CA that signed it"
                + (url.tls == .verifyFull ? ", and that the certificate names the host in the URL (\(url.host ?? "")); sslmode=verify-ca skips the name." : ".")
        } else if lower.contains("ssl") || lower.contains("tls") {
            advice = "Check the server's TLS set-up, or add ?sslmode=disable to the URL."
        }
        return StateError.unavailable("cannot connect to the PostgreSQL state \(url): \(reason). \(advice)")
    }
}

/// Turns PostgresNIO's errors into text a user can read.
enum PostgresErrors {
    static func describe(_ error: any Error) -> String {
        if let error = error as? PSQLError {
            if let info = error.serverInfo {
                let message = info[.message] ?? "server error"
                let state = info[.sqlState].map { " (SQLSTATE \($0))" } ?? ""
                let detail = info[.detail].map { ": \($0)" } ?? ""
                return message + detail + state
            }
            if let underlying = error.underlying { return "\(underlying)" }
            return "\(error.code)"
        }
        if let error = error as? PostgresTransactionError {
            if let inner = error.closureError ?? error.beginError ?? error.commitError { return describe(inner) }
        }
        return "\(error)"
    }

    /// The SQLSTATE of a server error, if it is one.
    static func sqlState(_ error: any Error) -> String? {
        (error as? PSQLError)?.serverInfo?[.sqlState]
    }

    /// True for errors that mean the connection itself is gone (not a failed statement).
    static func isConnectionLost(_ error: any Error) -> Bool {
        guard let error = error as? PSQLError else { return false }
        return error.serverInfo == nil && (error.code == .serverClosedConnection || error.code == .uncleanShutdown || error.code == .clientClosedConnection || error.code == .connectionError)
    }
}
