import Foundation
import StrataAWSKit
import StrataModel
import StrataPluginKit

/// `aws_iam_role_policy_attachment`: AttachRolePolicy / ListAttachedRolePolicies /
/// DetachRolePolicy. The id is `role/policyArn`. Attachments carry no tags: found by their
/// role and policy, never discovered.
struct IAMRolePolicyAttachmentResource: AWSResource {
    let type = "aws_iam_role_policy_attachment"

    var schema: ResourceSchema {
        ResourceSchema(
            description: "A managed policy attached to a role. Either changing makes a new attachment.",
            attributes: [
                "role": .init(.string, .required, forcesReplacement: true, description: "The role name."),
                "policyArn": .init(.string, .required, forcesReplacement: true),
                "id": .init(.string, .computed, description: "`role/policyArn`."),
            ],
            typicalCreateSeconds: 1)
    }

    func check(_ inputs: Inputs) -> [CheckProblem] {
        var problems: [CheckProblem] = []
        if let role = inputs.string("role"), let problem = IAM.nameProblem(role, max: 64) {
            problems.append(CheckProblem(attribute: "role", message: "role \(problem)"))
        }
        if let arn = inputs.string("policyArn"), !(arn.hasPrefix("arn:") && arn.contains(":policy/")) {
            problems.append(CheckProblem(attribute: "policyArn", message: "policyArn '\(arn)' is not a policy ARN (arn:aws:iam::ACCOUNT:policy/NAME)"))
        }
        return problems
    }

    static func id(role: String, arn: String) -> String { "\(role)/\(arn)" }

    /// `role/arn` → (role, arn); role names hold no `/`.
    static func parts(_ id: String) throws -> (role: String, arn: String) {
        guard let slash = id.firstIndex(of: "/"), id[id.index(after: slash)...].hasPrefix("arn:") else {
            throw PluginError(.invalid, "'\(id)' is not an attachment id; write it as ROLE/POLICY_ARN")
        }
        return (String(id[..<slash]), String(id[id.index(after: slash)...]))
    }

    func create(_ inputs: Inputs, token: String, tags: [String: String], in context: ResourceContext) async throws -> String {
        let role = try inputs.require("role", for: type), arn = try inputs.require("policyArn", for: type)
        var params = QueryParameters()
        params["RoleName"] = role
        params["PolicyArn"] = arn
        context.progress.report("attaching \(arn) to \(role)")
        _ = try await IAM.call("AttachRolePolicy", params, context)
        return Self.id(role: role, arn: arn)
    }

    func read(id: String, recorded: Inputs?, in context: ResourceContext) async throws -> [String: Value]? {
        let (role, arn) = try Self.parts(id)
        guard try await attached(role, context).contains(arn) else { return nil }
        return ["id": .string(id), "role": .string(role), "policyArn": .string(arn)]
    }

    private func attached(_ role: String, _ context: ResourceContext) async throws -> [String] {
        var params = QueryParameters()
        params["RoleName"] = role
        do {
            let members = try await context.client.queryMarkerPages(service: .iam, action: "ListAttachedRolePolicies", params: params, listElement: "AttachedPolicies")
            return members.compactMap { $0.string("PolicyArn") }
        } catch let error as AWSError where error.kind == .notFound {
            return []
        }
    }

    func update(id: String, prior: Inputs, inputs: Inputs, in context: ResourceContext) async throws {}

    func delete(id: String, in context: ResourceContext) async throws {
        let (role, arn) = try Self.parts(id)
        context.progress.report("detaching \(arn) from \(role)")
        var params = QueryParameters()
        params["RoleName"] = role
        params["PolicyArn"] = arn
        do {
            _ = try await IAM.call("DetachRolePolicy", params, context)
        } catch let error as AWSError where error.kind == .notFound {
            return
        }
    }

    func find(token: String, inputs: Inputs, in context: ResourceContext) async throws -> String? {
        guard let role = inputs.string("role"), let arn = inputs.string("policyArn") else { return nil }
        return try await attached(role, context).contains(arn) ? Self.id(role: role, arn: arn) : nil
    }

    /// Not taggable: nothing to discover.
    func discover(tags: [String: String], in context: ResourceContext) async throws -> [DiscoveredResource] { [] }
}
