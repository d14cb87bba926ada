/// What a stack program declares: the desired resources, their references and the outputs.
/// Written by the DSL as versioned, sorted-keys JSON; read by the engine's stack loader.
public struct Manifest: Sendable, Hashable, Codable {
    public static let currentVersion = 1

    public var version: Int
    public var stack: String
    public var instance: String
    public var resources: [ManifestResource]
    public var outputs: [String: ManifestOutput]
    /// DSL misuse, collected rather than crashing the stack program.
    public var diagnostics: [Diagnostic]
    /// Renames declared by the stack: the state moves, nothing is replaced.
    public var moves: [Move]
    /// Provider configurations: the default one of a provider (no alias) and named instances.
    public var providers: [ProviderInstance]
    /// Read-only lookups (`data.type.name`), read during plan; never created or destroyed.
    public var dataSources: [ManifestResource]
    /// Preconditions and postconditions, as the stack program could evaluate them.
    public var checks: [CheckResult] = []

    public init(
        version: Int = Manifest.currentVersion, stack: String, instance: String,
        resources: [ManifestResource] = [], outputs: [String: ManifestOutput] = [:],
        diagnostics: [Diagnostic] = [], moves: [Move] = [], providers: [ProviderInstance] = [],
        dataSources: [ManifestResource] = []
    ) {
        self.dataSources = dataSources
        self.version = version
        self.stack = stack
        self.instance = instance
        self.resources = resources
        self.outputs = outputs
        self.diagnostics = diagnostics
        self.moves = moves
        self.providers = providers
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        version = try c.decode(Int.self, forKey: .version)
        stack = try c.decode(String.self, forKey: .stack)
        instance = try c.decode(String.self, forKey: .instance)
        resources = try c.decodeIfPresent([ManifestResource].self, forKey: .resources) ?? []
        outputs = try c.decodeIfPresent([String: ManifestOutput].self, forKey: .outputs) ?? [:]
        diagnostics = try c.decodeIfPresent([Diagnostic].self, forKey: .diagnostics) ?? []
        moves = try c.decodeIfPresent([Move].self, forKey: .moves) ?? []
        providers = try c.decodeIfPresent([ProviderInstance].self, forKey: .providers) ?? []
        dataSources = try c.decodeIfPresent([ManifestResource].self, forKey: .dataSources) ?? []
        checks = try c.decodeIfPresent([CheckResult].self, forKey: .checks) ?? []
    }
}

extension ResourceAddress {
    /// Data sources live under `data.`: `data.test_lookup.web`.
    public static let dataComponent = "data"
    public var isDataSource: Bool { components == [ResourceAddress.dataComponent] }

    /// Another stack's outputs, read from the same state backend: `strata_stack.NAME["INSTANCE"]`.
    public static let stackReferenceType = "strata_stack"
    public var isStackReference: Bool { type == ResourceAddress.stackReferenceType && components.isEmpty }

    public static func stackReference(stack: String, instance: String) -> ResourceAddress {
        ResourceAddress(type: stackReferenceType, name: keyed(stack, instance))
    }

    /// The stack and instance a stack reference names.
    public var stackReferenceTarget: (stack: String, instance: String)? {
        guard isStackReference, name.hasSuffix("\"]"), let open = name.range(of: "[\""),
            open.upperBound <= name.index(name.endIndex, offsetBy: -2)
        else { return nil }
        return (String(name[..<open.lowerBound]), String(name[open.upperBound..<name.index(name.endIndex, offsetBy: -2)]))
    }
}

/// A precondition or postcondition the stack declares, and how it came out when the stack
/// program ran: `deferred` when it needs a value known only after apply.
public struct CheckResult: Sendable, Hashable, Codable {
    public enum Kind: String, Sendable, Hashable, Codable { case precondition, postcondition }
    public enum Status: String, Sendable, Hashable, Codable { case passed, failed, deferred }
    public var address: ResourceAddress
    public var kind: Kind
    public var message: String
    public var status: Status
    public var location: SourceLocation?
    public init(address: ResourceAddress, kind: Kind, message: String, status: Status, location: SourceLocation?) {
        self.address = address
        self.kind = kind
        self.message = message
        self.status = status
        self.location = location
    }
}

/// One configuration of a provider plugin: `aws` (the default) or `aws.eu` (an alias),
/// each its own plugin process, sent `configure` with `config` when it starts.
public struct ProviderInstance: Sendable, Hashable, Codable {
    public var name: String
    public var alias: String?
    public var config: [String: Value]
    public init(name: String, alias: String? = nil, config: [String: Value]) {
        self.name = name
        self.alias = alias
        self.config = config
    }
    /// `aws` or `aws.eu`: how resources and the state name it.
    public var key: String { ProviderInstance.key(name, alias) }
    public static func key(_ name: String, _ alias: String?) -> String { alias.map { "\(name).\($0)" } ?? name }
    /// The plugin's name in a key: `aws.eu` → `aws`.
    public static func pluginName(ofKey key: String) -> String { String(key.prefix { $0 != "." }) }
}

