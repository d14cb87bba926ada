import Foundation
import StrataModel

/// Cuts the bytes read from a plugin pipe into protocol lines (one JSON message each). Bytes
/// of an unfinished line wait for the next read; empty lines are dropped.
public struct WireLineBuffer: Sendable {
    private var buffer: [UInt8] = []

    public init() {}

    /// Bytes of a line not finished yet.
    public var pendingCount: Int { buffer.count }

    /// Adds what a read returned; answers the lines it finished, in order.
    public mutating func append(_ bytes: some Sequence<UInt8>) -> [Data] {
        buffer.append(contentsOf: bytes)
        var lines: [Data] = []
        var start = 0
        while let newline = buffer[start...].firstIndex(of: 0x0A) {
            if newline > start { lines.append(Data(buffer[start..<newline])) }
            start = newline + 1
        }
        buffer.removeFirst(start)
        return lines
    }
}

/// One message read from the wire, parsed once and sorted by what the reader does with it.
/// Whatever the line holds, reading it never traps: a line that is not a JSON-RPC message is
/// `.invalid` with the reason (`scripts/fuzz plugin-protocol`).
public enum WireMessage: Sendable {
    /// A request or notification (it has a `method`); `id` is nil for a notification.
    case request(method: String, id: Int?, message: [String: Value])
    /// A successful answer to the call `id`; the whole message (its `result` decoded later).
    case result(id: Int, message: [String: Value])
    /// An error answer to the call `id`.
    case failure(id: Int, PluginError)
    /// Not a message this protocol knows: why.
    case invalid(String)

    public init(line: Data) {
        guard case .map(let message)? = try? ValueJSON.parse(line) else {
            self = .invalid("not a JSON object")
            return
        }
        let idValue = message["id"]
        let id = idValue.flatMap(WireMessage.id(_:))
        if let idValue, idValue != .null, id == nil {
            self = .invalid("the id \(idValue.rendered()) is not a whole number")
            return
        }
        if let method = message["method"] {
            guard case .string(let name) = method else {
                self = .invalid("the method is not a string")
                return
            }
            self = .request(method: name, id: id, message: message)
            return
        }
        guard let id else {
            self = .invalid("an answer without an id")
            return
        }
        if let error = message["error"], error != .null {
            let object = (try? ValueDecoding.decode(RPCErrorObject.self, from: error))
                ?? RPCErrorObject(PluginError(.fatal, "unreadable error: \(error.rendered())"))
            self = .failure(id: id, object.pluginError)
        } else {
            self = .result(id: id, message: message)
        }
    }

    /// A JSON-RPC id as this protocol uses them: a whole number that fits an `Int`
    /// (`1e300`, `1.5` or `"7"` are not; `Int(Double)` would trap on the first).
    public static func id(_ value: Value) -> Int? {
        guard case .number(let n) = value else { return nil }
        return Int(exactly: n)
    }
}
