import Foundation
import StrataTestSupport
import Testing

/// State keys from AWS KMS (envelope encryption, `STRATA_STATE_KMS_KEY`), against
/// moto_server: the state keeps only the encrypted data key, later runs have KMS open it, a
/// disabled key stops the run with a message that says what to do, and `strata state rekey`
/// moves a state between a local key and a KMS key, on SQLite and on PostgreSQL.
@Suite(.serialized, .enabled(if: AWSProviderTests.toolsMissing == nil, "needs moto_server and the aws CLI"))
struct StateKMSTests {
    static let stack = """
        import Strata
        import StrataRandom
        import StrataTestProvider

        let password = RandomPassword("db", length: 24, special: false)
        let db = TestResource("db", value: "postgres")
        db.secret = password.result
        let api = TestResource("api", value: "svc")
        api.secret = Expr<String>(Stack.variable("literal", default: "none")).secret
        Stack.output("password", password.result)
        """

    /// moto_server with one KMS key and an alias for it.
    struct KMS {
        let moto: MotoServer
        var cli: AWSTestCLI
        let keyID: String
        let arn: String
        let alias = "alias/strata-state"

        init() throws {
            moto = try MotoServer.start(try #require(AWSProviderTests.moto))
            cli = try AWSTestCLI(endpoint: moto.endpoint)
            let created = try cli.aws([["kms", "create-key", "--description", "strata state"]])[0]
            try #require(created.status == 0, "\(created.output)")
            keyID = try #require(jsonPath(try awsJSON(created), "KeyMetadata", "KeyId") as? String)
            arn = try #require(jsonPath(try awsJSON(created), "KeyMetadata", "Arn") as? String)
            let aliased = try cli.aws([["kms", "create-alias", "--alias-name", alias, "--target-key-id", keyID]])[0]
            try #require(aliased.status == 0, "\(aliased.output)")
        }

        /// The aws CLI's environment with the KMS key named, and nothing of a local key.
        func env(_ key: String? = nil) -> [String: String] {
            var env = cli.env
            env["STRATA_STATE_KMS_KEY"] = key ?? alias
            env["STRATA_STATE_KEY"] = ""
            return env
        }

        func stop() { moto.stop() }
    }

    /// Every file under `dir`, searched byte for byte for `needle`.
    func files(containing needle: Data, under dir: URL) -> [String] {
        guard let walker = FileManager.default.enumerator(at: dir, includingPropertiesForKeys: nil) else { return [] }
        var hits: [String] = []
        for case let file as URL in walker {
            if let data = FileManager.default.contents(atPath: file.path), data.range(of: needle) != nil { hits.append(file.path) }
        }
        return hits
    }

    /// The data key in clear, as KMS gives it back for the stored `CiphertextBlob`: what must
    /// be nowhere on disk or in output.
    func plainDataKey(_ kms: KMS, blob: String) throws -> Data {
        let blobFile = kms.cli.strata.directory.appendingPathComponent("blob.bin")
        let blobData = try #require(Data(base64Encoded: blob))
        try blobData.write(to: blobFile)
        let decrypted = try kms.cli.aws([["kms", "decrypt", "--ciphertext-blob", "fileb://\(blobFile.path)"]])[0]
        try #require(decrypted.status == 0, "\(decrypted.output)")
        try FileManager.default.removeItem(at: blobFile)
        let plain = try #require(jsonPath(try awsJSON(decrypted), "Plaintext") as? String)
        return try #require(Data(base64Encoded: plain))
    }

    func sqlite(_ file: URL, _ sql: String) throws -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/sqlite3")
        process.arguments = [file.path, sql]
        let out = Pipe()
        process.standardOutput = out
        try process.run()
        let data = out.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
    }

