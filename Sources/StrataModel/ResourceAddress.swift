/// Where a resource lives in a stack: `[component.]*type.name`, e.g. `test_resource.web`
/// or `network.test_resource.subnet_a`. The provider is the type's prefix before the first
/// underscore (`test_resource` → `test`, `random_password` → `random`), as in Terraform.
public struct ResourceAddress: Sendable, Hashable, Comparable, Codable, CustomStringConvertible {
    public var components: [String]
    public var type: String
    public var name: String

    public init(type: String, name: String, components: [String] = []) {
        self.type = type
        self.name = name
        self.components = components
    }

    public init?(parsing text: String) {
        guard let parts = ResourceAddress.segments(text), parts.count >= 2,
            parts.allSatisfy({ ResourceAddress.isValidSegment($0) })
        else { return nil }
        self.type = parts[parts.count - 2]
        self.name = parts[parts.count - 1]
        self.components = Array(parts.dropLast(2))
    }

    /// Splits at dots that are not inside a `["key"]`.
    static func segments(_ text: String) -> [String]? {
        var parts: [String] = []
        var current = ""
        var inKey = false
        for ch in text {
            if inKey {
                current.append(ch)
                if ch == "\"" { inKey = false }
                continue
            }
            switch ch {
            case ".":
                parts.append(current)
                current = ""
            case "\"":
                current.append(ch)
                inKey = true
            default:
                current.append(ch)
            }
        }
        guard !inKey else { return nil }
        parts.append(current)
        return parts
    }

    /// `base["key"]`: the name of one of several resources made in a loop, keyed by the
    /// author's key so that removing one never renumbers the others.
    public static func keyed(_ base: String, _ key: String) -> String { "\(base)[\"\(key)\"]" }

    public var description: String { (components + [type, name]).joined(separator: ".") }

    /// The provider that owns this resource's type.
    public var provider: String { ResourceAddress.provider(ofType: type) }

    public static func provider(ofType type: String) -> String {
        if let underscore = type.firstIndex(of: "_") { return String(type[..<underscore]) }
        return type
    }

    /// Names, types and component names: letters, digits, `_` and `-`, optionally followed
    /// by a key in brackets and quotes (`subnet["us-east-1a"]`; the key may hold anything but
    /// quotes, backslashes and control characters).
    public static func isValidSegment(_ s: String) -> Bool {
        var base = Substring(s)
        // `["` must end before `"]` starts: in `x["]` they overlap, and it is no key.
        if s.hasSuffix("\"]"), let open = s.range(of: "[\""), open.upperBound <= s.index(s.endIndex, offsetBy: -2) {
            let key = s[open.upperBound..<s.index(s.endIndex, offsetBy: -2)]
            guard key.unicodeScalars.allSatisfy({ $0 != "\"" && $0 != "\\" && $0.value >= 0x20 }) else { return false }
            base = s[..<open.lowerBound]
        } else if s.hasSuffix("]"), let open = s.firstIndex(of: "[") {
            // A numeric index, as Terraform's count makes: web[0].
            let index = s[s.index(after: open)..<s.index(before: s.endIndex)]
            guard !index.isEmpty, index.allSatisfy(\.isNumber) else { return false }
            base = s[..<open]
        }
        guard !base.isEmpty else { return false }
        return base.unicodeScalars.allSatisfy { c in
            (c >= "a" && c <= "z") || (c >= "A" && c <= "Z") || (c >= "0" && c <= "9") || c == "_" || c == "-"
        }
    }

    public static func < (a: ResourceAddress, b: ResourceAddress) -> Bool { a.description < b.description }

    public init(from decoder: any Decoder) throws {
        let text = try decoder.singleValueContainer().decode(String.self)
        guard let parsed = ResourceAddress(parsing: text) else {
            throw DecodingError.dataCorrupted(
                .init(codingPath: decoder.codingPath, debugDescription: "bad resource address '\(text)'"))
        }
        self = parsed
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.singleValueContainer()
        try c.encode(description)
    }
}
