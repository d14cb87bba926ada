import Foundation
import StrataModel

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif

/// Sends `progress` notifications for the request being served.
public struct ProgressReporter: Sendable {
    let requestID: Int?
    let output: WireOutput?

    public static let none = ProgressReporter(requestID: nil, output: nil)

    public func report(_ message: String) {
        guard let requestID, let output else { return }
        output.send(RPCRequest(id: nil, method: "progress", params: ProgressNotification(id: requestID, message: message)))
    }
}

/// The protocol's output: one JSON message per line, written whole under a lock.
public final class WireOutput: @unchecked Sendable {
    private let lock = NSLock()
    private let fd: Int32

    public init(fd: Int32) { self.fd = fd }

    public func send<T: Encodable>(_ message: T) {
        lock.lock()
        defer { lock.unlock() }
        guard var data = try? ValueEncoding.data(message) else { return }
        data.append(0x0A)
        data.withUnsafeBytes { raw in
            var offset = 0
            while offset < raw.count {
                let n = write(fd, raw.baseAddress! + offset, raw.count - offset)
                if n <= 0 {
                    if n < 0 && errno == EINTR { continue }
                    return
                }
                offset += n
            }
        }
    }
}

/// Runs a `Provider` as a plugin process: reads requests from stdin, answers on stdout.
public enum PluginServer {
    public static func main(_ provider: some Provider) -> Never {
        guard ProcessInfo.processInfo.environment[PluginProtocol.environmentVariable] != nil else {
            let types = provider.resources.keys.sorted().joined(separator: ", ")
            print("""
                strata-provider-\(provider.name) \(provider.version): a Strata provider plugin (protocol v\(PluginProtocol.version)).
                Resource types: \(types)
                It speaks JSON-RPC on stdin/stdout and is started by `strata`, not by hand.
                """)
            exit(0)
        }
        // The protocol gets its own copy of stdout; fd 1 then points at stderr, so a stray
        // `print` in provider code lands in the log instead of corrupting the wire.
        let protocolFD = dup(1)
        dup2(2, 1)
        let output = WireOutput(fd: protocolFD)
        let server = Server(provider: provider, output: output)
        server.run()
        exit(0)
    }

    final class Server<P: Provider>: @unchecked Sendable {
        let provider: P
        let output: WireOutput
        private let lock = NSLock()
        private var tasks: [Int: Task<Void, Never>] = [:]
        private let group = DispatchGroup()

        init(provider: P, output: WireOutput) {
            self.provider = provider
            self.output = output
        }

        func run() {
            while let line = readLine(strippingNewline: true) {
                if line.isEmpty { continue }
                // Parsed once; the handler decodes its typed params from the tree.
                guard case .map(let fields)? = try? ValueJSON.parse(line), case .string(let method)? = fields["method"] else {
                    var error = RPCErrorObject(PluginError(.invalid, "parse error: not a JSON-RPC message"))
                    error.code = -32700
                    output.send(NullIDFailure(error: error))
                    continue
                }
                if method == "cancel" {
                    if let note = try? ValueDecoding.decode(RPCIncomingRequest<CancelNotification>.self, from: .map(fields)) {
                        lock.lock()
                        let task = tasks[note.params.id]
                        lock.unlock()
                        task?.cancel()
                    }
                    continue
                }
                // An id that is not a whole number is refused (`Int(1e300)` would trap).
                let id = fields["id"].flatMap(WireMessage.id(_:))
                if let given = fields["id"], given != .null, id == nil {
                    var error = RPCErrorObject(PluginError(.invalid, "invalid request: the id \(given.rendered()) is not a whole number"))
                    error.code = -32600
                    output.send(NullIDFailure(error: error))
                    continue
                }
                if method == "shutdown" {
                    group.wait()
                    if let id { output.send(RPCResult(id: id, result: EmptyResponse())) }
                    return
                }
                guard let id else { continue }
                let data = Value.map(fields)
                group.enter()
                let task = Task {
                    await self.handle(id: id, method: method, data: data)
                    self.finished(id)
                }
                lock.lock()
                tasks[id] = task
                lock.unlock()
            }
            group.wait()
        }

        func finished(_ id: Int) {
            lock.withLock { tasks[id] = nil }
            group.leave()
        }