    @Test func aSQLiteStateSealedUnderKMSKeepsOnlyTheEncryptedDataKey() throws {
        let kms = try KMS()
        defer { kms.stop(); kms.cli.strata.remove() }
        let strata = kms.cli.strata
        let literal = "kms-literal-\(UUID().uuidString.prefix(8))"
        let stack = try strata.writeStack("Vault", ["main.swift": Self.stack])
        let vars = ["--var", "literal=\(literal)"]
        var outputs: [String] = []
        func run(_ arguments: [String], _ env: [String: String]) throws -> StrataCLI.Result {
            let result = try strata.run(arguments, environment: env)
            outputs.append(result.output)
            return result
        }

        let apply = try run(["apply", stack, "--auto-approve"] + vars, kms.env())
        #expect(apply.status == 0, "\(apply.output)")
        let state = strata.directory.appendingPathComponent(".strata/state.db")
        #expect(!FileManager.default.fileExists(atPath: strata.directory.appendingPathComponent(".strata/state.key").path), "no local key file")
        let stored = try sqlite(state, "SELECT kms_key_id || ' ' || encrypted_key FROM state_keys").split(separator: " ").map(String.init)
        try #require(stored.count == 2, "the encrypted data key is kept in the state: \(stored)")
        #expect(stored[0] == kms.arn, "recorded under the key's ARN: \(stored)")
        #expect(try sqlite(state, "SELECT outputs_json FROM resources WHERE address = 'random_password.db'").contains("$sealed"))

        // A new process: KMS opens the data key, the plan is empty, the secret reads back.
        let plan = try run(["plan", stack, "--detailed-exitcode"] + vars, kms.env())
        #expect(plan.status == 0, "\(plan.output)")
        let shown = try run(["output", stack, "password", "--show-secrets"], kms.env(kms.keyID))
        let password = shown.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(password.count == 24, "\(shown.output)")

        // Without the KMS key, or with a local key as well: refused, saying what to set.
        let without = try run(["plan", stack] + vars, kms.cli.env)
        #expect(without.status != 0 && without.output.contains("STRATA_STATE_KMS_KEY=\(kms.arn)"), "\(without.output)")
        var both = kms.env()
        both["STRATA_STATE_KEY"] = "a-local-key"
        let twice = try run(["plan", stack] + vars, both)
        #expect(twice.status != 0 && twice.output.contains("both"), "\(twice.output)")

        // The key disabled: the run stops, naming the key, its state and the remedy.
        #expect(try kms.cli.aws([["kms", "disable-key", "--key-id", kms.keyID]])[0].status == 0)
        let disabled = try run(["plan", stack] + vars, kms.env())
        #expect(disabled.status != 0, "\(disabled.output)")
        #expect(disabled.output.contains("disabled") && disabled.output.contains("enable-key"), "\(disabled.output)")
        #expect(try kms.cli.aws([["kms", "enable-key", "--key-id", kms.keyID]])[0].status == 0)

        // Rotating under KMS: a new data key, the secrets still read.
        let rotate = try run(["state", "rekey"], kms.env())
        #expect(rotate.status == 0 && rotate.stdout.contains("Re-sealed"), "\(rotate.output)")
        let rotated = try sqlite(state, "SELECT encrypted_key FROM state_keys")
        #expect(rotated != stored[1], "a new data key")
        #expect(try run(["plan", stack, "--detailed-exitcode"] + vars, kms.env()).status == 0)

        // To a local key and back.
        let toLocal = try run(["state", "rekey", "--to-local"], kms.env())
        #expect(toLocal.status == 0, "\(toLocal.output)")
        #expect(try sqlite(state, "SELECT count(*) FROM state_keys") == "0")
        #expect(FileManager.default.fileExists(atPath: strata.directory.appendingPathComponent(".strata/state.key").path))
        #expect(try run(["output", stack, "password", "--show-secrets"], kms.cli.env).stdout.contains(password))
        let stillKMS = try run(["plan", stack] + vars, kms.env())
        #expect(stillKMS.status != 0 && stillKMS.output.contains("--to-kms"), "a locally sealed state is not opened under KMS: \(stillKMS.output)")
        let toKMS = try run(["state", "rekey", "--to-kms", kms.alias], kms.cli.env)
        #expect(toKMS.status == 0, "\(toKMS.output)")
        #expect(!FileManager.default.fileExists(atPath: strata.directory.appendingPathComponent(".strata/state.key").path), "the local key is gone")
        #expect(try run(["output", stack, "password", "--show-secrets"], kms.env()).stdout.contains(password))

        // Neither data key was ever written or printed in clear: not in any file under the
        // test's folder (state, WAL, plans, compile cache), not in any output.
        let blobs = [stored[1], rotated, try sqlite(state, "SELECT encrypted_key FROM state_keys")]
        for blob in blobs {
            let key = try plainDataKey(kms, blob: blob)
            let hex = key.map { String(format: "%02x", $0) }.joined()
            for needle in [key, Data(key.base64EncodedString().utf8), Data(hex.utf8)] {
                // (Except the aws CLI's own answers to this test's `kms decrypt`.)
                let onDisk = files(containing: needle, under: strata.directory).filter { !URL(fileURLWithPath: $0).lastPathComponent.hasPrefix("aws-") }
                #expect(onDisk.isEmpty, "the data key in clear on disk: \(onDisk)")
                #expect(!outputs.contains { $0.utf8.count > 0 && Data($0.utf8).range(of: needle) != nil }, "the data key in clear in output")
            }
        }
        for secret in [password, literal] {
            #expect(files(containing: Data(secret.utf8), under: strata.directory.appendingPathComponent(".strata")).isEmpty, "state holds \(secret)")
        }
    }

