import Foundation
import StrataAWSKit
import StrataModel
import StrataPluginKit

/// `aws_iam_policy`: a customer managed policy. CreatePolicy / GetPolicy + GetPolicyVersion /
/// CreatePolicyVersion (as default; the oldest non-default version goes first when IAM's five
/// are taken), TagPolicy, UntagPolicy / DeletePolicyVersion… + DeletePolicy. The id is the ARN.
struct IAMPolicyResource: AWSResource {
    let type = "aws_iam_policy"

    var schema: ResourceSchema {
        ResourceSchema(
            description: "A customer managed IAM policy. A new document becomes a new default version.",
            attributes: [
                "name": .init(.string, .required, forcesReplacement: true),
                "path": .init(.string, .optionalComputed, forcesReplacement: true, description: "The path, `/` unless set."),
                "description": .init(.string, .optional, forcesReplacement: true, description: "IAM cannot change it: a new one replaces the policy."),
                "policy": .init(.string, .required, description: "The policy document (JSON), compared by meaning."),
                "tags": CommonAttributes.tags,
                "id": .init(.string, .computed, description: "The ARN."),
                "arn": CommonAttributes.arn,
                "policyId": .init(.string, .computed),
                "defaultVersionId": .init(.string, .computed),
            ],
            typicalCreateSeconds: 2)
    }

    func check(_ inputs: Inputs) -> [CheckProblem] {
        IAM.problems(inputs, maxName: 128, document: "policy")
    }

    func create(_ inputs: Inputs, token: String, tags: [String: String], in context: ResourceContext) async throws -> String {
        let name = try inputs.require("name", for: type)
        var params = QueryParameters()
        params["PolicyName"] = name
        params["PolicyDocument"] = try inputs.require("policy", for: type)
        if let path = inputs.string("path") { params["Path"] = path }
        if let description = inputs.string("description") { params["Description"] = description }
        params.tagList("Tags.member", tags)
        context.progress.report("creating policy \(name)")
        do {
            let result = try await IAM.call("CreatePolicy", params, context)
            guard let arn = result.string("Policy", "Arn") else { throw PluginError(.fatal, "CreatePolicy answered without an ARN") }
            return arn
        } catch let error as AWSError where error.code == "EntityAlreadyExists" {
            throw PluginError(.conflict, "a policy named \(name) already exists on this path and was not made by this stack; choose another name, or adopt it with import", providerCode: error.code)
        }
    }

    func read(id: String, recorded: Inputs?, in context: ResourceContext) async throws -> [String: Value]? {
        var params = QueryParameters()
        params["PolicyArn"] = id
        let policy: XMLTree
        do {
            guard let found = try await IAM.call("GetPolicy", params, context).child("Policy") else { return nil }
            policy = found
        } catch let error as AWSError where error.kind == .notFound {
            return nil
        }
        let version = policy.string("DefaultVersionId") ?? "v1"
        params["VersionId"] = version
        let document = PolicyDocument.decoded(try await IAM.call("GetPolicyVersion", params, context).string("PolicyVersion", "Document") ?? "")
        var outputs: [String: Value] = [
            "id": .string(id),
            "arn": .string(policy.string("Arn") ?? id),
            "name": .string(policy.string("PolicyName") ?? ""),
            "path": .string(policy.string("Path") ?? "/"),
            "policyId": .string(policy.string("PolicyId") ?? ""),
            "defaultVersionId": .string(version),
            "policy": .string(PolicyDocument.reported(actual: document, recorded: recorded?.string("policy"))),
        ]
        let description = policy.string("Description") ?? ""
        if !description.isEmpty || recorded?["description"] != nil { outputs["description"] = .string(description) }
        StrataTags.output(StrataTags.userTags(try await IAM.listTags(.policy, id, context)), recorded: recorded, into: &outputs)
        return outputs
    }

    func update(id: String, prior: Inputs, inputs: Inputs, in context: ResourceContext) async throws {
        guard let now = try await read(id: id, recorded: inputs, in: context).map(Inputs.init) else {
            throw PluginError(.notFound, "policy \(id) no longer exists; run `strata refresh` then apply to make it again")
        }
        if let document = inputs.string("policy"), !PolicyDocument.equivalent(document, now.string("policy")) {
            try await makeRoomForAVersion(id, context)
            context.progress.report("putting a new default version of \(id)")
            var params = QueryParameters()
            params["PolicyArn"] = id
            params["PolicyDocument"] = document
            params.set("SetAsDefault", true)
            _ = try await IAM.call("CreatePolicyVersion", params, context)
        }
        try await IAM.updateTags(.policy, id, to: inputs.tags, context)
    }

