import Foundation
import Testing

/// API Gateway v2 against moto_server, checked with the `aws` CLI: an HTTP API with a stage,
/// an integration with a Lambda function (and its permission) and one with an HTTP URL (a
/// load balancer's), routes to both, a custom domain and its mapping; in-place changes (API
/// description and CORS, a route key, the HTTP URL, tags), a renamed stage and domain
/// replaced with the mapping re-pointed, imports, destroy.
@Suite(.serialized) struct AWSAPIGatewayTests {
    static let stack = ##"""
        import Strata
        import StrataAWS

        let run = Stack.variable("run", default: "x")
        let stage = Stack.variable("stage", default: "one", allowed: ["one", "two"])
        let generation = Stack.variable("generation", default: 1)
        let two = stage == "two"

        let trust = #"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"lambda.amazonaws.com"},"Action":"sts:AssumeRole"}]}"#
        let role = AWS.IAMRole("fn", roleName: "fn-\(run)", assumeRolePolicy: "\(trust)")
        let function = AWS.LambdaFunction("api", functionName: "api-\(run)", role: role.arn, runtime: "python3.12",
                                          handler: "index.handler", filename: "code.zip")
        let api = AWS.HTTPAPI("http", apiName: "api-\(run)", description: "api \(stage)",
                              corsAllowOrigins: two ? ["https://example.com", "https://app.example.com"] : ["https://example.com"],
                              tags: ["team": "\(stage)"])
        let live = AWS.APIStage("live", api: api, stageName: "v\(generation)")
        let toLambda = AWS.APIIntegration("lambda", api: api, lambda: function)
        let toALB = AWS.APIIntegration("alb", api: api, url: two ? "http://alb-two.example.com/" : "http://alb-one.example.com/")
        let items = AWS.APIRoute("items", api: api, routeKey: two ? "GET /things" : "GET /items", integration: toLambda)
        let legacy = AWS.APIRoute("legacy", api: api, routeKey: "ANY /legacy/{proxy+}", integration: toALB)
        let invoke = AWS.LambdaPermission("api", function: function, statementId: "from-api", api: api)
        let domain = AWS.APIDomainName("api", domainName: "api\(generation)-\(run).example.com",
                                       certificateArn: "arn:aws:acm:us-east-1:123456789012:certificate/\(run)")
        let mapping = AWS.APIMapping("api", domain: domain, api: api, stage: live)
        Stack.output("api", api.id)
        Stack.output("endpoint", api.apiEndpoint)
        Stack.output("stage", live.id)
        Stack.output("url", live.invokeUrl)
        Stack.output("lambdaIntegration", toLambda.id)
        Stack.output("albIntegration", toALB.id)
        Stack.output("items", items.id)
        Stack.output("legacy", legacy.id)
        Stack.output("domain", domain.id)
        Stack.output("mapping", mapping.id)
        """##

    @Test(.enabled(if: AWSProviderTests.toolsMissing == nil, "needs moto_server and the aws CLI"))
    func httpAPIsStagesIntegrationsRoutesAndDomainsLiveAndDie() throws {
        let server = try MotoServer.start(try #require(AWSProviderTests.moto))
        defer { server.stop() }
        let cli = try AWSTestCLI(endpoint: server.endpoint)
        defer { cli.strata.remove() }
        let run = "g" + UUID().uuidString.prefix(6).lowercased()
        let stack = try cli.strata.writeStack("AWSAPIGateway", ["main.swift": Self.stack])
        try AWSServerlessTests.writeZip(stack + "/code.zip", "def handler(e, c):\n    return {'statusCode': 200}\n")
        let one = ["--var", "run=\(run)"]
        let apply = try cli.strata.run(["apply", stack, "--auto-approve"] + one, environment: cli.env)
        #expect(apply.status == 0, "\(apply.output)")
        #expect(apply.stdout.contains("11 created"), "\(apply.output)")
        let out = try cli.outputs(stack, one)
        let api = try #require(out["api"])
        #expect(out["stage"] == "\(api)/v1" && out["url"] == "\(out["endpoint"] ?? "")/v1", "\(out)")

        func get(_ args: [String]) throws -> [String: Any] {
            let result = try cli.aws([["apigatewayv2"] + args])[0]
            return try #require(try awsJSON(result) as? [String: Any], "\(result.output)")
        }
        func child(_ id: String?) -> String { String((id ?? "").split(separator: "/").last ?? "") }
        let first = try get(["get-api", "--api-id", api])
        #expect(first["Description"] as? String == "api one" && jsonPath(first, "CorsConfiguration", "AllowOrigins") as? [String] == ["https://example.com"], "\(first)")
        #expect(jsonPath(first, "Tags", "team") as? String == "one" && jsonPath(first, "Tags", "strata:address") as? String == "aws_apigatewayv2_api.http", "\(first)")
        let lambdaIntegration = try get(["get-integration", "--api-id", api, "--integration-id", child(out["lambdaIntegration"])])
        #expect(lambdaIntegration["IntegrationType"] as? String == "AWS_PROXY" && (lambdaIntegration["IntegrationUri"] as? String)?.hasSuffix(":function:api-\(run)") == true, "\(lambdaIntegration)")
        let albIntegration = try get(["get-integration", "--api-id", api, "--integration-id", child(out["albIntegration"])])
        #expect(albIntegration["IntegrationUri"] as? String == "http://alb-one.example.com/" && albIntegration["IntegrationType"] as? String == "HTTP_PROXY", "\(albIntegration)")
        let items = try get(["get-route", "--api-id", api, "--route-id", child(out["items"])])
        #expect(items["RouteKey"] as? String == "GET /items" && items["Target"] as? String == "integrations/\(child(out["lambdaIntegration"]))", "\(items)")
        let stageInfo = try get(["get-stage", "--api-id", api, "--stage-name", "v1"])
        #expect(stageInfo["AutoDeploy"] as? Bool == true, "\(stageInfo)")
        let domain = try get(["get-domain-name", "--domain-name", "api1-\(run).example.com"])
        #expect(jsonPath(domain, "DomainNameConfigurations", 0, "CertificateArn") as? String == "arn:aws:acm:us-east-1:123456789012:certificate/\(run)", "\(domain)")
        let mapping = try get(["get-api-mapping", "--domain-name", "api1-\(run).example.com", "--api-mapping-id", child(out["mapping"])])
        #expect(mapping["ApiId"] as? String == api && mapping["Stage"] as? String == "v1", "\(mapping)")
        let policy = try cli.aws([["lambda", "get-policy", "--function-name", "api-\(run)"]])[0]
        #expect(policy.stdout.contains("execute-api:us-east-1:123456789012:\(api)/*/*"), "\(policy.output)")
        let settled = try cli.strata.run(["plan", stack, "--detailed-exitcode"] + one, environment: cli.env)
        #expect(settled.status == 0, "nothing to change after apply: \(settled.output)")

        for (address, id) in [("aws_apigatewayv2_api.http", api), ("aws_apigatewayv2_route.items", out["items"] ?? ""),
                              ("aws_apigatewayv2_integration.alb", out["albIntegration"] ?? ""), ("aws_apigatewayv2_stage.live", out["stage"] ?? ""),
                              ("aws_apigatewayv2_domain_name.api", out["domain"] ?? ""), ("aws_apigatewayv2_api_mapping.api", out["mapping"] ?? "")] {
            #expect(try cli.strata.run(["state", "rm", stack, address] + one, environment: cli.env).status == 0)
            let imported = try cli.strata.run(["import", stack, address, id] + one, environment: cli.env)
            #expect(imported.status == 0, "\(imported.output)")
        }
        let afterImport = try cli.strata.run(["plan", stack, "--detailed-exitcode"] + one, environment: cli.env)
        #expect(afterImport.status == 0, "imported resources plan no change: \(afterImport.output)")

        let two = one + ["--var", "stage=two"]
        let plan = try cli.strata.run(["plan", stack, "--json"] + two, environment: cli.env)
        #expect(planActions(plan.stdout) == ["update aws_apigatewayv2_api.http", "update aws_apigatewayv2_integration.alb", "update aws_apigatewayv2_route.items"], "\(plan.output)")
        let update = try cli.strata.run(["apply", stack, "--auto-approve"] + two, environment: cli.env)
        #expect(update.status == 0, "\(update.output)")
        let second = try get(["get-api", "--api-id", api])
        #expect(second["Description"] as? String == "api two" && (jsonPath(second, "CorsConfiguration", "AllowOrigins") as? [String])?.count == 2, "\(second)")
        #expect(jsonPath(second, "Tags", "team") as? String == "two", "\(second)")
        #expect(try get(["get-route", "--api-id", api, "--route-id", child(out["items"])])["RouteKey"] as? String == "GET /things")
        #expect(try get(["get-integration", "--api-id", api, "--integration-id", child(out["albIntegration"])])["IntegrationUri"] as? String == "http://alb-two.example.com/")
        let afterUpdate = try cli.strata.run(["plan", stack, "--detailed-exitcode"] + two, environment: cli.env)
        #expect(afterUpdate.status == 0, "nothing to change after the update: \(afterUpdate.output)")

        // A new stage name and domain replace both; the mapping follows.
        let renamed = two + ["--var", "generation=2"]
        let replace = try cli.strata.run(["apply", stack, "--auto-approve"] + renamed, environment: cli.env)
        #expect(replace.status == 0, "\(replace.output)")
        let after = try cli.outputs(stack, renamed)
        #expect(after["stage"] == "\(api)/v2" && after["domain"] == "api2-\(run).example.com" && after["api"] == api, "\(after)")
        let newMapping = try get(["get-api-mapping", "--domain-name", "api2-\(run).example.com", "--api-mapping-id", child(after["mapping"])])
        #expect(newMapping["Stage"] as? String == "v2", "\(newMapping)")
        let old = try cli.aws([["apigatewayv2", "get-stage", "--api-id", api, "--stage-name", "v1"], ["apigatewayv2", "get-domain-name", "--domain-name", "api1-\(run).example.com"]])
        #expect(old[0].status != 0 && old[1].status != 0, "the old stage and domain are gone: \(old.map(\.output))")

        let destroy = try cli.strata.run(["destroy", stack, "--auto-approve"] + renamed, environment: cli.env)
        #expect(destroy.status == 0, "\(destroy.output)")
        let gone = try cli.aws([["apigatewayv2", "get-api", "--api-id", api], ["apigatewayv2", "get-domain-name", "--domain-name", "api2-\(run).example.com"]])
        #expect(gone[0].status != 0 && gone[0].output.contains("NotFound") && gone[1].status != 0, "gone: \(gone.map(\.output))")
    }
}
