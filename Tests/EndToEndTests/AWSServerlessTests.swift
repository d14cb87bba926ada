import Foundation
import Testing

/// Lambda against moto_server, checked with the `aws` CLI: a function from a zip in the
/// stack's folder with its role from IAM, an alias and a permission; in-place changes
/// (memory, timeout, environment, tags, the alias's description, a rebuilt zip), a renamed
/// function replaced with its alias and permission, an import, destroy. moto_server creates
/// functions without docker; nothing here invokes one.
@Suite(.serialized) struct AWSServerlessTests {
    static let stack = ##"""
        import Strata
        import StrataAWS

        let run = Stack.variable("run", default: "x")
        let stage = Stack.variable("stage", default: "one", allowed: ["one", "two"])
        let code = Stack.variable("code", default: "one", allowed: ["one", "two"])
        let generation = Stack.variable("generation", default: 1)
        let two = stage == "two"

        let trust = #"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"lambda.amazonaws.com"},"Action":"sts:AssumeRole"}]}"#
        let role = AWS.IAMRole("fn", roleName: "fn-\(run)", assumeRolePolicy: "\(trust)")
        let function = AWS.LambdaFunction(
            "api", functionName: "api-\(run)-\(generation)", role: role.arn, runtime: "python3.12", handler: "index.handler",
            filename: "build/code-\(code).zip", memorySize: two ? 256 : 128, timeout: two ? 10 : 3,
            environment: ["STAGE": "\(stage)"], tags: ["team": "\(stage)"])
        let alias = AWS.LambdaAlias("live", function: function, aliasName: "live", description: "\(stage)")
        let permission = AWS.LambdaPermission("sns", function: function, statementId: "from-sns", principal: "sns.amazonaws.com",
                                              sourceArn: "arn:aws:sns:us-east-1:123456789012:alerts")
        Stack.output("function", function.id)
        Stack.output("arn", function.arn)
        Stack.output("hash", function.sourceCodeHash)
        Stack.output("alias", alias.id)
        Stack.output("permission", permission.id)
        """##

    /// A zip holding `index.py` with `body`, written with python3's zipfile.
    static func writeZip(_ path: String, _ body: String) throws {
        try FileManager.default.createDirectory(atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        let python = Process()
        python.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        python.arguments = ["python3", "-c", "import sys,zipfile\nwith zipfile.ZipFile(sys.argv[1],'w') as z: z.writestr('index.py', sys.argv[2])", path, body]
        try python.run()
        python.waitUntilExit()
        try #require(python.terminationStatus == 0, "python3 could not write \(path)")
    }

    /// Lambda's CodeSha256 of a file, computed by python3 (not by our code).
    static func codeSha256(_ path: String) throws -> String {
        let python = Process(), out = Pipe()
        python.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        python.arguments = ["python3", "-c", "import sys,hashlib,base64;print(base64.b64encode(hashlib.sha256(open(sys.argv[1],'rb').read()).digest()).decode())", path]
        python.standardOutput = out
        try python.run()
        python.waitUntilExit()
        return String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
    }

    @Test(.enabled(if: AWSProviderTests.toolsMissing == nil, "needs moto_server and the aws CLI"))
    func lambdaFunctionsAliasesAndPermissionsLiveAndDie() throws {
        let server = try MotoServer.start(try #require(AWSProviderTests.moto))
        defer { server.stop() }
        let cli = try AWSTestCLI(endpoint: server.endpoint)
        defer { cli.strata.remove() }
        let run = "l" + UUID().uuidString.prefix(6).lowercased()
        let stack = try cli.strata.writeStack("AWSLambda", ["main.swift": Self.stack])
        try Self.writeZip(stack + "/build/code-one.zip", "def handler(e, c):\n    return 1\n")
        try Self.writeZip(stack + "/build/code-two.zip", "def handler(e, c):\n    return 2\n")
        let one = ["--var", "run=\(run)"]
        let apply = try cli.strata.run(["apply", stack, "--auto-approve"] + one, environment: cli.env)
        #expect(apply.status == 0, "\(apply.output)")
        #expect(apply.stdout.contains("4 created"), "\(apply.output)")
        let created = try cli.outputs(stack, one)
        let name = try #require(created["function"])
        #expect(name == "api-\(run)-1" && created["alias"] == "\(name)/live" && created["permission"] == "\(name)/from-sns", "\(created)")
        #expect(created["hash"] == (try Self.codeSha256(stack + "/build/code-one.zip")), "the stack's hash is Lambda's: \(created)")

        func check(_ name: String) throws -> (config: [String: Any], tags: [String: String], alias: [String: Any], policy: String) {
            let results = try cli.aws([
                ["lambda", "get-function", "--function-name", name],
                ["lambda", "get-alias", "--function-name", name, "--name", "live"],
                ["lambda", "get-policy", "--function-name", name],
            ])
            let function = try awsJSON(results[0])
            let config = try #require(jsonPath(function, "Configuration") as? [String: Any], "\(results[0].output)")
            let tags = (jsonPath(function, "Tags") as? [String: String]) ?? [:]
            let alias = try #require(try awsJSON(results[1]) as? [String: Any], "\(results[1].output)")
            let policy = jsonPath(try awsJSON(results[2]), "Policy").map { "\($0)" } ?? ""
            return (config, tags, alias, policy)
        }
        let first = try check(name)
        #expect(first.config["MemorySize"] as? Int == 128 && first.config["Timeout"] as? Int == 3 && first.config["Runtime"] as? String == "python3.12", "\(first.config)")
        #expect(jsonPath(first.config, "Environment", "Variables", "STAGE") as? String == "one", "\(first.config)")
        #expect((first.config["Role"] as? String)?.hasSuffix(":role/fn-\(run)") == true, "\(first.config)")
        #expect(first.tags["team"] == "one" && first.tags["strata:address"] == "aws_lambda_function.api", "\(first.tags)")
        #expect(first.alias["FunctionVersion"] as? String == "$LATEST" && first.alias["Description"] as? String == "one", "\(first.alias)")
        #expect(first.policy.contains("from-sns") && first.policy.contains("sns.amazonaws.com"), "\(first.policy)")
        let settled = try cli.strata.run(["plan", stack, "--detailed-exitcode"] + one, environment: cli.env)
        #expect(settled.status == 0, "nothing to change after apply: \(settled.output)")

        // Import: forget the function, import it by name, nothing to change.
        #expect(try cli.strata.run(["state", "rm", stack, "aws_lambda_function.api"] + one, environment: cli.env).status == 0)
        let imported = try cli.strata.run(["import", stack, "aws_lambda_function.api", name] + one, environment: cli.env)
        #expect(imported.status == 0, "\(imported.output)")
        let afterImport = try cli.strata.run(["plan", stack, "--detailed-exitcode"] + one, environment: cli.env)
        #expect(afterImport.status == 0, "an imported function plans no change: \(afterImport.output)")

        // In place: configuration, tags, the alias; then a rebuilt zip alone plans a code update.
        let two = one + ["--var", "stage=two"]
        let plan = try cli.strata.run(["plan", stack, "--json"] + two, environment: cli.env)
        #expect(planActions(plan.stdout) == ["update aws_lambda_alias.live", "update aws_lambda_function.api"], "\(plan.output)")
        let update = try cli.strata.run(["apply", stack, "--auto-approve"] + two, environment: cli.env)
        #expect(update.status == 0, "\(update.output)")
        let second = try check(name)
        #expect(second.config["MemorySize"] as? Int == 256 && second.config["Timeout"] as? Int == 10, "\(second.config)")
        #expect(jsonPath(second.config, "Environment", "Variables", "STAGE") as? String == "two" && second.tags["team"] == "two", "\(second)")
        #expect(second.alias["Description"] as? String == "two", "\(second.alias)")
        let newCode = two + ["--var", "code=two"]
        let codePlan = try cli.strata.run(["plan", stack, "--json"] + newCode, environment: cli.env)
        #expect(planActions(codePlan.stdout) == ["update aws_lambda_function.api"], "\(codePlan.output)")
        #expect(try cli.strata.run(["apply", stack, "--auto-approve"] + newCode, environment: cli.env).status == 0)
        let third = try check(name)
        #expect(third.config["CodeSha256"] as? String == (try Self.codeSha256(stack + "/build/code-two.zip")), "\(third.config)")
        #expect(try cli.strata.run(["plan", stack, "--detailed-exitcode"] + newCode, environment: cli.env).status == 0, "nothing to change after the code update")

        // A new function name replaces the function; the alias and the permission follow.
        let renamed = newCode + ["--var", "generation=2"]
        let replace = try cli.strata.run(["apply", stack, "--auto-approve"] + renamed, environment: cli.env)
        #expect(replace.status == 0, "\(replace.output)")
        let newName = try #require(try cli.outputs(stack, renamed)["function"])
        #expect(newName == "api-\(run)-2")
        let fourth = try check(newName)
        #expect(fourth.alias["Name"] as? String == "live" && fourth.policy.contains("from-sns"), "\(fourth)")
        let old = try cli.aws([["lambda", "get-function", "--function-name", name]])[0]
        #expect(old.status != 0 && old.output.contains("ResourceNotFoundException"), "the old function is gone: \(old.output)")

        let destroy = try cli.strata.run(["destroy", stack, "--auto-approve"] + renamed, environment: cli.env)
        #expect(destroy.status == 0, "\(destroy.output)")
        let gone = try cli.aws([["lambda", "get-function", "--function-name", newName]])[0]
        #expect(gone.status != 0 && gone.output.contains("ResourceNotFoundException"), "gone: \(gone.output)")
    }
}
