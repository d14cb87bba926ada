import Foundation
import StrataModel
import StrataPluginKit

/// Where the server is and who to be there: the provider's settings (`host`, `port`,
/// `username`, `password`, `sslmode`, `sslrootcert`, `database`, or a `url`), each falling back
/// to the environment as `psql` does (`PGHOST`, `PGPORT`, `PGUSER`, `PGPASSWORD`, `PGDATABASE`,
/// `PGSSLMODE`, `PGSSLROOTCERT`). Settings given one by one win over the URL's.
struct ConnectionSettings: Sendable, Hashable, CustomStringConvertible {
    /// How much TLS to ask for, as libpq's `sslmode` says it.
    enum SSLMode: String, Sendable, Hashable, CaseIterable {
        case disable, allow, prefer, require
        case verifyCA = "verify-ca"
        case verifyFull = "verify-full"
    }

    /// A host name or address; nil: the unix socket in `socketDirectory`.
    var host: String?
    var socketDirectory: String = "/var/run/postgresql"
    var port: Int = 5432
    var username: String
    var password: String?
    /// The database to connect to for what is not inside a database (databases, roles,
    /// database grants): `postgres` unless told.
    var database: String = "postgres"
    var sslMode: SSLMode = .prefer
    /// The CA certificates (PEM) that `verify-ca`/`verify-full` trust; nil: the system's.
    var rootCertificate: String?

    static let keys: Set<String> = ["url", "host", "port", "username", "password", "sslmode", "sslrootcert", "database"]

    var socketPath: String { "\(socketDirectory)/.s.PGSQL.\(port)" }

    /// Without the password.
    var description: String {
        let place = host.map { "\($0):\(port)" } ?? socketPath
        return "postgres://\(username)@\(place)/\(database)"
    }

    /// From the environment alone (no `configure`).
    init(environment: [String: String]) throws {
        try self.init(config: [:], environment: environment)
    }

    init(config: [String: Value], environment: [String: String]) throws {
        var text: [String: String] = [:]
        for (key, value) in config {
            guard Self.keys.contains(key) else {
                throw PluginError(.invalid, "unknown postgresql provider setting '\(key)' (known: \(Self.keys.sorted().joined(separator: ", ")))")
            }
            switch value.revealed {
            case .null: continue
            case .string(let s): text[key] = s
            case .number(let n) where key == "port": text[key] = String(Int(n))
            default: throw PluginError(.invalid, "postgresql provider setting '\(key)' must be a string, not a \(value.typeName)")
            }
        }
        // The environment first, then the URL over it, then the settings one by one.
        var host = environment["PGHOST"].flatMap { $0.isEmpty ? nil : $0 }
        var port = environment["PGPORT"].flatMap { $0.isEmpty ? nil : $0 }
        var username = environment["PGUSER"].flatMap { $0.isEmpty ? nil : $0 }
        var password = environment["PGPASSWORD"]
        var database = environment["PGDATABASE"].flatMap { $0.isEmpty ? nil : $0 }
        var sslMode = environment["PGSSLMODE"].flatMap { $0.isEmpty ? nil : $0 }
        var rootCertificate = environment["PGSSLROOTCERT"].flatMap { $0.isEmpty ? nil : $0 }
        if let url = text["url"], !url.isEmpty {
            let parsed = try Self.parse(url: url)
            host = parsed.host ?? host
            port = parsed.port ?? port
            username = parsed.username ?? username
            password = parsed.password ?? password
            database = parsed.database ?? database
            sslMode = parsed.sslMode ?? sslMode
            rootCertificate = parsed.rootCertificate ?? rootCertificate
        }
        host = text["host"] ?? host
        port = text["port"] ?? port
        username = text["username"] ?? username
        password = text["password"] ?? password
        database = text["database"] ?? database
        sslMode = text["sslmode"] ?? sslMode
        rootCertificate = text["sslrootcert"] ?? rootCertificate
        self.rootCertificate = rootCertificate

        self.username = username ?? environment["USER"] ?? NSUserName()
        self.password = password
        if let database, !database.isEmpty { self.database = database }
        if let port {
            guard let number = Int(port), (1...65535).contains(number) else {
                throw PluginError(.invalid, "postgresql provider: port must be a number from 1 to 65535, not '\(port)'")
            }
            self.port = number
        }
        if let sslMode {
            guard let mode = SSLMode(rawValue: sslMode) else {
                throw PluginError(.invalid, "postgresql provider: sslmode must be one of \(SSLMode.allCases.map(\.rawValue).joined(separator: ", ")), not '\(sslMode)'")
            }
            self.sslMode = mode
        }
        // A host starting with '/' is the socket's folder, as for psql; none at all: the
        // socket where Debian's server keeps it, if it is there, else localhost.
        if let host, host.hasPrefix("/") {
            self.host = nil
            self.socketDirectory = host
        } else if let host, !host.isEmpty {
            self.host = host
        } else if FileManager.default.fileExists(atPath: socketPath) {
            self.host = nil
        } else {
            self.host = "localhost"
        }
    }

    /// The parts of `postgres://[user[:password]@][host][:port][/database][?sslmode=…&sslrootcert=…&host=…]`.
    static func parse(url: String) throws -> (host: String?, port: String?, username: String?, password: String?, database: String?, sslMode: String?,
                                              rootCertificate: String?) {
        guard url.hasPrefix("postgres://") || url.hasPrefix("postgresql://"), let components = URLComponents(string: url) else {
            throw PluginError(.invalid, "postgresql provider: url must look like postgres://user:password@host:port/database, not '\(Self.masked(url))'")
        }
        var host = components.percentEncodedHost.flatMap { $0.isEmpty ? nil : $0.removingPercentEncoding }
        var sslMode: String?
        var rootCertificate: String?
        for item in components.queryItems ?? [] {
            switch item.name {
            case "sslmode": sslMode = item.value
            case "sslrootcert": rootCertificate = item.value
            case "host": host = item.value
            case "application_name", "connect_timeout": continue
            default:
                throw PluginError(.invalid, "postgresql provider: unknown url option '\(item.name)' (known: sslmode, sslrootcert, host)")
            }
        }
        let path = components.percentEncodedPath.drop { $0 == "/" }
        return (host, components.port.map(String.init), components.user.flatMap { $0.isEmpty ? nil : $0 }, components.password,
                path.isEmpty ? nil : String(path).removingPercentEncoding, sslMode, rootCertificate)
    }

    /// The URL with its password hidden, for messages.
    static func masked(_ url: String) -> String {
        guard var components = URLComponents(string: url), components.password != nil else { return url }
        components.password = "***"
        return components.string ?? url
    }
}
