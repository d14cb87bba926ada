import Foundation
import StrataAWSKit
import StrataModel
import StrataPluginKit

/// `discover` (drift detection): the resources of a type that carry every one of the given
/// tags, each with its outputs as `read` answers them and all of its tags. Read-only.
enum Discovery {
    /// Whether `actual` holds every one of `wanted` with the same value.
    static func matches(_ actual: [String: String], _ wanted: [String: String]) -> Bool {
        wanted.allSatisfy { actual[$0.key] == $0.value }
    }

    /// Reads each candidate; one gone between the listing and the read is left out.
    static func read(_ resource: any AWSResource, _ candidates: [(id: String, tags: [String: String])], in context: ResourceContext) async throws -> [DiscoveredResource] {
        var found: [DiscoveredResource] = []
        for candidate in candidates {
            guard let outputs = try await resource.read(id: candidate.id, recorded: nil, in: context) else { continue }
            found.append(DiscoveredResource(id: candidate.id, outputs: outputs, tags: candidate.tags))
        }
        return found
    }

    /// The ARNs (with all their tags) of the resources of `resourceType` (`s3:bucket`, …)
    /// in the region that carry every one of `tags`, from the Resource Groups Tagging API:
    /// one listing of just those, where asking each resource for its tags costs a call per
    /// resource in the account (a fleet of 200 tenants: 200 calls per tenant swept).
    static func tagged(resourceType: String, tags: [String: String], in context: ResourceContext) async throws -> [(arn: String, tags: [String: String])] {
        var body: [String: Value] = ["ResourceTypeFilters": .list([.string(resourceType)])]
        body["TagFilters"] = .list(tags.sorted { $0.key < $1.key }.map { .map(["Key": .string($0.key), "Values": .list([.string($0.value)])]) })
        let mappings = try await context.client.jsonPages(
            service: .resourceGroupsTagging, target: "GetResources", body: body, listKey: "ResourceTagMappingList", tokenKey: "PaginationToken")
        return mappings.compactMap { mapping in
            guard let fields = mapping.mapValue, let arn = fields["ResourceARN"]?.stringValue else { return nil }
            var found: [String: String] = [:]
            for tag in fields["Tags"]?.listValue ?? [] {
                if let key = tag.mapValue?["Key"]?.stringValue { found[key] = tag.mapValue?["Value"]?.stringValue ?? "" }
            }
            return matches(found, tags) ? (arn, found) : nil
        }
    }

    /// EC2 `Describe*` with one `tag:KEY = VALUE` filter per tag (filters are ANDed), tags
    /// checked again here.
    static func ec2(_ resource: any AWSResource, action: String, listElement: String, idElement: String, tags: [String: String], in context: ResourceContext) async throws -> [DiscoveredResource] {
        var params = QueryParameters()
        for (key, value) in tags.sorted(by: { $0.key < $1.key }) {
            params.filter("tag:\(key)", [value])
        }
        let items = try await context.client.queryPages(service: .ec2, action: action, params: params, listElement: listElement)
        let candidates = items.compactMap { item -> (id: String, tags: [String: String])? in
            let itemTags = EC2.tags(item)
            guard let id = item.string(idElement), matches(itemTags, tags) else { return nil }
            return (id, itemTags)
        }
        return try await read(resource, candidates, in: context)
    }
}

/// The EC2 types that carry tags: found by their `strata:token` tag and discovered by tags
/// through the same `Describe*` listing.
struct EC2Listing: Sendable {
    let action: String
    let listElement: String
    let idElement: String
}

protocol EC2ListedResource: AWSResource {
    var listing: EC2Listing { get }
}

extension EC2ListedResource {
    func find(token: String, inputs: Inputs, in context: ResourceContext) async throws -> String? {
        try await EC2.findByToken(action: listing.action, listElement: listing.listElement, idElement: listing.idElement, token: token, client: context.client)
    }

