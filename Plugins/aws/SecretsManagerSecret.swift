import Foundation
import StrataAWSKit
import StrataModel
import StrataPluginKit

/// `aws_secretsmanager_secret`: CreateSecret / DescribeSecret + GetSecretValue / UpdateSecret,
/// PutSecretValue, TagResource, UntagResource / DeleteSecret (without recovery).
struct SecretsManagerSecretResource: AWSResource {
    let type = "aws_secretsmanager_secret"

    var schema: ResourceSchema {
        ResourceSchema(
            description: "A Secrets Manager secret and its current value. Destroying it deletes it at once (no recovery window).",
            attributes: [
                "name": .init(.string, .required, forcesReplacement: true),
                "description": .init(.string, .optional),
                "secretString": .init(.string, .optional, secret: true, description: "The current value (stored in the state, as a secret)."),
                "tags": CommonAttributes.tags,
                "id": .init(.string, .computed, description: "The ARN."),
                "arn": CommonAttributes.arn,
                "versionId": .init(.string, .computed),
            ],
            typicalCreateSeconds: 1)
    }

    func check(_ inputs: Inputs) -> [CheckProblem] {
        guard let name = inputs.string("name"), let problem = NameRules.secretNameProblem(name) else { return [] }
        return [CheckProblem(attribute: "name", message: problem)]
    }

    func create(_ inputs: Inputs, token: String, tags: [String: String], in context: ResourceContext) async throws -> String {
        let name = try inputs.require("name", for: type)
        var body: [String: Value] = [
            "Name": .string(name),
            // 32–64 characters; the same engine token gives the same request token.
            "ClientRequestToken": .string(Digest.sha256Hex(Array("strata:\(token)".utf8))),
            "Tags": .list(tags.keys.sorted().map { .map(["Key": .string($0), "Value": .string(tags[$0] ?? "")]) }),
        ]
        if let description = inputs.string("description") { body["Description"] = .string(description) }
        if let value = inputs.string("secretString") { body["SecretString"] = .string(value) }
        context.progress.report("creating secret \(name)")
        do {
            let answer = try await context.client.json(service: .secretsManager, target: "CreateSecret", body: body)
            guard let arn = answer["ARN"]?.stringValue else {
                throw PluginError(.fatal, "CreateSecret answered without an ARN")
            }
            return arn
        } catch let error as AWSError where error.code == "ResourceExistsException" {
            throw PluginError(
                .conflict,
                "a secret named \(name) already exists and was not made by this stack (a secret deleted with a recovery window keeps its name until it is purged); choose another name, or adopt it with import",
                providerCode: error.code)
        }
    }

    func read(id: String, recorded: Inputs?, in context: ResourceContext) async throws -> [String: Value]? {
        let described: [String: Value]
        do {
            described = try await context.client.json(service: .secretsManager, target: "DescribeSecret", body: ["SecretId": .string(id)])
        } catch let error as AWSError where error.kind == .notFound {
            return nil
        }
        if (described["DeletedDate"] ?? .null) != .null { return nil }
        let arn = described["ARN"]?.stringValue ?? id
        var outputs: [String: Value] = [
            "id": .string(arn),
            "arn": .string(arn),
            "name": described["Name"] ?? .null,
        ]
        let description = described["Description"]?.stringValue ?? ""
        if !description.isEmpty || recorded?["description"] != nil { outputs["description"] = .string(description) }
        var tags: [String: String] = [:]
        for tag in described["Tags"]?.listValue ?? [] {
            if let key = tag.mapValue?["Key"]?.stringValue { tags[key] = tag.mapValue?["Value"]?.stringValue ?? "" }
        }
        StrataTags.output(StrataTags.userTags(tags), recorded: recorded, into: &outputs)
        do {
            let value = try await context.client.json(service: .secretsManager, target: "GetSecretValue", body: ["SecretId": .string(arn)])
            if let string = value["SecretString"]?.stringValue { outputs["secretString"] = .secret(.string(string)) }
            outputs["versionId"] = value["VersionId"] ?? .null
        } catch let error as AWSError where error.kind == .notFound {
            // A secret with no value yet.
        }
        return outputs
    }

    func update(id: String, prior: Inputs, inputs: Inputs, in context: ResourceContext) async throws {
        let client = context.client
        // Compared with what the secret has now (not only the recorded inputs), so that drift
        // remediation puts back a description, value or tag changed by hand.
        let current = try await read(id: id, recorded: nil, in: context).map(Inputs.init)
        let now = current ?? prior
        if inputs.string("description") ?? "" != now.string("description") ?? "" {
            context.progress.report("updating the description of \(id)")
            // ClientRequestToken is an idempotency token in the model: the SDKs always send one.
            _ = try await client.json(service: .secretsManager, target: "UpdateSecret", body: [
                "SecretId": .string(id), "Description": .string(inputs.string("description") ?? ""),
                "ClientRequestToken": .string(UUID().uuidString.lowercased()),
            ])
        }
        if let value = inputs.string("secretString"), value != now["secretString"]?.revealed.stringValue {
            context.progress.report("putting a new value of \(id)")
            _ = try await client.json(service: .secretsManager, target: "PutSecretValue", body: [
                "SecretId": .string(id), "SecretString": .string(value),
                // Same token for a retry of this change; a new one when putting back an old value.
                "ClientRequestToken": .string(Digest.sha256Hex(Array("\(id):\(now.string("versionId") ?? ""):\(value)".utf8))),
            ])
        }
        let old = StrataTags.userTags(now.tags), new = StrataTags.userTags(inputs.tags)
        let removed = old.keys.filter { new[$0] == nil }.sorted()
        if !removed.isEmpty {
            _ = try await client.json(service: .secretsManager, target: "UntagResource", body: [
                "SecretId": .string(id), "TagKeys": .list(removed.map(Value.string)),
            ])
        }
        let changed = new.filter { old[$0.key] != $0.value }
        if !changed.isEmpty {
            _ = try await client.json(service: .secretsManager, target: "TagResource", body: [
                "SecretId": .string(id),
                "Tags": .list(changed.keys.sorted().map { .map(["Key": .string($0), "Value": .string(changed[$0] ?? "")]) }),
            ])
        }
    }

    func delete(id: String, in context: ResourceContext) async throws {
        context.progress.report("deleting secret \(id)")
        do {
            _ = try await context.client.json(service: .secretsManager, target: "DeleteSecret", body: [
                "SecretId": .string(id), "ForceDeleteWithoutRecovery": .bool(true),
            ])
        } catch let error as AWSError where error.kind == .notFound {
            return
        }
    }

    /// ListSecrets filtered by the tag value, checked against the tag key.
    func find(token: String, inputs: Inputs, in context: ResourceContext) async throws -> String? {
        let secrets = try await context.client.jsonPages(
            service: .secretsManager, target: "ListSecrets",
            body: ["Filters": .list([.map(["Key": "tag-value", "Values": .list([.string(token)])])])],
            listKey: "SecretList")
        for secret in secrets {
            let tags = secret.mapValue?["Tags"]?.listValue ?? []
            let tagged = tags.contains { $0.mapValue?["Key"]?.stringValue == StrataTags.token && $0.mapValue?["Value"]?.stringValue == token }
            let deleted = (secret.mapValue?["DeletedDate"] ?? .null) != .null
            if tagged, !deleted, let arn = secret.mapValue?["ARN"]?.stringValue { return arn }
        }
        return nil
    }
}
