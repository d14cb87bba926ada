import Foundation
import StrataAWSKit
import StrataModel
import StrataPluginKit

/// `aws_route53_record`: one simple record set (no routing policy). ChangeResourceRecordSets
/// UPSERT / ListResourceRecordSets / UPSERT / DELETE. The id is `zoneId_name_type`. Record sets
/// carry no tags: found by zone, name and type, never discovered.
struct Route53RecordResource: AWSResource {
    let type = "aws_route53_record"

    var schema: ResourceSchema {
        ResourceSchema(
            description: "A Route 53 record set: a TTL and values, or an alias to an AWS endpoint (a CloudFront distribution, a load balancer, another record).",
            attributes: [
                "zoneId": .init(.string, .required, forcesReplacement: true),
                "name": .init(.string, .required, forcesReplacement: true, description: "The full name (`www.example.com`)."),
                "type": .init(.string, .required, forcesReplacement: true, description: "A, AAAA, CNAME, MX, TXT, …"),
                "ttl": .init(.number, .optional, description: "Seconds; required with records, not allowed with alias."),
                "records": .init(.list, .optional, description: "The values (strings)."),
                "alias": .init(.map, .optional, description: "{dnsName, zoneId, evaluateTargetHealth}."),
                "id": .init(.string, .computed, description: "`zoneId_name_type`."),
                "fqdn": .init(.string, .computed),
            ],
            typicalCreateSeconds: 2)
    }

    func check(_ inputs: Inputs) -> [CheckProblem] {
        var problems: [CheckProblem] = []
        if let name = inputs.string("name"), let problem = Route53.domainProblem(name, wildcard: true) {
            problems.append(CheckProblem(attribute: "name", message: "name \(problem)"))
        }
        if let type = inputs.string("type"), !Route53.recordTypes.contains(type) {
            problems.append(CheckProblem(attribute: "type", message: "type '\(type)' is not a record type (one of \(Route53.recordTypes.joined(separator: ", ")))"))
        }
        let hasRecords = inputs["records"] != nil, hasAlias = inputs["alias"] != nil
        if hasRecords == hasAlias {
            problems.append(CheckProblem(attribute: hasAlias ? "alias" : "records", message: "set exactly one of 'records' (with 'ttl') and 'alias'"))
        }
        if hasRecords && inputs["ttl"] == nil {
            problems.append(CheckProblem(attribute: "ttl", message: "'ttl' is required with 'records'"))
        }
        if hasAlias && inputs["ttl"] != nil {
            problems.append(CheckProblem(attribute: "ttl", message: "'ttl' cannot be set with 'alias' (the target's TTL applies)"))
        }
        if let ttl = inputs["ttl"]?.numberValue, ttl < 0 || ttl > 2_147_483_647 || ttl != ttl.rounded() {
            problems.append(CheckProblem(attribute: "ttl", message: "'ttl' must be a whole number of seconds from 0"))
        }
        if let records = inputs.list("records"), records.contains(where: { $0.isKnown && $0.stringValue == nil }) {
            problems.append(CheckProblem(attribute: "records", message: "'records' must be a list of strings"))
        }
        if let alias = inputs["alias"]?.revealed.mapValue {
            let unknownKeys = Set(alias.keys).subtracting(["dnsName", "zoneId", "evaluateTargetHealth"])
            if !unknownKeys.isEmpty {
                problems.append(CheckProblem(attribute: "alias", message: "alias has unknown keys \(unknownKeys.sorted()) (known: dnsName, zoneId, evaluateTargetHealth)"))
            }
            for key in ["dnsName", "zoneId"] where alias[key] == nil || alias[key] == .null {
                problems.append(CheckProblem(attribute: "alias", message: "alias needs '\(key)'"))
            }
        }
        return problems
    }

    static func id(zoneId: String, name: String, type: String) -> String { "\(zoneId)_\(Route53.normalized(name))_\(type)" }

    /// `Z123_www.example.com_A` → parts (names may hold `_`).
    static func parts(_ id: String) throws -> (zoneId: String, name: String, type: String) {
        let pieces = id.split(separator: "_", omittingEmptySubsequences: false)
        guard pieces.count >= 3 else { throw PluginError(.invalid, "'\(id)' is not a record id; write it as ZONEID_NAME_TYPE (Z123_www.example.com_A)") }
        return (String(pieces[0]), pieces[1..<(pieces.count - 1)].joined(separator: "_"), String(pieces[pieces.count - 1]))
    }

    /// The `<ResourceRecordSet>` the inputs describe.
    private func recordSet(_ inputs: Inputs) throws -> XMLTree {
        var children = [XMLTree(name: "Name", text: try inputs.require("name", for: type)), XMLTree(name: "Type", text: try inputs.require("type", for: type))]
        if let alias = inputs["alias"]?.revealed.mapValue {
            children.append(XMLTree(name: "AliasTarget", children: [
                XMLTree(name: "HostedZoneId", text: alias["zoneId"]?.stringValue ?? ""),
                XMLTree(name: "DNSName", text: alias["dnsName"]?.stringValue ?? ""),
                XMLTree(name: "EvaluateTargetHealth", text: alias["evaluateTargetHealth"]?.boolValue == true ? "true" : "false"),
            ]))
        } else {
            children.append(XMLTree(name: "TTL", text: String(Int(inputs["ttl"]?.numberValue ?? 300))))
            children.append(XMLTree(name: "ResourceRecords", children: (inputs.list("records") ?? []).map { record in
                XMLTree(name: "ResourceRecord", children: [XMLTree(name: "Value", text: record.stringValue ?? "")])
            }))
        }
        return XMLTree(name: "ResourceRecordSet", children: children)
    }

