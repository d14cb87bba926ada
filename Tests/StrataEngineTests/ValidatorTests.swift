import StrataModel
import Testing

@testable import StrataEngine

@Suite struct ValidatorTests {
    typealias F = Fixture

    private func validate(_ resources: [ManifestResource], outputs: [String: ManifestOutput] = [:]) -> [Diagnostic] {
        Validator(schemas: F.schemas).validate(Manifest(stack: "Test", instance: "default", resources: resources, outputs: outputs))
    }

    private func resource(_ name: String, _ inputs: [String: Value], ignoreChanges: [String] = [], dependsOn: [String] = []) -> ManifestResource {
        ManifestResource(address: F.address(name), inputs: inputs,
                         options: ResourceOptions(dependsOn: dependsOn.map(F.address), ignoreChanges: ignoreChanges),
                         location: SourceLocation(file: "main.swift", line: 10))
    }

    @Test func aValidManifestHasNoDiagnostics() {
        let diagnostics = validate([
            resource("a", ["value": "x", "count": 3, "secret": .secret("pw")], ignoreChanges: ["value"]),
            resource("b", ["value": .template(["x-", F.ref("a", "result")]), "inputs": [F.ref("a")]], dependsOn: ["a"]),
        ], outputs: ["out": ManifestOutput(value: F.ref("b"))])
        #expect(diagnostics.isEmpty, "\(diagnostics)")
    }

    @Test func anUnknownAttributeIsReported() throws {
        let diagnostics = validate([resource("a", ["value": "x", "colour": "red"])])
        let d = try #require(diagnostics.first)
        #expect(diagnostics.count == 1)
        #expect(d.severity == .error)
        #expect(d.address == "test_resource.a")
        #expect(d.location == SourceLocation(file: "main.swift", line: 10))
        #expect(d.message.contains("unknown attribute 'colour'"), "\(d.message)")
        #expect(d.message.contains("value"), "the known input attributes are listed: \(d.message)")
    }

    @Test func aValueOfTheWrongKindIsReported() throws {
        let diagnostics = validate([resource("a", ["value": 42, "count": "three"])])
        #expect(diagnostics.count == 2)
        #expect(diagnostics.contains { $0.address == "test_resource.a" && $0.message == "'value' must be a string, not a number" }, "\(diagnostics)")
        #expect(diagnostics.contains { $0.message == "'count' must be a number, not a string" }, "\(diagnostics)")
    }

    @Test func aMissingRequiredAttributeIsReported() throws {
        for inputs: [String: Value] in [[:], ["value": .null]] {
            let diagnostics = validate([resource("a", inputs)])
            #expect(diagnostics.map(\.message) == ["required attribute 'value' is not set"])
            #expect(diagnostics.first?.address == "test_resource.a")
        }
    }

    @Test func settingAComputedAttributeIsReported() {
        let diagnostics = validate([resource("a", ["value": "x", "id": "mine"])])
        #expect(diagnostics.map(\.message) == ["'id' is computed by the provider and cannot be set"])
    }

    @Test func aReferenceToAnUndeclaredResourceNamesBothEnds() throws {
        let diagnostics = validate([resource("web", ["value": "x", "inputs": [F.ref("db")]])])
        let d = try #require(diagnostics.first)
        #expect(diagnostics.count == 1)
        #expect(d.address == "test_resource.web")
        #expect(d.message.contains("test_resource.db.id"), "\(d.message)")
        #expect(d.message.contains("test_resource.db is not declared"), "\(d.message)")
        #expect(d.description.contains("test_resource.web"), "\(d.description)")
    }

    @Test func aReferenceToAnAttributeTheTargetLacksIsReported() throws {
        let diagnostics = validate([
            resource("db", ["value": "x"]),
            resource("web", ["value": F.ref("db", "hostname")]),
        ])
        let d = try #require(diagnostics.first)
        #expect(diagnostics.count == 1)
        #expect(d.address == "test_resource.web")
        #expect(d.message.contains("test_resource.db.hostname"), "\(d.message)")
        #expect(d.message.contains("has no attribute 'hostname'"), "\(d.message)")
    }

    @Test func ignoreChangesNamingAMissingAttributeIsReported() {
        let diagnostics = validate([resource("a", ["value": "x"], ignoreChanges: ["value", "colour"])])
        #expect(diagnostics.count == 1)
        #expect(diagnostics.first?.message == "ignoreChanges names 'colour', which test_resource does not have")
        #expect(diagnostics.first?.address == "test_resource.a")
    }

    @Test func dependsOnAnUndeclaredResourceIsReported() {
        let diagnostics = validate([resource("a", ["value": "x"], dependsOn: ["ghost"])])
        #expect(diagnostics.map(\.message) == ["dependsOn names test_resource.ghost, which is not declared in this stack"])
    }

    @Test func aCycleIsReportedAsTheCycle() throws {
        let diagnostics = validate([
            resource("a", ["value": "x", "inputs": [F.ref("c")]]),
            resource("b", ["value": "x", "inputs": [F.ref("a")]]),
            resource("c", ["value": F.ref("b", "result")]),
        ])
        #expect(diagnostics.count == 1)
        let d = try #require(diagnostics.first)
        #expect(d.message == "dependency cycle: test_resource.a -> test_resource.c -> test_resource.b -> test_resource.a")
        #expect(d.location == SourceLocation(file: "main.swift", line: 10))
    }

    @Test func aCycleThroughDependsOnIsReported() {
        let diagnostics = validate([
            resource("a", ["value": "x"], dependsOn: ["b"]),
            resource("b", ["value": F.ref("a")]),
        ])
        #expect(diagnostics.map(\.message) == ["dependency cycle: test_resource.a -> test_resource.b -> test_resource.a"])
    }

    @Test func anUnknownProviderOrTypeIsReported() {
        let other = ManifestResource(address: ResourceAddress(type: "cloud_bucket", name: "b"), inputs: [:])
        let wrongType = ManifestResource(address: ResourceAddress(type: "test_other", name: "o"), inputs: [:])
        let diagnostics = Validator(schemas: F.schemas).validate(Manifest(stack: "T", instance: "i", resources: [other, wrongType]))
        #expect(diagnostics.map(\.message) == [
            "no provider 'cloud' for type cloud_bucket",
            "provider test has no resource type 'test_other' (it has: test_resource)",
        ])
    }

    @Test func anOutputReferringToAnUndeclaredResourceIsReported() {
        let diagnostics = validate([resource("a", ["value": "x"])], outputs: ["endpoint": ManifestOutput(value: .template([F.ref("db", "result"), ":5432"]))])
        #expect(diagnostics.map(\.message) == ["output 'endpoint' refers to test_resource.db.result, but test_resource.db is not declared in this stack"])
    }

    @Test func theStackProgramsOwnDiagnosticsComeFirst() {
        let manifest = Manifest(stack: "T", instance: "i", resources: [resource("a", [:])],
                                diagnostics: [Diagnostic(.error, "duplicate name", address: "test_resource.a")])
        let diagnostics = Validator(schemas: F.schemas).validate(manifest)
        #expect(diagnostics.map(\.message) == ["duplicate name", "required attribute 'value' is not set"])
    }
}