        func handle(id: Int, method: String, data: Value) async {
            do {
                let progress = ProgressReporter(requestID: id, output: output)
                switch PluginMethod(rawValue: method) {
                case .initialize:
                    let request = try decode(InitializeRequest.self, data).params
                    guard request.protocolVersion == PluginProtocol.version else {
                        throw PluginError(.invalid, "engine speaks protocol v\(request.protocolVersion); this plugin speaks v\(PluginProtocol.version)")
                    }
                    reply(id, ProviderSchema(
                        name: provider.name, version: provider.version, protocolVersion: PluginProtocol.version,
                        resources: provider.resources, maxParallelism: provider.maxParallelism,
                        dataSources: provider.dataSources.isEmpty ? nil : provider.dataSources))
                case .configure:
                    try await provider.configure(try decode(ConfigureRequest.self, data).params)
                    reply(id, EmptyResponse())
                case .check:
                    reply(id, try await provider.check(try decode(CheckRequest.self, data).params))
                case .diff:
                    reply(id, try await provider.diff(try decode(DiffRequest.self, data).params))
                case .create:
                    let request = try decode(CreateRequest.self, data).params
                    try requireType(request.type)
                    reply(id, try await provider.create(request, progress: progress))
                case .read:
                    let request = try decode(ReadRequest.self, data).params
                    try requireType(request.type)
                    reply(id, try await provider.read(request))
                case .update:
                    let request = try decode(UpdateRequest.self, data).params
                    try requireType(request.type)
                    reply(id, try await provider.update(request, progress: progress))
                case .delete:
                    let request = try decode(DeleteRequest.self, data).params
                    try requireType(request.type)
                    try await provider.delete(request, progress: progress)
                    reply(id, EmptyResponse())
                case .importResource:
                    let request = try decode(ImportRequest.self, data).params
                    try requireType(request.type)
                    reply(id, try await provider.importResource(request))
                case .recover:
                    let request = try decode(RecoverRequest.self, data).params
                    try requireType(request.type)
                    reply(id, try await provider.recover(request))
                case .lookup:
                    let request = try decode(LookupRequest.self, data).params
                    guard provider.dataSources[request.type] != nil else {
                        throw PluginError(.invalid, "\(provider.name) has no data source '\(request.type)'")
                    }
                    reply(id, try await provider.lookup(request))
                case .discover:
                    let request = try decode(DiscoverRequest.self, data).params
                    try requireType(request.type)
                    reply(id, try await provider.discover(request))
                case .shutdown, .none:
                    throw PluginError(.unsupported, "method not found: \(method)")
                }
            } catch let error as PluginError {
                output.send(RPCFailure(id: id, error: RPCErrorObject(error)))
            } catch is CancellationError {
                output.send(RPCFailure(id: id, error: RPCErrorObject(PluginError(.retryable, "cancelled"))))
            } catch let error as DecodingError {
                output.send(RPCFailure(id: id, error: RPCErrorObject(PluginError(.invalid, "bad params for \(method): \(error)"))))
            } catch {
                output.send(RPCFailure(id: id, error: RPCErrorObject(PluginError(.fatal, "\(error)"))))
            }
        }

        func requireType(_ type: String) throws {
            guard provider.resources[type] != nil else {
                throw PluginError(.invalid, "\(provider.name) has no resource type '\(type)'")
            }
        }

        func decode<T: Decodable>(_ type: T.Type, _ data: Value) throws -> RPCIncomingRequest<T> {
            try ValueDecoding.decode(RPCIncomingRequest<T>.self, from: data)
        }

        func reply<T: Codable & Sendable>(_ id: Int, _ result: T) {
            output.send(RPCResult(id: id, result: result))
        }
    }
}

/// An error about a line whose id cannot be read: JSON-RPC 2.0 wants `"id": null` there
/// (`RPCFailure` leaves a nil id out).
struct NullIDFailure: Encodable {
    var error: RPCErrorObject
    enum CodingKeys: String, CodingKey { case jsonrpc, id, error }
    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode("2.0", forKey: .jsonrpc)
        try container.encodeNil(forKey: .id)
        try container.encode(error, forKey: .error)
    }
}
