import ArgumentParser
import Foundation
import StrataEngine
import StrataModel
import StrataState
import StrataStateKMS

extension StrataCommand.State {
    struct Rekey: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Seal every secret in the state with a new key.",
            discussion: """
                Re-seals every secret (AES-256-GCM) of every stack instance in the state, in one \
                transaction, SQLite or PostgreSQL: a crash leaves the old key's state or the new \
                one's, never a mix. Every instance's lock is held meanwhile.

                Without options the key is rotated where it is: a new state.key (a crash midway \
                leaves state.key.new, which strata then reads too); a new STRATA_STATE_KEY, taken \
                from STRATA_STATE_NEW_KEY or printed before anything changes; or, under AWS KMS, a \
                new data key from the same KMS key. --to-kms KEY moves the state under a KMS key \
                (then set STRATA_STATE_KMS_KEY=KEY); --to-local moves it back to a local key.
                """)

        @OptionGroup var global: GlobalOptions
        @Option(name: .customLong("to-kms"), help: ArgumentHelp("Seal under this AWS KMS key (key id, ARN or alias/NAME).", valueName: "key"))
        var toKMS: String?
        @Flag(name: .customLong("to-local"), help: "Leave AWS KMS: seal with a local key (state.key for SQLite, a new STRATA_STATE_KEY otherwise).")
        var toLocal = false

        func validate() throws {
            if toKMS != nil && toLocal { throw ValidationError("--to-kms and --to-local: give one of them") }
        }

        /// Where the new key goes.
        enum Destination {
            /// `state.key` beside a SQLite file, through `state.key.new`.
            case keyFile(URL)
            /// STRATA_STATE_KEY: the user sets it (printed unless they chose it).
            case environment(printed: Bool)
            /// A data key under this KMS key, stored in the state.
            case kms(String)
        }

        func run() async throws {
            let cwd = URL(fileURLWithPath: FileManager.default.currentDirectoryPath)
            if global.state?.trimmingCharacters(in: .whitespaces).lowercased().hasPrefix("s3://") == true {
                throw CommandFailure(
                    message: "state rekey works on SQLite and PostgreSQL states. An S3 state is sealed with STRATA_STATE_KEY, "
                        + "which everyone using it shares; rotating it there is not supported yet")
            }
            let environment = ProcessInfo.processInfo.environment
            let location = try StateBackends.location(url: global.state, workingDirectory: cwd)
            let engine = try await global.engine()
            guard let store = engine.backend as? any StateKeyStore else {
                throw CommandFailure(message: "this state backend cannot be re-keyed yet")
            }
            // No run may write while the key changes: take every instance's lock.
            let instances = try await store.instances()
            var held: [InstanceKey] = []
            defer { for key in held { Task { try? await store.unlock(key) } } }
            for key in instances {
                _ = try await store.lock(key, operation: "state rekey", timeout: .milliseconds(Int(global.lockTimeout * 1000)), lease: .seconds(300))
                held.append(key)
            }

            let current = try await store.dataKey()
            let localFromEnvironment = environment["STRATA_STATE_KEY"].map { !$0.isEmpty } ?? false
            var stateFile: URL? = nil
            if case .sqlite(let file, _) = location { stateFile = file }
            let destination: Destination
            if let toKMS {
                destination = .kms(toKMS)
            } else if !toLocal, let current {
                destination = .kms(KMSDataKeys.keyID(in: environment) ?? current.kmsKeyID)
            } else if let stateFile, !localFromEnvironment {
                destination = .keyFile(SecretCipher.keyFileURL(stateFile))
            } else {
                destination = .environment(printed: (environment["STRATA_STATE_NEW_KEY"] ?? "").isEmpty)
            }

            let next: SecretCipher
            let change: DataKeyChange
            var pending: URL? = nil
            switch destination {
            case .kms(let keyID):
                let (key, stored) = try await KMSDataKeys(keyID: keyID, environment: environment).newDataKey()
                next = SecretCipher(key: key)
                change = .set(stored)
            case .keyFile(let keyFile):
                next = try engine.cipher.rotated()
                change = current == nil ? .keep : .remove
                let file = URL(fileURLWithPath: keyFile.path + ".new")
                guard FileManager.default.createFile(atPath: file.path, contents: Data((next.keyHex + "\n").utf8), attributes: [.posixPermissions: 0o600]) else {
                    throw CommandFailure(message: "cannot write \(file.path); nothing changed")
                }
                pending = file
            case .environment(let printed):
                next = try printed ? engine.cipher.rotated() : SecretCipher(keyText: environment["STRATA_STATE_NEW_KEY"] ?? "")
                change = current == nil ? .keep : .remove
                if printed {
                    // Before anything changes: a crash after the commit must not lose the key.
                    print("New key (set STRATA_STATE_KEY to it once this command says the state is re-sealed):")
                    print(next.keyHex)
                }
            }

            let count: Int
            do {
                count = try await store.rekey(to: next, dataKey: change)
            } catch {
                // Nothing was re-sealed: the new key must not be taken for the current one.
                if let pending { try? FileManager.default.removeItem(at: pending) }
                throw error
            }
            for key in held { try? await store.unlock(key) }
            held = []
            await engine.shutdown()

            switch destination {
            case .kms(let keyID):
                var note = ""
                if let stateFile {
                    // The local key no longer opens anything in the state.
                    let keyFile = SecretCipher.keyFileURL(stateFile)
                    for file in [keyFile.path, keyFile.path + ".new"] where FileManager.default.fileExists(atPath: file) {
                        try? FileManager.default.removeItem(atPath: file)
                        note = " Removed \(keyFile.lastPathComponent), which no longer opens anything."
                    }
                }
                print("Re-sealed \(count) value(s) with a new data key from the AWS KMS key \(keyID).\(note)")
                if KMSDataKeys.keyID(in: environment) != keyID || localFromEnvironment {
                    print("From now on set \(KMSDataKeys.variable)=\(keyID)\(localFromEnvironment ? " and unset STRATA_STATE_KEY" : "") for this state.")
                }
            case .keyFile(let keyFile):
                // rename(2): the new key takes the old one's place in one step.
                guard let pending, rename(pending.path, keyFile.path) == 0 else {
                    throw CommandFailure(message: "the state is re-sealed with the key in \(keyFile.path).new, but it could not be renamed to \(keyFile.path): rename it by hand")
                }
                print("Re-sealed \(count) value(s) with a new key in \(keyFile.path).")
                if current != nil { print("The state no longer uses AWS KMS: unset \(KMSDataKeys.variable) for it.") }
            case .environment(let printed):
                print("Re-sealed \(count) value(s). Set STRATA_STATE_KEY to the new key \(printed ? "printed above" : "(STRATA_STATE_NEW_KEY)") now, "
                      + "on every machine that uses this state\(current != nil ? ", and unset \(KMSDataKeys.variable)" : ""); the old key no longer opens it.")
            }
        }
    }
}
