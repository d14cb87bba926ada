import Foundation
import StrataModel

/// Collects what the stack program declares and writes the manifest when it exits,
/// as SwiftPM's PackageDescription does: misuse is collected as diagnostics, never a crash.
final class Registry: @unchecked Sendable {
    static let shared: Registry = {
        let registry = Registry(context: StackContext.fromArguments())
        atexit { Registry.shared.writeManifest() }
        return registry
    }()

    let context: StackContext
    private let lock = NSLock()
    private var resources: [Resource] = []
    private var addresses: Set<ResourceAddress> = []
    private var outputs: [String: ManifestOutput] = [:]
    private var diagnostics: [Diagnostic] = []
    private var scope: [String] = []
    private var usedVariables: Set<String> = []
    private var moves: [Move] = []
    private var providers: [ProviderInstance] = []
    private var dataSources: [DataSource] = []
    private var checks: [DeclaredCheck] = []

    init(context: StackContext) { self.context = context }

    var currentScope: [String] {
        lock.lock()
        defer { lock.unlock() }
        return scope
    }

    func register(_ resource: Resource) {
        lock.lock()
        defer { lock.unlock() }
        let address = resource.address
        for segment in address.components + [address.name] where !ResourceAddress.isValidSegment(segment) {
            diagnostics.append(Diagnostic(.error, "'\(segment)' is not a valid name: use letters, digits, '_' and '-'", address: address.description, location: resource.location))
        }
        if !addresses.insert(address).inserted {
            let first = resources.first { $0.address == address }?.location
            let earlier = first.map { " (first declared at \($0))" } ?? ""
            diagnostics.append(Diagnostic(.error, "duplicate resource address\(earlier)", address: address.description, location: resource.location))
            return
        }
        resources.append(resource)
    }

    func addCheck(_ check: DeclaredCheck) {
        lock.lock()
        defer { lock.unlock() }
        checks.append(check)
    }

    /// Runs every check's condition: passed, failed, or deferred when it reads a value not
    /// known yet.
    private func evaluateChecks() -> [CheckResult] {
        let declared = lock.withLock { checks }
        return declared.map { check in
            let status: CheckResult.Status
            var message = check.message
            do {
                status = try check.condition() ? .passed : .failed
            } catch is NotKnownYet {
                status = .deferred
            } catch {
                status = .failed
                message += " (\(error))"
            }
            return CheckResult(address: check.address, kind: check.kind, message: message, status: status, location: check.location)
        }
    }

    /// Known attribute values by address (from the engine, for checks).
    lazy var knownValues: [String: [String: Value]] = {
        guard let path = context.valuesPath, let data = FileManager.default.contents(atPath: path),
            case .map(let all)? = try? ValueJSON.parse(data)
        else { return [:] }
        return all.compactMapValues(\.mapValue)
    }()

    /// The value of an expression if it is known now.
    func known(_ value: Value) throws -> Value {
        switch value {
        case .reference(let ref):
            guard let v = knownValues[ref.address.description]?[ref.attribute], v.isKnown else { throw NotKnownYet() }
            return v
        case .template(let parts):
            var text = ""
            for part in parts {
                let v = try known(part).revealed
                switch v {
                case .string(let s): text += s
                case .number, .bool: text += v.rendered()
                default: throw NotKnownYet()
                }
            }
            return .string(text)
        case .list(let items): return .list(try items.map(known))
        case .map(let fields): return .map(try fields.mapValues(known))
        case .secret(let inner): return .secret(try known(inner))
        case .unknown: throw NotKnownYet()
        default: return value
        }
    }

    func register(_ source: DataSource) {
        lock.lock()
        defer { lock.unlock() }
        guard addresses.insert(source.address).inserted else {
            diagnostics.append(Diagnostic(.error, "duplicate data source address", address: source.address.description, location: source.location))
            return
        }
        dataSources.append(source)
    }

