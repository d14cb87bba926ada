import Foundation
import StrataModel
import StrataPluginKit
import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// Why a call to a plugin failed, as the engine sees it.
public enum PluginCallError: Error, Sendable, CustomStringConvertible {
    /// The plugin answered with an error.
    case plugin(provider: String, PluginError)
    /// The plugin process died; every call it held fails with this.
    case crashed(provider: String, detail: String)
    /// No answer within the per-call timeout.
    case timeout(provider: String, method: String, seconds: Double)
    case badResponse(provider: String, String)

    public var description: String {
        switch self {
        case .plugin(let provider, let error): return "provider \(provider): \(error)"
        case .crashed(let provider, let detail): return "provider \(provider) crashed: \(detail)"
        case .timeout(let provider, let method, let seconds):
            return "provider \(provider) did not answer \(method) within \(Int(seconds)) s (set --plugin-timeout to wait longer)"
        case .badResponse(let provider, let detail): return "provider \(provider) sent a bad response: \(detail)"
        }
    }

    public var isRetryable: Bool {
        if case .plugin(_, let error) = self { return error.kind.isRetryable }
        return false
    }

    public var kind: PluginErrorKind? {
        if case .plugin(_, let error) = self { return error.kind }
        return nil
    }
}

/// One running plugin process and the requests in flight on its pipe.
///
/// Requests are written whole under a lock; a reader thread matches answers to waiting
/// callers by id, so any number of calls share one pipe.
public final class PluginClient: Sendable {
    public let name: String
    public let executable: URL
    private let process: Process
    private let input: FileHandle
    private let writeLock = Mutex(())
    private let state = Mutex(ClientState())
    private let stderrTail = Mutex([String]())
    /// The secret texts sent to this plugin (through `reveal`): what it says back — errors,
    /// progress, its log — is shown with them hidden.
    private let secretTexts = Mutex(Set<String>())
    /// Called with (request id, message) for `progress` notifications.
    private let onProgress: (@Sendable (Int, String) -> Void)?

    struct ClientState {
        var nextID = 1
        var pending: [Int: CheckedContinuation<Value, any Error>] = [:]
        var dead: String? = nil
    }

    public init(name: String, executable: URL, environment: [String: String], workingDirectory: URL,
                onProgress: (@Sendable (Int, String) -> Void)? = nil) throws {
        _ = PluginClient.ignoreBrokenPipes
        self.name = name
        self.executable = executable
        self.onProgress = onProgress
        let process = Process()
        process.executableURL = executable
        var env = environment
        env[PluginProtocol.environmentVariable] = String(PluginProtocol.version)
        process.environment = env
        process.currentDirectoryURL = workingDirectory
        let stdinPipe = Pipe()
        let stdoutPipe = Pipe()
        let stderrPipe = Pipe()
        process.standardInput = stdinPipe
        process.standardOutput = stdoutPipe
        process.standardError = stderrPipe
        self.process = process
        self.input = stdinPipe.fileHandleForWriting
        try process.run()
        let output = stdoutPipe.fileHandleForReading
        let errors = stderrPipe.fileHandleForReading
        let reader = Thread { [self] in self.readLoop(output) }
        reader.name = "strata-plugin-\(name)"
        reader.start()
        let errorReader = Thread { [self] in self.readErrors(errors) }
        errorReader.start()
    }

    /// A plugin that dies leaves a pipe with no reader: writing to it must be an error
    /// (EPIPE, failing that call), not a SIGPIPE that kills strata.
    private static let ignoreBrokenPipes: Void = { signal(SIGPIPE, SIG_IGN) }()

    public var pid: Int32 { process.processIdentifier }

    /// False once the process has exited.
    public var isAlive: Bool { state.withLock { $0.dead == nil } }

    /// The values as the plugin gets them (secret markers removed), noting the secret texts
    /// among them so that nothing the plugin says back shows them.
    public func reveal(_ fields: [String: Value]) -> [String: Value] {
        let texts = fields.values.flatMap { Executor.secretStrings(in: $0, inSecret: false) }
        if !texts.isEmpty { secretTexts.withLock { $0.formUnion(texts) } }
        return fields.mapValues(\.revealed)
    }

    /// `text` from the plugin with every secret sent to it hidden.
    public func redact(_ text: String) -> String {
        let texts = secretTexts.withLock { $0 }
        guard !texts.isEmpty else { return text }
        return Redaction(texts: texts).redact(text)
    }

    /// Calls `method` and waits for its answer (or the timeout).
    public func call<Params: Encodable & Sendable, Result: Decodable>(
        _ method: PluginMethod, _ params: Params, as: Result.Type, timeout: Double? = nil
    ) async throws -> Result {
        let message = try await send(method.rawValue, params, timeout: timeout)
        do {
            return try ValueDecoding.decode(ResponseEnvelope<Result>.self, from: message).result
        } catch {
            throw PluginCallError.badResponse(provider: name, "\(method.rawValue): \(error)")
        }
    }

