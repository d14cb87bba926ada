import CStrataCrypto
import Foundation

#if canImport(FoundationNetworking)
    import FoundationNetworking
#endif

/// HMAC-SHA256 through libcrypto, as lower-case hex.
public func hmacSHA256Hex(key: Data, message: Data) -> String {
    var digest = [UInt8](repeating: 0, count: 32)
    var length: UInt32 = 0
    key.withUnsafeBytes { keyBytes in
        message.withUnsafeBytes { messageBytes in
            let messagePointer = messageBytes.bindMemory(to: UInt8.self).baseAddress
            _ = HMAC(EVP_sha256(), keyBytes.baseAddress, Int32(keyBytes.count), messagePointer, messageBytes.count, &digest, &length)
        }
    }
    return digest.prefix(Int(length)).map { String(format: "%02x", $0) }.joined()
}

/// Sends drift reports to a URL: an HTTP POST of the report's JSON, retried with backoff.
///
/// With a secret, the header `X-Strata-Signature: sha256=<hex HMAC-SHA256 of the body>` lets
/// the receiver check who sent it. Also sent: `Content-Type: application/json`,
/// `User-Agent: strata/VERSION`, `X-Strata-Event: drift.sweep`.
public struct Webhook: Sendable {
    public let url: URL
    public let secret: String?
    public let attempts: Int
    public let timeout: Double
    /// Backoff before attempt n+1: a random time in 0…min(cap, base × 2ⁿ) seconds.
    public let baseDelay: Double
    public let maxDelay: Double

    public init(url: URL, secret: String?, attempts: Int = 5, timeout: Double = 10, baseDelay: Double = 0.5, maxDelay: Double = 30) {
        self.url = url
        self.secret = secret.flatMap { $0.isEmpty ? nil : $0 }
        self.attempts = max(1, attempts)
        self.timeout = timeout
        self.baseDelay = baseDelay
        self.maxDelay = maxDelay
    }

    /// Checks the URL the user gave.
    public static func parse(_ text: String) throws -> URL {
        guard let url = URL(string: text), let scheme = url.scheme?.lowercased(), scheme == "http" || scheme == "https", url.host != nil else {
            throw WebhookError.badURL(text)
        }
        return url
    }

    public static func signature(body: Data, secret: String) -> String {
        "sha256=" + hmacSHA256Hex(key: Data(secret.utf8), message: body)
    }

    /// Posts `body`; retries network failures, 429 and 5xx answers. Throws after the last attempt.
    public func send(_ body: Data) async throws {
        var request = URLRequest(url: url, cachePolicy: .reloadIgnoringLocalCacheData, timeoutInterval: timeout)
        request.httpMethod = "POST"
        request.httpBody = body
        request.setValue("application/json", forHTTPHeaderField: "Content-Type")
        request.setValue("strata/\(StrataVersion.current)", forHTTPHeaderField: "User-Agent")
        request.setValue("drift.sweep", forHTTPHeaderField: "X-Strata-Event")
        if let secret { request.setValue(Webhook.signature(body: body, secret: secret), forHTTPHeaderField: "X-Strata-Signature") }
        var lastError = ""
        for attempt in 0..<attempts {
            if attempt > 0 {
                let cap = min(maxDelay, baseDelay * pow(2.0, Double(attempt)))
                try await Task.sleep(nanoseconds: UInt64(Double.random(in: 0...cap) * 1e9))
            }
            do {
                let (_, response) = try await URLSession.shared.data(for: request)
                let status = (response as? HTTPURLResponse)?.statusCode ?? 0
                if (200..<300).contains(status) { return }
                lastError = "HTTP \(status)"
                if status != 429 && status != 408 && status < 500 { break }  // the receiver refused it: retrying will not help
            } catch is CancellationError {
                throw CancellationError()
            } catch {
                lastError = error.localizedDescription
            }
        }
        throw WebhookError.failed(url.absoluteString, lastError)
    }
}

public enum WebhookError: Error, Sendable, CustomStringConvertible {
    case badURL(String)
    case failed(String, String)

    public var description: String {
        switch self {
        case .badURL(let text): return "--webhook '\(text)' is not an http:// or https:// URL"
        case .failed(let url, let why): return "the webhook \(url) did not take the report: \(why) (check the URL and that the receiver answers 2xx)"
        }
    }
}
