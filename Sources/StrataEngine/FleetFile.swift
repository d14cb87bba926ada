import Foundation
import Yams

/// One tenant of a fleet: its id and the stack parameters it is applied with.
public struct TenantSpec: Sendable, Hashable, Codable {
    /// Checked by `TenantID.problem(_:)`: lower-case letters, digits and '-', at most 63.
    public var id: String
    /// The stack variables from the file (`vars:`), values as written. `tenant` is not among
    /// them: `variables` adds it.
    public var vars: [String: String]

    public init(id: String, vars: [String: String] = [:]) {
        self.id = id
        self.vars = vars
    }

    /// The stack instance this tenant is: `tenant/<id>`.
    public var instance: String { TenantID.instance(for: id) }
    /// What the stack is run with: the file's vars plus `tenant` = the id.
    public var variables: [String: String] { vars.merging(["tenant": id]) { _, id in id } }
}

/// Tenant ids and the instances that hold them.
public enum TenantID {
    /// Every tenant's instance name starts with this.
    public static let instancePrefix = "tenant/"
    /// `^[a-z0-9][a-z0-9-]{0,62}$`, as text for messages.
    public static let rule = "lower-case letters, digits and '-', starting with a letter or digit, at most 63 characters"

    public static func instance(for id: String) -> String { instancePrefix + id }

    /// The tenant id of an instance name, if it is a tenant's (`tenant/acme` → `acme`).
    public static func id(ofInstance instance: String) -> String? {
        guard instance.hasPrefix(instancePrefix) else { return nil }
        let id = String(instance.dropFirst(instancePrefix.count))
        return problem(id) == nil ? id : nil
    }

    /// Why `id` is not a valid tenant id, or nil when it is. Only ASCII `[a-z0-9-]`, so an id
    /// can carry no path separator, dot, quote, space or escape into names, paths or SQL.
    public static func problem(_ id: String) -> String? {
        if id.isEmpty { return "it is empty" }
        if id.utf8.count > 63 { return "it is \(id.utf8.count) characters long (at most 63)" }
        guard let first = id.utf8.first, isLowerOrDigit(first) else {
            return "it must start with a lower-case letter or a digit"
        }
        if let bad = id.unicodeScalars.first(where: { !($0.isASCII && (isLowerOrDigit(UInt8($0.value)) || $0 == "-")) }) {
            return "it contains '\(printable(String(bad)))'; use only \(rule)"
        }
        return nil
    }

    /// `text` for a message: control and non-ASCII characters escaped, so none reaches a terminal raw.
    public static func printable(_ text: String) -> String {
        text.unicodeScalars.map { $0.value >= 0x20 && $0.value < 0x7F ? String($0) : $0.escaped(asASCII: true) }.joined()
    }

    private static func isLowerOrDigit(_ byte: UInt8) -> Bool {
        (byte >= UInt8(ascii: "a") && byte <= UInt8(ascii: "z")) || (byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9"))
    }
}

/// A tenants file (`tenants.yaml`, or the same in JSON), read strictly:
///
/// ```yaml
/// tenants:
///   - id: acme
///     vars: {size: small, region: us-east-1}
///   - id: globex
/// ```
///
/// Unknown keys, duplicate ids, bad ids, nested values and a `tenant` var are refused with the
/// file, the entry and (for YAML) the line.
public struct TenantsFile: Sendable, Hashable {
    /// The path as the user gave it, for messages.
    public var path: String
    public var tenants: [TenantSpec]

    public init(path: String, tenants: [TenantSpec]) {
        self.path = path
        self.tenants = tenants
    }

    /// Reads and checks the file at `path` (relative to `workingDirectory`).
    public static func read(path: String, workingDirectory: URL) throws -> TenantsFile {
        let url = path.hasPrefix("/") ? URL(fileURLWithPath: path) : workingDirectory.appendingPathComponent(path)
        let data: Data
        do {
            data = try Data(contentsOf: url)
        } catch {
            throw TenantsFileError(path: path, entry: nil, line: nil, message: "cannot read it (\(error.localizedDescription))")
        }
        guard let text = String(data: data, encoding: .utf8) else {
            throw TenantsFileError(path: path, entry: nil, line: nil, message: "it is not UTF-8 text")
        }
        return try parse(text, path: path)
    }

