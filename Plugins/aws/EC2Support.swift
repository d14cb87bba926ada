import Foundation
import StrataAWSKit
import StrataModel
import StrataPluginKit

/// What the EC2 resources share: tags, lookups by tag, deletes that wait out dependencies.
enum EC2 {
    /// `<tagSet><item><key/><value/></item></tagSet>` → a map.
    static func tags(_ item: XMLTree) -> [String: String] {
        var tags: [String: String] = [:]
        for tag in item.items("tagSet") {
            if let key = tag.string("key") { tags[key] = tag.string("value") ?? "" }
        }
        return tags
    }

    /// Sets the stack's tags in place: CreateTags for new or changed, DeleteTags for removed;
    /// `strata:*` tags are left alone. Compared with the tags the resource has now (DescribeTags),
    /// not only with `old` (the recorded ones), so tags changed by hand are put back too.
    static func updateTags(id: String, from old: [String: String], to new: [String: String], client: AWSClient) async throws {
        var params = QueryParameters()
        params.filter("resource-id", [id])
        let items = try await client.queryPages(service: .ec2, action: "DescribeTags", params: params, listElement: "tagSet")
        var actual: [String: String] = [:]
        for item in items {
            if let key = item.string("key") { actual[key] = item.string("value") ?? "" }
        }
        let old = StrataTags.userTags(actual), new = StrataTags.userTags(new)
        let removed = old.keys.filter { new[$0] == nil }
        let changed = new.filter { old[$0.key] != $0.value }
        if !removed.isEmpty {
            var params = QueryParameters()
            params.list("ResourceId", [id])
            params.tagList("Tag", Dictionary(uniqueKeysWithValues: removed.map { ($0, "") }), withValues: false)
            _ = try await client.query(service: .ec2, action: "DeleteTags", params: params)
        }
        if !changed.isEmpty {
            var params = QueryParameters()
            params.list("ResourceId", [id])
            params.tagList("Tag", changed)
            _ = try await client.query(service: .ec2, action: "CreateTags", params: params)
        }
    }

    /// The first item a `Describe*` call lists with `tag:strata:token = token`.
    static func findByToken(action: String, listElement: String, idElement: String, token: String, client: AWSClient) async throws -> String? {
        var params = QueryParameters()
        params.filter("tag:\(StrataTags.token)", [token])
        let items = try await client.queryPages(service: .ec2, action: action, params: params, listElement: listElement)
        return items.compactMap { $0.string(idElement) }.first
    }

    /// One item by id; nil when AWS says it does not exist.
    static func describeOne(action: String, idParameter: String, id: String, listElement: String, client: AWSClient) async throws -> XMLTree? {
        var params = QueryParameters()
        params.list(idParameter, [id])
        do {
            let tree = try await client.query(service: .ec2, action: action, params: params)
            return tree.items(listElement).first
        } catch let error as AWSError where error.kind == .notFound {
            return nil
        }
    }

    /// Deletes, treating "not found" as done and waiting out `DependencyViolation` for a
    /// while: AWS lets go of a deleted dependent (a subnet's network interfaces, a group's
    /// references) some seconds after the dependent's own delete answered.
    static func delete(_ what: String, action: String, params: QueryParameters, context: ResourceContext, patience: Double = 120) async throws {
        let waiter = Waiter("\(what) to be deletable", timeout: patience, minDelay: 1, maxDelay: 10)
        do {
            try await waiter.wait(progress: context.progress.report) { () async throws -> WaitState<Void> in
                do {
                    _ = try await context.client.query(service: .ec2, action: action, params: params)
                    return .done(())
                } catch let error as AWSError where error.kind == .notFound {
                    return .done(())
                } catch let error as AWSError where error.code == "DependencyViolation" {
                    return .pending("still in use (\(error.message))")
                }
            }
        } catch WaiterError.timedOut(_, _, let last) {
            throw PluginError(
                .conflict,
                "\(what) cannot be deleted: \(last). Delete what still uses it (instances, network interfaces, gateways, other groups' rules) and run again.",
                providerCode: "DependencyViolation")
        }
    }

    static func arn(_ context: ResourceContext, owner: String?, resource: String) -> Value {
        guard let owner, !owner.isEmpty else { return .null }
        return .string("arn:\(context.partition):ec2:\(context.region):\(owner):\(resource)")
    }
}
