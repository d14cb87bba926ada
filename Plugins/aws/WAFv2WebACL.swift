import Foundation
import StrataAWSKit
import StrataModel
import StrataPluginKit

/// `aws_wafv2_web_acl`: CreateWebACL (tags) / GetWebACL + ListTagsForResource / UpdateWebACL
/// (with the lock token), TagResource, UntagResource / DeleteWebACL. The id is the ARN, which
/// holds the scope, name and id WAF addresses a web ACL by. Rules: AWS managed rule groups and
/// rate-based rules.
struct WAFv2WebACLResource: AWSResource {
    let type = "aws_wafv2_web_acl"
    static let scopes = ["REGIONAL", "CLOUDFRONT"]
    static let defaultActions = ["allow", "block"]
    static let ruleActions = ["block", "count", "allow"]
    static let overrideActions = ["none", "count"]

    var schema: ResourceSchema {
        ResourceSchema(
            description: "A WAFv2 web ACL: a default action and rules (managed rule groups, rate limits per IP). REGIONAL ones protect load balancers and API stages; CLOUDFRONT ones must be made in us-east-1.",
            attributes: [
                "name": .init(.string, .required, forcesReplacement: true),
                "scope": .init(.string, .optionalComputed, forcesReplacement: true, description: "REGIONAL (the default) or CLOUDFRONT."),
                "description": .init(.string, .optional),
                "defaultAction": .init(.string, .required, description: "allow or block."),
                "rules": .init(.list, .optional, description: "[{name, priority, managedRuleGroup, vendorName, overrideAction} or {name, priority, rateLimit, aggregateKeyType, action}]."),
                "tags": CommonAttributes.tags,
                "id": .init(.string, .computed, description: "The ARN."),
                "arn": CommonAttributes.arn,
                "webAclId": .init(.string, .computed),
                "capacity": .init(.number, .computed),
            ],
            typicalCreateSeconds: 2)
    }

    func check(_ inputs: Inputs) -> [CheckProblem] {
        var problems: [CheckProblem] = []
        func problem(_ attribute: String, _ message: String) { problems.append(CheckProblem(attribute: attribute, message: message)) }
        if let name = inputs.string("name") {
            let allowed = CharacterSet.alphanumerics.union(CharacterSet(charactersIn: "_-"))
            if name.isEmpty || name.count > 128 || name.unicodeScalars.contains(where: { !$0.isASCII || !allowed.contains($0) }) {
                problem("name", "name '\(name)' must be 1 to 128 ASCII letters, digits, _ and -")
            }
        }
        if let scope = inputs.string("scope"), !Self.scopes.contains(scope) { problem("scope", "scope must be REGIONAL or CLOUDFRONT, not '\(scope)'") }
        if let action = inputs.string("defaultAction"), !Self.defaultActions.contains(action) {
            problem("defaultAction", "defaultAction must be allow or block, not '\(action)'")
        }
        var names: Set<String> = [], priorities: Set<Double> = []
        for (index, value) in (inputs.list("rules") ?? []).enumerated() {
            guard let rule = value.mapValue else { problem("rules", "rules[\(index)] must be a map"); continue }
            if let name = rule["name"]?.stringValue { if !names.insert(name).inserted { problem("rules", "rules: the name '\(name)' is used twice") } }
            else { problem("rules", "rules[\(index)] needs a name") }
            if let priority = rule["priority"]?.numberValue { if !priorities.insert(priority).inserted { problem("rules", "rules: the priority \(Int(priority)) is used twice") } }
            else { problem("rules", "rules[\(index)] needs a priority") }
            let managed = rule["managedRuleGroup"] != nil, rate = rule["rateLimit"] != nil
            if managed == rate { problem("rules", "rules[\(index)] needs exactly one of managedRuleGroup and rateLimit") }
            if let limit = rule["rateLimit"]?.numberValue, limit < 10 || limit > 2_000_000_000 {
                problem("rules", "rules[\(index)].rateLimit must be 10 to 2000000000 requests per 5 minutes")
            }
            if let action = rule["action"]?.stringValue, !Self.ruleActions.contains(action) {
                problem("rules", "rules[\(index)].action must be one of \(Self.ruleActions.joined(separator: ", ")), not '\(action)'")
            }
            if let action = rule["overrideAction"]?.stringValue, !Self.overrideActions.contains(action) {
                problem("rules", "rules[\(index)].overrideAction must be none or count, not '\(action)'")
            }
            if managed, rule["action"] != nil { problem("rules", "rules[\(index)]: a managed rule group takes overrideAction, not action") }
            if rate, rule["overrideAction"] != nil { problem("rules", "rules[\(index)]: a rate-based rule takes action, not overrideAction") }
        }
        return problems
    }

