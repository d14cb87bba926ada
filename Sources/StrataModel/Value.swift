import Foundation

/// A value of a resource attribute: JSON, plus three markers JSON cannot say.
///
/// - `unknown`: known only after apply (a computed attribute of a resource not yet created).
/// - `secret`: a value that must never be printed; it is shown as `(secret)`.
/// - `reference` / `template`: only in a manifest, before the planner resolves them against
///   the state: a reference to another resource's attribute, or a string built from parts.
///
/// On the wire and on disk the markers are objects with one reserved key:
/// `{"$unknown": true}`, `{"$secret": V}`, `{"$ref": "type.name.attr"}`, `{"$template": [V, …]}`.
public enum Value: Sendable, Hashable {
    case null
    case bool(Bool)
    case number(Double)
    case string(String)
    case list([Value])
    case map([String: Value])
    case unknown
    indirect case secret(Value)
    case reference(Reference)
    case template([Value])
}

/// A typed pointer from one resource's input to another resource's attribute: a graph edge.
public struct Reference: Sendable, Hashable, Codable, CustomStringConvertible {
    public var address: ResourceAddress
    public var attribute: String

    public init(address: ResourceAddress, attribute: String) {
        self.address = address
        self.attribute = attribute
    }

    public var description: String { "\(address).\(attribute)" }

    /// Parses `type.name.attribute` (with optional leading component path).
    public init?(parsing text: String) {
        guard let dot = text.lastIndex(of: "."),
            let address = ResourceAddress(parsing: String(text[..<dot]))
        else { return nil }
        self.address = address
        self.attribute = String(text[text.index(after: dot)...])
        if attribute.isEmpty { return nil }
    }

    public init(from decoder: any Decoder) throws {
        let text = try decoder.singleValueContainer().decode(String.self)
        guard let parsed = Reference(parsing: text) else {
            throw DecodingError.dataCorrupted(
                .init(codingPath: decoder.codingPath, debugDescription: "bad reference '\(text)'"))
        }
        self = parsed
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(description)
    }
}

extension Value {
    public var isKnown: Bool {
        switch self {
        case .unknown, .reference, .template: return false
        case .secret(let inner): return inner.isKnown
        case .list(let items): return items.allSatisfy(\.isKnown)
        case .map(let fields): return fields.values.allSatisfy(\.isKnown)
        default: return true
        }
    }

    public var containsSecret: Bool {
        switch self {
        case .secret: return true
        case .list(let items): return items.contains(where: \.containsSecret)
        case .map(let fields): return fields.values.contains(where: \.containsSecret)
        case .template(let parts): return parts.contains(where: \.containsSecret)
        default: return false
        }
    }

    /// The value with every secret marker removed (for providers, which need the plain value).
    public var revealed: Value {
        switch self {
        case .secret(let inner): return inner.revealed
        case .list(let items): return .list(items.map(\.revealed))
        case .map(let fields): return .map(fields.mapValues(\.revealed))
        case .template(let parts): return .template(parts.map(\.revealed))
        default: return self
        }
    }

    /// Every reference inside this value, in order of appearance.
    public var references: [Reference] {
        switch self {
        case .reference(let ref): return [ref]
        case .secret(let inner): return inner.references
        case .list(let items): return items.flatMap(\.references)
        case .map(let fields): return fields.keys.sorted().flatMap { fields[$0]!.references }
        case .template(let parts): return parts.flatMap(\.references)
        default: return []
        }
    }

    public var stringValue: String? {
        switch self {
        case .string(let s): return s
        case .secret(let inner): return inner.stringValue
        default: return nil
        }
    }

    public var numberValue: Double? {
        switch self {
        case .number(let n): return n
        case .secret(let inner): return inner.numberValue
        default: return nil
        }
    }

    public var boolValue: Bool? {
        if case .bool(let b) = self { return b }
        if case .secret(let inner) = self { return inner.boolValue }
        return nil
    }

    public var listValue: [Value]? {
        if case .list(let items) = self { return items }
        return nil
    }

    public var mapValue: [String: Value]? {
        if case .map(let fields) = self { return fields }
        return nil
    }

    public var typeName: String {
        switch self {
        case .null: return "null"
        case .bool: return "bool"
        case .number: return "number"
        case .string: return "string"
        case .list: return "list"
        case .map: return "map"
        case .unknown: return "unknown"
        case .secret(let inner): return inner.typeName
        case .reference: return "reference"
        case .template: return "string"
        }
    }
}

extension Value: ExpressibleByStringLiteral, ExpressibleByIntegerLiteral, ExpressibleByFloatLiteral,
    ExpressibleByBooleanLiteral, ExpressibleByArrayLiteral, ExpressibleByNilLiteral
{
    public init(stringLiteral value: String) { self = .string(value) }
    public init(integerLiteral value: Int) { self = .number(Double(value)) }
    public init(floatLiteral value: Double) { self = .number(value) }
    public init(booleanLiteral value: Bool) { self = .bool(value) }
    public init(arrayLiteral elements: Value...) { self = .list(elements) }
    public init(nilLiteral: ()) { self = .null }
}

