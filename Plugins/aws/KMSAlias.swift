import StrataAWSKit
import StrataModel
import StrataPluginKit

/// `aws_kms_alias`: CreateAlias / ListAliases / UpdateAlias (the target key) / DeleteAlias.
/// Aliases cannot be tagged: `find` looks for the alias of that name pointing at the
/// stack's key, and `discover` finds the aliases of keys carrying the tags. Its id is its
/// name (`alias/…`).
struct KMSAliasResource: AWSResource {
    let type = "aws_kms_alias"

    var schema: ResourceSchema {
        ResourceSchema(
            description: "A KMS alias: a name (alias/…) for a key.",
            attributes: [
                "name": .init(.string, .required, forcesReplacement: true, description: "alias/ then letters, digits, /, _ and -; not alias/aws/…"),
                "targetKeyId": .init(.string, .required, description: "The key's id or ARN; changes in place."),
                "id": .init(.string, .computed, description: "The name."),
                "arn": CommonAttributes.arn,
                "targetKeyArn": .init(.string, .computed),
            ],
            typicalCreateSeconds: 1)
    }

    func check(_ inputs: Inputs) -> [CheckProblem] {
        guard let name = inputs.string("name") else { return [] }
        let allowed = Set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789/_-")
        if !name.hasPrefix("alias/") || name.count <= 6 || name.count > 256 || !name.allSatisfy(allowed.contains) {
            return [CheckProblem(attribute: "name", message: "name must be alias/ followed by letters, digits, /, _ or - (at most 256 characters in all): '\(name)'")]
        }
        if name.hasPrefix("alias/aws/") {
            return [CheckProblem(attribute: "name", message: "alias/aws/ names are reserved for AWS managed keys")]
        }
        return []
    }

    func create(_ inputs: Inputs, token: String, tags: [String: String], in context: ResourceContext) async throws -> String {
        let name = try inputs.require("name", for: type)
        context.progress.report("creating KMS alias \(name)")
        do {
            _ = try await context.client.json(service: .kms, target: "CreateAlias", body: [
                "AliasName": .string(name), "TargetKeyId": .string(try inputs.require("targetKeyId", for: type)),
            ])
        } catch let error as AWSError where error.code == "AlreadyExistsException" {
            throw PluginError(.conflict, "the KMS alias \(name) already exists and points at another key; choose another name, or adopt it with import", providerCode: error.code)
        }
        return name
    }

    func read(id: String, recorded: Inputs?, in context: ResourceContext) async throws -> [String: Value]? {
        guard let alias = try await aliases(context).first(where: { $0["AliasName"]?.stringValue == id }) else { return nil }
        let target = alias["TargetKeyId"]?.stringValue ?? ""
        let keyArn = try await KMSKeyResource().describe(target, context)?["Arn"]?.stringValue
        // The stack may name the key by id or by ARN: keep its spelling when it is this key.
        var targetValue = Value.string(target)
        if let stack = recorded?.string("targetKeyId"), stack == keyArn || stack == target { targetValue = .string(stack) }
        return [
            "id": .string(id),
            "name": .string(id),
            "arn": alias["AliasArn"] ?? .null,
            "targetKeyId": targetValue,
            "targetKeyArn": keyArn.map(Value.string) ?? .null,
        ]
    }

    func update(id: String, prior: Inputs, inputs: Inputs, in context: ResourceContext) async throws {
        let target = try inputs.require("targetKeyId", for: type)
        context.progress.report("pointing KMS alias \(id) at \(target)")
        _ = try await context.client.json(service: .kms, target: "UpdateAlias", body: ["AliasName": .string(id), "TargetKeyId": .string(target)])
    }

    func delete(id: String, in context: ResourceContext) async throws {
        context.progress.report("deleting KMS alias \(id)")
        do {
            _ = try await context.client.json(service: .kms, target: "DeleteAlias", body: ["AliasName": .string(id)])
        } catch let error as AWSError where error.kind == .notFound {
            return
        }
    }

    /// The alias of this name, when it points at the stack's key.
    func find(token: String, inputs: Inputs, in context: ResourceContext) async throws -> String? {
        guard let name = inputs.string("name"), let wanted = inputs.string("targetKeyId"),
              let alias = try await aliases(context).first(where: { $0["AliasName"]?.stringValue == name }),
              let target = alias["TargetKeyId"]?.stringValue else { return nil }
        return wanted == target || wanted.hasSuffix(":key/\(target)") ? name : nil
    }

    /// The aliases of keys that carry the tags (the keys' tags, less their own token and address).
    func discover(tags: [String: String], in context: ResourceContext) async throws -> [DiscoveredResource] {
        let keys = try await KMSKeyResource().discover(tags: tags, in: context)
        var candidates: [(id: String, tags: [String: String])] = []
        for alias in try await aliases(context) {
            guard let name = alias["AliasName"]?.stringValue, let target = alias["TargetKeyId"]?.stringValue,
                  let key = keys.first(where: { $0.id == target }) else { continue }
            candidates.append((name, key.tags.filter { $0.key != StrataTags.token && $0.key != "strata:address" }))
        }
        return try await Discovery.read(self, candidates, in: context)
    }

    private func aliases(_ context: ResourceContext) async throws -> [[String: Value]] {
        try await Paginator.collect { marker -> (items: [[String: Value]], next: String?) in
            var body: [String: Value] = [:]
            if let marker { body["Marker"] = .string(marker) }
            let answer = try await context.client.json(service: .kms, target: "ListAliases", body: body)
            return ((answer["Aliases"]?.listValue ?? []).compactMap(\.mapValue), answer["Truncated"]?.boolValue == true ? answer["NextMarker"]?.stringValue : nil)
        }
    }
}
