import StrataAWSKit
import StrataModel
import StrataPluginKit

/// One permission with one source: the unit Authorize/Revoke work in. A stack's rule
/// (`{protocol, fromPort, toPort, cidrBlocks, ipv6CidrBlocks, securityGroups, description}`)
/// is a set of these, and so is what DescribeSecurityGroups answers, however it groups them.
struct RuleAtom: Hashable, Comparable, Sendable {
    enum Source: String, Hashable, Comparable, Sendable {
        case cidr, ipv6, group
        static func < (a: Source, b: Source) -> Bool { a.rawValue < b.rawValue }
    }
    var ipProtocol: String
    var fromPort: Int?
    var toPort: Int?
    var kind: Source
    var source: String
    var description: String?

    static func < (a: RuleAtom, b: RuleAtom) -> Bool {
        (a.ipProtocol, a.fromPort ?? -2, a.toPort ?? -2, a.kind, a.source, a.description ?? "")
            < (b.ipProtocol, b.fromPort ?? -2, b.toPort ?? -2, b.kind, b.source, b.description ?? "")
    }
}

enum SecurityGroupRules {
    static let ruleKeys: Set<String> = ["protocol", "fromPort", "toPort", "cidrBlocks", "ipv6CidrBlocks", "securityGroups", "description"]

    /// `tcp`, `udp`, `icmp`, `icmpv6`, `-1` (all); numbers for the common ones become names.
    static func normalizedProtocol(_ text: String) -> String {
        switch text.lowercased() {
        case "all", "-1": return "-1"
        case "6": return "tcp"
        case "17": return "udp"
        case "1": return "icmp"
        case "58": return "icmpv6"
        default: return text.lowercased()
        }
    }

    /// What is wrong with a list of rules (each problem names the rule by its position).
    static func problems(_ value: Value?, attribute: String) -> [CheckProblem] {
        guard let value, value.isKnown else { return [] }
        guard let rules = value.revealed.listValue else {
            return [CheckProblem(attribute: attribute, message: "'\(attribute)' must be a list of rules")]
        }
        var problems: [CheckProblem] = []
        for (index, rule) in rules.enumerated() {
            let at = "\(attribute)[\(index)]"
            do { _ = try atoms(rule, at: at) } catch let error as PluginError {
                problems.append(CheckProblem(attribute: attribute, message: error.message))
            } catch {
                problems.append(CheckProblem(attribute: attribute, message: "\(at): \(error)"))
            }
        }
        return problems
    }

    static func atoms(_ rules: [Value]?, attribute: String) throws -> Set<RuleAtom> {
        var all: Set<RuleAtom> = []
        for (index, rule) in (rules ?? []).enumerated() { all.formUnion(try atoms(rule, at: "\(attribute)[\(index)]")) }
        return all
    }

    static func atoms(_ rule: Value, at: String) throws -> [RuleAtom] {
        guard let map = rule.revealed.mapValue else {
            throw PluginError(.invalid, "\(at) must be a map such as {\"protocol\": \"tcp\", \"fromPort\": 443, \"toPort\": 443, \"cidrBlocks\": [\"0.0.0.0/0\"]}")
        }
        if let unknown = map.keys.sorted().first(where: { !ruleKeys.contains($0) }) {
            throw PluginError(.invalid, "\(at): unknown key '\(unknown)' (known: \(ruleKeys.sorted().joined(separator: ", ")))")
        }
        guard let rawProtocol = map["protocol"]?.stringValue ?? map["protocol"]?.numberValue.map({ String(Int($0)) }) else {
            throw PluginError(.invalid, "\(at): 'protocol' is required (tcp, udp, icmp or -1 for all)")
        }
        let ipProtocol = normalizedProtocol(rawProtocol)
        var fromPort = map["fromPort"]?.numberValue.map { Int($0) }
        var toPort = map["toPort"]?.numberValue.map { Int($0) }
        if ipProtocol == "-1" {
            fromPort = nil
            toPort = nil
        } else if ipProtocol == "tcp" || ipProtocol == "udp" {
            guard let from = fromPort, let to = toPort else {
                throw PluginError(.invalid, "\(at): \(ipProtocol) rules need 'fromPort' and 'toPort'")
            }
            guard (0...65535).contains(from), (0...65535).contains(to), from <= to else {
                throw PluginError(.invalid, "\(at): ports must be 0–65535 with fromPort ≤ toPort (got \(from)–\(to))")
            }
        }
        func strings(_ key: String) throws -> [String] {
            guard let value = map[key], value != .null else { return [] }
            guard let list = value.listValue else { throw PluginError(.invalid, "\(at): '\(key)' must be a list of strings") }
            return try list.map { item in
                guard let s = item.stringValue else { throw PluginError(.invalid, "\(at): '\(key)' must be a list of strings") }
                return s
            }
        }
        let description = map["description"]?.stringValue
        var atoms: [RuleAtom] = []
        for cidr in try strings("cidrBlocks") {
            if NameRules.IPv4CIDR(cidr) == nil { throw PluginError(.invalid, "\(at): '\(cidr)' is not an IPv4 CIDR block such as 0.0.0.0/0") }
            atoms.append(RuleAtom(ipProtocol: ipProtocol, fromPort: fromPort, toPort: toPort, kind: .cidr, source: cidr, description: description))
        }
        for cidr in try strings("ipv6CidrBlocks") {
            atoms.append(RuleAtom(ipProtocol: ipProtocol, fromPort: fromPort, toPort: toPort, kind: .ipv6, source: cidr, description: description))
        }
        for group in try strings("securityGroups") {
            atoms.append(RuleAtom(ipProtocol: ipProtocol, fromPort: fromPort, toPort: toPort, kind: .group, source: group, description: description))
        }
        if atoms.isEmpty && map.values.allSatisfy(\.isKnown) {
            throw PluginError(.invalid, "\(at): a rule needs at least one of cidrBlocks, ipv6CidrBlocks, securityGroups")
        }
        return atoms
    }

