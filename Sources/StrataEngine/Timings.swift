import Foundation

/// `STRATA_TIMINGS=1` prints how long each stage took, on stderr (for profiling, and for
/// users who want to know where a slow plan spends its time).
public enum Timings {
    static let enabled = ProcessInfo.processInfo.environment["STRATA_TIMINGS"] == "1"

    public static func measure<T>(_ stage: String, _ body: () throws -> T) rethrows -> T {
        guard enabled else { return try body() }
        let start = DispatchTime.now()
        defer { report(stage, start) }
        return try body()
    }

    public static func measure<T>(_ stage: String, _ body: () async throws -> T) async rethrows -> T {
        guard enabled else { return try await body() }
        let start = DispatchTime.now()
        defer { report(stage, start) }
        return try await body()
    }

    static func report(_ stage: String, _ start: DispatchTime) {
        let ms = Double(DispatchTime.now().uptimeNanoseconds - start.uptimeNanoseconds) / 1e6
        FileHandle.standardError.write(Data(String(format: "[timing] %-28@ %8.1f ms\n", stage as NSString, ms).utf8))
    }
}