    /// `arn:aws:wafv2:REGION:ACCOUNT:regional/webacl/NAME/ID` (`global/…` for CLOUDFRONT) → its parts.
    static func parts(_ arn: String) throws -> (id: String, name: String, scope: String) {
        guard let parts = ARN.webACL(arn) else {
            throw PluginError(.invalid, "'\(arn)' is not a web ACL ARN (arn:aws:wafv2:REGION:ACCOUNT:regional/webacl/NAME/ID)")
        }
        return parts
    }

    static func visibility(_ name: String) -> Value {
        .map(["SampledRequestsEnabled": true, "CloudWatchMetricsEnabled": true, "MetricName": .string(name)])
    }

    /// The API's rules from the stack's.
    static func rules(_ inputs: Inputs) -> Value {
        .list((inputs.list("rules") ?? []).compactMap(\.mapValue).map { rule in
            let name = rule["name"]?.stringValue ?? ""
            var out: [String: Value] = ["Name": .string(name), "Priority": rule["priority"] ?? 0, "VisibilityConfig": visibility(name)]
            if let group = rule["managedRuleGroup"]?.stringValue {
                out["Statement"] = .map(["ManagedRuleGroupStatement": .map(["VendorName": .string(rule["vendorName"]?.stringValue ?? "AWS"), "Name": .string(group)])])
                out["OverrideAction"] = .map([(rule["overrideAction"]?.stringValue ?? "none") == "count" ? "Count" : "None": .map([:])])
            } else {
                out["Statement"] = .map(["RateBasedStatement": .map([
                    "Limit": rule["rateLimit"] ?? 2000, "AggregateKeyType": .string(rule["aggregateKeyType"]?.stringValue ?? "IP"),
                ])])
                out["Action"] = .map([(rule["action"]?.stringValue ?? "block").capitalized: .map([:])])
            }
            return .map(out)
        })
    }

    static func action(_ name: String) -> Value { .map([name.capitalized: .map([:])]) }

    /// The first key of `{"Block": {}}`, lower-cased.
    static func actionName(_ value: Value?) -> String? { value?.mapValue?.keys.sorted().first?.lowercased() }

    func create(_ inputs: Inputs, token: String, tags: [String: String], in context: ResourceContext) async throws -> String {
        let name = try inputs.require("name", for: type)
        let scope = inputs.string("scope") ?? "REGIONAL"
        var body: [String: Value] = [
            "Name": .string(name), "Scope": .string(scope),
            "DefaultAction": Self.action(try inputs.require("defaultAction", for: type)),
            "Rules": Self.rules(inputs), "VisibilityConfig": Self.visibility(name),
            "Tags": .list(tags.keys.sorted().map { .map(["Key": .string($0), "Value": .string(tags[$0] ?? "")]) }),
        ]
        if let description = inputs.string("description") { body["Description"] = .string(description) }
        context.progress.report("creating web ACL \(name)")
        do {
            let answer = try await context.client.json(service: .wafv2, target: "CreateWebACL", body: body)
            guard let arn = answer["Summary"]?.mapValue?["ARN"]?.stringValue else { throw PluginError(.fatal, "CreateWebACL answered without an ARN") }
            return arn
        } catch let error as AWSError where error.code == "WAFDuplicateItemException" {
            throw PluginError(.conflict, "a \(scope) web ACL named \(name) already exists and was not made by this stack; choose another name, or adopt it with import", providerCode: error.code)
        }
    }

