import Foundation
import Testing

/// Lambda versions against moto_server, checked with `aws lambda list-versions-by-function`:
/// a function with `publish: true` publishes version 1 on create and version 2 on a
/// configuration change, an alias follows `fn.version`; an import reads it back; turning
/// `publish` off points the alias at `$LATEST` and publishes nothing; destroy.
@Suite(.serialized) struct AWSLambdaVersionsTests {
    static let stack = ##"""
        import Strata
        import StrataAWS

        let run = Stack.variable("run", default: "x")
        let stage = Stack.variable("stage", default: "one", allowed: ["one", "two"])
        let publish = Stack.variable("publish", default: "yes", allowed: ["yes", "no"])
        let two = stage == "two"

        let trust = #"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"lambda.amazonaws.com"},"Action":"sts:AssumeRole"}]}"#
        let role = AWS.IAMRole("fn", roleName: "fnv-\(run)", assumeRolePolicy: "\(trust)")
        let function = AWS.LambdaFunction(
            "api", functionName: "apiv-\(run)", role: role.arn, runtime: "python3.12", handler: "index.handler",
            filename: "code.zip", memorySize: two ? 256 : 128, environment: ["STAGE": "\(stage)"], publish: publish == "yes")
        let alias = AWS.LambdaAlias("live", function: function, aliasName: "live", functionVersion: function.version)
        Stack.output("function", function.id)
        Stack.output("version", function.version)
        Stack.output("alias", alias.id)
        """##

    @Test(.enabled(if: AWSProviderTests.toolsMissing == nil, "needs moto_server and the aws CLI"))
    func publishedVersionsFollowEachChangeAndAliasesFollowThem() throws {
        let server = try MotoServer.start(try #require(AWSProviderTests.moto))
        defer { server.stop() }
        let cli = try AWSTestCLI(endpoint: server.endpoint)
        defer { cli.strata.remove() }
        let run = "v" + UUID().uuidString.prefix(6).lowercased()
        let stack = try cli.strata.writeStack("AWSLambdaVersions", ["main.swift": Self.stack])
        try AWSServerlessTests.writeZip(stack + "/code.zip", "def handler(e, c):\n    return 1\n")
        let one = ["--var", "run=\(run)"]
        let name = "apiv-\(run)"

        /// The published versions (numbers only) and the alias's version, as the aws CLI has them.
        func versions() throws -> (published: [String], alias: String?) {
            let results = try cli.aws([
                ["lambda", "list-versions-by-function", "--function-name", name],
                ["lambda", "get-alias", "--function-name", name, "--name", "live"],
            ])
            let listed = (jsonPath(try awsJSON(results[0]), "Versions") as? [[String: Any]] ?? []).compactMap { $0["Version"] as? String }
            #expect(listed.first == "$LATEST", "\(results[0].output)")
            return (listed.filter { $0 != "$LATEST" }, jsonPath(try awsJSON(results[1]), "FunctionVersion") as? String)
        }

        let apply = try cli.strata.run(["apply", stack, "--auto-approve"] + one, environment: cli.env)
        #expect(apply.status == 0, "\(apply.output)")
        #expect(apply.stdout.contains("3 created"), "\(apply.output)")
        #expect(try cli.outputs(stack, one)["version"] == "1")
        let first = try versions()
        #expect(first.published == ["1"] && first.alias == "1", "\(first)")
        let settled = try cli.strata.run(["plan", stack, "--detailed-exitcode"] + one, environment: cli.env)
        #expect(settled.status == 0, "nothing to change after apply: \(settled.output)")

        // A configuration change publishes version 2; the alias follows.
        let two = one + ["--var", "stage=two"]
        let plan = try cli.strata.run(["plan", stack, "--json"] + two, environment: cli.env)
        #expect(planActions(plan.stdout) == ["update aws_lambda_alias.live", "update aws_lambda_function.api"], "\(plan.output)")
        let update = try cli.strata.run(["apply", stack, "--auto-approve"] + two, environment: cli.env)
        #expect(update.status == 0, "\(update.output)")
        #expect(try cli.outputs(stack, two)["version"] == "2")
        let second = try versions()
        #expect(second.published == ["1", "2"] && second.alias == "2", "\(second)")
        #expect(try cli.strata.run(["plan", stack, "--detailed-exitcode"] + two, environment: cli.env).status == 0, "nothing to change after the update")

        // Import: a function with published versions reads back as publishing, at its newest.
        #expect(try cli.strata.run(["state", "rm", stack, "aws_lambda_function.api"] + two, environment: cli.env).status == 0)
        let imported = try cli.strata.run(["import", stack, "aws_lambda_function.api", name] + two, environment: cli.env)
        #expect(imported.status == 0, "\(imported.output)")
        let afterImport = try cli.strata.run(["plan", stack, "--detailed-exitcode"] + two, environment: cli.env)
        #expect(afterImport.status == 0, "an imported function plans no change: \(afterImport.output)")

        // Publishing off: nothing is published, the alias goes to $LATEST.
        let off = two + ["--var", "publish=no"]
        let unpublish = try cli.strata.run(["apply", stack, "--auto-approve"] + off, environment: cli.env)
        #expect(unpublish.status == 0, "\(unpublish.output)")
        #expect(try cli.outputs(stack, off)["version"] == "$LATEST")
        let third = try versions()
        #expect(third.published == ["1", "2"] && third.alias == "$LATEST", "\(third)")
        #expect(try cli.strata.run(["plan", stack, "--detailed-exitcode"] + off, environment: cli.env).status == 0, "nothing to change with publishing off")

        let destroy = try cli.strata.run(["destroy", stack, "--auto-approve"] + off, environment: cli.env)
        #expect(destroy.status == 0, "\(destroy.output)")
        let gone = try cli.aws([["lambda", "list-versions-by-function", "--function-name", name]])[0]
        #expect(gone.status != 0 || (try? awsJSON(gone)).map { (jsonPath($0, "Versions") as? [Any])?.isEmpty == true } == true, "gone: \(gone.output)")
    }
}
