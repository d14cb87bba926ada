import Foundation

/// Decodes any `Decodable` from JSON through `ValueJSON` and a `Value` tree: faster than
/// `JSONDecoder` for Strata's messages, manifests and plans, which are mostly `Value`s (a
/// `Value` inside is taken whole, with no trial decoding).
public enum ValueDecoding {
    public static func decode<T: Decodable>(_ type: T.Type, from data: Data) throws -> T {
        try decode(type, from: try ValueJSON.parse(data))
    }

    public static func decode<T: Decodable>(_ type: T.Type, from value: Value) throws -> T {
        if T.self == Value.self { return unsafeBitCast(value, to: T.self) }
        return try T(from: TreeDecoder(value: value, path: nil))
    }
}

/// Where a decoder is in the tree, built only when an error needs it.
final class PathNode {
    let key: any CodingKey
    let parent: PathNode?
    init(_ key: any CodingKey, _ parent: PathNode?) {
        self.key = key
        self.parent = parent
    }
    var keys: [any CodingKey] {
        var out: [any CodingKey] = []
        var node: PathNode? = self
        while let n = node {
            out.append(n.key)
            node = n.parent
        }
        return out.reversed()
    }
}

/// A `Decoder` over a `Value` tree.
struct TreeDecoder: Decoder {
    let value: Value
    let path: PathNode?
    var codingPath: [any CodingKey] { path?.keys ?? [] }
    var userInfo: [CodingUserInfoKey: Any] { [:] }

    func mismatch(_ expected: String) -> DecodingError {
        .typeMismatch(Any.self, .init(codingPath: codingPath, debugDescription: "expected \(expected), found \(value.typeName)"))
    }

    func container<Key: CodingKey>(keyedBy type: Key.Type) throws -> KeyedDecodingContainer<Key> {
        guard case .map(let fields) = value else { throw mismatch("an object") }
        return KeyedDecodingContainer(KeyedTree<Key>(fields: fields, path: path))
    }

    func unkeyedContainer() throws -> any UnkeyedDecodingContainer {
        guard case .list(let items) = value else { throw mismatch("an array") }
        return UnkeyedTree(items: items, path: path)
    }

    func singleValueContainer() throws -> any SingleValueDecodingContainer { SingleTree(decoder: self) }
}

struct AnyKey: CodingKey {
    var stringValue: String
    var intValue: Int?
    init(_ s: String) { stringValue = s }
    init?(stringValue: String) { self.stringValue = stringValue }
    init(index: Int) {
        stringValue = String(index)
        intValue = index
    }
    init?(intValue: Int) {
        self.stringValue = String(intValue)
        self.intValue = intValue
    }
}

struct KeyedTree<Key: CodingKey>: KeyedDecodingContainerProtocol {
    let fields: [String: Value]
    let path: PathNode?
    var codingPath: [any CodingKey] { path?.keys ?? [] }
    var allKeys: [Key] { fields.keys.compactMap { Key(stringValue: $0) } }

    func contains(_ key: Key) -> Bool { fields[key.stringValue] != nil }

    func child(_ key: Key) throws -> TreeDecoder {
        guard let value = fields[key.stringValue] else {
            throw DecodingError.keyNotFound(key, .init(codingPath: codingPath, debugDescription: "no value for '\(key.stringValue)'"))
        }
        return TreeDecoder(value: value, path: PathNode(key, path))
    }

    func decodeNil(forKey key: Key) throws -> Bool {
        guard let value = fields[key.stringValue] else { return true }
        return value == .null
    }

    func decode<T: Decodable>(_ type: T.Type, forKey key: Key) throws -> T {
        let decoder = try child(key)
        if T.self == Value.self { return unsafeBitCast(decoder.value, to: T.self) }
        return try T(from: decoder)
    }

    func decodeIfPresent<T: Decodable>(_ type: T.Type, forKey key: Key) throws -> T? {
        guard let value = fields[key.stringValue], value != .null else { return nil }
        if T.self == Value.self { return unsafeBitCast(value, to: T.self) }
        return try T(from: TreeDecoder(value: value, path: PathNode(key, path)))
    }

