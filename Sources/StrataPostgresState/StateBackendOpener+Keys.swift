import Foundation
import StrataS3State
import StrataState
import StrataStateKMS

/// Where the key that seals a state's secrets comes from, in this order:
///
/// 1. `STRATA_STATE_KMS_KEY` (a KMS key id, key ARN, `alias/NAME` or alias ARN): envelope
///    encryption. The state keeps only the data key KMS encrypted (`state_keys`); each run has
///    KMS decrypt it. Setting `STRATA_STATE_KEY` as well is refused: one state, one key.
/// 2. `STRATA_STATE_KEY`: the key itself (every backend).
/// 3. SQLite only: the key file `state.key` beside the state file, made on first use.
///
/// A state sealed under KMS is refused without `STRATA_STATE_KMS_KEY` (naming the KMS key it
/// needs), and a state sealed with a local key is refused with it (naming `strata state rekey
/// --to-kms`), so that a state never holds secrets sealed with two keys.
extension StateBackendOpener {
    /// `open`, and the KMS key source, which needs calls to KMS and to the state to find the
    /// key. Commands open state through this.
    public static func openResolvingKey(url: String?, workingDirectory: URL,
                                        environment: [String: String] = ProcessInfo.processInfo.environment) async throws
        -> (backend: any StateBackend, cipher: SecretCipher)
    {
        if let url, S3StateURL.matches(url) {
            return try await openS3(url, environment: environment)
        }
        let location = try StateBackends.location(url: url, workingDirectory: workingDirectory)
        guard let kmsKey = KMSDataKeys.keyID(in: environment) else {
            let opened: (backend: any StateBackend, cipher: SecretCipher)
            do {
                opened = try open(url: url, workingDirectory: workingDirectory, environment: environment)
            } catch {
                // A KMS-sealed state opened without the KMS key: say which key it needs.
                if let stored = try? await storedDataKey(location) { throw needsKMS(stored) }
                throw error
            }
            if let sqlite = opened.backend as? SQLiteStateBackend, let stored = try await sqlite.dataKey() {
                try? await sqlite.close()
                throw needsKMS(stored)
            }
            return opened
        }
        if let local = environment["STRATA_STATE_KEY"], !local.isEmpty { throw bothKeys }
        let keys = try KMSDataKeys(keyID: kmsKey, environment: environment)
        if case .sqlite(let file, let createFolder) = location {
            try StateBackends.prepareFolder(of: file, create: createFolder)
            let bare = try SQLiteStateBackend(path: file.path)
            let key: [UInt8]
            do {
                key = try await dataKey(in: bare, keys: keys, state: file.path)
            } catch {
                try? await bare.close()
                throw error
            }
            try? await bare.close()
            let cipher = SecretCipher(key: key)
            return (try SQLiteStateBackend(path: file.path, cipher: cipher), cipher)
        }
        if case .postgres(let postgres) = location {
            let bare = PostgresStateBackend(url: postgres, cipher: nil, maximumConnections: 2)
            let key: [UInt8]
            do {
                key = try await dataKey(in: bare, keys: keys, state: postgres.description)
            } catch {
                try? await bare.close()
                throw error
            }
            try? await bare.close()
            let cipher = SecretCipher(key: key)
            return (PostgresStateBackend(url: postgres, cipher: cipher), cipher)
        }
        throw StateError.storage("\(KMSDataKeys.variable) works with SQLite and PostgreSQL states; this state backend takes STRATA_STATE_KEY")
    }

    /// An `s3://` state: with `STRATA_STATE_KEY`, or under KMS with its data key in the
    /// object `state-key.json`.
    static func openS3(_ url: String, environment: [String: String]) async throws -> (backend: any StateBackend, cipher: SecretCipher) {
        let s3 = try S3StateURL(url)
        let settings = try S3StateBackend.settings(for: s3, environment: environment)
        let bare = S3StateBackend(url: s3, settings: settings, cipher: nil)
        guard let kmsKey = KMSDataKeys.keyID(in: environment) else {
            if let stored = try await bare.dataKey() { throw needsKMS(stored) }
            return try open(url: url, workingDirectory: URL(fileURLWithPath: "/"), environment: environment)
        }
        if let local = environment["STRATA_STATE_KEY"], !local.isEmpty { throw bothKeys }
        let key = try await dataKey(in: bare, keys: try KMSDataKeys(keyID: kmsKey, environment: environment), state: s3.description)
        let cipher = SecretCipher(key: key)
        return (S3StateBackend(url: s3, settings: settings, cipher: cipher), cipher)
    }

    static let bothKeys = StateError.storage(
        "both STRATA_STATE_KMS_KEY and STRATA_STATE_KEY are set: a state's secrets are sealed with one key. Unset STRATA_STATE_KEY "
            + "to use the KMS key, or unset STRATA_STATE_KMS_KEY to use the local key (`strata state rekey --to-kms` moves a state between them)")

    /// The clear data key of the state in `store`: the stored one, opened by KMS, or (first
    /// use) a new one from KMS, stored. Two processes starting together store one of theirs,
    /// and both use that one.
    static func dataKey(in store: some StateKeyStore, keys: KMSDataKeys, state: String) async throws -> [UInt8] {
        if let stored = try await store.dataKey() { return try await keys.open(stored) }
        if try await store.holdsSealedSecrets() {
            throw StateError.storage(
                "the state \(state) holds secrets sealed with a local key (STRATA_STATE_KEY or state.key), not under KMS. To move it under "
                    + "\(keys.keyID): unset \(KMSDataKeys.variable), run `strata state rekey --to-kms \(keys.keyID)` with the old key in place, "
                    + "then set \(KMSDataKeys.variable) again")
        }
        let (key, made) = try await keys.newDataKey()
        let stored = try await store.storeDataKey(made)
        return stored == made ? key : try await keys.open(stored)
    }

    /// The stored data key of the state at `location`, read without any key.
    static func storedDataKey(_ location: StateBackends.Location) async throws -> StateDataKey? {
        if case .sqlite(let file, _) = location {
            guard FileManager.default.fileExists(atPath: file.path) else { return nil }
            let bare = try SQLiteStateBackend(path: file.path)
            let stored = try? await bare.dataKey()
            try? await bare.close()
            return stored
        }
        if case .postgres(let postgres) = location {
            let bare = PostgresStateBackend(url: postgres, cipher: nil, maximumConnections: 1)
            let stored = try? await bare.dataKey()
            try? await bare.close()
            return stored
        }
        return nil
    }

    static func needsKMS(_ stored: StateDataKey) -> StateError {
        .storage(
            "this state's secrets are sealed under the AWS KMS key \(stored.kmsKeyID): set \(KMSDataKeys.variable)=\(stored.kmsKeyID) "
                + "(and unset STRATA_STATE_KEY), with AWS credentials that may call kms:Decrypt on it")
    }
}
