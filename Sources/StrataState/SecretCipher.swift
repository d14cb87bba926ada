import CStrataCrypto
import Foundation
import StrataModel

/// Encrypts secret values at rest with AES-256-GCM (libcrypto). Only what is marked secret is
/// sealed; the rest of the state stays readable. A sealed value is stored as
/// `{"$secret": {"$sealed": "<base64 of nonce | ciphertext | tag>"}}`.
///
/// The key: `STRATA_STATE_KEY` (64 hex digits, or base64 of 32 bytes, or any other text,
/// which is hashed to a key), else a key file `state.key` beside the state, made on first use
/// with mode 0600. Keep the key file out of backups of the state; without it the secrets in
/// the state cannot be read.
public struct SecretCipher: Sendable {
    /// Seals with this key.
    let key: [UInt8]
    /// Also opens with these (the key before an interrupted `strata state rekey`).
    let previousKeys: [[UInt8]]
    static let marker = "$sealed"

    public init(key: [UInt8], previousKeys: [[UInt8]] = []) {
        self.key = key
        self.previousKeys = previousKeys
    }

    /// A cipher with the key `text` gives, read as `STRATA_STATE_KEY` is (64 hex digits, base64
    /// of 32 bytes, or any other text, hashed).
    public init(keyText text: String) {
        self.init(key: Self.keyBytes(from: text))
    }

    /// A cipher with a new random key that can still open what this one sealed.
    public func rotated() throws -> SecretCipher {
        var bytes = [UInt8](repeating: 0, count: 32)
        guard RAND_bytes(&bytes, 32) == 1 else { throw StateError.storage("cannot make a state key: the system RNG failed") }
        return SecretCipher(key: bytes, previousKeys: [key] + previousKeys)
    }

    /// The key as 64 hex digits (what `state.key` holds).
    public var keyHex: String { key.map { String(format: "%02x", $0) }.joined() }

