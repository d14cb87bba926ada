// The wire benchmark (built and run by `bench/run --only wire`): JSON paths for a plugin
// message, and round trips on one plugin pipe. Links StrataModel from libStrataDSL.so.
//
//   wire codecs ITERATIONS
//   wire pipe PLUGIN_EXECUTABLE STORE_DIR ROUND_TRIPS
//
// Prints `key value` lines (bench/run reads them).
import Foundation
import StrataModel
#if canImport(Glibc)
    import Glibc
#endif

// A `read` of a bench resource, as the engine sends it, and the plugin's answer.
struct ReadParams: Codable { var type: String; var id: String; var inputs: [String: Value]; var outputs: [String: Value] }
struct Request<P: Codable>: Codable { var jsonrpc = "2.0"; var id: Int; var method: String; var params: P }
struct ReadResult: Codable { var exists: Bool; var outputs: [String: Value] }
struct Response<R: Codable>: Codable { var jsonrpc = "2.0"; var id: Int; var result: R }

func sampleInputs() -> [String: Value] {
    ["value": .string("v12_34"), "inputs": .list([.string("t-0a1b2c3d4e5f60718293"), .string("t-94a5b6c7d8e9f0a1b2c3")]), "latencyMs": .number(0)]
}
func sampleOutputs() -> [String: Value] {
    var o = sampleInputs()
    o["id"] = .string("t-5e6f708192a3b4c5d6e7")
    o["result"] = .string("v12_34")
    return o
}

func now() -> Double { Double(DispatchTime.now().uptimeNanoseconds) / 1e9 }

/// Seconds per iteration of `body`, best of three rounds.
func timeIt(_ n: Int, _ body: () throws -> Void) rethrows -> Double {
    var best = Double.infinity
    for _ in 0..<3 {
        let start = now()
        for _ in 0..<n { try body() }
        best = min(best, (now() - start) / Double(n))
    }
    return best
}

func toAny(_ v: Value) -> Any {
    switch v {
    case .null: return NSNull()
    case .bool(let b): return b
    case .number(let n): return n
    case .string(let s): return s
    case .list(let items): return items.map(toAny)
    case .map(let fields): return fields.mapValues(toAny)
    default: return NSNull()
    }
}
func fromAny(_ a: Any) -> Value {
    switch a {
    case let s as String: return .string(s)
    case let b as Bool: return .bool(b)
    case let n as NSNumber: return .number(n.doubleValue)
    case let l as [Any]: return .list(l.map(fromAny))
    case let m as [String: Any]: return .map(m.mapValues(fromAny))
    default: return .null
    }
}

func codecs(_ n: Int) throws {
    let request = Request(id: 42, method: "read", params: ReadParams(type: "test_resource", id: "t-5e6f708192a3b4c5d6e7", inputs: sampleInputs(), outputs: sampleOutputs()))
    let response = Response(id: 42, result: ReadResult(exists: true, outputs: sampleOutputs()))
    let responseData = try ValueEncoding.data(response)
    print("bytes_read_request \(try ValueEncoding.data(request).count)")
    print("bytes_read_response \(responseData.count)")

    // 1. The wire as it is: Codable through Value, written and parsed by ValueJSON.
    print("valuejson_encode_us \(try timeIt(n) { _ = try ValueEncoding.data(request) } * 1e6)")
    print("valuejson_decode_us \(try timeIt(n) { _ = try ValueDecoding.decode(Response<ReadResult>.self, from: responseData) } * 1e6)")
    // 1b. ValueJSON alone (Value trees, no Codable).
    let requestValue = try ValueEncoding.value(request)
    print("valuejson_raw_write_us \(timeIt(n) { _ = ValueJSON.data(requestValue) } * 1e6)")
    print("valuejson_raw_parse_us \(try timeIt(n) { _ = try ValueJSON.parse(responseData) } * 1e6)")
    // 2. Foundation's coders.
    let encoder = JSONEncoder()
    let decoder = JSONDecoder()
    print("jsonencoder_encode_us \(try timeIt(n) { _ = try encoder.encode(request) } * 1e6)")
    print("jsondecoder_decode_us \(try timeIt(n) { _ = try decoder.decode(Response<ReadResult>.self, from: responseData) } * 1e6)")
    // 3. JSONSerialization, with the conversion to and from Value the engine would need.
    let anyRequest = toAny(requestValue)
    print("jsonserialization_encode_us \(try timeIt(n) { _ = try JSONSerialization.data(withJSONObject: toAny(requestValue)) } * 1e6)")
    print("jsonserialization_encode_noconv_us \(try timeIt(n) { _ = try JSONSerialization.data(withJSONObject: anyRequest) } * 1e6)")
    print("jsonserialization_decode_us \(try timeIt(n) { _ = fromAny(try JSONSerialization.jsonObject(with: responseData)) } * 1e6)")
    print("jsonserialization_decode_noconv_us \(try timeIt(n) { _ = try JSONSerialization.jsonObject(with: responseData) } * 1e6)")
}

/// A minimal client shaped like PluginClient: whole lines written under a lock, one reader
/// thread matching answers by id.
final class Pipe2: @unchecked Sendable {
    let process = Process()
    let toPlugin: Int32
    let fromPlugin: Int32
    let lock = NSLock()
    var answers: [Int: Value] = [:]
    var waiting: [Int: DispatchSemaphore] = [:]
    var bytesOut = 0
    var bytesIn = 0
    var onAnswer: (() -> Void)?

