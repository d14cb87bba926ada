import Foundation
import StrataModel

/// Reads the text columns a state backend stores (inputs, outputs, dependencies, replaceWhen
/// values, addresses) back into values. Shared by the SQLite and PostgreSQL backends, and
/// free of any database so that it can be fuzzed on its own (`scripts/fuzz state`): whatever
/// a damaged or hand-edited state holds, reading it throws a `StateError`, never traps.
public struct StateColumns: Sendable {
    /// What the user is told to do when a column cannot be read.
    public var damagedHint: String

    public init(damagedHint: String) { self.damagedHint = damagedHint }

    public static let sqlite = StateColumns(damagedHint: "The state file may be damaged; restore it from a backup.")
    public static let postgres = StateColumns(damagedHint: "The state database may be damaged.")

    /// Inputs and outputs: a JSON object, read with the direct Value parser (the hot path of a load).
    public func fields(_ text: String, _ what: String) throws -> [String: Value] {
        do {
            return try ValueJSON.parseObject(text)
        } catch {
            throw StateError.storage("cannot read the \(what): \(error). \(damagedHint)")
        }
    }

    /// Dependencies: a JSON list of resource addresses.
    public func addresses(_ text: String, _ what: String) throws -> [ResourceAddress] {
        guard case .list(let items)? = try? ValueJSON.parse(text) else {
            throw StateError.storage("cannot read the \(what): not a list. \(damagedHint)")
        }
        return try items.map { item in
            guard case .string(let s) = item, let address = ResourceAddress(parsing: s) else {
                throw StateError.storage("cannot read the \(what): '\(item.rendered())' is not an address")
            }
            return address
        }
    }

    /// The replaceWhen values: a JSON list, or nothing.
    public func triggers(_ text: String?, _ what: String) throws -> [Value]? {
        guard let text else { return nil }
        guard case .list(let items)? = try? ValueJSON.parse(text) else {
            throw StateError.storage("cannot read the \(what). \(damagedHint)")
        }
        return items
    }

    /// A resource's address column.
    public func address(_ text: String, in key: InstanceKey) throws -> ResourceAddress {
        guard let address = ResourceAddress(parsing: text) else {
            throw StateError.storage("bad resource address '\(text)' in \(key)")
        }
        return address
    }

    /// Anything else stored as JSON (stack outputs, intents), through `StrataJSON`.
    public func json<T: Decodable>(_ type: T.Type, _ text: String, _ what: String) throws -> T {
        do {
            return try StrataJSON.decode(type, from: Data(text.utf8))
        } catch {
            throw StateError.storage("cannot read the \(what): \(error). \(damagedHint)")
        }
    }
}
