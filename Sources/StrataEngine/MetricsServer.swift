import Foundation
import Synchronization

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#endif

/// The drift daemon's numbers, in Prometheus' text format (version 0.0.4).
public final class DriftMetrics: Sendable {
    /// Upper bounds of the sweep-duration histogram, in seconds.
    public static let buckets: [Double] = [0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600]

    struct Instance {
        var sweeps: [String: Int] = [:]  // by status
        var drifted: [String: Int] = [:]  // by resource type, from the last sweep
        var lastSuccess: Double?
        var bucketCounts = [Int](repeating: 0, count: DriftMetrics.buckets.count)
        var durationSum = 0.0
        var durationCount = 0
    }

    private let state = Mutex<[String: Instance]>([:])

    public init() {}

    private static func id(_ stack: String, _ instance: String) -> String { stack + "\u{0}" + instance }

    /// Counts a finished sweep.
    public func record(_ report: DriftReport) {
        state.withLock { all in
            var m = all[Self.id(report.stack, report.instance)] ?? Instance()
            m.sweeps[report.status.rawValue, default: 0] += 1
            // Types drifted before and clean now stay as 0, so a graph goes down rather than vanishing.
            for type in m.drifted.keys { m.drifted[type] = 0 }
            for resource in report.resources { m.drifted[resource.type, default: 0] += 1 }
            if report.status != .error { m.lastSuccess = Date().timeIntervalSince1970 }
            for (i, bound) in Self.buckets.enumerated() where report.durationSeconds <= bound { m.bucketCounts[i] += 1 }
            m.durationSum += report.durationSeconds
            m.durationCount += 1
            all[Self.id(report.stack, report.instance)] = m
        }
    }

    static func label(_ value: String) -> String {
        var out = ""
        for ch in value {
            switch ch {
            case "\\": out += "\\\\"
            case "\"": out += "\\\""
            case "\n": out += "\\n"
            default: out.append(ch)
            }
        }
        return out
    }

    static func number(_ value: Double) -> String {
        if value.rounded() == value, abs(value) < 1e15 { return String(Int64(value)) }
        return String(value)
    }

    /// The exposition text.
    public func render() -> String {
        let all = state.withLock { $0 }
        let keys = all.keys.sorted()
        func labels(_ key: String) -> String {
            let parts = key.split(separator: "\u{0}", maxSplits: 1, omittingEmptySubsequences: false).map(String.init)
            return "stack=\"\(Self.label(parts.first ?? ""))\",instance=\"\(Self.label(parts.count > 1 ? parts[1] : ""))\""
        }
        var out = ""
        out += "# HELP strata_drift_sweeps_total Drift sweeps finished, by outcome (clean, drift, error).\n"
        out += "# TYPE strata_drift_sweeps_total counter\n"
        for key in keys {
            for (status, count) in all[key]?.sweeps.sorted(by: { $0.key < $1.key }) ?? [] {
                out += "strata_drift_sweeps_total{\(labels(key)),status=\"\(status)\"} \(count)\n"
            }
        }
        out += "# HELP strata_drift_drifted_resources Resources found drifted (changed, deleted or unmanaged) by the last sweep, by type.\n"
        out += "# TYPE strata_drift_drifted_resources gauge\n"
        for key in keys {
            for (type, count) in all[key]?.drifted.sorted(by: { $0.key < $1.key }) ?? [] {
                out += "strata_drift_drifted_resources{\(labels(key)),type=\"\(Self.label(type))\"} \(count)\n"
            }
        }
        out += "# HELP strata_drift_last_success_timestamp_seconds When the last sweep without errors finished (Unix time).\n"
        out += "# TYPE strata_drift_last_success_timestamp_seconds gauge\n"
        for key in keys {
            if let last = all[key]?.lastSuccess {
                out += "strata_drift_last_success_timestamp_seconds{\(labels(key))} \(String(format: "%.3f", last))\n"
            }
        }
        out += "# HELP strata_drift_sweep_duration_seconds How long sweeps take.\n"
        out += "# TYPE strata_drift_sweep_duration_seconds histogram\n"
        for key in keys {
            guard let m = all[key] else { continue }
            for (i, bound) in Self.buckets.enumerated() {
                out += "strata_drift_sweep_duration_seconds_bucket{\(labels(key)),le=\"\(Self.number(bound))\"} \(m.bucketCounts[i])\n"
            }
            out += "strata_drift_sweep_duration_seconds_bucket{\(labels(key)),le=\"+Inf\"} \(m.durationCount)\n"
            out += "strata_drift_sweep_duration_seconds_sum{\(labels(key))} \(String(format: "%.6f", m.durationSum))\n"
            out += "strata_drift_sweep_duration_seconds_count{\(labels(key))} \(m.durationCount)\n"
        }
        return out
    }
}

/// A tiny HTTP/1.1 server for `GET /metrics`: one thread, one request per connection.
public final class MetricsServer: Sendable {
    public let host: String
    /// The port bound (the one asked for, or the one the system chose for port 0).
    public let port: UInt16
    private let fd: Int32
    private let metrics: DriftMetrics
    private let stopped = Atomic<Bool>(false)

