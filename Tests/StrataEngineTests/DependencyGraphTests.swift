import Testing

@testable import StrataEngine

@Suite struct DependencyGraphTests {
    @Test func aCycleIsFoundAndListedInOrderWithTheFirstNodeRepeated() throws {
        var graph = DependencyGraph<String>()
        graph.addEdge(from: "a", dependsOn: "b")
        graph.addEdge(from: "b", dependsOn: "c")
        graph.addEdge(from: "c", dependsOn: "a")
        let cycle = try #require(graph.findCycle())
        #expect(cycle == ["a", "b", "c", "a"])
        #expect(cycle.joined(separator: " -> ") == "a -> b -> c -> a")
    }

    @Test func theCycleIsTheSameWhicheverOrderTheEdgesWereAdded() {
        var graph = DependencyGraph<String>()
        graph.addEdge(from: "c", dependsOn: "a")
        graph.addEdge(from: "b", dependsOn: "c")
        graph.addEdge(from: "a", dependsOn: "b")
        #expect(graph.findCycle() == ["a", "b", "c", "a"])
    }

    @Test func aCycleBehindATailListsOnlyTheCycle() {
        var graph = DependencyGraph<String>()
        graph.addEdge(from: "a", dependsOn: "b")
        graph.addEdge(from: "b", dependsOn: "c")
        graph.addEdge(from: "c", dependsOn: "d")
        graph.addEdge(from: "d", dependsOn: "b")
        #expect(graph.findCycle() == ["b", "c", "d", "b"])
    }

    @Test func aSelfLoopIsACycle() {
        var graph = DependencyGraph<String>()
        graph.addEdge(from: "a", dependsOn: "a")
        #expect(graph.findCycle() == ["a", "a"])
        #expect(graph.topologicalOrder() == nil)
    }

    @Test func aDAGHasNoCycle() {
        var graph = DependencyGraph<String>()
        // A diamond plus an isolated node.
        graph.addEdge(from: "d", dependsOn: "b")
        graph.addEdge(from: "d", dependsOn: "c")
        graph.addEdge(from: "b", dependsOn: "a")
        graph.addEdge(from: "c", dependsOn: "a")
        graph.add("lonely")
        #expect(graph.findCycle() == nil)
        #expect(DependencyGraph<String>().findCycle() == nil)
    }

    @Test func topologicalOrderPutsEveryDependencyBeforeItsDependents() throws {
        var graph = DependencyGraph<String>()
        let edges = [("web", "subnet"), ("subnet", "vpc"), ("db", "subnet"), ("db", "password"), ("app", "web"), ("app", "db")]
        for (from, to) in edges { graph.addEdge(from: from, dependsOn: to) }
        graph.add("lonely")
        let order = try #require(graph.topologicalOrder())
        #expect(Set(order) == ["web", "subnet", "vpc", "db", "password", "app", "lonely"])
        #expect(order.count == 7)
        for (from, to) in edges {
            let f = try #require(order.firstIndex(of: from))
            let t = try #require(order.firstIndex(of: to))
            #expect(t < f, "\(to) must come before \(from) in \(order)")
        }
    }

    @Test func topologicalOrderIsNilWithACycle() {
        var graph = DependencyGraph<String>()
        graph.addEdge(from: "x", dependsOn: "a")
        graph.addEdge(from: "a", dependsOn: "b")
        graph.addEdge(from: "b", dependsOn: "a")
        #expect(graph.topologicalOrder() == nil)
    }

    @Test func nodesAndDependenciesAreKeptAsAdded() {
        var graph = DependencyGraph<String>()
        graph.add("a")
        graph.addEdge(from: "a", dependsOn: "b")
        graph.addEdge(from: "a", dependsOn: "c")
        graph.add("a")
        #expect(graph.nodes == ["a", "b", "c"])
        #expect(graph.dependencies(of: "a") == ["b", "c"])
        #expect(graph.dependencies(of: "b") == [])
        #expect(graph.dependencies(of: "missing") == [])
    }
}