    /// Parses the text of a tenants file; JSON when it ends in `.json` or starts with `{`, else YAML.
    public static func parse(_ text: String, path: String) throws -> TenantsFile {
        let trimmed = text.trimmingCharacters(in: .whitespacesAndNewlines)
        let entries: [RawEntry]
        if path.lowercased().hasSuffix(".json") || trimmed.hasPrefix("{") {
            entries = try JSONReader(path: path).entries(Data(text.utf8))
        } else {
            entries = try YAMLReader(path: path).entries(text)
        }
        var seen: [String: Int] = [:]
        var tenants: [TenantSpec] = []
        for (index, entry) in entries.enumerated() {
            let number = index + 1
            func fail(_ message: String) -> TenantsFileError {
                TenantsFileError(path: path, entry: number, line: entry.line, message: message)
            }
            guard let id = entry.id else { throw fail("it has no `id`") }
            if let problem = TenantID.problem(id) {
                throw fail("tenant id '\(TenantID.printable(id))' is not valid: \(problem)")
            }
            if let first = seen[id] { throw fail("tenant id '\(id)' is listed twice (also entry \(first))") }
            seen[id] = number
            if entry.vars["tenant"] != nil {
                throw fail("`tenant` is set from the id; remove it from vars")
            }
            for name in entry.vars.keys where name.isEmpty || name.contains("=") || name.contains(where: { $0.isWhitespace }) {
                throw fail("var name '\(name)' is not valid: use letters, digits, '_' and '-'")
            }
            tenants.append(TenantSpec(id: id, vars: entry.vars))
        }
        return TenantsFile(path: path, tenants: tenants)
    }

    /// One entry as read, before its checks.
    struct RawEntry {
        var id: String?
        var vars: [String: String]
        var line: Int?
    }
}

/// A tenants file that cannot be used, naming where.
public struct TenantsFileError: Error, Sendable, CustomStringConvertible {
    public var path: String
    /// 1-based position in `tenants:`.
    public var entry: Int?
    public var line: Int?
    public var message: String

    public var description: String {
        var place = path
        if let line { place += ":\(line)" }
        if let entry { place += ": tenant entry \(entry)" }
        return "\(place): \(message)"
    }
}

/// Reads the YAML form through Yams' node tree, so scalars stay as written (`1.10` stays
/// `1.10`, `yes` stays `yes`) and every error can name its line.
private struct YAMLReader {
    var path: String

    func entries(_ text: String) throws -> [TenantsFile.RawEntry] {
        let root: Node?
        do {
            root = try Yams.compose(yaml: text)
        } catch {
            throw TenantsFileError(path: path, entry: nil, line: nil, message: "not valid YAML: \(error)")
        }
        guard let root, case .mapping(let top) = root else {
            throw TenantsFileError(path: path, entry: nil, line: root?.mark?.line, message: "expected a mapping with a `tenants:` list")
        }
        var list: Node?
        for (key, value) in top {
            guard let name = key.scalar?.string, name == "tenants" else {
                throw TenantsFileError(path: path, entry: nil, line: key.mark?.line, message: "unknown key '\(key.scalar?.string ?? "?")' (only `tenants:`)")
            }
            list = value
        }
        guard let list else {
            throw TenantsFileError(path: path, entry: nil, line: nil, message: "no `tenants:` list")
        }
        if case .scalar(let scalar) = list, Self.isNull(scalar) { return [] }
        guard case .sequence(let items) = list else {
            throw TenantsFileError(path: path, entry: nil, line: list.mark?.line, message: "`tenants:` must be a list (`- id: acme`)")
        }
        return try items.enumerated().map { index, item in try entry(item, number: index + 1) }
    }

