import Foundation
import StrataAWSKit
import StrataModel
import StrataPluginKit

/// What the AWS Backup types share (REST-JSON): tags as a map through `/tags/{arn}/` and
/// `/untag/{arn}`.
enum BackupAPI {
    static func call(_ method: String, _ path: [String], query: [HTTPRequest.QueryItem] = [], body: [String: Value]? = nil,
                     operation: String, _ context: ResourceContext) async throws -> [String: Value] {
        try await context.client.restJSON(service: .backup, method: method, path: path, query: query, body: body, operation: operation).body
    }

    static func get(_ path: [String], operation: String, _ context: ResourceContext) async throws -> [String: Value]? {
        do {
            return try await call("GET", path, operation: operation, context)
        } catch let error as AWSError where error.kind == .notFound || error.code == "ResourceNotFoundException" {
            return nil
        }
    }

    static func tags(_ arn: String, _ context: ResourceContext) async throws -> [String: String] {
        (try await call("GET", ["tags", arn, ""], operation: "ListTags", context)["Tags"]?.mapValue ?? [:]).compactMapValues(\.stringValue)
    }

    static func updateTags(_ arn: String, to new: [String: String], _ context: ResourceContext) async throws {
        let old = StrataTags.userTags(try await tags(arn, context)), new = StrataTags.userTags(new)
        let removed = old.keys.filter { new[$0] == nil }.sorted()
        if !removed.isEmpty {
            _ = try await call("POST", ["untag", arn], body: ["TagKeyList": .list(removed.map(Value.string))], operation: "UntagResource", context)
        }
        let changed = new.filter { old[$0.key] != $0.value }
        if !changed.isEmpty {
            _ = try await call("POST", ["tags", arn], body: ["Tags": StrataTags.value(changed)], operation: "TagResource", context)
        }
    }

    static func nameProblem(_ name: String, attribute: String) -> CheckProblem? {
        let allowed = CharacterSet(charactersIn: "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.")
        if name.count < 2 || name.count > 50 || !name.unicodeScalars.allSatisfy({ allowed.contains($0) }) {
            return CheckProblem(attribute: attribute, message: "\(attribute) '\(name)' must be 2 to 50 letters, digits, hyphens, underscores or dots")
        }
        return nil
    }
}

/// `aws_backup_vault`: CreateBackupVault / DescribeBackupVault + ListTags / TagResource,
/// UntagResource / DeleteBackupVault (only an empty vault can go). Its id is its name.
struct BackupVaultResource: AWSResource {
    let type = "aws_backup_vault"

    var schema: ResourceSchema {
        ResourceSchema(
            description: "An AWS Backup vault (where recovery points are kept).",
            attributes: [
                "name": .init(.string, .required, forcesReplacement: true),
                "kmsKeyArn": .init(.string, .optionalComputed, forcesReplacement: true, description: "The key recovery points are encrypted with (default: AWS Backup's)."),
                "tags": CommonAttributes.tags,
                "id": .init(.string, .computed, description: "The name."),
                "arn": CommonAttributes.arn,
            ],
            typicalCreateSeconds: 1)
    }

    func check(_ inputs: Inputs) -> [CheckProblem] {
        guard let name = inputs.string("name"), let bad = BackupAPI.nameProblem(name, attribute: "name") else { return [] }
        return [bad]
    }

    func create(_ inputs: Inputs, token: String, tags: [String: String], in context: ResourceContext) async throws -> String {
        let name = try inputs.require("name", for: type)
        var body: [String: Value] = ["BackupVaultTags": StrataTags.value(tags), "CreatorRequestId": .string(token)]
        if let key = inputs.string("kmsKeyArn") { body["EncryptionKeyArn"] = .string(key) }
        context.progress.report("creating backup vault \(name)")
        do {
            _ = try await BackupAPI.call("PUT", ["backup-vaults", name], body: body, operation: "CreateBackupVault", context)
        } catch let error as AWSError where error.kind == .conflict {
            throw PluginError(.conflict, "a backup vault named \(name) already exists and was not made by this stack; choose another name, or adopt it with import", providerCode: error.code)
        }
        return name
    }

