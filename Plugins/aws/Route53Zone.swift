import Foundation
import StrataAWSKit
import StrataModel
import StrataPluginKit

/// `aws_route53_zone`: a public hosted zone. CreateHostedZone (CallerReference from the
/// engine token) + ChangeTagsForResource / GetHostedZone + ListTagsForResource /
/// UpdateHostedZoneComment, ChangeTagsForResource / DeleteHostedZone. The id is the bare zone
/// id (`Z…`).
struct Route53ZoneResource: AWSResource {
    let type = "aws_route53_zone"

    var schema: ResourceSchema {
        ResourceSchema(
            description: "A public Route 53 hosted zone. Destroying it fails while it holds records other than its SOA and NS, unless forceDestroy is true (then those records are deleted first).",
            attributes: [
                "name": .init(.string, .required, forcesReplacement: true, description: "The domain name (`example.com`)."),
                "comment": .init(.string, .optional),
                "forceDestroy": .init(.bool, .optionalComputed, description: "Delete every record (but the apex SOA and NS) when destroying it; false unless set. No AWS call: kept in the state."),
                "tags": CommonAttributes.tags,
                "id": .init(.string, .computed, description: "The zone id (Z…)."),
                "zoneId": .init(.string, .computed, description: "The zone id, as alias records and other types name it."),
                "arn": CommonAttributes.arn,
                "nameServers": .init(.list, .computed),
            ],
            typicalCreateSeconds: 2)
    }

    func check(_ inputs: Inputs) -> [CheckProblem] {
        guard let name = inputs.string("name"), let problem = Route53.domainProblem(name) else { return [] }
        return [CheckProblem(attribute: "name", message: "name \(problem)")]
    }

    /// At most 128 characters, the same for every try of one create.
    static func callerReference(_ token: String) -> String {
        "strata-" + Digest.sha256Hex(Array("strata:\(token)".utf8)).prefix(40)
    }

    func create(_ inputs: Inputs, token: String, tags: [String: String], in context: ResourceContext) async throws -> String {
        let name = try inputs.require("name", for: type)
        var children = [XMLTree(name: "Name", text: name), XMLTree(name: "CallerReference", text: Self.callerReference(token))]
        if let comment = inputs.string("comment") {
            children.append(XMLTree(name: "HostedZoneConfig", children: [XMLTree(name: "Comment", text: comment)]))
        }
        context.progress.report("creating hosted zone \(name)")
        let answer = try await Route53.call("POST", ["hostedzone"], body: XMLTree(name: "CreateHostedZoneRequest", children: children),
                                            operation: "CreateHostedZone", context)
        guard let raw = answer?.string("HostedZone", "Id") else { throw PluginError(.fatal, "CreateHostedZone answered without a zone id") }
        let id = Route53.bareId(raw)
        try await changeTags(id, add: tags, remove: [], context)
        try await Route53.waitForChange(answer, context)
        return id
    }

    func read(id: String, recorded: Inputs?, in context: ResourceContext) async throws -> [String: Value]? {
        let answer: XMLTree
        do {
            guard let found = try await Route53.call("GET", ["hostedzone", id], operation: "GetHostedZone", context) else { return nil }
            answer = found
        } catch let error as AWSError where error.kind == .notFound {
            return nil
        }
        let zone = answer.child("HostedZone")
        var outputs: [String: Value] = [
            "id": .string(id),
            "zoneId": .string(id),
            "arn": .string("arn:\(context.partition):route53:::hostedzone/\(id)"),
            "name": .string(Route53.spelled(zone?.string("Name") ?? "", recorded: recorded?.string("name"))),
            "nameServers": .list((answer.child("DelegationSet")?.child("NameServers")?.all("NameServer") ?? []).map { .string($0.text) }),
        ]
        let comment = zone?.string("Config", "Comment") ?? ""
        if !comment.isEmpty || recorded?["comment"] != nil { outputs["comment"] = .string(comment) }
        outputs["forceDestroy"] = .bool(recorded?.bool("forceDestroy") ?? false)
        StrataTags.output(StrataTags.userTags(try await tags(id, context)), recorded: recorded, into: &outputs)
        return outputs
    }

    func update(id: String, prior: Inputs, inputs: Inputs, in context: ResourceContext) async throws {
        guard let now = try await read(id: id, recorded: nil, in: context).map(Inputs.init) else {
            throw PluginError(.notFound, "hosted zone \(id) no longer exists; run `strata refresh` then apply to make it again")
        }
        let comment = inputs.string("comment") ?? ""
        if comment != now.string("comment") ?? "" {
            context.progress.report("updating the comment of \(id)")
            _ = try await Route53.call("POST", ["hostedzone", id], body: XMLTree(name: "UpdateHostedZoneCommentRequest", children: [XMLTree(name: "Comment", text: comment)]),
                                       operation: "UpdateHostedZoneComment", context)
        }
        let current = StrataTags.userTags(try await tags(id, context)), wanted = StrataTags.userTags(inputs.tags)
        try await changeTags(id, add: wanted.filter { current[$0.key] != $0.value }, remove: current.keys.filter { wanted[$0] == nil }, context)
    }

