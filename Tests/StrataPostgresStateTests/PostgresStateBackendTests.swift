import Foundation
import StrataModel
import StrataState
import StrataTestSupport
import Testing

@testable import StrataPostgresState

/// What only the PostgreSQL backend has: its schema and migrations, locks that die with their
/// holder's connection, connection errors, the shared key.
@Suite(.enabled(if: PostgresServer.isAvailable, "needs Debian's postgresql package (scripts/setup)"))
struct PostgresStateBackendTests {
    init() {}

    func backend(_ store: Store, cipher: SecretCipher? = testCipher) throws -> PostgresStateBackend {
        try #require(try store.open(cipher: cipher) as? PostgresStateBackend)
    }

    @Test func theSchemaIsCreatedVersionedAndMigratedOnce() async throws {
        try await withStore(.postgres) { store in
            let server = try #require(store.server)
            // Many workers starting at once on a fresh schema: one creates it, all succeed.
            let backends = try (0..<5).map { _ in try backend(store) }
            try await withThrowingTaskGroup(of: Void.self) { group in
                for b in backends { group.addTask { try await b.prepare() } }
                try await group.waitForAll()
            }
            #expect(try server.psql("SELECT string_agg(version::text, ',') FROM \(store.schema).strata_schema_version") == "1,2,3,4")
            let tables = try server.psql(
                "SELECT string_agg(table_name, ',' ORDER BY table_name) FROM information_schema.tables WHERE table_schema = '\(store.schema)'")
            #expect(tables == "drift_sweeps,history,instance_origins,instance_runs,instances,intents,job_attempts,jobs,lock_ids,locks,resources,state_keys,strata_meta,strata_schema_version")
            // A schema written by a newer Strata is refused, naming what to do.
            try server.psql("INSERT INTO \(store.schema).strata_schema_version (version, summary) VALUES (99, 'future')")
            do {
                try await backend(store).prepare()
                Issue.record("a newer schema should be refused")
            } catch let error as StateError {
                #expect(error.description.contains("version 99") && error.description.contains("upgrade strata"))
            }
        }
    }

    @Test func aHolderWhoseConnectionDiesReleasesItsLockAtOnce() async throws {
        try await withStore(.postgres) { store in
            let server = try #require(store.server)
            let one = try backend(store), two = try backend(store)
            _ = try await one.lock(demo, operation: "apply", timeout: .zero, lease: .seconds(3600))
            #expect(try await two.lockHolder(demo)?.operation == "apply")
            // As if the holder crashed: its connections end, its row stays with an hour of lease.
            await one.abandonLocks()
            try await Task.sleep(for: .milliseconds(100))
            #expect(try server.psql("SELECT count(*) FROM \(store.schema).locks") == "1")
            #expect(try await two.lockHolder(demo) == nil)
            let info = try await two.lock(demo, operation: "destroy", timeout: .seconds(300), lease: .seconds(3600))
            #expect(info.operation == "destroy")
            await #expect(throws: StateError.self) { try await one.renew(demo, lease: .seconds(60)) }

            // The server ending the holder's session (a network cut, an admin) does the same.
            let key = InstanceKey(stack: "demo", instance: "acme")
            _ = try await one.lock(key, operation: "apply", timeout: .zero, lease: .seconds(3600))
            try server.psql("SELECT pg_terminate_backend(backend_pid) FROM \(store.schema).locks WHERE instance = 'acme'")
            _ = try await two.lock(key, operation: "plan", timeout: .seconds(300), lease: .seconds(3600))
            do {
                try await one.renew(key, lease: .seconds(60))
                Issue.record("the old holder's renew should fail")
            } catch let error as StateError {
                guard case .lockLost = error else { Issue.record("wrong error \(error)"); return }
            }
        }
    }

    @Test func anotherProcessHoldingTheLockIsWaitedForUntilItDies() async throws {
        try await withStore(.postgres) { store in
            let server = try #require(store.server)
            let mine = try backend(store)
            let id = try await mine.lockID(demo)
            let namespace = PostgresSchema.lockNamespace(store.schema)
            // A second process (psql) takes the instance's advisory lock and stays connected.
            let psql = Process()
            psql.executableURL = URL(fileURLWithPath: "/usr/bin/psql")
            psql.arguments = ["-X", "-q", "-h", "127.0.0.1", "-p", String(server.port), "-U", "postgres", "-d", "postgres"]
            let input = Pipe()
            psql.standardInput = input
            psql.standardOutput = FileHandle.nullDevice
            psql.standardError = FileHandle.nullDevice
            try psql.run()
            defer { if psql.isRunning { kill(psql.processIdentifier, SIGKILL) }; psql.waitUntilExit() }
            input.fileHandleForWriting.write(Data("SELECT pg_advisory_lock(\(namespace), \(id));\n".utf8))
            let deadline = Date() + 10
            while Date() < deadline {
                let held = try server.psql("SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND granted AND classid = \(namespace) AND objid = \(id)")
                if held == "1" { break }
                try await Task.sleep(for: .milliseconds(50))
            }
            do {
                _ = try await mine.lock(demo, operation: "apply", timeout: .milliseconds(300), lease: .seconds(60))
                Issue.record("the lock held by another process should not be taken")
            } catch let error as StateError {
                guard case .locked = error else { Issue.record("wrong error \(error)"); return }
            }
            // The other process is killed: its connection closes, and the lock is free.
            let waiter = Task { try await mine.lock(demo, operation: "apply", timeout: .seconds(300), lease: .seconds(3600)) }
            try await Task.sleep(for: .milliseconds(200))
            kill(psql.processIdentifier, SIGKILL)
            #expect(try await waiter.value.operation == "apply")
        }
    }

