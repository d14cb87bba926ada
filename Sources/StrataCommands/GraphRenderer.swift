import StrataModel

/// Draws a manifest's resources and their references.
enum GraphRenderer {
    enum Format { case mermaid, dot }

    static func render(_ manifest: Manifest, format: Format) -> String {
        var ids: [ResourceAddress: String] = [:]
        for (i, resource) in manifest.resources.enumerated() { ids[resource.address] = "r\(i)" }
        var out = ""
        switch format {
        case .mermaid:
            out += "graph TD\n"
            // Components become subgraphs.
            var byComponent: [String: [ManifestResource]] = [:]
            for resource in manifest.resources { byComponent[resource.address.components.joined(separator: "."), default: []].append(resource) }
            for component in byComponent.keys.sorted() {
                let members = byComponent[component] ?? []
                if !component.isEmpty { out += "  subgraph \(component.replacingOccurrences(of: ".", with: "_"))[\"\(component)\"]\n" }
                for resource in members {
                    // A resource of another provider instance (another region) says which.
                    let instance = resource.options.provider.map { " (\(resource.address.provider).\($0))" } ?? ""
                    out += "  \(ids[resource.address]!)[\"\(mermaidText("\(resource.type).\(resource.address.name)\(instance)"))\"]\n"
                }
                if !component.isEmpty { out += "  end\n" }
            }
            for resource in manifest.resources {
                for dep in resource.dependencies {
                    if let from = ids[resource.address], let to = ids[dep] { out += "  \(from) --> \(to)\n" }
                }
            }
        case .dot:
            out += "digraph strata {\n  rankdir=LR;\n  node [shape=box];\n"
            for resource in manifest.resources { out += "  \(dotID(resource.address.description));\n" }
            for resource in manifest.resources {
                for dep in resource.dependencies { out += "  \(dotID(resource.address.description)) -> \(dotID(dep.description));\n" }
            }
            out += "}\n"
        }
        return out
    }

    /// A label inside Mermaid's `["…"]`: keyed addresses (`subnet["us-east-1a"]`) hold quotes,
    /// which Mermaid reads as the label's end unless written as `#quot;`.
    static func mermaidText(_ text: String) -> String {
        text.replacingOccurrences(of: "\"", with: "#quot;")
    }

    /// A quoted Graphviz id, its quotes and backslashes escaped.
    static func dotID(_ text: String) -> String {
        "\"" + text.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"") + "\""
    }
}