    func read(id: String, recorded: Inputs?, in context: ResourceContext) async throws -> [String: Value]? {
        guard let vault = try await BackupAPI.get(["backup-vaults", id], operation: "DescribeBackupVault", context),
            let arn = vault["BackupVaultArn"]?.stringValue
        else { return nil }
        var outputs: [String: Value] = ["id": .string(id), "name": .string(id), "arn": .string(arn)]
        if let key = vault["EncryptionKeyArn"]?.stringValue { outputs["kmsKeyArn"] = .string(key) }
        StrataTags.output(StrataTags.userTags(try await BackupAPI.tags(arn, context)), recorded: recorded, into: &outputs)
        return outputs
    }

    func update(id: String, prior: Inputs, inputs: Inputs, in context: ResourceContext) async throws {
        guard let arn = try await read(id: id, recorded: prior, in: context)?["arn"]?.stringValue else {
            throw PluginError(.notFound, "backup vault \(id) does not exist", providerCode: "ResourceNotFoundException")
        }
        try await BackupAPI.updateTags(arn, to: inputs.tags, context)
    }

    func delete(id: String, in context: ResourceContext) async throws {
        context.progress.report("deleting backup vault \(id)")
        do {
            _ = try await BackupAPI.call("DELETE", ["backup-vaults", id], operation: "DeleteBackupVault", context)
        } catch let error as AWSError where error.kind == .notFound || error.code == "ResourceNotFoundException" {
            return
        } catch let error as AWSError where error.code == "InvalidRequestException" {
            throw PluginError(.conflict, "backup vault \(id) still holds recovery points; delete them (aws backup list-recovery-points-by-backup-vault) and destroy again", providerCode: error.code)
        }
    }

    func vaults(_ context: ResourceContext) async throws -> [(name: String, arn: String)] {
        try await context.client.restJSONPages(service: .backup, path: ["backup-vaults", ""], listKey: "BackupVaultList", nextKey: "NextToken", operation: "ListBackupVaults")
            .compactMap { vault in
                guard let name = vault.mapValue?["BackupVaultName"]?.stringValue, let arn = vault.mapValue?["BackupVaultArn"]?.stringValue else { return nil }
                return (name, arn)
            }
    }

    func find(token: String, inputs: Inputs, in context: ResourceContext) async throws -> String? {
        guard let name = inputs.string("name"), let arn = try await read(id: name, recorded: inputs, in: context)?["arn"]?.stringValue else { return nil }
        return try await BackupAPI.tags(arn, context)[StrataTags.token] == token ? name : nil
    }

    func discover(tags: [String: String], in context: ResourceContext) async throws -> [DiscoveredResource] {
        var candidates: [(id: String, tags: [String: String])] = []
        for (name, arn) in try await vaults(context) {
            let actual = try await BackupAPI.tags(arn, context)
            if Discovery.matches(actual, tags) { candidates.append((name, actual)) }
        }
        return try await Discovery.read(self, candidates, in: context)
    }
}

/// `aws_backup_plan`: one rule (schedule, target vault, retention) per plan as the stack
/// declares it. CreateBackupPlan / GetBackupPlan + ListTags / UpdateBackupPlan, TagResource,
/// UntagResource / DeleteBackupPlan. Its id is the plan id.
struct BackupPlanResource: AWSResource {
    let type = "aws_backup_plan"

    var schema: ResourceSchema {
        ResourceSchema(
            description: "An AWS Backup plan with one rule.",
            attributes: [
                "name": .init(.string, .required, description: "Changes in place."),
                "ruleName": .init(.string, .required, description: "Changes in place."),
                "targetVaultName": .init(.string, .required, description: "Changes in place."),
                "schedule": .init(.string, .required, description: "cron(...) in UTC, e.g. cron(0 5 * * ? *); changes in place."),
                "deleteAfterDays": .init(.number, .optional, description: "Retention; changes in place."),
                "tags": CommonAttributes.tags,
                "id": .init(.string, .computed, description: "The plan id."),
                "arn": CommonAttributes.arn,
                "versionId": .init(.string, .computed),
            ],
            typicalCreateSeconds: 1)
    }

