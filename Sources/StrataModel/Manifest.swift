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

    public init(
        version: Int = Manifest.currentVersion, stack: String, instance: String,
        resources: [ManifestResource] = [], outputs: [String: ManifestOutput] = [:],
        diagnostics: [Diagnostic] = [], moves: [Move] = []
    ) {
        self.version = version
        self.stack = stack
        self.instance = instance
        self.resources = resources
        self.outputs = outputs
        self.diagnostics = diagnostics
        self.moves = moves
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
    }
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

    /// Resources this one depends on: references in its inputs plus explicit `dependsOn`.
    public var dependencies: [ResourceAddress] {
        var seen = Set<ResourceAddress>()
        var out: [ResourceAddress] = []
        for key in inputs.keys.sorted() {
            for ref in inputs[key]!.references where seen.insert(ref.address).inserted { out.append(ref.address) }
        }
        for dep in options.dependsOn where seen.insert(dep).inserted { out.append(dep) }
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

    public init(dependsOn: [ResourceAddress] = [], protect: Bool = false, ignoreChanges: [String] = [], createBeforeDestroy: Bool = false) {
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