    init(_ executable: String, store: String) throws {
        process.executableURL = URL(fileURLWithPath: executable)
        var env = ProcessInfo.processInfo.environment
        env["STRATA_PLUGIN_PROTOCOL"] = "1"
        env["STRATA_TEST_STORE"] = store
        process.environment = env
        let i = Pipe(), o = Pipe()
        process.standardInput = i
        process.standardOutput = o
        process.standardError = FileHandle.standardError
        toPlugin = i.fileHandleForWriting.fileDescriptor
        fromPlugin = o.fileHandleForReading.fileDescriptor
        try process.run()
        let t = Thread { [self] in readLoop() }
        t.start()
    }

    func readLoop() {
        var buffer: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 65536)
        while true {
            let n = chunk.withUnsafeMutableBytes { read(fromPlugin, $0.baseAddress, 65536) }
            if n <= 0 { return }
            buffer.append(contentsOf: chunk[0..<n])
            var start = 0
            while let nl = buffer[start...].firstIndex(of: 0x0A) {
                let line = Data(buffer[start..<nl])
                start = nl + 1
                bytesIn += line.count + 1
                guard case .map(let m)? = try? ValueJSON.parse(line), let id = m["id"]?.numberValue else { continue }
                lock.lock()
                answers[Int(id)] = .map(m)
                let s = waiting.removeValue(forKey: Int(id))
                lock.unlock()
                s?.signal()
                onAnswer?()
            }
            buffer.removeFirst(start)
        }
    }

    func send(_ id: Int, _ method: String, _ params: Value, wait: DispatchSemaphore?) {
        var line = ValueJSON.bytes(.map(["jsonrpc": .string("2.0"), "id": .number(Double(id)), "method": .string(method), "params": params]))
        line.append(0x0A)
        lock.lock()
        if let wait { waiting[id] = wait }
        bytesOut += line.count
        lock.unlock()
        line.withUnsafeBytes { raw in
            var off = 0
            while off < raw.count { let n = write(toPlugin, raw.baseAddress! + off, raw.count - off); if n <= 0 { break }; off += n }
        }
    }

    func call(_ id: Int, _ method: String, _ params: Value) -> Value {
        let s = DispatchSemaphore(value: 0)
        send(id, method, params, wait: s)
        s.wait()
        lock.lock(); defer { lock.unlock() }
        return answers.removeValue(forKey: id) ?? .null
    }
}

func pipe(_ executable: String, store: String, _ n: Int) throws {
    let t0 = now()
    let p = try Pipe2(executable, store: store)
    _ = p.call(1, "initialize", .map(["protocolVersion": .number(1), "engineVersion": .string("bench")]))
    print("start_to_first_answer_ms \((now() - t0) * 1000)")
    var id = 2
    // One resource to read, created the way the engine creates one.
    var before = p.bytesOut + p.bytesIn
    let created = p.call(id, "create", .map(["type": .string("test_resource"), "inputs": .map(sampleInputs()), "token": .string("0123456789abcdef0123456789abcdef"),
                                          "tags": .map(["strata:stack": .string("bench"), "strata:instance": .string("default"), "strata:address": .string("test_resource.l12_34"), "strata:token": .string("0123456789abcdef0123456789abcdef")])]))
    id += 1
    print("bytes_create_round_trip \(p.bytesOut + p.bytesIn - before)")
    guard case .map(let c) = created, case .map(let result)? = c["result"], let rid = result["id"]?.stringValue, case .map(let outputs)? = result["outputs"] else {
        throw NSError(domain: "wire", code: 1, userInfo: [NSLocalizedDescriptionKey: "create failed: \(created)"])
    }
    before = p.bytesOut + p.bytesIn
    _ = p.call(id, "check", .map(["type": .string("test_resource"), "inputs": .map(sampleInputs())]))
    id += 1
    print("bytes_check_round_trip \(p.bytesOut + p.bytesIn - before)")
    let readParams: Value = .map(["type": .string("test_resource"), "id": .string(rid), "inputs": .map(sampleInputs()), "outputs": .map(outputs)])
    before = p.bytesOut + p.bytesIn
    _ = p.call(id, "read", readParams)
    id += 1
    print("bytes_read_round_trip \(p.bytesOut + p.bytesIn - before)")

    // Sequential: one call at a time.
    var start = now()
    for _ in 0..<n {
        _ = p.call(id, "read", readParams)
        id += 1
    }
    print("sequential_round_trips_per_s \(Double(n) / (now() - start))")
    // 64 in flight.
    let slots = DispatchSemaphore(value: 64)
    let done = DispatchSemaphore(value: 0)
    let counter = NSLock()
    var answered = 0
    p.onAnswer = {
        counter.lock(); answered += 1; let finished = answered == n; counter.unlock()
        slots.signal()
        if finished { done.signal() }
    }
    start = now()
    for _ in 0..<n {
        slots.wait()
        p.send(id, "read", readParams, wait: nil)
        id += 1
    }
    done.wait()
    print("inflight64_round_trips_per_s \(Double(n) / (now() - start))")
    p.onAnswer = nil
    p.lock.lock(); p.answers.removeAll(); p.lock.unlock()
    _ = p.call(id, "shutdown", .map([:]))
    p.process.waitUntilExit()
}

let args = CommandLine.arguments
do {
    switch args.count > 1 ? args[1] : "" {
    case "codecs": try codecs(Int(args[2]) ?? 20000)
    case "pipe": try pipe(args[2], store: args[3], Int(args[4]) ?? 20000)
    default:
        FileHandle.standardError.write(Data("usage: wire codecs N | wire pipe PLUGIN STORE N\n".utf8))
        exit(2)
    }
} catch {
    FileHandle.standardError.write(Data("wire: \(error)\n".utf8))
    exit(1)
}
