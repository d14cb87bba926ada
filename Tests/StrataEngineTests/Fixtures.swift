import Foundation
import StrataModel
import StrataState

@testable import StrataEngine

/// Small builders for plans, steps, states and schemas over `test_resource`.
enum Fixture {
    static func address(_ name: String) -> ResourceAddress { ResourceAddress(type: "test_resource", name: name) }

    static func ref(_ name: String, _ attribute: String = "id") -> Value {
        .reference(Reference(address: address(name), attribute: attribute))
    }

    /// A declared resource whose `inputs` reference the `id` of each of `refs`.
    static func resource(_ name: String, refs: [String] = [], dependsOn: [String] = [], createBeforeDestroy: Bool = false) -> ManifestResource {
        var inputs: [String: Value] = ["value": .string(name)]
        if !refs.isEmpty { inputs["inputs"] = .list(refs.map { ref($0) }) }
        return ManifestResource(address: address(name), inputs: inputs,
                                options: ResourceOptions(dependsOn: dependsOn.map(address), createBeforeDestroy: createBeforeDestroy))
    }

    /// A recorded resource that depended on `deps` when it was last applied.
    static func state(_ name: String, deps: [String] = [], deposed: Bool = false) -> ResourceState {
        ResourceState(address: address(name), provider: "test", id: "id-\(name)", inputs: ["value": .string(name)],
                      outputs: ["value": .string(name), "id": .string("id-\(name)")], dependencies: deps.map(address), deposed: deposed)
    }

    static func step(_ name: String, _ action: StepAction, refs: [String] = [], priorDeps: [String] = [],
                     createBeforeDestroy: Bool = false, seconds: Double = 1, deposed: Bool = false) -> PlannedStep {
        let desired: ManifestResource? = action == .delete ? nil : resource(name, refs: refs, createBeforeDestroy: createBeforeDestroy)
        let prior: ResourceState? = action == .create ? nil : state(name, deps: priorDeps, deposed: deposed)
        return PlannedStep(address: address(name), action: action, provider: "test", desired: desired, prior: prior,
                           changes: [], createBeforeDestroy: createBeforeDestroy, reason: nil,
                           estimatedSeconds: seconds, deposed: deposed)
    }

    static func plan(_ steps: [PlannedStep]) -> Plan {
        Plan(version: Plan.currentVersion, key: InstanceKey(stack: "Test", instance: "default"), stackDirectory: "/tmp/Test",
             variables: [:], stateSerial: 1, stateLineage: "lineage", destroy: false, steps: steps, outputs: [:],
             createdAt: Date(timeIntervalSince1970: 0), schemas: [:], notes: [])
    }

    static let testSchema = ResourceSchema(attributes: [
        "value": AttributeSchema(.string, .required),
        "inputs": AttributeSchema(.list, .optional),
        "count": AttributeSchema(.number, .optional),
        "replaceKey": AttributeSchema(.string, .optional, forcesReplacement: true),
        "secret": AttributeSchema(.string, .optional, secret: true),
        "id": AttributeSchema(.string, .computed),
        "result": AttributeSchema(.string, .computed),
    ], typicalCreateSeconds: 1)

    static let schemas: [String: ProviderSchema] = [
        "test": ProviderSchema(name: "test", version: "1.0.0", protocolVersion: 1, resources: ["test_resource": testSchema]),
    ]
}

/// An operation graph's operations named like `create a`, `delete b (deposed)`, for readable expectations.
struct NamedGraph {
    let graph: OperationGraph
    let plan: Plan

    init(_ plan: Plan) throws {
        self.plan = plan
        self.graph = try OperationGraph(plan: plan)
    }

    func name(_ id: Int) -> String {
        let op = graph.operations[id]
        let step = plan.steps[op.stepIndex]
        return "\(op.kind.rawValue) \(step.address.name)" + (op.deposedCopy ? " (deposed)" : "")
    }

    var names: [String] { graph.operations.indices.map(name) }

    func id(_ name: String) -> Int? { graph.operations.indices.first { self.name($0) == name } }

    /// What `name` waits for.
    func waitsFor(_ name: String) -> Set<String> {
        guard let id = id(name) else { return [] }
        return Set(graph.operations[id].dependencies.map(self.name))
    }

    /// Every operation after another it must wait for, directly or not.
    func runsAfter(_ later: String, _ earlier: String) -> Bool {
        guard let start = id(later), let target = id(earlier) else { return false }
        var seen = Set<Int>()
        var queue = graph.operations[start].dependencies
        while let next = queue.popLast() {
            if next == target { return true }
            if seen.insert(next).inserted { queue += graph.operations[next].dependencies }
        }
        return false
    }

    /// A run order the executor could take, one operation at a time (highest rank first).
    var serialOrder: [String] {
        var remaining = graph.operations.map(\.dependencies.count)
        var ready = ReadyQueue(ranks: graph.ranks)
        for op in graph.operations where op.dependencies.isEmpty { ready.push(op.id) }
        var out: [String] = []
        while let id = ready.pop() {
            out.append(name(id))
            for d in graph.dependents[id] {
                remaining[d] -= 1
                if remaining[d] == 0 { ready.push(d) }
            }
        }
        return out
    }
}
