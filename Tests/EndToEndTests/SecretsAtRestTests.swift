import Foundation
import Testing

/// Secrets are sealed at rest (AES-256-GCM): the state file and saved plans never hold them
/// in clear, yet Strata reads them back with the key.
@Suite(.serialized) struct SecretsAtRestTests {
    /// Every file under `dir` (the state, its WAL, plans), searched byte for byte.
    func filesContaining(_ needle: String, under dir: URL) -> [String] {
        guard let walker = FileManager.default.enumerator(at: dir, includingPropertiesForKeys: nil) else { return [] }
        var hits: [String] = []
        let bytes = Data(needle.utf8)
        for case let file as URL in walker {
            if let data = FileManager.default.contents(atPath: file.path), data.range(of: bytes) != nil { hits.append(file.lastPathComponent) }
        }
        return hits
    }

    @Test func secretsAreNeverInTheStateOrPlanFilesInClear() throws {
        let cli = try StrataCLI()
        defer { cli.remove() }
        let literal = "hunter2-\(UUID().uuidString.prefix(8))"
        let stack = try cli.writeStack("Secrets", ["main.swift": """
            import Strata
            import StrataRandom
            import StrataTestProvider

            let password = RandomPassword("db", length: 20, special: false)
            let db = TestResource("db", value: "postgres")
            db.secret = password.result
            let api = TestResource("api", value: "svc")
            api.secret = Expr<String>("\(literal)").secret
            Stack.output("password", password.result)
            """])
        let plan = try cli.run(["plan", stack, "--out", "secrets.plan"])
        #expect(plan.status == 0, "\(plan.output)")
        let apply = try cli.run(["apply", "secrets.plan"])
        #expect(apply.status == 0, "\(apply.output)")
        let shown = try cli.run(["output", stack, "password", "--show-secrets"])
        let password = shown.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(password.count == 20, "the password reads back with the key: \(shown.output)")
        #expect(try cli.run(["plan", stack, "--out", "again.plan", "--detailed-exitcode"]).status == 0)

        // Nothing Strata keeps holds either secret (the test provider's own files are the
        // provider's business, like a cloud's): the state, its WAL, the plans.
        let strataDir = cli.directory.appendingPathComponent(".strata")
        for secret in [password, literal] {
            #expect(filesContaining(secret, under: strataDir).filter { $0.hasPrefix("state") }.isEmpty, "state holds \(secret)")
            #expect(filesContaining(secret, under: cli.directory).filter { $0.hasSuffix(".plan") }.isEmpty, "a plan holds \(secret)")
            #expect(!apply.output.contains(secret) && !plan.output.contains(secret))
        }
        #expect(FileManager.default.fileExists(atPath: strataDir.appendingPathComponent("state.key").path))

        // Rotating the key: everything still reads, the old key no longer does.
        let keyFile = strataDir.appendingPathComponent("state.key")
        let oldKey = try String(contentsOf: keyFile, encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
        let rekey = try cli.run(["state", "rekey"])
        #expect(rekey.status == 0, "\(rekey.output)")
        #expect(rekey.stdout.contains("Re-sealed"), "\(rekey.output)")
        let newKey = try String(contentsOf: keyFile, encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(newKey != oldKey && newKey.count == 64)
        #expect(try cli.run(["output", stack, "password", "--show-secrets"]).stdout.trimmingCharacters(in: .whitespacesAndNewlines) == password)
        #expect(try cli.run(["plan", stack, "--detailed-exitcode"]).status == 0)
        let stale = try cli.run(["output", stack, "password", "--show-secrets"], environment: ["STRATA_STATE_KEY": oldKey])
        #expect(stale.status != 0 && stale.output.contains("wrong key"), "\(stale.output)")

        // With the wrong key, Strata says so instead of showing garbage.
        let wrong = try cli.run(["output", stack, "password", "--show-secrets"], environment: ["STRATA_STATE_KEY": "not the key"])
        #expect(wrong.status != 0)
        #expect(wrong.output.contains("wrong key"), "\(wrong.output)")
    }
}
