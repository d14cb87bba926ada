import Foundation

/// The one way Strata writes JSON that is hashed, diffed or stored: sorted keys, no escaped slashes.
public enum StrataJSON {
    public static func encoder(pretty: Bool = false) -> JSONEncoder {
        let encoder = JSONEncoder()
        encoder.outputFormatting = pretty ? [.sortedKeys, .withoutEscapingSlashes, .prettyPrinted] : [.sortedKeys, .withoutEscapingSlashes]
        return encoder
    }

    /// Compact JSON goes through `ValueEncoding` and `ValueJSON` (fast, sorted keys);
    /// pretty JSON, for people, through `JSONEncoder`.
    public static func encode<T: Encodable>(_ value: T, pretty: Bool = false) throws -> Data {
        pretty ? try encoder(pretty: true).encode(value) : try ValueEncoding.data(value)
    }

    /// Decodes through `ValueJSON` and `ValueDecoding` (dates as seconds since 2001, as
    /// `JSONEncoder` writes them by default).
    public static func decode<T: Decodable>(_ type: T.Type, from data: Data) throws -> T {
        try ValueDecoding.decode(type, from: data)
    }
}
