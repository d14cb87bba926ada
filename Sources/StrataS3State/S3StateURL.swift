import Foundation
import StrataState

/// A `--state s3://BUCKET[/PREFIX][?region=REGION&endpoint=URL&profile=NAME]` value, parsed
/// without calling anything. The region, endpoint and profile, when not given here, come
/// from the environment and the shared AWS files as for the AWS CLI (`AWS_REGION`,
/// `AWS_ENDPOINT_URL`, `AWS_PROFILE`, `~/.aws/config`).
public struct S3StateURL: Sendable, Hashable, CustomStringConvertible {
    public var bucket: String
    /// The key prefix every object of this state lives under, without a trailing `/`; may be empty.
    public var prefix: String
    public var region: String?
    public var endpoint: String?
    public var profile: String?

    /// True for any `s3://` value (parsed, and refused if bad, by `init`).
    public static func matches(_ text: String) -> Bool {
        text.trimmingCharacters(in: .whitespaces).lowercased().hasPrefix("s3://")
    }

    public init(bucket: String, prefix: String = "", region: String? = nil, endpoint: String? = nil, profile: String? = nil) {
        self.bucket = bucket
        self.prefix = prefix
        self.region = region
        self.endpoint = endpoint
        self.profile = profile
    }

    public init(_ text: String) throws {
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        guard Self.matches(trimmed) else { throw S3StateURLError(url: text, reason: "it does not start with s3://") }
        var rest = String(trimmed.dropFirst("s3://".count))
        var queryText = ""
        if let mark = rest.firstIndex(of: "?") {
            queryText = String(rest[rest.index(after: mark)...])
            rest = String(rest[..<mark])
        }
        let bucket: String, path: String
        if let slash = rest.firstIndex(of: "/") {
            bucket = String(rest[..<slash])
            path = String(rest[rest.index(after: slash)...])
        } else {
            bucket = rest
            path = ""
        }
        guard !bucket.isEmpty else { throw S3StateURLError(url: text, reason: "it names no bucket") }
        // S3's bucket naming rules, as far as they matter for building a request.
        let allowed = Set("abcdefghijklmnopqrstuvwxyz0123456789.-")
        guard bucket.count >= 3, bucket.count <= 63, bucket.allSatisfy({ allowed.contains($0) }),
            bucket.first?.isLetter == true || bucket.first?.isNumber == true
        else {
            throw S3StateURLError(url: text, reason: "'\(bucket)' is not an S3 bucket name (3 to 63 lower-case letters, digits, dots and hyphens)")
        }
        let segments = path.split(separator: "/", omittingEmptySubsequences: true).map(String.init)
        if segments.contains(where: { $0 == "." || $0 == ".." }) {
            throw S3StateURLError(url: text, reason: "the prefix may not hold '.' or '..' segments")
        }
        self.init(bucket: bucket, prefix: segments.joined(separator: "/"))
        for pair in queryText.split(separator: "&", omittingEmptySubsequences: true) {
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            let name = String(parts[0]).removingPercentEncoding ?? String(parts[0])
            let value = parts.count > 1 ? (String(parts[1]).removingPercentEncoding ?? String(parts[1])) : ""
            guard !value.isEmpty else { throw S3StateURLError(url: text, reason: "'\(name)' has no value") }
            switch name {
            case "region": region = value
            case "endpoint":
                guard let url = URL(string: value), url.scheme == "http" || url.scheme == "https", url.host != nil else {
                    throw S3StateURLError(url: text, reason: "endpoint '\(value)' is not an http(s) URL")
                }
                endpoint = value
            case "profile": profile = value
            default: throw S3StateURLError(url: text, reason: "unknown option '\(name)' (known: region, endpoint, profile)")
            }
        }
    }

    /// `s3://bucket/prefix` (the options left out: they hold no secret, but are noise in messages).
    public var description: String { "s3://\(bucket)" + (prefix.isEmpty ? "" : "/\(prefix)") }
}

/// A `--state s3://…` value that does not parse, and why.
public struct S3StateURLError: Error, Sendable, CustomStringConvertible {
    public var url: String
    public var reason: String
    public var description: String {
        "bad --state '\(url)': \(reason). Use s3://BUCKET[/PREFIX][?region=REGION&endpoint=URL&profile=NAME] (docs/state-backends.md)."
    }
}