    @Test(.enabled(if: PostgresServer.isAvailable, "needs Debian's postgresql package"))
    func aPostgresStateIsReKeyedInOneTransactionAndMovesToKMSAndBack() throws {
        let kms = try KMS()
        let server = try PostgresServer.shared()
        let schema = "e2e_rekey_\(UUID().uuidString.prefix(8).lowercased())"
        defer { kms.stop(); kms.cli.strata.remove(); _ = try? server.psql("DROP SCHEMA IF EXISTS \(schema) CASCADE") }
        let strata = kms.cli.strata
        let url = server.url(schema: schema)
        let stack = try strata.writeStack("Vault", ["main.swift": Self.stack])
        func local(_ key: String, _ extra: [String: String] = [:]) -> [String: String] {
            kms.cli.env.merging(["STRATA_STATE_KEY": key, "STRATA_STATE_KMS_KEY": ""].merging(extra) { _, b in b }) { _, b in b }
        }
        for instance in ["default", "blue"] {
            let apply = try strata.run(["apply", stack, "--state", url, "--instance", instance, "--auto-approve"], environment: local("k1"))
            #expect(apply.status == 0, "\(apply.output)")
        }
        let password = try strata.run(["output", stack, "password", "--show-secrets", "--state", url], environment: local("k1")).stdout
            .trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(password.count == 24)

        // A chosen new key (STRATA_STATE_NEW_KEY): both instances re-sealed, the old key refused.
        let rekey = try strata.run(["state", "rekey", "--state", url], environment: local("k1", ["STRATA_STATE_NEW_KEY": "k2"]))
        #expect(rekey.status == 0 && rekey.stdout.contains("Re-sealed"), "\(rekey.output)")
        let old = try strata.run(["plan", stack, "--state", url], environment: local("k1"))
        #expect(old.status != 0 && old.output.contains("does not open"), "\(old.output)")
        for instance in ["default", "blue"] {
            let plan = try strata.run(["plan", stack, "--state", url, "--instance", instance, "--detailed-exitcode"], environment: local("k2"))
            #expect(plan.status == 0, "\(plan.output)")
        }

        // A printed new key: shown before the transaction, so a crash cannot lose it.
        let printed = try strata.run(["state", "rekey", "--state", url], environment: local("k2"))
        #expect(printed.status == 0, "\(printed.output)")
        let lines = printed.stdout.split(separator: "\n").map(String.init)
        let k3 = try #require(lines.first { $0.count == 64 && $0.allSatisfy(\.isHexDigit) }, "\(printed.output)")
        #expect(lines.firstIndex(of: k3)! < lines.firstIndex { $0.hasPrefix("Re-sealed") }!)
        #expect(try strata.run(["output", stack, "password", "--show-secrets", "--state", url], environment: local(k3)).stdout.contains(password))

        // To KMS: the data key row and the re-sealed secrets in one transaction.
        let toKMS = try strata.run(["state", "rekey", "--state", url, "--to-kms", kms.alias], environment: local(k3))
        #expect(toKMS.status == 0, "\(toKMS.output)")
        #expect(try server.psql("SELECT kms_key_id FROM \(schema).state_keys") == kms.arn)
        let viaKMS = try strata.run(["plan", stack, "--state", url, "--instance", "blue", "--detailed-exitcode"], environment: kms.env())
        #expect(viaKMS.status == 0, "\(viaKMS.output)")
        let stale = try strata.run(["plan", stack, "--state", url], environment: local(k3))
        #expect(stale.status != 0 && stale.output.contains("STRATA_STATE_KMS_KEY=\(kms.arn)"), "\(stale.output)")

        // And back to a local key.
        let back = try strata.run(["state", "rekey", "--state", url, "--to-local"], environment: kms.env().merging(["STRATA_STATE_NEW_KEY": "k4"]) { _, b in b })
        #expect(back.status == 0, "\(back.output)")
        #expect(try server.psql("SELECT count(*) FROM \(schema).state_keys") == "0")
        #expect(try strata.run(["output", stack, "password", "--show-secrets", "--state", url], environment: local("k4")).stdout.contains(password))
        let underKMS = try strata.run(["plan", stack, "--state", url], environment: kms.env())
        #expect(underKMS.status != 0 && underKMS.output.contains("--to-kms"), "\(underKMS.output)")
    }
}
