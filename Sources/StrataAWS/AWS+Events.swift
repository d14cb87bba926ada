import Strata
import StrataModel

extension AWS {
    /// `aws_lambda_event_source_mapping`: a function fed with batches from an SQS queue. The
    /// queue forces replacement; the function, batch size, `enabled` and the batching window
    /// change in place.
    public final class LambdaEventSourceMapping: Resource {
        public init(_ name: String, function: LambdaFunction, queue: SQSQueue, batchSize: Int? = nil, enabled: Bool? = nil,
                    maximumBatchingWindowInSeconds: Int? = nil, tags: [String: Expr<String>] = [:],
                    file: String = #filePath, line: Int = #line) {
            super.init(type: "aws_lambda_event_source_mapping", name: name, file: file, line: line)
            setInput("eventSourceArn", queue.arn)
            setInput("functionName", function.id)
            if let batchSize { setRawInput("batchSize", .number(Double(batchSize))) }
            if let enabled { setRawInput("enabled", .bool(enabled)) }
            if let maximumBatchingWindowInSeconds { setRawInput("maximumBatchingWindowInSeconds", .number(Double(maximumBatchingWindowInSeconds))) }
            if !tags.isEmpty { setInput("tags", Expr<[String: String]>(tags)) }
        }
        /// The mapping's UUID.
        public var id: Expr<String> { attribute("id") }
        public var arn: Expr<String> { attribute("arn") }
        public var state: Expr<String> { attribute("state") }
    }
}

extension AWS {
    /// `aws_apigatewayv2_authorizer`: a JWT authorizer of an HTTP API; the name, issuer,
    /// audience and identity sources change in place. Protect a route with
    /// `AWS.APIRoute(…, authorizer: thisAuthorizer)`.
    public final class APIAuthorizer: Resource {
        public init(_ name: String, api: HTTPAPI, authorizerName: Expr<String>, issuer: Expr<String>, audience: [Expr<String>],
                    identitySources: [Expr<String>] = [], file: String = #filePath, line: Int = #line) {
            super.init(type: "aws_apigatewayv2_authorizer", name: name, file: file, line: line)
            setInput("apiId", api.id)
            setRawInput("authorizerType", .string("JWT"))
            setInput("name", authorizerName)
            setInput("issuer", issuer)
            setInput("audience", Expr<[String]>(audience))
            if !identitySources.isEmpty { setInput("identitySources", Expr<[String]>(identitySources)) }
        }
        /// Tokens of a Cognito user pool (issuer `https://cognito-idp.REGION.amazonaws.com/POOL`)
        /// issued to its app clients.
        public convenience init(_ name: String, api: HTTPAPI, authorizerName: Expr<String>, userPool: UserPool, clients: [UserPoolClient],
                                file: String = #filePath, line: Int = #line) {
            self.init(name, api: api, authorizerName: authorizerName, issuer: "https://\(userPool.endpoint)",
                      audience: clients.map(\.clientId), file: file, line: line)
        }
        /// `apiId/authorizerId`.
        public var id: Expr<String> { attribute("id") }
        public var authorizerId: Expr<String> { attribute("authorizerId") }
    }
}
