import Foundation
import StrataAWSKit
import StrataModel
import StrataPluginKit

/// `aws_iam_instance_profile`: CreateInstanceProfile + AddRoleToInstanceProfile /
/// GetInstanceProfile + ListInstanceProfileTags / Remove+AddRoleToInstanceProfile, tags /
/// RemoveRoleFromInstanceProfile + DeleteInstanceProfile. The id is the profile name.
struct IAMInstanceProfileResource: AWSResource {
    let type = "aws_iam_instance_profile"

    var schema: ResourceSchema {
        ResourceSchema(
            description: "An IAM instance profile (what an EC2 instance assumes a role through). Its role changes in place.",
            attributes: [
                "name": .init(.string, .required, forcesReplacement: true),
                "path": .init(.string, .optionalComputed, forcesReplacement: true, description: "The path, `/` unless set."),
                "role": .init(.string, .optional, description: "The role name (at most one)."),
                "tags": CommonAttributes.tags,
                "id": .init(.string, .computed, description: "The profile name."),
                "arn": CommonAttributes.arn,
                "uniqueId": .init(.string, .computed),
            ],
            typicalCreateSeconds: 2)
    }

    func check(_ inputs: Inputs) -> [CheckProblem] {
        var problems = IAM.problems(inputs, maxName: 128)
        if let role = inputs.string("role"), let problem = IAM.nameProblem(role, max: 64) {
            problems.append(CheckProblem(attribute: "role", message: "role \(problem)"))
        }
        return problems
    }

    func create(_ inputs: Inputs, token: String, tags: [String: String], in context: ResourceContext) async throws -> String {
        let name = try inputs.require("name", for: type)
        var params = QueryParameters()
        params["InstanceProfileName"] = name
        if let path = inputs.string("path") { params["Path"] = path }
        params.tagList("Tags.member", tags)
        context.progress.report("creating instance profile \(name)")
        do {
            _ = try await IAM.call("CreateInstanceProfile", params, context)
        } catch let error as AWSError where error.code == "EntityAlreadyExists" {
            throw PluginError(.conflict, "an instance profile named \(name) already exists and was not made by this stack; choose another name, or adopt it with import", providerCode: error.code)
        }
        if let role = inputs.string("role") { try await setRole(name, role, add: true, context) }
        return name
    }

    private func profile(_ name: String, _ context: ResourceContext) async throws -> XMLTree? {
        var params = QueryParameters()
        params["InstanceProfileName"] = name
        do {
            return try await IAM.call("GetInstanceProfile", params, context).child("InstanceProfile")
        } catch let error as AWSError where error.kind == .notFound {
            return nil
        }
    }

    func read(id: String, recorded: Inputs?, in context: ResourceContext) async throws -> [String: Value]? {
        guard let profile = try await profile(id, context) else { return nil }
        var outputs: [String: Value] = [
            "id": .string(id),
            "name": .string(profile.string("InstanceProfileName") ?? id),
            "path": .string(profile.string("Path") ?? "/"),
            "arn": .string(profile.string("Arn") ?? ""),
            "uniqueId": .string(profile.string("InstanceProfileId") ?? ""),
        ]
        let role = profile.child("Roles")?.all("member").first?.string("RoleName")
        if role != nil || recorded?["role"] != nil { outputs["role"] = role.map(Value.string) ?? .null }
        // GetInstanceProfile carries the tags (moto has no ListInstanceProfileTags).
        StrataTags.output(StrataTags.userTags(IAM.tags(profile.child("Tags"))), recorded: recorded, into: &outputs)
        return outputs
    }

    private func setRole(_ name: String, _ role: String, add: Bool, _ context: ResourceContext) async throws {
        context.progress.report("\(add ? "adding" : "removing") role \(role) \(add ? "to" : "from") \(name)")
        var params = QueryParameters()
        params["InstanceProfileName"] = name
        params["RoleName"] = role
        _ = try await IAM.call(add ? "AddRoleToInstanceProfile" : "RemoveRoleFromInstanceProfile", params, context)
    }

    func update(id: String, prior: Inputs, inputs: Inputs, in context: ResourceContext) async throws {
        guard let profile = try await profile(id, context) else {
            throw PluginError(.notFound, "instance profile \(id) no longer exists; run `strata refresh` then apply to make it again")
        }
        let current = profile.child("Roles")?.all("member").compactMap { $0.string("RoleName") } ?? []
        let wanted = inputs.string("role")
        for role in current where role != wanted { try await setRole(id, role, add: false, context) }
        if let wanted, !current.contains(wanted) { try await setRole(id, wanted, add: true, context) }
        try await IAM.updateTags(.instanceProfile, id, to: inputs.tags, now: IAM.tags(profile.child("Tags")), context)
    }

    func delete(id: String, in context: ResourceContext) async throws {
        guard let profile = try await profile(id, context) else { return }
        for role in profile.child("Roles")?.all("member").compactMap({ $0.string("RoleName") }) ?? [] {
            try await setRole(id, role, add: false, context)
        }
        context.progress.report("deleting instance profile \(id)")
        var params = QueryParameters()
        params["InstanceProfileName"] = id
        do {
            _ = try await IAM.call("DeleteInstanceProfile", params, context)
        } catch let error as AWSError where error.kind == .notFound {
            return
        }
    }

    func find(token: String, inputs: Inputs, in context: ResourceContext) async throws -> String? {
        guard let name = inputs.string("name") else { return nil }
        guard let profile = try await profile(name, context) else { return nil }
        return IAM.tags(profile.child("Tags"))[StrataTags.token] == token ? name : nil
    }

    func discover(tags: [String: String], in context: ResourceContext) async throws -> [DiscoveredResource] {
        let profiles = try await context.client.queryMarkerPages(service: .iam, action: "ListInstanceProfiles", params: QueryParameters(), listElement: "InstanceProfiles")
        var candidates: [(id: String, tags: [String: String])] = []
        for profile in profiles {
            guard let name = profile.string("InstanceProfileName") else { continue }
            let profileTags = IAM.tags(profile.child("Tags"))
            if Discovery.matches(profileTags, tags) { candidates.append((name, profileTags)) }
        }
        return try await Discovery.read(self, candidates, in: context)
    }
}