    func check(_ inputs: Inputs) -> [CheckProblem] {
        var problems: [CheckProblem] = []
        if let schedule = inputs.string("schedule"), !(schedule.hasPrefix("cron(") || schedule.hasPrefix("rate(")) || !schedule.hasSuffix(")") {
            problems.append(CheckProblem(attribute: "schedule", message: "schedule must be cron(...) or rate(...) (not '\(schedule)')"))
        }
        if let bad = DataChecks.intProblem(inputs["deleteAfterDays"], 1...36500, attribute: "deleteAfterDays") { problems.append(bad) }
        if let name = inputs.string("ruleName"), let bad = BackupAPI.nameProblem(name, attribute: "ruleName") { problems.append(bad) }
        return problems
    }

    func plan(_ inputs: Inputs) -> Value {
        var rule: [String: Value] = [
            "RuleName": .string(inputs.string("ruleName") ?? ""), "TargetBackupVaultName": .string(inputs.string("targetVaultName") ?? ""),
            "ScheduleExpression": .string(inputs.string("schedule") ?? ""),
        ]
        if let days = inputs.int("deleteAfterDays") { rule["Lifecycle"] = .map(["DeleteAfterDays": .number(Double(days))]) }
        return .map(["BackupPlanName": .string(inputs.string("name") ?? ""), "Rules": .list([.map(rule)])])
    }

    func create(_ inputs: Inputs, token: String, tags: [String: String], in context: ResourceContext) async throws -> String {
        context.progress.report("creating backup plan \(inputs.string("name") ?? "")")
        let answer = try await BackupAPI.call("PUT", ["backup", "plans", ""], body: [
            "BackupPlan": plan(inputs), "BackupPlanTags": StrataTags.value(tags), "CreatorRequestId": .string(token),
        ], operation: "CreateBackupPlan", context)
        guard let id = answer["BackupPlanId"]?.stringValue else { throw PluginError(.fatal, "CreateBackupPlan answered without a BackupPlanId") }
        return id
    }

    func read(id: String, recorded: Inputs?, in context: ResourceContext) async throws -> [String: Value]? {
        guard let answer = try await BackupAPI.get(["backup", "plans", id, ""], operation: "GetBackupPlan", context),
            (answer["DeletionDate"] ?? .null) == .null, let plan = answer["BackupPlan"]?.mapValue
        else { return nil }
        let arn = answer["BackupPlanArn"]?.stringValue ?? ""
        let rule = plan["Rules"]?.listValue?.first?.mapValue ?? [:]
        var outputs: [String: Value] = [
            "id": .string(id), "arn": .string(arn), "versionId": answer["VersionId"] ?? .null, "name": plan["BackupPlanName"] ?? .null,
            "ruleName": rule["RuleName"] ?? .null, "targetVaultName": rule["TargetBackupVaultName"] ?? .null,
            "schedule": rule["ScheduleExpression"] ?? .null,
        ]
        if let days = rule["Lifecycle"]?.mapValue?["DeleteAfterDays"], days != .null { outputs["deleteAfterDays"] = days }
        StrataTags.output(StrataTags.userTags(try await BackupAPI.tags(arn, context)), recorded: recorded, into: &outputs)
        return outputs
    }

    func update(id: String, prior: Inputs, inputs: Inputs, in context: ResourceContext) async throws {
        guard let current = try await read(id: id, recorded: prior, in: context).map(Inputs.init), let arn = current.string("arn") else {
            throw PluginError(.notFound, "backup plan \(id) does not exist", providerCode: "ResourceNotFoundException")
        }
        if plan(inputs) != plan(current) {
            context.progress.report("updating backup plan \(id)")
            _ = try await BackupAPI.call("POST", ["backup", "plans", id], body: ["BackupPlan": plan(inputs)], operation: "UpdateBackupPlan", context)
        }
        try await BackupAPI.updateTags(arn, to: inputs.tags, context)
    }

