import Foundation
import StrataS3State
import StrataState

/// Opens the backend any `--state` value names, with the key that seals its secrets: SQLite
/// files through `StateBackends`, `postgres://` and `s3://` URLs here.
public enum StateBackendOpener {
    public static func open(url: String?, workingDirectory: URL,
                            environment: [String: String] = ProcessInfo.processInfo.environment) throws -> (backend: any StateBackend, cipher: SecretCipher) {
        // A KMS key needs calls to KMS: `openResolvingKey` (StateBackendOpener+Keys.swift).
        if let kms = environment["STRATA_STATE_KMS_KEY"], !kms.isEmpty {
            throw StateError.storage("STRATA_STATE_KMS_KEY is set: open this state with StateBackendOpener.openResolvingKey")
        }
        if let url, S3StateURL.matches(url) {
            let s3 = try S3StateURL(url)
            let cipher = try SecretCipher.shared(environment: environment, state: s3.description)
            return (S3StateBackend(url: s3, settings: try S3StateBackend.settings(for: s3, environment: environment), cipher: cipher), cipher)
        }
        switch try StateBackends.location(url: url, workingDirectory: workingDirectory) {
        case .sqlite:
            let backend = try StateBackends.open(url: url, workingDirectory: workingDirectory)
            // The backend already read the key: saved plans use the same one.
            let cipher = try (backend as? SQLiteStateBackend)?.cipher ?? StateBackends.cipher(url: url, workingDirectory: workingDirectory)
            return (backend, cipher)
        case .postgres(let postgres):
            let cipher = try SecretCipher.shared(environment: environment, state: postgres.description)
            return (PostgresStateBackend(url: postgres, cipher: cipher), cipher)
        }
    }
}
