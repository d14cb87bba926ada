import Strata
import StrataModel

extension AWS {
    /// `aws_lambda_function`: a function from a zip on this machine. `filename` is read when
    /// the stack runs (relative to the stack's directory); its SHA-256 becomes
    /// `sourceCodeHash`, so a rebuilt zip plans an update of the code. The path itself is not
    /// compared (moving the checkout plans nothing). The name forces replacement; role,
    /// runtime, handler, memory, timeout, environment and tags change in place. With
    /// `publish: true` every create and code or configuration change publishes a version, and
    /// `version` is its number (point an alias at it with `functionVersion: fn.version`).
    public final class LambdaFunction: Resource {
        public init(_ name: String, functionName: Expr<String>, role: Expr<String>, runtime: Expr<String>, handler: Expr<String>,
                    filename: String, memorySize: Int? = nil, timeout: Int? = nil, description: Expr<String>? = nil,
                    environment: [String: Expr<String>] = [:], publish: Bool? = nil, tags: [String: Expr<String>] = [:],
                    file: String = #filePath, line: Int = #line) {
            super.init(type: "aws_lambda_function", name: name, file: file, line: line)
            setInput("functionName", functionName)
            setInput("role", role)
            setInput("runtime", runtime)
            setInput("handler", handler)
            let code = CodeHash.file(filename)
            setRawInput("filename", .string(code.path))
            if let hash = code.hash { setRawInput("sourceCodeHash", .string(hash)) }
            if let memorySize { setRawInput("memorySize", .number(Double(memorySize))) }
            if let timeout { setRawInput("timeout", .number(Double(timeout))) }
            setInput("description", description)
            if !environment.isEmpty { setInput("environment", Expr<[String: String]>(environment)) }
            if let publish { setRawInput("publish", .bool(publish)) }
            if !tags.isEmpty { setInput("tags", Expr<[String: String]>(tags)) }
            ignoreChanges("filename")
        }
        /// The function name.
        public var id: Expr<String> { attribute("id") }
        public var arn: Expr<String> { attribute("arn") }
        /// What an API Gateway integration calls.
        public var invokeArn: Expr<String> { attribute("invokeArn") }
        public var sourceCodeHash: Expr<String> { attribute("sourceCodeHash") }
        /// The newest published version with `publish: true`, else `$LATEST`.
        public var version: Expr<String> { attribute("version") }
    }

    /// `aws_lambda_alias`: a name for a version (`$LATEST` or a number) of a function; the
    /// version changes in place.
    public final class LambdaAlias: Resource {
        public init(_ name: String, function: LambdaFunction, aliasName: Expr<String>, functionVersion: Expr<String> = "$LATEST",
                    description: Expr<String>? = nil, file: String = #filePath, line: Int = #line) {
            super.init(type: "aws_lambda_alias", name: name, file: file, line: line)
            setInput("functionName", function.id)
            setInput("name", aliasName)
            setInput("functionVersion", functionVersion)
            setInput("description", description)
        }
        /// `function/alias`.
        public var id: Expr<String> { attribute("id") }
        public var arn: Expr<String> { attribute("arn") }
        public var invokeArn: Expr<String> { attribute("invokeArn") }
    }

    /// `aws_lambda_permission`: lets a principal (`apigateway.amazonaws.com`, `sns.amazonaws.com`,
    /// an account) invoke a function; everything forces replacement.
    public final class LambdaPermission: Resource {
        public init(_ name: String, function: LambdaFunction, statementId: Expr<String>, principal: Expr<String>,
                    action: Expr<String> = "lambda:InvokeFunction", sourceArn: Expr<String>? = nil, qualifier: Expr<String>? = nil,
                    file: String = #filePath, line: Int = #line) {
            super.init(type: "aws_lambda_permission", name: name, file: file, line: line)
            setInput("functionName", function.id)
            setInput("statementId", statementId)
            setInput("principal", principal)
            setInput("action", action)
            setInput("sourceArn", sourceArn)
            setInput("qualifier", qualifier)
        }
        /// Lets every route and stage of an HTTP API invoke the function (its execution ARN,
        /// built by the provider from the API id, which stays known while the API changes).
        public init(_ name: String, function: LambdaFunction, statementId: Expr<String>, api: HTTPAPI,
                    file: String = #filePath, line: Int = #line) {
            super.init(type: "aws_lambda_permission", name: name, file: file, line: line)
            setInput("functionName", function.id)
            setInput("statementId", statementId)
            setInput("principal", "apigateway.amazonaws.com")
            setInput("action", "lambda:InvokeFunction")
            setInput("sourceApiId", api.id)
        }
        /// `function/statementId`.
        public var id: Expr<String> { attribute("id") }
    }
}

extension AWS {
    /// `aws_apigatewayv2_api`: an HTTP API; the name, description, CORS origins and tags
    /// change in place.
    public final class HTTPAPI: Resource {
        public init(_ name: String, apiName: Expr<String>, description: Expr<String>? = nil, corsAllowOrigins: [Expr<String>] = [],
                    tags: [String: Expr<String>] = [:], file: String = #filePath, line: Int = #line) {
            super.init(type: "aws_apigatewayv2_api", name: name, file: file, line: line)
            setInput("name", apiName)
            setRawInput("protocolType", .string("HTTP"))
            setInput("description", description)
            if !corsAllowOrigins.isEmpty { setInput("corsAllowOrigins", Expr<[String]>(corsAllowOrigins)) }
            if !tags.isEmpty { setInput("tags", Expr<[String: String]>(tags)) }
        }
        /// The API id.
        public var id: Expr<String> { attribute("id") }
        public var apiEndpoint: Expr<String> { attribute("apiEndpoint") }
        /// `arn:aws:execute-api:REGION:ACCOUNT:API`: a Lambda permission's source is `executionArn + "/*/*"`.
        public var executionArn: Expr<String> { attribute("executionArn") }
    }

