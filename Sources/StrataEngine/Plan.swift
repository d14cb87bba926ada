import Foundation
import StrataModel
import StrataState

/// What will change: one step per resource, saved to a file and applied exactly.
public struct Plan: Sendable, Codable {
    public static let currentVersion = 1

    public var version: Int
    public var key: InstanceKey
    public var stackDirectory: String
    public var variables: [String: String]
    /// The state this plan was made against; apply refuses it once the state moved on.
    public var stateSerial: Int
    public var stateLineage: String
    public var destroy: Bool
    public var steps: [PlannedStep]
    public var outputs: [String: ManifestOutput]
    public var createdAt: Date
    /// Provider schemas used, so apply and `show` need not start plugins to interpret the plan.
    public var schemas: [String: ProviderSchema]
    public var notes: [String]
    /// What data sources and stack references read during the plan, by address.
    public var reads: [String: [String: Value]] = [:]
    /// The stack declares checks: after apply they are evaluated again with the new values.
    public var hasChecks = false

    public var changeCount: Int { steps.filter { $0.action != .noop || $0.movedFrom != nil }.count }

    public func count(_ action: StepAction) -> Int { steps.filter { $0.action == action }.count }
}

public enum StepAction: String, Sendable, Codable, CaseIterable {
    case create, update, replace, delete, noop

    public var symbol: String {
        switch self {
        case .create: return "+"
        case .update: return "~"
        case .replace: return "-/+"
        case .delete: return "-"
        case .noop: return " "
        }
    }
}

public struct AttributeChange: Sendable, Codable, Hashable {
    public var attribute: String
    public var before: Value?
    public var after: Value?
    public var forcesReplacement: Bool
    public var secret: Bool
}

public struct PlannedStep: Sendable, Codable {
    public var address: ResourceAddress
    public var action: StepAction
    public var provider: String
    /// The declared resource (inputs may hold references resolved at apply), for all but delete.
    public var desired: ManifestResource?
    /// The recorded resource, for all but create.
    public var prior: ResourceState?
    public var changes: [AttributeChange]
    public var createBeforeDestroy: Bool
    /// Why, when it is not plain: "requested with --replace", "deleted outside Strata", …
    public var reason: String?
    /// Estimated seconds for this step (the provider's figure or the schema's typical one).
    public var estimatedSeconds: Double
    /// This step removes a deposed copy left by an interrupted create-before-destroy.
    public var deposed: Bool
    /// The state moves from this address first (`moved(from:)`).
    public var movedFrom: ResourceAddress?

    public var type: String { address.type }
}

public enum PlanError: Error, Sendable, CustomStringConvertible {
    case validation([Diagnostic])
    case protected([ResourceAddress], String)
    case stale(planSerial: Int, stateSerial: Int)
    case foreignState(planLineage: String, stateLineage: String)
    case badPlanFile(String)
    case unknownTarget(String)

    public var description: String {
        switch self {
        case .validation(let diagnostics):
            return diagnostics.map(\.description).joined(separator: "\n")
        case .protected(let addresses, let action):
            return addresses.map { "\($0) is protected and cannot be \(action). Remove `.protect()` from it in the stack first if you mean it." }.joined(separator: "\n")
        case .stale(let planSerial, let stateSerial):
            return "the saved plan is stale: it was made against state serial \(planSerial), and the state is now at \(stateSerial). Run `strata plan` again."
        case .foreignState(let planLineage, let stateLineage):
            return "the saved plan belongs to another state (lineage \(planLineage), this state is \(stateLineage)). Check --state and --instance."
        case .badPlanFile(let why): return "cannot read the plan file: \(why)"
        case .unknownTarget(let target): return "--target/--replace \(target): no such resource in the stack or the state"
        }
    }
}

extension Plan {
    /// Writes the plan with its secrets sealed by the state's key (a plan file holds inputs).
    public func write(to url: URL, cipher: SecretCipher? = nil) throws {
        var tree = try ValueEncoding.value(self)
        if let cipher {
            // Every --var is sealed like a secret: strata cannot tell which ones are.
            if case .map(var fields) = tree, case .map(let variables)? = fields["variables"] {
                fields["variables"] = .map(variables.mapValues { .secret($0) })
                tree = .map(fields)
            }
            tree = try cipher.seal(tree)
        }
        try ValueJSON.data(tree).write(to: url, options: .atomic)
    }

    public static func read(from url: URL, cipher: SecretCipher? = nil) throws -> Plan {
        let data: Data
        do { data = try Data(contentsOf: url) } catch { throw PlanError.badPlanFile("\(url.path): \(error.localizedDescription)") }
        return try decode(data, cipher: cipher, source: url.path)
    }

    /// Reads a plan file's bytes (`source` names it in errors). Whatever the bytes, the answer
    /// is a plan or a `PlanError.badPlanFile`, never a trap (`scripts/fuzz plan`).
    public static func decode(_ data: Data, cipher: SecretCipher? = nil, source: String) throws -> Plan {
        let plan: Plan
        do {
            var tree = try ValueJSON.parse(data)
            if let cipher {
                tree = try cipher.open(tree)
                if case .map(var fields) = tree, case .map(let variables)? = fields["variables"] {
                    fields["variables"] = .map(variables.mapValues(\.revealed))
                    tree = .map(fields)
                }
            }
            plan = try ValueDecoding.decode(Plan.self, from: tree)
        } catch let error as StateError {
            throw PlanError.badPlanFile("\(source): \(error)")
        } catch {
            throw PlanError.badPlanFile("\(source) is not a Strata plan (\(error))")
        }
        guard plan.version == currentVersion else {
            throw PlanError.badPlanFile("plan format version \(plan.version); this strata reads \(currentVersion)")
        }
        return plan
    }
}
