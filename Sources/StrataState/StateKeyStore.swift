import Foundation

/// The data key of a state whose secrets are sealed under an AWS KMS key (envelope
/// encryption): only its encrypted form, KMS's `CiphertextBlob`, which is kept in the state
/// itself (table `state_keys`). The plain data key is only ever in memory.
public struct StateDataKey: Sendable, Hashable {
    /// The KMS key it was made under, as KMS named it (a key ARN).
    public var kmsKeyID: String
    /// The `CiphertextBlob`: only that KMS key can open it.
    public var encryptedKey: Data

    public init(kmsKeyID: String, encryptedKey: Data) {
        self.kmsKeyID = kmsKeyID
        self.encryptedKey = encryptedKey
    }
}

/// What `rekey` does to the stored data key, in the transaction that re-seals the secrets.
public enum DataKeyChange: Sendable, Hashable {
    /// Leave it (a local key replaced by another local key).
    case keep
    /// Store this one (moving to KMS, or a new data key under KMS).
    case set(StateDataKey)
    /// Drop it (moving from KMS to a local key).
    case remove
}

/// A backend that keeps its own key material: the encrypted data key of a KMS-sealed state,
/// and the re-sealing of every secret in one step (`strata state rekey`).
public protocol StateKeyStore: StateBackend {
    /// The stored data key, if this state's secrets are sealed under KMS.
    func dataKey() async throws -> StateDataKey?
    /// Stores `key` unless one is already stored; returns the one stored (the first writer
    /// wins, so workers starting together agree on one data key).
    func storeDataKey(_ key: StateDataKey) async throws -> StateDataKey
    /// True if anything in the state was sealed already (with whatever key).
    func holdsSealedSecrets() async throws -> Bool
    /// Re-seals every secret (all instances, intents, origins) with `cipher` and applies
    /// `dataKey`, in one transaction: a crash leaves the old key's state or the new one's,
    /// never a mix. Returns how many values were re-sealed.
    func rekey(to cipher: SecretCipher, dataKey: DataKeyChange) async throws -> Int
}
