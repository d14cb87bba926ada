import Foundation
import Testing

@testable import StrataState

@Suite struct PostgresStateURLTests {
    @Test func fullAndDefaultForms() throws {
        let full = try PostgresStateURL("postgresql://alice:p%40ss@db.example.com:6543/fleet?schema=ops&sslmode=require", environment: [:])
        #expect(full.user == "alice" && full.password == "p@ss" && full.host == "db.example.com" && full.port == 6543)
        #expect(full.database == "fleet" && full.schema == "ops" && full.tls == .require)
        #expect(full.description == "postgres://alice:***@db.example.com:6543/fleet?schema=ops")

        let short = try PostgresStateURL("postgres://bob@localhost/", environment: [:])
        #expect(short.port == 5432 && short.database == "bob" && short.schema == "strata" && short.tls == .prefer && short.password == nil)

        let socket = try PostgresStateURL("postgres:///fleet?host=/tmp/pg", environment: ["USER": "carol", "PGPASSWORD": "pw"])
        #expect(socket.host == nil && socket.user == "carol" && socket.password == "pw")
        #expect(socket.socketPath == "/tmp/pg/.s.PGSQL.5432" && socket.tls == .disable)

        #expect(try StateBackends.location(url: "postgres://u@h/db", workingDirectory: URL(fileURLWithPath: "/")) == .postgres(try PostgresStateURL("postgres://u@h/db")))
    }

    @Test func mistakesAreNamedWithThePasswordHidden() throws {
        for (text, reason) in [
            ("postgres://u:topsecret@h/db?schema=Bad-Name", "schema"),
            ("postgres://u:topsecret@h/db/extra", "path"),
            ("postgres://u:topsecret@h/db?sslmode=sometimes", "sslmode"),
            ("postgres://u:topsecret@h/db?colour=blue", "unknown option 'colour'"),
            ("postgres://u:topsecret@h:99999/db", "port"),
        ] {
            do {
                _ = try StateBackends.location(url: text, workingDirectory: URL(fileURLWithPath: "/"))
                Issue.record("\(text) should be refused")
            } catch let error as StateError {
                #expect(error.description.contains(reason), "\(error)")
                #expect(error.description.contains("postgres://u:***@h"), "\(error)")
                #expect(!error.description.contains("topsecret"))
            }
        }
    }
}
