import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A throw-away PostgreSQL server for tests, from Debian's binaries
/// (`/usr/lib/postgresql/<version>/bin`, package `postgresql`): `initdb` into a temporary
/// folder (trust authentication), `pg_ctl start` on a free port on 127.0.0.1 with its unix
/// socket in that folder, `stop()` (or the end of the test process) stops it and removes the
/// folder. `initdb` refuses to run as root, so as root the server runs as the `postgres` user
/// (through `runuser`).
///
/// `PostgresServer.shared()` is one server per test process, stopped when the process exits;
/// tests keep apart by schema (`url(schema:)`) or database (`createDatabase`).
public final class PostgresServer: @unchecked Sendable {
    public let port: Int
    /// Data, socket and log.
    public let directory: URL
    public let binaries: URL
    public let superuser = "postgres"
    private let runAs: String?
    private var stopped = false
    /// `-c` settings beyond the defaults (TLS), kept for `restart`.
    private var extraOptions = ""
    private let lock = NSLock()

    public struct Failure: Error, CustomStringConvertible {
        public var message: String
        public var description: String { message }
    }

    /// Where Debian's server binaries are, if installed.
    public static func findBinaries() -> URL? {
        let env = ProcessInfo.processInfo.environment
        var candidates: [String] = []
        if let dir = env["STRATA_PG_BIN"], !dir.isEmpty { candidates.append(dir) }
        let root = "/usr/lib/postgresql"
        let versions = ((try? FileManager.default.contentsOfDirectory(atPath: root)) ?? []).compactMap(Int.init).sorted(by: >)
        candidates += versions.map { "\(root)/\($0)/bin" }
        return candidates.first { FileManager.default.isExecutableFile(atPath: "\($0)/initdb") && FileManager.default.isExecutableFile(atPath: "\($0)/pg_ctl") }
            .map { URL(fileURLWithPath: $0) }
    }

    /// True when a server can be started here (the tests that need one are skipped otherwise).
    public static var isAvailable: Bool { findBinaries() != nil }

    nonisolated(unsafe) private static var sharedServer: PostgresServer?
    private static let sharedLock = NSLock()

    /// One server for the whole test process, started on first use, stopped at exit.
    public static func shared() throws -> PostgresServer {
        sharedLock.lock()
        defer { sharedLock.unlock() }
        if let sharedServer { return sharedServer }
        let server = try start()
        sharedServer = server
        atexit { PostgresServer.stopShared() }
        return server
    }

    private static func stopShared() {
        sharedLock.lock()
        let server = sharedServer
        sharedServer = nil
        sharedLock.unlock()
        server?.stop()
    }

    /// The server's certificate and private key (PEM files), for a server with `ssl=on`.
    public struct TLSFiles: Sendable {
        public var certificate: String
        public var key: String
        public init(certificate: String, key: String) {
            self.certificate = certificate
            self.key = key
        }
    }

