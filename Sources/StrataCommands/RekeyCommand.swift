import ArgumentParser
import Foundation
import StrataEngine
import StrataModel
import StrataState

extension StrataCommand.State {
    struct Rekey: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Seal every secret in the state with a new key.",
            discussion: """
                Rotates the key that encrypts secrets at rest (AES-256-GCM), for every stack \
                instance in the state file, in one transaction. With the key in state.key, the \
                new key replaces it (a crash midway leaves state.key.new, which strata then reads \
                too). With STRATA_STATE_KEY, the new key is printed: set the variable to it at once.
                """)

        @OptionGroup var global: GlobalOptions

        func run() async throws {
            let cwd = URL(fileURLWithPath: FileManager.default.currentDirectoryPath)
            if global.state?.trimmingCharacters(in: .whitespaces).lowercased().hasPrefix("s3://") == true {
                throw CommandFailure(
                    message: "state rekey works on SQLite state files. An S3 state is sealed with STRATA_STATE_KEY, "
                        + "which everyone using it shares; rotating it there is not supported yet")
            }
            guard case .sqlite(let stateFile, _) = try StateBackends.location(url: global.state, workingDirectory: cwd) else {
                throw CommandFailure(
                    message: "state rekey works on SQLite state files. A PostgreSQL state is sealed with STRATA_STATE_KEY, "
                        + "which every worker shares; rotating it there is not supported yet")
            }
            let engine = try global.engine()
            guard let backend = engine.backend as? SQLiteStateBackend else {
                throw CommandFailure(message: "rekey works on SQLite state files")
            }
            // No run may write while the key changes: take every instance's lock.
            let instances = try await backend.instances()
            var held: [InstanceKey] = []
            defer { for key in held { Task { try? await backend.unlock(key) } } }
            for key in instances {
                _ = try await backend.lock(key, operation: "state rekey", timeout: .milliseconds(Int(global.lockTimeout * 1000)), lease: .seconds(300))
                held.append(key)
            }
            let next = try engine.cipher.rotated()
            let fromEnvironment = ProcessInfo.processInfo.environment["STRATA_STATE_KEY"].map { !$0.isEmpty } ?? false
            let keyFile = SecretCipher.keyFileURL(stateFile)
            let pending = URL(fileURLWithPath: keyFile.path + ".new")
            if !fromEnvironment {
                guard FileManager.default.createFile(atPath: pending.path, contents: Data((next.keyHex + "\n").utf8), attributes: [.posixPermissions: 0o600]) else {
                    throw CommandFailure(message: "cannot write \(pending.path); nothing changed")
                }
            }
            let count: Int
            do {
                count = try await backend.rekey(to: next)
            } catch {
                // Nothing was re-sealed: the new key must not be taken for the current one.
                if !fromEnvironment { try? FileManager.default.removeItem(at: pending) }
                throw error
            }
            for key in held { try? await backend.unlock(key) }
            held = []
            await engine.shutdown()
            if fromEnvironment {
                print("Re-sealed \(count) record(s). New key (set STRATA_STATE_KEY to it now; the old one no longer opens this state):")
                print(next.keyHex)
            } else {
                // rename(2): the new key takes the old one's place in one step.
                guard rename(pending.path, keyFile.path) == 0 else {
                    throw CommandFailure(message: "the state is re-sealed with the key in \(pending.path), but it could not be renamed to \(keyFile.path): rename it by hand")
                }
                print("Re-sealed \(count) record(s) with a new key in \(keyFile.path).")
            }
        }
    }
}
