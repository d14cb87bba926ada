import Foundation

/// AWS Signature Version 4 (header-based), as in
/// https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_sigv-create-signed-request.html
public struct SigV4Signer: Sendable {
    public var credentials: AWSCredentials
    public var region: String
    /// The signing name (`ec2`, `s3`, `secretsmanager`, …).
    public var service: String
    /// S3 rules: the path is encoded once (not twice) and `x-amz-content-sha256` is sent.
    public var s3Rules: Bool

    public static let algorithm = "AWS4-HMAC-SHA256"
    /// Headers never signed (proxies and clients change them), as in botocore.
    static let unsignedHeaders: Set<String> = ["user-agent", "expect", "x-amzn-trace-id", "authorization", "content-length"]

    public init(credentials: AWSCredentials, region: String, service: String, s3Rules: Bool? = nil) {
        self.credentials = credentials
        self.region = region
        self.service = service
        self.s3Rules = s3Rules ?? (service == "s3")
    }

    /// Adds `X-Amz-Date`, `X-Amz-Security-Token` (temporary credentials),
    /// `X-Amz-Content-SHA256` (S3) and `Authorization`.
    public func sign(_ request: inout HTTPRequest, date: Date) {
        let stamp = AmzDate(date)
        request.headers["X-Amz-Date"] = stamp.full
        if let token = credentials.sessionToken { request.headers["X-Amz-Security-Token"] = token }
        let payloadHash = Digest.sha256Hex(request.body)
        if s3Rules { request.headers["X-Amz-Content-SHA256"] = payloadHash }
        request.headers["Authorization"] = authorization(request, stamp: stamp, payloadHash: payloadHash)
    }

    public func authorization(_ request: HTTPRequest, stamp: AmzDate, payloadHash: String) -> String {
        let (canonical, signedHeaders) = canonicalRequest(request, payloadHash: payloadHash)
        let toSign = stringToSign(canonicalRequest: canonical, stamp: stamp)
        let key = Self.signingKey(secret: credentials.secretAccessKey, day: stamp.day, region: region, service: service)
        let signature = Digest.hex(Digest.hmacSHA256(key: key, Array(toSign.utf8)))
        return "\(Self.algorithm) Credential=\(credentials.accessKeyID)/\(scope(stamp)), SignedHeaders=\(signedHeaders), Signature=\(signature)"
    }

    public func scope(_ stamp: AmzDate) -> String { "\(stamp.day)/\(region)/\(service)/aws4_request" }

    /// The canonical request and the `SignedHeaders` list.
    public func canonicalRequest(_ request: HTTPRequest, payloadHash: String) -> (String, String) {
        var headers: [String: String] = [:]
        for (name, value) in request.headers {
            let lower = name.lowercased()
            if Self.unsignedHeaders.contains(lower) { continue }
            headers[lower] = Self.trimmed(value)
        }
        if headers["host"] == nil { headers["host"] = request.hostHeader }
        let names = headers.keys.sorted()
        let canonicalHeaders = names.map { "\($0):\(headers[$0] ?? "")\n" }.joined()
        let signedHeaders = names.joined(separator: ";")
        let canonical = [
            request.method.uppercased(),
            canonicalURI(request.path),
            Self.canonicalQuery(request.query),
            canonicalHeaders,
            signedHeaders,
            payloadHash,
        ].joined(separator: "\n")
        return (canonical, signedHeaders)
    }

    public func stringToSign(canonicalRequest: String, stamp: AmzDate) -> String {
        [Self.algorithm, stamp.full, scope(stamp), Digest.sha256Hex(Array(canonicalRequest.utf8))].joined(separator: "\n")
    }

    /// kSigning = HMAC(HMAC(HMAC(HMAC("AWS4" + secret, day), region), service), "aws4_request")
    public static func signingKey(secret: String, day: String, region: String, service: String) -> [UInt8] {
        var key = Array("AWS4\(secret)".utf8)
        for part in [day, region, service, "aws4_request"] {
            key = Digest.hmacSHA256(key: key, Array(part.utf8))
        }
        return key
    }

    /// Every service but S3 encodes the (already encoded) path a second time.
    func canonicalURI(_ path: String) -> String {
        let path = path.isEmpty ? "/" : path
        return s3Rules ? path : URIEncoding.encode(path, keepSlash: true)
    }

    static func canonicalQuery(_ items: [HTTPRequest.QueryItem]) -> String {
        items.map { (URIEncoding.encode($0.name), URIEncoding.encode($0.value)) }
            .sorted { $0.0 != $1.0 ? $0.0 < $1.0 : $0.1 < $1.1 }
            .map { "\($0.0)=\($0.1)" }
            .joined(separator: "&")
    }

    /// Leading and trailing spaces removed, runs of spaces made one.
    static func trimmed(_ value: String) -> String {
        value.split(whereSeparator: { $0 == " " || $0 == "\t" }).joined(separator: " ")
    }
}

/// A signing time: `20150830T123600Z` and its day `20150830`, in UTC.
public struct AmzDate: Sendable, Hashable {
    public var full: String
    public var day: String

    public init(_ date: Date) {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC") ?? TimeZone(secondsFromGMT: 0) ?? calendar.timeZone
        let c = calendar.dateComponents([.year, .month, .day, .hour, .minute, .second], from: date)
        day = String(format: "%04d%02d%02d", c.year ?? 1970, c.month ?? 1, c.day ?? 1)
        full = day + String(format: "T%02d%02d%02dZ", c.hour ?? 0, c.minute ?? 0, c.second ?? 0)
    }

    /// Parses `20150830T123600Z` (for tests and for examples written that way).
    public init?(parsing text: String) {
        guard text.count == 16, text.hasSuffix("Z"), text.dropFirst(8).first == "T" else { return nil }
        full = text
        day = String(text.prefix(8))
    }

    public var date: Date? {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC") ?? calendar.timeZone
        let digits = Array(full)
        func number(_ from: Int, _ length: Int) -> Int? { Int(String(digits[from..<(from + length)])) }
        var c = DateComponents()
        c.year = number(0, 4); c.month = number(4, 2); c.day = number(6, 2)
        c.hour = number(9, 2); c.minute = number(11, 2); c.second = number(13, 2)
        return calendar.date(from: c)
    }
}
