import Foundation
import StrataModel
import Testing

@testable import StrataState

/// Reading stored columns back (what both backends do on load), on damaged text:
/// a `StateError` naming what could not be read, never a trap (`scripts/fuzz state`).
@Suite struct StateColumnsTests {
    let columns = StateColumns.sqlite
    let key = InstanceKey(stack: "s", instance: "i")

    @Test func goodColumnsRead() throws {
        #expect(try columns.fields(#"{"a":1,"b":{"$secret":"x"}}"#, "inputs") == ["a": 1, "b": .secret("x")])
        #expect(try columns.addresses(#"["test_resource.a","n.test_resource.b[\"k\"]"]"#, "deps").map(\.description) == ["test_resource.a", #"n.test_resource.b["k"]"#])
        #expect(try columns.triggers(nil, "t") == nil)
        #expect(try columns.triggers("[1]", "t") == [1])
        #expect(try columns.address("test_resource.a", in: key).name == "a")
    }

    @Test("damaged columns are StateErrors", arguments: [
        "", "[", "{", "nul", "[1]", #"{"a":}"#, #"["test_resource."]"#, #"["x.\"[\"]"]"#, "\u{0}", #"{"$ref":"a.\"[\"].b"}"#,
    ])
    func damagedColumnsAreErrors(_ text: String) {
        #expect(throws: StateError.self) { try columns.addresses(text, "deps") }
        #expect(throws: StateError.self) { try columns.address(text, in: key) }
        if !text.hasPrefix("{") || text.contains("$ref") {
            #expect(throws: StateError.self) { try columns.fields(text, "inputs") }
        }
    }

    @Test func damagedSealedSecretsAreErrors() throws {
        let cipher = SecretCipher(key: Array(repeating: 7, count: 32))
        for sealed in ["", "AAAA", "not base64!", String(repeating: "A", count: 40), String(repeating: "A", count: 400)] {
            #expect(throws: StateError.self) { try cipher.open(.secret(.map([SecretCipher.marker: .string(sealed)]))) }
        }
        // Sealed bytes that are not JSON inside: an error, not a trap.
        let sealed = try cipher.encrypt(Array("{not json".utf8))
        #expect(throws: (any Error).self) { try cipher.open(.secret(.map([SecretCipher.marker: .string(Data(sealed).base64EncodedString())]))) }
    }
}
