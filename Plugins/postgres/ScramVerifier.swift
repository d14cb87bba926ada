import CStrataCrypto
import Foundation

/// A role's password as PostgreSQL keeps it (SCRAM-SHA-256, RFC 5802/7677):
/// `SCRAM-SHA-256$<iterations>:<salt>$<StoredKey>:<ServerKey>`, base64.
///
/// The provider computes it itself and sends it in `PASSWORD '…'`, so the password never
/// travels or lands in the server's statement log; and a read checks the recorded password
/// against the verifier in `pg_authid`, so a password changed out of band is drift. Only for
/// ASCII passwords: others go through the server's SASLprep, which is not repeated here (they
/// are sent as they are, and not checked).
enum ScramVerifier {
    static let iterations = 4096

    /// True when this password's verifier can be computed here.
    static func handles(_ password: String) -> Bool {
        password.unicodeScalars.allSatisfy { $0.value >= 0x20 && $0.value < 0x7F }
    }

    /// A verifier for `password` with a fresh random salt.
    static func make(_ password: String) -> String {
        var salt = [UInt8](repeating: 0, count: 16)
        _ = RAND_bytes(&salt, Int32(salt.count))
        let (stored, server) = keys(password, salt: salt, iterations: iterations)
        return "SCRAM-SHA-256$\(iterations):\(Data(salt).base64EncodedString())$\(Data(stored).base64EncodedString()):\(Data(server).base64EncodedString())"
    }

    /// True when `verifier` was made from `password`; nil when it cannot tell (not a SCRAM
    /// verifier, or a password this type does not handle).
    static func matches(_ password: String, verifier: String) -> Bool? {
        guard handles(password), verifier.hasPrefix("SCRAM-SHA-256$") else { return nil }
        let body = verifier.dropFirst("SCRAM-SHA-256$".count)
        let halves = body.split(separator: "$", omittingEmptySubsequences: false)
        guard halves.count == 2 else { return nil }
        let head = halves[0].split(separator: ":"), tail = halves[1].split(separator: ":")
        guard head.count == 2, tail.count == 2, let iterations = Int(head[0]),
            let salt = Data(base64Encoded: String(head[1])), let stored = Data(base64Encoded: String(tail[0]))
        else { return nil }
        return keys(password, salt: [UInt8](salt), iterations: iterations).stored == [UInt8](stored)
    }

    private static func keys(_ password: String, salt: [UInt8], iterations: Int) -> (stored: [UInt8], server: [UInt8]) {
        let bytes = Array(password.utf8)
        var salted = [UInt8](repeating: 0, count: 32)
        bytes.withUnsafeBufferPointer { p in
            p.withMemoryRebound(to: CChar.self) { chars in
                _ = PKCS5_PBKDF2_HMAC(chars.baseAddress, Int32(bytes.count), salt, Int32(salt.count), Int32(iterations), EVP_sha256(), 32, &salted)
            }
        }
        let client = hmac(salted, "Client Key"), server = hmac(salted, "Server Key")
        var stored = [UInt8](repeating: 0, count: 32)
        _ = SHA256(client, client.count, &stored)
        return (stored, server)
    }

    private static func hmac(_ key: [UInt8], _ text: String) -> [UInt8] {
        let message = Array(text.utf8)
        var out = [UInt8](repeating: 0, count: 32)
        var length: UInt32 = 32
        _ = HMAC(EVP_sha256(), key, Int32(key.count), message, message.count, &out, &length)
        return out
    }
}
