import StrataModel
import Testing

@Suite struct AttributeSchemaTests {
    private let reference: Value = .reference(Reference(parsing: "test_resource.a.id")!)

    @Test func unknownsReferencesAndNullFitEveryKind() {
        for kind: AttributeSchema.Kind in [.string, .number, .bool, .list, .map, .any] {
            let attribute = AttributeSchema(kind, .optional)
            #expect(attribute.accepts(.unknown), "\(kind)")
            #expect(attribute.accepts(reference), "\(kind)")
            #expect(attribute.accepts(.null), "\(kind)")
        }
    }

    @Test func eachKindAcceptsItsOwnValuesOnly() {
        let samples: [(AttributeSchema.Kind, Value)] = [
            (.string, "x"), (.number, 1), (.bool, true), (.list, [1]), (.map, .map(["a": 1])),
        ]
        for (kind, _) in samples {
            let attribute = AttributeSchema(kind, .required)
            for (otherKind, value) in samples {
                #expect(attribute.accepts(value) == (kind == otherKind), "\(kind) vs \(value)")
            }
        }
    }

    @Test func aStringAcceptsATemplate() {
        let template: Value = .template(["a-", reference])
        #expect(AttributeSchema(.string, .required).accepts(template))
        #expect(!AttributeSchema(.number, .required).accepts(template))
        #expect(!AttributeSchema(.list, .required).accepts(template))
    }

    @Test func aSecretIsJudgedByWhatItHolds() {
        #expect(AttributeSchema(.string, .required).accepts(.secret("pw")))
        #expect(!AttributeSchema(.string, .required).accepts(.secret(1)))
        #expect(AttributeSchema(.number, .required).accepts(.secret(1)))
        #expect(AttributeSchema(.string, .required).accepts(.secret(.unknown)))
    }

    @Test func anyAcceptsEverything() {
        for value: Value in ["x", 1, true, [1], .map([:]), .template(["a"]), .secret("s")] {
            #expect(AttributeSchema(.any, .optional).accepts(value), "\(value)")
        }
    }

    @Test func modesSayWhatIsAnInputAndWhatIsComputed() {
        #expect(AttributeSchema(.string, .required).isInput)
        #expect(AttributeSchema(.string, .optional).isInput)
        #expect(AttributeSchema(.string, .optionalComputed).isInput)
        #expect(!AttributeSchema(.string, .computed).isInput)
        #expect(AttributeSchema(.string, .computed).isComputed)
        #expect(AttributeSchema(.string, .optionalComputed).isComputed)
        #expect(!AttributeSchema(.string, .optional).isComputed)
    }
}

@Suite struct ManifestTests {
    private func address(_ name: String) -> ResourceAddress { ResourceAddress(type: "test_resource", name: name) }
    private func ref(_ name: String, _ attribute: String = "id") -> Value {
        .reference(Reference(address: address(name), attribute: attribute))
    }

    @Test func dependenciesComeFromReferencesThenDependsOn() {
        let resource = ManifestResource(
            address: address("web"),
            inputs: [
                "value": .template([ref("db", "result"), ":5432"]),
                "inputs": [ref("subnet"), ref("vpc")],
            ],
            options: ResourceOptions(dependsOn: [address("logs")]))
        // Inputs are visited by sorted key: "inputs" before "value".
        #expect(resource.dependencies == [address("subnet"), address("vpc"), address("db"), address("logs")])
    }

    @Test func dependenciesAreDeduplicated() {
        let resource = ManifestResource(
            address: address("web"),
            inputs: [
                "a": [ref("db"), ref("db", "result")],
                "b": .secret(ref("db")),
                "c": ref("vpc"),
            ],
            options: ResourceOptions(dependsOn: [address("vpc"), address("db"), address("logs"), address("logs")]))
        #expect(resource.dependencies == [address("db"), address("vpc"), address("logs")])
    }

    @Test func aResourceWithoutReferencesHasNoDependencies() {
        let resource = ManifestResource(address: address("web"), inputs: ["value": "x"])
        #expect(resource.dependencies.isEmpty)
        #expect(resource.type == "test_resource")
    }

    @Test func diagnosticsPrintLocationSeverityAndAddress() {
        let diagnostic = Diagnostic(.error, "bad", address: "test_resource.web", location: SourceLocation(file: "main.swift", line: 7))
        #expect(diagnostic.description == "main.swift:7: error: test_resource.web: bad")
        #expect(Diagnostic(.warning, "meh").description == "warning: meh")
    }
}
