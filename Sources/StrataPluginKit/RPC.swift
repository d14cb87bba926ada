import Foundation
import StrataModel

/// What went wrong in a plugin call, in words the engine acts on.
public enum PluginErrorKind: String, Sendable, Codable, Hashable {
    /// The resource does not exist (read/update/delete of something gone).
    case notFound
    /// It exists already, or is in a state that forbids the call now.
    case conflict
    /// The provider asked to slow down; retried with backoff.
    case throttled
    /// A passing fault (5xx, timeout); retried with backoff.
    case retryable
    /// The input is wrong; the user must change the stack.
    case invalid
    /// The method is not implemented by this plugin.
    case unsupported
    /// Anything else; not retried.
    case fatal

    public var isRetryable: Bool { self == .throttled || self == .retryable }
}

/// An error a plugin returns: a kind, a message, and the provider's own code.
public struct PluginError: Error, Sendable, Codable, Hashable, CustomStringConvertible {
    public var kind: PluginErrorKind
    public var message: String
    public var providerCode: String?

    public init(_ kind: PluginErrorKind, _ message: String, providerCode: String? = nil) {
        self.kind = kind
        self.message = message
        self.providerCode = providerCode
    }

    public var description: String {
        if let providerCode { return "\(message) [\(kind.rawValue), \(providerCode)]" }
        return "\(message) [\(kind.rawValue)]"
    }
}

/// JSON-RPC 2.0 error object; `data` carries the Strata kind.
public struct RPCErrorObject: Sendable, Codable {
    public var code: Int
    public var message: String
    public var data: RPCErrorData?

    public struct RPCErrorData: Sendable, Codable {
        public var kind: PluginErrorKind
        public var providerCode: String?
    }

    public init(_ error: PluginError) {
        code = error.kind == .unsupported ? -32601 : (error.kind == .invalid ? -32602 : -32000)
        message = error.message
        data = RPCErrorData(kind: error.kind, providerCode: error.providerCode)
    }

    public var pluginError: PluginError {
        if let data { return PluginError(data.kind, message, providerCode: data.providerCode) }
        switch code {
        case -32601: return PluginError(.unsupported, message)
        case -32602, -32600, -32700: return PluginError(.invalid, message)
        default: return PluginError(.fatal, message)
        }
    }
}

/// The parts of any JSON-RPC message needed to route it, decoded first.
public struct RPCHeader: Decodable, Sendable {
    public var id: Int?
    public var method: String?
    public var error: RPCErrorObject?
}

public struct RPCRequest<Params: Encodable & Sendable>: Encodable, Sendable {
    public var jsonrpc = "2.0"
    public var id: Int?
    public var method: String
    public var params: Params
    public init(id: Int?, method: String, params: Params) {
        self.id = id
        self.method = method
        self.params = params
    }
}

public struct RPCIncomingRequest<Params: Decodable>: Decodable {
    public var id: Int?
    public var method: String
    public var params: Params
}

public struct RPCResult<Result: Codable & Sendable>: Codable, Sendable {
    public var jsonrpc = "2.0"
    public var id: Int
    public var result: Result
    public init(id: Int, result: Result) {
        self.id = id
        self.result = result
    }
}

public struct RPCFailure: Codable, Sendable {
    public var jsonrpc = "2.0"
    public var id: Int?
    public var error: RPCErrorObject
    public init(id: Int?, error: RPCErrorObject) {
        self.id = id
        self.error = error
    }
}

/// Encoding used on the wire: compact, one message per line (JSON never contains a raw newline).
public enum WireCoding {
    public static func encoder() -> JSONEncoder {
        let e = JSONEncoder()
        e.outputFormatting = [.withoutEscapingSlashes]
        return e
    }
}
