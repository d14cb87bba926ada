import Foundation
import StrataAWSKit
import StrataModel
import StrataPluginKit

/// `aws_launch_template`: CreateLaunchTemplate / DescribeLaunchTemplates +
/// DescribeLaunchTemplateVersions ($Default) / CreateLaunchTemplateVersion + ModifyLaunchTemplate
/// (a change makes a new version and sets it default), CreateTags, DeleteTags /
/// DeleteLaunchTemplate.
struct LaunchTemplateResource: AWSResource {
    let type = "aws_launch_template"
    static let dataKeys = ["imageId", "instanceType", "securityGroupIds", "userData"]

    var schema: ResourceSchema {
        ResourceSchema(
            description: "A launch template: what an instance (or an Auto Scaling group's instances) starts from.",
            attributes: [
                "name": .init(.string, .required, forcesReplacement: true, description: "3-128 letters, digits and ( ) . - / _"),
                "imageId": .init(.string, .required, description: "The AMI; a change makes a new default version."),
                "instanceType": .init(.string, .optional, description: "e.g. t3.micro; a change makes a new default version."),
                "securityGroupIds": .init(.list, .optional, description: "Security group ids; a change makes a new default version."),
                "userData": .init(.string, .optional, description: "Plain text (base64-encoded for AWS here); a change makes a new default version."),
                "tags": CommonAttributes.tags,
                "id": CommonAttributes.id,
                "arn": CommonAttributes.arn,
                "defaultVersion": .init(.number, .computed),
                "latestVersion": .init(.number, .computed),
            ],
            typicalCreateSeconds: 1)
    }

    func check(_ inputs: Inputs) -> [CheckProblem] {
        var problems: [CheckProblem] = []
        if let name = inputs.string("name") {
            let allowed = Set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789().-/_")
            if name.count < 3 || name.count > 128 {
                problems.append(CheckProblem(attribute: "name", message: "launch template name '\(name)' must be 3 to 128 characters long"))
            } else if let bad = name.first(where: { !allowed.contains($0) }) {
                problems.append(CheckProblem(attribute: "name", message: "launch template name '\(name)' may hold only letters, digits and ( ) . - / _, not '\(bad)'"))
            }
        }
        if let image = inputs.string("imageId"), !image.hasPrefix("ami-") {
            problems.append(CheckProblem(attribute: "imageId", message: "imageId '\(image)' is not an AMI id (ami-…)"))
        }
        if let kind = inputs.string("instanceType"), kind.split(separator: ".").count != 2 {
            problems.append(CheckProblem(attribute: "instanceType", message: "instanceType '\(kind)' is not an instance type such as t3.micro"))
        }
        if let data = inputs.string("userData"), data.utf8.count > 12_000 {
            problems.append(CheckProblem(attribute: "userData", message: "userData is \(data.utf8.count) bytes; AWS takes at most 16 KB once base64-encoded"))
        }
        return problems
    }

    func create(_ inputs: Inputs, token: String, tags: [String: String], in context: ResourceContext) async throws -> String {
        let name = try inputs.require("name", for: type)
        var params = QueryParameters()
        params["LaunchTemplateName"] = name
        params["ClientToken"] = String(Digest.sha256Hex(Array("strata:\(token)".utf8)).prefix(64))
        encodeData(inputs, into: &params)
        params.tagSpecification(resourceType: "launch-template", tags: tags)
        context.progress.report("creating launch template \(name)")
        let answer = try await context.client.query(service: .ec2, action: "CreateLaunchTemplate", params: params)
        guard let id = answer.string("launchTemplate", "launchTemplateId") else {
            throw PluginError(.fatal, "CreateLaunchTemplate answered without a launchTemplateId: \(answer)")
        }
        return id
    }

    func read(id: String, recorded: Inputs?, in context: ResourceContext) async throws -> [String: Value]? {
        guard let template = try await describe(id, context) else { return nil }
        var outputs: [String: Value] = [
            "id": .string(id),
            "name": template.string("launchTemplateName").map(Value.string) ?? .null,
            "defaultVersion": template.string("defaultVersionNumber").flatMap(Double.init).map(Value.number) ?? .null,
            "latestVersion": template.string("latestVersionNumber").flatMap(Double.init).map(Value.number) ?? .null,
        ]
        // The answer carries no ARN: it is built from the account in `createdBy` (arn:aws:iam::ACCOUNT:…).
        if let owner = template.string("createdBy").flatMap(ARN.init)?.account, !owner.isEmpty {
            outputs["arn"] = .string("arn:\(context.partition):ec2:\(context.region):\(owner):launch-template/\(id)")
        }
        for (key, value) in try await defaultData(id, context) { outputs[key] = value }
        if let written = recorded?["securityGroupIds"], let actual = outputs["securityGroupIds"]?.listValue?.compactMap(\.stringValue) {
            outputs["securityGroupIds"] = ListAttribute.output(written, actual)
        }
        StrataTags.output(StrataTags.userTags(EC2.tags(template)), recorded: recorded, into: &outputs)
        return outputs
    }

