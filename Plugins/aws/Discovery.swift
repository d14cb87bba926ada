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
            body["Filters"] = .list([.map(["Key": "tag-key", "Values": .list(tags.keys.sorted().map(Value.string))])])
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
