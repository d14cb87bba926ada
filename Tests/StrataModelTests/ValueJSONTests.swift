import Foundation
import StrataModel
import Testing

private func ref(_ text: String) -> Value {
    .reference(Reference(parsing: text)!)
}

private func encoded(_ value: Value) throws -> String {
    String(decoding: try StrataJSON.encode(value), as: UTF8.self)
}

private func decoded(_ json: String) throws -> Value {
    try StrataJSON.decode(Value.self, from: Data(json.utf8))
}

private func roundTripped(_ value: Value) throws -> Value {
    try StrataJSON.decode(Value.self, from: StrataJSON.encode(value))
}

@Suite struct ValueJSONTests {
    static let everyCase: [Value] = [
        .null,
        .bool(true),
        .bool(false),
        .number(0),
        .number(42),
        .number(-7),
        .number(2.5),
        .number(-0.125),
        .number(1e20),
        .string(""),
        .string("héllo \"world\" / \\ \n"),
        .list([]),
        .list([1, "two", true, nil]),
        .map([:]),
        .map(["a": 1, "b": "x", "c": .null, "d": [1, 2]]),
        .unknown,
        .secret("hunter2"),
        .secret(.number(3)),
        .reference(Reference(address: ResourceAddress(type: "test_resource", name: "web"), attribute: "id")),
        .reference(Reference(address: ResourceAddress(type: "test_resource", name: "subnet", components: ["network", "inner"]), attribute: "result")),
        .template([]),
        .template(["postgres://", ref("test_resource.db.result"), ":5432"]),
    ]

    @Test("every Value case survives an encode/decode round trip", arguments: everyCase)
    func everyCaseRoundTrips(_ value: Value) throws {
        #expect(try roundTripped(value) == value)
    }

    @Test func nestedMarkersRoundTrip() throws {
        let nested: Value = .map([
            "secretMap": .secret(.map(["password": "pw", "later": .unknown])),
            "secretList": .secret(.list([.unknown, ref("test_resource.a.id")])),
            "listOfMarkers": .list([.unknown, .secret("s"), ref("net.test_resource.b.id"), .template(["x-", ref("test_resource.c.id")])]),
            "templateWithSecretAndUnknown": .template(["a", .secret(ref("random_password.p.result")), .unknown, .number(5)]),
            "secretOfSecret": .secret(.secret("deep")),
            "mapInMap": .map(["inner": .map(["ref": ref("test_resource.d.value"), "n": 1.5])]),
        ])
        #expect(try roundTripped(nested) == nested)
        #expect(try roundTripped(.list([nested, nested])) == .list([nested, nested]))
    }

    @Test func markersAreEncodedAsObjectsWithOneReservedKey() throws {
        #expect(try encoded(.unknown) == #"{"$unknown":true}"#)
        #expect(try encoded(.secret("pw")) == #"{"$secret":"pw"}"#)
        #expect(try encoded(ref("test_resource.web.id")) == #"{"$ref":"test_resource.web.id"}"#)
        #expect(try encoded(ref("network.test_resource.web.id")) == #"{"$ref":"network.test_resource.web.id"}"#)
        #expect(try encoded(.template(["a", ref("test_resource.web.id")])) == #"{"$template":["a",{"$ref":"test_resource.web.id"}]}"#)
        #expect(try encoded(.secret(.secret(.unknown))) == #"{"$secret":{"$secret":{"$unknown":true}}}"#)
    }

    @Test func wholeNumbersEncodeWithoutAFraction() throws {
        #expect(try encoded(.number(3)) == "3")
        #expect(try encoded(.number(-3)) == "-3")
        #expect(try encoded(.number(0)) == "0")
        #expect(try encoded(.number(1_000_000)) == "1000000")
        #expect(try encoded(.list([1, 2.0, 3])) == "[1,2,3]")
        #expect(try encoded(.map(["port": 5432])) == #"{"port":5432}"#)
    }

    @Test func fractionalNumbersKeepTheirFraction() throws {
        #expect(try encoded(.number(2.5)) == "2.5")
        #expect(try encoded(.number(-0.25)) == "-0.25")
        #expect(try decoded("2.5") == .number(2.5))
        #expect(try decoded("3") == .number(3))
        #expect(try decoded("3.0") == .number(3))
    }

    @Test func mapKeysAreWrittenSorted() throws {
        #expect(try encoded(.map(["b": 1, "a": "x", "c": true])) == #"{"a":"x","b":1,"c":true}"#)
    }

    @Test func plainJSONDecodesToPlainValues() throws {
        #expect(try decoded("null") == .null)
        #expect(try decoded("true") == .bool(true))
        #expect(try decoded("false") == .bool(false))
        #expect(try decoded("1") == .number(1))
        #expect(try decoded(#""1""#) == .string("1"))
        #expect(try decoded("[]") == .list([]))
        #expect(try decoded("{}") == .map([:]))
        #expect(try decoded(#"[1, "a", null, {"k": [true]}]"#) == .list([1, "a", .null, .map(["k": [true]])]))
    }

