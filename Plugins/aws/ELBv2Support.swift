import StrataAWSKit
import StrataModel
import StrataPluginKit

/// What the Elastic Load Balancing v2 types share: Query answers (`<XResult>` with
/// `<member>` lists), `Marker` pages, tags by ARN (DescribeTags/AddTags/RemoveTags).
enum ELB {
    /// The `<ActionResult>` element of an answer (the answer itself if there is none).
    static func result(_ tree: XMLTree, _ action: String) -> XMLTree {
        tree.child("\(action)Result") ?? tree
    }

    /// The `<member>`s of the list at a path.
    static func members(_ tree: XMLTree?, _ path: String...) -> [XMLTree] {
        tree?.descend(path)?.all("member") ?? []
    }

    /// One call; the `<member>`s of `listElement` in its result.
    static func call(_ action: String, _ params: QueryParameters, list listElement: String, client: AWSClient) async throws -> [XMLTree] {
        let tree = try await client.query(service: .elbv2, action: action, params: params)
        return members(result(tree, action), listElement)
    }

    /// Every page of a `Describe*` call (`Marker` in, `NextMarker` out).
    static func pages(_ action: String, _ params: QueryParameters, list listElement: String, client: AWSClient) async throws -> [XMLTree] {
        try await Paginator.collect { marker in
            var p = params
            p["Marker"] = marker
            let answer = result(try await client.query(service: .elbv2, action: action, params: p), action)
            return (members(answer, listElement), answer.string("NextMarker"))
        }
    }

    /// The one item a `Describe*` by ARN lists; nil when AWS says it does not exist.
    static func describeOne(_ action: String, arnParameter: String, arn: String, list listElement: String, client: AWSClient) async throws -> XMLTree? {
        var params = QueryParameters()
        params.list("\(arnParameter).member", [arn])
        do {
            return try await call(action, params, list: listElement, client: client).first
        } catch let error as AWSError where error.kind == .notFound {
            return nil
        }
    }

    /// The tags of each ARN (DescribeTags takes 20 at a time); ARNs gone meanwhile are left out.
    static func tags(_ arns: [String], client: AWSClient) async throws -> [String: [String: String]] {
        var out: [String: [String: String]] = [:]
        var start = 0
        while start < arns.count {
            let batch = Array(arns[start..<min(start + 20, arns.count)])
            start += 20
            var params = QueryParameters()
            params.list("ResourceArns.member", batch)
            let descriptions: [XMLTree]
            do {
                descriptions = try await call("DescribeTags", params, list: "TagDescriptions", client: client)
            } catch let error as AWSError where error.kind == .notFound && batch.count == 1 {
                continue
            }
            for description in descriptions {
                guard let arn = description.string("ResourceArn") else { continue }
                var map: [String: String] = [:]
                for tag in members(description, "Tags") {
                    if let key = tag.string("Key") { map[key] = tag.string("Value") ?? "" }
                }
                out[arn] = map
            }
        }
        return out
    }

    /// Sets the stack's tags, compared with the tags the resource has now; `strata:*` left alone.
    static func updateTags(arn: String, to wanted: [String: String], client: AWSClient) async throws {
        let actual = StrataTags.userTags(try await tags([arn], client: client)[arn] ?? [:])
        let new = StrataTags.userTags(wanted)
        let removed = actual.keys.filter { new[$0] == nil }.sorted()
        let changed = new.filter { actual[$0.key] != $0.value }
        if !removed.isEmpty {
            var params = QueryParameters()
            params.list("ResourceArns.member", [arn])
            params.list("TagKeys.member", removed)
            _ = try await client.query(service: .elbv2, action: "RemoveTags", params: params)
        }
        if !changed.isEmpty {
            var params = QueryParameters()
            params.list("ResourceArns.member", [arn])
            params.tagList("Tags.member", changed)
            _ = try await client.query(service: .elbv2, action: "AddTags", params: params)
        }
    }