    private func get(_ id: String, _ context: ResourceContext) async throws -> (acl: [String: Value], lockToken: String?)? {
        let (aclId, name, scope) = try Self.parts(id)
        do {
            let answer = try await context.client.json(service: .wafv2, target: "GetWebACL", body: ["Id": .string(aclId), "Name": .string(name), "Scope": .string(scope)])
            guard let acl = answer["WebACL"]?.mapValue else { return nil }
            return (acl, answer["LockToken"]?.stringValue)
        } catch let error as AWSError where error.kind == .notFound || error.code == "WAFNonexistentItemException" {
            return nil
        }
    }

    func read(id: String, recorded: Inputs?, in context: ResourceContext) async throws -> [String: Value]? {
        let (aclId, name, scope) = try Self.parts(id)
        guard let (acl, _) = try await get(id, context) else { return nil }
        let arn = acl["ARN"]?.stringValue ?? ""
        var outputs: [String: Value] = [
            "id": .string(id), "webAclId": .string(aclId), "name": .string(name), "scope": .string(scope), "arn": .string(arn),
            "defaultAction": .string(Self.actionName(acl["DefaultAction"]) ?? "allow"),
            "capacity": acl["Capacity"] ?? .null,
        ]
        let description = acl["Description"]?.stringValue ?? ""
        if !description.isEmpty || recorded?["description"] != nil { outputs["description"] = .string(description) }
        let declared = recorded?.list("rules")?.compactMap(\.mapValue) ?? []
        let rules = (acl["Rules"]?.listValue ?? []).compactMap(\.mapValue)
        if !rules.isEmpty || recorded?["rules"] != nil {
            outputs["rules"] = .list(rules.map { rule in
                let name = rule["Name"]?.stringValue ?? ""
                let mine = declared.first { $0["name"]?.stringValue == name } ?? [:]
                var out: [String: Value] = ["name": .string(name), "priority": rule["Priority"] ?? .null]
                func keep(_ key: String, _ value: Value, _ fallback: Value) { if mine[key] != nil || value != fallback { out[key] = value } }
                let statement = rule["Statement"]?.mapValue ?? [:]
                if let group = statement["ManagedRuleGroupStatement"]?.mapValue {
                    out["managedRuleGroup"] = group["Name"] ?? .null
                    keep("vendorName", group["VendorName"] ?? "AWS", "AWS")
                    keep("overrideAction", .string(Self.actionName(rule["OverrideAction"]) ?? "none"), "none")
                } else if let rate = statement["RateBasedStatement"]?.mapValue {
                    out["rateLimit"] = rate["Limit"] ?? .null
                    keep("aggregateKeyType", rate["AggregateKeyType"] ?? "IP", "IP")
                    keep("action", .string(Self.actionName(rule["Action"]) ?? "block"), "block")
                }
                return .map(out)
            })
        }
        StrataTags.output(StrataTags.userTags(try await tags(arn, context)), recorded: recorded, into: &outputs)
        return outputs
    }

    func update(id: String, prior: Inputs, inputs: Inputs, in context: ResourceContext) async throws {
        let (aclId, name, scope) = try Self.parts(id)
        guard let now = try await read(id: id, recorded: inputs, in: context), let (_, lockToken) = try await get(id, context) else {
            throw PluginError(.notFound, "web ACL \(id) no longer exists; run `strata refresh` then apply to make it again")
        }
        let changed = ["defaultAction", "description", "rules"].contains { (inputs[$0]?.revealed ?? .null) != (now[$0] ?? .null) }
        if changed {
            context.progress.report("updating web ACL \(name)")
            var body: [String: Value] = [
                "Id": .string(aclId), "Name": .string(name), "Scope": .string(scope), "LockToken": .string(lockToken ?? ""),
                "DefaultAction": Self.action(inputs.string("defaultAction") ?? "allow"), "Rules": Self.rules(inputs), "VisibilityConfig": Self.visibility(name),
            ]
            if let description = inputs.string("description") { body["Description"] = .string(description) }
            _ = try await context.client.json(service: .wafv2, target: "UpdateWebACL", body: body)
        }
        guard let arn = now["arn"]?.stringValue else { return }
        let have = StrataTags.userTags(try await tags(arn, context)), want = StrataTags.userTags(inputs.tags)
        let removed = have.keys.filter { want[$0] == nil }.sorted()
        let added = want.filter { have[$0.key] != $0.value }
        if !removed.isEmpty {
            _ = try await context.client.json(service: .wafv2, target: "UntagResource", body: ["ResourceARN": .string(arn), "TagKeys": .list(removed.map(Value.string))])
        }
        if !added.isEmpty {
            _ = try await context.client.json(service: .wafv2, target: "TagResource", body: [
                "ResourceARN": .string(arn), "Tags": .list(added.keys.sorted().map { .map(["Key": .string($0), "Value": .string(added[$0] ?? "")]) }),
            ])
        }
    }

