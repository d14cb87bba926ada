import StrataModel
import Testing

@testable import StrataEngine

@Suite struct ResolverTests {
    private let db = Fixture.address("db")
    private let password = ResourceAddress(type: "random_password", name: "pw")

    private var resolver: Resolver {
        var resolver = Resolver()
        resolver.attributes[db] = ["id": "db-1", "port": 5432, "host": "db.local", "tags": ["a"]]
        resolver.attributes[password] = ["result": .secret("hunter2")]
        return resolver
    }

    private func ref(_ address: ResourceAddress, _ attribute: String) -> Value {
        .reference(Reference(address: address, attribute: attribute))
    }

    @Test func aReferenceResolvesToTheAttribute() {
        #expect(resolver.resolve(ref(db, "id")) == "db-1")
        #expect(resolver.resolve(ref(db, "port")) == 5432)
        #expect(resolver.resolve(ref(db, "tags")) == ["a"])
        #expect(resolver.resolve(ref(password, "result")) == .secret("hunter2"))
    }

    @Test func aReferenceToSomethingNotKnownIsUnknown() {
        #expect(resolver.resolve(ref(db, "missing")) == .unknown)
        #expect(resolver.resolve(ref(Fixture.address("elsewhere"), "id")) == .unknown)
    }

    @Test func referencesInsideListsMapsAndInputsAreResolved() {
        let inputs: [String: Value] = [
            "list": [ref(db, "id"), "x"],
            "map": .map(["host": ref(db, "host"), "later": ref(db, "nope")]),
            "plain": 1,
        ]
        #expect(resolver.resolve(inputs) == [
            "list": ["db-1", "x"],
            "map": .map(["host": "db.local", "later": .unknown]),
            "plain": 1,
        ])
    }

    @Test func aTemplateOfKnownPartsBecomesAString() {
        let template: Value = .template(["postgres://", ref(db, "host"), ":", ref(db, "port"), "/", .bool(true)])
        #expect(resolver.resolve(template) == "postgres://db.local:5432/true")
    }

    @Test func aTemplateWithASecretPartBecomesASecretString() {
        let template: Value = .template(["postgres://admin:", ref(password, "result"), "@", ref(db, "host")])
        #expect(resolver.resolve(template) == .secret("postgres://admin:hunter2@db.local"))
        #expect(resolver.resolve(.template(["x", .secret("y")])) == .secret("xy"))
    }

    @Test func aTemplateWithAnUnknownPartIsUnknown() {
        #expect(resolver.resolve(.template(["x", ref(db, "missing")])) == .unknown)
        #expect(resolver.resolve(.template(["x", ref(Fixture.address("later"), "id"), ref(password, "result")])) == .unknown)
        #expect(resolver.resolve(.template(["x", .unknown])) == .unknown)
    }

    @Test func aSecretStaysOneSecretWhenItsReferenceResolvesToASecret() {
        #expect(resolver.resolve(.secret(ref(password, "result"))) == .secret("hunter2"))
        #expect(resolver.resolve(.secret(ref(db, "id"))) == .secret("db-1"))
        #expect(resolver.resolve(.secret(ref(db, "missing"))) == .secret(.unknown))
    }

    @Test func plainValuesAreLeftAlone() {
        for value: Value in [.null, true, 1, "x", .unknown, .map(["a": [1]])] {
            #expect(resolver.resolve(value) == value)
        }
    }

    @Test func sameAsIgnoresSecretMarkers() {
        #expect(Value.secret("a").sameAs("a"))
        #expect(Value.string("a").sameAs(.secret("a")))
        #expect(!Value.string("a").sameAs("b"))
        #expect(Value.null.sameAs(nil))
        #expect(!Value.string("a").sameAs(nil))
    }
}
