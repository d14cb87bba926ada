import Foundation
import Testing

/// Cognito against moto_server, checked with the `aws` CLI: a user pool, an app client and a
/// sign-in domain; in-place changes (password policy, verified attributes, tags, the client's
/// name and URLs), a renamed pool replaced with its client and domain following, imports,
/// destroy. (No usernameAttributes: moto_server forgets them on UpdateUserPool.)
@Suite(.serialized) struct AWSAuthTests {
    static let stack = ##"""
        import Strata
        import StrataAWS

        let run = Stack.variable("run", default: "x")
        let stage = Stack.variable("stage", default: "one", allowed: ["one", "two"])
        let generation = Stack.variable("generation", default: 1)
        let two = stage == "two"

        let pool = AWS.UserPool("users", poolName: "users-\(run)-\(generation)", passwordMinimumLength: two ? 12 : 8,
                                requireSymbols: !two, autoVerifiedAttributes: two ? ["email"] : [],
                                tags: ["team": "\(stage)"])
        let client = AWS.UserPoolClient("web", pool: pool, clientName: "web-\(stage)", explicitAuthFlows: ["ALLOW_USER_SRP_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"],
                                        callbackUrls: two ? ["https://app.example.com/callback", "https://example.com/cb"] : ["https://app.example.com/callback"],
                                        allowedOauthFlows: ["code"], allowedOauthScopes: ["openid", "email"], supportedIdentityProviders: ["COGNITO"])
        let domain = AWS.UserPoolDomain("login", pool: pool, domain: "login-\(run)-\(generation)")
        Stack.output("pool", pool.id)
        Stack.output("client", client.id)
        Stack.output("clientId", client.clientId)
        Stack.output("domain", domain.id)
        """##

    @Test(.enabled(if: AWSProviderTests.toolsMissing == nil, "needs moto_server and the aws CLI"))
    func userPoolsClientsAndDomainsLiveAndDie() throws {
        let server = try MotoServer.start(try #require(AWSProviderTests.moto))
        defer { server.stop() }
        let cli = try AWSTestCLI(endpoint: server.endpoint)
        defer { cli.strata.remove() }
        let run = "c" + UUID().uuidString.prefix(6).lowercased()
        let stack = try cli.strata.writeStack("AWSAuth", ["main.swift": Self.stack])
        let one = ["--var", "run=\(run)"]
        let apply = try cli.strata.run(["apply", stack, "--auto-approve"] + one, environment: cli.env)
        #expect(apply.status == 0, "\(apply.output)")
        #expect(apply.stdout.contains("3 created"), "\(apply.output)")
        let out = try cli.outputs(stack, one)
        let pool = try #require(out["pool"]), clientId = try #require(out["clientId"]), domain = try #require(out["domain"])

        func check(_ pool: String, _ clientId: String, _ domain: String) throws -> (pool: [String: Any], client: [String: Any], domain: [String: Any]) {
            let results = try cli.aws([
                ["cognito-idp", "describe-user-pool", "--user-pool-id", pool],
                ["cognito-idp", "describe-user-pool-client", "--user-pool-id", pool, "--client-id", clientId],
                ["cognito-idp", "describe-user-pool-domain", "--domain", domain],
            ])
            return (try #require(jsonPath(try awsJSON(results[0]), "UserPool") as? [String: Any], "\(results[0].output)"),
                    try #require(jsonPath(try awsJSON(results[1]), "UserPoolClient") as? [String: Any], "\(results[1].output)"),
                    try #require(jsonPath(try awsJSON(results[2]), "DomainDescription") as? [String: Any], "\(results[2].output)"))
        }
        let first = try check(pool, clientId, domain)
        #expect(jsonPath(first.pool, "Policies", "PasswordPolicy", "MinimumLength") as? Int == 8, "\(first.pool)")
        #expect(jsonPath(first.pool, "Policies", "PasswordPolicy", "RequireSymbols") as? Bool == true, "\(first.pool)")
        #expect(jsonPath(first.pool, "UserPoolTags", "team") as? String == "one" && jsonPath(first.pool, "UserPoolTags", "strata:address") as? String == "aws_cognito_user_pool.users", "\(first.pool)")
        #expect(first.client["ClientName"] as? String == "web-one" && first.client["CallbackURLs"] as? [String] == ["https://app.example.com/callback"], "\(first.client)")
        #expect(first.domain["UserPoolId"] as? String == pool, "\(first.domain)")
        let settled = try cli.strata.run(["plan", stack, "--detailed-exitcode"] + one, environment: cli.env)
        #expect(settled.status == 0, "nothing to change after apply: \(settled.output)")

        for (address, id) in [("aws_cognito_user_pool.users", pool), ("aws_cognito_user_pool_client.web", out["client"] ?? ""), ("aws_cognito_user_pool_domain.login", domain)] {
            #expect(try cli.strata.run(["state", "rm", stack, address] + one, environment: cli.env).status == 0)
            let imported = try cli.strata.run(["import", stack, address, id] + one, environment: cli.env)
            #expect(imported.status == 0, "\(imported.output)")
        }
        let afterImport = try cli.strata.run(["plan", stack, "--detailed-exitcode"] + one, environment: cli.env)
        #expect(afterImport.status == 0, "imported resources plan no change: \(afterImport.output)")

        let two = one + ["--var", "stage=two"]
        let plan = try cli.strata.run(["plan", stack, "--json"] + two, environment: cli.env)
        #expect(planActions(plan.stdout) == ["update aws_cognito_user_pool.users", "update aws_cognito_user_pool_client.web"], "\(plan.output)")
        let update = try cli.strata.run(["apply", stack, "--auto-approve"] + two, environment: cli.env)
        #expect(update.status == 0, "\(update.output)")
        let second = try check(pool, clientId, domain)
        #expect(jsonPath(second.pool, "Policies", "PasswordPolicy", "MinimumLength") as? Int == 12, "\(second.pool)")
        #expect(jsonPath(second.pool, "Policies", "PasswordPolicy", "RequireSymbols") as? Bool == false, "\(second.pool)")
        #expect(second.pool["AutoVerifiedAttributes"] as? [String] == ["email"] && jsonPath(second.pool, "UserPoolTags", "team") as? String == "two", "\(second.pool)")
        #expect(jsonPath(second.pool, "UserPoolTags", "strata:address") as? String == "aws_cognito_user_pool.users", "the engine's tags stay: \(second.pool)")
        #expect(second.client["ClientName"] as? String == "web-two" && (second.client["CallbackURLs"] as? [String])?.count == 2, "\(second.client)")
        let afterUpdate = try cli.strata.run(["plan", stack, "--detailed-exitcode"] + two, environment: cli.env)
        #expect(afterUpdate.status == 0, "nothing to change after the update: \(afterUpdate.output)")

        let renamed = two + ["--var", "generation=2"]
        let replace = try cli.strata.run(["apply", stack, "--auto-approve"] + renamed, environment: cli.env)
        #expect(replace.status == 0, "\(replace.output)")
        let after = try cli.outputs(stack, renamed)
        let newPool = try #require(after["pool"]), newClient = try #require(after["clientId"]), newDomain = try #require(after["domain"])
        #expect(newPool != pool && newDomain == "login-\(run)-2", "\(after)")
        let third = try check(newPool, newClient, newDomain)
        #expect(third.domain["UserPoolId"] as? String == newPool && third.client["ClientName"] as? String == "web-two", "\(third)")
        let old = try cli.aws([["cognito-idp", "describe-user-pool", "--user-pool-id", pool]])[0]
        #expect(old.status != 0 && old.output.contains("ResourceNotFound"), "the old pool is gone: \(old.output)")

        let destroy = try cli.strata.run(["destroy", stack, "--auto-approve"] + renamed, environment: cli.env)
        #expect(destroy.status == 0, "\(destroy.output)")
        let gone = try cli.aws([["cognito-idp", "describe-user-pool", "--user-pool-id", newPool], ["cognito-idp", "describe-user-pool-domain", "--domain", newDomain]])
        #expect(gone[0].status != 0 && gone[0].output.contains("ResourceNotFound"), "gone: \(gone[0].output)")
        #expect(jsonPath(try awsJSON(gone[1]), "DomainDescription", "UserPoolId") == nil, "gone: \(gone[1].output)")
    }
}