    func delete(id: String, in context: ResourceContext) async throws {
        context.progress.report("deleting backup plan \(id)")
        do {
            _ = try await BackupAPI.call("DELETE", ["backup", "plans", id], operation: "DeleteBackupPlan", context)
        } catch let error as AWSError where error.kind == .notFound || error.code == "ResourceNotFoundException" {
            return
        }
    }

    func plans(_ context: ResourceContext) async throws -> [(id: String, arn: String)] {
        try await context.client.restJSONPages(service: .backup, path: ["backup", "plans", ""], listKey: "BackupPlansList", nextKey: "NextToken", operation: "ListBackupPlans")
            .compactMap { plan in
                guard let fields = plan.mapValue, (fields["DeletionDate"] ?? .null) == .null,
                    let id = fields["BackupPlanId"]?.stringValue, let arn = fields["BackupPlanArn"]?.stringValue
                else { return nil }
                return (id, arn)
            }
    }

    func find(token: String, inputs: Inputs, in context: ResourceContext) async throws -> String? {
        for (id, arn) in try await plans(context) where try await BackupAPI.tags(arn, context)[StrataTags.token] == token { return id }
        return nil
    }

    func discover(tags: [String: String], in context: ResourceContext) async throws -> [DiscoveredResource] {
        var candidates: [(id: String, tags: [String: String])] = []
        for (id, arn) in try await plans(context) {
            let actual = try await BackupAPI.tags(arn, context)
            if Discovery.matches(actual, tags) { candidates.append((id, actual)) }
        }
        return try await Discovery.read(self, candidates, in: context)
    }
}

/// `aws_backup_selection`: what a plan backs up — the resources carrying a tag (and/or listed
/// ARNs), assumed through an IAM role. CreateBackupSelection / GetBackupSelection /
/// DeleteBackupSelection; AWS cannot change a selection, so every attribute forces
/// replacement. Its id is `planId/selectionId`. Selections cannot be tagged: one is found by
/// its plan and name, and `discover` finds none.
struct BackupSelectionResource: AWSResource {
    let type = "aws_backup_selection"

    var schema: ResourceSchema {
        ResourceSchema(
            description: "An AWS Backup selection by tag.",
            attributes: [
                "planId": .init(.string, .required, forcesReplacement: true),
                "name": .init(.string, .required, forcesReplacement: true),
                "iamRoleArn": .init(.string, .required, forcesReplacement: true, description: "A role AWS Backup assumes (with AWSBackupServiceRolePolicyForBackup)."),
                "selectionTags": .init(.map, .optional, forcesReplacement: true, description: "Tag key → value: resources carrying any of them are backed up."),
                "resources": .init(.list, .optional, forcesReplacement: true, description: "Resource ARNs (or * patterns)."),
                "id": .init(.string, .computed, description: "planId/selectionId."),
                "selectionId": .init(.string, .computed),
            ],
            typicalCreateSeconds: 1)
    }

    func check(_ inputs: Inputs) -> [CheckProblem] {
        var problems: [CheckProblem] = []
        if let name = inputs.string("name"), let bad = BackupAPI.nameProblem(name, attribute: "name") { problems.append(bad) }
        if let role = inputs.string("iamRoleArn"), !role.contains(":iam::") || !role.contains(":role/") {
            problems.append(CheckProblem(attribute: "iamRoleArn", message: "iamRoleArn must be an IAM role ARN (not '\(role)')"))
        }
        if inputs.isKnown("selectionTags"), inputs.isKnown("resources"), inputs["selectionTags"] == nil, inputs["resources"] == nil {
            problems.append(CheckProblem(attribute: "selectionTags", message: "a selection needs selectionTags or resources"))
        }
        return problems
    }

