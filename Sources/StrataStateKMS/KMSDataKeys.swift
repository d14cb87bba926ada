import Foundation
import StrataAWSKit
import StrataModel
import StrataState

/// Envelope encryption of a state's secrets under an AWS KMS key (`STRATA_STATE_KMS_KEY`):
/// KMS makes a 256-bit data key (`GenerateDataKey`, `AES_256`) and hands it back twice, in
/// clear and encrypted under the KMS key; Strata seals with the clear one, in memory only, and
/// keeps only the encrypted one (`StateDataKey`) with the state. Later runs have KMS decrypt it
/// (`Decrypt`). Whoever may use the KMS key may read the state's secrets; revoking that right,
/// or disabling the key, locks them away.
///
/// Through `StrataAWSKit`'s client: region, endpoint (`AWS_ENDPOINT_URL`) and credentials as
/// the AWS CLI finds them (environment, `AWS_PROFILE`, the shared files).
public struct KMSDataKeys: Sendable {
    /// The key as the user named it: key id, key ARN, `alias/NAME` or an alias ARN.
    public let keyID: String
    let client: AWSClient

    /// The variable that names the KMS key.
    public static let variable = "STRATA_STATE_KMS_KEY"

    /// The KMS key `environment` names, if any.
    public static func keyID(in environment: [String: String]) -> String? {
        guard let text = environment[variable]?.trimmingCharacters(in: .whitespaces), !text.isEmpty else { return nil }
        return text
    }

    public init(keyID: String, environment: [String: String] = ProcessInfo.processInfo.environment) throws {
        self.keyID = keyID
        do {
            let settings = try AWSSettings.resolve(environment: environment)
            self.client = AWSClient(settings: settings, retry: RetryPolicy.standard, userAgent: "strata-state-kms")
        } catch {
            throw StateError.storage("cannot use the KMS key \(keyID) (\(Self.variable)) to seal the state's secrets: \(error)")
        }
    }

    /// A new data key: the clear bytes (to seal with, never to store) and what to store.
    public func newDataKey() async throws -> (key: [UInt8], stored: StateDataKey) {
        try await checkUsable()
        let answer = try await call("GenerateDataKey", ["KeyId": .string(keyID), "KeySpec": .string("AES_256")])
        guard let plain = answer["Plaintext"]?.stringValue.flatMap({ Data(base64Encoded: $0) }), plain.count == 32,
            let blob = answer["CiphertextBlob"]?.stringValue.flatMap({ Data(base64Encoded: $0) })
        else { throw StateError.storage("KMS GenerateDataKey with \(keyID) answered without a 256-bit data key") }
        let arn = answer["KeyId"]?.stringValue ?? keyID
        return ([UInt8](plain), StateDataKey(kmsKeyID: arn, encryptedKey: blob))
    }

    /// The clear data key of `stored`, from KMS.
    public func open(_ stored: StateDataKey) async throws -> [UInt8] {
        try await checkUsable()
        let answer: [String: Value]
        do {
            answer = try await call(
                "Decrypt", ["KeyId": .string(keyID), "CiphertextBlob": .string(stored.encryptedKey.base64EncodedString())])
        } catch let error as AWSError where ["IncorrectKeyException", "InvalidCiphertextException", "AccessDeniedException"].contains(error.code) {
            throw StateError.storage(
                "KMS could not open the state's data key with \(keyID) (\(error.code)): the state's secrets are sealed under the KMS key "
                    + "\(stored.kmsKeyID). Set \(Self.variable) to that key, or check that the credentials in use may call kms:Decrypt on it")
        }
        guard let plain = answer["Plaintext"]?.stringValue.flatMap({ Data(base64Encoded: $0) }), plain.count == 32 else {
            throw StateError.storage("KMS Decrypt with \(keyID) did not give back a 256-bit data key: the stored data key of the state is damaged")
        }
        return [UInt8](plain)
    }

    /// `DescribeKey` names a key that cannot be used (disabled, pending deletion) with its
    /// state before `GenerateDataKey`/`Decrypt` fail more vaguely. Credentials without
    /// `kms:DescribeKey` skip this check: the call that follows says what is wrong.
    func checkUsable() async throws {
        let answer: [String: Value]
        do {
            answer = try await call("DescribeKey", ["KeyId": .string(keyID)])
        } catch let error as AWSError where error.code == "AccessDeniedException" {
            return
        }
        let metadata = answer["KeyMetadata"]?.mapValue ?? [:]
        let arn = metadata["Arn"]?.stringValue ?? keyID
        let state = metadata["KeyState"]?.stringValue ?? (metadata["Enabled"]?.boolValue == false ? "Disabled" : "Enabled")
        guard state == "Enabled" else {
            let remedy =
                state == "Disabled"
                ? "enable it (aws kms enable-key --key-id \(arn))"
                : state == "PendingDeletion" ? "cancel its deletion (aws kms cancel-key-deletion --key-id \(arn)), then enable it" : "make it usable"
            throw StateError.storage(
                "the KMS key \(arn) (\(Self.variable)) is \(state.lowercased()), so the state's secrets cannot be sealed or read: \(remedy), "
                    + "or point \(Self.variable) at the key the state was sealed under")
        }
        if let usage = metadata["KeyUsage"]?.stringValue, usage != "ENCRYPT_DECRYPT" {
            throw StateError.storage("the KMS key \(arn) is for \(usage), not ENCRYPT_DECRYPT: name a symmetric encryption key in \(Self.variable)")
        }
    }

    /// One KMS call; AWS errors become messages that say what to do.
    func call(_ operation: String, _ body: [String: Value]) async throws -> [String: Value] {
        do {
            return try await client.json(service: .kms, target: operation, body: body)
        } catch let error as AWSError {
            switch error.code {
            case "NotFoundException":
                throw StateError.storage(
                    "the KMS key \(keyID) (\(Self.variable)) does not exist in \(client.settings.region): check the key id, ARN or alias, and AWS_REGION")
            case "DisabledException", "KMSInvalidStateException":
                throw StateError.storage(
                    "the KMS key \(keyID) (\(Self.variable)) cannot be used now (\(error.code): \(error.message)): enable it "
                        + "(aws kms enable-key), or point \(Self.variable) at the key the state was sealed under")
            case "AccessDeniedException" where operation != "Decrypt" && operation != "DescribeKey":
                throw StateError.storage(
                    "the AWS credentials in use may not call kms:\(operation) on \(keyID) (\(error.message)): grant it in the key's policy or in IAM")
            default:
                // Left to the caller, which knows more: a data key made under another key.
                if operation == "Decrypt" && ["IncorrectKeyException", "InvalidCiphertextException", "AccessDeniedException"].contains(error.code)
                    || operation == "DescribeKey" && error.code == "AccessDeniedException" {
                    throw error
                }
                throw StateError.storage("KMS \(operation) with \(keyID) failed: \(error)")
            }
        } catch let error as TransportError {
            throw StateError.unavailable("cannot reach AWS KMS (\(error.message)): check the network, AWS_REGION and AWS_ENDPOINT_URL")
        }
    }
}
