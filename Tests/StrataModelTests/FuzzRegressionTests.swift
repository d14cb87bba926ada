import Foundation
import StrataModel
import Testing

/// Inputs `scripts/fuzz manifest` found that trapped, kept so that they stay refused with an
/// error (docs/reliability.md, Fuzzing).
@Suite struct ModelFuzzRegressionTests {
    /// `"["]`: a segment whose `["` and `"]` overlap sliced a string backwards and trapped.
    @Test("an address whose key brackets overlap is refused", arguments: [
        #"test_resource."["]"#, #"test_resource.web"["]"#, #"a.b.test_resource.x"["]"#, #"strata_stack."["]"#,
    ])
    func overlappingKeyBracketsAreRefused(_ text: String) {
        #expect(ResourceAddress(parsing: text) == nil)
        #expect(Reference(parsing: text + ".id") == nil)
        #expect(!ResourceAddress.isValidSegment(#"x"["]"#))
    }

    @Test func aReferenceWithOverlappingKeyBracketsIsAParseError() {
        #expect(throws: ValueJSON.ParseError.self) { try ValueJSON.parse(#"{"$ref": "test_resource.x\"[\"].id"}"#) }
    }

    @Test func aStackReferenceWithOverlappingKeyBracketsNamesNoStack() {
        #expect(ResourceAddress(type: ResourceAddress.stackReferenceType, name: #"x"["]"#).stackReferenceTarget == nil)
        let good = ResourceAddress.stackReference(stack: "network", instance: "prod")
        #expect(good.stackReferenceTarget?.stack == "network")
        #expect(good.stackReferenceTarget?.instance == "prod")
    }

    /// The input the fuzzer found, as it found it: a manifest that is refused, not a trap.
    @Test func theFoundManifestIsRefused() {
        let found = Data(#"{"Ies[[[[[[[[[[[[[[[[[[[[[[[[["].{w}],"iCs[{"a.ss[b""#.utf8)
        #expect(throws: (any Error).self) { try StrataJSON.decode(Manifest.self, from: found) }
        #expect(Reference(parsing: String(decoding: found, as: UTF8.self)) == nil)
    }
}