    func create(_ inputs: Inputs, token: String, tags: [String: String], in context: ResourceContext) async throws -> String {
        let plan = try inputs.require("planId", for: type)
        let selectionTags = (inputs["selectionTags"]?.revealed.mapValue ?? [:]).compactMapValues(\.stringValue)
        let selection: [String: Value] = [
            "SelectionName": .string(try inputs.require("name", for: type)), "IamRoleArn": .string(try inputs.require("iamRoleArn", for: type)),
            "ListOfTags": .list(selectionTags.keys.sorted().map {
                .map(["ConditionType": "STRINGEQUALS", "ConditionKey": .string($0), "ConditionValue": .string(selectionTags[$0] ?? "")])
            }),
            "Resources": .list((inputs.strings("resources") ?? []).map(Value.string)),
        ]
        context.progress.report("creating backup selection \(inputs.string("name") ?? "") of plan \(plan)")
        let answer = try await BackupAPI.call("PUT", ["backup", "plans", plan, "selections", ""], body: [
            "BackupSelection": .map(selection), "CreatorRequestId": .string(token),
        ], operation: "CreateBackupSelection", context)
        guard let id = answer["SelectionId"]?.stringValue else { throw PluginError(.fatal, "CreateBackupSelection answered without a SelectionId") }
        return "\(plan)/\(id)"
    }

    func read(id: String, recorded: Inputs?, in context: ResourceContext) async throws -> [String: Value]? {
        guard let slash = id.firstIndex(of: "/") else { throw PluginError(.invalid, "a backup selection id is planId/selectionId, not '\(id)'") }
        let plan = String(id[..<slash]), selectionId = String(id[id.index(after: slash)...])
        guard let answer = try await BackupAPI.get(["backup", "plans", plan, "selections", selectionId], operation: "GetBackupSelection", context),
            let selection = answer["BackupSelection"]?.mapValue
        else { return nil }
        var outputs: [String: Value] = [
            "id": .string(id), "planId": .string(plan), "selectionId": .string(selectionId),
            "name": selection["SelectionName"] ?? .null, "iamRoleArn": selection["IamRoleArn"] ?? .null,
        ]
        var tags: [String: Value] = [:]
        for condition in selection["ListOfTags"]?.listValue ?? [] {
            if let key = condition.mapValue?["ConditionKey"]?.stringValue { tags[key] = condition.mapValue?["ConditionValue"] ?? .string("") }
        }
        if !tags.isEmpty || recorded?["selectionTags"] != nil { outputs["selectionTags"] = .map(tags) }
        let resources = selection["Resources"]?.listValue?.compactMap(\.stringValue) ?? []
        if !resources.isEmpty || recorded?["resources"] != nil { outputs["resources"] = OrderedList.value(resources, recorded: recorded?.strings("resources")) }
        return outputs
    }

    func update(id: String, prior: Inputs, inputs: Inputs, in context: ResourceContext) async throws {
        throw PluginError(.invalid, "a backup selection does not change in place; every attribute forces replacement")
    }

    func delete(id: String, in context: ResourceContext) async throws {
        guard let slash = id.firstIndex(of: "/") else { return }
        do {
            _ = try await BackupAPI.call("DELETE", ["backup", "plans", String(id[..<slash]), "selections", String(id[id.index(after: slash)...])], operation: "DeleteBackupSelection", context)
        } catch let error as AWSError where error.kind == .notFound || error.code == "ResourceNotFoundException" {
            return
        }
    }

    func find(token: String, inputs: Inputs, in context: ResourceContext) async throws -> String? {
        guard let plan = inputs.string("planId"), let name = inputs.string("name") else { return nil }
        let selections: [Value]
        do {
            selections = try await context.client.restJSONPages(service: .backup, path: ["backup", "plans", plan, "selections", ""], listKey: "BackupSelectionsList", nextKey: "NextToken", operation: "ListBackupSelections")
        } catch let error as AWSError where error.kind == .notFound || error.code == "ResourceNotFoundException" {
            return nil
        }
        return selections.compactMap(\.mapValue).first { $0["SelectionName"]?.stringValue == name }?["SelectionId"]?.stringValue.map { "\(plan)/\($0)" }
    }

    func discover(tags: [String: String], in context: ResourceContext) async throws -> [DiscoveredResource] { [] }
}
