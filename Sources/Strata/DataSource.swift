import StrataModel

/// A read-only lookup through a provider (an existing VPC, a secret, the zones of a region):
/// read during plan, its attributes usable as inputs, never created or destroyed. Its address
/// is `data.type.name`. Provider modules subclass it with typed queries and answers.
open class DataSource {
    public let address: ResourceAddress
    public let location: SourceLocation
    private var inputs: [String: Value] = [:]
    private var provider: String?

    public init(type: String, name: String, file: String = #filePath, line: Int = #line) {
        self.address = ResourceAddress(type: type, name: name, components: [ResourceAddress.dataComponent])
        self.location = SourceLocation(file: file, line: line)
        Registry.shared.register(self)
    }

    /// One of the attributes found.
    public func attribute<T>(_ name: String) -> Expr<T> {
        Expr(raw: .reference(Reference(address: address, attribute: name)))
    }

    /// Sets a query input.
    public func setInput<T>(_ name: String, _ expr: Expr<T>?) { inputs[name] = expr?.value }

    /// Read through a named provider instance.
    @discardableResult
    public func using(_ provider: ProviderRef) -> Self {
        self.provider = provider.alias
        return self
    }

    func manifestResource() -> ManifestResource {
        ManifestResource(address: address, inputs: inputs, options: ResourceOptions(provider: provider), location: location)
    }
}

/// Another stack's outputs, from the same state backend: the platform stack's network for a
/// tenant stack. `StackRef("platform", instance: "us-east").output("vpcId")`.
public struct StackRef: Sendable {
    public let stack: String
    public let instance: String

    public init(_ stack: String, instance: String = "default") {
        self.stack = stack.lowercased()
        self.instance = instance
    }

    public func output<T>(_ name: String) -> Expr<T> {
        Expr(raw: .reference(Reference(address: .stackReference(stack: stack, instance: instance), attribute: name)))
    }
}

/// A data source of any type, for providers without a typed Swift module:
/// `GenericDataSource("aws_availability_zones", "east")`.
public final class GenericDataSource: DataSource {
    public init(_ type: String, _ name: String, inputs: [String: Value] = [:], file: String = #filePath, line: Int = #line) {
        super.init(type: type, name: name, file: file, line: line)
        for (key, value) in inputs { setInput(key, Expr<Value>(raw: value)) }
    }
}
