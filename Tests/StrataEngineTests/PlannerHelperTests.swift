import StrataModel
import StrataState
import Testing

@testable import StrataEngine

@Suite struct PlannerHelperTests {
    typealias F = Fixture

    @Test func createBeforeDestroySpreadsToAReplacedDependency() {
        var steps = [
            F.step("a", .replace),
            F.step("b", .replace, refs: ["a"], priorDeps: ["a"], createBeforeDestroy: true),
        ]
        Planner.propagateCreateBeforeDestroy(&steps)
        #expect(steps[0].createBeforeDestroy)
        #expect(steps[1].createBeforeDestroy)
    }

    @Test func createBeforeDestroySpreadsTransitivelyWhateverTheStepOrder() {
        // d (CBD) -> c -> b -> a, all replaced; listed dependents last so one pass is not enough.
        var steps = [
            F.step("a", .replace),
            F.step("b", .replace, refs: ["a"]),
            F.step("c", .replace, refs: ["b"]),
            F.step("d", .replace, refs: ["c"], createBeforeDestroy: true),
        ]
        Planner.propagateCreateBeforeDestroy(&steps)
        #expect(steps.map(\.createBeforeDestroy) == [true, true, true, true])
    }

    @Test func createBeforeDestroySpreadsThroughDependsOn() {
        var b = F.step("b", .replace, createBeforeDestroy: true)
        b.desired?.options.dependsOn = [F.address("a")]
        var steps = [F.step("a", .replace), b]
        Planner.propagateCreateBeforeDestroy(&steps)
        #expect(steps[0].createBeforeDestroy)
    }

    @Test func createBeforeDestroyDoesNotSpreadToWhatIsNotReplacedOrNotADependency() {
        var steps = [
            F.step("updated", .update),
            F.step("created", .create),
            F.step("unrelated", .replace),
            F.step("dependent", .replace, refs: ["cbd"]),
            F.step("cbd", .replace, refs: ["updated", "created"], createBeforeDestroy: true),
        ]
        Planner.propagateCreateBeforeDestroy(&steps)
        #expect(steps.map(\.createBeforeDestroy) == [false, false, false, false, true])
    }

    @Test func createBeforeDestroyDoesNotSpreadFromAStepThatIsNotReplaced() {
        var steps = [F.step("a", .replace), F.step("b", .update, refs: ["a"], createBeforeDestroy: true)]
        Planner.propagateCreateBeforeDestroy(&steps)
        #expect(!steps[0].createBeforeDestroy)
    }

    @Test func afterPropagationAMixedReplacementCanBeOrdered() throws {
        var steps = [
            F.step("a", .replace),
            F.step("b", .replace, refs: ["a"], priorDeps: ["a"], createBeforeDestroy: true),
        ]
        Planner.propagateCreateBeforeDestroy(&steps)
        let g = try NamedGraph(F.plan(steps))
        #expect(g.runsAfter("create b", "create a"))
        #expect(g.runsAfter("delete a (deposed)", "delete a (deposed)") == false)
        let order = g.serialOrder
        #expect(order.count == 4)
        #expect(order.prefix(2) == ["create a", "create b"])
    }

    @Test func priorInputsOverlayWhatTheProviderReportsForInputAttributes() {
        let prior = ResourceState(
            address: F.address("a"), provider: "test", id: "a-1",
            inputs: ["value": "declared", "count": 1, "inputs": ["x"]],
            outputs: ["value": "drifted", "count": 2, "id": "a-1", "result": "r"],
            dependencies: [])
        let inputs = Planner.priorInputs(prior, schema: F.testSchema)
        #expect(inputs == ["value": "drifted", "count": 2, "inputs": ["x"]])
    }

    @Test func markSecretsWrapsSecretAttributesOnce() {
        let marked = Planner.markSecrets(["secret": "pw", "value": "x", "id": "1"], schema: F.testSchema)
        #expect(marked == ["secret": .secret("pw"), "value": "x", "id": "1"])
        #expect(Planner.markSecrets(marked, schema: F.testSchema) == marked)
        #expect(Planner.markSecrets(["secret": .null], schema: F.testSchema) == ["secret": .null])
        #expect(Planner.markSecrets(["secret": "pw"], schema: nil) == ["secret": "pw"])
    }

    @Test func secretsKeptMarksEchoedSecretInputs() {
        let outputs = Executor.secretsKept(["value": "pw", "id": "1"], inputs: ["value": .secret("pw")])
        #expect(outputs == ["value": .secret("pw"), "id": "1"])
    }
}
