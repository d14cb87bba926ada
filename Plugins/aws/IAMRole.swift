import Foundation
import StrataAWSKit
import StrataModel
import StrataPluginKit

/// `aws_iam_role`: CreateRole / GetRole + ListRoleTags / UpdateRole, UpdateAssumeRolePolicy,
/// TagRole, UntagRole / DeleteRole. The id is the role name; the trust policy is compared by
/// meaning, so a reformatted document plans no change.
struct IAMRoleResource: AWSResource {
    let type = "aws_iam_role"

    var schema: ResourceSchema {
        ResourceSchema(
            description: "An IAM role. Destroying it fails while policies or instance profiles still use it (Strata removes its own attachments first).",
            attributes: [
                "name": .init(.string, .required, forcesReplacement: true, description: "The role name (unique in the account)."),
                "path": .init(.string, .optionalComputed, forcesReplacement: true, description: "The path, `/` unless set."),
                "assumeRolePolicy": .init(.string, .required, description: "The trust policy (JSON), compared by meaning."),
                "description": .init(.string, .optional),
                "maxSessionDuration": .init(.number, .optionalComputed, description: "Seconds, 3600 to 43200 (3600 unless set)."),
                "tags": CommonAttributes.tags,
                "id": .init(.string, .computed, description: "The role name."),
                "arn": CommonAttributes.arn,
                "uniqueId": .init(.string, .computed),
            ],
            typicalCreateSeconds: 2)
    }

    func check(_ inputs: Inputs) -> [CheckProblem] {
        var problems = IAM.problems(inputs, maxName: 64, document: "assumeRolePolicy")
        if let seconds = inputs["maxSessionDuration"]?.numberValue, !(3600...43200).contains(seconds) {
            problems.append(CheckProblem(attribute: "maxSessionDuration", message: "maxSessionDuration must be 3600 to 43200 seconds, not \(Int(seconds))"))
        }
        return problems
    }

    func create(_ inputs: Inputs, token: String, tags: [String: String], in context: ResourceContext) async throws -> String {
        let name = try inputs.require("name", for: type)
        var params = QueryParameters()
        params["RoleName"] = name
        params["AssumeRolePolicyDocument"] = try inputs.require("assumeRolePolicy", for: type)
        if let path = inputs.string("path") { params["Path"] = path }
        if let description = inputs.string("description") { params["Description"] = description }
        if let seconds = inputs["maxSessionDuration"]?.numberValue { params.set("MaxSessionDuration", Int(seconds)) }
        params.tagList("Tags.member", tags)
        context.progress.report("creating role \(name)")
        do {
            _ = try await IAM.call("CreateRole", params, context)
        } catch let error as AWSError where error.code == "EntityAlreadyExists" {
            throw PluginError(.conflict, "a role named \(name) already exists and was not made by this stack; choose another name, or adopt it with import", providerCode: error.code)
        }
        return name
    }

    func read(id: String, recorded: Inputs?, in context: ResourceContext) async throws -> [String: Value]? {
        var params = QueryParameters()
        params["RoleName"] = id
        let role: XMLTree
        do {
            guard let found = try await IAM.call("GetRole", params, context).child("Role") else { return nil }
            role = found
        } catch let error as AWSError where error.kind == .notFound {
            return nil
        }
        let document = PolicyDocument.decoded(role.string("AssumeRolePolicyDocument") ?? "")
        var outputs: [String: Value] = [
            "id": .string(id),
            "name": .string(role.string("RoleName") ?? id),
            "path": .string(role.string("Path") ?? "/"),
            "arn": .string(role.string("Arn") ?? ""),
            "uniqueId": .string(role.string("RoleId") ?? ""),
            "assumeRolePolicy": .string(PolicyDocument.reported(actual: document, recorded: recorded?.string("assumeRolePolicy"))),
            "maxSessionDuration": .number(Double(role.string("MaxSessionDuration") ?? "") ?? 3600),
        ]
        let description = role.string("Description") ?? ""
        if !description.isEmpty || recorded?["description"] != nil { outputs["description"] = .string(description) }
        StrataTags.output(StrataTags.userTags(try await IAM.listTags(.role, id, context)), recorded: recorded, into: &outputs)
        return outputs
    }