    func create(_ inputs: Inputs, token: String, tags: [String: String], in context: ResourceContext) async throws -> String {
        let zoneId = Route53.bareId(try inputs.require("zoneId", for: type))
        let set = try recordSet(inputs)
        context.progress.report("upserting \(set.string("Type") ?? "") \(set.string("Name") ?? "") in \(zoneId)")
        try await Route53.changeRecordSets(zoneId, [Route53.change("UPSERT", set)], context)
        return Self.id(zoneId: zoneId, name: set.string("Name") ?? "", type: set.string("Type") ?? "")
    }

    /// The simple record set of that name and type, if any.
    private func current(_ zoneId: String, _ name: String, _ type: String, _ context: ResourceContext) async throws -> XMLTree? {
        let page: XMLTree?
        do {
            page = try await Route53.call("GET", ["hostedzone", zoneId, "rrset"], query: [.init("name", name), .init("type", type), .init("maxitems", "1")],
                                          operation: "ListResourceRecordSets", context)
        } catch let error as AWSError where error.kind == .notFound {
            return nil
        }
        return page?.child("ResourceRecordSets")?.all("ResourceRecordSet").first { set in
            Route53.normalized(set.string("Name") ?? "") == Route53.normalized(name) && set.string("Type") == type && set.child("SetIdentifier") == nil
        }
    }

    func read(id: String, recorded: Inputs?, in context: ResourceContext) async throws -> [String: Value]? {
        let (zoneId, name, type) = try Self.parts(id)
        guard let set = try await current(zoneId, name, type, context) else { return nil }
        var outputs: [String: Value] = [
            "id": .string(id),
            "zoneId": .string(recorded?.string("zoneId") ?? zoneId),
            "name": .string(Route53.spelled(set.string("Name") ?? name, recorded: recorded?.string("name"))),
            "type": .string(type),
            "fqdn": .string(Route53.normalized(set.string("Name") ?? name)),
        ]
        if let alias = set.child("AliasTarget") {
            let recordedAlias = recorded?["alias"]?.revealed.mapValue
            outputs["alias"] = .map([
                "dnsName": .string(Route53.spelled(alias.string("DNSName") ?? "", recorded: recordedAlias?["dnsName"]?.stringValue)),
                "zoneId": .string(alias.string("HostedZoneId") ?? ""),
                "evaluateTargetHealth": .bool(alias.bool("EvaluateTargetHealth") ?? false),
            ])
        } else {
            outputs["ttl"] = .number(Double(set.string("TTL") ?? "") ?? 0)
            let values = (set.child("ResourceRecords")?.all("ResourceRecord") ?? []).compactMap { $0.string("Value") }
            // The stack's order when it holds the same values.
            let declared = recorded?.list("records")?.compactMap(\.stringValue)
            let ordered = declared.map { Set($0) == Set(values) && $0.count == values.count } == true ? declared! : values
            outputs["records"] = .list(ordered.map(Value.string))
        }
        return outputs
    }

    func update(id: String, prior: Inputs, inputs: Inputs, in context: ResourceContext) async throws {
        let (zoneId, _, _) = try Self.parts(id)
        let set = try recordSet(inputs)
        context.progress.report("upserting \(set.string("Type") ?? "") \(set.string("Name") ?? "") in \(zoneId)")
        try await Route53.changeRecordSets(zoneId, [Route53.change("UPSERT", set)], context)
    }

    func delete(id: String, in context: ResourceContext) async throws {
        let (zoneId, name, type) = try Self.parts(id)
        // DELETE must name the record set exactly as it is now.
        guard let set = try await current(zoneId, name, type, context) else { return }
        context.progress.report("deleting \(type) \(name) from \(zoneId)")
        do {
            try await Route53.changeRecordSets(zoneId, [Route53.change("DELETE", set)], context)
        } catch let error as AWSError where error.kind == .notFound {
            return
        }
    }

    /// Not taggable: the record set of that zone, name and type, when it already holds what
    /// the inputs say (else the create's UPSERT sets it).
    func find(token: String, inputs: Inputs, in context: ResourceContext) async throws -> String? {
        guard let zone = inputs.string("zoneId"), let name = inputs.string("name"), let type = inputs.string("type") else { return nil }
        let id = Self.id(zoneId: Route53.bareId(zone), name: name, type: type)
        guard let outputs = try await read(id: id, recorded: inputs, in: context) else { return nil }
        let same = ["ttl", "records", "alias"].allSatisfy { key in (outputs[key] ?? .null) == (inputs[key]?.revealed ?? .null) }
        return same ? id : nil
    }

    /// Not taggable: nothing to discover.
    func discover(tags: [String: String], in context: ResourceContext) async throws -> [DiscoveredResource] { [] }
}
