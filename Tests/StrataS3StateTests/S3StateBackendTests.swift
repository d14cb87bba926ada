import Foundation
import StrataAWSKit
import StrataModel
import StrataState
import StrataTestSupport
import Testing

@testable import StrataS3State

/// What only the S3 backend has: conditional writes deciding races, its URL, its messages. The
/// `StateBackend` guarantees it shares with SQLite and PostgreSQL are checked by the
/// conformance suite (StrataPostgresStateTests/StateBackendConformanceTests.swift, kind `s3`).
@Suite(.enabled(if: S3TestServer.isAvailable, "needs moto (pip install 'moto[server]')"))
struct S3StateBackendTests {
    static let bucket = "strata-s3-backend-tests"
    static let cipher = SecretCipher(key: Array(repeating: 9, count: 32))

    /// The shared test server, with this suite's bucket.
    static func server() throws -> S3TestServer {
        let server = try S3TestServer.shared()
        try BucketOnce.create(server, bucket)
        return server
    }

    static func settings(_ server: S3TestServer) -> AWSSettings {
        AWSSettings(region: "us-east-1", endpoint: URL(string: server.endpoint),
                    credentials: AWSCredentials(accessKeyID: "testing", secretAccessKey: "testing", source: "test"))
    }

    /// A backend object on a fresh prefix (or on `prefix`, to share it).
    static func backend(prefix: String = "t-" + UUID().uuidString.prefix(8).lowercased(), cipher: SecretCipher? = cipher,
                        writeAttempts: Int = S3StateBackend.defaultWriteAttempts) throws -> S3StateBackend {
        let server = try server()
        return S3StateBackend(url: S3StateURL(bucket: bucket, prefix: prefix), settings: settings(server), cipher: cipher, writeAttempts: writeAttempts)
    }

    static func key(_ n: Int) -> InstanceKey { InstanceKey(stack: "race", instance: "i\(n)") }

    // MARK: Races decided by S3

    @Test func ofTwoRacersForAFreeLockExactlyOneWins() async throws {
        let one = try Self.backend()
        let two = try Self.backend(prefix: one.url.prefix)
        for round in 0..<10 {
            let key = Self.key(round)
            let results = await withTaskGroup(of: Result<LockInfo, any Error>.self) { group in
                for backend in [one, two] {
                    group.addTask {
                        do { return .success(try await backend.lock(key, operation: "apply", timeout: .zero, lease: .seconds(3600))) }
                        catch { return .failure(error) }
                    }
                }
                var all: [Result<LockInfo, any Error>] = []
                for await result in group { all.append(result) }
                return all
            }
            let winners = results.compactMap { try? $0.get() }
            #expect(winners.count == 1, "round \(round): \(results)")
            for case .failure(let error) in results {
                guard case StateError.locked(let locked, let holder)? = error as? StateError else {
                    Issue.record("the loser should be told the lock is held, not \(error)")
                    continue
                }
                #expect(locked == key && holder.operation == "apply")
            }
        }
    }

    @Test func anExpiredLeaseIsTakenOverByExactlyOneOfTwoRacers() async throws {
        let old = try Self.backend()
        let one = try Self.backend(prefix: old.url.prefix)
        let two = try Self.backend(prefix: old.url.prefix)
        for round in 0..<6 {
            let key = Self.key(100 + round)
            _ = try await old.lock(key, operation: "apply", timeout: .zero, lease: .milliseconds(200))
            try await Task.sleep(for: .milliseconds(350))
            let results = await withTaskGroup(of: (String, Bool).self) { group in
                for (name, backend) in [("one", one), ("two", two)] {
                    group.addTask {
                        (name, (try? await backend.lock(key, operation: "destroy by \(name)", timeout: .zero, lease: .seconds(3600))) != nil)
                    }
                }
                var all: [(String, Bool)] = []
                for await result in group { all.append(result) }
                return all
            }
            let winners = results.filter(\.1).map(\.0)
            #expect(winners.count == 1, "round \(round): \(results)")
            // The lock names the winner, and the old holder learns it lost the lock.
            #expect(try await old.lockHolder(key)?.operation == "destroy by \(winners.first ?? "?")")
            await #expect(throws: StateError.self) { try await old.renew(key, lease: .seconds(60)) }
        }
    }

