import Foundation

/// Encodes any `Encodable` to a `Value` tree, and through `ValueJSON` to JSON text with sorted
/// keys: the fast twin of `ValueDecoding` (a `Value` inside is taken whole).
public enum ValueEncoding {
    public static func value<T: Encodable>(_ item: T) throws -> Value {
        if T.self == Value.self { return unsafeBitCast(item, to: Value.self) }
        let root = TreeEncoder.Box(.null)
        try item.encode(to: TreeEncoder(box: root, codingPath: []))
        return root.resolve()
    }

    public static func data<T: Encodable>(_ item: T) throws -> Data {
        ValueJSON.data(try value(item))
    }
}

/// An `Encoder` that builds a `Value`. Containers write into reference boxes that the parent
/// reads back when it is asked for its value.
struct TreeEncoder: Encoder {
    final class Box {
        var value: Value
        var fields: [String: Box]? = nil
        var items: [Box]? = nil
        init(_ value: Value) { self.value = value }

        /// The finished value, with nested containers folded in.
        func resolve() -> Value {
            if let fields { return .map(fields.mapValues { $0.resolve() }) }
            if let items { return .list(items.map { $0.resolve() }) }
            return value
        }
    }

    let box: Box
    let codingPath: [any CodingKey]
    var userInfo: [CodingUserInfoKey: Any] { [:] }

    func container<Key: CodingKey>(keyedBy type: Key.Type) -> KeyedEncodingContainer<Key> {
        if box.fields == nil { box.fields = [:] }
        return KeyedEncodingContainer(KeyedTreeEncoder<Key>(box: box, codingPath: codingPath))
    }

    func unkeyedContainer() -> any UnkeyedEncodingContainer {
        if box.items == nil { box.items = [] }
        return UnkeyedTreeEncoder(box: box, codingPath: codingPath)
    }

    func singleValueContainer() -> any SingleValueEncodingContainer { SingleTreeEncoder(box: box, codingPath: codingPath) }

    static func encode<T: Encodable>(_ item: T, into box: Box, codingPath: [any CodingKey]) throws {
        if T.self == Value.self {
            box.value = unsafeBitCast(item, to: Value.self)
            return
        }
        try item.encode(to: TreeEncoder(box: box, codingPath: codingPath))
    }
}

struct KeyedTreeEncoder<Key: CodingKey>: KeyedEncodingContainerProtocol {
    let box: TreeEncoder.Box
    let codingPath: [any CodingKey]

    func child(_ key: Key) -> TreeEncoder.Box {
        let child = TreeEncoder.Box(.null)
        box.fields?[key.stringValue] = child
        return child
    }

    mutating func encodeNil(forKey key: Key) throws { child(key).value = .null }
    mutating func encode(_ value: Bool, forKey key: Key) throws { child(key).value = .bool(value) }
    mutating func encode(_ value: String, forKey key: Key) throws { child(key).value = .string(value) }
    mutating func encode(_ value: Double, forKey key: Key) throws { child(key).value = .number(value) }
    mutating func encode(_ value: Int, forKey key: Key) throws { child(key).value = .number(Double(value)) }
    mutating func encode<T: Encodable>(_ value: T, forKey key: Key) throws {
        try TreeEncoder.encode(value, into: child(key), codingPath: codingPath + [key])
    }
    mutating func encodeIfPresent<T: Encodable>(_ value: T?, forKey key: Key) throws {
        // Absent, as JSONEncoder leaves it.
        guard let value else { return }
        try encode(value, forKey: key)
    }
    mutating func encodeIfPresent(_ value: String?, forKey key: Key) throws {
        guard let value else { return }
        try encode(value, forKey: key)
    }
    mutating func encodeIfPresent(_ value: Bool?, forKey key: Key) throws {
        guard let value else { return }
        try encode(value, forKey: key)
    }
    mutating func encodeIfPresent(_ value: Double?, forKey key: Key) throws {
        guard let value else { return }
        try encode(value, forKey: key)
    }
    mutating func encodeIfPresent(_ value: Int?, forKey key: Key) throws {
        guard let value else { return }
        try encode(value, forKey: key)
    }