/// `moved(from:)`: the resource recorded at `from` is the one now declared at `to`.
public struct Move: Sendable, Hashable, Codable {
    public var from: ResourceAddress
    public var to: ResourceAddress
    public var location: SourceLocation?
    public init(from: ResourceAddress, to: ResourceAddress, location: SourceLocation? = nil) {
        self.from = from
        self.to = to
        self.location = location
    }
}

public struct ManifestResource: Sendable, Hashable, Codable {
    public var address: ResourceAddress
    public var type: String { address.type }
    public var inputs: [String: Value]
    public var options: ResourceOptions
    /// `file:line` of the declaration, for messages.
    public var location: SourceLocation?

    public init(address: ResourceAddress, inputs: [String: Value], options: ResourceOptions = .init(), location: SourceLocation? = nil) {
        self.address = address
        self.inputs = inputs
        self.options = options
        self.location = location
    }

    /// The provider instance that manages it: `test`, or `test.eu` with `.using(eu)`.
    public var providerKey: String { ProviderInstance.key(address.provider, options.provider) }

    /// Resources this one depends on: references in its inputs plus explicit `dependsOn`.
    public var dependencies: [ResourceAddress] {
        var seen = Set<ResourceAddress>()
        var out: [ResourceAddress] = []
        for key in inputs.keys.sorted() {
            for ref in inputs[key]!.references where seen.insert(ref.address).inserted { out.append(ref.address) }
        }
        for dep in options.dependsOn where seen.insert(dep).inserted { out.append(dep) }
        for ref in options.replaceWhen.flatMap(\.references) where seen.insert(ref.address).inserted { out.append(ref.address) }
        return out
    }
}

public struct ResourceOptions: Sendable, Hashable, Codable {
    public var dependsOn: [ResourceAddress]
    /// Never destroyed: a plan that would destroy or replace it fails.
    public var protect: Bool
    /// Attributes whose changes after create are not planned.
    public var ignoreChanges: [String]
    /// On replacement, create the new one before deleting the old one.
    public var createBeforeDestroy: Bool
    /// The alias of the provider instance to use; nil for the provider's default.
    public var provider: String?
    /// Replace the resource whenever any of these values (usually references) changes.
    public var replaceWhen: [Value] = []

    public init(dependsOn: [ResourceAddress] = [], protect: Bool = false, ignoreChanges: [String] = [], createBeforeDestroy: Bool = false, provider: String? = nil) {
        self.provider = provider
        self.dependsOn = dependsOn
        self.protect = protect
        self.ignoreChanges = ignoreChanges
        self.createBeforeDestroy = createBeforeDestroy
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        dependsOn = try c.decodeIfPresent([ResourceAddress].self, forKey: .dependsOn) ?? []
        protect = try c.decodeIfPresent(Bool.self, forKey: .protect) ?? false
        ignoreChanges = try c.decodeIfPresent([String].self, forKey: .ignoreChanges) ?? []
        createBeforeDestroy = try c.decodeIfPresent(Bool.self, forKey: .createBeforeDestroy) ?? false
        provider = try c.decodeIfPresent(String.self, forKey: .provider)
        replaceWhen = try c.decodeIfPresent([Value].self, forKey: .replaceWhen) ?? []
    }
}

public struct ManifestOutput: Sendable, Hashable, Codable {
    public var value: Value
    public var secret: Bool
    public init(value: Value, secret: Bool = false) {
        self.value = value
        self.secret = secret
    }
}

public struct SourceLocation: Sendable, Hashable, Codable, CustomStringConvertible {
    public var file: String
    public var line: Int
    public init(file: String, line: Int) {
        self.file = file
        self.line = line
    }
    public var description: String { "\(file):\(line)" }
}

/// A problem found in a stack, with where it is.
public struct Diagnostic: Sendable, Hashable, Codable, CustomStringConvertible {
    public enum Severity: String, Sendable, Hashable, Codable { case error, warning }
    public var severity: Severity
    public var message: String
    public var address: String?
    public var location: SourceLocation?

    public init(_ severity: Severity = .error, _ message: String, address: String? = nil, location: SourceLocation? = nil) {
        self.severity = severity
        self.message = message
        self.address = address
        self.location = location
    }

    public var description: String {
        var prefix = ""
        if let location { prefix += "\(location): " }
        prefix += "\(severity.rawValue): "
        if let address { prefix += "\(address): " }
        return prefix + message
    }
}