    @Test func aWriteWithAStaleETagIsRefused() async throws {
        let backend = try Self.backend()
        let store = backend.store
        let object = backend.root + "probe.json"
        let first = try await store.put(object, Data("1".utf8), .absent)
        await #expect(throws: S3ObjectStore.Conflict.self) { try await store.put(object, Data("again".utf8), .absent) }
        let second = try await store.put(object, Data("2".utf8), .matches(first))
        #expect(second != first)
        await #expect(throws: S3ObjectStore.Conflict.self) { try await store.put(object, Data("3".utf8), .matches(first)) }
        await #expect(throws: S3ObjectStore.Conflict.self) { try await store.delete(object, ifMatch: first) }
        #expect(String(decoding: try #require(try await store.get(object)).data, as: UTF8.self) == "2")

        // Two backend objects writing in turn: each one's cached ETag goes stale, S3 refuses
        // that write, and it is applied again on the fresh state: nothing is lost.
        let other = try Self.backend(prefix: backend.url.prefix)
        let key = Self.key(1)
        let r = ResourceState(address: try #require(ResourceAddress(parsing: "test_resource.a")), provider: "test", id: "a",
                              inputs: [:], outputs: [:], dependencies: [])
        var serials: [Int] = []
        for n in 0..<6 {
            var resource = r
            resource.id = "id-\(n)"
            resource.address = try #require(ResourceAddress(parsing: "test_resource.r\(n)"))
            serials.append(try await (n % 2 == 0 ? backend : other).write(key, .put(resource, intentToken: nil, action: "create")))
        }
        #expect(serials == [1, 2, 3, 4, 5, 6])
        #expect(try await backend.load(key).resources.count == 6)
        #expect(try await other.history(key, limit: 0).map(\.serial) == [6, 5, 4, 3, 2, 1])
    }

    @Test func aWriteThatKeepsLosingStopsWithATypedError() async throws {
        let server = try Self.server()
        let backend = S3StateBackend(
            url: S3StateURL(bucket: Self.bucket, prefix: "always-412"), settings: Self.settings(server), cipher: nil, writeAttempts: 3,
            transport: RefusingTransport(inner: URLSessionTransport(), refuse: "state.json"))
        do {
            try await backend.write(Self.key(1), .outputs([:]))
            Issue.record("the write should have failed")
        } catch let error as S3StateError {
            #expect(error.description.contains("another strata run wrote the state s3://\(Self.bucket)/always-412"), "\(error)")
            #expect(error.description.contains("412 Precondition Failed"))
        }
    }

    @Test func aWriteWhoseAnswerWasLostIsNotAppliedTwice() async throws {
        let server = try Self.server()
        let transport = LosingFirstAnswerTransport(inner: URLSessionTransport(), losing: "state.json")
        let backend = S3StateBackend(
            url: S3StateURL(bucket: Self.bucket, prefix: "lost-" + UUID().uuidString.prefix(8).lowercased()), settings: Self.settings(server),
            cipher: nil, transport: transport)
        let key = Self.key(1)
        let a = ResourceState(address: try #require(ResourceAddress(parsing: "test_resource.a")), provider: "test", id: "a",
                              inputs: [:], outputs: [:], dependencies: [])
        #expect(try await backend.write(key, .put(a, intentToken: nil, action: "create")) == 1)
        // S3 stored it but the answer was a 500; the retry was refused (412) by our own write,
        // which the re-read recognised: one write, not two.
        #expect(await transport.lost == 1)
        // A remove lost the same way would fail as "not found" if it were applied again.
        await transport.loseNext()
        #expect(try await backend.write(key, .remove(a.address, deposed: false, action: "delete")) == 2)
        #expect(await transport.lost == 2)
        let state = try await backend.load(key)
        #expect(state.serial == 2 && state.resources.isEmpty)
        #expect(try await backend.history(key, limit: 0).map(\.action) == ["delete", "create"])
    }

    // MARK: History, key, messages

    @Test func historyMovesToBlocksAndReadsBackWhole() async throws {
        let backend = try Self.backend(cipher: nil)
        let key = Self.key(7)
        for n in 1...230 { try await backend.write(key, .outputs(["n": .init(value: .number(Double(n)))])) }
        let server = try Self.server()
        let keys = try server.keys(Self.bucket, prefix: backend.folder(key))
        #expect(keys.filter { $0.contains("/history/") }.map { String($0.suffix(8)) } == ["001.json", "101.json"], "\(keys)")
        let all = try await backend.history(key, limit: 0)
        #expect(all.map(\.serial) == Array((1...230).reversed()))
        #expect(try await backend.history(key, limit: 40).map(\.serial) == Array((191...230).reversed()))
        #expect(try await backend.history(key, limit: 150).last?.serial == 81)
        let state = try #require(try server.object(Self.bucket, backend.stateKey(key)))
        let document = try StrataJSON.decode(S3StateDocuments.State.self, from: state)
        #expect(document.history.count == 30 && document.serial == 230)
    }

