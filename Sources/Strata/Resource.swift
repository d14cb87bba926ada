import StrataModel

/// The base of every resource in a stack. Creating one declares it; it is registered under
/// `type.name` (inside components, `component.type.name`).
///
/// Provider modules subclass it with typed attributes (`TestResource`, `RandomPassword`, …).
open class Resource {
    public let address: ResourceAddress
    public let location: SourceLocation
    private var inputs: [String: Value] = [:]
    private var options = ResourceOptions()

    public init(type: String, name: String, file: String = #filePath, line: Int = #line) {
        self.address = ResourceAddress(type: type, name: name, components: Registry.shared.currentScope)
        self.location = SourceLocation(file: file, line: line)
        Registry.shared.register(self)
    }

    /// A reference to one of this resource's attributes, known once it exists.
    public func attribute<T>(_ name: String) -> Expr<T> {
        Expr(raw: .reference(Reference(address: address, attribute: name)))
    }

    /// Reads an input as the stack set it.
    public func input<T>(_ name: String) -> Expr<T>? {
        inputs[name].map { Expr(raw: $0) }
    }

    /// Sets (or with nil, clears) an input.
    public func setInput<T>(_ name: String, _ expr: Expr<T>?) {
        inputs[name] = expr?.value
    }

    /// Sets an input from any value (for attributes the typed API does not name).
    public func setRawInput(_ name: String, _ value: Value?) {
        inputs[name] = value
    }

    // MARK: Options

    /// Wait for these resources even though no attribute refers to them.
    @discardableResult
    public func dependsOn(_ others: Resource...) -> Self {
        options.dependsOn += others.map(\.address)
        return self
    }

    /// Never destroy it: a plan that would destroy or replace it fails.
    @discardableResult
    public func protect(_ on: Bool = true) -> Self {
        options.protect = on
        return self
    }

    /// Do not plan changes to these attributes once it exists.
    @discardableResult
    public func ignoreChanges(_ attributes: String...) -> Self {
        options.ignoreChanges += attributes
        return self
    }

    /// This resource used to be declared at `address` (renamed, or moved into a component):
    /// the state follows it, nothing is destroyed or created. Keep it until every instance
    /// of the stack has been applied once.
    @discardableResult
    public func moved(from address: String, file: String = #filePath, line: Int = #line) -> Self {
        Registry.shared.addMove(from: address, to: self.address, location: SourceLocation(file: file, line: line))
        return self
    }

    /// Manage this resource through a named provider instance (another region, another
    /// account): `TestResource("a").using(eu)`.
    @discardableResult
    public func using(_ provider: ProviderRef) -> Self {
        if provider.name != address.provider {
            Registry.shared.addDiagnostic(Diagnostic(.error, "\(address.type) belongs to provider \(address.provider), not \(provider.name)", address: address.description, location: location))
        }
        options.provider = provider.alias
        return self
    }

    /// On replacement, create the new one before deleting the old one.
    @discardableResult
    public func createBeforeDestroy(_ on: Bool = true) -> Self {
        options.createBeforeDestroy = on
        return self
    }

    func appendReplaceTriggers(_ values: [Value]) {
        options.replaceWhen += values
    }

    func manifestResource() -> ManifestResource {
        ManifestResource(address: address, inputs: inputs, options: options, location: location)
    }
}

/// The name of one of several resources made in a loop, keyed by the author's key:
/// `TestResource(keyed("subnet", zone))` is `test_resource.subnet["us-east-1a"]`. Removing one
/// key never renames (and so never replaces) the others.
public func keyed(_ base: String, _ key: String) -> String { ResourceAddress.keyed(base, key) }

/// A resource of any type, for providers without a typed Swift module (e.g. a plugin written
/// in another language). Inputs are plain values; attributes are read with `attribute(_:)`.
///
/// ```swift
/// let note = GenericResource("echo_message", "hello", inputs: ["text": "hi"])
/// Stack.output("length", note.attribute("length") as Expr<Double>)
/// ```
public final class GenericResource: Resource {
    public init(_ type: String, _ name: String, inputs: [String: Value] = [:], file: String = #filePath, line: Int = #line) {
        super.init(type: type, name: name, file: file, line: line)
        for (key, value) in inputs { setRawInput(key, value) }
    }
}
