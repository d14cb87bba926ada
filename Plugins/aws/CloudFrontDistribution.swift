import Foundation
import StrataAWSKit
import StrataModel
import StrataPluginKit

/// `aws_cloudfront_distribution`: CreateDistributionWithTags (CallerReference from the engine
/// token) / GetDistribution + ListTagsForResource / GetDistributionConfig + UpdateDistribution
/// (If-Match the ETag), TagResource, UntagResource / disable, wait until Deployed, then
/// DeleteDistribution. The id is the distribution id (E…). Everything changes in place.
struct CloudFrontDistributionResource: AWSResource {
    let type = "aws_cloudfront_distribution"

    var schema: ResourceSchema {
        ResourceSchema(
            description: "A CloudFront distribution: origins (S3 buckets, custom origins such as a load balancer), a default cache behaviour and ordered ones by path pattern, aliases with an ACM certificate (us-east-1). Destroying it disables it, waits until that is deployed (minutes on AWS), then deletes it.",
            attributes: [
                "origins": .init(.list, .required, description: "[{id, domainName, type: s3 | custom, originPath, protocolPolicy, httpPort, httpsPort}]."),
                "defaultCacheBehavior": .init(.map, .required, description: "{targetOriginId, viewerProtocolPolicy, allowedMethods, cachedMethods, compress, cachePolicyId}."),
                "orderedCacheBehaviors": .init(.list, .optional, description: "The same with a pathPattern each, first match wins."),
                "aliases": .init(.list, .optional, description: "Other domain names (CNAMEs); they need acmCertificateArn."),
                "acmCertificateArn": .init(.string, .optional, description: "An ACM certificate in us-east-1 (SNI)."),
                "enabled": .init(.bool, .optionalComputed, description: "True unless set."),
                "comment": .init(.string, .optional),
                "defaultRootObject": .init(.string, .optional),
                "priceClass": .init(.string, .optionalComputed, description: "PriceClass_100, PriceClass_200 or PriceClass_All (the default)."),
                "tags": CommonAttributes.tags,
                "id": .init(.string, .computed, description: "The distribution id (E…)."),
                "arn": CommonAttributes.arn,
                "domainName": .init(.string, .computed, description: "`d….cloudfront.net`."),
                "hostedZoneId": .init(.string, .computed, description: "Z2FDTNDATAQYW2, for Route 53 alias records."),
                "status": .init(.string, .computed, description: "InProgress or Deployed."),
                "etag": .init(.string, .computed),
            ],
            typicalCreateSeconds: 5)
    }

    func check(_ inputs: Inputs) -> [CheckProblem] {
        var problems: [CheckProblem] = []
        func problem(_ attribute: String, _ message: String) { problems.append(CheckProblem(attribute: attribute, message: message)) }
        let origins = inputs.list("origins")?.compactMap(\.mapValue) ?? []
        if inputs["origins"] != nil, inputs.isKnown("origins"), origins.isEmpty { problem("origins", "origins needs at least one origin") }
        var ids: [String] = []
        for (index, origin) in origins.enumerated() {
            guard let id = origin["id"]?.stringValue, !id.isEmpty else {
                if origin["id"]?.isKnown != false { problem("origins", "origins[\(index)] needs an 'id'") }
                continue
            }
            if ids.contains(id) { problem("origins", "origins: the id '\(id)' is used twice") }
            ids.append(id)
            if let type = origin["type"]?.stringValue, type != "s3", type != "custom" {
                problem("origins", "origins[\(index)].type must be s3 or custom, not '\(type)'")
            }
            if let policy = origin["protocolPolicy"]?.stringValue, !CloudFront.originPolicies.contains(policy) {
                problem("origins", "origins[\(index)].protocolPolicy must be one of \(CloudFront.originPolicies.joined(separator: ", ")), not '\(policy)'")
            }
            if let domain = origin["domainName"]?.stringValue, let why = Route53.domainProblem(domain) { problem("origins", "origins[\(index)].domainName \(why)") }
        }
        var behaviors: [(String, [String: Value])] = []
        if let fields = inputs["defaultCacheBehavior"]?.revealed.mapValue { behaviors.append(("defaultCacheBehavior", fields)) }
        for (index, value) in (inputs.list("orderedCacheBehaviors") ?? []).enumerated() {
            let fields = value.mapValue ?? [:]
            behaviors.append(("orderedCacheBehaviors[\(index)]", fields))
            if fields["pathPattern"]?.stringValue?.isEmpty != false && fields["pathPattern"]?.isKnown != false {
                problem("orderedCacheBehaviors", "orderedCacheBehaviors[\(index)] needs a pathPattern")
            }
        }
        for (name, fields) in behaviors {
            let attribute = name.hasPrefix("default") ? "defaultCacheBehavior" : "orderedCacheBehaviors"
            if let target = fields["targetOriginId"]?.stringValue {
                if inputs.isKnown("origins"), !ids.contains(target) { problem(attribute, "\(name).targetOriginId '\(target)' names no origin (origins: \(ids.joined(separator: ", ")))") }
            } else if fields["targetOriginId"]?.isKnown != false {
                problem(attribute, "\(name) needs a targetOriginId")
            }
            if let policy = fields["viewerProtocolPolicy"]?.stringValue, !CloudFront.viewerPolicies.contains(policy) {
                problem(attribute, "\(name).viewerProtocolPolicy must be one of \(CloudFront.viewerPolicies.joined(separator: ", ")), not '\(policy)'")
            }
            for method in CloudFront.strings(fields["allowedMethods"]) + CloudFront.strings(fields["cachedMethods"]) where !CloudFront.methods.contains(method) {
                problem(attribute, "\(name): '\(method)' is not an HTTP method CloudFront knows (\(CloudFront.methods.joined(separator: ", ")))")
            }
        }
        if let price = inputs.string("priceClass"), !CloudFront.priceClasses.contains(price) {
            problem("priceClass", "priceClass must be one of \(CloudFront.priceClasses.joined(separator: ", ")), not '\(price)'")
        }
        let aliases = CloudFront.strings(inputs["aliases"])
        for alias in aliases { if let why = Route53.domainProblem(alias, wildcard: true) { problem("aliases", "aliases: \(why)") } }
        if !aliases.isEmpty, inputs["acmCertificateArn"] == nil { problem("aliases", "aliases need an acmCertificateArn covering them") }
        if let arn = inputs.string("acmCertificateArn"), !(arn.hasPrefix("arn:") && arn.contains(":acm:")) {
            problem("acmCertificateArn", "acmCertificateArn '\(arn)' is not an ACM certificate ARN")
        } else if let arn = inputs.string("acmCertificateArn"), !arn.contains(":acm:us-east-1:") {
            problem("acmCertificateArn", "CloudFront takes certificates from us-east-1 only; '\(arn)' is elsewhere")
        }
        return problems
    }