    /// The load balancer or target group called `name` (unique in a region; `Describe*` by
    /// `Names`), if it carries `strata:token = token`: its ARN.
    static func named(_ name: String, _ action: String, list: String, arnElement: String, token: String, client: AWSClient) async throws -> String? {
        var params = QueryParameters()
        params.list("Names.member", [name])
        let found: [XMLTree]
        do {
            found = try await call(action, params, list: list, client: client)
        } catch let error as AWSError where error.kind == .notFound {
            return nil
        }
        return try await tagged(found.compactMap { $0.string(arnElement) }, token: token, client: client)
    }

    /// The first of `arns` tagged `strata:token = token`.
    static func tagged(_ arns: [String], token: String, client: AWSClient) async throws -> String? {
        let all = try await tags(arns, client: client)
        return arns.first { all[$0]?[StrataTags.token] == token }
    }

    /// The candidates carrying every one of `tags`, read (drift detection).
    static func discover(_ resource: any AWSResource, arns: [String], tags wanted: [String: String], in context: ResourceContext) async throws -> [DiscoveredResource] {
        let all = try await tags(arns, client: context.client)
        let candidates = arns.compactMap { arn -> (id: String, tags: [String: String])? in
            guard let found = all[arn], Discovery.matches(found, wanted) else { return nil }
            return (arn, found)
        }
        return try await Discovery.read(resource, candidates, in: context)
    }

    /// Every load balancer's ARN in the region.
    static func loadBalancerARNs(client: AWSClient) async throws -> [String] {
        try await pages("DescribeLoadBalancers", QueryParameters(), list: "LoadBalancers", client: client).compactMap { $0.string("LoadBalancerArn") }
    }

    /// Every listener's ARN of every load balancer in the region.
    static func listenerARNs(client: AWSClient) async throws -> [String] {
        var out: [String] = []
        for lb in try await loadBalancerARNs(client: client) {
            out += try await listenerARNs(loadBalancer: lb, client: client)
        }
        return out
    }

    static func listenerARNs(loadBalancer: String, client: AWSClient) async throws -> [String] {
        do {
            return try await pages("DescribeListeners", ["LoadBalancerArn": loadBalancer], list: "Listeners", client: client)
                .compactMap { $0.string("ListenerArn") }
        } catch let error as AWSError where error.kind == .notFound {
            return []
        }
    }
}

/// Checks of numbers and enums shared by the load balancing and compute types.
enum InputChecks {
    /// `key` is a whole number in `range`, when set and known.
    static func integer(_ inputs: Inputs, _ key: String, in range: ClosedRange<Int>) -> [CheckProblem] {
        guard let value = inputs[key], value.isKnown else { return [] }
        guard let number = value.numberValue, number == number.rounded(), range.contains(Int(number)) else {
            return [CheckProblem(attribute: key, message: "'\(key)' must be a whole number from \(range.lowerBound) to \(range.upperBound)")]
        }
        return []
    }

    /// `key` is one of `allowed`, when set and known.
    static func oneOf(_ inputs: Inputs, _ key: String, _ allowed: [String]) -> [CheckProblem] {
        guard let value = inputs.string(key), !allowed.contains(value) else { return [] }
        return [CheckProblem(attribute: key, message: "'\(key)' must be one of \(allowed.joined(separator: ", ")), not '\(value)'")]
    }

    /// A load balancer or target group name: 1–32 letters, digits and hyphens, not starting
    /// or ending with a hyphen.
    static func elbName(_ inputs: Inputs, what: String) -> [CheckProblem] {
        guard let name = inputs.string("name") else { return [] }
        let allowed = Set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-")
        var problem: String?
        if name.isEmpty || name.count > 32 {
            problem = "\(what) name '\(name)' must be 1 to 32 characters long (it has \(name.count))"
        } else if let bad = name.first(where: { !allowed.contains($0) }) {
            problem = "\(what) name '\(name)' may hold only letters, digits and hyphens, not '\(bad)'"
        } else if name.hasPrefix("-") || name.hasSuffix("-") {
            problem = "\(what) name '\(name)' must not begin or end with a hyphen"
        } else if what == "load balancer", name.lowercased().hasPrefix("internal-") {
            problem = "load balancer name '\(name)' must not begin with 'internal-'"
        }
        return problem.map { [CheckProblem(attribute: "name", message: $0)] } ?? []
    }

    static func int(_ inputs: Inputs, _ key: String) -> Int? {
        inputs[key]?.numberValue.map { Int($0) }
    }
}