    /// Parses `HOST:PORT` (`127.0.0.1:9464`, `0.0.0.0:9464`, `localhost:9464`, `:9464` = all interfaces).
    public static func parseAddress(_ text: String) throws -> (host: String, port: UInt16) {
        guard let colon = text.lastIndex(of: ":"), let port = UInt16(text[text.index(after: colon)...]) else {
            throw MetricsServerError.badAddress(text)
        }
        var host = String(text[..<colon])
        if host.isEmpty { host = "0.0.0.0" }
        if host == "localhost" { host = "127.0.0.1" }
        var probe = in_addr()
        guard inet_pton(AF_INET, host, &probe) == 1 else { throw MetricsServerError.badAddress(text) }
        return (host, port)
    }

    /// Binds and starts serving at once.
    public init(address: String, metrics: DriftMetrics) throws {
        let (host, port) = try Self.parseAddress(address)
        self.host = host
        self.metrics = metrics
        #if canImport(Glibc)
            let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        #else
            let fd = socket(AF_INET, SOCK_STREAM, 0)
        #endif
        guard fd >= 0 else { throw MetricsServerError.bind(address, String(cString: strerror(errno))) }
        var yes: Int32 = 1
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &yes, socklen_t(MemoryLayout<Int32>.size))
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_port = port.bigEndian
        inet_pton(AF_INET, host, &addr.sin_addr)
        let bound = withUnsafePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard bound == 0, listen(fd, 16) == 0 else {
            let why = String(cString: strerror(errno))
            close(fd)
            throw MetricsServerError.bind(address, why)
        }
        var actual = sockaddr_in()
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &actual) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
        }
        self.port = UInt16(bigEndian: actual.sin_port)
        self.fd = fd
        let thread = Thread { [self] in self.serve() }
        thread.name = "strata-metrics"
        thread.start()
    }

    /// Stops accepting; the listening socket is closed.
    public func stop() {
        guard !stopped.exchange(true, ordering: .relaxed) else { return }
        shutdown(fd, Int32(SHUT_RDWR))
        close(fd)
    }

    private func serve() {
        while !stopped.load(ordering: .relaxed) {
            let client = accept(fd, nil, nil)
            if client < 0 {
                if errno == EINTR { continue }
                if stopped.load(ordering: .relaxed) { return }
                usleep(10_000)
                continue
            }
            handle(client)
            close(client)
        }
    }

    private func handle(_ client: Int32) {
        // A slow or silent client must not hold the server: two seconds to send its request.
        var timeout = timeval(tv_sec: 2, tv_usec: 0)
        setsockopt(client, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        var request = [UInt8]()
        var buffer = [UInt8](repeating: 0, count: 4096)
        while request.count < 16_384 {
            let n = buffer.withUnsafeMutableBytes { recv(client, $0.baseAddress, 4096, 0) }
            if n < 0 && errno == EINTR { continue }
            if n <= 0 { break }
            request += buffer[0..<n]
            if request.count >= 4, request.suffix(from: max(0, request.count - n - 3)).containsSubsequence([13, 10, 13, 10]) { break }
        }
        let line = String(decoding: request.prefix { $0 != 13 && $0 != 10 }, as: UTF8.self)
        let parts = line.split(separator: " ")
        let status: String, body: String, type: String
        if parts.count >= 2, parts[0] == "GET" || parts[0] == "HEAD" {
            let path = parts[1].split(separator: "?", maxSplits: 1).first.map(String.init) ?? ""
            if path == "/metrics" {
                (status, body, type) = ("200 OK", metrics.render(), "text/plain; version=0.0.4; charset=utf-8")
            } else if path == "/" || path == "/healthz" {
                (status, body, type) = ("200 OK", "strata drift daemon: metrics at /metrics\n", "text/plain; charset=utf-8")
            } else {
                (status, body, type) = ("404 Not Found", "not found: try /metrics\n", "text/plain; charset=utf-8")
            }
        } else {
            (status, body, type) = ("405 Method Not Allowed", "only GET\n", "text/plain; charset=utf-8")
        }
        let head = parts.first == "HEAD"
        let payload = Array(body.utf8)
        var response = Array("HTTP/1.1 \(status)\r\nContent-Type: \(type)\r\nContent-Length: \(payload.count)\r\nConnection: close\r\n\r\n".utf8)
        if !head { response += payload }
        var offset = 0
        while offset < response.count {
            let n = response[offset...].withUnsafeBytes { send(client, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            if n < 0 && errno == EINTR { continue }
            if n <= 0 { return }
            offset += n
        }
    }
}

extension ArraySlice where Element == UInt8 {
    func containsSubsequence(_ needle: [UInt8]) -> Bool {
        guard count >= needle.count else { return false }
        var i = startIndex
        while i + needle.count <= endIndex {
            if self[i..<(i + needle.count)].elementsEqual(needle) { return true }
            i += 1
        }
        return false
    }
}

public enum MetricsServerError: Error, Sendable, CustomStringConvertible {
    case badAddress(String)
    case bind(String, String)

    public var description: String {
        switch self {
        case .badAddress(let text): return "--metrics '\(text)' is not HOST:PORT with an IPv4 host (e.g. 127.0.0.1:9464, or :9464 for all interfaces)"
        case .bind(let address, let why): return "cannot serve metrics on \(address): \(why) (is the port in use? pick another with --metrics)"
        }
    }
}