    /// The versions, oldest first: (id, is default).
    private func versions(_ arn: String, _ context: ResourceContext) async throws -> [(id: String, isDefault: Bool)] {
        var params = QueryParameters()
        params["PolicyArn"] = arn
        let members = try await context.client.queryMarkerPages(service: .iam, action: "ListPolicyVersions", params: params, listElement: "Versions")
        let listed = members.compactMap { member -> (id: String, isDefault: Bool, date: String)? in
            guard let id = member.string("VersionId") else { return nil }
            return (id, member.bool("IsDefaultVersion") == true, member.string("CreateDate") ?? "")
        }
        // Version ids count up (v1, v2, …); the number orders them when dates tie.
        func number(_ id: String) -> Int { Int(id.dropFirst()) ?? 0 }
        return listed.sorted { ($0.date, number($0.id)) < ($1.date, number($1.id)) }.map { ($0.id, $0.isDefault) }
    }

    /// IAM keeps at most five versions: deletes the oldest non-default one when five exist.
    private func makeRoomForAVersion(_ arn: String, _ context: ResourceContext) async throws {
        let all = try await versions(arn, context)
        guard all.count >= 5, let oldest = all.first(where: { !$0.isDefault }) else { return }
        context.progress.report("deleting version \(oldest.id) of \(arn) (IAM keeps five)")
        try await deleteVersion(arn, oldest.id, context)
    }

    private func deleteVersion(_ arn: String, _ version: String, _ context: ResourceContext) async throws {
        var params = QueryParameters()
        params["PolicyArn"] = arn
        params["VersionId"] = version
        _ = try await IAM.call("DeletePolicyVersion", params, context)
    }

    func delete(id: String, in context: ResourceContext) async throws {
        context.progress.report("deleting policy \(id)")
        do {
            for version in try await versions(id, context) where !version.isDefault {
                try await deleteVersion(id, version.id, context)
            }
            var params = QueryParameters()
            params["PolicyArn"] = id
            _ = try await IAM.call("DeletePolicy", params, context)
        } catch let error as AWSError where error.kind == .notFound {
            return
        } catch let error as AWSError where error.code == "DeleteConflict" {
            throw PluginError(
                .conflict,
                "policy \(id) is still attached to roles, users or groups not managed by this stack; detach it (`aws iam list-entities-for-policy --policy-arn \(id)`), then destroy again",
                providerCode: error.code)
        }
    }

    /// ListPolicies (local, on the declared path) for the name, then its `strata:token` tag.
    func find(token: String, inputs: Inputs, in context: ResourceContext) async throws -> String? {
        guard let name = inputs.string("name") else { return nil }
        for (arn, tags) in try await listed(pathPrefix: inputs.string("path") ?? "/", name: name, context) where tags[StrataTags.token] == token {
            return arn
        }
        return nil
    }

    func discover(tags: [String: String], in context: ResourceContext) async throws -> [DiscoveredResource] {
        let candidates = try await listed(pathPrefix: "/", name: nil, context).filter { Discovery.matches($0.tags, tags) }
        return try await Discovery.read(self, candidates.map { ($0.arn, $0.tags) }, in: context)
    }

    /// The account's own policies (optionally only those called `name`), with their tags.
    private func listed(pathPrefix: String, name: String?, _ context: ResourceContext) async throws -> [(arn: String, tags: [String: String])] {
        var params = QueryParameters()
        params["Scope"] = "Local"
        params["PathPrefix"] = pathPrefix
        let policies = try await context.client.queryMarkerPages(service: .iam, action: "ListPolicies", params: params, listElement: "Policies")
        var out: [(arn: String, tags: [String: String])] = []
        for policy in policies {
            guard let arn = policy.string("Arn"), name == nil || policy.string("PolicyName") == name else { continue }
            out.append((arn, try await IAM.listTags(.policy, arn, context)))
        }
        return out
    }
}
