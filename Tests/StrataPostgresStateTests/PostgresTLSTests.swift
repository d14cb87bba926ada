import Foundation
import PostgresNIO
import StrataState
import StrataTestSupport
import Testing

@testable import StrataPostgresState

/// `sslmode=verify-ca` and `verify-full` check the server's certificate against `sslrootcert`;
/// `require` encrypts without checking. Against a server of its own with `ssl=on` and a
/// certificate from a CA made here with openssl.
@Suite(.serialized, .enabled(if: PostgresServer.isAvailable && FileManager.default.isExecutableFile(atPath: "/usr/bin/openssl"),
                             "needs Debian's postgresql package and openssl"))
struct PostgresTLSTests {
    /// Runs openssl in `dir`.
    func openssl(_ dir: URL, _ arguments: [String]) throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/openssl")
        process.arguments = arguments
        process.currentDirectoryURL = dir
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        process.waitUntilExit()
        try #require(process.terminationStatus == 0, "openssl \(arguments.joined(separator: " "))")
    }

    /// A CA: `NAME.crt` and `NAME.key`.
    func makeCA(_ dir: URL, _ name: String) throws {
        try openssl(dir, ["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
                          "-keyout", "\(name).key", "-out", "\(name).crt", "-days", "2", "-subj", "/CN=Strata test CA \(name)",
                          "-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign,cRLSign"])
    }

    /// `server.crt` (for the name `localhost` only, signed by `ca`) and `server.key`. No IP
    /// address in it: NIOSSL accepts an IP entry that matches the address connected to even
    /// when the URL gave a name.
    func makeServerCertificate(_ dir: URL, ca: String) throws {
        try openssl(dir, ["req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
                          "-keyout", "server.key", "-out", "server.csr", "-subj", "/CN=strata-test-server"])
        try "subjectAltName=DNS:localhost\nextendedKeyUsage=serverAuth\nbasicConstraints=CA:FALSE\n"
            .write(to: dir.appendingPathComponent("server.ext"), atomically: true, encoding: .utf8)
        try openssl(dir, ["x509", "-req", "-in", "server.csr", "-CA", "\(ca).crt", "-CAkey", "\(ca).key", "-CAcreateserial",
                          "-out", "server.crt", "-days", "2", "-extfile", "server.ext"])
    }

    /// Connects (and migrates a schema) through the state backend; the error's text if it failed,
    /// and whether the session is encrypted if it did not.
    func connect(_ server: PostgresServer, host: String, mode: String, rootCertificate: String?) async throws -> (encrypted: Bool?, error: String?) {
        let url = try PostgresStateURL(
            "postgres://postgres@\(host):\(server.port)/postgres?schema=tls_check&sslmode=\(mode)&connect_timeout=10"
                + (rootCertificate.map { "&sslrootcert=\($0)" } ?? ""))
        let backend = PostgresStateBackend(url: url, cipher: nil)
        defer { Task { try? await backend.close() } }
        do {
            try await backend.prepare()
            let ssl = try await backend.run("checking TLS") { c in
                try await c.query("SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()", logger: backend.logger).collect().first?.decode(Bool.self)
            }
            return (ssl, nil)
        } catch {
            return (nil, "\(error)")
        }
    }

    @Test func verifyFullAndVerifyCACheckTheCertificateAndRequireOnlyEncrypts() async throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("strata-tls-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        try makeCA(dir, "ca")
        try makeCA(dir, "other")
        try makeServerCertificate(dir, ca: "ca")
        let server = try PostgresServer.start(
            tls: .init(certificate: dir.appendingPathComponent("server.crt").path, key: dir.appendingPathComponent("server.key").path))
        defer { server.stop() }
        let ca = dir.appendingPathComponent("ca.crt").path
        let other = dir.appendingPathComponent("other.crt").path

        // The right CA and the name the certificate holds.
        let full = try await connect(server, host: "localhost", mode: "verify-full", rootCertificate: ca)
        #expect(full.error == nil, "\(full.error ?? "")")
        #expect(full.encrypted == true)

        // Another CA: refused, and the message says it is the certificate.
        let wrongCA = try await connect(server, host: "localhost", mode: "verify-full", rootCertificate: other)
        let wrongCAText = try #require(wrongCA.error, "a certificate from an untrusted CA must be refused")
        #expect(wrongCAText.contains("certificate"), "\(wrongCAText)")
        #expect(wrongCAText.contains("sslrootcert"), "\(wrongCAText)")
        let wrongCAToo = try await connect(server, host: "localhost", mode: "verify-ca", rootCertificate: other)
        #expect(wrongCAToo.error != nil, "verify-ca checks the CA too")

        // A host the certificate does not name (the address, where it names `localhost`):
        // verify-full refuses, verify-ca does not check names.
        let wrongName = try await connect(server, host: "127.0.0.1", mode: "verify-full", rootCertificate: ca)
        let wrongNameText = try #require(wrongName.error, "verify-full must check the host name")
        #expect(wrongNameText.lowercased().contains("host"), "\(wrongNameText)")
        let caOnly = try await connect(server, host: "127.0.0.1", mode: "verify-ca", rootCertificate: ca)
        #expect(caOnly.error == nil, "\(caOnly.error ?? "")")
        #expect(caOnly.encrypted == true)

        // require: encrypted, whatever the certificate (libpq's meaning).
        let require = try await connect(server, host: "127.0.0.1", mode: "require", rootCertificate: nil)
        #expect(require.error == nil, "\(require.error ?? "")")
        #expect(require.encrypted == true)
        // verify-full without sslrootcert trusts the system's CAs, which never signed this one.
        let system = try await connect(server, host: "localhost", mode: "verify-full", rootCertificate: nil)
        #expect(system.error != nil)
        // A CA file that is not there is named.
        let missing = try await connect(server, host: "127.0.0.1", mode: "verify-full", rootCertificate: dir.appendingPathComponent("nope.crt").path)
        #expect(missing.error?.contains("nope.crt") == true, "\(missing.error ?? "")")
    }

    @Test func theURLReadsLibpqsModes() throws {
        #expect(try PostgresStateURL("postgres://u@h/db?sslmode=verify-ca&sslrootcert=/etc/ca.pem").tls == .verifyCA)
        let full = try PostgresStateURL("postgres://u@h/db?sslmode=verify-full&sslrootcert=/etc/ca.pem")
        #expect(full.tls == .verifyFull && full.rootCertificate == "/etc/ca.pem")
        #expect(try PostgresStateURL("postgres://u@h/db?sslmode=require").tls == .require)
        #expect(throws: StateError.self) { try PostgresStateURL("postgres://u@h/db?sslmode=require&sslrootcert=/etc/ca.pem") }
        #expect(throws: StateError.self) { try PostgresStateURL("postgres://u@h/db?sslmode=verify-everything") }
        #expect(throws: StateError.self) { try PostgresStateURL("postgres:///db?host=/var/run/postgresql&sslmode=verify-full") }
    }
}
