import Foundation
import StrataTestSupport
import Testing

/// `--state s3://bucket/prefix` through the built binary, against moto (an `S3TestServer`);
/// the objects checked with the `aws` CLI.
@Suite(.serialized, .enabled(if: S3TestServer.isAvailable && AWSProviderTests.awsCLI != nil, "needs moto and the aws CLI"))
struct S3StateTests {
    @Test func demoAppliesConvergesAndDestroysWithItsStateInS3() throws {
        let server = try S3TestServer.shared()
        var cli = try AWSTestCLI(endpoint: server.endpoint)
        cli.strata.environment["STRATA_STATE_KEY"] = "e2e-s3-key"
        defer { cli.strata.remove() }
        let bucket = "strata-e2e-state-\(UUID().uuidString.prefix(8).lowercased())"
        let url = "s3://\(bucket)/teams/web"
        let demo = StrataCLI.packageRoot.appendingPathComponent("Stacks/Demo").path
        let objects = { () throws -> [String] in
            let listed = try awsJSON(try cli.aws([["s3api", "list-objects-v2", "--bucket", bucket, "--prefix", "teams/web/"]])[0])
            return ((jsonPath(listed, "Contents") as? [[String: Any]]) ?? []).compactMap { $0["Key"] as? String }.sorted()
        }

        // No bucket yet: the user is told to make one.
        let noBucket = try cli.strata.run(["plan", demo, "--state", url], environment: cli.env)
        #expect(noBucket.status != 0 && noBucket.stderr.contains("the S3 bucket '\(bucket)' of the state \(url) does not exist"), "\(noBucket.output)")
        _ = try awsJSON(try cli.aws([["s3api", "create-bucket", "--bucket", bucket]])[0])

        let apply = try cli.strata.run(["apply", demo, "--state", url, "--auto-approve"], environment: cli.env)
        #expect(apply.status == 0, "\(apply.output)")
        #expect(apply.stdout.contains("Apply complete: 14 created"), "\(apply.output)")
        let noChange = try cli.strata.run(["plan", demo, "--state", url, "--detailed-exitcode"], environment: cli.env)
        #expect(noChange.status == 0 && noChange.stdout.contains("No changes."), "\(noChange.output)")
        #expect(!FileManager.default.fileExists(atPath: cli.strata.directory.appendingPathComponent(".strata/state.db").path), "no SQLite file was made")

        // The objects, as the aws CLI sees them: the state, its origin and key check; no lock left.
        let keys = try objects()
        #expect(keys.contains("teams/web/demo/default/state.json"), "\(keys)")
        #expect(keys.contains("teams/web/demo/default/origin.json") && keys.contains("teams/web/key-check.json"), "\(keys)")
        #expect(!keys.contains { $0.hasSuffix("lock.json") }, "the lock was released: \(keys)")
        let saved = cli.strata.directory.appendingPathComponent("state.json")
        _ = try awsJSON(try cli.aws([["s3api", "get-object", "--bucket", bucket, "--key", "teams/web/demo/default/state.json", saved.path]])[0])
        let text = try String(contentsOf: saved, encoding: .utf8)
        let state = try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])
        #expect((state["serial"] as? Int ?? 0) >= 14 && (state["resources"] as? [Any])?.count == 14)
        #expect((state["intents"] as? [Any])?.isEmpty == true)
        let password = try cli.strata.run(["output", demo, "databasePassword", "--show-secrets", "--state", url], environment: cli.env)
            .stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(password.count == 24, "the password: \(password)")
        #expect(text.contains("$sealed"), "secrets are sealed at rest")
        #expect(!text.contains(password), "the password is not in the state object in the clear")

        // Reading commands work on it.
        let list = try cli.strata.run(["state", "list", demo, "--state", url], environment: cli.env)
        #expect(list.stdout.split(separator: "\n").count == 14, "\(list.output)")
        let history = try cli.strata.run(["state", "history", demo, "--state", url], environment: cli.env)
        #expect(history.status == 0 && history.stdout.contains("create"), "\(history.output)")

        // A lock object held by someone else: the next apply waits, then fails naming the holder.
        let now = Date().timeIntervalSince1970
        let lockFile = cli.strata.directory.appendingPathComponent("lock.json")
        try #"{"acquiredAt":\#(now),"host":"build-7","leaseUntil":\#(now + 3600),"operation":"apply","owner":"ops@build-7","pid":4242,"session":"elsewhere"}"#
            .write(to: lockFile, atomically: true, encoding: .utf8)
        _ = try awsJSON(try cli.aws([["s3api", "put-object", "--bucket", bucket, "--key", "teams/web/demo/default/lock.json", "--body", lockFile.path]])[0])
        let refused = try cli.strata.run(["apply", demo, "--state", url, "--var", "env=staging", "--auto-approve", "--lock-timeout", "0.5"], environment: cli.env)
        #expect(refused.status != 0, "\(refused.output)")
        #expect(refused.stderr.contains("state demo/default is locked: apply by ops@build-7 (pid 4242 on build-7)"), "\(refused.output)")
        let unlocked = try cli.strata.run(["force-unlock", demo, "--state", url], environment: cli.env)
        #expect(unlocked.status == 0, "\(unlocked.output)")
        #expect(!(try objects()).contains { $0.hasSuffix("lock.json") })

        // A change, applied, converges; then destroy leaves no resource and no lock.
        let change = try cli.strata.run(["apply", demo, "--state", url, "--var", "env=staging", "--auto-approve"], environment: cli.env)
        #expect(change.status == 0 && change.stdout.contains("0 created, 2 updated, 0 destroyed"), "\(change.output)")
        // Without the key the state is not opened.
        var noKey = cli.strata
        noKey.environment.removeValue(forKey: "STRATA_STATE_KEY")
        let withoutKey = try noKey.run(["plan", demo, "--state", url], environment: cli.env)
        #expect(withoutKey.status != 0 && withoutKey.stderr.contains("STRATA_STATE_KEY"), "\(withoutKey.output)")
        let wrongKey = try cli.strata.run(["plan", demo, "--state", url], environment: cli.env.merging(["STRATA_STATE_KEY": "another"]) { _, b in b })
        #expect(wrongKey.status != 0 && wrongKey.stderr.contains("does not open the secrets"), "\(wrongKey.output)")

        let destroy = try cli.strata.run(["destroy", demo, "--state", url, "--var", "env=staging", "--auto-approve"], environment: cli.env)
        #expect(destroy.status == 0 && destroy.stdout.contains("14 destroyed"), "\(destroy.output)")
        _ = try awsJSON(try cli.aws([["s3api", "get-object", "--bucket", bucket, "--key", "teams/web/demo/default/state.json", saved.path]])[0])
        let after = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: saved)) as? [String: Any])
        #expect((after["resources"] as? [Any])?.isEmpty == true)
        #expect(!(try objects()).contains { $0.hasSuffix("lock.json") }, "no lock is left after the run")
        #expect(cli.strata.storedIDs().isEmpty)
    }

    /// `STRATA_STATE_KMS_KEY` on an S3 state: the data key KMS made is kept only encrypted,
    /// in `state-key.json`; runs without the KMS key, or with a local key too, are refused.
    @Test func aKMSSealedStateKeepsOnlyTheEncryptedDataKeyInTheBucket() throws {
        let server = try S3TestServer.shared()
        var cli = try AWSTestCLI(endpoint: server.endpoint)
        cli.strata.environment.removeValue(forKey: "STRATA_STATE_KEY")
        defer { cli.strata.remove() }
        let bucket = "strata-e2e-kms-\(UUID().uuidString.prefix(8).lowercased())"
        let url = "s3://\(bucket)/kms"
        let demo = StrataCLI.packageRoot.appendingPathComponent("Stacks/Demo").path
        _ = try awsJSON(try cli.aws([["s3api", "create-bucket", "--bucket", bucket]])[0])
        let keyID = try #require(jsonPath(try awsJSON(try cli.aws([["kms", "create-key", "--description", "strata state"]])[0]), "KeyMetadata", "Arn") as? String)
        let kms = cli.env.merging(["STRATA_STATE_KMS_KEY": keyID]) { _, b in b }

        let apply = try cli.strata.run(["apply", demo, "--state", url, "--auto-approve"], environment: kms)
        #expect(apply.status == 0 && apply.stdout.contains("Apply complete: 14 created"), "\(apply.output)")
        let plan = try cli.strata.run(["plan", demo, "--state", url, "--detailed-exitcode"], environment: kms)
        #expect(plan.status == 0, "a new process opens the data key again: \(plan.output)")

        // The bucket holds the encrypted data key, and the state's secrets sealed with it.
        let keyFile = cli.strata.directory.appendingPathComponent("state-key.json")
        _ = try awsJSON(try cli.aws([["s3api", "get-object", "--bucket", bucket, "--key", "kms/state-key.json", keyFile.path]])[0])
        let stored = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: keyFile)) as? [String: Any])
        #expect(stored["kmsKeyID"] as? String == keyID, "\(stored)")
        let blob = try #require(stored["encryptedKey"] as? String)
        // KMS opens it: that is the data key, which must appear nowhere in the bucket.
        let blobFile = cli.strata.directory.appendingPathComponent("blob.bin")
        try #require(Data(base64Encoded: blob)).write(to: blobFile)
        let decrypted = try cli.aws([["kms", "decrypt", "--ciphertext-blob", "fileb://" + blobFile.path]])[0]
        let plain = try #require(jsonPath(try awsJSON(decrypted), "Plaintext") as? String, "\(decrypted.output)")
        let stateFile = cli.strata.directory.appendingPathComponent("state.json")
        _ = try awsJSON(try cli.aws([["s3api", "get-object", "--bucket", bucket, "--key", "kms/demo/default/state.json", stateFile.path]])[0])
        let stateText = try String(contentsOf: stateFile, encoding: .utf8)
        let password = try cli.strata.run(["output", demo, "databasePassword", "--show-secrets", "--state", url], environment: kms)
            .stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(password.count == 24 && stateText.contains("$sealed") && !stateText.contains(password), "secrets sealed at rest")
        let keyText = String(decoding: try Data(contentsOf: keyFile), as: UTF8.self)
        #expect(!stateText.contains(plain) && !keyText.contains(plain))

        // Without the KMS key, or with a local key as well: refused, saying what to set.
        let withoutKMS = try cli.strata.run(["plan", demo, "--state", url], environment: cli.env.merging(["STRATA_STATE_KEY": "a-local-key"]) { _, b in b })
        #expect(withoutKMS.status != 0 && withoutKMS.stderr.contains("sealed under the AWS KMS key \(keyID)"), "\(withoutKMS.output)")
        let both = try cli.strata.run(["plan", demo, "--state", url], environment: kms.merging(["STRATA_STATE_KEY": "a-local-key"]) { _, b in b })
        #expect(both.status != 0 && both.stderr.contains("both STRATA_STATE_KMS_KEY and STRATA_STATE_KEY are set"), "\(both.output)")
        let rekey = try cli.strata.run(["state", "rekey", "--state", url], environment: kms)
        #expect(rekey.status != 0 && rekey.stderr.contains("S3"), "\(rekey.output)")

        let destroy = try cli.strata.run(["destroy", demo, "--state", url, "--auto-approve"], environment: kms)
        #expect(destroy.status == 0, "\(destroy.output)")
    }
}