    static func callerReference(_ token: String) -> String {
        "strata-" + Digest.sha256Hex(Array("strata:\(token)".utf8)).prefix(40)
    }

    func create(_ inputs: Inputs, token: String, tags: [String: String], in context: ResourceContext) async throws -> String {
        let config = CloudFront.config(inputs, callerReference: Self.callerReference(token))
        let tagItems = tags.keys.sorted().map { key in
            XMLTree(name: "Tag", children: [CloudFront.element("Key", key), CloudFront.element("Value", tags[key] ?? "")])
        }
        let body = XMLTree(name: "DistributionConfigWithTags", children: [config, XMLTree(name: "Tags", children: [XMLTree(name: "Items", children: tagItems)])])
        context.progress.report("creating distribution")
        let answer = try await CloudFront.call("POST", ["distribution"], query: [.init("WithTags", "")], body: body, operation: "CreateDistributionWithTags", context)
        guard let id = answer.xml?.string("Id") else { throw PluginError(.fatal, "CreateDistributionWithTags answered without an id") }
        return id
    }

    func read(id: String, recorded: Inputs?, in context: ResourceContext) async throws -> [String: Value]? {
        let answer: (xml: XMLTree?, etag: String?)
        do {
            answer = try await CloudFront.call("GET", ["distribution", id], operation: "GetDistribution", context)
        } catch let error as AWSError where error.kind == .notFound {
            return nil
        }
        guard let distribution = answer.xml, let config = distribution.child("DistributionConfig") else { return nil }
        var outputs = CloudFront.attributes(config, recorded: recorded)
        let arn = distribution.string("ARN") ?? ""
        outputs["id"] = .string(id)
        outputs["arn"] = .string(arn)
        outputs["domainName"] = .string(distribution.string("DomainName") ?? "")
        outputs["hostedZoneId"] = .string(Route53.cloudFrontZoneId)
        outputs["status"] = .string(distribution.string("Status") ?? "")
        outputs["etag"] = answer.etag.map(Value.string) ?? .null
        StrataTags.output(StrataTags.userTags(try await tags(arn, context)), recorded: recorded, into: &outputs)
        return outputs
    }