    func delete(id: String, in context: ResourceContext) async throws {
        let (aclId, name, scope) = try Self.parts(id)
        guard let (_, lockToken) = try await get(id, context) else { return }
        context.progress.report("deleting web ACL \(name)")
        do {
            _ = try await context.client.json(service: .wafv2, target: "DeleteWebACL", body: [
                "Id": .string(aclId), "Name": .string(name), "Scope": .string(scope), "LockToken": .string(lockToken ?? ""),
            ])
        } catch let error as AWSError where error.kind == .notFound || error.code == "WAFNonexistentItemException" {
            return
        } catch let error as AWSError where error.code == "WAFAssociatedItemException" {
            throw PluginError(.conflict, "web ACL \(name) still protects resources not managed by this stack; disassociate them (`aws wafv2 list-resources-for-web-acl --web-acl-arn …`), then destroy again", providerCode: error.code)
        }
    }

    func find(token: String, inputs: Inputs, in context: ResourceContext) async throws -> String? {
        let scope = inputs.string("scope") ?? "REGIONAL"
        for acl in try await list(scope, context) where try await tags(acl.arn, context)[StrataTags.token] == token {
            return acl.arn
        }
        return nil
    }

    func discover(tags wanted: [String: String], in context: ResourceContext) async throws -> [DiscoveredResource] {
        var candidates: [(id: String, tags: [String: String])] = []
        // CLOUDFRONT web ACLs live in us-east-1 only.
        for scope in context.region == "us-east-1" ? Self.scopes : ["REGIONAL"] {
            for acl in try await list(scope, context) {
                let aclTags = try await tags(acl.arn, context)
                if Discovery.matches(aclTags, wanted) { candidates.append((acl.arn, aclTags)) }
            }
        }
        return try await Discovery.read(self, candidates, in: context)
    }

    /// ListWebACLs of one scope, every page (NextMarker).
    private func list(_ scope: String, _ context: ResourceContext) async throws -> [(id: String, name: String, arn: String)] {
        try await Paginator.collect { marker in
            var body: [String: Value] = ["Scope": .string(scope), "Limit": 100]
            if let marker { body["NextMarker"] = .string(marker) }
            let answer = try await context.client.json(service: .wafv2, target: "ListWebACLs", body: body)
            let items = (answer["WebACLs"]?.listValue ?? []).compactMap { item -> (id: String, name: String, arn: String)? in
                guard let fields = item.mapValue, let id = fields["Id"]?.stringValue, let name = fields["Name"]?.stringValue, let arn = fields["ARN"]?.stringValue else { return nil }
                return (id, name, arn)
            }
            return (items, items.isEmpty ? nil : answer["NextMarker"]?.stringValue)
        }
    }

    private func tags(_ arn: String, _ context: ResourceContext) async throws -> [String: String] {
        let answer = try await context.client.json(service: .wafv2, target: "ListTagsForResource", body: ["ResourceARN": .string(arn)])
        var tags: [String: String] = [:]
        for tag in answer["TagInfoForResource"]?.mapValue?["TagList"]?.listValue ?? [] {
            if let key = tag.mapValue?["Key"]?.stringValue { tags[key] = tag.mapValue?["Value"]?.stringValue ?? "" }
        }
        return tags
    }
}