    /// The key for the state at `stateFile`, as above.
    public static func load(environment: [String: String], stateFile: URL) throws -> SecretCipher {
        if let text = environment["STRATA_STATE_KEY"], !text.isEmpty {
            return SecretCipher(key: keyBytes(from: text))
        }
        let keyFile = keyFileURL(stateFile)
        func readKey(_ path: String) -> [UInt8]? {
            guard let data = FileManager.default.contents(atPath: path),
                let bytes = hexBytes(String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)), bytes.count == 32
            else { return nil }
            return bytes
        }
        // A rekey that was interrupted left the new key beside the old one: open with both.
        if let nextKey = readKey(keyFile.path + ".new") {
            return SecretCipher(key: nextKey, previousKeys: readKey(keyFile.path).map { [$0] } ?? [])
        }
        if let data = FileManager.default.contents(atPath: keyFile.path) {
            let text = String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
            guard let bytes = hexBytes(text), bytes.count == 32 else {
                throw StateError.storage("\(keyFile.path) is not a Strata state key (64 hex digits); restore it, or set STRATA_STATE_KEY")
            }
            return SecretCipher(key: bytes)
        }
        // A state that already holds sealed secrets without its key must not get a new one.
        if let existing = FileManager.default.contents(atPath: stateFile.path), existing.range(of: Data(marker.utf8)) != nil {
            throw StateError.storage("\(keyFile.path) is missing, and the state \(stateFile.path) holds secrets sealed with it: restore the key file, or set STRATA_STATE_KEY")
        }
        var bytes = [UInt8](repeating: 0, count: 32)
        guard RAND_bytes(&bytes, 32) == 1 else { throw StateError.storage("cannot make a state key: the system RNG failed") }
        let hex = bytes.map { String(format: "%02x", $0) }.joined() + "\n"
        guard FileManager.default.createFile(atPath: keyFile.path, contents: Data(hex.utf8), attributes: [.posixPermissions: 0o600]) else {
            throw StateError.storage("cannot write the state key \(keyFile.path); set STRATA_STATE_KEY instead")
        }
        return SecretCipher(key: bytes)
    }

    /// The key for a state that many machines share (PostgreSQL): only `STRATA_STATE_KEY`, so
    /// that every worker seals with the same key; a key file made on one machine would not be.
    public static func shared(environment: [String: String], state: String) throws -> SecretCipher {
        guard let text = environment["STRATA_STATE_KEY"], !text.isEmpty else {
            throw StateError.storage(
                "the state \(state) is shared, so its secrets are sealed with the key in STRATA_STATE_KEY, which is not set. "
                    + "Set it on every machine that uses this state (64 hex digits, e.g. from `openssl rand -hex 32`).")
        }
        return SecretCipher(key: keyBytes(from: text))
    }

    public static func keyFileURL(_ stateFile: URL) -> URL {
        stateFile.deletingLastPathComponent().appendingPathComponent("state.key")
    }

    static func keyBytes(from text: String) -> [UInt8] {
        if let hex = hexBytes(text), hex.count == 32 { return hex }
        if let data = Data(base64Encoded: text), data.count == 32 { return [UInt8](data) }
        var digest = [UInt8](repeating: 0, count: 32)
        let bytes = Array(text.utf8)
        _ = SHA256(bytes, bytes.count, &digest)
        return digest
    }

    static func hexBytes(_ text: String) -> [UInt8]? {
        guard text.count % 2 == 0 else { return nil }
        var out: [UInt8] = []
        var index = text.startIndex
        while index < text.endIndex {
            let next = text.index(index, offsetBy: 2)
            guard let byte = UInt8(text[index..<next], radix: 16) else { return nil }
            out.append(byte)
            index = next
        }
        return out
    }

    // MARK: Values

    /// Every secret inside, sealed.
    public func seal(_ value: Value) throws -> Value {
        switch value {
        case .secret(let inner):
            if case .map(let fields) = inner, fields.count == 1, fields[Self.marker] != nil { return value }
            let sealed = try encrypt(Array(ValueJSON.string(inner).utf8))
            return .secret(.map([Self.marker: .string(Data(sealed).base64EncodedString())]))
        case .list(let items): return .list(try items.map(seal))
        case .map(let fields): return .map(try fields.mapValues(seal))
        case .template(let parts): return .template(try parts.map(seal))
        default: return value
        }
    }

    /// Only values that hold a secret are rebuilt: a state without secrets costs a scan, no copies.
    public func seal(_ fields: [String: Value]) throws -> [String: Value] {
        var out = fields
        for (key, value) in fields where value.containsSecret { out[key] = try seal(value) }
        return out
    }

    /// Every sealed secret inside, opened.
    public func open(_ value: Value) throws -> Value {
        switch value {
        case .secret(.map(let fields)) where fields.count == 1:
            guard case .string(let text)? = fields[Self.marker] else { return .secret(.map(try fields.mapValues(open))) }
            guard let data = Data(base64Encoded: text) else { throw StateError.storage("a sealed secret in the state is damaged") }
            let plain = try decrypt([UInt8](data))
            return .secret(try ValueJSON.parse(Data(plain)))
        case .secret(let inner): return .secret(try open(inner))
        case .list(let items): return .list(try items.map(open))
        case .map(let fields): return .map(try fields.mapValues(open))
        case .template(let parts): return .template(try parts.map(open))
        default: return value
        }
    }

    public func open(_ fields: [String: Value]) throws -> [String: Value] {
        var out = fields
        for (key, value) in fields where value.containsSecret { out[key] = try open(value) }
        return out
    }

    // MARK: AES-256-GCM

    func encrypt(_ plain: [UInt8]) throws -> [UInt8] {
        var nonce = [UInt8](repeating: 0, count: 12)
        guard RAND_bytes(&nonce, 12) == 1, let context = EVP_CIPHER_CTX_new() else { throw StateError.storage("encryption failed (RNG)") }
        defer { EVP_CIPHER_CTX_free(context) }
        var out = [UInt8](repeating: 0, count: plain.count + 16)
        var length: Int32 = 0
        var total: Int32 = 0
        guard EVP_EncryptInit_ex(context, EVP_aes_256_gcm(), nil, key, nonce) == 1,
            EVP_EncryptUpdate(context, &out, &length, plain, Int32(plain.count)) == 1
        else { throw StateError.storage("encryption failed") }
        total = length
        let finalOK = out.withUnsafeMutableBufferPointer { buffer in
            EVP_EncryptFinal_ex(context, buffer.baseAddress! + Int(total), &length) == 1
        }
        guard finalOK else { throw StateError.storage("encryption failed") }
        total += length
        var tag = [UInt8](repeating: 0, count: 16)
        guard EVP_CIPHER_CTX_ctrl(context, EVP_CTRL_GCM_GET_TAG, 16, &tag) == 1 else { throw StateError.storage("encryption failed (tag)") }
        return nonce + out[0..<Int(total)] + tag
    }

    func decrypt(_ sealed: [UInt8]) throws -> [UInt8] {
        var lastError: (any Error)? = nil
        for key in [key] + previousKeys {
            do { return try decrypt(sealed, key: key) } catch { lastError = error }
        }
        throw lastError ?? StateError.storage("cannot decrypt a secret in the state")
    }

    func decrypt(_ sealed: [UInt8], key: [UInt8]) throws -> [UInt8] {
        guard sealed.count >= 28, let context = EVP_CIPHER_CTX_new() else { throw StateError.storage("a sealed secret in the state is damaged") }
        defer { EVP_CIPHER_CTX_free(context) }
        let nonce = Array(sealed[0..<12])
        let body = Array(sealed[12..<(sealed.count - 16)])
        var tag = Array(sealed[(sealed.count - 16)...])
        var out = [UInt8](repeating: 0, count: body.count + 16)
        var length: Int32 = 0
        guard EVP_DecryptInit_ex(context, EVP_aes_256_gcm(), nil, key, nonce) == 1,
            EVP_DecryptUpdate(context, &out, &length, body, Int32(body.count)) == 1,
            EVP_CIPHER_CTX_ctrl(context, EVP_CTRL_GCM_SET_TAG, 16, &tag) == 1
        else { throw StateError.storage("cannot decrypt a secret in the state") }
        let total = length
        let ok = out.withUnsafeMutableBufferPointer { buffer in
            EVP_DecryptFinal_ex(context, buffer.baseAddress! + Int(total), &length) == 1
        }
        guard ok else {
            throw StateError.storage("cannot decrypt the secrets in the state: wrong key (check STRATA_STATE_KEY or the state.key file beside the state)")
        }
        return Array(out[0..<Int(total + length)])
    }
}
