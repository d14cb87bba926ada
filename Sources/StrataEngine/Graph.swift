/// A directed graph over hashable nodes; an edge `a -> b` means "a depends on b".
/// Only what the engine needs: cycles (printed as the cycle), topological order, and
/// the longest weighted path to the end (the executor's priority).
public struct DependencyGraph<Node: Hashable & Comparable> {
    public private(set) var nodes: [Node] = []
    private var index: [Node: Int] = [:]
    /// dependencies[i] = the nodes i depends on.
    private var dependencies: [[Int]] = []

    public init() {}

    public mutating func add(_ node: Node) {
        if index[node] == nil {
            index[node] = nodes.count
            nodes.append(node)
            dependencies.append([])
        }
    }

    public mutating func addEdge(from node: Node, dependsOn other: Node) {
        add(node)
        add(other)
        dependencies[index[node]!].append(index[other]!)
    }

    public func dependencies(of node: Node) -> [Node] {
        guard let i = index[node] else { return [] }
        return dependencies[i].map { nodes[$0] }
    }

    /// A cycle if there is one, as the list of nodes along it with the first repeated last:
    /// `[a, b, c, a]` for `a -> b -> c -> a`. Deterministic: starts from the smallest node.
    public func findCycle() -> [Node]? {
        var color = [UInt8](repeating: 0, count: nodes.count)  // 0 new, 1 on stack, 2 done
        var parent = [Int](repeating: -1, count: nodes.count)
        let order = nodes.indices.sorted { nodes[$0] < nodes[$1] }
        for start in order where color[start] == 0 {
            // Iterative DFS: (node, next dependency to look at).
            var stack: [(Int, Int)] = [(start, 0)]
            color[start] = 1
            while !stack.isEmpty {
                let (node, next) = stack[stack.count - 1]
                let deps = dependencies[node]
                if next < deps.count {
                    stack[stack.count - 1].1 += 1
                    let dep = deps[next]
                    if color[dep] == 1 {
                        var cycle = [nodes[dep]]
                        var walk = node
                        var path: [Node] = []
                        while walk != dep {
                            path.append(nodes[walk])
                            walk = parent[walk]
                        }
                        cycle += path.reversed()
                        cycle.append(nodes[dep])
                        return cycle
                    }
                    if color[dep] == 0 {
                        color[dep] = 1
                        parent[dep] = node
                        stack.append((dep, 0))
                    }
                } else {
                    color[node] = 2
                    stack.removeLast()
                }
            }
        }
        return nil
    }

    /// Nodes with every dependency before its dependents; nil if there is a cycle.
    public func topologicalOrder() -> [Node]? {
        var remaining = dependencies.map(\.count)
        var dependents = [[Int]](repeating: [], count: nodes.count)
        for (i, deps) in dependencies.enumerated() { for d in deps { dependents[d].append(i) } }
        var ready = nodes.indices.filter { remaining[$0] == 0 }
        var out: [Node] = []
        out.reserveCapacity(nodes.count)
        while let i = ready.popLast() {
            out.append(nodes[i])
            for j in dependents[i] {
                remaining[j] -= 1
                if remaining[j] == 0 { ready.append(j) }
            }
        }
        return out.count == nodes.count ? out : nil
    }
}
