import Foundation

#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A throw-away S3 for tests: moto's server application (`pip install 'moto[server]'`) on a
/// free port on 127.0.0.1, serving **one request at a time**. moto checks a conditional write's
/// `If-Match`/`If-None-Match` and then writes, in two steps, on whichever of its threads the
/// request landed on, so two racing conditional puts can both pass the check; S3 itself decides
/// them atomically. Serving one request at a time gives the tests S3's behaviour, so a race test
/// tests strata, not moto. Everything else is moto_server as it is.
///
/// `S3TestServer.shared()` is one server per test process, stopped when the process exits;
/// tests keep apart by bucket or by prefix. Credentials: any (moto checks none), e.g.
/// `testing`/`testing`, region `us-east-1`.
public final class S3TestServer: @unchecked Sendable {
    public let port: Int
    private let process: Process
    private var stopped = false
    private let lock = NSLock()

    public struct Failure: Error, CustomStringConvertible {
        public var message: String
        public var description: String { message }
    }

    /// `http://127.0.0.1:PORT`, for `AWS_ENDPOINT_URL` and `?endpoint=`.
    public var endpoint: String { "http://127.0.0.1:\(port)" }

    /// The environment a process needs to reach it with made-up credentials and no AWS files.
    public var environment: [String: String] {
        ["AWS_ENDPOINT_URL": endpoint, "AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing",
         "AWS_REGION": "us-east-1", "AWS_DEFAULT_REGION": "us-east-1", "AWS_CONFIG_FILE": "/nonexistent",
         "AWS_SHARED_CREDENTIALS_FILE": "/nonexistent"]
    }

    /// The Python that has moto installed (the one `moto_server` runs with), if any.
    public static let python: URL? = {
        let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/local/bin:/usr/bin:/bin"
        for dir in path.split(separator: ":") {
            let candidate = URL(fileURLWithPath: String(dir)).appendingPathComponent("python3")
            guard FileManager.default.isExecutableFile(atPath: candidate.path) else { continue }
            let check = Process()
            check.executableURL = candidate
            check.arguments = ["-c", "import moto.moto_server.werkzeug_app, werkzeug"]
            check.standardOutput = FileHandle.nullDevice
            check.standardError = FileHandle.nullDevice
            guard (try? check.run()) != nil else { continue }
            check.waitUntilExit()
            if check.terminationStatus == 0 { return candidate }
        }
        return nil
    }()

    /// True when moto is installed (the tests that need it are skipped otherwise).
    public static var isAvailable: Bool { python != nil }

    nonisolated(unsafe) private static var sharedServer: S3TestServer?
    private static let sharedLock = NSLock()

    /// One server for the whole test process, started on first use, stopped at exit.
    public static func shared() throws -> S3TestServer {
        sharedLock.lock()
        defer { sharedLock.unlock() }
        if let sharedServer { return sharedServer }
        let server = try start()
        sharedServer = server
        atexit { S3TestServer.stopShared() }
        return server
    }

    private static func stopShared() {
        sharedLock.lock()
        let server = sharedServer
        sharedServer = nil
        sharedLock.unlock()
        server?.stop()
    }

    static let script = """
        import sys, threading
        from werkzeug.serving import run_simple
        from moto.moto_server.werkzeug_app import DomainDispatcherApplication, create_backend_app
        app = DomainDispatcherApplication(create_backend_app)
        one_at_a_time = threading.Lock()
        def serialized(environ, start_response):
            with one_at_a_time:
                return list(app(environ, start_response))
        run_simple("127.0.0.1", int(sys.argv[1]), serialized, threaded=True)
        """

    public static func start() throws -> S3TestServer {
        guard let python else { throw Failure(message: "moto is not installed: pip install 'moto[server]'") }
        let port = try PostgresServer.freePort()
        let process = Process()
        process.executableURL = python
        process.arguments = ["-c", script, String(port)]
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        process.standardInput = FileHandle.nullDevice
        var environment = ProcessInfo.processInfo.environment
        environment["MOTO_PORT"] = String(port)
        process.environment = environment
        try process.run()
        let server = S3TestServer(process: process, port: port)
        let deadline = Date().addingTimeInterval(90)
        while Date() < deadline {
            if server.canConnect() { return server }
            if !process.isRunning { break }
            usleep(100_000)
        }
        server.stop()
        throw Failure(message: "moto did not start listening on 127.0.0.1:\(port) within 90 s")
    }