    /// `<ipPermissions><item>…</item></ipPermissions>` → atoms.
    static func atoms(xml permissions: [XMLTree]) -> Set<RuleAtom> {
        var all: Set<RuleAtom> = []
        for permission in permissions {
            let ipProtocol = normalizedProtocol(permission.string("ipProtocol") ?? "-1")
            let all_ = ipProtocol == "-1"
            let from = all_ ? nil : permission.string("fromPort").flatMap { Int($0) }
            let to = all_ ? nil : permission.string("toPort").flatMap { Int($0) }
            func add(_ kind: RuleAtom.Source, _ list: String, _ element: String) {
                for item in permission.items(list) {
                    guard let source = item.string(element) else { continue }
                    let description = item.string("description").flatMap { $0.isEmpty ? nil : $0 }
                    all.insert(RuleAtom(ipProtocol: ipProtocol, fromPort: from, toPort: to, kind: kind, source: source, description: description))
                }
            }
            add(.cidr, "ipRanges", "cidrIp")
            add(.ipv6, "ipv6Ranges", "cidrIpv6")
            add(.group, "groups", "groupId")
        }
        return all
    }

    /// Atoms as the stack writes rules: grouped by protocol, ports and description.
    static func value(_ atoms: Set<RuleAtom>) -> Value {
        struct Key: Hashable, Comparable {
            var p: String, from: Int?, to: Int?, d: String?
            static func < (a: Key, b: Key) -> Bool { (a.p, a.from ?? -2, a.to ?? -2, a.d ?? "") < (b.p, b.from ?? -2, b.to ?? -2, b.d ?? "") }
        }
        let groups = Dictionary(grouping: atoms) { Key(p: $0.ipProtocol, from: $0.fromPort, to: $0.toPort, d: $0.description) }
        return .list(groups.keys.sorted().map { key in
            let members = groups[key, default: []].sorted()
            var rule: [String: Value] = ["protocol": .string(key.p)]
            if let from = key.from { rule["fromPort"] = .number(Double(from)) }
            if let to = key.to { rule["toPort"] = .number(Double(to)) }
            if let d = key.d { rule["description"] = .string(d) }
            for (kind, name) in [(RuleAtom.Source.cidr, "cidrBlocks"), (.ipv6, "ipv6CidrBlocks"), (.group, "securityGroups")] {
                let sources = members.filter { $0.kind == kind }.map { Value.string($0.source) }
                if !sources.isEmpty { rule[name] = .list(sources) }
            }
            return .map(rule)
        })
    }

    /// `IpPermissions.N.…` parameters, one permission per atom.
    static func encode(_ atoms: [RuleAtom], into params: inout QueryParameters) {
        for (index, atom) in atoms.sorted().enumerated() {
            let p = "IpPermissions.\(index + 1)"
            params["\(p).IpProtocol"] = atom.ipProtocol
            if let from = atom.fromPort { params.set("\(p).FromPort", from) }
            if let to = atom.toPort { params.set("\(p).ToPort", to) }
            switch atom.kind {
            case .cidr:
                params["\(p).IpRanges.1.CidrIp"] = atom.source
                params["\(p).IpRanges.1.Description"] = atom.description
            case .ipv6:
                params["\(p).Ipv6Ranges.1.CidrIpv6"] = atom.source
                params["\(p).Ipv6Ranges.1.Description"] = atom.description
            case .group:
                params["\(p).Groups.1.GroupId"] = atom.source
                params["\(p).Groups.1.Description"] = atom.description
            }
        }
    }
}
