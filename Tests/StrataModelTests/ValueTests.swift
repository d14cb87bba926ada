import StrataModel
import Testing

private func ref(_ text: String) -> Value {
    .reference(Reference(parsing: text)!)
}

private func reference(_ text: String) -> Reference {
    Reference(parsing: text)!
}

@Suite struct ValueTests {
    // MARK: references

    @Test func referencesAreListedInOrderOfAppearance() {
        let value: Value = .list([
            ref("test_resource.a.id"),
            .template(["x", ref("test_resource.b.id"), "y", ref("test_resource.c.result")]),
            .secret(ref("random_password.p.result")),
            .map(["z": ref("test_resource.z.id"), "m": ref("test_resource.m.id")]),
            "plain", 1, .unknown,
        ])
        #expect(value.references == [
            reference("test_resource.a.id"),
            reference("test_resource.b.id"),
            reference("test_resource.c.result"),
            reference("random_password.p.result"),
            reference("test_resource.m.id"),  // map fields by sorted key
            reference("test_resource.z.id"),
        ])
    }

    @Test func repeatedReferencesAreAllListed() {
        let value: Value = .list([ref("test_resource.a.id"), ref("test_resource.a.id")])
        #expect(value.references.count == 2)
    }

    @Test func plainValuesHaveNoReferences() {
        for value: Value in [.null, true, 1, "x", .unknown, .secret("s"), [1, 2], .map(["a": "b"]), .template(["only text"])] {
            #expect(value.references.isEmpty, "\(value)")
        }
    }

    // MARK: isKnown

    @Test func plainJSONAndSecretsOfItAreKnown() {
        for value: Value in [.null, true, 1, 2.5, "x", [1, "a"], .map(["a": [true]]), .secret("s"), .secret(.map(["a": 1]))] {
            #expect(value.isKnown, "\(value)")
        }
    }

    @Test func unknownReferencesAndTemplatesAreNotKnownAnywhereInside() {
        for value: Value in [
            .unknown, ref("test_resource.a.id"), .template(["only text"]),
            .secret(.unknown), [1, .unknown], .map(["a": 1, "b": ref("test_resource.a.id")]),
            .map(["deep": [.secret(.template(["x"]))]]),
        ] {
            #expect(!value.isKnown, "\(value)")
        }
    }

    // MARK: secrets

    @Test func containsSecretLooksInsideListsMapsAndTemplates() {
        #expect(Value.secret("s").containsSecret)
        #expect(Value.list([1, .secret(2)]).containsSecret)
        #expect(Value.map(["a": .map(["b": .secret("s")])]).containsSecret)
        #expect(Value.template(["a", .secret(ref("random_password.p.result"))]).containsSecret)
        #expect(!Value.list([1, "a", .unknown]).containsSecret)
        #expect(!Value.map(["a": ref("random_password.p.result")]).containsSecret)
        #expect(!Value.string("secret").containsSecret)
    }

    @Test func revealedRemovesEverySecretMarker() {
        let value: Value = .map([
            "a": .secret("pw"),
            "b": .list([.secret(1), .secret(.secret(true))]),
            "c": .template(["x", .secret(ref("test_resource.a.id"))]),
            "d": .unknown,
        ])
        #expect(value.revealed == .map([
            "a": "pw",
            "b": [1, true],
            "c": .template(["x", ref("test_resource.a.id")]),
            "d": .unknown,
        ]))
        #expect(!value.revealed.containsSecret)
        #expect(Value.string("plain").revealed == "plain")
    }

    @Test func accessorsSeeThroughSecrets() {
        #expect(Value.secret("pw").stringValue == "pw")
        #expect(Value.secret(3).numberValue == 3)
        #expect(Value.secret(true).boolValue == true)
        #expect(Value.number(1).stringValue == nil)
        #expect(Value.list([1]).listValue == [1])
        #expect(Value.map(["a": 1]).mapValue == ["a": 1])
        #expect(Value.secret([1]).listValue == nil)
    }

    @Test func typeNamesDescribeTheValueNotTheMarker() {
        #expect(Value.secret(1).typeName == "number")
        #expect(Value.template(["a"]).typeName == "string")
        #expect(ref("test_resource.a.id").typeName == "reference")
        #expect(Value.unknown.typeName == "unknown")
        #expect(Value.map([:]).typeName == "map")
    }

    // MARK: rendered

    @Test func renderedHidesSecrets() {
        #expect(Value.secret("hunter2").rendered() == "(secret)")
        #expect(Value.string("hunter2").rendered(secret: true) == "(secret)")
        #expect(Value.map(["user": "admin", "password": .secret("hunter2")]).rendered() == #"{password = (secret), user = "admin"}"#)
        #expect(Value.list([.secret(1), 2]).rendered() == "[(secret), 2]")
        let template = Value.template(["postgres://admin:", .secret("hunter2"), "@db"]).rendered()
        #expect(!template.contains("hunter2"))
        #expect(template == #""postgres://admin:${(secret)}@db""#)
        for value: Value in [.secret("hunter2"), .map(["p": .secret("hunter2")]), [.secret("hunter2")]] {
            #expect(!value.rendered().contains("hunter2"))
        }
    }

    @Test func renderedShowsUnknownAsKnownAfterApply() {
        #expect(Value.unknown.rendered() == "(known after apply)")
        #expect(Value.map(["id": .unknown]).rendered() == "{id = (known after apply)}")
    }

    @Test func renderedPrintsPlainValuesHCLLike() {
        #expect(Value.null.rendered() == "null")
        #expect(Value.bool(true).rendered() == "true")
        #expect(Value.number(3).rendered() == "3")
        #expect(Value.number(-3).rendered() == "-3")
        #expect(Value.number(2.5).rendered() == "2.5")
        #expect(Value.string("a\"b\\c\nd").rendered() == #""a\"b\\c\nd""#)
        #expect(Value.list(["a", 1, false]).rendered() == #"["a", 1, false]"#)
        #expect(Value.map(["b": 1, "a": "x"]).rendered() == #"{a = "x", b = 1}"#)
        #expect(ref("test_resource.db.result").rendered() == "${test_resource.db.result}")
        #expect(Value.template([ref("test_resource.db.result"), ":5432"]).rendered() == #""${test_resource.db.result}:5432""#)
    }

    @Test func literalsBuildTheMatchingCases() {
        let s: Value = "x"
        let i: Value = 3
        let d: Value = 2.5
        let b: Value = true
        let l: Value = [1, "a"]
        let n: Value = nil
        #expect(s == .string("x"))
        #expect(i == .number(3))
        #expect(d == .number(2.5))
        #expect(b == .bool(true))
        #expect(l == .list([.number(1), .string("a")]))
        #expect(n == .null)
    }
}