    @Test func anotherKeyIsRefusedAtOnce() async throws {
        let backend = try Self.backend()
        try await backend.write(Self.key(1), .put(ResourceState(
            address: try #require(ResourceAddress(parsing: "test_resource.a")), provider: "test", id: "a",
            inputs: ["p": .secret("hunter2")], outputs: [:], dependencies: []), intentToken: nil, action: "create"))
        let stranger = try Self.backend(prefix: backend.url.prefix, cipher: SecretCipher(key: Array(repeating: 1, count: 32)))
        do {
            _ = try await stranger.load(Self.key(1))
            Issue.record("another key should be refused")
        } catch let error as StateError {
            #expect(error.description.contains("STRATA_STATE_KEY does not open the secrets of the state s3://\(Self.bucket)/\(backend.url.prefix)"))
        }
        #expect(try await Self.backend(prefix: backend.url.prefix).load(Self.key(1)).resources.first?.inputs["p"] == .secret("hunter2"))
    }

    @Test func aMissingBucketSaysToCreateIt() async throws {
        let server = try Self.server()
        let backend = S3StateBackend(url: S3StateURL(bucket: "no-such-bucket-here", prefix: "x"), settings: Self.settings(server), cipher: Self.cipher)
        do {
            _ = try await backend.load(Self.key(1))
            Issue.record("a missing bucket should fail")
        } catch let error as StateError {
            #expect(error.description.contains("the S3 bucket 'no-such-bucket-here' of the state s3://no-such-bucket-here/x does not exist"), "\(error)")
            #expect(error.description.contains("aws s3 mb s3://no-such-bucket-here"))
        }
    }

    @Test func theURLNamesBucketPrefixAndOptions() throws {
        let full = try S3StateURL("s3://team-state/strata/prod/?region=eu-west-1&endpoint=http://127.0.0.1:9000&profile=ops")
        #expect(full.bucket == "team-state" && full.prefix == "strata/prod")
        #expect(full.region == "eu-west-1" && full.endpoint == "http://127.0.0.1:9000" && full.profile == "ops")
        #expect(full.description == "s3://team-state/strata/prod")
        let bare = try S3StateURL("S3://team-state")
        #expect(bare.bucket == "team-state" && bare.prefix.isEmpty && bare.region == nil)
        for bad in ["s3://", "s3://Team_State/x", "s3://ab", "s3://b-ok/../x", "s3://bucket-ok/x?colour=red", "s3://bucket-ok?endpoint=ftp://x"] {
            #expect(throws: S3StateURLError.self, "\(bad)") { try S3StateURL(bad) }
        }
        #expect(S3StateBackend.segment("tenant/acme") == "tenant%2Facme")
        #expect("tenant%2Facme".removingPercentEncoding == "tenant/acme")
    }
}

/// Creates each bucket once per test process.
enum BucketOnce {
    nonisolated(unsafe) private static var made: Set<String> = []
    private static let lock = NSLock()
    static func create(_ server: S3TestServer, _ bucket: String) throws {
        try lock.withLock {
            guard !made.contains(bucket) else { return }
            try server.createBucket(bucket)
            made.insert(bucket)
        }
    }
}

/// Answers every PUT of a key ending in `refuse` with 412, as S3 does when another writer got there first.
struct RefusingTransport: HTTPTransport {
    let inner: any HTTPTransport
    let refuse: String
    func send(_ request: HTTPRequest) async throws -> HTTPResponse {
        if request.method == "PUT" && request.path.hasSuffix(refuse) {
            return HTTPResponse(status: 412, body: Data("<Error><Code>PreconditionFailed</Code><Message>At least one of the pre-conditions you specified did not hold</Message></Error>".utf8))
        }
        return try await inner.send(request)
    }
}

/// Sends the next conditional PUT of a key ending in `losing` to S3, then answers it with a
/// 500 as if the answer had been lost on the way back: the client sends it again.
actor LosingFirstAnswerTransport: HTTPTransport {
    let inner: any HTTPTransport
    let losing: String
    private var armed = true
    private(set) var lost = 0

    init(inner: any HTTPTransport, losing: String) {
        self.inner = inner
        self.losing = losing
    }

    func loseNext() { armed = true }

    private func take(_ request: HTTPRequest) -> Bool {
        guard armed, request.method == "PUT", request.path.hasSuffix(losing),
              request.header("If-Match") != nil || request.header("If-None-Match") != nil else { return false }
        armed = false
        lost += 1
        return true
    }

    nonisolated func send(_ request: HTTPRequest) async throws -> HTTPResponse {
        let lose = await take(request)
        let response = try await inner.send(request)
        if lose && response.status == 200 {
            return HTTPResponse(status: 500, body: Data("<Error><Code>InternalError</Code><Message>answer lost</Message></Error>".utf8))
        }
        return response
    }
}