    @Test func anObjectWithAMarkerKeyAmongOthersStaysAMap() throws {
        #expect(try decoded(#"{"$ref": "test_resource.web.id", "other": 1}"#)
            == .map(["$ref": "test_resource.web.id", "other": 1]))
        #expect(try decoded(#"{"$secret": "pw", "note": "x"}"#) == .map(["$secret": "pw", "note": "x"]))
        #expect(try decoded(#"{"$unknown": true, "a": null}"#) == .map(["$unknown": true, "a": .null]))
        #expect(try decoded(#"{"$template": ["a"], "b": 2}"#) == .map(["$template": ["a"], "b": 2]))
    }

    @Test func anObjectWithOneUnreservedDollarKeyIsAMap() throws {
        #expect(try decoded(#"{"$other": 1}"#) == .map(["$other": 1]))
        #expect(try decoded(#"{"ref": "test_resource.web.id"}"#) == .map(["ref": "test_resource.web.id"]))
    }

    @Test func aMalformedReferenceMarkerIsRefused() {
        #expect(throws: (any Error).self) { try decoded(#"{"$ref": "not-an-address"}"#) }
        #expect(throws: (any Error).self) { try decoded(#"{"$ref": 5}"#) }
    }

    @Test func resourceAddressAndReferenceEncodeAsStrings() throws {
        let address = ResourceAddress(type: "test_resource", name: "web", components: ["net"])
        #expect(String(decoding: try StrataJSON.encode(address), as: UTF8.self) == #""net.test_resource.web""#)
        #expect(try StrataJSON.decode(ResourceAddress.self, from: StrataJSON.encode(address)) == address)
        #expect(throws: DecodingError.self) { try StrataJSON.decode(ResourceAddress.self, from: Data(#""web""#.utf8)) }
        let reference = Reference(address: address, attribute: "id")
        #expect(String(decoding: try StrataJSON.encode(reference), as: UTF8.self) == #""net.test_resource.web.id""#)
        #expect(try StrataJSON.decode(Reference.self, from: StrataJSON.encode(reference)) == reference)
    }

    @Test func aManifestRoundTripsThroughJSON() throws {
        let db = ResourceAddress(type: "test_resource", name: "db")
        let manifest = Manifest(
            stack: "Demo", instance: "default",
            resources: [
                ManifestResource(address: db, inputs: ["value": "postgres", "secret": .secret("pw")],
                                 options: ResourceOptions(protect: true, ignoreChanges: ["value"], createBeforeDestroy: true),
                                 location: SourceLocation(file: "main.swift", line: 3)),
                ManifestResource(address: ResourceAddress(type: "test_resource", name: "web"),
                                 inputs: ["inputs": [.reference(Reference(address: db, attribute: "id"))]],
                                 options: ResourceOptions(dependsOn: [db])),
            ],
            outputs: ["endpoint": ManifestOutput(value: .template([.reference(Reference(address: db, attribute: "result")), ":5432"]))],
            diagnostics: [Diagnostic(.warning, "careful", address: "test_resource.db")])
        #expect(try StrataJSON.decode(Manifest.self, from: StrataJSON.encode(manifest)) == manifest)
    }

    @Test func resourceOptionsDefaultWhenAbsentFromJSON() throws {
        let options = try StrataJSON.decode(ResourceOptions.self, from: Data("{}".utf8))
        #expect(options == ResourceOptions())
    }
}

/// `ValueJSON` is the fast path for the state's columns: it must write and read exactly what
/// `Value`'s Codable conformance does.
@Suite struct FastValueJSONTests {
    @Test("ValueJSON writes what Codable writes", arguments: ValueJSONTests.everyCase)
    func writesWhatCodableWrites(_ value: Value) throws {
        #expect(ValueJSON.string(value) == (try encoded(value)))
    }

    @Test("ValueJSON reads what Codable writes, and back", arguments: ValueJSONTests.everyCase)
    func readsWhatCodableWrites(_ value: Value) throws {
        #expect(try ValueJSON.parse(encoded(value)) == value)
        #expect(try decoded(ValueJSON.string(value)) == value)
    }

    @Test func nestedMarkersRoundTripThroughValueJSON() throws {
        let fields: [String: Value] = [
            "s": .secret(.map(["p": "pw", "later": .unknown])),
            "t": .template(["a", .secret(.reference(Reference(parsing: "random_password.p.result")!)), .unknown]),
            "l": [.null, 1.5, -2, "x\ty\r\u{01}", .map([:]), []],
        ]
        let text = ValueJSON.string(fields)
        #expect(try ValueJSON.parseObject(text) == fields)
        #expect(try decoded(text) == .map(fields))
    }

    @Test func valueJSONReadsWhitespaceEscapesAndSurrogatePairs() throws {
        #expect(try ValueJSON.parse(" { \"a\" : [ 1 , 2.5e1 , true , null ] } ") == .map(["a": [1, 25, true, nil]]))
        #expect(try ValueJSON.parse(#""a\"b\\c\/d\n\u00e9\ud83d\ude00""#) == .string("a\"b\\c/d\né😀"))
        #expect(try ValueJSON.parse(#"{"$ref": "test_resource.a.id", "x": 1}"#) == .map(["$ref": "test_resource.a.id", "x": 1]))
    }

    @Test("ValueJSON rejects malformed JSON", arguments: [
        "", "{", "[1,", "[1 2]", #"{"a" 1}"#, #"{"a":1,}"#, "tru", "nul", #""abc"#, #""\x""#, #""\ud83d""#,
        "1 2", "-", #"{"$ref": 5}"#, #"{"$ref": "web"}"#, #"{"$template": "x"}"#,
    ])
    func rejectsMalformedJSON(_ text: String) {
        #expect(throws: ValueJSON.ParseError.self) { try ValueJSON.parse(text) }
    }

    @Test func parseObjectRefusesANonObject() {
        #expect(throws: ValueJSON.ParseError.self) { try ValueJSON.parseObject("[1]") }
    }
}
