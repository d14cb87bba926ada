import StrataModel
import StrataPluginKit

/// Checks a manifest against the provider schemas before anything is planned: every message
/// names the resource's address and where it is declared.
struct Validator {
    let schemas: [String: ProviderSchema]

    func validate(_ manifest: Manifest) -> [Diagnostic] {
        var diagnostics = manifest.diagnostics
        var declared: [ResourceAddress: ManifestResource] = [:]
        for resource in manifest.resources + manifest.dataSources { declared[resource.address] = resource }
        for source in manifest.dataSources {
            guard let provider = schemas[source.address.provider] else {
                diagnostics.append(Diagnostic(.error, "no provider '\(source.address.provider)' for data source \(source.type)", address: source.address.description, location: source.location))
                continue
            }
            guard let schema = provider.dataSources?[source.type] else {
                let known = (provider.dataSources ?? [:]).keys.sorted().joined(separator: ", ")
                diagnostics.append(Diagnostic(.error, "provider \(provider.name) has no data source '\(source.type)'" + (known.isEmpty ? "" : " (it has: \(known))"), address: source.address.description, location: source.location))
                continue
            }
            for problem in SchemaCheck.problems(source.inputs, schema: schema) {
                diagnostics.append(Diagnostic(.error, problem.message, address: source.address.description, location: source.location))
            }
        }
        var graph = DependencyGraph<ResourceAddress>()
        let configured = Set(manifest.providers.map(\.key))

        for resource in manifest.resources {
            let address = resource.address.description
            graph.add(resource.address)
            guard let provider = schemas[resource.address.provider] else {
                diagnostics.append(Diagnostic(.error, "no provider '\(resource.address.provider)' for type \(resource.type)", address: address, location: resource.location))
                continue
            }
            guard let schema = provider.resources[resource.type] else {
                let known = provider.resources.keys.sorted().joined(separator: ", ")
                diagnostics.append(Diagnostic(.error, "provider \(provider.name) has no resource type '\(resource.type)' (it has: \(known))", address: address, location: resource.location))
                continue
            }
            if resource.options.provider != nil, !configured.contains(resource.providerKey) {
                diagnostics.append(Diagnostic(.error, "provider \(resource.providerKey) is not configured: declare it with Stack.provider(\"\(resource.address.provider)\", alias: \"\(resource.options.provider ?? "")\", …)", address: address, location: resource.location))
            }
            for problem in SchemaCheck.problems(resource.inputs, schema: schema) {
                diagnostics.append(Diagnostic(.error, problem.message, address: address, location: resource.location))
            }
            for name in resource.options.ignoreChanges where schema.attributes[name] == nil {
                diagnostics.append(Diagnostic(.error, "ignoreChanges names '\(name)', which \(resource.type) does not have", address: address, location: resource.location))
            }
            for key in resource.inputs.keys.sorted() {
                for ref in resource.inputs[key]!.references where !ref.address.isStackReference {
                    guard let target = declared[ref.address] else {
                        diagnostics.append(Diagnostic(.error, "'\(key)' refers to \(ref), but \(ref.address) is not declared in this stack", address: address, location: resource.location))
                        continue
                    }
                    let targetSchema = target.address.isDataSource
                        ? schemas[target.address.provider]?.dataSources?[target.type]
                        : schemas[target.address.provider]?.resources[target.type]
                    if let targetSchema, targetSchema.attributes[ref.attribute] == nil {
                        diagnostics.append(Diagnostic(.error, "'\(key)' refers to \(ref), but \(target.type) has no attribute '\(ref.attribute)'", address: address, location: resource.location))
                    }
                    if !target.address.isDataSource { graph.addEdge(from: resource.address, dependsOn: ref.address) }
                }
            }
            for dep in resource.options.dependsOn {
                if declared[dep] == nil {
                    diagnostics.append(Diagnostic(.error, "dependsOn names \(dep), which is not declared in this stack", address: address, location: resource.location))
                } else {
                    graph.addEdge(from: resource.address, dependsOn: dep)
                }
            }
        }
        for (name, output) in manifest.outputs.sorted(by: { $0.key < $1.key }) {
            for ref in output.value.references where declared[ref.address] == nil && !ref.address.isStackReference {
                diagnostics.append(Diagnostic(.error, "output '\(name)' refers to \(ref), but \(ref.address) is not declared in this stack"))
            }
        }
        if let cycle = graph.findCycle() {
            let resource = declared[cycle[0]]
            diagnostics.append(Diagnostic(.error, "dependency cycle: " + cycle.map(\.description).joined(separator: " -> "), location: resource?.location))
        }
        return diagnostics
    }
}
