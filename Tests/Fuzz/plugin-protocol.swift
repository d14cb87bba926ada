// libFuzzer harness: the plugin-protocol reader. The bytes are what a plugin (or the engine)
// writes on the pipe: cut into lines by `WireLineBuffer` in reads of a size the first byte
// picks, each line sorted by `WireMessage` (the engine's `PluginClient` does exactly this),
// then decoded as every request the plugin server takes and every answer the engine reads.
// Run by `scripts/fuzz plugin-protocol`.
import Foundation
import StrataModel
import StrataPluginKit

/// The `result` of an answer, as `PluginClient.call` decodes it.
struct ResponseEnvelope<T: Decodable>: Decodable {
    let result: T
}

func request<P: Decodable>(_ type: P.Type, _ message: [String: Value]) {
    _ = try? ValueDecoding.decode(RPCIncomingRequest<P>.self, from: .map(message))
}

func result<R: Decodable>(_ type: R.Type, _ message: [String: Value]) {
    _ = try? ValueDecoding.decode(ResponseEnvelope<R>.self, from: .map(message))
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzPluginProtocol(_ bytes: UnsafePointer<UInt8>, _ count: Int) -> CInt {
    guard count > 0 else { return 0 }
    let chunk = Int(bytes[0] % 64) + 1
    let input = Array(UnsafeBufferPointer(start: bytes + 1, count: count - 1))
    var buffer = WireLineBuffer()
    var lines: [Data] = []
    var offset = 0
    while offset < input.count {
        let end = min(offset + chunk, input.count)
        lines += buffer.append(input[offset..<end])
        offset = end
    }
    // The lines are the input's newline-separated pieces, empty ones dropped, the unfinished
    // last one kept back.
    var expected = input.split(separator: 0x0A, omittingEmptySubsequences: false).map { Data($0) }
    let unfinished = expected.removeLast()
    guard lines == expected.filter({ !$0.isEmpty }), buffer.pendingCount == unfinished.count else {
        fatalError("WireLineBuffer cut \(input) into \(lines) with \(buffer.pendingCount) pending")
    }
    for line in lines {
        switch WireMessage(line: line) {
        case .request(let method, _, let message):
            switch PluginMethod(rawValue: method) {
            case .initialize: request(InitializeRequest.self, message)
            case .configure: request(ConfigureRequest.self, message)
            case .check: request(CheckRequest.self, message)
            case .diff: request(DiffRequest.self, message)
            case .create: request(CreateRequest.self, message)
            case .read: request(ReadRequest.self, message)
            case .update: request(UpdateRequest.self, message)
            case .delete: request(DeleteRequest.self, message)
            case .importResource: request(ImportRequest.self, message)
            case .recover: request(RecoverRequest.self, message)
            case .lookup: request(LookupRequest.self, message)
            case .discover: request(DiscoverRequest.self, message)
            case .shutdown: request(EmptyResponse.self, message)
            case .none:
                request(ProgressNotification.self, message)
                request(CancelNotification.self, message)
            }
        case .result(_, let message):
            result(ProviderSchema.self, message)
            result(CheckResponse.self, message)
            result(DiffResponse.self, message)
            result(CreateResponse.self, message)
            result(ReadResponse.self, message)
            result(UpdateResponse.self, message)
            result(ImportResponse.self, message)
            result(RecoverResponse.self, message)
            result(DiscoverResponse.self, message)
            result(LookupResponse.self, message)
            result(EmptyResponse.self, message)
        case .failure(_, let error):
            _ = error.description
            _ = error.kind.isRetryable
        case .invalid(let why):
            _ = why
        }
    }
    return 0
}