    func addOutput(_ name: String, _ output: ManifestOutput, location: SourceLocation) {
        lock.lock()
        defer { lock.unlock() }
        if outputs[name] != nil {
            diagnostics.append(Diagnostic(.error, "output '\(name)' is declared twice", location: location))
        }
        outputs[name] = output
    }

    func addDiagnostic(_ diagnostic: Diagnostic) {
        lock.lock()
        defer { lock.unlock() }
        diagnostics.append(diagnostic)
    }

    func addMove(from text: String, to address: ResourceAddress, location: SourceLocation) {
        lock.lock()
        defer { lock.unlock() }
        guard let from = ResourceAddress(parsing: text) else {
            diagnostics.append(Diagnostic(.error, "moved(from: \"\(text)\"): not a resource address (type.name)", address: address.description, location: location))
            return
        }
        guard from.type == address.type else {
            diagnostics.append(Diagnostic(.error, "moved(from: \"\(text)\"): a resource cannot change type (\(from.type) → \(address.type))", address: address.description, location: location))
            return
        }
        moves.append(Move(from: from, to: address, location: location))
    }

    func addProvider(_ instance: ProviderInstance, location: SourceLocation) {
        lock.lock()
        defer { lock.unlock() }
        if providers.contains(where: { $0.key == instance.key }) {
            diagnostics.append(Diagnostic(.error, "provider \(instance.key) is configured twice", location: location))
            return
        }
        providers.append(instance)
    }

    func noteVariable(_ name: String) {
        lock.lock()
        defer { lock.unlock() }
        usedVariables.insert(name)
    }

    func withScope<R>(_ name: String, _ body: () throws -> R) rethrows -> R {
        if name == ResourceAddress.dataComponent {
            addDiagnostic(Diagnostic(.error, "a component cannot be named '\(name)': data sources live under data."))
        }
        lock.lock()
        scope.append(name)
        lock.unlock()
        defer {
            lock.lock()
            scope.removeLast()
            lock.unlock()
        }
        return try body()
    }

    func manifest() -> Manifest {
        // Checks run user code: outside the lock.
        let checkResults = evaluateChecks()
        lock.lock()
        defer { lock.unlock() }
        var all = diagnostics
        for name in context.variables.keys.sorted() where !usedVariables.contains(name) {
            all.append(Diagnostic(.error, "--var \(name)=… is not a parameter of this stack (it reads: \(usedVariables.sorted().joined(separator: ", ")))"))
        }
        var manifest = Manifest(
            stack: context.stack, instance: context.instance,
            resources: resources.map { $0.manifestResource() },
            outputs: outputs, diagnostics: all, moves: moves, providers: providers,
            dataSources: dataSources.map { $0.manifestResource() })
        manifest.checks = checkResults
        return manifest
    }

    func writeManifest() {
        guard let path = context.manifestPath else {
            // Run by hand: print it, so a person sees what the stack declares.
            if let data = try? StrataJSON.encode(manifest(), pretty: true) {
                FileHandle.standardOutput.write(data)
                FileHandle.standardOutput.write(Data("\n".utf8))
            }
            return
        }
        do {
            try StrataJSON.encode(manifest()).write(to: URL(fileURLWithPath: path), options: .atomic)
        } catch {
            FileHandle.standardError.write(Data("strata: cannot write the manifest to \(path): \(error)\n".utf8))
        }
    }
}

/// What the engine tells the stack program: which stack and instance, the variables,
/// and where to write the manifest. Passed as one JSON argument.
struct StackContext: Codable, Sendable {
    var stack: String
    var instance: String
    var variables: [String: String]
    var manifestPath: String?
    /// A JSON file of known attribute values by address, for checks.
    var valuesPath: String?

    static func fromArguments() -> StackContext {
        let arguments = CommandLine.arguments
        if let i = arguments.firstIndex(of: "--strata-context"), i + 1 < arguments.count,
            let context = try? JSONDecoder().decode(StackContext.self, from: Data(arguments[i + 1].utf8))
        {
            return context
        }
        return StackContext(stack: "stack", instance: "default", variables: [:], manifestPath: nil)
    }
}
