import Strata
import StrataAWS

/// An API Gateway HTTP API in front of a service: its `$default` stage (deployed on every
/// change, served at the root of `stage.invokeUrl`), and routes to Lambda functions (with a
/// permission per route for the API to invoke the function) or to an HTTP URL such as a load
/// balancer's.
///
/// ```swift
/// let gateway = HTTPGateway(apiName: "lin-api", corsOrigins: ["https://lin.example.com"], routes: [
///     .url("ANY /{proxy+}", "http://\(api.loadBalancer.dnsName)/{proxy}"),
/// ])
/// Stack.output("apiUrl", gateway.stage.invokeUrl)
/// ```
///
/// Integrations and routes are keyed by the route's key in the address
/// (`gateway.aws_apigatewayv2_route.route["ANY /{proxy+}"]`); a route's target changes in place.
public struct HTTPGateway: Component {
    /// Where one route's requests go.
    public struct Route {
        enum Target { case url(Expr<String>), function(AWS.LambdaFunction) }
        public var routeKey: String
        var target: Target

        /// `METHOD /path` (or `$default`) proxied to an http(s) URL (`{proxy}` is the rest of a `{proxy+}` path).
        public static func url(_ routeKey: String, _ url: Expr<String>) -> Route { Route(routeKey: routeKey, target: .url(url)) }
        /// `METHOD /path` sent to a Lambda function (payload 2.0).
        public static func function(_ routeKey: String, _ function: AWS.LambdaFunction) -> Route {
            Route(routeKey: routeKey, target: .function(function))
        }
    }

    public let api: AWS.HTTPAPI
    public let stage: AWS.APIStage
    /// The routes by route key.
    public let routes: [String: AWS.APIRoute]

    /// - Parameters:
    ///   - apiName: the API's name.
    ///   - corsOrigins: browsers on these origins may call the API.
    ///   - routes: route keys must differ.
    public init(_ name: String = "gateway", apiName: String, description: String? = nil, corsOrigins: [String] = [], routes: [Route],
                provider: ProviderRef? = nil, tags: [String: Expr<String>] = [:], file: String = #filePath, line: Int = #line) {
        if Set(routes.map(\.routeKey)).count != routes.count {
            Stack.error("HTTPGateway \(name): two routes have the same key", file: file, line: line)
        }
        @discardableResult func place<R: Resource>(_ resource: R) -> R {
            if let provider { resource.using(provider) }
            return resource
        }
        (api, stage, self.routes) = Stack.component(name) {
            let api = place(AWS.HTTPAPI("api", apiName: Expr(apiName), description: description.map { Expr($0) },
                                        corsAllowOrigins: corsOrigins.map { Expr($0) }, tags: tags, file: file, line: line))
            let stage = place(AWS.APIStage("default", api: api, tags: tags, file: file, line: line))
            var made: [String: AWS.APIRoute] = [:]
            for route in routes where made[route.routeKey] == nil {
                let integration: AWS.APIIntegration
                switch route.target {
                case .url(let url):
                    integration = place(AWS.APIIntegration(keyed("integration", route.routeKey), api: api, url: url, file: file, line: line))
                case .function(let function):
                    integration = place(AWS.APIIntegration(keyed("integration", route.routeKey), api: api, lambda: function, file: file, line: line))
                    // One permission per route: its statement id is the route key spelled with '-'.
                    let statement = String(route.routeKey.map { $0.isLetter || $0.isNumber ? $0 : "-" })
                    place(AWS.LambdaPermission(keyed("invoke", route.routeKey), function: function, statementId: Expr("\(apiName)-\(statement)"),
                                               api: api, file: file, line: line))
                }
                made[route.routeKey] = place(AWS.APIRoute(keyed("route", route.routeKey), api: api, routeKey: Expr(route.routeKey),
                                                          integration: integration, file: file, line: line))
            }
            return (api, stage, made)
        }
    }
}
