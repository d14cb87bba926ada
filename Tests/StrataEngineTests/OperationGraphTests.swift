import StrataModel
import Testing

@testable import StrataEngine

@Suite struct OperationGraphTests {
    typealias F = Fixture

    @Test func aChainOfCreatesWaitsForEachDependency() throws {
        let g = try NamedGraph(F.plan([
            F.step("c", .create, refs: ["b"]),
            F.step("a", .create),
            F.step("b", .create, refs: ["a"]),
        ]))
        #expect(Set(g.names) == ["create a", "create b", "create c"])
        #expect(g.waitsFor("create a") == [])
        #expect(g.waitsFor("create b") == ["create a"])
        #expect(g.waitsFor("create c") == ["create b"])
        #expect(g.serialOrder == ["create a", "create b", "create c"])
    }

    @Test func dependsOnAlsoOrdersCreates() throws {
        var web = F.step("web", .create)
        web.desired?.options.dependsOn = [F.address("db")]
        let g = try NamedGraph(F.plan([web, F.step("db", .create)]))
        #expect(g.waitsFor("create web") == ["create db"])
    }

    @Test func aCreateDoesNotWaitForAnUnchangedDependency() throws {
        let g = try NamedGraph(F.plan([F.step("a", .noop), F.step("b", .create, refs: ["a"])]))
        #expect(g.names == ["create b"])
        #expect(g.waitsFor("create b") == [])
    }

    @Test func deletesRunInReverseDependencyOrder() throws {
        // c depended on b, which depended on a: c goes first, a last.
        let g = try NamedGraph(F.plan([
            F.step("a", .delete),
            F.step("b", .delete, priorDeps: ["a"]),
            F.step("c", .delete, priorDeps: ["b"]),
        ]))
        #expect(g.waitsFor("delete c") == [])
        #expect(g.waitsFor("delete b") == ["delete c"])
        #expect(g.waitsFor("delete a") == ["delete b"])
        #expect(g.serialOrder == ["delete c", "delete b", "delete a"])
    }

    @Test func aDeleteWaitsForADependentUpdateThatLetsGoOfIt() throws {
        // b referred to a; now it no longer does and a goes away: update b first.
        let g = try NamedGraph(F.plan([
            F.step("a", .delete),
            F.step("b", .update, priorDeps: ["a"]),
        ]))
        #expect(g.waitsFor("delete a") == ["update b"])
        #expect(g.waitsFor("update b") == [])
    }

    @Test func aReplaceWithoutCreateBeforeDestroyDeletesThenCreates() throws {
        let g = try NamedGraph(F.plan([
            F.step("a", .replace),
            F.step("b", .update, refs: ["a"], priorDeps: ["a"]),
        ]))
        #expect(Set(g.names) == ["create a", "delete a", "update b"])
        #expect(g.waitsFor("delete a") == [])
        #expect(g.waitsFor("create a") == ["delete a"])
        #expect(g.waitsFor("update b") == ["create a"])
        #expect(g.serialOrder == ["delete a", "create a", "update b"])
    }

    @Test func aReplaceWithCreateBeforeDestroyCreatesUpdatesDependentsThenDeletesTheOldCopy() throws {
        let g = try NamedGraph(F.plan([
            F.step("a", .replace, createBeforeDestroy: true),
            F.step("b", .update, refs: ["a"], priorDeps: ["a"]),
            F.step("c", .update, refs: ["a"], priorDeps: ["a"]),
        ]))
        #expect(Set(g.names) == ["create a", "delete a (deposed)", "update b", "update c"])
        #expect(g.waitsFor("create a") == [])
        #expect(g.waitsFor("update b") == ["create a"])
        #expect(g.waitsFor("update c") == ["create a"])
        #expect(g.waitsFor("delete a (deposed)") == ["create a", "update b", "update c"])
        let order = g.serialOrder
        #expect(order.first == "create a")
        #expect(order.last == "delete a (deposed)")
    }

    @Test func aReplacedDependentOfAReplacedResourceIsDeletedFirstAndCreatedAfter() throws {
        let g = try NamedGraph(F.plan([
            F.step("a", .replace),
            F.step("b", .replace, refs: ["a"], priorDeps: ["a"]),
        ]))
        #expect(g.waitsFor("delete a") == ["delete b"])
        #expect(g.waitsFor("create a") == ["delete a"])
        #expect(g.waitsFor("create b") == ["create a", "delete b"])
        #expect(g.serialOrder == ["delete b", "delete a", "create a", "create b"])
    }

    @Test func aMixOfCreateBeforeDestroyAndNotIsACycle() throws {
        // b is create-before-destroy and depends on a, which is not: without the planner's
        // propagation, the operations cannot be ordered.
        let plan = F.plan([
            F.step("a", .replace),
            F.step("b", .replace, refs: ["a"], priorDeps: ["a"], createBeforeDestroy: true),
        ])
        #expect(throws: ExecutorError.self) { try OperationGraph(plan: plan) }
    }

    @Test func aLeftoverDeposedCopyIsDeletedBeforeTheNextCreateBeforeDestroyReplacement() throws {
        let g = try NamedGraph(F.plan([
            F.step("a", .replace, createBeforeDestroy: true),
            F.step("a", .delete, deposed: true),
        ]))
        #expect(g.waitsFor("create a") == ["delete a (deposed)"])
        #expect(g.runsAfter("delete a (deposed)", "create a"))  // the newly deposed copy
    }

