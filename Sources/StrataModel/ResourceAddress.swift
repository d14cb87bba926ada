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
        let parts = text.split(separator: ".", omittingEmptySubsequences: false).map(String.init)
        guard parts.count >= 2, parts.allSatisfy({ ResourceAddress.isValidSegment($0) }) else { return nil }
        self.type = parts[parts.count - 2]
        self.name = parts[parts.count - 1]
        self.components = Array(parts.dropLast(2))
    }

    public var description: String { (components + [type, name]).joined(separator: ".") }

    /// The provider that owns this resource's type.
    public var provider: String { ResourceAddress.provider(ofType: type) }

    public static func provider(ofType type: String) -> String {
        if let underscore = type.firstIndex(of: "_") { return String(type[..<underscore]) }
        return type
    }

    /// Names, types and component names: letters, digits, `_`, `-`, and `[…]` keys, no dots.
    public static func isValidSegment(_ s: String) -> Bool {
        guard !s.isEmpty else { return false }
        return s.unicodeScalars.allSatisfy { c in
            (c >= "a" && c <= "z") || (c >= "A" && c <= "Z") || (c >= "0" && c <= "9")
                || c == "_" || c == "-" || c == "[" || c == "]" || c == "\"" || c == ":"
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
