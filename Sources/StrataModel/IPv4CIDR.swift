/// An IPv4 CIDR block: `10.0.0.0/16`. Nil if malformed.
public struct IPv4CIDR: Sendable, Hashable, CustomStringConvertible {
    public var address: UInt32
    public var prefix: Int

    public init?(_ text: String) {
        let parts = text.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count == 2, let prefix = Int(parts[1]), (0...32).contains(prefix), parts[1].allSatisfy(\.isNumber) else { return nil }
        let octets = parts[0].split(separator: ".", omittingEmptySubsequences: false)
        guard octets.count == 4 else { return nil }
        var address: UInt32 = 0
        for octet in octets {
            guard !octet.isEmpty, octet.count <= 3, octet.allSatisfy(\.isNumber), let n = UInt32(octet), n <= 255 else { return nil }
            address = address << 8 | n
        }
        self.address = address
        self.prefix = prefix
    }

    public init(address: UInt32, prefix: Int) {
        self.address = address
        self.prefix = prefix
    }

    public var mask: UInt32 { prefix == 0 ? 0 : UInt32.max << UInt32(32 - prefix) }
    /// Host bits set (`10.0.0.1/16`): AWS refuses these for VPCs and subnets.
    public var hasHostBits: Bool { address & ~mask != 0 }
    public func contains(_ other: IPv4CIDR) -> Bool {
        other.prefix >= prefix && (other.address & mask) == (address & mask)
    }
    public var description: String {
        "\(address >> 24).\(address >> 16 & 255).\(address >> 8 & 255).\(address & 255)/\(prefix)"
    }
}