    func discover(tags: [String: String], in context: ResourceContext) async throws -> [DiscoveredResource] {
        try await Discovery.ec2(self, action: listing.action, listElement: listing.listElement, idElement: listing.idElement, tags: tags, in: context)
    }
}

extension S3BucketResource {
    /// ListBuckets (every region), then GetBucketTagging per bucket. A bucket that cannot be
    /// asked from this region (another region's, or gone meanwhile) is not this stack's.
    func discover(tags: [String: String], in context: ResourceContext) async throws -> [DiscoveredResource] {
        // The tagging API lists just the buckets with the tags; where it is not allowed
        // (tag:GetResources missing from the policy), every bucket is asked for its tags.
        if !tags.isEmpty, let tagged = try? await Discovery.tagged(resourceType: "s3:bucket", tags: tags, in: context) {
            let candidates = tagged.compactMap { entry -> (id: String, tags: [String: String])? in
                guard let name = entry.arn.split(separator: ":", maxSplits: 5, omittingEmptySubsequences: false).last, !name.isEmpty else { return nil }
                return (String(name), entry.tags)
            }
            return try await Discovery.read(self, candidates, in: context)
        }
        let names: [String] = try await Paginator.collect { token in
            var query: [HTTPRequest.QueryItem] = []
            if let token { query.append(.init("continuation-token", token)) }
            let answer = try await context.client.restXML(method: "GET", bucket: nil, query: query, operation: "ListBuckets")
            let names = answer.xml?.child("Buckets")?.all("Bucket").compactMap { $0.string("Name") } ?? []
            return (names, answer.xml?.string("ContinuationToken"))
        }
        var candidates: [(id: String, tags: [String: String])] = []
        for name in names.sorted() {
            let bucketTags: [String: String]
            do {
                bucketTags = try await getTags(name, context)
            } catch let error as AWSError
                where error.kind == .notFound || error.status == 301 || error.status == 403
                || ["PermanentRedirect", "AuthorizationHeaderMalformed", "IllegalLocationConstraintException"].contains(error.code)
            {
                continue
            }
            if Discovery.matches(bucketTags, tags) { candidates.append((name, bucketTags)) }
        }
        return try await Discovery.read(self, candidates, in: context)
    }
}

extension SecretsManagerSecretResource {
    /// ListSecrets (tag-key filters narrow it; the values are checked here); secrets
    /// scheduled for deletion are left out.
    func discover(tags: [String: String], in context: ResourceContext) async throws -> [DiscoveredResource] {
        var body: [String: Value] = [:]
        if !tags.isEmpty {
            // Filters are ANDed, the values of one filter ORed (and prefix-matched): the keys,
            // and the most specific value (the instance's), narrow the listing; the pairs are
            // checked here.
            var filters: [Value] = [.map(["Key": "tag-key", "Values": .list(tags.keys.sorted().map(Value.string))])]
            if let value = tags.values.max(by: { ($0.count, $0) < ($1.count, $1) }), !value.isEmpty {
                filters.append(.map(["Key": "tag-value", "Values": .list([.string(value)])]))
            }
            body["Filters"] = .list(filters)
        }
        let secrets = try await context.client.jsonPages(service: .secretsManager, target: "ListSecrets", body: body, listKey: "SecretList")
        var candidates: [(id: String, tags: [String: String])] = []
        for secret in secrets {
            guard let fields = secret.mapValue, let arn = fields["ARN"]?.stringValue, (fields["DeletedDate"] ?? .null) == .null else { continue }
            var secretTags: [String: String] = [:]
            for tag in fields["Tags"]?.listValue ?? [] {
                if let key = tag.mapValue?["Key"]?.stringValue { secretTags[key] = tag.mapValue?["Value"]?.stringValue ?? "" }
            }
            if Discovery.matches(secretTags, tags) { candidates.append((arn, secretTags)) }
        }
        return try await Discovery.read(self, candidates, in: context)
    }
}
