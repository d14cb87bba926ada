import Strata
import StrataModel

extension AWS {
    /// `aws_cognito_user_pool`: sign-up and sign-in. The name and user-name attributes force
    /// replacement; the password policy, verified attributes and tags change in place.
    public final class UserPool: Resource {
        public init(_ name: String, poolName: Expr<String>, passwordMinimumLength: Int? = nil, requireSymbols: Bool? = nil,
                    requireNumbers: Bool? = nil, requireUppercase: Bool? = nil, requireLowercase: Bool? = nil,
                    autoVerifiedAttributes: [Expr<String>] = [], usernameAttributes: [Expr<String>] = [],
                    tags: [String: Expr<String>] = [:], file: String = #filePath, line: Int = #line) {
            super.init(type: "aws_cognito_user_pool", name: name, file: file, line: line)
            setInput("name", poolName)
            if let passwordMinimumLength { setRawInput("passwordMinimumLength", .number(Double(passwordMinimumLength))) }
            for (attribute, value) in [("passwordRequireSymbols", requireSymbols), ("passwordRequireNumbers", requireNumbers),
                                       ("passwordRequireUppercase", requireUppercase), ("passwordRequireLowercase", requireLowercase)] {
                if let value { setRawInput(attribute, .bool(value)) }
            }
            if !autoVerifiedAttributes.isEmpty { setInput("autoVerifiedAttributes", Expr<[String]>(autoVerifiedAttributes)) }
            if !usernameAttributes.isEmpty { setInput("usernameAttributes", Expr<[String]>(usernameAttributes)) }
            if !tags.isEmpty { setInput("tags", Expr<[String: String]>(tags)) }
        }
        /// The pool id.
        public var id: Expr<String> { attribute("id") }
        public var arn: Expr<String> { attribute("arn") }
        /// `cognito-idp.REGION.amazonaws.com/POOL`: the JWT issuer is `https://` + this.
        public var endpoint: Expr<String> { attribute("endpoint") }
    }

    /// `aws_cognito_user_pool_client`: an app client; the name, flows, URLs and scopes change
    /// in place, the pool and `generateSecret` force replacement.
    public final class UserPoolClient: Resource {
        public init(_ name: String, pool: UserPool, clientName: Expr<String>, generateSecret: Bool? = nil,
                    explicitAuthFlows: [Expr<String>] = [], callbackUrls: [Expr<String>] = [], logoutUrls: [Expr<String>] = [],
                    allowedOauthFlows: [Expr<String>] = [], allowedOauthScopes: [Expr<String>] = [],
                    supportedIdentityProviders: [Expr<String>] = [], file: String = #filePath, line: Int = #line) {
            super.init(type: "aws_cognito_user_pool_client", name: name, file: file, line: line)
            setInput("userPoolId", pool.id)
            setInput("name", clientName)
            if let generateSecret { setRawInput("generateSecret", .bool(generateSecret)) }
            for (attribute, values) in [("explicitAuthFlows", explicitAuthFlows), ("callbackUrls", callbackUrls), ("logoutUrls", logoutUrls),
                                        ("allowedOauthFlows", allowedOauthFlows), ("allowedOauthScopes", allowedOauthScopes),
                                        ("supportedIdentityProviders", supportedIdentityProviders)] where !values.isEmpty {
                setInput(attribute, Expr<[String]>(values))
            }
            if !allowedOauthFlows.isEmpty { setRawInput("allowedOauthFlowsUserPoolClient", .bool(true)) }
        }
        /// `poolId/clientId`.
        public var id: Expr<String> { attribute("id") }
        public var clientId: Expr<String> { attribute("clientId") }
        public var clientSecret: Expr<String> { attribute("clientSecret") }
    }

    /// `aws_cognito_user_pool_domain`: the hosted sign-in domain prefix of a pool.
    public final class UserPoolDomain: Resource {
        public init(_ name: String, pool: UserPool, domain: Expr<String>, file: String = #filePath, line: Int = #line) {
            super.init(type: "aws_cognito_user_pool_domain", name: name, file: file, line: line)
            setInput("userPoolId", pool.id)
            setInput("domain", domain)
        }
        /// The prefix.
        public var id: Expr<String> { attribute("id") }
    }
}