    /// `aws_apigatewayv2_stage`: a stage (`$default` serves at the root); auto deploy,
    /// description, variables and tags change in place.
    public final class APIStage: Resource {
        public init(_ name: String, api: HTTPAPI, stageName: Expr<String> = "$default", autoDeploy: Bool? = true,
                    description: Expr<String>? = nil, tags: [String: Expr<String>] = [:], file: String = #filePath, line: Int = #line) {
            super.init(type: "aws_apigatewayv2_stage", name: name, file: file, line: line)
            setInput("apiId", api.id)
            setInput("name", stageName)
            if let autoDeploy { setRawInput("autoDeploy", .bool(autoDeploy)) }
            setInput("description", description)
            if !tags.isEmpty { setInput("tags", Expr<[String: String]>(tags)) }
        }
        /// `apiId/stageName`.
        public var id: Expr<String> { attribute("id") }
        public var name: Expr<String> { attribute("name") }
        public var invokeUrl: Expr<String> { attribute("invokeUrl") }
    }

    /// `aws_apigatewayv2_integration`: requests go to a Lambda function (AWS_PROXY, payload
    /// 2.0) or an HTTP URL such as a load balancer's (HTTP_PROXY); the URI changes in place.
    public final class APIIntegration: Resource {
        public init(_ name: String, api: HTTPAPI, lambda: LambdaFunction, timeoutInMillis: Int? = nil,
                    file: String = #filePath, line: Int = #line) {
            super.init(type: "aws_apigatewayv2_integration", name: name, file: file, line: line)
            setInput("apiId", api.id)
            setRawInput("integrationType", .string("AWS_PROXY"))
            setInput("integrationUri", lambda.arn)
            setRawInput("payloadFormatVersion", .string("2.0"))
            if let timeoutInMillis { setRawInput("timeoutInMillis", .number(Double(timeoutInMillis))) }
        }
        public init(_ name: String, api: HTTPAPI, url: Expr<String>, method: Expr<String> = "ANY", timeoutInMillis: Int? = nil,
                    file: String = #filePath, line: Int = #line) {
            super.init(type: "aws_apigatewayv2_integration", name: name, file: file, line: line)
            setInput("apiId", api.id)
            setRawInput("integrationType", .string("HTTP_PROXY"))
            setInput("integrationUri", url)
            setInput("integrationMethod", method)
            if let timeoutInMillis { setRawInput("timeoutInMillis", .number(Double(timeoutInMillis))) }
        }
        /// `apiId/integrationId`.
        public var id: Expr<String> { attribute("id") }
        public var integrationId: Expr<String> { attribute("integrationId") }
    }

    /// `aws_apigatewayv2_route`: `METHOD /path` (or `$default`) sent to an integration; the key,
    /// target and authorizer change in place. With `authorizer:` (a JWT authorizer) the route
    /// takes only requests with a valid token (`authorizationType` JWT, set for you).
    public final class APIRoute: Resource {
        public init(_ name: String, api: HTTPAPI, routeKey: Expr<String>, integration: APIIntegration,
                    authorizationType: Expr<String>? = nil, authorizer: APIAuthorizer? = nil, file: String = #filePath, line: Int = #line) {
            super.init(type: "aws_apigatewayv2_route", name: name, file: file, line: line)
            setInput("apiId", api.id)
            setInput("routeKey", routeKey)
            setInput("integration", integration.id)
            setInput("authorizationType", authorizationType ?? (authorizer == nil ? nil : "JWT"))
            if let authorizer { setInput("authorizer", authorizer.id) }
        }
        /// `apiId/routeId`.
        public var id: Expr<String> { attribute("id") }
    }

    /// `aws_apigatewayv2_domain_name`: a custom domain with a regional ACM certificate; alias
    /// DNS to `targetDomainName` in `hostedZoneId`.
    public final class APIDomainName: Resource {
        public init(_ name: String, domainName: Expr<String>, certificateArn: Expr<String>, tags: [String: Expr<String>] = [:],
                    file: String = #filePath, line: Int = #line) {
            super.init(type: "aws_apigatewayv2_domain_name", name: name, file: file, line: line)
            setInput("domainName", domainName)
            setInput("certificateArn", certificateArn)
            if !tags.isEmpty { setInput("tags", Expr<[String: String]>(tags)) }
        }
        /// The domain name.
        public var id: Expr<String> { attribute("id") }
        public var targetDomainName: Expr<String> { attribute("targetDomainName") }
        public var hostedZoneId: Expr<String> { attribute("hostedZoneId") }
    }

    /// `aws_apigatewayv2_api_mapping`: a stage served under a custom domain (and an optional
    /// path); everything forces replacement.
    public final class APIMapping: Resource {
        public init(_ name: String, domain: APIDomainName, api: HTTPAPI, stage: APIStage, path: Expr<String>? = nil,
                    file: String = #filePath, line: Int = #line) {
            super.init(type: "aws_apigatewayv2_api_mapping", name: name, file: file, line: line)
            setInput("domainName", domain.id)
            setInput("apiId", api.id)
            setInput("stage", stage.name)
            setInput("apiMappingKey", path)
        }
        /// `domainName/apiMappingId`.
        public var id: Expr<String> { attribute("id") }
    }
}
