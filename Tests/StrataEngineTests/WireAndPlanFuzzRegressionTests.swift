import Foundation
import StrataModel
import StrataPluginKit
import StrataState
import Testing

@testable import StrataEngine

/// The plugin-protocol and plan-file readers on input that trapped or that the fuzzers
/// (`scripts/fuzz plugin-protocol`, `scripts/fuzz plan`) keep refusing with an error.
@Suite struct WireAndPlanFuzzRegressionTests {
    /// `Int(1e300)` trapped in the engine's reader and in the plugin server: an id must be a
    /// whole number that fits an Int, else the line is not a message.
    @Test("an id that is not a whole number is refused, not a trap", arguments: [
        #"{"id":1e300,"result":{}}"#, #"{"id":-1e19,"error":{"code":1,"message":"x"}}"#, #"{"id":1.5,"result":{}}"#,
        #"{"id":"7","result":{}}"#, #"{"id":1e999,"method":"create","params":{}}"#,
    ])
    func badIDsAreInvalid(_ line: String) {
        guard case .invalid = WireMessage(line: Data(line.utf8)) else {
            Issue.record("\(line) was read as a message")
            return
        }
    }

    @Test func messagesAreSortedByWhatTheReaderDoes() {
        if case .result(let id, _) = WireMessage(line: Data(#"{"id":3,"jsonrpc":"2.0","result":{}}"#.utf8)) { #expect(id == 3) } else { Issue.record("not a result") }
        if case .failure(let id, let error) = WireMessage(line: Data(#"{"id":4,"error":{"code":-32000,"message":"slow","data":{"kind":"throttled"}}}"#.utf8)) {
            #expect(id == 4)
            #expect(error.kind == .throttled)
        } else { Issue.record("not a failure") }
        if case .failure(_, let error) = WireMessage(line: Data(#"{"id":5,"error":"boom"}"#.utf8)) {
            #expect(error.kind == .fatal)
        } else { Issue.record("not a failure") }
        if case .request(let method, let id, _) = WireMessage(line: Data(#"{"method":"progress","params":{"id":1,"message":"m"}}"#.utf8)) {
            #expect(method == "progress")
            #expect(id == nil)
        } else { Issue.record("not a request") }
        for line in ["", "[]", "nul", #"{"result":{}}"#, #"{"method":5,"id":1}"#] {
            guard case .invalid = WireMessage(line: Data(line.utf8)) else {
                Issue.record("\(line) was read as a message")
                continue
            }
        }
    }

    @Test func linesAreCutAtNewlinesWhateverTheReadSizes() {
        var buffer = WireLineBuffer()
        #expect(buffer.append(Array(#"{"id":1}"#.utf8)).isEmpty)
        #expect(buffer.append([0x0A, 0x0A]) == [Data(#"{"id":1}"#.utf8)])
        #expect(buffer.append(Array("a\nb\nc".utf8)) == [Data("a".utf8), Data("b".utf8)])
        #expect(buffer.pendingCount == 1)
    }

    @Test("a plan file that is not a plan is a PlanError", arguments: [
        "", "null", "[]", "{}", #"{"version":1}"#, #"{"version":2,"key":{}}"#, "\u{FF}\u{FE}",
        #"{"variables":{"a":{"$secret":{"$sealed":"AAAA"}}}}"#, #"{"variables":{"a":{"$secret":{"$sealed":"not base64"}}}}"#,
    ])
    func badPlanFilesAreRefused(_ text: String) {
        for cipher in [nil, SecretCipher(key: Array(repeating: 7, count: 32))] {
            #expect(throws: PlanError.self) { try Plan.decode(Data(text.utf8), cipher: cipher, source: "x.plan") }
        }
    }

    /// The plan seed of `scripts/fuzz plan` reads, so the fuzzer starts from a real plan.
    @Test func theFuzzSeedPlanReads() throws {
        let seed = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
            .appendingPathComponent("../Fuzz/corpus/plan/plan.json")
        let plan = try Plan.decode(try Data(contentsOf: seed), source: seed.path)
        #expect(plan.steps.count == 2)
        #expect(plan.count(.replace) == 1)
    }
}