    mutating func nestedContainer<NestedKey: CodingKey>(keyedBy keyType: NestedKey.Type, forKey key: Key) -> KeyedEncodingContainer<NestedKey> {
        TreeEncoder(box: child(key), codingPath: codingPath + [key]).container(keyedBy: keyType)
    }
    mutating func nestedUnkeyedContainer(forKey key: Key) -> any UnkeyedEncodingContainer {
        TreeEncoder(box: child(key), codingPath: codingPath + [key]).unkeyedContainer()
    }
    mutating func superEncoder() -> any Encoder { TreeEncoder(box: child(Key(stringValue: "super")!), codingPath: codingPath) }
    mutating func superEncoder(forKey key: Key) -> any Encoder { TreeEncoder(box: child(key), codingPath: codingPath + [key]) }
}

struct UnkeyedTreeEncoder: UnkeyedEncodingContainer {
    let box: TreeEncoder.Box
    let codingPath: [any CodingKey]
    var count: Int { box.items?.count ?? 0 }

    func next() -> TreeEncoder.Box {
        let child = TreeEncoder.Box(.null)
        box.items?.append(child)
        return child
    }

    mutating func encodeNil() throws { next().value = .null }
    mutating func encode(_ value: Bool) throws { next().value = .bool(value) }
    mutating func encode(_ value: String) throws { next().value = .string(value) }
    mutating func encode(_ value: Double) throws { next().value = .number(value) }
    mutating func encode(_ value: Int) throws { next().value = .number(Double(value)) }
    mutating func encode<T: Encodable>(_ value: T) throws {
        try TreeEncoder.encode(value, into: next(), codingPath: codingPath + [AnyKey(intValue: count)!])
    }
    mutating func nestedContainer<NestedKey: CodingKey>(keyedBy keyType: NestedKey.Type) -> KeyedEncodingContainer<NestedKey> {
        TreeEncoder(box: next(), codingPath: codingPath).container(keyedBy: keyType)
    }
    mutating func nestedUnkeyedContainer() -> any UnkeyedEncodingContainer {
        TreeEncoder(box: next(), codingPath: codingPath).unkeyedContainer()
    }
    mutating func superEncoder() -> any Encoder { TreeEncoder(box: next(), codingPath: codingPath) }
}

struct SingleTreeEncoder: SingleValueEncodingContainer {
    let box: TreeEncoder.Box
    let codingPath: [any CodingKey]

    mutating func encodeNil() throws { box.value = .null }
    mutating func encode(_ value: Bool) throws { box.value = .bool(value) }
    mutating func encode(_ value: String) throws { box.value = .string(value) }
    mutating func encode(_ value: Double) throws { box.value = .number(value) }
    mutating func encode(_ value: Float) throws { box.value = .number(Double(value)) }
    mutating func encode(_ value: Int) throws { box.value = .number(Double(value)) }
    mutating func encode(_ value: Int8) throws { box.value = .number(Double(value)) }
    mutating func encode(_ value: Int16) throws { box.value = .number(Double(value)) }
    mutating func encode(_ value: Int32) throws { box.value = .number(Double(value)) }
    mutating func encode(_ value: Int64) throws { box.value = .number(Double(value)) }
    mutating func encode(_ value: UInt) throws { box.value = .number(Double(value)) }
    mutating func encode(_ value: UInt8) throws { box.value = .number(Double(value)) }
    mutating func encode(_ value: UInt16) throws { box.value = .number(Double(value)) }
    mutating func encode(_ value: UInt32) throws { box.value = .number(Double(value)) }
    mutating func encode(_ value: UInt64) throws { box.value = .number(Double(value)) }
    mutating func encode<T: Encodable>(_ value: T) throws {
        try TreeEncoder.encode(value, into: box, codingPath: codingPath)
    }
}
