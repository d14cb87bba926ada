import Foundation
import Testing

/// Bad stacks are refused before anything is planned, with the address and the file:line.
struct ValidationTests {
    @Test func aCycleIsPrintedAsTheCycle() throws {
        let cli = try StrataCLI()
        defer { cli.remove() }
        let stack = try cli.writeStack("Cycle", ["main.swift": """
            import Strata
            import StrataTestProvider

            let a = TestResource("a")
            let b = TestResource("b", inputs: [a.id])
            let c = TestResource("c", inputs: [b.id])
            a.inputs = Expr([c.id])
            """])
        let result = try cli.run(["validate", stack])
        #expect(result.status == 1)
        #expect(result.stderr.contains("dependency cycle: test_resource.a -> test_resource.c -> test_resource.b -> test_resource.a"), "\(result.output)")
        let plan = try cli.run(["plan", stack])
        #expect(plan.status == 1)
        #expect(plan.stderr.contains("dependency cycle"))
    }

    @Test func aMissingReferenceNamesBothEnds() throws {
        let cli = try StrataCLI()
        defer { cli.remove() }
        let stack = try cli.writeStack("Missing", ["main.swift": """
            import Strata
            import StrataModel
            import StrataTestProvider

            let web = TestResource("web")
            web.value = Expr(raw: .reference(Reference(address: ResourceAddress(type: "test_resource", name: "db"), attribute: "id")))
            """])
        let result = try cli.run(["validate", stack])
        #expect(result.status == 1)
        #expect(result.stderr.contains("main.swift:5: error: test_resource.web: 'value' refers to test_resource.db.id, but test_resource.db is not declared in this stack"), "\(result.output)")
    }

    @Test func duplicatesUnknownAttributesWrongTypesAndMissingInputsAreReported() throws {
        let cli = try StrataCLI()
        defer { cli.remove() }
        let stack = try cli.writeStack("Bad", ["main.swift": """
            import Strata
            import StrataTestProvider

            let one = TestResource("same")
            let two = TestResource("same")
            let odd = GenericResource("test_resource", "odd", inputs: ["colour": "blue", "latencyMs": "slow"])
            let pw = GenericResource("random_password", "pw")
            """])
        let result = try cli.run(["validate", stack])
        #expect(result.status == 1)
        #expect(result.stderr.contains("main.swift:5: error: test_resource.same: duplicate resource address (first declared at"), "\(result.output)")
        #expect(result.stderr.contains("test_resource.odd: unknown attribute 'colour'"), "\(result.output)")
        #expect(result.stderr.contains("test_resource.odd: 'latencyMs' must be a number, not a string"), "\(result.output)")
        #expect(result.stderr.contains("random_password.pw: required attribute 'length' is not set"), "\(result.output)")
    }

    @Test func aCompileErrorIsTheCompilersOwnWithFileAndLine() throws {
        let cli = try StrataCLI()
        defer { cli.remove() }
        let stack = try cli.writeStack("Broken", ["main.swift": """
            import Strata
            import StrataTestProvider

            let a = TestResource("a", latencyMs: "fast")
            """])
        let result = try cli.run(["plan", stack])
        #expect(result.status != 0)
        #expect(result.output.contains("main.swift:4:"), "\(result.output)")
        #expect(result.output.contains("the stack does not compile"))
    }

    @Test func anUnknownVariableAndABadInstanceAreRefused() throws {
        let cli = try StrataCLI()
        defer { cli.remove() }
        let demo = StrataCLI.packageRoot.appendingPathComponent("Stacks/Demo").path
        let unknown = try cli.run(["validate", demo, "--var", "colour=blue"])
        #expect(unknown.status == 1)
        #expect(unknown.stderr.contains("--var colour=… is not a parameter of this stack"), "\(unknown.output)")
        let notAllowed = try cli.run(["validate", demo, "--var", "env=moon"])
        #expect(notAllowed.stderr.contains("--var env=moon is not one of: dev, staging, production"), "\(notAllowed.output)")
        let badInstance = try cli.run(["plan", demo, "--instance", "../etc"])
        #expect(badInstance.status != 0)
        #expect(badInstance.stderr.contains("is not a valid instance name"))
    }
}
