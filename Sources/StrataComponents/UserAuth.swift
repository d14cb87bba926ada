import Strata
import StrataAWS

/// Sign-up and sign-in for an app: a Cognito user pool (e-mail as the user name, verified by
/// e-mail, a password policy), an app client for the browser (no secret; SRP sign-in, refresh
/// tokens; the authorization-code flow to `callbackUrls`) and, with `domainPrefix`, the hosted
/// sign-in pages at `https://<domainPrefix>.auth.<region>.amazoncognito.com`. The app checks
/// the tokens against `https://` + `pool.endpoint` (the issuer).
///
/// ```swift
/// let auth = UserAuth(poolName: "lin-users", callbackUrls: ["https://lin.example.com/auth/callback"],
///                     domainPrefix: "lin-login")
/// Stack.output("userPool", auth.pool.id)
/// Stack.output("clientId", auth.client.clientId)
/// ```
///
/// The password policy and the client's URLs change in place; the pool's name forces a new
/// pool (and with it new users: keep it). MFA and social sign-in are not provider attributes yet.
public struct UserAuth: Component {
    public let pool: AWS.UserPool
    public let client: AWS.UserPoolClient
    public let domain: AWS.UserPoolDomain?

    /// - Parameters:
    ///   - poolName: the user pool's name.
    ///   - callbackUrls: where the hosted sign-in sends users back (`https://app/auth/callback`).
    ///   - logoutUrls: where sign-out sends them.
    ///   - domainPrefix: the hosted sign-in domain's prefix (lower-case letters, digits, '-';
    ///     unique in the region); nil: no hosted pages.
    ///   - passwordMinimumLength: 6 to 99.
    public init(_ name: String = "auth", poolName: String, callbackUrls: [String], logoutUrls: [String] = [], domainPrefix: String? = nil,
                passwordMinimumLength: Int = 12, provider: ProviderRef? = nil, tags: [String: Expr<String>] = [:],
                file: String = #filePath, line: Int = #line) {
        if callbackUrls.isEmpty {
            Stack.error("UserAuth \(name): give at least one callback URL (where sign-in returns to the app)", file: file, line: line)
        }
        @discardableResult func place<R: Resource>(_ resource: R) -> R {
            if let provider { resource.using(provider) }
            return resource
        }
        (pool, client, domain) = Stack.component(name) {
            let pool = place(AWS.UserPool(
                "users", poolName: Expr(poolName), passwordMinimumLength: passwordMinimumLength, requireSymbols: true, requireNumbers: true,
                requireUppercase: true, requireLowercase: true, autoVerifiedAttributes: ["email"], usernameAttributes: ["email"], tags: tags, file: file, line: line))
            let client = place(AWS.UserPoolClient(
                "web", pool: pool, clientName: Expr("\(poolName)-web"), generateSecret: false,
                explicitAuthFlows: ["ALLOW_USER_SRP_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"], callbackUrls: callbackUrls.map { Expr($0) },
                logoutUrls: logoutUrls.map { Expr($0) }, allowedOauthFlows: ["code"], allowedOauthScopes: ["openid", "email", "profile"],
                supportedIdentityProviders: ["COGNITO"], file: file, line: line))
            let domain = domainPrefix.map { place(AWS.UserPoolDomain("sign_in", pool: pool, domain: Expr($0), file: file, line: line)) }
            return (pool, client, domain)
        }
    }
}