    private func send<Params: Encodable & Sendable>(_ method: String, _ params: Params, timeout: Double?) async throws -> Value {
        let id = state.withLock { s -> Int in
            defer { s.nextID += 1 }
            return s.nextID
        }
        var line = try ValueEncoding.data(RPCRequest(id: id, method: method, params: params))
        line.append(0x0A)
        let timeoutTask: Task<Void, Never>? = timeout.map { seconds in
            Task { [self] in
                try? await Task.sleep(nanoseconds: UInt64(seconds * 1e9))
                if Task.isCancelled { return }
                self.fail(id: id, with: PluginCallError.timeout(provider: name, method: method, seconds: seconds))
                self.notify("cancel", CancelNotification(id: id))
            }
        }
        defer { timeoutTask?.cancel() }
        let data = try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Value, any Error>) in
            let deadReason = state.withLock { s -> String? in
                if let dead = s.dead { return dead }
                s.pending[id] = continuation
                return nil
            }
            if let deadReason {
                continuation.resume(throwing: PluginCallError.crashed(provider: name, detail: deadReason))
                return
            }
            if !write(line) {
                fail(id: id, with: PluginCallError.crashed(provider: name, detail: "its input pipe is closed"))
            }
        }
        return data
    }

    /// Sends a notification (no answer expected).
    public func notify<Params: Encodable & Sendable>(_ method: String, _ params: Params) {
        guard var line = try? ValueEncoding.data(RPCRequest(id: nil, method: method, params: params)) else { return }
        line.append(0x0A)
        _ = write(line)
    }

    private func write(_ data: Data) -> Bool {
        writeLock.withLock { _ in
            let fd = input.fileDescriptor
            return data.withUnsafeBytes { raw -> Bool in
                var offset = 0
                while offset < raw.count {
                    let n = Glibc.write(fd, raw.baseAddress! + offset, raw.count - offset)
                    if n < 0 && errno == EINTR { continue }
                    if n <= 0 { return false }
                    offset += n
                }
                return true
            }
        }
    }

    private func fail(id: Int, with error: any Error) {
        let continuation = state.withLock { $0.pending.removeValue(forKey: id) }
        continuation?.resume(throwing: error)
    }

    private func readLoop(_ output: FileHandle) {
        var lines = WireLineBuffer()
        let fd = output.fileDescriptor
        var chunk = [UInt8](repeating: 0, count: 65536)
        while true {
            let n = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress, 65536) }
            if n < 0 && errno == EINTR { continue }
            if n <= 0 { break }
            for line in lines.append(chunk[0..<n]) { dispatch(line) }
        }
        process.waitUntilExit()
        let status = process.terminationStatus
        let tail = stderrTail.withLock { $0.suffix(5).joined(separator: " | ") }
        let reason = "exited with status \(status)" + (tail.isEmpty ? "" : ": \(tail)")
        let waiting = state.withLock { s -> [CheckedContinuation<Value, any Error>] in
            s.dead = reason
            defer { s.pending.removeAll() }
            return Array(s.pending.values)
        }
        for continuation in waiting {
            continuation.resume(throwing: PluginCallError.crashed(provider: name, detail: reason))
        }
    }

    /// Parses a line once and routes it: answers to their callers, notifications to handlers.
    /// A line that is not a message, or answers no pending call, is dropped.
    private func dispatch(_ line: Data) {
        switch WireMessage(line: line) {
        case .request(let method, _, let message):
            if method == "progress", let note = try? ValueDecoding.decode(RPCIncomingRequest<ProgressNotification>.self, from: .map(message)) {
                onProgress?(note.params.id, redact(note.params.message))
            }
        case .result(let id, let message):
            state.withLock { $0.pending.removeValue(forKey: id) }?.resume(returning: .map(message))
        case .failure(let id, var pluginError):
            guard let continuation = state.withLock({ $0.pending.removeValue(forKey: id) }) else { return }
            pluginError.message = redact(pluginError.message)
            continuation.resume(throwing: PluginCallError.plugin(provider: name, pluginError))
        case .invalid:
            return
        }
    }

    private func readErrors(_ errors: FileHandle) {
        let fd = errors.fileDescriptor
        var chunk = [UInt8](repeating: 0, count: 8192)
        var pendingText = ""
        let verbose = ProcessInfo.processInfo.environment["STRATA_LOG"] == "debug"
        while true {
            let n = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress, 8192) }
            if n < 0 && errno == EINTR { continue }
            if n <= 0 { break }
            pendingText += String(decoding: chunk[0..<n], as: UTF8.self)
            while let newline = pendingText.firstIndex(of: "\n") {
                let line = redact(String(pendingText[..<newline]))
                pendingText = String(pendingText[pendingText.index(after: newline)...])
                if verbose { FileHandle.standardError.write(Data("[\(name)] \(line)\n".utf8)) }
                stderrTail.withLock {
                    $0.append(line)
                    if $0.count > 20 { $0.removeFirst($0.count - 20) }
                }
            }
        }
    }

    /// Asks the plugin to finish and exit; kills it if it does not within a second.
    public func shutdown() async {
        let alive = state.withLock { $0.dead == nil }
        if alive {
            _ = try? await send("shutdown", EmptyResponse(), timeout: 5)
        }
        try? input.close()
        for _ in 0..<1000 where process.isRunning {
            try? await Task.sleep(nanoseconds: 1_000_000)
        }
        if process.isRunning { process.terminate() }
    }

    /// Kills the plugin at once (second Ctrl-C).
    public func kill() {
        if process.isRunning { Glibc.kill(process.processIdentifier, SIGKILL) }
    }
}

/// The `result` of a JSON-RPC answer.
struct ResponseEnvelope<T: Decodable>: Decodable {
    let result: T
}