/// `aws_wafv2_web_acl_association`: AssociateWebACL / GetWebACLForResource / DisassociateWebACL.
/// The id is `webAclArn,resourceArn`. Not taggable: found by its resource, never discovered.
struct WAFv2WebACLAssociationResource: AWSResource {
    let type = "aws_wafv2_web_acl_association"

    var schema: ResourceSchema {
        ResourceSchema(
            description: "A REGIONAL web ACL protecting a resource (an application load balancer, an API Gateway stage). Either changing makes a new association.",
            attributes: [
                "webAclArn": .init(.string, .required, forcesReplacement: true),
                "resourceArn": .init(.string, .required, forcesReplacement: true, description: "The load balancer's (or stage's) ARN."),
                "id": .init(.string, .computed, description: "`webAclArn,resourceArn`."),
            ],
            typicalCreateSeconds: 2)
    }

    func check(_ inputs: Inputs) -> [CheckProblem] {
        var problems: [CheckProblem] = []
        if let arn = inputs.string("webAclArn"), !(arn.hasPrefix("arn:") && arn.contains(":wafv2:") && arn.contains("/webacl/")) {
            problems.append(CheckProblem(attribute: "webAclArn", message: "webAclArn '\(arn)' is not a WAFv2 web ACL ARN"))
        }
        if let arn = inputs.string("resourceArn"), !arn.hasPrefix("arn:") {
            problems.append(CheckProblem(attribute: "resourceArn", message: "resourceArn '\(arn)' is not an ARN"))
        }
        return problems
    }

    static func parts(_ id: String) throws -> (acl: String, resource: String) {
        let pieces = id.split(separator: ",", maxSplits: 1).map(String.init)
        guard pieces.count == 2 else { throw PluginError(.invalid, "'\(id)' is not an association id; write it as WEB_ACL_ARN,RESOURCE_ARN") }
        return (pieces[0], pieces[1])
    }

    func create(_ inputs: Inputs, token: String, tags: [String: String], in context: ResourceContext) async throws -> String {
        let acl = try inputs.require("webAclArn", for: type), resource = try inputs.require("resourceArn", for: type)
        context.progress.report("associating \(acl) with \(resource)")
        _ = try await context.client.json(service: .wafv2, target: "AssociateWebACL", body: ["WebACLArn": .string(acl), "ResourceArn": .string(resource)])
        return "\(acl),\(resource)"
    }

    private func current(_ resource: String, _ context: ResourceContext) async throws -> String? {
        do {
            let answer = try await context.client.json(service: .wafv2, target: "GetWebACLForResource", body: ["ResourceArn": .string(resource)])
            return answer["WebACL"]?.mapValue?["ARN"]?.stringValue
        } catch let error as AWSError where error.kind == .notFound || error.code == "WAFNonexistentItemException" {
            return nil
        }
    }

    func read(id: String, recorded: Inputs?, in context: ResourceContext) async throws -> [String: Value]? {
        let (acl, resource) = try Self.parts(id)
        guard try await current(resource, context) == acl else { return nil }
        return ["id": .string(id), "webAclArn": .string(acl), "resourceArn": .string(resource)]
    }

    func update(id: String, prior: Inputs, inputs: Inputs, in context: ResourceContext) async throws {}

    func delete(id: String, in context: ResourceContext) async throws {
        let (acl, resource) = try Self.parts(id)
        guard try await current(resource, context) == acl else { return }
        context.progress.report("disassociating \(acl) from \(resource)")
        _ = try await context.client.json(service: .wafv2, target: "DisassociateWebACL", body: ["ResourceArn": .string(resource)])
    }

    func find(token: String, inputs: Inputs, in context: ResourceContext) async throws -> String? {
        guard let acl = inputs.string("webAclArn"), let resource = inputs.string("resourceArn") else { return nil }
        return try await current(resource, context) == acl ? "\(acl),\(resource)" : nil
    }

    func discover(tags: [String: String], in context: ResourceContext) async throws -> [DiscoveredResource] { [] }
}
