import Foundation
import StrataTestSupport
import Testing

/// The `postgresql` provider's `sslmode=verify-full`/`verify-ca` with `sslrootcert`, against a
/// server of its own with `ssl=on` and a certificate for `localhost` from a test CA.
@Suite(.serialized, .enabled(if: PostgresServer.isAvailable && TestCertificates.isAvailable, "needs Debian's postgresql package and openssl"))
struct PostgresProviderTLSTests {
    @Test func theProviderChecksTheServersCertificate() throws {
        let certificates = try TestCertificates.make()
        defer { certificates.remove() }
        let server = try PostgresServer.start(tls: certificates.serverFiles)
        defer { server.stop() }
        let cli = try StrataCLI()
        defer { cli.remove() }
        let stack = try cli.writeStack("Tls", ["main.swift": #"""
            import Strata
            import StrataPostgres

            Postgres.provider(url: Expr(Stack.variable("url", default: "")))
            Postgres.Role("reader", name: "tls_reader")
            """#])
        func url(_ host: String, _ mode: String, _ ca: String) -> [String] {
            ["--var", "url=postgres://postgres@\(host):\(server.port)/postgres?sslmode=\(mode)&sslrootcert=\(ca)"]
        }

        let apply = try cli.run(["apply", stack, "--auto-approve"] + url("localhost", "verify-full", certificates.ca))
        #expect(apply.status == 0, "\(apply.output)")
        #expect(try server.psql("SELECT count(*) FROM pg_roles WHERE rolname = 'tls_reader'") == "1")

        let otherCA = try cli.run(["plan", stack] + url("localhost", "verify-full", certificates.otherCA))
        #expect(otherCA.status != 0, "\(otherCA.output)")
        #expect(otherCA.output.contains("certificate") && otherCA.output.contains("sslrootcert"), "\(otherCA.output)")
        let wrongName = try cli.run(["plan", stack] + url("127.0.0.1", "verify-full", certificates.ca))
        #expect(wrongName.status != 0 && wrongName.output.lowercased().contains("host"), "\(wrongName.output)")
        let caOnly = try cli.run(["plan", stack, "--detailed-exitcode"] + url("127.0.0.1", "verify-ca", certificates.ca))
        #expect(caOnly.status == 0, "\(caOnly.output)")

        let destroy = try cli.run(["destroy", stack, "--auto-approve"] + url("localhost", "verify-full", certificates.ca))
        #expect(destroy.status == 0, "\(destroy.output)")
        #expect(try server.psql("SELECT count(*) FROM pg_roles WHERE rolname = 'tls_reader'") == "0")
    }
}
