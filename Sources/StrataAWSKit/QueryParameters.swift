/// Form parameters of an EC2/Query call, with the flattened list names the EC2 protocol
/// uses (`Filter.1.Name`, `Filter.1.Value.1`, `TagSpecification.1.Tag.1.Key`).
public struct QueryParameters: Sendable, Hashable, ExpressibleByDictionaryLiteral {
    public private(set) var values: [String: String] = [:]

    public init() {}
    public init(dictionaryLiteral elements: (String, String)...) {
        for (key, value) in elements { values[key] = value }
    }

    public subscript(key: String) -> String? {
        get { values[key] }
        set { values[key] = newValue }
    }

    public mutating func set(_ key: String, _ value: Bool) { values[key] = value ? "true" : "false" }
    public mutating func set(_ key: String, _ value: Int) { values[key] = String(value) }

    /// `VpcId.1`, `VpcId.2`, …
    public mutating func list(_ name: String, _ items: [String]) {
        for (index, item) in items.enumerated() { values["\(name).\(index + 1)"] = item }
    }

    /// `Filter.N.Name` + `Filter.N.Value.M`, appended after any filters already set.
    public mutating func filter(_ name: String, _ filterValues: [String]) {
        var n = 1
        while values["Filter.\(n).Name"] != nil { n += 1 }
        values["Filter.\(n).Name"] = name
        list("Filter.\(n).Value", filterValues)
    }

    /// `TagSpecification.1.ResourceType` + `TagSpecification.1.Tag.N.Key/Value`.
    public mutating func tagSpecification(resourceType: String, tags: [String: String]) {
        guard !tags.isEmpty else { return }
        var n = 1
        while values["TagSpecification.\(n).ResourceType"] != nil { n += 1 }
        values["TagSpecification.\(n).ResourceType"] = resourceType
        tagList("TagSpecification.\(n).Tag", tags)
    }

    /// `Tag.N.Key` / `Tag.N.Value`, sorted by key.
    public mutating func tagList(_ prefix: String, _ tags: [String: String], withValues: Bool = true) {
        for (index, key) in tags.keys.sorted().enumerated() {
            values["\(prefix).\(index + 1).Key"] = key
            if withValues { values["\(prefix).\(index + 1).Value"] = tags[key] }
        }
    }

    /// The form body: `Action=…&Version=…&…`, keys sorted, encoded as SigV4 encodes.
    public func formEncoded(action: String, version: String) -> String {
        var all = values
        all["Action"] = action
        all["Version"] = version
        return all.keys.sorted().map { "\(URIEncoding.encode($0))=\(URIEncoding.encode(all[$0] ?? ""))" }.joined(separator: "&")
    }
}
