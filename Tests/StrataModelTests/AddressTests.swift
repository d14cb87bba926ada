import StrataModel
import Testing

@Suite struct ResourceAddressTests {
    @Test func aTypeAndNameParse() throws {
        let address = try #require(ResourceAddress(parsing: "test_resource.web"))
        #expect(address.type == "test_resource")
        #expect(address.name == "web")
        #expect(address.components == [])
        #expect(address.description == "test_resource.web")
        #expect(address == ResourceAddress(type: "test_resource", name: "web"))
    }

    @Test func leadingSegmentsAreComponents() throws {
        let address = try #require(ResourceAddress(parsing: "network.inner.test_resource.subnet_a"))
        #expect(address.components == ["network", "inner"])
        #expect(address.type == "test_resource")
        #expect(address.name == "subnet_a")
        #expect(address.description == "network.inner.test_resource.subnet_a")
    }

    @Test func keyedAndDashedNamesAreValid() throws {
        #expect(ResourceAddress(parsing: "test_resource.web-1") != nil)
        #expect(ResourceAddress(parsing: #"test_resource.web["a"]"#)?.name == #"web["a"]"#)
        #expect(ResourceAddress(parsing: "test_resource.web[0]")?.name == "web[0]")
    }

    @Test("invalid addresses are rejected", arguments: [
        "", "web", ".", "test_resource.", ".web", "test_resource..web", "a.test_resource.",
        "test resource.web", "test_resource.web!", "test_resource.w/eb", "test_resource.wéb", "test_resource.web ",
    ])
    func invalidAddressesAreRejected(_ text: String) {
        #expect(ResourceAddress(parsing: text) == nil)
    }

    @Test func theProviderIsTheTypePrefixBeforeTheFirstUnderscore() {
        #expect(ResourceAddress(type: "test_resource", name: "a").provider == "test")
        #expect(ResourceAddress(type: "random_password", name: "a").provider == "random")
        #expect(ResourceAddress(type: "echo_message_long", name: "a").provider == "echo")
        #expect(ResourceAddress.provider(ofType: "plain") == "plain")
        #expect(ResourceAddress(parsing: "net.test_resource.x")?.provider == "test")
    }

    @Test func addressesOrderByTheirText() {
        let a = ResourceAddress(type: "test_resource", name: "a")
        let b = ResourceAddress(type: "test_resource", name: "b")
        let inComponent = ResourceAddress(type: "test_resource", name: "a", components: ["net"])
        #expect(a < b)
        #expect([b, inComponent, a].sorted() == [inComponent, a, b])
    }
}

@Suite struct ReferenceTests {
    @Test func aReferenceIsAnAddressAndAnAttribute() throws {
        let reference = try #require(Reference(parsing: "test_resource.web.id"))
        #expect(reference.address == ResourceAddress(type: "test_resource", name: "web"))
        #expect(reference.attribute == "id")
        #expect(reference.description == "test_resource.web.id")
    }

    @Test func aReferenceMayHaveComponents() throws {
        let reference = try #require(Reference(parsing: "network.test_resource.subnet.result"))
        #expect(reference.address == ResourceAddress(type: "test_resource", name: "subnet", components: ["network"]))
        #expect(reference.attribute == "result")
    }

    @Test("malformed references are rejected", arguments: [
        "", "id", "web.id", "test_resource.web.", "test_resource..id", ".test_resource.web.id", "test_resource web.id",
    ])
    func malformedReferencesAreRejected(_ text: String) {
        #expect(Reference(parsing: text) == nil)
    }
}