    /// A new version with the stack's data, made the default, when the data differs.
    func update(id: String, prior: Inputs, inputs: Inputs, in context: ResourceContext) async throws {
        let current = try await defaultData(id, context)
        let differs = Self.dataKeys.contains { key in
            let wanted = inputs[key], actual = current[key]
            if key == "securityGroupIds" {
                return Set(ListAttribute.strings(inputs, key) ?? []) != Set(actual?.listValue?.compactMap(\.stringValue) ?? [])
            }
            return (wanted ?? .null) != (actual ?? .null)
        }
        if differs {
            var params: QueryParameters = ["LaunchTemplateId": id]
            encodeData(inputs, into: &params)
            context.progress.report("creating a new version of \(id)")
            let answer = try await context.client.query(service: .ec2, action: "CreateLaunchTemplateVersion", params: params)
            guard let version = answer.string("launchTemplateVersion", "versionNumber") else {
                throw PluginError(.fatal, "CreateLaunchTemplateVersion answered without a versionNumber: \(answer)")
            }
            context.progress.report("making version \(version) of \(id) the default")
            _ = try await context.client.query(service: .ec2, action: "ModifyLaunchTemplate", params: ["LaunchTemplateId": id, "SetDefaultVersion": version])
        }
        try await EC2.updateTags(id: id, from: prior.tags, to: inputs.tags, client: context.client)
    }

    func delete(id: String, in context: ResourceContext) async throws {
        context.progress.report("deleting launch template \(id)")
        do {
            _ = try await context.client.query(service: .ec2, action: "DeleteLaunchTemplate", params: ["LaunchTemplateId": id])
        } catch let error as AWSError where error.kind == .notFound {
            return
        }
    }

    /// By name (unique in a region), if it carries the token.
    func find(token: String, inputs: Inputs, in context: ResourceContext) async throws -> String? {
        guard let name = inputs.string("name") else { return nil }
        var params = QueryParameters()
        params.list("LaunchTemplateName", [name])
        do {
            let items = try await context.client.queryPages(service: .ec2, action: "DescribeLaunchTemplates", params: params, listElement: "launchTemplates")
            return items.first { EC2.tags($0)[StrataTags.token] == token }?.string("launchTemplateId")
        } catch let error as AWSError where error.kind == .notFound {
            return nil
        }
    }

    func discover(tags: [String: String], in context: ResourceContext) async throws -> [DiscoveredResource] {
        try await Discovery.ec2(self, action: "DescribeLaunchTemplates", listElement: "launchTemplates", idElement: "launchTemplateId", tags: tags, in: context)
    }

    // MARK: Helpers

    private func encodeData(_ inputs: Inputs, into params: inout QueryParameters) {
        params["LaunchTemplateData.ImageId"] = inputs.string("imageId")
        params["LaunchTemplateData.InstanceType"] = inputs.string("instanceType")
        params.list("LaunchTemplateData.SecurityGroupId", ListAttribute.strings(inputs, "securityGroupIds") ?? [])
        if let data = inputs.string("userData") { params["LaunchTemplateData.UserData"] = Data(data.utf8).base64EncodedString() }
    }

    /// The default version's data, by attribute (only what it sets).
    private func defaultData(_ id: String, _ context: ResourceContext) async throws -> [String: Value] {
        var params: QueryParameters = ["LaunchTemplateId": id]
        params.list("LaunchTemplateVersion", ["$Default"])
        let versions = try await context.client.query(service: .ec2, action: "DescribeLaunchTemplateVersions", params: params)
        guard let data = versions.items("launchTemplateVersionSet").first?.child("launchTemplateData") else { return [:] }
        var out: [String: Value] = [:]
        if let image = data.string("imageId") { out["imageId"] = .string(image) }
        if let kind = data.string("instanceType") { out["instanceType"] = .string(kind) }
        let groups = data.items("securityGroupIdSet").map(\.text)
        if !groups.isEmpty { out["securityGroupIds"] = .list(groups.map(Value.string)) }
        if let encoded = data.string("userData"), !encoded.isEmpty {
            out["userData"] = .string(Data(base64Encoded: encoded).flatMap { String(data: $0, encoding: .utf8) } ?? encoded)
        }
        return out
    }

    private func describe(_ id: String, _ context: ResourceContext) async throws -> XMLTree? {
        try await EC2.describeOne(action: "DescribeLaunchTemplates", idParameter: "LaunchTemplateId", id: id, listElement: "launchTemplates", client: context.client)
    }
}