// MARK: - JSON

extension Value: Codable {
    private struct Key: CodingKey {
        var stringValue: String
        var intValue: Int? { nil }
        init(_ string: String) { stringValue = string }
        init?(stringValue: String) { self.stringValue = stringValue }
        init?(intValue: Int) { nil }
    }

    public init(from decoder: any Decoder) throws {
        if let tree = decoder as? TreeDecoder {
            self = tree.value
            return
        }
        // Scalars first, most common first: a failed attempt throws, and throwing is the cost.
        if let single = try? decoder.singleValueContainer() {
            if single.decodeNil() { self = .null; return }
            if let s = try? single.decode(String.self) { self = .string(s); return }
            if let n = try? single.decode(Double.self) { self = .number(n); return }
            if let b = try? single.decode(Bool.self) { self = .bool(b); return }
        }
        if let keyed = try? decoder.container(keyedBy: Key.self) {
            let keys = keyed.allKeys
            if keys.count == 1, let key = keys.first {
                switch key.stringValue {
                case "$unknown": self = .unknown; return
                case "$secret": self = .secret(try keyed.decode(Value.self, forKey: key)); return
                case "$ref": self = .reference(try keyed.decode(Reference.self, forKey: key)); return
                case "$template": self = .template(try keyed.decode([Value].self, forKey: key)); return
                default: break
                }
            }
            var fields: [String: Value] = [:]
            fields.reserveCapacity(keys.count)
            for key in keys { fields[key.stringValue] = try keyed.decode(Value.self, forKey: key) }
            self = .map(fields)
            return
        }
        if var unkeyed = try? decoder.unkeyedContainer() {
            var items: [Value] = []
            while !unkeyed.isAtEnd { items.append(try unkeyed.decode(Value.self)) }
            self = .list(items)
            return
        }
        throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath, debugDescription: "not a JSON value"))
    }

    public func encode(to encoder: any Encoder) throws {
        switch self {
        case .null:
            var c = encoder.singleValueContainer()
            try c.encodeNil()
        case .bool(let b):
            var c = encoder.singleValueContainer()
            try c.encode(b)
        case .number(let n):
            var c = encoder.singleValueContainer()
            // Whole numbers are written without a fraction, as people write them.
            if n.rounded() == n, abs(n) < 9.0e15 { try c.encode(Int64(n)) } else { try c.encode(n) }
        case .string(let s):
            var c = encoder.singleValueContainer()
            try c.encode(s)
        case .list(let items):
            var c = encoder.unkeyedContainer()
            for item in items { try c.encode(item) }
        case .map(let fields):
            var c = encoder.container(keyedBy: Key.self)
            for (k, v) in fields { try c.encode(v, forKey: Key(k)) }
        case .unknown:
            var c = encoder.container(keyedBy: Key.self)
            try c.encode(true, forKey: Key("$unknown"))
        case .secret(let inner):
            var c = encoder.container(keyedBy: Key.self)
            try c.encode(inner, forKey: Key("$secret"))
        case .reference(let ref):
            var c = encoder.container(keyedBy: Key.self)
            try c.encode(ref, forKey: Key("$ref"))
        case .template(let parts):
            var c = encoder.container(keyedBy: Key.self)
            try c.encode(parts, forKey: Key("$template"))
        }
    }
}

// MARK: - Display

extension Value {
    /// How the value is shown to a person: HCL-like, secrets hidden.
    public func rendered(secret: Bool = false) -> String {
        if secret { return "(secret)" }
        switch self {
        case .null: return "null"
        case .bool(let b): return b ? "true" : "false"
        case .number(let n):
            if n.rounded() == n, abs(n) < 9.0e15 { return String(Int64(n)) }
            return String(n)
        case .string(let s): return Value.quoted(s)
        case .list(let items): return "[" + items.map { $0.rendered() }.joined(separator: ", ") + "]"
        case .map(let fields):
            return "{" + fields.keys.sorted().map { "\($0) = \(fields[$0]!.rendered())" }.joined(separator: ", ") + "}"
        case .unknown: return "(known after apply)"
        case .secret: return "(secret)"
        case .reference(let ref): return "${\(ref)}"
        case .template(let parts):
            return "\"" + parts.map { part -> String in
                switch part {
                case .string(let s): return s
                case .reference(let ref): return "${\(ref)}"
                default: return "${\(part.rendered())}"
                }
            }.joined() + "\""
        }
    }

    static func quoted(_ s: String) -> String {
        var out = "\""
        for ch in s {
            switch ch {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            default: out.append(ch)
            }
        }
        return out + "\""
    }
}
