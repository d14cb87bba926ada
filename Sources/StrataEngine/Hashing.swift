import CStrataCrypto
import Foundation

/// SHA-256 through libcrypto.
public struct SHA256Hasher {
    private var context: OpaquePointer

    public init() {
        context = EVP_MD_CTX_new()
        EVP_DigestInit_ex(context, EVP_sha256(), nil)
    }

    public mutating func update(_ data: Data) {
        data.withUnsafeBytes { raw in
            _ = EVP_DigestUpdate(context, raw.baseAddress, raw.count)
        }
    }

    public mutating func update(_ text: String) { update(Data(text.utf8)) }

    public mutating func finalize() -> String {
        var digest = [UInt8](repeating: 0, count: 32)
        var length: UInt32 = 0
        EVP_DigestFinal_ex(context, &digest, &length)
        EVP_MD_CTX_free(context)
        return digest.map { String(format: "%02x", $0) }.joined()
    }

    public static func hex(_ data: Data) -> String {
        var hasher = SHA256Hasher()
        hasher.update(data)
        return hasher.finalize()
    }
}

/// Random hex from libcrypto's RNG (idempotency tokens, lineages).
public func randomHex(bytes: Int = 16) -> String {
    var buffer = [UInt8](repeating: 0, count: bytes)
    if RAND_bytes(&buffer, Int32(bytes)) != 1 {
        var rng = SystemRandomNumberGenerator()
        buffer = buffer.map { _ in UInt8.random(in: 0...255, using: &rng) }
    }
    return buffer.map { String(format: "%02x", $0) }.joined()
}