    func update(id: String, prior: Inputs, inputs: Inputs, in context: ResourceContext) async throws {
        // Compared with the role as it is now, so drift remediation puts hand edits back.
        guard let now = try await read(id: id, recorded: inputs, in: context).map(Inputs.init) else {
            throw PluginError(.notFound, "role \(id) no longer exists; run `strata refresh` then apply to make it again")
        }
        if let policy = inputs.string("assumeRolePolicy"), !PolicyDocument.equivalent(policy, now.string("assumeRolePolicy")) {
            context.progress.report("updating the trust policy of \(id)")
            var params = QueryParameters()
            params["RoleName"] = id
            params["PolicyDocument"] = policy
            _ = try await IAM.call("UpdateAssumeRolePolicy", params, context)
        }
        let description = inputs.string("description") ?? ""
        let seconds = inputs["maxSessionDuration"]?.numberValue
        if description != now.string("description") ?? "" || (seconds != nil && seconds != now["maxSessionDuration"]?.numberValue) {
            context.progress.report("updating role \(id)")
            var params = QueryParameters()
            params["RoleName"] = id
            params["Description"] = description
            if let seconds { params.set("MaxSessionDuration", Int(seconds)) }
            _ = try await IAM.call("UpdateRole", params, context)
        }
        try await IAM.updateTags(.role, id, to: inputs.tags, context)
    }

    /// Takes the role out of every instance profile first (as a replaced role must leave the
    /// profile that is re-pointed after), then deletes it.
    func delete(id: String, in context: ResourceContext) async throws {
        var params = QueryParameters()
        params["RoleName"] = id
        do {
            let profiles = try await context.client.queryMarkerPages(service: .iam, action: "ListInstanceProfilesForRole", params: params, listElement: "InstanceProfiles")
            for profile in profiles.compactMap({ $0.string("InstanceProfileName") }) {
                context.progress.report("removing role \(id) from instance profile \(profile)")
                var remove = params
                remove["InstanceProfileName"] = profile
                _ = try await IAM.call("RemoveRoleFromInstanceProfile", remove, context)
            }
            context.progress.report("deleting role \(id)")
            _ = try await IAM.call("DeleteRole", params, context)
        } catch let error as AWSError where error.kind == .notFound {
            return
        } catch let error as AWSError where error.code == "DeleteConflict" {
            throw PluginError(
                .conflict,
                "role \(id) still has policies attached (by hand or by another stack); detach them (`aws iam list-attached-role-policies --role-name \(id)`, `aws iam list-role-policies --role-name \(id)`), then destroy again",
                providerCode: error.code)
        }
    }

    /// Role names are chosen by the stack: the role of that name whose `strata:token` tag is the token.
    func find(token: String, inputs: Inputs, in context: ResourceContext) async throws -> String? {
        guard let name = inputs.string("name") else { return nil }
        do {
            return try await IAM.listTags(.role, name, context)[StrataTags.token] == token ? name : nil
        } catch let error as AWSError where error.kind == .notFound {
            return nil
        }
    }

    /// ListRoles, then ListRoleTags per role.
    func discover(tags: [String: String], in context: ResourceContext) async throws -> [DiscoveredResource] {
        let roles = try await context.client.queryMarkerPages(service: .iam, action: "ListRoles", params: QueryParameters(), listElement: "Roles")
        var candidates: [(id: String, tags: [String: String])] = []
        for role in roles {
            guard let name = role.string("RoleName") else { continue }
            let roleTags = try await IAM.listTags(.role, name, context)
            if Discovery.matches(roleTags, tags) { candidates.append((name, roleTags)) }
        }
        return try await Discovery.read(self, candidates, in: context)
    }
}
