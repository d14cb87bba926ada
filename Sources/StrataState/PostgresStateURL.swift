import Foundation

/// A `--state postgres://…` (or `postgresql://…`) value, parsed and checked without connecting.
///
/// `postgres://USER[:PASSWORD]@HOST[:PORT]/DATABASE?schema=NAME&sslmode=MODE&sslrootcert=PATH&host=SOCKETDIR`:
/// the port defaults to 5432, the database to the user's name, the schema to `strata`, `sslmode`
/// to `prefer` (libpq's names: `disable`, `prefer`, `require`, `verify-ca`, `verify-full`;
/// `allow` is read as `disable`). `sslrootcert` names the CA certificates (PEM) that
/// `verify-ca`/`verify-full` trust, instead of the system's. `?host=/path` (or an empty host) connects
/// through the server's unix socket in that folder (`/var/run/postgresql` by default), as libpq
/// does. The password may also come from `PGPASSWORD`.
public struct PostgresStateURL: Sendable, Hashable, CustomStringConvertible {
    /// How the connection is protected, as libpq's `sslmode` says it.
    public enum TLSMode: String, Sendable, Hashable, CaseIterable {
        /// No TLS.
        case disable
        /// TLS if the server offers it, the certificate not checked.
        case prefer
        /// TLS or no connection; the certificate is not checked (encrypts, but a server that
        /// pretends to be this one is not caught): libpq's meaning.
        case require
        /// TLS, and the server's certificate must chain to a trusted CA (`sslrootcert`).
        case verifyCA = "verify-ca"
        /// As `verifyCA`, and the certificate must name the host connected to.
        case verifyFull = "verify-full"

        /// True for the modes that check the server's certificate.
        public var verifies: Bool { self == .verifyCA || self == .verifyFull }
    }

    public var user: String
    public var password: String?
    /// A TCP host, or nil for a unix socket in `socketDirectory`.
    public var host: String?
    public var port: Int
    /// The folder holding the server's socket (`.s.PGSQL.PORT`) when `host` is nil.
    public var socketDirectory: String
    public var database: String
    /// The PostgreSQL schema the state tables live in (created if missing).
    public var schema: String
    public var tls: TLSMode
    /// The CA certificates (a PEM file) that `verify-ca`/`verify-full` trust; nil: the system's.
    public var rootCertificate: String?
    /// How long connecting may take before it is given up.
    public var connectTimeoutSeconds: Int

    public static let defaultSchema = "strata"
    public static let defaultSocketDirectory = "/var/run/postgresql"

    /// True for the values this type reads (`postgres://…`, `postgresql://…`).
    public static func matches(_ text: String) -> Bool {
        let lower = text.lowercased()
        return lower.hasPrefix("postgres://") || lower.hasPrefix("postgresql://")
    }

