import StrataModel

/// Replaces references in a resource's inputs by the values they point at, as far as they
/// are known: at plan time computed attributes of resources still to be made are unknown;
/// at apply time everything a step depends on is known.
struct Resolver {
    /// Known attributes per resource. A missing attribute of a known resource is unknown.
    var attributes: [ResourceAddress: [String: Value]] = [:]

    func resolve(_ value: Value) -> Value {
        switch value {
        case .reference(let ref):
            guard let known = attributes[ref.address], let v = known[ref.attribute] else { return .unknown }
            return v
        case .template(let parts):
            let resolved = parts.map(resolve)
            var text = ""
            var secret = false
            for part in resolved {
                switch part {
                case .secret(let inner):
                    secret = true
                    guard let s = Resolver.text(inner) else { return .unknown }
                    text += s
                default:
                    guard let s = Resolver.text(part) else { return .unknown }
                    text += s
                }
            }
            return secret ? .secret(.string(text)) : .string(text)
        case .list(let items): return .list(items.map(resolve))
        case .map(let fields): return .map(fields.mapValues(resolve))
        case .secret(let inner):
            let resolved = resolve(inner)
            if case .secret = resolved { return resolved }
            return .secret(resolved)
        default: return value
        }
    }

    func resolve(_ inputs: [String: Value]) -> [String: Value] { inputs.mapValues(resolve) }

    private static func text(_ value: Value) -> String? {
        switch value {
        case .string(let s): return s
        case .number, .bool: return value.rendered()
        case .secret(let inner): return text(inner)
        default: return nil
        }
    }
}

extension Value {
    /// Equal for planning: secret markers do not count as a difference.
    func sameAs(_ other: Value?) -> Bool {
        (other ?? .null).revealed == revealed
    }
}
