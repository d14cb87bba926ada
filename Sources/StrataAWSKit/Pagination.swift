import StrataModel

/// Walks a paginated API: `fetch(token)` returns one page and the next token (nil or empty
/// at the end). Stops on a repeated token (a service bug would otherwise loop forever).
public enum Paginator {
    public static func collect<Item: Sendable>(
        maxPages: Int = 1000,
        _ fetch: (_ token: String?) async throws -> (items: [Item], next: String?)
    ) async throws -> [Item] {
        var all: [Item] = []
        var token: String?
        var seen: Set<String> = []
        for _ in 0..<maxPages {
            let page = try await fetch(token)
            all += page.items
            guard let next = page.next, !next.isEmpty, seen.insert(next).inserted else { return all }
            token = next
        }
        return all
    }
}

extension AWSClient {
    /// EC2 `Describe*` pages: `NextToken` in, `<nextToken>` out; the `<item>`s under `listElement`.
    public func queryPages(service: AWSService, action: String, params: QueryParameters, listElement: String) async throws -> [XMLTree] {
        try await Paginator.collect { token in
            var p = params
            p["NextToken"] = token
            let tree = try await query(service: service, action: action, params: p)
            return (tree.items(listElement), tree.string("nextToken") ?? tree.string("NextToken"))
        }
    }

    /// Query `Marker` pages (IAM): `Marker` in; `<IsTruncated>` and `<Marker>` out, inside
    /// `<ActionResult>`; the `<member>`s under `listElement`.
    public func queryMarkerPages(service: AWSService, action: String, params: QueryParameters, listElement: String) async throws -> [XMLTree] {
        try await Paginator.collect { marker in
            var p = params
            p["Marker"] = marker
            let tree = try await query(service: service, action: action, params: p)
            let result = tree.child("\(action)Result") ?? tree
            let items = result.child(listElement)?.all("member") ?? []
            return (items, result.bool("IsTruncated") == true ? result.string("Marker") : nil)
        }
    }

    /// JSON pages: `NextToken` in and out; the list at `listKey`.
    public func jsonPages(service: AWSService, target: String, body: [String: Value], listKey: String) async throws -> [Value] {
        try await Paginator.collect { token in
            var b = body
            if let token { b["NextToken"] = .string(token) }
            let answer = try await json(service: service, target: target, body: b)
            return (answer[listKey]?.listValue ?? [], answer["NextToken"]?.stringValue)
        }
    }
}
