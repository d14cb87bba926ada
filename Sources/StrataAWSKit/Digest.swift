import CStrataCrypto
import Foundation

/// The hashes SigV4 and S3 need, from libcrypto.
public enum Digest {
    public static func sha256(_ bytes: some Sequence<UInt8>) -> [UInt8] {
        digest(Array(bytes), EVP_sha256(), length: 32)
    }

    public static func md5(_ bytes: some Sequence<UInt8>) -> [UInt8] {
        digest(Array(bytes), EVP_md5(), length: 16)
    }

    public static func hmacSHA256(key: [UInt8], _ message: some Sequence<UInt8>) -> [UInt8] {
        let data = Array(message)
        var out = [UInt8](repeating: 0, count: 32)
        var length: UInt32 = 0
        key.withUnsafeBufferPointer { k in
            data.withUnsafeBufferPointer { d in
                _ = HMAC(EVP_sha256(), k.baseAddress, Int32(k.count), d.baseAddress, d.count, &out, &length)
            }
        }
        return out
    }

    public static func hex(_ bytes: [UInt8]) -> String {
        let digits = Array("0123456789abcdef".utf8)
        var out = [UInt8]()
        out.reserveCapacity(bytes.count * 2)
        for byte in bytes {
            out.append(digits[Int(byte >> 4)])
            out.append(digits[Int(byte & 0x0F)])
        }
        return String(decoding: out, as: UTF8.self)
    }

    public static func sha256Hex(_ bytes: some Sequence<UInt8>) -> String { hex(sha256(bytes)) }

    private static func digest(_ data: [UInt8], _ md: OpaquePointer?, length: Int) -> [UInt8] {
        var out = [UInt8](repeating: 0, count: length)
        var written: UInt32 = 0
        data.withUnsafeBufferPointer { d in
            _ = EVP_Digest(d.baseAddress, d.count, &out, &written, md, nil)
        }
        return out
    }
}
