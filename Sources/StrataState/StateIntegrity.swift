import Foundation
import StrataModel

/// Checks a loaded state for the damage a crash or a half-done write would leave: every
/// dependency recorded, one copy per address, no provider id recorded twice, and a history
/// whose serials run 1, 2, … up to the instance's serial with none missing or repeated.
/// `strata state check` and the torture test (`scripts/torture`) run it after every kill.
public enum StateIntegrity {
    /// Ids that providers use as a placeholder rather than a name (`random_password` records
    /// `none`, as Terraform's does): not checked for uniqueness.
    public static let placeholderIDs: Set<String> = ["none"]

    /// One thing wrong with a state.
    public struct Problem: Sendable, Hashable, Codable, CustomStringConvertible {
        /// `dependency`, `duplicate-address`, `duplicate-id`, `empty-id`, `history`.
        public var kind: String
        public var message: String
        public var description: String { "\(kind): \(message)" }
    }

    /// What is wrong with `snapshot` and its `history` (all of it, newest first as
    /// `StateBackend.history` returns it); empty when the state is intact.
    public static func problems(_ snapshot: StateSnapshot, history: [HistoryEntry]) -> [Problem] {
        var problems: [Problem] = []
        var copies: [String: Int] = [:]
        for resource in snapshot.resources {
            copies[resource.address.description + (resource.deposed ? " (deposed)" : ""), default: 0] += 1
        }
        for (address, count) in copies.sorted(by: { $0.key < $1.key }) where count > 1 {
            problems.append(Problem(kind: "duplicate-address", message: "\(address) is recorded \(count) times"))
        }
        let recorded = Set(snapshot.resources.map(\.address))
        for resource in snapshot.resources {
            for dependency in resource.dependencies where !recorded.contains(dependency) {
                problems.append(Problem(kind: "dependency", message: "\(resource.address) depends on \(dependency), which the state does not record"))
            }
            if resource.id.isEmpty {
                problems.append(Problem(kind: "empty-id", message: "\(resource.address) has no id"))
            }
        }
        var owners: [String: [String]] = [:]
        for resource in snapshot.resources where !placeholderIDs.contains(resource.id) && !resource.id.isEmpty {
            owners["\(resource.provider) \(resource.type) \(resource.id)", default: []].append(
                resource.address.description + (resource.deposed ? " (deposed)" : ""))
        }
        for (id, addresses) in owners.sorted(by: { $0.key < $1.key }) where addresses.count > 1 {
            problems.append(Problem(kind: "duplicate-id", message: "\(id) is recorded at \(addresses.sorted().joined(separator: ", "))"))
        }
        problems += historyProblems(serial: snapshot.serial, history: history)
        return problems
    }

    /// The history must hold each serial from 1 to `serial` exactly once: a serial missing is a
    /// write lost, one repeated is a step recorded twice, one above `serial` a write the
    /// instance row never saw.
    static func historyProblems(serial: Int, history: [HistoryEntry]) -> [Problem] {
        var problems: [Problem] = []
        let serials = history.map(\.serial)
        var seen: [Int: Int] = [:]
        for s in serials { seen[s, default: 0] += 1 }
        for (s, count) in seen.sorted(by: { $0.key < $1.key }) where count > 1 {
            problems.append(Problem(kind: "history", message: "serial \(s) is in the history \(count) times"))
        }
        if let newest = serials.max(), newest > serial {
            problems.append(Problem(kind: "history", message: "the history reaches serial \(newest) but the state is at serial \(serial)"))
        }
        let missing = (1...max(serial, 1)).filter { serial > 0 && seen[$0] == nil }
        if !missing.isEmpty {
            let shown = missing.prefix(5).map(String.init).joined(separator: ", ") + (missing.count > 5 ? ", …" : "")
            problems.append(Problem(kind: "history", message: "\(missing.count) serial(s) up to \(serial) have no history entry: \(shown)"))
        }
        return problems
    }
}
