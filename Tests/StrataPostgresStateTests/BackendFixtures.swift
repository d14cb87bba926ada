import Foundation
import StrataAWSKit
import StrataModel
import StrataS3State
import StrataState
import StrataTestSupport
import Testing

@testable import StrataPostgresState

let demo = InstanceKey(stack: "demo", instance: "default")
/// Seals the secrets of every backend made here.
let testCipher = SecretCipher(key: Array(repeating: 7, count: 32))

func addr(_ text: String) -> ResourceAddress {
    guard let a = ResourceAddress(parsing: text) else { fatalError("bad test address \(text)") }
    return a
}

func resource(_ address: String, id: String = "id-1", deps: [String] = [], deposed: Bool = false) -> ResourceState {
    ResourceState(
        address: addr(address), provider: addr(address).provider, id: id,
        inputs: ["name": "web", "count": 3, "password": .secret("hunter2"), "tags": .map(["a": "b"])],
        outputs: ["name": "web", "arn": .unknown, "password": .secret("hunter2"), "list": .list([1, 2.5, nil, true])],
        dependencies: deps.map(addr), deposed: deposed)
}

/// The backends the conformance tests run against.
enum BackendKind: String, CaseIterable, Sendable, CustomStringConvertible {
    case sqlite, postgres, s3
    var description: String { rawValue }
    /// SQLite; PostgreSQL where its server binaries are installed (scripts/setup); S3 where
    /// moto is installed (an `S3TestServer`).
    static var available: [BackendKind] {
        [.sqlite] + (PostgresServer.isAvailable ? [.postgres] : []) + (S3TestServer.isAvailable ? [.s3] : [])
    }
    /// The backends that keep a data key and can be re-keyed (`StateKeyStore`): not S3.
    static var rekeyable: [BackendKind] { available.filter { $0 != .s3 } }
}

/// The bucket every S3 store of this test process lives in, each under a prefix of its own.
enum ConformanceBucket {
    static let name = "strata-conformance"
    nonisolated(unsafe) private static var created = false
    private static let lock = NSLock()

    static func server() throws -> S3TestServer {
        let server = try S3TestServer.shared()
        try lock.withLock {
            if !created {
                try server.createBucket(name)
                created = true
            }
        }
        return server
    }

    static func settings(_ server: S3TestServer) -> AWSSettings {
        AWSSettings(region: "us-east-1", endpoint: URL(string: server.endpoint),
                    credentials: AWSCredentials(accessKeyID: "testing", secretAccessKey: "testing", sessionToken: nil, source: "test"))
    }
}

/// One empty place to keep state (a SQLite file in a temporary folder, or a schema of its own
/// on the test PostgreSQL server), and every backend object opened on it, closed by `finish`.
final class Store: @unchecked Sendable {
    let kind: BackendKind
    let folder: URL
    /// The `--state` value.
    let url: String
    let schema: String
    let server: PostgresServer?
    let s3: S3TestServer?
    private var opened: [any StateBackend] = []
    private let lock = NSLock()

    init(_ kind: BackendKind) throws {
        self.kind = kind
        folder = FileManager.default.temporaryDirectory.appendingPathComponent("strata-conf-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        schema = "t_" + UUID().uuidString.prefix(12).lowercased().replacingOccurrences(of: "-", with: "")
        switch kind {
        case .sqlite:
            (server, s3) = (nil, nil)
            url = folder.appendingPathComponent("state.db").path
        case .postgres:
            let server = try PostgresServer.shared()
            (self.server, s3) = (server, nil)
            url = server.url(schema: schema)
        case .s3:
            (server, s3) = (nil, try ConformanceBucket.server())
            url = "s3://\(ConformanceBucket.name)/\(schema)"
        }
    }

    /// A new backend object on this store.
    func open(cipher: SecretCipher? = testCipher, sweepsKept: Int = 1000) throws -> any StateBackend {
        let backend: any StateBackend
        switch kind {
        case .sqlite: backend = try SQLiteStateBackend(path: url, sweepsKept: sweepsKept, cipher: cipher)
        case .postgres: backend = PostgresStateBackend(url: try PostgresStateURL(url), cipher: cipher, sweepsKept: sweepsKept)
        case .s3: backend = S3StateBackend(url: try S3StateURL(url), settings: ConformanceBucket.settings(s3!), cipher: cipher, sweepsKept: sweepsKept)
        }
        lock.withLock { opened.append(backend) }
        return backend
    }

    /// Everything stored, as text, to look for what must not be there in clear.
    func rawText() throws -> String {
        switch kind {
        case .sqlite:
            return String(decoding: try Data(contentsOf: URL(fileURLWithPath: url)), as: UTF8.self)
                + ((try? String(contentsOfFile: url + "-wal", encoding: .isoLatin1)) ?? "")
        case .postgres:
            return try server!.psql(
                "SELECT string_agg(inputs_json || outputs_json, '') FROM \(schema).resources UNION ALL SELECT string_agg(inputs_json, '') FROM \(schema).intents"
                    + " UNION ALL SELECT string_agg(variables_json, '') FROM \(schema).instance_origins")
        case .s3:
            return try s3!.keys(ConformanceBucket.name, prefix: schema + "/")
                .map { String(decoding: try s3!.object(ConformanceBucket.name, $0) ?? Data(), as: UTF8.self) }.joined()
        }
    }

    func finish() async {
        let all = lock.withLock {
            defer { opened = [] }
            return opened
        }
        for backend in all { try? await backend.close() }
        if let server { _ = try? server.psql("DROP SCHEMA IF EXISTS \(schema) CASCADE") }
        try? FileManager.default.removeItem(at: folder)
    }
}

/// Runs `body` with a fresh store of `kind`, closing what it opened afterwards.
func withStore(_ kind: BackendKind, _ body: (Store) async throws -> Void) async throws {
    let store = try Store(kind)
    do {
        try await body(store)
    } catch {
        await store.finish()
        throw error
    }
    await store.finish()
}
