import Strata
import StrataModel

/// `random_password`: a password from the OS RNG; `result` is secret.
public final class RandomPassword: Resource {
    public init(_ name: String, length: Int = 24, special: Bool = true, keepers: [String: Expr<String>] = [:], file: String = #filePath, line: Int = #line) {
        super.init(type: "random_password", name: name, file: file, line: line)
        setInput("length", Expr(length))
        setInput("special", Expr(special))
        if !keepers.isEmpty { setInput("keepers", Expr<[String: String]>(keepers)) }
    }
    /// The password (secret).
    public var result: Expr<String> { Expr<String>(raw: .reference(Reference(address: address, attribute: "result"))).secret }
}

/// `random_id`: random bytes as hex and base64url, e.g. for unique bucket names.
public final class RandomID: Resource {
    public init(_ name: String, byteLength: Int = 8, prefix: String? = nil, keepers: [String: Expr<String>] = [:], file: String = #filePath, line: Int = #line) {
        super.init(type: "random_id", name: name, file: file, line: line)
        setInput("byteLength", Expr(byteLength))
        if let prefix { setInput("prefix", Expr(prefix)) }
        if !keepers.isEmpty { setInput("keepers", Expr<[String: String]>(keepers)) }
    }
    public var hex: Expr<String> { attribute("hex") }
    public var b64url: Expr<String> { attribute("b64url") }
    public var id: Expr<String> { attribute("id") }
}

/// `random_uuid`: a version 4 UUID.
public final class RandomUUID: Resource {
    public init(_ name: String, keepers: [String: Expr<String>] = [:], file: String = #filePath, line: Int = #line) {
        super.init(type: "random_uuid", name: name, file: file, line: line)
        if !keepers.isEmpty { setInput("keepers", Expr<[String: String]>(keepers)) }
    }
    public var result: Expr<String> { attribute("result") }
}