    func delete(id: String, in context: ResourceContext) async throws {
        try await delete(id: id, inputs: Inputs([:]), in: context)
    }

    func delete(id: String, inputs: Inputs, in context: ResourceContext) async throws {
        do {
            if inputs.bool("forceDestroy") == true {
                guard let zone = try await read(id: id, recorded: nil, in: context) else { return }
                let apex = Route53.normalized(zone["name"]?.stringValue ?? "")
                let doomed = try await Route53.recordSets(id, context).filter { set in
                    let type = set.string("Type") ?? ""
                    return !(Route53.normalized(set.string("Name") ?? "") == apex && (type == "SOA" || type == "NS"))
                }
                if !doomed.isEmpty {
                    context.progress.report("deleting \(doomed.count) record set(s) of \(id) (forceDestroy)")
                    try await Route53.changeRecordSets(id, doomed.map { Route53.change("DELETE", $0) }, context)
                }
            }
            context.progress.report("deleting hosted zone \(id)")
            let answer = try await Route53.call("DELETE", ["hostedzone", id], operation: "DeleteHostedZone", context)
            try await Route53.waitForChange(answer, context)
        } catch let error as AWSError where error.kind == .notFound {
            return
        } catch let error as AWSError where error.code == "HostedZoneNotEmpty" {
            throw PluginError(
                .conflict,
                "hosted zone \(id) still holds records other than its SOA and NS; delete them (`aws route53 list-resource-record-sets --hosted-zone-id \(id)`), or set forceDestroy: true and apply, then destroy again",
                providerCode: error.code)
        }
    }

    /// The zone whose CallerReference this token gives.
    func find(token: String, inputs: Inputs, in context: ResourceContext) async throws -> String? {
        let reference = Self.callerReference(token)
        return try await zones(context).first { $0.string("CallerReference") == reference }.flatMap { $0.string("Id") }.map(Route53.bareId)
    }

    func discover(tags wanted: [String: String], in context: ResourceContext) async throws -> [DiscoveredResource] {
        var candidates: [(id: String, tags: [String: String])] = []
        for zone in try await zones(context) {
            guard let raw = zone.string("Id") else { continue }
            let id = Route53.bareId(raw)
            let zoneTags = try await tags(id, context)
            if Discovery.matches(zoneTags, wanted) { candidates.append((id, zoneTags)) }
        }
        return try await Discovery.read(self, candidates, in: context)
    }

    /// ListHostedZones, every page.
    private func zones(_ context: ResourceContext) async throws -> [XMLTree] {
        try await Paginator.collect { marker in
            let query: [HTTPRequest.QueryItem] = marker.map { [.init("marker", $0)] } ?? []
            let page = try await Route53.call("GET", ["hostedzone"], query: query, operation: "ListHostedZones", context)
            let zones = page?.child("HostedZones")?.all("HostedZone") ?? []
            return (zones, page?.bool("IsTruncated") == true ? page?.string("NextMarker") : nil)
        }
    }

    func tags(_ id: String, _ context: ResourceContext) async throws -> [String: String] {
        let answer = try await Route53.call("GET", ["tags", "hostedzone", id], operation: "ListTagsForResource", context)
        var tags: [String: String] = [:]
        for tag in answer?.child("ResourceTagSet")?.child("Tags")?.all("Tag") ?? [] {
            if let key = tag.string("Key") { tags[key] = tag.string("Value") ?? "" }
        }
        return tags
    }

    private func changeTags(_ id: String, add: [String: String], remove: [String], _ context: ResourceContext) async throws {
        guard !add.isEmpty || !remove.isEmpty else { return }
        var children: [XMLTree] = []
        if !add.isEmpty {
            children.append(XMLTree(name: "AddTags", children: add.keys.sorted().map { key in
                XMLTree(name: "Tag", children: [XMLTree(name: "Key", text: key), XMLTree(name: "Value", text: add[key] ?? "")])
            }))
        }
        if !remove.isEmpty {
            children.append(XMLTree(name: "RemoveTagKeys", children: remove.sorted().map { XMLTree(name: "Key", text: $0) }))
        }
        _ = try await Route53.call("POST", ["tags", "hostedzone", id], body: XMLTree(name: "ChangeTagsForResourceRequest", children: children),
                                   operation: "ChangeTagsForResource", context)
    }
}