    func entry(_ node: Node, number: Int) throws -> TenantsFile.RawEntry {
        let line = node.mark?.line
        func fail(_ message: String, _ at: Node? = nil) -> TenantsFileError {
            TenantsFileError(path: path, entry: number, line: at?.mark?.line ?? line, message: message)
        }
        guard case .mapping(let fields) = node else { throw fail("expected `id:` and `vars:` (a mapping)") }
        var entry = TenantsFile.RawEntry(id: nil, vars: [:], line: line)
        for (key, value) in fields {
            switch key.scalar?.string {
            case "id":
                guard case .scalar(let scalar) = value, !Self.isNull(scalar) else { throw fail("`id` must be a single value", value) }
                entry.id = scalar.string
            case "vars":
                if case .scalar(let scalar) = value, Self.isNull(scalar) { continue }
                guard case .mapping(let vars) = value else { throw fail("`vars` must be a mapping (`vars: {size: small}`)", value) }
                for (name, varValue) in vars {
                    guard case .scalar(let nameScalar) = name else { throw fail("a var name must be a plain value", name) }
                    guard case .scalar(let scalar) = varValue, !Self.isNull(scalar) else {
                        throw fail("var '\(nameScalar.string)' must be a single value (a string, number or boolean; no lists, maps or null)", varValue)
                    }
                    if entry.vars[nameScalar.string] != nil { throw fail("var '\(nameScalar.string)' is set twice", name) }
                    entry.vars[nameScalar.string] = scalar.string
                }
            default:
                throw fail("unknown key '\(key.scalar?.string ?? "?")' (a tenant has `id:` and `vars:`)", key)
            }
        }
        return entry
    }

    static func isNull(_ scalar: Node.Scalar) -> Bool {
        scalar.style == .plain && ["", "~", "null", "Null", "NULL"].contains(scalar.string)
    }
}

/// Reads the JSON form: `{"tenants": [{"id": "acme", "vars": {"size": "small"}}]}`.
private struct JSONReader {
    var path: String

    func entries(_ data: Data) throws -> [TenantsFile.RawEntry] {
        let root: Any
        do {
            root = try JSONSerialization.jsonObject(with: data, options: [])
        } catch {
            throw TenantsFileError(path: path, entry: nil, line: nil, message: "not valid JSON: \(error.localizedDescription)")
        }
        guard let top = root as? [String: Any] else {
            throw TenantsFileError(path: path, entry: nil, line: nil, message: "expected an object with a \"tenants\" array")
        }
        if let unknown = top.keys.sorted().first(where: { $0 != "tenants" }) {
            throw TenantsFileError(path: path, entry: nil, line: nil, message: "unknown key '\(unknown)' (only \"tenants\")")
        }
        guard let list = top["tenants"] as? [Any] else {
            throw TenantsFileError(path: path, entry: nil, line: nil, message: "\"tenants\" must be an array")
        }
        return try list.enumerated().map { index, item in
            func fail(_ message: String) -> TenantsFileError {
                TenantsFileError(path: path, entry: index + 1, line: nil, message: message)
            }
            guard let fields = item as? [String: Any] else { throw fail("expected an object with \"id\" and \"vars\"") }
            if let unknown = fields.keys.sorted().first(where: { $0 != "id" && $0 != "vars" }) {
                throw fail("unknown key '\(unknown)' (a tenant has \"id\" and \"vars\")")
            }
            var entry = TenantsFile.RawEntry(id: nil, vars: [:], line: nil)
            if let id = fields["id"] {
                guard let text = id as? String else { throw fail("\"id\" must be a string") }
                entry.id = text
            }
            if let vars = fields["vars"], !(vars is NSNull) {
                guard let map = vars as? [String: Any] else { throw fail("\"vars\" must be an object") }
                for (name, value) in map {
                    guard let text = Self.scalar(value) else {
                        throw fail("var '\(name)' must be a single value (a string, number or boolean; no arrays, objects or null)")
                    }
                    entry.vars[name] = text
                }
            }
            return entry
        }
    }

    static func scalar(_ value: Any) -> String? {
        if let text = value as? String { return text }
        if let number = value as? NSNumber {
            // JSONSerialization gives booleans as NSNumber too (of a boolean subclass).
            if String(describing: type(of: number)).contains("Boolean") { return number.boolValue ? "true" : "false" }
            return number.stringValue
        }
        return nil
    }
}
