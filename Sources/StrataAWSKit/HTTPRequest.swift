import Foundation

/// One HTTP request as SigV4 sees it: the path already percent-encoded, the query raw
/// (encoded when the URL is built and when signed), the headers as sent.
public struct HTTPRequest: Sendable, Hashable {
    public var method: String
    public var scheme: String
    public var host: String
    public var port: Int?
    /// Percent-encoded, starting with `/`.
    public var path: String
    public var query: [QueryItem]
    public var headers: [String: String]
    public var body: Data

    public struct QueryItem: Sendable, Hashable {
        public var name: String
        public var value: String
        public init(_ name: String, _ value: String) {
            self.name = name
            self.value = value
        }
    }

    public init(method: String, scheme: String = "https", host: String, port: Int? = nil, path: String = "/",
                query: [QueryItem] = [], headers: [String: String] = [:], body: Data = Data()) {
        self.method = method
        self.scheme = scheme
        self.host = host
        self.port = port
        self.path = path.isEmpty ? "/" : path
        self.query = query
        self.headers = headers
        self.body = body
    }

    /// `host` or `host:port` when the port is not the scheme's default: what the Host header says.
    public var hostHeader: String {
        guard let port else { return host }
        if (scheme == "https" && port == 443) || (scheme == "http" && port == 80) { return host }
        return "\(host):\(port)"
    }

    /// The query as sent: names and values encoded the way SigV4 encodes them; an empty value
    /// is sent as the bare name (`?versioning`), as the SDKs do (it is signed as `versioning=`).
    public var encodedQuery: String {
        query.map { item in
            item.value.isEmpty ? URIEncoding.encode(item.name) : "\(URIEncoding.encode(item.name))=\(URIEncoding.encode(item.value))"
        }.joined(separator: "&")
    }

    public var url: URL? {
        var text = "\(scheme)://\(hostHeader)\(path)"
        if !query.isEmpty { text += "?" + encodedQuery }
        return URL(string: text)
    }

    /// A header, found without regard to case.
    public func header(_ name: String) -> String? {
        let lower = name.lowercased()
        return headers.first { $0.key.lowercased() == lower }?.value
    }
}

/// An HTTP response: status, headers (names lowercased), body.
public struct HTTPResponse: Sendable, Hashable {
    public var status: Int
    public var headers: [String: String]
    public var body: Data

    public init(status: Int, headers: [String: String] = [:], body: Data = Data()) {
        self.status = status
        self.headers = Dictionary(headers.map { ($0.key.lowercased(), $0.value) }, uniquingKeysWith: { a, _ in a })
        self.body = body
    }
}

/// RFC 3986 percent-encoding as SigV4 wants it: everything but `A-Z a-z 0-9 - _ . ~` as
/// `%XY` with upper-case hex.
public enum URIEncoding {
    public static func encode(_ text: String, keepSlash: Bool = false) -> String {
        var out = ""
        out.reserveCapacity(text.utf8.count)
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"),
                UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "-"), UInt8(ascii: "_"),
                UInt8(ascii: "."), UInt8(ascii: "~"):
                out.unicodeScalars.append(Unicode.Scalar(byte))
            case UInt8(ascii: "/") where keepSlash:
                out.append("/")
            default:
                out += String(format: "%%%02X", byte)
            }
        }
        return out
    }

    /// A path from raw segments: `["my bucket", "a/b"]` → `/my%20bucket/a%2Fb`.
    public static func path(_ segments: [String]) -> String {
        "/" + segments.map { encode($0) }.joined(separator: "/")
    }
}