    @Test func noopsAreLeftOut() throws {
        let g = try NamedGraph(F.plan([F.step("a", .noop), F.step("b", .noop)]))
        #expect(g.graph.operations.isEmpty)
        #expect(g.graph.ranks.isEmpty)
    }

    @Test func ranksAreTheLongestWeightedPathToTheEnd() throws {
        // a -> b -> c (c depends on b, b on a), weights 5, 1, 1; d independent, weight 2.
        let g = try NamedGraph(F.plan([
            F.step("a", .create, seconds: 5),
            F.step("b", .create, refs: ["a"], seconds: 1),
            F.step("c", .create, refs: ["b"], seconds: 1),
            F.step("d", .create, seconds: 2),
        ]))
        let rank = { (name: String) in g.graph.ranks[g.id(name)!] }
        #expect(rank("create c") == 1)
        #expect(rank("create b") == 2)
        #expect(rank("create a") == 7)
        #expect(rank("create d") == 2)
        #expect(g.graph.ranks.max() == rank("create a"))
        #expect(g.serialOrder.first == "create a")
    }

    @Test func aLongChainOfShortStepsOutranksOneLongerStep() throws {
        // Each step of the chain is quicker than d, but the chain as a whole is longer.
        let g = try NamedGraph(F.plan([
            F.step("d", .create, seconds: 3),
            F.step("a", .create, seconds: 1),
            F.step("b", .create, refs: ["a"], seconds: 1),
            F.step("c", .create, refs: ["b"], seconds: 2),
        ]))
        let rank = { (name: String) in g.graph.ranks[g.id(name)!] }
        #expect(rank("create a") == 4)
        #expect(rank("create d") == 3)
        #expect(g.serialOrder == ["create a", "create d", "create b", "create c"])
    }

    @Test func aRankTakesTheLongestOfSeveralBranches() throws {
        let g = try NamedGraph(F.plan([
            F.step("root", .create, seconds: 1),
            F.step("short", .create, refs: ["root"], seconds: 1),
            F.step("long", .create, refs: ["root"], seconds: 10),
            F.step("zero", .create, refs: ["long"], seconds: 0),
        ]))
        let rank = { (name: String) in g.graph.ranks[g.id(name)!] }
        #expect(abs(rank("create zero") - 0.001) < 1e-9)  // every operation weighs a little
        #expect(abs(rank("create long") - 10.001) < 1e-9)
        #expect(abs(rank("create short") - 1) < 1e-9)
        #expect(abs(rank("create root") - 11.001) < 1e-9)
    }

    @Test func dependentsMirrorDependencies() throws {
        let g = try NamedGraph(F.plan([
            F.step("a", .replace, createBeforeDestroy: true),
            F.step("b", .update, refs: ["a"], priorDeps: ["a"]),
            F.step("c", .create, refs: ["b"]),
        ]))
        for op in g.graph.operations {
            for dep in op.dependencies { #expect(g.graph.dependents[dep].contains(op.id)) }
        }
        #expect(g.graph.dependents.map(\.count).reduce(0, +) == g.graph.operations.map(\.dependencies.count).reduce(0, +))
    }
}

@Suite struct ReadyQueueTests {
    @Test func itPopsTheHighestRankFirst() {
        var queue = ReadyQueue(ranks: [1, 7, 3, 2, 9, 0.5])
        for id in [0, 1, 2, 3, 4, 5] { queue.push(id) }
        var popped: [Int] = []
        while let id = queue.pop() { popped.append(id) }
        #expect(popped == [4, 1, 2, 3, 0, 5])
    }

    @Test func equalRanksPopInIdOrder() {
        var queue = ReadyQueue(ranks: [2, 2, 2, 5])
        for id in [2, 0, 3, 1] { queue.push(id) }
        var popped: [Int] = []
        while let id = queue.pop() { popped.append(id) }
        #expect(popped == [3, 0, 1, 2])
    }

    @Test func pushesBetweenPopsKeepTheOrder() {
        var queue = ReadyQueue(ranks: [5, 1, 9, 3])
        #expect(queue.pop() == nil)
        queue.push(0)
        queue.push(1)
        #expect(queue.pop() == 0)
        queue.push(2)
        queue.push(3)
        #expect(queue.pop() == 2)
        #expect(queue.pop() == 3)
        #expect(queue.pop() == 1)
        #expect(queue.pop() == nil)
    }

    @Test func aLargeShuffledQueuePopsSorted() {
        var generator = SystemRandomNumberGenerator()
        let ranks = (0..<200).map { _ in Double(Int.random(in: 0..<50, using: &generator)) }
        var queue = ReadyQueue(ranks: ranks)
        for id in Array(ranks.indices).shuffled(using: &generator) { queue.push(id) }
        var popped: [Int] = []
        while let id = queue.pop() { popped.append(id) }
        let expected = ranks.indices.sorted { ranks[$0] != ranks[$1] ? ranks[$0] > ranks[$1] : $0 < $1 }
        #expect(popped == expected)
    }
}
