import Foundation
import PostgresNIO
import StrataModel
import StrataState

/// The key material a PostgreSQL state keeps (migration 3, `state_keys`), and `strata state
/// rekey` for it.
///
/// Rekey is one transaction over the whole schema: every sealed column of every instance, the
/// intents, the recorded origins, the `key_check` probe and the stored data key change
/// together. PostgreSQL commits all of it or none of it, so a crash (or a server restart)
/// halfway leaves the state readable with the old key, and a commit leaves it readable with
/// the new one only; there is no moment, and no row, that needs both. Workers that still hold
/// the old key are stopped at their next lock: `lock` opens the probe with the worker's key
/// and refuses if it no longer can (`verifyKeyAfterLock`), before anything is written.
extension PostgresStateBackend: StateKeyStore {
    public func dataKey() async throws -> StateDataKey? {
        try await run("reading the data key") { c in try await self.readDataKey(c) }
    }

    func readDataKey(_ c: PostgresConnection) async throws -> StateDataKey? {
        guard
            let row = try await c.query(
                "SELECT kms_key_id, encrypted_key FROM \(unescaped: table("state_keys")) WHERE name = 'data_key'", logger: logger
            ).collect().first
        else { return nil }
        let (keyID, text) = try row.decode((String, String).self)
        guard let blob = Data(base64Encoded: text) else { throw StateError.storage("the stored data key of the state \(url) is damaged") }
        return StateDataKey(kmsKeyID: keyID, encryptedKey: blob)
    }

    public func storeDataKey(_ key: StateDataKey) async throws -> StateDataKey {
        try await run("storing the data key") { c in
            try await c.query(
                """
                INSERT INTO \(unescaped: self.table("state_keys")) (name, kms_key_id, encrypted_key)
                VALUES ('data_key', \(key.kmsKeyID), \(key.encryptedKey.base64EncodedString())) ON CONFLICT (name) DO NOTHING
                """, logger: self.logger)
            return try await self.readDataKey(c) ?? key
        }
    }

    /// True once any key sealed something here: the `key_check` probe is written by the first
    /// process that opens the state with a key.
    public func holdsSealedSecrets() async throws -> Bool {
        try await run("looking for sealed secrets") { c in
            try await c.query("SELECT 1 FROM \(unescaped: self.table("strata_meta")) WHERE name = 'key_check'", logger: self.logger)
                .collect().count > 0
        }
    }

    /// Every column that may hold a sealed secret.
    static let sealedColumns = [("resources", "inputs_json"), ("resources", "outputs_json"), ("instances", "outputs_json"),
                                ("intents", "inputs_json"), ("instance_origins", "variables_json"), ("strata_meta", "value")]

    public func rekey(to newCipher: SecretCipher, dataKey change: DataKeyChange) async throws -> Int {
        guard let cipher else { throw StateError.storage("this state has no key to rotate") }
        @Sendable func reseal(_ text: String) throws -> String {
            ValueJSON.string(try newCipher.seal(try cipher.open(try ValueJSON.parse(text))))
        }
        do {
            return try await transaction("re-sealing the secrets") { c in
                var count = 0
                for (name, column) in Self.sealedColumns {
                    let table = self.table(name)
                    // Every row, locked until the commit (a writer waits, then sees the new values).
                    let rows = try await c.query(
                        PostgresQuery(unsafeSQL: "SELECT ctid::text, \(column) FROM \(table) WHERE strpos(\(column), '$sealed') > 0 FOR UPDATE"),
                        logger: self.logger
                    ).collect()
                    for row in rows {
                        let (ctid, text) = try row.decode((String, String).self)
                        let resealed = try reseal(text)
                        try await c.query(
                            "UPDATE \(unescaped: table) SET \(unescaped: column) = \(resealed) WHERE ctid = \(ctid)::tid", logger: self.logger)
                        count += 1
                    }
                }
                switch change {
                case .keep: break
                case .remove:
                    try await c.query("DELETE FROM \(unescaped: self.table("state_keys"))", logger: self.logger)
                case .set(let key):
                    try await c.query(
                        """
                        INSERT INTO \(unescaped: self.table("state_keys")) (name, kms_key_id, encrypted_key, created_at)
                        VALUES ('data_key', \(key.kmsKeyID), \(key.encryptedKey.base64EncodedString()), now())
                        ON CONFLICT (name) DO UPDATE SET kms_key_id = EXCLUDED.kms_key_id, encrypted_key = EXCLUDED.encrypted_key,
                            created_at = EXCLUDED.created_at
                        """, logger: self.logger)
                }
                return count
            }
        } catch let error as StateError {
            throw error
        } catch {
            throw StateError.storage("rekey of \(url) failed, nothing changed: \(PostgresErrors.describe(error))")
        }
    }

    /// After a lock is taken: the probe must still open with this process's key. A worker
    /// started before a `strata state rekey` would otherwise seal new secrets with the old key.
    func verifyKeyAfterLock(_ c: PostgresConnection) async throws {
        guard let cipher else { return }
        guard
            let stored = try await c.query("SELECT value FROM \(unescaped: table("strata_meta")) WHERE name = 'key_check'", logger: logger)
                .collect().first?.decode(String.self)
        else { return }
        if (try? cipher.open(try ValueJSON.parse(stored))) == nil {
            throw StateError.storage(
                "the key this strata holds no longer opens the secrets of the state \(url): it was re-keyed (strata state rekey) "
                    + "since this process started. Restart it with the new key (STRATA_STATE_KEY or STRATA_STATE_KMS_KEY)")
        }
    }
}
