import Foundation
import PostgresNIO
import StrataState
import StrataTestSupport
import Testing

@testable import StrataPostgresState

/// `sslmode=verify-ca` and `verify-full` check the server's certificate against `sslrootcert`;
/// `require` encrypts without checking. Against a server of its own with `ssl=on` and a
/// certificate from a CA made here with openssl.
@Suite(.serialized, .enabled(if: PostgresServer.isAvailable && TestCertificates.isAvailable,
                             "needs Debian's postgresql package and openssl"))
struct PostgresTLSTests {
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
        let certificates = try TestCertificates.make()
        defer { certificates.remove() }
        let server = try PostgresServer.start(tls: certificates.serverFiles)
        defer { server.stop() }
        let ca = certificates.ca
        let other = certificates.otherCA

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
        let missing = try await connect(server, host: "127.0.0.1", mode: "verify-full", rootCertificate: certificates.directory.appendingPathComponent("nope.crt").path)
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