    /// A server of its own (not `shared()`); with `tls`, it also accepts TLS (`ssl=on`) with that
    /// certificate, and plain connections still.
    public static func start(tls: TLSFiles? = nil) throws -> PostgresServer {
        guard let binaries = findBinaries() else {
            throw Failure(message: "no PostgreSQL server binaries in /usr/lib/postgresql/*/bin: apt-get install postgresql (scripts/setup does)")
        }
        stopLeftovers(binaries)
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("strata-pg-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        // Which test process owns it: a server whose owner died without stopping it (a crash,
        // SIGKILL) is stopped by the next start.
        try String(getpid()).write(to: directory.appendingPathComponent("owner.pid"), atomically: true, encoding: .utf8)
        let runAs: String? = getuid() == 0 ? "postgres" : nil
        if let runAs {
            guard let user = getpwnam(runAs) else {
                throw Failure(message: "running as root, and there is no '\(runAs)' user to run PostgreSQL as (apt-get install postgresql makes it)")
            }
            guard chown(directory.path, user.pointee.pw_uid, user.pointee.pw_gid) == 0 else {
                throw Failure(message: "cannot hand \(directory.path) to the \(runAs) user")
            }
        }
        // The temporary folder itself must let the server user in.
        chmod(directory.path, 0o700)
        let port = try freePort()
        let server = PostgresServer(port: port, directory: directory, binaries: binaries, runAs: runAs)
        do {
            try server.run("initdb", ["-D", server.dataDirectory, "-U", "postgres", "-A", "trust", "--no-sync", "-E", "UTF8", "--locale=C"])
            if let tls { server.extraOptions = try server.installTLS(tls) }
            let options = "-h 127.0.0.1 -p \(port) -k \(directory.path) -c fsync=off -c full_page_writes=off -c max_connections=200" + server.extraOptions
            try server.run("pg_ctl", ["-D", server.dataDirectory, "-l", directory.appendingPathComponent("server.log").path, "-o", options, "-w", "-t", "30", "start"])
        } catch {
            server.stop()
            throw error
        }
        return server
    }

    /// Stops and removes the servers of test processes that are gone.
    static func stopLeftovers(_ binaries: URL) {
        let temporary = FileManager.default.temporaryDirectory
        let names = (try? FileManager.default.contentsOfDirectory(atPath: temporary.path)) ?? []
        for name in names where name.hasPrefix("strata-pg-") {
            let directory = temporary.appendingPathComponent(name)
            guard let text = try? String(contentsOf: directory.appendingPathComponent("owner.pid"), encoding: .utf8),
                let owner = Int32(text.trimmingCharacters(in: .whitespacesAndNewlines)), owner > 0,
                kill(owner, 0) != 0, errno == ESRCH
            else { continue }
            let server = PostgresServer(port: 0, directory: directory, binaries: binaries, runAs: getuid() == 0 ? "postgres" : nil)
            server.stop()
        }
    }

    private init(port: Int, directory: URL, binaries: URL, runAs: String?) {
        self.port = port
        self.directory = directory
        self.binaries = binaries
        self.runAs = runAs
    }

    public var dataDirectory: String { directory.appendingPathComponent("data").path }
    /// The folder holding the server's unix socket.
    public var socketDirectory: String { directory.path }

    /// A `--state` URL for this server over TCP.
    public func url(database: String = "postgres", schema: String? = nil) -> String {
        "postgres://\(superuser)@127.0.0.1:\(port)/\(database)" + (schema.map { "?schema=\($0)" } ?? "")
    }

    /// Runs SQL with `psql` (as the superuser, over TCP) and returns its unaligned, tuples-only
    /// output (`|` between columns, one row a line), trimmed.
    @discardableResult
    public func psql(_ sql: String, database: String = "postgres") throws -> String {
        let (status, out, err) = try Self.execute(
            URL(fileURLWithPath: "/usr/bin/psql").path,
            ["-X", "-q", "-A", "-t", "-v", "ON_ERROR_STOP=1", "-h", "127.0.0.1", "-p", String(port), "-U", superuser, "-d", database, "-c", sql])
        guard status == 0 else { throw Failure(message: "psql failed (\(status)): \(err)\nSQL: \(sql)") }
        return out.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    public func createDatabase(_ name: String) throws {
        try psql("CREATE DATABASE \(name)")
    }

    /// Restarts the server (fast shutdown: every connection is cut), on the same port.
    public func restart() throws {
        let options = "-h 127.0.0.1 -p \(port) -k \(directory.path) -c fsync=off -c full_page_writes=off -c max_connections=200" + extraOptions
        try run("pg_ctl", ["-D", dataDirectory, "-l", directory.appendingPathComponent("server.log").path, "-o", options,
                           "-m", "fast", "-w", "-t", "30", "restart"])
    }

    /// Copies the certificate and key into the server's folder, owned by the server's user
    /// (PostgreSQL refuses a key file others can read); returns the `-c` settings.
    private func installTLS(_ tls: TLSFiles) throws -> String {
        let certificate = directory.appendingPathComponent("server.crt").path
        let key = directory.appendingPathComponent("server.key").path
        for (from, to) in [(tls.certificate, certificate), (tls.key, key)] {
            try? FileManager.default.removeItem(atPath: to)
            try FileManager.default.copyItem(atPath: from, toPath: to)
            chmod(to, 0o600)
            if let runAs, let user = getpwnam(runAs) { chown(to, user.pointee.pw_uid, user.pointee.pw_gid) }
        }
        return " -c ssl=on -c ssl_cert_file=\(certificate) -c ssl_key_file=\(key)"
    }

    /// Stops the server (fast shutdown) and removes its folder. Safe to call twice.
    public func stop() {
        lock.lock()
        defer { lock.unlock() }
        guard !stopped else { return }
        stopped = true
        if FileManager.default.fileExists(atPath: dataDirectory + "/postmaster.pid") {
            _ = try? run("pg_ctl", ["-D", dataDirectory, "-m", "immediate", "-w", "-t", "20", "stop"])
        }
        try? FileManager.default.removeItem(at: directory)
    }

    deinit { stop() }

    /// Runs one of the server's programs, as the server's user.
    private func run(_ program: String, _ arguments: [String]) throws {
        let path = binaries.appendingPathComponent(program).path
        // The server that pg_ctl starts keeps whatever pg_ctl's output was open on: a file, so
        // that nothing waits for that output to end.
        let outputFile = directory.appendingPathComponent("\(program).out")
        let (status, out, err): (Int32, String, String)
        if let runAs {
            (status, out, err) = try Self.execute("/usr/sbin/runuser", ["-u", runAs, "--", path] + arguments, directory: directory.path, outputFile: outputFile)
        } else {
            (status, out, err) = try Self.execute(path, arguments, directory: directory.path, outputFile: outputFile)
        }
        guard status == 0 else {
            let log = (try? String(contentsOf: directory.appendingPathComponent("server.log"), encoding: .utf8)) ?? ""
            throw Failure(message: "\(program) failed (\(status)): \(err)\(out)\(log.isEmpty ? "" : "\nserver log:\n" + log)")
        }
    }

    static func execute(_ path: String, _ arguments: [String], directory: String? = nil, outputFile: URL? = nil) throws -> (Int32, String, String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: path)
        process.arguments = arguments
        if let directory { process.currentDirectoryURL = URL(fileURLWithPath: directory) }
        if let outputFile {
            // Not Foundation's Process: it learns that a child ended when a socket it gave the
            // child closes, and the server that pg_ctl leaves running keeps that socket open.
            let status = try spawnAndWait(path, arguments, directory: directory, outputFile: outputFile.path)
            let text = (try? String(contentsOf: outputFile, encoding: .utf8)) ?? ""
            return (status, "", text)
        }
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        process.standardInput = FileHandle.nullDevice
        try process.run()
        // pg_ctl leaves the server holding its own output; read until our child closes its ends.
        let outData = out.fileHandleForReading.readDataToEndOfFile()
        let errData = err.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (process.terminationStatus, String(decoding: outData, as: UTF8.self), String(decoding: errData, as: UTF8.self))
    }

    /// posix_spawn with output to a file and the process group of its own, then waitpid.
    static func spawnAndWait(_ path: String, _ arguments: [String], directory: String?, outputFile: String) throws -> Int32 {
        let command = ([path] + arguments).map { "'" + $0.replacingOccurrences(of: "'", with: "'\\''") + "'" }.joined(separator: " ")
        let script = (directory.map { "cd '\($0)' && " } ?? "") + "exec " + command + " >'\(outputFile)' 2>&1 </dev/null"
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        // Nothing of the test process's beyond stdin/out/err goes to the server.
        let open = ((try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/fd")) ?? []).compactMap { Int32($0) }
        for fd in open where fd > 2 && fcntl(fd, F_GETFD) >= 0 { posix_spawn_file_actions_addclose(&actions, fd) }
        let words: [String] = ["/bin/sh", "-c", script]
        let argv: [UnsafeMutablePointer<CChar>?] = words.map { strdup($0) } + [nil]
        defer { for p in argv { free(p) } }
        var pid: pid_t = 0
        let result = posix_spawn(&pid, "/bin/sh", &actions, nil, argv, environ)
        guard result == 0 else { throw Failure(message: "cannot start \(path): error \(result)") }
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
        return (status & 0x7f) == 0 ? (status >> 8) & 0xff : 128 + (status & 0x7f)
    }

    public static func freePort() throws -> Int {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw Failure(message: "socket() failed") }
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = 0
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) == 0 && getsockname(fd, $0, &length) == 0 }
        }
        guard bound else { throw Failure(message: "could not find a free port") }
        return Int(UInt16(bigEndian: address.sin_port))
    }
}