    func update(id: String, prior: Inputs, inputs: Inputs, in context: ResourceContext) async throws {
        let current = try await CloudFront.call("GET", ["distribution", id, "config"], operation: "GetDistributionConfig", context)
        guard let config = current.xml, let etag = current.etag else {
            throw PluginError(.notFound, "distribution \(id) no longer exists; run `strata refresh` then apply to make it again")
        }
        // Only when the config differs from what the stack declares (tags alone change no config).
        let declared = CloudFront.attributes(CloudFront.config(inputs, callerReference: ""), recorded: inputs)
        if declared != CloudFront.attributes(config, recorded: inputs) {
            context.progress.report("updating distribution \(id)")
            let body = CloudFront.config(inputs, callerReference: config.string("CallerReference") ?? "")
            _ = try await CloudFront.call("PUT", ["distribution", id, "config"], headers: ["If-Match": etag], body: body, operation: "UpdateDistribution", context)
        }
        guard let arn = try await read(id: id, recorded: inputs, in: context)?["arn"]?.stringValue else { return }
        let have = StrataTags.userTags(try await tags(arn, context)), want = StrataTags.userTags(inputs.tags)
        let removed = have.keys.filter { want[$0] == nil }.sorted()
        let changed = want.filter { have[$0.key] != $0.value }
        if !removed.isEmpty {
            _ = try await CloudFront.call("POST", ["tagging"], query: [.init("Operation", "Untag"), .init("Resource", arn)],
                                          body: XMLTree(name: "TagKeys", children: [XMLTree(name: "Items", children: removed.map { CloudFront.element("Key", $0) })]),
                                          operation: "UntagResource", context)
        }
        if !changed.isEmpty {
            _ = try await CloudFront.call("POST", ["tagging"], query: [.init("Operation", "Tag"), .init("Resource", arn)],
                                          body: XMLTree(name: "Tags", children: [XMLTree(name: "Items", children: changed.keys.sorted().map { key in
                                              XMLTree(name: "Tag", children: [CloudFront.element("Key", key), CloudFront.element("Value", changed[key] ?? "")])
                                          })]),
                                          operation: "TagResource", context)
        }
    }

    /// Disables it, waits until that is deployed, then deletes it with the latest ETag.
    func delete(id: String, in context: ResourceContext) async throws {
        do {
            let current = try await CloudFront.call("GET", ["distribution", id, "config"], operation: "GetDistributionConfig", context)
            guard var config = current.xml, let etag = current.etag else { return }
            if config.bool("Enabled") != false {
                context.progress.report("disabling distribution \(id)")
                if let index = config.children.firstIndex(where: { $0.name == "Enabled" }) { config.children[index].text = "false" }
                config.attributes = [:]
                _ = try await CloudFront.call("PUT", ["distribution", id, "config"], headers: ["If-Match": etag], body: config, operation: "UpdateDistribution", context)
            }
            let latest = try await Waiter("distribution \(id) to be deployed disabled", timeout: 1800, minDelay: 2, maxDelay: 30)
                .wait(progress: context.progress.report) { () async throws -> WaitState<String> in
                    let answer = try await CloudFront.call("GET", ["distribution", id], operation: "GetDistribution", context)
                    let status = answer.xml?.string("Status") ?? "?"
                    if status == "Deployed", let etag = answer.etag { return .done(etag) }
                    return .pending(status)
                }
            context.progress.report("deleting distribution \(id)")
            _ = try await CloudFront.call("DELETE", ["distribution", id], headers: ["If-Match": latest], operation: "DeleteDistribution", context)
        } catch let error as AWSError where error.kind == .notFound {
            return
        }
    }

    func find(token: String, inputs: Inputs, in context: ResourceContext) async throws -> String? {
        for (id, arn) in try await distributions(context) where try await tags(arn, context)[StrataTags.token] == token {
            return id
        }
        return nil
    }

    func discover(tags wanted: [String: String], in context: ResourceContext) async throws -> [DiscoveredResource] {
        var candidates: [(id: String, tags: [String: String])] = []
        for (id, arn) in try await distributions(context) {
            let distributionTags = try await tags(arn, context)
            if Discovery.matches(distributionTags, wanted) { candidates.append((id, distributionTags)) }
        }
        return try await Discovery.read(self, candidates, in: context)
    }

    /// ListDistributions, every page: (id, ARN).
    private func distributions(_ context: ResourceContext) async throws -> [(String, String)] {
        try await Paginator.collect { marker in
            let query: [HTTPRequest.QueryItem] = marker.map { [.init("Marker", $0)] } ?? []
            let list = try await CloudFront.call("GET", ["distribution"], query: query, operation: "ListDistributions", context).xml
            let items = (list?.child("Items")?.all("DistributionSummary") ?? []).compactMap { summary -> (String, String)? in
                guard let id = summary.string("Id"), let arn = summary.string("ARN") else { return nil }
                return (id, arn)
            }
            return (items, list?.bool("IsTruncated") == true ? list?.string("NextMarker") : nil)
        }
    }

    private func tags(_ arn: String, _ context: ResourceContext) async throws -> [String: String] {
        let answer = try await CloudFront.call("GET", ["tagging"], query: [.init("Resource", arn)], operation: "ListTagsForResource", context)
        var tags: [String: String] = [:]
        for tag in answer.xml?.child("Items")?.all("Tag") ?? [] {
            if let key = tag.string("Key") { tags[key] = tag.string("Value") ?? "" }
        }
        return tags
    }
}