    /// Parses `text`; every mistake is a `StateError.badPostgresURL` that names the URL (password hidden).
    public init(_ text: String, environment: [String: String] = ProcessInfo.processInfo.environment) throws {
        let shown = Self.masked(text)
        func bad(_ reason: String) -> StateError { .badPostgresURL(shown, reason: reason) }
        guard Self.matches(text), let components = URLComponents(string: text) else {
            throw bad("it is not a URL of the form postgres://USER[:PASSWORD]@HOST[:PORT]/DATABASE[?schema=NAME]")
        }
        var user = components.user ?? ""
        if user.isEmpty { user = environment["PGUSER"] ?? environment["USER"] ?? "" }
        if user.isEmpty { user = "postgres" }
        self.user = user
        self.password = components.password ?? environment["PGPASSWORD"]
        if let port = components.port {
            guard (1...65535).contains(port) else { throw bad("the port \(port) is out of range") }
            self.port = port
        } else {
            self.port = 5432
        }
        let path = components.path.hasPrefix("/") ? String(components.path.dropFirst()) : components.path
        guard !path.contains("/") else { throw bad("the path must be just the database name, not '\(path)'") }
        self.database = path.isEmpty ? user : path
        var schema = Self.defaultSchema
        var tls = TLSMode.prefer
        var socketDirectory: String? = nil
        var timeout = 10
        var rootCertificate: String? = nil
        for item in components.queryItems ?? [] {
            let value = item.value ?? ""
            switch item.name.lowercased() {
            case "schema", "search_path":
                schema = value
            case "sslmode":
                switch value.lowercased() {
                case "disable", "allow": tls = .disable
                case "prefer": tls = .prefer
                case "require": tls = .require
                case "verify-ca": tls = .verifyCA
                case "verify-full": tls = .verifyFull
                default: throw bad("sslmode must be disable, prefer, require, verify-ca or verify-full, not '\(value)'")
                }
            case "sslrootcert":
                guard !value.isEmpty else { throw bad("sslrootcert must name a file of CA certificates (PEM)") }
                rootCertificate = value.hasPrefix("~") ? NSString(string: value).expandingTildeInPath : value
            case "host":
                socketDirectory = value
            case "connect_timeout":
                guard let seconds = Int(value), seconds > 0 else { throw bad("connect_timeout must be a number of seconds") }
                timeout = seconds
            case "application_name":
                break
            default:
                throw bad("unknown option '\(item.name)' (known: schema, sslmode, sslrootcert, host, connect_timeout)")
            }
        }
        guard Self.isPlainIdentifier(schema) else {
            throw bad("the schema '\(schema)' must be a plain lower-case name (letters, digits, _; at most 63)")
        }
        self.schema = schema
        if rootCertificate != nil && !tls.verifies {
            throw bad("sslrootcert is used only with sslmode=verify-ca or verify-full (sslmode=\(tls.rawValue) does not check certificates)")
        }
        self.tls = tls
        self.rootCertificate = rootCertificate
        self.connectTimeoutSeconds = timeout
        let host = components.host ?? ""
        if let socketDirectory, socketDirectory.hasPrefix("/") {
            self.host = host.isEmpty ? nil : host
            self.socketDirectory = socketDirectory
            if !host.isEmpty { throw bad("give either a host or ?host=/socket/folder, not both") }
        } else if let socketDirectory, !socketDirectory.isEmpty {
            guard host.isEmpty else { throw bad("give the host once") }
            self.host = socketDirectory
            self.socketDirectory = Self.defaultSocketDirectory
        } else {
            self.host = host.isEmpty ? nil : host
            self.socketDirectory = Self.defaultSocketDirectory
        }
        if self.host == nil {
            if tls.verifies { throw bad("sslmode=\(tls.rawValue) needs a TCP host: a unix socket does not use TLS") }
            self.tls = .disable
        }
    }

    /// The unix socket file, when connecting through one.
    public var socketPath: String? {
        host == nil ? "\(socketDirectory)/.s.PGSQL.\(port)" : nil
    }

    /// The URL with its password hidden: what messages show.
    public var description: String {
        var text = "postgres://\(user)\(password == nil ? "" : ":***")@\(host ?? "")"
        if host != nil && port != 5432 || host == nil && port != 5432 { text += ":\(port)" }
        text += "/\(database)?schema=\(schema)"
        if host == nil { text += "&host=\(socketDirectory)" }
        if tls.verifies { text += "&sslmode=\(tls.rawValue)" }
        return text
    }

    /// `text` with any password replaced by `***`, for messages about a URL that did not parse.
    public static func masked(_ text: String) -> String {
        guard let schemeEnd = text.range(of: "://") else { return text }
        let rest = text[schemeEnd.upperBound...]
        let authorityEnd = rest.firstIndex(where: { $0 == "/" || $0 == "?" }) ?? rest.endIndex
        let authority = rest[..<authorityEnd]
        guard let at = authority.lastIndex(of: "@"), let colon = authority[..<at].firstIndex(of: ":") else { return text }
        return String(text[..<authority.index(after: colon)]) + "***" + String(text[at...])
    }

    /// A name that needs no quoting in SQL: `[a-z_][a-z0-9_]*`, at most 63 characters.
    public static func isPlainIdentifier(_ name: String) -> Bool {
        guard let first = name.unicodeScalars.first, name.unicodeScalars.count <= 63 else { return false }
        func isLetter(_ c: Unicode.Scalar) -> Bool { ("a"..."z").contains(c) || c == "_" }
        return isLetter(first) && name.unicodeScalars.allSatisfy { isLetter($0) || ("0"..."9").contains($0) }
    }
}