    @Test func secretsNeedTheKeyTheyWereSealedWith() async throws {
        try await withStore(.postgres) { store in
            let one = try backend(store)
            try await one.write(demo, .put(resource("test_resource.a"), intentToken: nil, action: "create"))
            let other = try backend(store, cipher: SecretCipher(key: Array(repeating: 9, count: 32)))
            do {
                _ = try await other.load(demo)
                Issue.record("another key should be refused")
            } catch let error as StateError {
                #expect(error.description.contains("STRATA_STATE_KEY does not open the secrets"))
            }
        }
    }

    @Test func theOpenerNeedsTheSharedKeyAndNamesTheURL() async throws {
        let server = try PostgresServer.shared()
        let url = server.url(schema: "opener_test")
        do {
            _ = try StateBackendOpener.open(url: url, workingDirectory: URL(fileURLWithPath: "/tmp"), environment: [:])
            Issue.record("a postgres state without STRATA_STATE_KEY should be refused")
        } catch let error as StateError {
            #expect(error.description.contains("STRATA_STATE_KEY"))
        }
        let (opened, _) = try StateBackendOpener.open(url: url, workingDirectory: URL(fileURLWithPath: "/tmp"), environment: ["STRATA_STATE_KEY": "k"])
        let backend = try #require(opened as? PostgresStateBackend)
        #expect(try await backend.load(demo).serial == 0)
        try await backend.close()
        try server.psql("DROP SCHEMA opener_test CASCADE")
    }

    @Test func aUnixSocketURLWorks() async throws {
        let server = try PostgresServer.shared()
        let url = try PostgresStateURL("postgres://postgres@/postgres?host=\(server.socketDirectory)&schema=socket_test")
        #expect(url.host == nil)
        let backend = PostgresStateBackend(url: PostgresStateURL(replacingPort: url, with: server.port), cipher: testCipher)
        try await backend.write(demo, .outputs([:]))
        #expect(try await backend.load(demo).serial == 1)
        try await backend.close()
        try server.psql("DROP SCHEMA socket_test CASCADE")
    }

    /// Many writes, one at a time, as an apply makes them: what one costs on a local server.
    @Test func writeCost() async throws {
        try await withStore(.postgres) { store in
            let backend = try backend(store)
            let count = 500
            let clock = ContinuousClock()
            let elapsed = try await clock.measure {
                for n in 0..<count {
                    try await backend.write(demo, .put(resource("test_resource.r\(n)", id: "id-\(n)"), intentToken: nil, action: "create"))
                }
            }
            var loadedCount = 0
            let loaded = try await clock.measure { loadedCount = try await backend.load(demo).resources.count }
            #expect(loadedCount == count)
            print("PostgresStateBackend: \(count) writes in \(elapsed), \(Int(PostgresStateBackend.seconds(elapsed) / Double(count) * 1e6)) µs per write; load of \(count) resources \(loaded)")
        }
    }

    @Test func anUnreachableServerIsExplainedWithThePasswordHidden() async throws {
        let port = try PostgresServer.freePort()
        let url = try PostgresStateURL("postgres://alice:s3cret@127.0.0.1:\(port)/fleet?schema=ops&connect_timeout=2")
        let backend = PostgresStateBackend(url: url, cipher: nil)
        do {
            _ = try await backend.load(demo)
            Issue.record("an unreachable server should fail")
        } catch let error as StateError {
            let text = error.description
            #expect(text.contains("cannot connect to the PostgreSQL state postgres://alice:***@127.0.0.1:\(port)/fleet?schema=ops"))
            #expect(text.contains("Check that the server is running"))
            #expect(!text.contains("s3cret"))
        }
        // A database that does not exist says so.
        let server = try PostgresServer.shared()
        let missing = PostgresStateBackend(url: try PostgresStateURL(server.url(database: "nosuchdb")), cipher: nil)
        do {
            _ = try await missing.instances()
            Issue.record("a missing database should fail")
        } catch let error as StateError {
            #expect(error.description.contains("nosuchdb") && error.description.contains("createdb"))
        }
    }
}

extension PostgresStateURL {
    /// The URL with another port (the test server's socket is named after its port).
    init(replacingPort url: PostgresStateURL, with port: Int) {
        self = url
        self.port = port
    }
}