    private init(process: Process, port: Int) {
        self.process = process
        self.port = port
    }

    /// SIGTERM, then SIGKILL. Safe to call twice.
    public func stop() {
        lock.lock()
        defer { lock.unlock() }
        guard !stopped else { return }
        stopped = true
        guard process.isRunning else { return }
        process.terminate()
        let deadline = Date().addingTimeInterval(2)
        while process.isRunning && Date() < deadline { usleep(50_000) }
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
        process.waitUntilExit()
    }

    deinit { stop() }

    private func canConnect() -> Bool {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { return false }
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        return withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) == 0 }
        }
    }

    // MARK: Plain requests (moto checks no signature)

    /// One request to the server with a made-up signature (moto treats a request without one
    /// as anonymous, and refuses it objects); its status and body.
    @discardableResult
    public func request(_ method: String, _ path: String, body: Data? = nil, headers: [String: String] = [:]) throws -> (status: Int, body: Data) {
        guard let url = URL(string: endpoint + path) else { throw Failure(message: "bad path \(path)") }
        var request = URLRequest(url: url)
        request.httpMethod = method
        request.httpBody = body
        request.setValue(
            "AWS4-HMAC-SHA256 Credential=testing/20260101/us-east-1/s3/aws4_request, SignedHeaders=host, Signature=0",
            forHTTPHeaderField: "Authorization")
        for (name, value) in headers { request.setValue(value, forHTTPHeaderField: name) }
        let done = DispatchSemaphore(value: 0)
        nonisolated(unsafe) var result: (Int, Data)?
        nonisolated(unsafe) var failure: (any Error)?
        URLSession.shared.dataTask(with: request) { data, response, error in
            if let error { failure = error } else { result = ((response as? HTTPURLResponse)?.statusCode ?? 0, data ?? Data()) }
            done.signal()
        }.resume()
        done.wait()
        if let failure { throw Failure(message: "\(method) \(path): \(failure)") }
        guard let result else { throw Failure(message: "\(method) \(path): no answer") }
        return (result.0, result.1)
    }

    /// Creates a bucket (us-east-1).
    public func createBucket(_ name: String) throws {
        let (status, body) = try request("PUT", "/\(name)")
        guard status == 200 else { throw Failure(message: "creating bucket \(name): HTTP \(status) \(String(decoding: body, as: UTF8.self))") }
    }

    /// The keys under `prefix` in `bucket` (all pages).
    public func keys(_ bucket: String, prefix: String = "") throws -> [String] {
        var keys: [String] = []
        var token: String?
        repeat {
            var path = "/\(bucket)?list-type=2&prefix=\(Self.encode(prefix))"
            if let token { path += "&continuation-token=\(Self.encode(token))" }
            let text = String(decoding: try request("GET", path).body, as: UTF8.self)
            keys += Self.elements("Key", in: text)
            token = text.contains("<IsTruncated>true</IsTruncated>") ? Self.elements("NextContinuationToken", in: text).first : nil
        } while token != nil
        return keys
    }

    /// An object's bytes, nil if it is not there.
    public func object(_ bucket: String, _ key: String) throws -> Data? {
        let (status, body) = try request("GET", "/\(bucket)/\(key.split(separator: "/").map { Self.encode(String($0)) }.joined(separator: "/"))")
        return status == 200 ? body : nil
    }

    static func encode(_ text: String) -> String {
        text.addingPercentEncoding(withAllowedCharacters: CharacterSet(charactersIn: "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.~")) ?? text
    }

    static func elements(_ name: String, in xml: String) -> [String] {
        var out: [String] = []
        var rest = xml[...]
        while let open = rest.range(of: "<\(name)>"), let close = rest.range(of: "</\(name)>", range: open.upperBound..<rest.endIndex) {
            out.append(String(rest[open.upperBound..<close.lowerBound])
                .replacingOccurrences(of: "&amp;", with: "&").replacingOccurrences(of: "&lt;", with: "<").replacingOccurrences(of: "&gt;", with: ">"))
            rest = rest[close.upperBound...]
        }
        return out
    }
}