    func nestedContainer<NestedKey: CodingKey>(keyedBy type: NestedKey.Type, forKey key: Key) throws -> KeyedDecodingContainer<NestedKey> {
        try child(key).container(keyedBy: type)
    }

    func nestedUnkeyedContainer(forKey key: Key) throws -> any UnkeyedDecodingContainer { try child(key).unkeyedContainer() }
    func superDecoder() throws -> any Decoder { TreeDecoder(value: .map(fields), path: path) }
    func superDecoder(forKey key: Key) throws -> any Decoder { try child(key) }
}

struct UnkeyedTree: UnkeyedDecodingContainer {
    let items: [Value]
    let path: PathNode?
    var codingPath: [any CodingKey] { path?.keys ?? [] }
    var currentIndex = 0
    var count: Int? { items.count }
    var isAtEnd: Bool { currentIndex >= items.count }

    mutating func next() throws -> TreeDecoder {
        guard !isAtEnd else {
            throw DecodingError.valueNotFound(Any.self, .init(codingPath: codingPath, debugDescription: "array ended"))
        }
        defer { currentIndex += 1 }
        return TreeDecoder(value: items[currentIndex], path: PathNode(AnyKey(index: currentIndex), path))
    }

    mutating func decodeNil() throws -> Bool {
        guard !isAtEnd, items[currentIndex] == .null else { return false }
        currentIndex += 1
        return true
    }

    mutating func decode<T: Decodable>(_ type: T.Type) throws -> T {
        let decoder = try next()
        if T.self == Value.self { return unsafeBitCast(decoder.value, to: T.self) }
        return try T(from: decoder)
    }

    mutating func nestedContainer<NestedKey: CodingKey>(keyedBy type: NestedKey.Type) throws -> KeyedDecodingContainer<NestedKey> {
        try next().container(keyedBy: type)
    }
    mutating func nestedUnkeyedContainer() throws -> any UnkeyedDecodingContainer { try next().unkeyedContainer() }
    mutating func superDecoder() throws -> any Decoder { try next() }
}

struct SingleTree: SingleValueDecodingContainer {
    let decoder: TreeDecoder
    var codingPath: [any CodingKey] { decoder.codingPath }
    var value: Value { decoder.value }

    func decodeNil() -> Bool { value == .null }
    func decode(_ type: Bool.Type) throws -> Bool {
        guard case .bool(let b) = value else { throw decoder.mismatch("a bool") }
        return b
    }
    func decode(_ type: String.Type) throws -> String {
        guard case .string(let s) = value else { throw decoder.mismatch("a string") }
        return s
    }
    func decode(_ type: Double.Type) throws -> Double {
        guard case .number(let n) = value else { throw decoder.mismatch("a number") }
        return n
    }
    func decode(_ type: Float.Type) throws -> Float { Float(try decode(Double.self)) }
    func integer<I: BinaryInteger>(_ type: I.Type) throws -> I {
        let n = try decode(Double.self)
        guard n.rounded() == n, let i = I(exactly: n) else { throw decoder.mismatch("a whole number") }
        return i
    }
    func decode(_ type: Int.Type) throws -> Int { try integer(type) }
    func decode(_ type: Int8.Type) throws -> Int8 { try integer(type) }
    func decode(_ type: Int16.Type) throws -> Int16 { try integer(type) }
    func decode(_ type: Int32.Type) throws -> Int32 { try integer(type) }
    func decode(_ type: Int64.Type) throws -> Int64 { try integer(type) }
    func decode(_ type: UInt.Type) throws -> UInt { try integer(type) }
    func decode(_ type: UInt8.Type) throws -> UInt8 { try integer(type) }
    func decode(_ type: UInt16.Type) throws -> UInt16 { try integer(type) }
    func decode(_ type: UInt32.Type) throws -> UInt32 { try integer(type) }
    func decode(_ type: UInt64.Type) throws -> UInt64 { try integer(type) }
    func decode<T: Decodable>(_ type: T.Type) throws -> T {
        if T.self == Value.self { return unsafeBitCast(value, to: T.self) }
        return try T(from: decoder)
    }
}
