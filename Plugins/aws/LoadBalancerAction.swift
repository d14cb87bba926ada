import StrataAWSKit
import StrataModel
import StrataPluginKit

/// A listener's default action or a listener rule's action, written in a stack as one map:
/// `{type: "forward", targetGroupArn}`, `{type: "fixed-response", statusCode, contentType?,
/// messageBody?}` or `{type: "redirect", statusCode: "HTTP_301"|"HTTP_302", protocol?, port?,
/// host?, path?, query?}`. Redirect parts left unset keep the request's (`#{host}`, …).
struct LoadBalancerAction: Sendable, Hashable {
    var type: String
    var fields: [String: String]

    static let keys: [String: [String]] = [
        "forward": ["targetGroupArn"],
        "fixed-response": ["statusCode", "contentType", "messageBody"],
        "redirect": ["statusCode", "protocol", "port", "host", "path", "query"],
    ]
    static let required: [String: [String]] = ["forward": ["targetGroupArn"], "fixed-response": ["statusCode"], "redirect": ["statusCode"]]
    static let redirectDefaults = ["protocol": "#{protocol}", "port": "#{port}", "host": "#{host}", "path": "/#{path}", "query": "#{query}"]
    static let contentTypes = ["text/plain", "text/css", "text/html", "application/javascript", "application/json"]

    /// Parses the stack's map; throws `invalid` naming what is wrong.
    init(_ value: Value, attribute: String) throws {
        guard let map = value.revealed.mapValue else { throw PluginError(.invalid, "'\(attribute)' must be a map with a 'type'") }
        guard let type = map["type"]?.stringValue, let allowed = Self.keys[type] else {
            throw PluginError(.invalid, "\(attribute).type must be one of forward, fixed-response, redirect")
        }
        var fields: [String: String] = [:]
        for (key, field) in map where key != "type" {
            guard allowed.contains(key) else {
                throw PluginError(.invalid, "\(attribute): '\(key)' does not apply to a \(type) action (it takes \(allowed.joined(separator: ", ")))")
            }
            if let s = field.stringValue {
                fields[key] = s
            } else if let n = field.numberValue, n == n.rounded() {
                fields[key] = String(Int(n))
            } else if field != .null {
                throw PluginError(.invalid, "\(attribute).\(key) must be a string")
            }
        }
        for key in Self.required[type] ?? [] where (fields[key] ?? "").isEmpty {
            throw PluginError(.invalid, "\(attribute): a \(type) action needs '\(key)'")
        }
        switch type {
        case "fixed-response":
            let code = fields["statusCode"] ?? ""
            if code.count != 3 || !["2", "4", "5"].contains(code.first.map(String.init) ?? "") || !code.allSatisfy(\.isNumber) {
                throw PluginError(.invalid, "\(attribute).statusCode of a fixed-response must be a 2XX, 4XX or 5XX code such as 404, not '\(code)'")
            }
            if let content = fields["contentType"], !Self.contentTypes.contains(content) {
                throw PluginError(.invalid, "\(attribute).contentType must be one of \(Self.contentTypes.joined(separator: ", "))")
            }
        case "redirect":
            if !["HTTP_301", "HTTP_302"].contains(fields["statusCode"] ?? "") {
                throw PluginError(.invalid, "\(attribute).statusCode of a redirect must be HTTP_301 or HTTP_302")
            }
            if let proto = fields["protocol"], !["HTTP", "HTTPS", "#{protocol}"].contains(proto) {
                throw PluginError(.invalid, "\(attribute).protocol must be HTTP, HTTPS or #{protocol}")
            }
        default: break
        }
        self.type = type
        self.fields = fields
    }

    /// From a `<member>` of `DefaultActions`/`Actions`.
    init(xml: XMLTree) {
        type = xml.string("Type") ?? ""
        var fields: [String: String] = [:]
        switch type {
        case "forward":
            fields["targetGroupArn"] = xml.string("TargetGroupArn")
                ?? ELB.members(xml, "ForwardConfig", "TargetGroups").first?.string("TargetGroupArn")
        case "fixed-response":
            for (key, element) in [("statusCode", "StatusCode"), ("contentType", "ContentType"), ("messageBody", "MessageBody")] {
                fields[key] = xml.string("FixedResponseConfig", element)
            }
        case "redirect":
            for (key, element) in [("statusCode", "StatusCode"), ("protocol", "Protocol"), ("port", "Port"), ("host", "Host"), ("path", "Path"), ("query", "Query")] {
                fields[key] = xml.string("RedirectConfig", element)
            }
        default: break
        }
        self.fields = fields.filter { !$0.value.isEmpty }
    }

    /// The same action with AWS's defaults filled in, for comparison.
    var normalized: LoadBalancerAction {
        guard type == "redirect" else { return self }
        var copy = self
        for (key, value) in Self.redirectDefaults where copy.fields[key] == nil { copy.fields[key] = value }
        return copy
    }

    var value: Value {
        var map: [String: Value] = ["type": .string(type)]
        for (key, field) in fields { map[key] = .string(field) }
        return .map(map)
    }

    /// `prefix.Type`, `prefix.TargetGroupArn`, `prefix.FixedResponseConfig.StatusCode`, …
    func encode(_ prefix: String, into params: inout QueryParameters) {
        params["\(prefix).Type"] = type
        switch type {
        case "forward":
            params["\(prefix).TargetGroupArn"] = fields["targetGroupArn"]
        case "fixed-response":
            for (key, element) in [("statusCode", "StatusCode"), ("contentType", "ContentType"), ("messageBody", "MessageBody")] {
                params["\(prefix).FixedResponseConfig.\(element)"] = fields[key]
            }
        case "redirect":
            for (key, element) in [("statusCode", "StatusCode"), ("protocol", "Protocol"), ("port", "Port"), ("host", "Host"), ("path", "Path"), ("query", "Query")] {
                params["\(prefix).RedirectConfig.\(element)"] = fields[key]
            }
        default: break
        }
    }

    /// The action as a read reports it: the stack's map when it means the same.
    static func output(_ actual: LoadBalancerAction?, recorded: Value?, attribute: String) -> Value {
        guard let actual else { return .null }
        if let recorded, let meant = try? LoadBalancerAction(recorded, attribute: attribute), meant.normalized == actual.normalized {
            return recorded
        }
        return actual.value
    }

    /// The problem with an action input, for `check`.
    static func problems(_ inputs: Inputs, _ attribute: String) -> [CheckProblem] {
        guard let value = inputs[attribute], value.isKnown else { return [] }
        do { _ = try LoadBalancerAction(value, attribute: attribute) } catch let error as PluginError {
            return [CheckProblem(attribute: attribute, message: error.message)]
        } catch {
            return [CheckProblem(attribute: attribute, message: "\(error)")]
        }
        return []
    }
}
