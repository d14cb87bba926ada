import Foundation
import StrataModel
import Testing

@testable import StrataState

@Suite struct StateBackendsTests {
    @Test func defaultIsDotStrataStateDB() async throws {
        let dir = try TempDir()
        for url in [nil, ""] as [String?] {
            let backend = try StateBackends.open(url: url, workingDirectory: dir.url)
            let sqlite = try #require(backend as? SQLiteStateBackend)
            #expect(sqlite.path == dir.url.appendingPathComponent(".strata/state.db").standardizedFileURL.path)
            try await backend.write(demo, .outputs([:]))
        }
        #expect(FileManager.default.fileExists(atPath: dir.url.appendingPathComponent(".strata/state.db").path))
    }

    @Test func pathsAndSQLiteURLs() throws {
        let dir = try TempDir()
        let abs = dir.url.appendingPathComponent("abs.db").path
        let cases: [(String, String)] = [
            ("my.db", dir.url.appendingPathComponent("my.db").path),
            ("sqlite:my.db", dir.url.appendingPathComponent("my.db").path),
            ("sqlite://my.db", dir.url.appendingPathComponent("my.db").path),
            (abs, abs),
            ("sqlite:\(abs)", abs),
            ("sqlite://\(abs)", abs),
            ("file://\(abs)", abs),
        ]
        for (url, expected) in cases {
            let backend = try StateBackends.open(url: url, workingDirectory: dir.url)
            #expect((backend as? SQLiteStateBackend)?.path == URL(fileURLWithPath: expected).standardizedFileURL.path, "\(url)")
        }
    }

    @Test func laterBackendsAndBadURLsAreRefused() throws {
        let dir = try TempDir()
        for url in ["s3://bucket/key", "ftp://x/y", "sqlite:"] {
            do {
                _ = try StateBackends.open(url: url, workingDirectory: dir.url)
                Issue.record("\(url) should be refused")
            } catch let error as StateError {
                guard case .badURL = error else { Issue.record("wrong error \(error)"); continue }
                #expect(error.description.contains(url))
            }
        }
    }

    @Test func missingFolderIsExplained() throws {
        let dir = try TempDir()
        do {
            _ = try StateBackends.open(url: "nope/state.db", workingDirectory: dir.url)
            Issue.record("a missing folder should be refused")
        } catch let error as StateError {
            #expect(error.description.contains("does not exist"))
        }
    }
}
