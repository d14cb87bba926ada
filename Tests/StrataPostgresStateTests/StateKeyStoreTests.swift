import Foundation
import StrataModel
import StrataState
import StrataTestSupport
import Testing

@testable import StrataPostgresState

/// `strata state rekey` underneath, on each backend: every secret re-sealed in one
/// transaction, the stored KMS data key changed with them, and a rekey that fails halfway
/// changes nothing.
@Suite struct StateKeyStoreTests {
    let newCipher = SecretCipher(key: Array(repeating: 8, count: 32))
    let dataKey = StateDataKey(kmsKeyID: "arn:aws:kms:us-east-1:123456789012:key/test", encryptedKey: Data([1, 2, 3, 4]))

    func keys(_ backend: any StateBackend) throws -> any StateKeyStore {
        try #require(backend as? any StateKeyStore)
    }

    /// Two instances with sealed secrets, an intent and an origin.
    func fill(_ backend: any StateBackend) async throws {
        for instance in ["default", "blue"] {
            let key = InstanceKey(stack: "demo", instance: instance)
            try await backend.write(key, .put(resource("test_resource.db"), intentToken: nil, action: "create"))
            try await backend.write(key, .outputs(["password": ManifestOutput(value: .secret("hunter2"), secret: true)]))
            try await backend.journal(key, Intent(token: "t-\(instance)", address: addr("test_resource.api"), provider: "test",
                                                  inputs: ["password": .secret("hunter2")], createdAt: Date()))
            try await backend.recordOrigin(key, InstanceOrigin(stackDirectory: "/stacks/demo", variables: ["pw": "from-var"], recordedAt: Date()))
        }
    }

    func expectReadable(_ backend: any StateBackend) async throws {
        for instance in ["default", "blue"] {
            let key = InstanceKey(stack: "demo", instance: instance)
            let snapshot = try await backend.load(key)
            #expect(snapshot.resources.first?.inputs["password"] == .secret("hunter2"))
            #expect(snapshot.outputs["password"]?.value == .secret("hunter2"))
            #expect(try await backend.pendingIntents(key).first?.inputs["password"] == .secret("hunter2"))
            #expect(try await backend.origin(key)?.variables == ["pw": "from-var"])
        }
    }

    @Test(arguments: BackendKind.rekeyable)
    func rekeyReSealsEverythingAndMovesTheDataKeyWithIt(_ kind: BackendKind) async throws {
        try await withStore(kind) { store in
            let old = try store.open()
            try await fill(old)
            #expect(try await self.keys(old).holdsSealedSecrets())
            #expect(try await self.keys(old).dataKey() == nil)
            let serial = try await old.load(demo).serial

            let count = try await self.keys(old).rekey(to: newCipher, dataKey: .set(dataKey))
            #expect(count >= 8, "resources, outputs, intents and origins of both instances: \(count)")
            let reopened = try store.open(cipher: newCipher)
            try await expectReadable(reopened)
            #expect(try await reopened.load(demo).serial == serial, "the values are the same: no serial bump")
            #expect(try await self.keys(reopened).dataKey() == dataKey)
            // The old key opens nothing any more.
            await #expect(throws: (any Error).self) { try await store.open().load(demo) }

            // Back to a local key: the data key goes in the same step.
            _ = try await self.keys(reopened).rekey(to: testCipher, dataKey: .remove)
            #expect(try await self.keys(reopened).dataKey() == nil)
            try await expectReadable(try store.open())
        }
    }

    @Test(arguments: BackendKind.rekeyable)
    func aRekeyThatFailsHalfwayChangesNothing(_ kind: BackendKind) async throws {
        try await withStore(kind) { store in
            let old = try store.open()
            try await fill(old)
            // An origin sealed with a third key: the rekey reads it last (after resources,
            // outputs and intents were re-sealed) and cannot open it, so the whole
            // transaction must roll back.
            let garbage = Data((0..<40).map { UInt8($0) }).base64EncodedString()
            let row = "INSERT INTO instance_origins (stack, instance, stack_dir, variables_json, recorded_at) "
                + "VALUES ('demo', 'zz', '/x', '{\"a\":{\"$secret\":{\"$sealed\":\"\(garbage)\"}}}', "
            switch kind {
            case .sqlite: try sqlite(store.url, row + "0)")
            case .postgres: try #require(store.server).psql("SET search_path TO \(store.schema); " + row + "now())")
            case .s3: Issue.record("S3 state cannot be re-keyed")
            }
            await #expect(throws: (any Error).self) { try await self.keys(old).rekey(to: newCipher, dataKey: .set(dataKey)) }
            try await expectReadable(try store.open())
            #expect(try await self.keys(old).dataKey() == nil, "the data key did not move either")
            await #expect(throws: (any Error).self) { try await store.open(cipher: newCipher).load(demo) }
        }
    }

    @Test(.enabled(if: PostgresServer.isAvailable))
    func aWorkerStillHoldingTheOldKeyIsStoppedAtItsNextLock() async throws {
        try await withStore(.postgres) { store in
            let worker = try #require(try store.open() as? PostgresStateBackend)
            try await fill(worker)
            try await worker.prepare()
            let rekeying = try #require(try store.open() as? PostgresStateBackend)
            _ = try await rekeying.rekey(to: newCipher, dataKey: .keep)
            let error = await #expect(throws: StateError.self) {
                _ = try await worker.lock(demo, operation: "apply", timeout: .seconds(5), lease: .seconds(60))
            }
            #expect("\(error.map { "\($0)" } ?? "")".contains("re-keyed"), "\(String(describing: error))")
            // The lock it did not keep is free for a process with the new key.
            let fresh = try store.open(cipher: newCipher)
            _ = try await fresh.lock(demo, operation: "apply", timeout: .seconds(5), lease: .seconds(60))
            try await fresh.unlock(demo)
        }
    }
}

/// Runs SQL on a SQLite file with the sqlite3 program.
func sqlite(_ path: String, _ sql: String) throws {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/usr/bin/sqlite3")
    process.arguments = [path, sql]
    try process.run()
    process.waitUntilExit()
    #expect(process.terminationStatus == 0, "sqlite3 \(sql)")
}
