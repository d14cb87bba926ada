import StrataModel

/// A value of type `T` in a stack: a literal, a reference to another resource's attribute
/// (which becomes a graph edge and may be known only after apply), or a string built from both.
///
/// ```swift
/// subnet.vpcId = vpc.id                 // a reference
/// bucket.name = "logs-\(Stack.instance)" // a literal
/// record.value = "\(lb.dnsName):443"     // a template over a reference
/// ```
public struct Expr<T>: CustomStringConvertible {
    public let value: StrataModel.Value

    public init(raw value: StrataModel.Value) { self.value = value }

    public var description: String { value.rendered() }

    /// Marks the value secret: shown as `(secret)` everywhere, encrypted at rest.
    public var secret: Expr<T> {
        if case .secret = value { return self }
        return Expr(raw: .secret(value))
    }
}

/// Swift values that have a Strata `Value`.
public protocol ValueConvertible {
    var strataValue: StrataModel.Value { get }
}

extension String: ValueConvertible { public var strataValue: StrataModel.Value { .string(self) } }
extension Int: ValueConvertible { public var strataValue: StrataModel.Value { .number(Double(self)) } }
extension Double: ValueConvertible { public var strataValue: StrataModel.Value { .number(self) } }
extension Bool: ValueConvertible { public var strataValue: StrataModel.Value { .bool(self) } }
extension Array: ValueConvertible where Element: ValueConvertible {
    public var strataValue: StrataModel.Value { .list(map(\.strataValue)) }
}
extension Dictionary: ValueConvertible where Key == String, Value: ValueConvertible {
    public var strataValue: StrataModel.Value { .map(mapValues(\.strataValue)) }
}
extension Expr: ValueConvertible { public var strataValue: StrataModel.Value { value } }

extension Expr where T: ValueConvertible {
    /// A literal from a Swift value: `Expr(name)`.
    public init(_ literal: T) { self.value = literal.strataValue }
}

extension Expr where T == [String] {
    /// A list of strings, each of which may be a reference: `inputs: [a.id, b.id]`.
    public init(_ items: [Expr<String>]) { self.value = .list(items.map(\.value)) }
}

extension Expr where T == [String: String] {
    public init(_ fields: [String: Expr<String>]) { self.value = .map(fields.mapValues(\.value)) }
}

extension Expr: ExpressibleByUnicodeScalarLiteral where T == String {
    public init(unicodeScalarLiteral value: String) { self.value = .string(value) }
}
extension Expr: ExpressibleByExtendedGraphemeClusterLiteral where T == String {
    public init(extendedGraphemeClusterLiteral value: String) { self.value = .string(value) }
}
extension Expr: ExpressibleByStringLiteral where T == String {
    public init(stringLiteral value: String) { self.value = .string(value) }
}

extension Expr: ExpressibleByStringInterpolation where T == String {
    public init(stringInterpolation: ExprInterpolation) {
        let parts = stringInterpolation.parts
        if parts.allSatisfy({ if case .string = $0 { return true } else { return false } }) {
            self.value = .string(parts.compactMap(\.stringValue).joined())
        } else {
            self.value = .template(parts)
        }
    }
}

/// String interpolation that keeps references: `"\(vpc.id)-web"` becomes a template.
public struct ExprInterpolation: StringInterpolationProtocol {
    var parts: [StrataModel.Value] = []

    public init(literalCapacity: Int, interpolationCount: Int) {}

    public mutating func appendLiteral(_ literal: String) { appendText(literal) }

    public mutating func appendInterpolation<U>(_ expr: Expr<U>) {
        switch expr.value {
        case .string(let s): appendText(s)
        case .number, .bool: appendText(expr.value.rendered())
        default: parts.append(expr.value)
        }
    }

    public mutating func appendInterpolation<U>(_ value: U) {
        appendText(String(describing: value))
    }

    private mutating func appendText(_ text: String) {
        guard !text.isEmpty else { return }
        if case .string(let last)? = parts.last {
            parts[parts.count - 1] = .string(last + text)
        } else {
            parts.append(.string(text))
        }
    }
}

extension Expr: ExpressibleByIntegerLiteral where T == Int {
    public init(integerLiteral value: Int) { self.value = .number(Double(value)) }
}
extension Expr: ExpressibleByFloatLiteral where T == Double {
    public init(floatLiteral value: Double) { self.value = .number(value) }
}
extension Expr: ExpressibleByBooleanLiteral where T == Bool {
    public init(booleanLiteral value: Bool) { self.value = .bool(value) }
}
extension Expr: ExpressibleByArrayLiteral where T == [String] {
    public init(arrayLiteral elements: Expr<String>...) { self.value = .list(elements.map(\.value)) }
}
extension Expr: ExpressibleByDictionaryLiteral where T == [String: String] {
    public init(dictionaryLiteral elements: (String, Expr<String>)...) {
        self.value = .map(Dictionary(elements.map { ($0.0, $0.1.value) }, uniquingKeysWith: { _, b in b }))
    }
}
