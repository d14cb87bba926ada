import Foundation
import StrataModel
import StrataState

/// The JSON objects an S3 state is made of (docs/state-backends.md, "S3"). Times are seconds
/// since 1970; values keep `Value`'s markers (`{"$secret": {"$sealed": …}}`, `{"$unknown": true}`),
/// with secrets sealed before they are put here.
enum S3StateDocuments {
    /// Format of `state.json`; a newer one is refused ("upgrade strata").
    static let format = 1
    /// History entries move from `state.json` to `history/<first serial>.json` a block of this many at a time.
    static let historyBlock = 100

    /// `state.json`: the whole state of one instance, rewritten (conditionally) by every write.
    struct State: Codable, Sendable {
        var format: Int
        var stack: String
        var instance: String
        var serial: Int
        var lineage: String
        /// Sorted as `StateSnapshot` wants them: by address, the current copy before the deposed one.
        var resources: [ResourceState]
        var outputs: [String: ManifestOutput]
        /// The intent journal: here, so that recording a resource and clearing its intent is one write.
        var intents: [IntentRecord]
        /// The history entries not yet moved to a `history/` block, oldest first.
        var history: [HistoryRecord]
        /// The write that made this version: a writer whose answer was lost recognises its own write.
        var writeID: String

        static func empty(_ key: InstanceKey) -> State {
            State(format: S3StateDocuments.format, stack: key.stack, instance: key.instance, serial: 0, lineage: UUID().uuidString,
                  resources: [], outputs: [:], intents: [], history: [], writeID: UUID().uuidString)
        }
    }

    struct IntentRecord: Codable, Sendable, Hashable {
        var token: String
        var address: ResourceAddress
        var provider: String
        var inputs: [String: Value]
        var createdAt: Double

        init(_ intent: Intent, inputs: [String: Value]) {
            token = intent.token
            address = intent.address
            provider = intent.provider
            self.inputs = inputs
            createdAt = intent.createdAt.timeIntervalSince1970
        }

        func intent(inputs: [String: Value]) -> Intent {
            Intent(token: token, address: address, provider: provider, inputs: inputs, createdAt: Date(timeIntervalSince1970: createdAt))
        }
    }

    struct HistoryRecord: Codable, Sendable, Hashable {
        var serial: Int
        var time: Double
        var action: String
        var address: String?

        var entry: HistoryEntry {
            HistoryEntry(serial: serial, time: Date(timeIntervalSince1970: time), action: action, address: address)
        }
    }

    /// `history/<first serial, 20 digits>.json`: one full block of committed history entries.
    struct HistoryBlock: Codable, Sendable {
        var entries: [HistoryRecord]
    }

    /// `lock.json`: who holds the instance's lock, and until when.
    struct Lock: Codable, Sendable, Hashable {
        var owner: String
        var host: String
        var pid: Int32
        /// The backend object that holds it (a process may open several).
        var session: String
        var acquiredAt: Double
        var leaseUntil: Double
        var operation: String

        var info: LockInfo {
            LockInfo(owner: owner, host: host, pid: pid, acquiredAt: Date(timeIntervalSince1970: acquiredAt),
                     leaseUntil: Date(timeIntervalSince1970: leaseUntil), operation: operation)
        }
    }

    /// `sweeps/<id, 20 digits>.json`: one drift sweep.
    struct Sweep: Codable, Sendable {
        var id: Int
        var startedAt: Double
        var durationSeconds: Double
        var status: String
        var checked: Int
        var changed: Int
        var deleted: Int
        var unmanaged: Int
        var errors: Int
        var action: String
        var reportJSON: String

        init(_ sweep: SweepRecord, id: Int) {
            self.id = id
            startedAt = sweep.startedAt.timeIntervalSince1970
            durationSeconds = sweep.durationSeconds
            status = sweep.status
            checked = sweep.checked
            changed = sweep.changed
            deleted = sweep.deleted
            unmanaged = sweep.unmanaged
            errors = sweep.errors
            action = sweep.action
            reportJSON = sweep.reportJSON
        }

        var record: SweepRecord {
            SweepRecord(id: id, startedAt: Date(timeIntervalSince1970: startedAt), durationSeconds: durationSeconds, status: status,
                        checked: checked, changed: changed, deleted: deleted, unmanaged: unmanaged, errors: errors, action: action,
                        reportJSON: reportJSON)
        }
    }

    /// `origin.json`: where the instance was last applied from; every variable sealed like a secret.
    struct Origin: Codable, Sendable {
        var stackDirectory: String
        var variables: [String: Value]
        var recordedAt: Double
    }

    /// `key-check.json` at the prefix: a sealed probe, to refuse another key at once.
    struct KeyCheck: Codable, Sendable {
        var probe: Value
    }

    static func encode<T: Encodable>(_ value: T) throws -> Data {
        try StrataJSON.encode(value)
    }

    static func decode<T: Decodable>(_ type: T.Type, _ data: Data, _ what: String) throws -> T {
        do {
            return try StrataJSON.decode(type, from: data)
        } catch {
            throw StateError.storage(
                "cannot read \(what): \(error). The object may be damaged or hand-edited; restore a previous version of it "
                    + "(turn on versioning on the bucket to keep them)")
        }
    }
}
