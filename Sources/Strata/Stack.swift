import StrataModel

/// The stack being run: its name, instance, parameters and outputs.
///
/// ```swift
/// let env = Stack.variable("env", default: "dev")
/// Stack.output("url", lb.dnsName)
/// ```
public enum Stack {
    /// The stack's name (its folder's name unless configured otherwise).
    public static var name: String { Registry.shared.context.stack }

    /// The instance (`--instance`): `default`, `staging`, `tenant/acme`, …
    public static var instance: String { Registry.shared.context.instance }

    /// A parameter set with `--var name=value`, or `defaultValue`.
    public static func variable(_ name: String, default defaultValue: String) -> String {
        Registry.shared.noteVariable(name)
        return Registry.shared.context.variables[name] ?? defaultValue
    }

    /// A whole-number parameter; a value that is not a number is reported, and the default used.
    public static func variable(_ name: String, default defaultValue: Int, file: String = #filePath, line: Int = #line) -> Int {
        Registry.shared.noteVariable(name)
        guard let text = Registry.shared.context.variables[name] else { return defaultValue }
        guard let number = Int(text) else {
            Registry.shared.addDiagnostic(Diagnostic(.error, "--var \(name)=\(text) must be a whole number", location: SourceLocation(file: file, line: line)))
            return defaultValue
        }
        return number
    }

    /// A parameter that must be one of `allowed`.
    public static func variable(_ name: String, default defaultValue: String, allowed: [String], file: String = #filePath, line: Int = #line) -> String {
        let value = variable(name, default: defaultValue)
        if !allowed.contains(value) {
            Registry.shared.addDiagnostic(Diagnostic(.error, "--var \(name)=\(value) is not one of: \(allowed.joined(separator: ", "))", location: SourceLocation(file: file, line: line)))
            return defaultValue
        }
        return value
    }

    /// Declares a stack output, shown by `strata output` and after apply.
    public static func output<T>(_ name: String, _ value: Expr<T>, secret: Bool = false, file: String = #filePath, line: Int = #line) {
        Registry.shared.addOutput(name, ManifestOutput(value: value.value, secret: secret || value.value.containsSecret), location: SourceLocation(file: file, line: line))
    }

    public static func output<T: ValueConvertible>(_ name: String, _ value: T, secret: Bool = false, file: String = #filePath, line: Int = #line) {
        Registry.shared.addOutput(name, ManifestOutput(value: value.strataValue, secret: secret), location: SourceLocation(file: file, line: line))
    }

    /// Configures a provider: with no alias its default instance, with an alias another
    /// instance (each is its own plugin process): `let eu = Stack.provider("aws", alias: "eu",
    /// ["region": "eu-west-1"])`, then `resource.using(eu)`.
    @discardableResult
    public static func provider(_ name: String, alias: String? = nil, _ config: [String: Value] = [:], file: String = #filePath, line: Int = #line) -> ProviderRef {
        let location = SourceLocation(file: file, line: line)
        if let alias, !ResourceAddress.isValidSegment(alias) || alias.contains("[") {
            Registry.shared.addDiagnostic(Diagnostic(.error, "provider alias '\(alias)' must be letters, digits, '_' and '-'", location: location))
        }
        Registry.shared.addProvider(ProviderInstance(name: name, alias: alias, config: config), location: location)
        return ProviderRef(name: name, alias: alias)
    }

    /// Reports a problem in the stack's own logic; the plan stops with this message.
    public static func error(_ message: String, file: String = #filePath, line: Int = #line) {
        Registry.shared.addDiagnostic(Diagnostic(.error, message, location: SourceLocation(file: file, line: line)))
    }

    /// Declares the resources made by `body` inside a component: their addresses become
    /// `name.type.resource`. Components are plain Swift types that call this in their init.
    public static func component<R>(_ name: String, _ body: () throws -> R) rethrows -> R {
        try Registry.shared.withScope(name, body)
    }
}

/// A configured provider instance, for `Resource.using(_:)`.
public struct ProviderRef: Sendable, Hashable {
    public let name: String
    public let alias: String?
    public init(name: String, alias: String?) {
        self.name = name
        self.alias = alias
    }
}

/// A reusable group of resources, written as a plain Swift type:
///
/// ```swift
/// struct Network: Component {
///     let vpc: TestResource
///     init(_ name: String) {
///         vpc = Stack.component(name) { TestResource("vpc", value: "10.0.0.0/16") }
///     }
/// }
/// ```
public protocol Component {}
