import Foundation
import Testing

/// A Cognito user pool in front of an HTTP API route (`aws_apigatewayv2_authorizer`, JWT)
/// against moto_server, checked with the `aws` CLI: the issuer is the pool's, the audience its
/// app client; name, audience and identity sources changed in place; the route's protection
/// taken off in place; an import; the authorizer and route moved to another API (replaced);
/// destroy.
@Suite(.serialized) struct AWSAuthorizerTests {
    static let stack = ##"""
        import Strata
        import StrataAWS

        let run = Stack.variable("run", default: "x")
        let stage = Stack.variable("stage", default: "one", allowed: ["one", "two"])
        let protected = Stack.variable("protected", default: "yes", allowed: ["yes", "no"])
        let generation = Stack.variable("generation", default: 1)
        let two = stage == "two"

        let pool = AWS.UserPool("users", poolName: "users-\(run)")
        let web = AWS.UserPoolClient("web", pool: pool, clientName: "web")
        let mobile = AWS.UserPoolClient("mobile", pool: pool, clientName: "mobile")
        let first = AWS.HTTPAPI("first", apiName: "first-\(run)")
        let second = AWS.HTTPAPI("second", apiName: "second-\(run)")
        let api = generation == 1 ? first : second
        let backend = AWS.APIIntegration("backend", api: api, url: "http://backend.example.com/")
        let signedIn = AWS.APIAuthorizer("users", api: api, authorizerName: "users-\(stage)", userPool: pool,
                                         clients: two ? [web, mobile] : [web])
        let tokenHeader = AWS.APIAuthorizer("header", api: api, authorizerName: "header",
                                            issuer: "https://\(pool.endpoint)", audience: [web.clientId],
                                            identitySources: [two ? "$request.header.X-Token" : "$request.header.Authorization"])
        let items = AWS.APIRoute("items", api: api, routeKey: "GET /items", integration: backend,
                                 authorizer: protected == "yes" ? signedIn : nil)
        Stack.output("pool", pool.id)
        Stack.output("web", web.clientId)
        Stack.output("mobile", mobile.clientId)
        Stack.output("api", api.id)
        Stack.output("authorizer", signedIn.id)
        Stack.output("authorizerId", signedIn.authorizerId)
        Stack.output("header", tokenHeader.id)
        Stack.output("route", items.id)
        """##

    @Test(.enabled(if: AWSProviderTests.toolsMissing == nil, "needs moto_server and the aws CLI"))
    func jwtAuthorizersOnCognitoPoolsProtectRoutesAndLiveAndDie() throws {
        let server = try MotoServer.start(try #require(AWSProviderTests.moto))
        defer { server.stop() }
        let cli = try AWSTestCLI(endpoint: server.endpoint)
        defer { cli.strata.remove() }
        let run = "j" + UUID().uuidString.prefix(6).lowercased()
        let stack = try cli.strata.writeStack("AWSAuthorizer", ["main.swift": Self.stack])
        let one = ["--var", "run=\(run)"]
        let apply = try cli.strata.run(["apply", stack, "--auto-approve"] + one, environment: cli.env)
        #expect(apply.status == 0, "\(apply.output)")
        #expect(apply.stdout.contains("9 created"), "\(apply.output)")
        let out = try cli.outputs(stack, one)
        let api = try #require(out["api"]), authorizerId = try #require(out["authorizerId"])
        #expect(out["authorizer"] == "\(api)/\(authorizerId)", "\(out)")
        func child(_ id: String?) -> String { String((id ?? "").split(separator: "/").last ?? "") }

        func authorizer(_ api: String, _ id: String) throws -> [String: Any] {
            let got = try cli.aws([["apigatewayv2", "get-authorizer", "--api-id", api, "--authorizer-id", id]])[0]
            return try #require(try awsJSON(got) as? [String: Any], "\(got.output)")
        }
        func route(_ api: String, _ id: String) throws -> [String: Any] {
            let got = try cli.aws([["apigatewayv2", "get-route", "--api-id", api, "--route-id", id]])[0]
            return try #require(try awsJSON(got) as? [String: Any], "\(got.output)")
        }
        let issuer = "https://cognito-idp.us-east-1.amazonaws.com/\(out["pool"] ?? "?")"
        let made = try authorizer(api, authorizerId)
        #expect(made["Name"] as? String == "users-one" && made["AuthorizerType"] as? String == "JWT", "\(made)")
        #expect(jsonPath(made, "JwtConfiguration", "Issuer") as? String == issuer, "\(made)")
        #expect(jsonPath(made, "JwtConfiguration", "Audience") as? [String] == [out["web"] ?? "?"], "\(made)")
        #expect(made["IdentitySource"] as? [String] == ["$request.header.Authorization"], "\(made)")
        let guarded = try route(api, child(out["route"]))
        #expect(guarded["AuthorizationType"] as? String == "JWT" && guarded["AuthorizerId"] as? String == authorizerId, "\(guarded)")
        let settled = try cli.strata.run(["plan", stack, "--detailed-exitcode"] + one, environment: cli.env)
        #expect(settled.status == 0, "nothing to change after apply: \(settled.output)")

        // In place: name, audience (two clients), identity source.
        let two = one + ["--var", "stage=two"]
        let plan = try cli.strata.run(["plan", stack, "--json"] + two, environment: cli.env)
        #expect(planActions(plan.stdout) == ["update aws_apigatewayv2_authorizer.header", "update aws_apigatewayv2_authorizer.users"], "\(plan.output)")
        let update = try cli.strata.run(["apply", stack, "--auto-approve"] + two, environment: cli.env)
        #expect(update.status == 0, "\(update.output)")
        let changed = try authorizer(api, authorizerId)
        #expect(changed["Name"] as? String == "users-two", "\(changed)")
        #expect(jsonPath(changed, "JwtConfiguration", "Audience") as? [String] == [out["web"] ?? "?", out["mobile"] ?? "?"], "\(changed)")
        #expect(try authorizer(api, child(out["header"]))["IdentitySource"] as? [String] == ["$request.header.X-Token"])
        #expect(try cli.strata.run(["plan", stack, "--detailed-exitcode"] + two, environment: cli.env).status == 0, "nothing to change after the update")

        // Import the authorizer: nothing to change.
        #expect(try cli.strata.run(["state", "rm", stack, "aws_apigatewayv2_authorizer.users"] + two, environment: cli.env).status == 0)
        let imported = try cli.strata.run(["import", stack, "aws_apigatewayv2_authorizer.users", "\(api)/\(authorizerId)"] + two, environment: cli.env)
        #expect(imported.status == 0, "\(imported.output)")
        let afterImport = try cli.strata.run(["plan", stack, "--detailed-exitcode"] + two, environment: cli.env)
        #expect(afterImport.status == 0, "an imported authorizer plans no change: \(afterImport.output)")

        // The route's protection off, in place.
        let open = two + ["--var", "protected=no"]
        let openPlan = try cli.strata.run(["plan", stack, "--json"] + open, environment: cli.env)
        #expect(planActions(openPlan.stdout) == ["update aws_apigatewayv2_route.items"], "\(openPlan.output)")
        #expect(try cli.strata.run(["apply", stack, "--auto-approve"] + open, environment: cli.env).status == 0)
        let opened = try route(api, child(out["route"]))
        #expect(opened["AuthorizationType"] as? String == "NONE" && (opened["AuthorizerId"] as? String ?? "").isEmpty, "\(opened)")
        #expect(try cli.strata.run(["plan", stack, "--detailed-exitcode"] + open, environment: cli.env).status == 0, "nothing to change after opening the route")

        // Another API: the integration, authorizers and route are replaced there.
        let moved = two + ["--var", "generation=2"]
        let move = try cli.strata.run(["apply", stack, "--auto-approve"] + moved, environment: cli.env)
        #expect(move.status == 0, "\(move.output)")
        let there = try cli.outputs(stack, moved)
        let newAPI = try #require(there["api"]), newId = try #require(there["authorizerId"])
        #expect(newAPI != api, "\(there)")
        #expect(jsonPath(try authorizer(newAPI, newId), "JwtConfiguration", "Issuer") as? String == issuer)
        #expect(try route(newAPI, child(there["route"]))["AuthorizerId"] as? String == newId)
        let old = try cli.aws([["apigatewayv2", "get-authorizer", "--api-id", api, "--authorizer-id", authorizerId]])[0]
        #expect(old.status != 0 && old.output.contains("NotFound"), "the old authorizer is gone: \(old.output)")

        let destroy = try cli.strata.run(["destroy", stack, "--auto-approve"] + moved, environment: cli.env)
        #expect(destroy.status == 0, "\(destroy.output)")
        let gone = try cli.aws([["apigatewayv2", "get-apis"]])[0]
        #expect(gone.status == 0 && !gone.stdout.contains(run), "gone: \(gone.output)")
    }
}
