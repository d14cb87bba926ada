import Foundation
import StrataModel
import StrataState

/// A KMS-sealed S3 state (`STRATA_STATE_KMS_KEY`): the encrypted data key is the object
/// `<prefix>/state-key.json`, written once with `If-None-Match: *`, so that runs starting
/// together agree on one data key. Re-keying is not offered: S3 has no transaction across
/// the objects of a state, so a crash halfway would leave secrets sealed with two keys.
extension S3StateBackend: StateKeyStore {
    /// `state-key.json`.
    struct StoredDataKey: Codable, Sendable {
        var kmsKeyID: String
        /// Base64 of KMS's `CiphertextBlob`.
        var encryptedKey: String
        var createdAt: Double
    }

    var dataKeyObject: String { root + "state-key.json" }

    public func dataKey() async throws -> StateDataKey? {
        guard let object = try await store.get(dataKeyObject) else { return nil }
        let stored = try S3StateDocuments.decode(StoredDataKey.self, object.data, "the data key \(url)/state-key.json")
        guard let blob = Data(base64Encoded: stored.encryptedKey) else {
            throw StateError.storage("the stored data key \(url)/state-key.json is damaged")
        }
        return StateDataKey(kmsKeyID: stored.kmsKeyID, encryptedKey: blob)
    }

    public func storeDataKey(_ key: StateDataKey) async throws -> StateDataKey {
        let document = StoredDataKey(kmsKeyID: key.kmsKeyID, encryptedKey: key.encryptedKey.base64EncodedString(), createdAt: Date().timeIntervalSince1970)
        do {
            try await store.put(dataKeyObject, try S3StateDocuments.encode(document), .absent)
            return key
        } catch is S3ObjectStore.Conflict {
            // Another run stored its key first: everyone uses that one.
            return try await dataKey() ?? key
        }
    }

    /// The sealed probe is written by the first run that had a key.
    public func holdsSealedSecrets() async throws -> Bool {
        try await store.get(root + "key-check.json") != nil
    }

    public func rekey(to cipher: SecretCipher, dataKey: DataKeyChange) async throws -> Int {
        throw StateError.storage(
            "strata state rekey does not re-key an S3 state yet: S3 cannot change all of a state's objects in one step, so a crash "
                + "halfway would leave secrets sealed with two keys")
    }
}
