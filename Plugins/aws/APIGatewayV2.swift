import Foundation
import StrataAWSKit
import StrataModel
import StrataPluginKit

/// What the API Gateway v2 types share: REST-JSON calls under `/v2/`, tags (a map, through
/// `/v2/tags/{arn}`), `api/child` ids.
enum APIGatewayV2 {
    static func call(_ method: String, _ path: [String], query: [HTTPRequest.QueryItem] = [], body: [String: Value]? = nil,
                     operation: String, _ context: ResourceContext) async throws -> [String: Value] {
        try await context.client.restJSON(service: .apiGatewayV2, method: method, path: ["v2"] + path, query: query, body: body, operation: operation).body
    }

    /// GET; nil when API Gateway says it is not there.
    static func get(_ path: [String], operation: String, _ context: ResourceContext) async throws -> [String: Value]? {
        do {
            return try await call("GET", path, operation: operation, context)
        } catch let error as AWSError where error.kind == .notFound {
            return nil
        }
    }

    /// Every item of a paged listing (`items`, `nextToken`).
    static func list(_ path: [String], operation: String, _ context: ResourceContext) async throws -> [[String: Value]] {
        try await context.client.restJSONPages(service: .apiGatewayV2, path: ["v2"] + path, listKey: "items", operation: operation).compactMap(\.mapValue)
    }

    /// DELETE; gone already is success.
    static func delete(_ path: [String], operation: String, _ context: ResourceContext) async throws {
        do {
            _ = try await call("DELETE", path, operation: operation, context)
        } catch let error as AWSError where error.kind == .notFound {
            return
        }
    }

    static func apiArn(_ apiId: String, _ context: ResourceContext) -> String {
        "arn:\(context.partition):apigateway:\(context.region)::/apis/\(apiId)"
    }

    static func updateTags(_ arn: String, old: [String: String], new: [String: String], _ context: ResourceContext) async throws {
        let old = StrataTags.userTags(old), new = StrataTags.userTags(new)
        let removed = old.keys.filter { new[$0] == nil }.sorted()
        if !removed.isEmpty {
            _ = try await call("DELETE", ["tags", arn], query: removed.map { .init("tagKeys", $0) }, operation: "UntagResource", context)
        }
        let changed = new.filter { old[$0.key] != $0.value }
        if !changed.isEmpty {
            _ = try await call("POST", ["tags", arn], body: ["tags": StrataTags.value(changed)], operation: "TagResource", context)
        }
    }

    static func tags(_ object: [String: Value]) -> [String: String] {
        (object["tags"]?.mapValue ?? [:]).compactMapValues(\.stringValue)
    }

    /// `api/child` → the two parts.
    static func split(_ id: String, _ what: String) throws -> (api: String, child: String) {
        guard let slash = id.firstIndex(of: "/") else { throw PluginError(.invalid, "an API Gateway \(what) id is apiId/\(what), not '\(id)'") }
        return (String(id[..<slash]), String(id[id.index(after: slash)...]))
    }

    /// The account id, for execution ARNs (STS GetCallerIdentity).
    static func account(_ context: ResourceContext) async throws -> String {
        let answer = try await context.client.query(service: .sts, action: "GetCallerIdentity")
        return answer.string("GetCallerIdentityResult", "Account") ?? ""
    }

    /// The stack's value when it is the same as AWS's; else AWS's (absent when AWS has none
    /// and the stack set none).
    static func output(_ outputs: inout [String: Value], _ attribute: String, _ value: Value?, recorded: Inputs?, empty: Value? = nil) {
        let value = value == .null ? nil : value
        if let value, value != empty { outputs[attribute] = value } else if recorded?[attribute] != nil { outputs[attribute] = value ?? empty ?? .null }
    }
}

/// `aws_apigatewayv2_api`: an HTTP (or WebSocket) API. CreateApi / GetApi / UpdateApi (name,
/// description, CORS origins), TagResource, UntagResource / DeleteApi. Its id is the API id.
struct APIGatewayV2APIResource: AWSResource {
    let type = "aws_apigatewayv2_api"

    var schema: ResourceSchema {
        ResourceSchema(
            description: "An API Gateway v2 API (HTTP APIs in front of Lambda functions or load balancers).",
            attributes: [
                "name": .init(.string, .required, description: "Changes in place."),
                "protocolType": .init(.string, .required, forcesReplacement: true, description: "HTTP | WEBSOCKET."),
                "description": .init(.string, .optional),
                "corsAllowOrigins": .init(.list, .optional, description: "CORS allowed origins (HTTP APIs); changes in place."),
                "tags": CommonAttributes.tags,
                "id": .init(.string, .computed, description: "The API id."),
                "arn": CommonAttributes.arn,
                "apiEndpoint": .init(.string, .computed),
                "executionArn": .init(.string, .computed, description: "arn:aws:execute-api:REGION:ACCOUNT:API, for Lambda permissions' sourceArn."),
            ],
            typicalCreateSeconds: 1)
    }

    func check(_ inputs: Inputs) -> [CheckProblem] {
        var problems: [CheckProblem] = []
        if let proto = inputs.string("protocolType"), let bad = DataChecks.enumProblem(proto, allowed: ["HTTP", "WEBSOCKET"], attribute: "protocolType") { problems.append(bad) }
        if let name = inputs.string("name"), name.isEmpty || name.count > 128 {
            problems.append(CheckProblem(attribute: "name", message: "name must be 1 to 128 characters"))
        }
        if inputs.string("protocolType") == "WEBSOCKET", inputs["corsAllowOrigins"] != nil {
            problems.append(CheckProblem(attribute: "corsAllowOrigins", message: "CORS applies to HTTP APIs only"))
        }
        return problems
    }

    func body(_ inputs: Inputs) -> [String: Value] {
        var body: [String: Value] = ["name": .string(inputs.string("name") ?? ""), "description": .string(inputs.string("description") ?? "")]
        if let origins = inputs.strings("corsAllowOrigins") { body["corsConfiguration"] = .map(["allowOrigins": .list(origins.map(Value.string))]) }
        return body
    }

    func create(_ inputs: Inputs, token: String, tags: [String: String], in context: ResourceContext) async throws -> String {
        var body = body(inputs)
        body["protocolType"] = .string(try inputs.require("protocolType", for: type))
        body["tags"] = StrataTags.value(tags)
        context.progress.report("creating API \(inputs.string("name") ?? "")")
        let answer = try await APIGatewayV2.call("POST", ["apis"], body: body, operation: "CreateApi", context)
        guard let id = answer["apiId"]?.stringValue else { throw PluginError(.fatal, "CreateApi answered without an apiId") }
        return id
    }

    func read(id: String, recorded: Inputs?, in context: ResourceContext) async throws -> [String: Value]? {
        guard let api = try await APIGatewayV2.get(["apis", id], operation: "GetApi", context) else { return nil }
        var outputs: [String: Value] = [
            "id": .string(id), "name": api["name"] ?? .null, "protocolType": api["protocolType"] ?? .null,
            "arn": .string(APIGatewayV2.apiArn(id, context)), "apiEndpoint": api["apiEndpoint"] ?? .null,
            "executionArn": .string("arn:\(context.partition):execute-api:\(context.region):\(try await APIGatewayV2.account(context)):\(id)"),
        ]
        APIGatewayV2.output(&outputs, "description", api["description"], recorded: recorded, empty: .string(""))
        let origins = api["corsConfiguration"]?.mapValue?["allowOrigins"]?.listValue?.compactMap(\.stringValue)
        if let origins, !origins.isEmpty || recorded?["corsAllowOrigins"] != nil {
            outputs["corsAllowOrigins"] = OrderedList.value(origins, recorded: recorded?.strings("corsAllowOrigins"))
        }
        StrataTags.output(StrataTags.userTags(APIGatewayV2.tags(api)), recorded: recorded, into: &outputs)
        return outputs
    }

    func update(id: String, prior: Inputs, inputs: Inputs, in context: ResourceContext) async throws {
        guard let api = try await APIGatewayV2.get(["apis", id], operation: "GetApi", context) else {
            throw PluginError(.notFound, "API \(id) does not exist", providerCode: "NotFoundException")
        }
        let current = try await read(id: id, recorded: prior, in: context).map(Inputs.init) ?? prior
        if body(inputs) != body(current) {
            context.progress.report("updating API \(id)")
            _ = try await APIGatewayV2.call("PATCH", ["apis", id], body: body(inputs), operation: "UpdateApi", context)
        }
        try await APIGatewayV2.updateTags(APIGatewayV2.apiArn(id, context), old: APIGatewayV2.tags(api), new: inputs.tags, context)
    }

    func delete(id: String, in context: ResourceContext) async throws {
        context.progress.report("deleting API \(id)")
        try await APIGatewayV2.delete(["apis", id], operation: "DeleteApi", context)
    }

    func find(token: String, inputs: Inputs, in context: ResourceContext) async throws -> String? {
        try await APIGatewayV2.list(["apis"], operation: "GetApis", context)
            .first { APIGatewayV2.tags($0)[StrataTags.token] == token }?["apiId"]?.stringValue
    }

    func discover(tags: [String: String], in context: ResourceContext) async throws -> [DiscoveredResource] {
        let candidates = try await APIGatewayV2.list(["apis"], operation: "GetApis", context).compactMap { api -> (id: String, tags: [String: String])? in
            guard let id = api["apiId"]?.stringValue, Discovery.matches(APIGatewayV2.tags(api), tags) else { return nil }
            return (id, APIGatewayV2.tags(api))
        }
        return try await Discovery.read(self, candidates, in: context)
    }
}

/// `aws_apigatewayv2_stage`: CreateStage / GetStage / UpdateStage (description, auto deploy,
/// stage variables), TagResource, UntagResource / DeleteStage. Its id is `apiId/stageName`.
struct APIGatewayV2StageResource: AWSResource {
    let type = "aws_apigatewayv2_stage"

    var schema: ResourceSchema {
        ResourceSchema(
            description: "A stage of an API ($default serves at the API's root).",
            attributes: [
                "apiId": .init(.string, .required, forcesReplacement: true),
                "name": .init(.string, .required, forcesReplacement: true),
                "autoDeploy": .init(.bool, .optionalComputed, description: "Deploy every change of the API (default false); changes in place."),
                "description": .init(.string, .optional),
                "stageVariables": .init(.map, .optional),
                "tags": CommonAttributes.tags,
                "id": .init(.string, .computed, description: "apiId/stageName."),
                "arn": CommonAttributes.arn,
                "invokeUrl": .init(.string, .computed),
            ],
            typicalCreateSeconds: 1)
    }

    func check(_ inputs: Inputs) -> [CheckProblem] {
        guard let name = inputs.string("name") else { return [] }
        let allowed = CharacterSet(charactersIn: "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_")
        if name != "$default", name.isEmpty || name.count > 128 || !name.unicodeScalars.allSatisfy({ allowed.contains($0) }) {
            return [CheckProblem(attribute: "name", message: "stage name '\(name)' must be $default or 1 to 128 letters, digits, hyphens or underscores")]
        }
        return []
    }

    func body(_ inputs: Inputs) -> [String: Value] {
        [
            "autoDeploy": .bool(inputs.bool("autoDeploy") ?? false), "description": .string(inputs.string("description") ?? ""),
            "stageVariables": .map(inputs["stageVariables"]?.revealed.mapValue ?? [:]),
        ]
    }

    func create(_ inputs: Inputs, token: String, tags: [String: String], in context: ResourceContext) async throws -> String {
        let api = try inputs.require("apiId", for: type), name = try inputs.require("name", for: type)
        var body = body(inputs)
        body["stageName"] = .string(name)
        body["tags"] = StrataTags.value(tags)
        context.progress.report("creating stage \(name) of API \(api)")
        do {
            _ = try await APIGatewayV2.call("POST", ["apis", api, "stages"], body: body, operation: "CreateStage", context)
        } catch let error as AWSError where error.kind == .conflict {
            throw PluginError(.conflict, "API \(api) already has a stage \(name); choose another name, or adopt it with import", providerCode: error.code)
        }
        return "\(api)/\(name)"
    }

    func read(id: String, recorded: Inputs?, in context: ResourceContext) async throws -> [String: Value]? {
        let (api, name) = try APIGatewayV2.split(id, "stage")
        guard let stage = try await APIGatewayV2.get(["apis", api, "stages", name], operation: "GetStage", context) else { return nil }
        let endpoint = try await APIGatewayV2.get(["apis", api], operation: "GetApi", context)?["apiEndpoint"]?.stringValue ?? ""
        var outputs: [String: Value] = [
            "id": .string(id), "apiId": .string(api), "name": stage["stageName"] ?? .string(name),
            "arn": .string(APIGatewayV2.apiArn(api, context) + "/stages/\(name)"),
            "invokeUrl": .string(name == "$default" ? endpoint : "\(endpoint)/\(name)"),
            "autoDeploy": .bool(stage["autoDeploy"]?.boolValue ?? false),
        ]
        APIGatewayV2.output(&outputs, "description", stage["description"], recorded: recorded, empty: .string(""))
        APIGatewayV2.output(&outputs, "stageVariables", stage["stageVariables"], recorded: recorded, empty: .map([:]))
        StrataTags.output(StrataTags.userTags(APIGatewayV2.tags(stage)), recorded: recorded, into: &outputs)
        return outputs
    }

    func update(id: String, prior: Inputs, inputs: Inputs, in context: ResourceContext) async throws {
        let (api, name) = try APIGatewayV2.split(id, "stage")
        guard let stage = try await APIGatewayV2.get(["apis", api, "stages", name], operation: "GetStage", context) else {
            throw PluginError(.notFound, "stage \(id) does not exist", providerCode: "NotFoundException")
        }
        let current = try await read(id: id, recorded: prior, in: context).map(Inputs.init) ?? prior
        if body(inputs) != body(current) {
            context.progress.report("updating stage \(id)")
            _ = try await APIGatewayV2.call("PATCH", ["apis", api, "stages", name], body: body(inputs), operation: "UpdateStage", context)
        }
        try await APIGatewayV2.updateTags(APIGatewayV2.apiArn(api, context) + "/stages/\(name)", old: APIGatewayV2.tags(stage), new: inputs.tags, context)
    }

    func delete(id: String, in context: ResourceContext) async throws {
        let (api, name) = try APIGatewayV2.split(id, "stage")
        try await APIGatewayV2.delete(["apis", api, "stages", name], operation: "DeleteStage", context)
    }

    func find(token: String, inputs: Inputs, in context: ResourceContext) async throws -> String? {
        guard let api = inputs.string("apiId"), let name = inputs.string("name"),
            let stage = try await APIGatewayV2.get(["apis", api, "stages", name], operation: "GetStage", context)
        else { return nil }
        return APIGatewayV2.tags(stage)[StrataTags.token] == token ? "\(api)/\(name)" : nil
    }

    /// GetApis, then GetStages of each.
    func discover(tags: [String: String], in context: ResourceContext) async throws -> [DiscoveredResource] {
        var candidates: [(id: String, tags: [String: String])] = []
        for api in try await APIGatewayV2.list(["apis"], operation: "GetApis", context) {
            guard let apiId = api["apiId"]?.stringValue else { continue }
            for stage in try await APIGatewayV2.list(["apis", apiId, "stages"], operation: "GetStages", context) {
                guard let name = stage["stageName"]?.stringValue, Discovery.matches(APIGatewayV2.tags(stage), tags) else { continue }
                candidates.append(("\(apiId)/\(name)", APIGatewayV2.tags(stage)))
            }
        }
        return try await Discovery.read(self, candidates, in: context)
    }
}

/// `aws_apigatewayv2_integration`: where a route sends requests — a Lambda function
/// (AWS_PROXY, the function's ARN) or an HTTP URL such as a load balancer's (HTTP_PROXY).
/// CreateIntegration / GetIntegration / UpdateIntegration / DeleteIntegration. Its id is
/// `apiId/integrationId`. Integrations cannot be tagged: one is found by its API, type and
/// URI, and `discover` finds none.
struct APIGatewayV2IntegrationResource: AWSResource {
    let type = "aws_apigatewayv2_integration"

    var schema: ResourceSchema {
        ResourceSchema(
            description: "An integration of an API with a Lambda function or an HTTP endpoint.",
            attributes: [
                "apiId": .init(.string, .required, forcesReplacement: true),
                "integrationType": .init(.string, .required, forcesReplacement: true, description: "AWS_PROXY (Lambda) | HTTP_PROXY."),
                "integrationUri": .init(.string, .required, description: "A Lambda function ARN or an http(s) URL; changes in place."),
                "integrationMethod": .init(.string, .optionalComputed, description: "HTTP_PROXY: the method (ANY, GET, …); AWS_PROXY: POST."),
                "payloadFormatVersion": .init(.string, .optionalComputed, description: "1.0 | 2.0 (Lambda default 2.0 here, HTTP 1.0)."),
                "timeoutInMillis": .init(.number, .optionalComputed, description: "50 to 30000."),
                "description": .init(.string, .optional),
                "id": .init(.string, .computed, description: "apiId/integrationId."),
                "integrationId": .init(.string, .computed),
            ],
            typicalCreateSeconds: 1)
    }

    func check(_ inputs: Inputs) -> [CheckProblem] {
        var problems: [CheckProblem] = []
        if let kind = inputs.string("integrationType"), let bad = DataChecks.enumProblem(kind, allowed: ["AWS_PROXY", "HTTP_PROXY"], attribute: "integrationType") { problems.append(bad) }
        if let uri = inputs.string("integrationUri") {
            if inputs.string("integrationType") == "HTTP_PROXY", !(uri.hasPrefix("http://") || uri.hasPrefix("https://") || uri.hasPrefix("arn:")) {
                problems.append(CheckProblem(attribute: "integrationUri", message: "an HTTP_PROXY integration's URI is an http(s) URL or a listener ARN (not '\(uri)')"))
            }
            if inputs.string("integrationType") == "AWS_PROXY", !uri.hasPrefix("arn:") {
                problems.append(CheckProblem(attribute: "integrationUri", message: "an AWS_PROXY integration's URI is a Lambda function ARN (not '\(uri)')"))
            }
        }
        if let version = inputs.string("payloadFormatVersion"), let bad = DataChecks.enumProblem(version, allowed: ["1.0", "2.0"], attribute: "payloadFormatVersion") { problems.append(bad) }
        if let bad = DataChecks.intProblem(inputs["timeoutInMillis"], 50...30000, attribute: "timeoutInMillis") { problems.append(bad) }
        return problems
    }

    func body(_ inputs: Inputs) -> [String: Value] {
        let lambda = inputs.string("integrationType") == "AWS_PROXY"
        var body: [String: Value] = [
            "integrationUri": .string(inputs.string("integrationUri") ?? ""),
            "integrationMethod": .string(inputs.string("integrationMethod") ?? (lambda ? "POST" : "ANY")),
            "payloadFormatVersion": .string(inputs.string("payloadFormatVersion") ?? (lambda ? "2.0" : "1.0")),
            "description": .string(inputs.string("description") ?? ""),
        ]
        if let timeout = inputs.int("timeoutInMillis") { body["timeoutInMillis"] = .number(Double(timeout)) }
        return body
    }

    func create(_ inputs: Inputs, token: String, tags: [String: String], in context: ResourceContext) async throws -> String {
        let api = try inputs.require("apiId", for: type)
        var body = body(inputs)
        body["integrationType"] = .string(try inputs.require("integrationType", for: type))
        context.progress.report("creating an integration of API \(api) with \(inputs.string("integrationUri") ?? "")")
        let answer = try await APIGatewayV2.call("POST", ["apis", api, "integrations"], body: body, operation: "CreateIntegration", context)
        guard let id = answer["integrationId"]?.stringValue else { throw PluginError(.fatal, "CreateIntegration answered without an integrationId") }
        return "\(api)/\(id)"
    }

    func read(id: String, recorded: Inputs?, in context: ResourceContext) async throws -> [String: Value]? {
        let (api, integrationId) = try APIGatewayV2.split(id, "integration")
        guard let integration = try await APIGatewayV2.get(["apis", api, "integrations", integrationId], operation: "GetIntegration", context) else { return nil }
        var outputs: [String: Value] = [
            "id": .string(id), "apiId": .string(api), "integrationId": .string(integrationId),
            "integrationType": integration["integrationType"] ?? .null, "integrationUri": integration["integrationUri"] ?? .null,
            "integrationMethod": integration["integrationMethod"] ?? .null, "payloadFormatVersion": integration["payloadFormatVersion"] ?? .null,
        ]
        if let timeout = integration["timeoutInMillis"], timeout != .null { outputs["timeoutInMillis"] = timeout }
        APIGatewayV2.output(&outputs, "description", integration["description"], recorded: recorded, empty: .string(""))
        return outputs
    }

    func update(id: String, prior: Inputs, inputs: Inputs, in context: ResourceContext) async throws {
        let (api, integrationId) = try APIGatewayV2.split(id, "integration")
        context.progress.report("updating integration \(id)")
        _ = try await APIGatewayV2.call("PATCH", ["apis", api, "integrations", integrationId], body: body(inputs), operation: "UpdateIntegration", context)
    }

    func delete(id: String, in context: ResourceContext) async throws {
        let (api, integrationId) = try APIGatewayV2.split(id, "integration")
        try await APIGatewayV2.delete(["apis", api, "integrations", integrationId], operation: "DeleteIntegration", context)
    }

    func find(token: String, inputs: Inputs, in context: ResourceContext) async throws -> String? {
        guard let api = inputs.string("apiId"), let uri = inputs.string("integrationUri") else { return nil }
        let integrations: [[String: Value]]
        do { integrations = try await APIGatewayV2.list(["apis", api, "integrations"], operation: "GetIntegrations", context) } catch let error as AWSError where error.kind == .notFound { return nil }
        return integrations.first { $0["integrationUri"]?.stringValue == uri && $0["integrationType"]?.stringValue == inputs.string("integrationType") }?["integrationId"]?
            .stringValue.map { "\(api)/\($0)" }
    }

    func discover(tags: [String: String], in context: ResourceContext) async throws -> [DiscoveredResource] { [] }
}

/// `aws_apigatewayv2_route`: a route key (`GET /items`, `$default`) sent to an integration.
/// CreateRoute / GetRoute / UpdateRoute / DeleteRoute. Its id is `apiId/routeId`. With
/// `authorizationType: JWT`, `authorizer` (an authorizer's id, apiId/authorizerId) checks
/// the caller's token. Routes cannot be tagged: one is found by its API and route key, and
/// `discover` finds none.
struct APIGatewayV2RouteResource: AWSResource {
    let type = "aws_apigatewayv2_route"
    static let authorizations = ["NONE", "AWS_IAM", "CUSTOM", "JWT"]

    var schema: ResourceSchema {
        ResourceSchema(
            description: "A route of an API.",
            attributes: [
                "apiId": .init(.string, .required, forcesReplacement: true),
                "routeKey": .init(.string, .required, description: "METHOD /path or $default; changes in place."),
                "target": .init(.string, .optionalComputed, description: "integrations/INTEGRATION_ID; changes in place. Or set `integration`."),
                "integration": .init(.string, .optionalComputed, description: "The integration's id (apiId/integrationId), which stays known while the integration changes; sets target."),
                "authorizationType": .init(.string, .optionalComputed, description: Self.authorizations.joined(separator: " | ") + " (default NONE)."),
                "authorizer": .init(.string, .optional, description: "The authorizer's id (apiId/authorizerId), with authorizationType JWT or CUSTOM; changes in place."),
                "authorizerId": .init(.string, .computed),
                "id": .init(.string, .computed, description: "apiId/routeId."),
                "routeId": .init(.string, .computed),
            ],
            typicalCreateSeconds: 1)
    }

    func check(_ inputs: Inputs) -> [CheckProblem] {
        var problems: [CheckProblem] = []
        if let key = inputs.string("routeKey"), key != "$default" {
            let parts = key.split(separator: " ", omittingEmptySubsequences: false)
            let methods = ["ANY", "GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"]
            if parts.count != 2 || !methods.contains(String(parts[0])) || !parts[1].hasPrefix("/") {
                problems.append(CheckProblem(attribute: "routeKey", message: "routeKey must be $default or 'METHOD /path' (METHOD one of \(methods.joined(separator: ", "))), not '\(key)'"))
            }
        }
        if let target = inputs.string("target"), !target.hasPrefix("integrations/") {
            problems.append(CheckProblem(attribute: "target", message: "target must be integrations/INTEGRATION_ID (not '\(target)')"))
        }
        if let integration = inputs.string("integration"), integration.split(separator: "/").count != 2 {
            problems.append(CheckProblem(attribute: "integration", message: "integration must be an integration's id, apiId/integrationId (not '\(integration)')"))
        }
        if inputs["target"] != nil, inputs["integration"] != nil {
            problems.append(CheckProblem(attribute: "integration", message: "set target or integration, not both"))
        }
        if let auth = inputs.string("authorizationType"), let bad = DataChecks.enumProblem(auth, allowed: Self.authorizations, attribute: "authorizationType") { problems.append(bad) }
        if let authorizer = inputs.string("authorizer"), authorizer.split(separator: "/").count != 2 {
            problems.append(CheckProblem(attribute: "authorizer", message: "authorizer must be an authorizer's id, apiId/authorizerId (not '\(authorizer)')"))
        }
        if inputs.isKnown("authorizer"), inputs.isKnown("authorizationType") {
            let auth = inputs.string("authorizationType") ?? "NONE"
            if ["JWT", "CUSTOM"].contains(auth), inputs["authorizer"] == nil {
                problems.append(CheckProblem(attribute: "authorizer", message: "authorizationType \(auth) needs an authorizer"))
            }
            if !["JWT", "CUSTOM"].contains(auth), inputs["authorizer"] != nil {
                problems.append(CheckProblem(attribute: "authorizationType", message: "a route with an authorizer needs authorizationType JWT or CUSTOM (not \(auth))"))
            }
        }
        return problems
    }

    func body(_ inputs: Inputs) -> [String: Value] {
        var body: [String: Value] = ["routeKey": .string(inputs.string("routeKey") ?? ""), "authorizationType": .string(inputs.string("authorizationType") ?? "NONE")]
        if let target = inputs.string("target") {
            body["target"] = .string(target)
        } else if let integration = inputs.string("integration"), let id = integration.split(separator: "/").last {
            body["target"] = .string("integrations/\(id)")
        }
        if let authorizer = inputs.string("authorizer"), let id = authorizer.split(separator: "/").last { body["authorizerId"] = .string(String(id)) }
        return body
    }

    func create(_ inputs: Inputs, token: String, tags: [String: String], in context: ResourceContext) async throws -> String {
        let api = try inputs.require("apiId", for: type)
        context.progress.report("creating route \(inputs.string("routeKey") ?? "") of API \(api)")
        do {
            let answer = try await APIGatewayV2.call("POST", ["apis", api, "routes"], body: body(inputs), operation: "CreateRoute", context)
            guard let id = answer["routeId"]?.stringValue else { throw PluginError(.fatal, "CreateRoute answered without a routeId") }
            return "\(api)/\(id)"
        } catch let error as AWSError where error.kind == .conflict {
            throw PluginError(.conflict, "API \(api) already has the route \(inputs.string("routeKey") ?? ""); adopt it with import", providerCode: error.code)
        }
    }

    func read(id: String, recorded: Inputs?, in context: ResourceContext) async throws -> [String: Value]? {
        let (api, routeId) = try APIGatewayV2.split(id, "route")
        guard let route = try await APIGatewayV2.get(["apis", api, "routes", routeId], operation: "GetRoute", context) else { return nil }
        var outputs: [String: Value] = [
            "id": .string(id), "apiId": .string(api), "routeId": .string(routeId), "routeKey": route["routeKey"] ?? .null,
            "authorizationType": .string(route["authorizationType"]?.stringValue ?? "NONE"),
        ]
        if let target = route["target"]?.stringValue, target.hasPrefix("integrations/") {
            outputs["target"] = .string(target)
            outputs["integration"] = .string("\(api)/\(target.dropFirst("integrations/".count))")
        }
        if let authorizer = route["authorizerId"]?.stringValue, !authorizer.isEmpty {
            outputs["authorizerId"] = .string(authorizer)
            outputs["authorizer"] = .string("\(api)/\(authorizer)")
        }
        return outputs
    }

    func update(id: String, prior: Inputs, inputs: Inputs, in context: ResourceContext) async throws {
        let (api, routeId) = try APIGatewayV2.split(id, "route")
        context.progress.report("updating route \(id)")
        var body = body(inputs)
        // As Terraform: an authorizer taken away is sent as an empty id.
        if body["authorizerId"] == nil, prior["authorizer"] != nil { body["authorizerId"] = "" }
        _ = try await APIGatewayV2.call("PATCH", ["apis", api, "routes", routeId], body: body, operation: "UpdateRoute", context)
    }

    func delete(id: String, in context: ResourceContext) async throws {
        let (api, routeId) = try APIGatewayV2.split(id, "route")
        try await APIGatewayV2.delete(["apis", api, "routes", routeId], operation: "DeleteRoute", context)
    }

    func find(token: String, inputs: Inputs, in context: ResourceContext) async throws -> String? {
        guard let api = inputs.string("apiId"), let key = inputs.string("routeKey") else { return nil }
        let routes: [[String: Value]]
        do { routes = try await APIGatewayV2.list(["apis", api, "routes"], operation: "GetRoutes", context) } catch let error as AWSError where error.kind == .notFound { return nil }
        return routes.first { $0["routeKey"]?.stringValue == key }?["routeId"]?.stringValue.map { "\(api)/\($0)" }
    }

    func discover(tags: [String: String], in context: ResourceContext) async throws -> [DiscoveredResource] { [] }
}

/// `aws_apigatewayv2_domain_name`: a custom domain with a regional ACM certificate.
/// CreateDomainName / GetDomainName / UpdateDomainName (the certificate), TagResource,
/// UntagResource / DeleteDomainName. Its id is the domain name. Point a DNS alias at
/// `targetDomainName` / `hostedZoneId`, and map it to a stage with an API mapping.
struct APIGatewayV2DomainNameResource: AWSResource {
    let type = "aws_apigatewayv2_domain_name"

    var schema: ResourceSchema {
        ResourceSchema(
            description: "A custom domain name for HTTP APIs.",
            attributes: [
                "domainName": .init(.string, .required, forcesReplacement: true),
                "certificateArn": .init(.string, .required, description: "A regional ACM certificate; changes in place."),
                "securityPolicy": .init(.string, .optionalComputed, description: "TLS_1_2 (default)."),
                "tags": CommonAttributes.tags,
                "id": .init(.string, .computed, description: "The domain name."),
                "arn": CommonAttributes.arn,
                "targetDomainName": .init(.string, .computed, description: "Where the DNS alias points."),
                "hostedZoneId": .init(.string, .computed),
            ],
            typicalCreateSeconds: 2)
    }

    func check(_ inputs: Inputs) -> [CheckProblem] {
        var problems: [CheckProblem] = []
        if let domain = inputs.string("domainName"), !domain.contains(".") || domain.contains(" ") || domain.count > 253 {
            problems.append(CheckProblem(attribute: "domainName", message: "'\(domain)' is not a domain name"))
        }
        if let arn = inputs.string("certificateArn"), !arn.hasPrefix("arn:") || !arn.contains(":acm:") {
            problems.append(CheckProblem(attribute: "certificateArn", message: "certificateArn must be an ACM certificate ARN (not '\(arn)')"))
        }
        return problems
    }

    func configurations(_ inputs: Inputs) -> Value {
        .list([.map([
            "certificateArn": .string(inputs.string("certificateArn") ?? ""), "endpointType": "REGIONAL",
            "securityPolicy": .string(inputs.string("securityPolicy") ?? "TLS_1_2"),
        ])])
    }

    func create(_ inputs: Inputs, token: String, tags: [String: String], in context: ResourceContext) async throws -> String {
        let domain = try inputs.require("domainName", for: type)
        context.progress.report("creating custom domain \(domain)")
        do {
            _ = try await APIGatewayV2.call("POST", ["domainnames"], body: [
                "domainName": .string(domain), "domainNameConfigurations": configurations(inputs), "tags": StrataTags.value(tags),
            ], operation: "CreateDomainName", context)
        } catch let error as AWSError where error.kind == .conflict {
            throw PluginError(.conflict, "the custom domain \(domain) already exists; adopt it with import", providerCode: error.code)
        }
        return domain
    }

    func arn(_ domain: String, _ context: ResourceContext) -> String {
        "arn:\(context.partition):apigateway:\(context.region)::/domainnames/\(domain)"
    }

    func read(id: String, recorded: Inputs?, in context: ResourceContext) async throws -> [String: Value]? {
        guard let domain = try await APIGatewayV2.get(["domainnames", id], operation: "GetDomainName", context) else { return nil }
        let configuration = domain["domainNameConfigurations"]?.listValue?.first?.mapValue ?? [:]
        var outputs: [String: Value] = [
            "id": .string(id), "domainName": .string(id), "arn": .string(arn(id, context)),
            "certificateArn": configuration["certificateArn"] ?? .null,
            "securityPolicy": configuration["securityPolicy"] ?? .string("TLS_1_2"),
            "targetDomainName": configuration["apiGatewayDomainName"] ?? .null,
            "hostedZoneId": configuration["hostedZoneId"] ?? .null,
        ]
        StrataTags.output(StrataTags.userTags(APIGatewayV2.tags(domain)), recorded: recorded, into: &outputs)
        return outputs
    }

    func update(id: String, prior: Inputs, inputs: Inputs, in context: ResourceContext) async throws {
        guard let current = try await read(id: id, recorded: prior, in: context).map(Inputs.init) else {
            throw PluginError(.notFound, "custom domain \(id) does not exist", providerCode: "NotFoundException")
        }
        if configurations(inputs) != configurations(current) {
            context.progress.report("updating custom domain \(id)")
            _ = try await APIGatewayV2.call("PATCH", ["domainnames", id], body: ["domainNameConfigurations": configurations(inputs)], operation: "UpdateDomainName", context)
        }
        try await APIGatewayV2.updateTags(arn(id, context), old: current.tags, new: inputs.tags, context)
    }

    func delete(id: String, in context: ResourceContext) async throws {
        try await APIGatewayV2.delete(["domainnames", id], operation: "DeleteDomainName", context)
    }

    func find(token: String, inputs: Inputs, in context: ResourceContext) async throws -> String? {
        guard let name = inputs.string("domainName"), let domain = try await APIGatewayV2.get(["domainnames", name], operation: "GetDomainName", context) else { return nil }
        return APIGatewayV2.tags(domain)[StrataTags.token] == token ? name : nil
    }

    func discover(tags: [String: String], in context: ResourceContext) async throws -> [DiscoveredResource] {
        let candidates = try await APIGatewayV2.list(["domainnames"], operation: "GetDomainNames", context).compactMap { domain -> (id: String, tags: [String: String])? in
            guard let name = domain["domainName"]?.stringValue, Discovery.matches(APIGatewayV2.tags(domain), tags) else { return nil }
            return (name, APIGatewayV2.tags(domain))
        }
        return try await Discovery.read(self, candidates, in: context)
    }
}

/// `aws_apigatewayv2_api_mapping`: serves a stage of an API under a custom domain (and an
/// optional path). CreateApiMapping / GetApiMapping / DeleteApiMapping; every attribute
/// forces replacement. Its id is `domainName/apiMappingId`. Mappings cannot be tagged: one
/// is found by its domain, API and stage, and `discover` finds none.
struct APIGatewayV2APIMappingResource: AWSResource {
    let type = "aws_apigatewayv2_api_mapping"

    var schema: ResourceSchema {
        ResourceSchema(
            description: "A custom domain's mapping to an API stage.",
            attributes: [
                "domainName": .init(.string, .required, forcesReplacement: true),
                "apiId": .init(.string, .required, forcesReplacement: true),
                "stage": .init(.string, .required, forcesReplacement: true),
                "apiMappingKey": .init(.string, .optional, forcesReplacement: true, description: "A path under the domain (none: its root)."),
                "id": .init(.string, .computed, description: "domainName/apiMappingId."),
            ],
            typicalCreateSeconds: 1)
    }

    func check(_ inputs: Inputs) -> [CheckProblem] { [] }

    func create(_ inputs: Inputs, token: String, tags: [String: String], in context: ResourceContext) async throws -> String {
        let domain = try inputs.require("domainName", for: type)
        var body: [String: Value] = ["apiId": .string(try inputs.require("apiId", for: type)), "stage": .string(try inputs.require("stage", for: type))]
        if let key = inputs.string("apiMappingKey") { body["apiMappingKey"] = .string(key) }
        let answer = try await APIGatewayV2.call("POST", ["domainnames", domain, "apimappings"], body: body, operation: "CreateApiMapping", context)
        guard let id = answer["apiMappingId"]?.stringValue else { throw PluginError(.fatal, "CreateApiMapping answered without an apiMappingId") }
        return "\(domain)/\(id)"
    }

    func read(id: String, recorded: Inputs?, in context: ResourceContext) async throws -> [String: Value]? {
        let (domain, mappingId) = try APIGatewayV2.split(id, "mapping")
        guard let mapping = try await APIGatewayV2.get(["domainnames", domain, "apimappings", mappingId], operation: "GetApiMapping", context) else { return nil }
        var outputs: [String: Value] = [
            "id": .string(id), "domainName": .string(domain), "apiId": mapping["apiId"] ?? .null, "stage": mapping["stage"] ?? .null,
        ]
        APIGatewayV2.output(&outputs, "apiMappingKey", mapping["apiMappingKey"], recorded: recorded, empty: .string(""))
        return outputs
    }

    func update(id: String, prior: Inputs, inputs: Inputs, in context: ResourceContext) async throws {
        throw PluginError(.invalid, "an API mapping does not change in place; every attribute forces replacement")
    }

    func delete(id: String, in context: ResourceContext) async throws {
        let (domain, mappingId) = try APIGatewayV2.split(id, "mapping")
        try await APIGatewayV2.delete(["domainnames", domain, "apimappings", mappingId], operation: "DeleteApiMapping", context)
    }

    func find(token: String, inputs: Inputs, in context: ResourceContext) async throws -> String? {
        guard let domain = inputs.string("domainName"), let api = inputs.string("apiId"), let stage = inputs.string("stage") else { return nil }
        let mappings: [[String: Value]]
        do { mappings = try await APIGatewayV2.list(["domainnames", domain, "apimappings"], operation: "GetApiMappings", context) } catch let error as AWSError where error.kind == .notFound { return nil }
        return mappings.first { $0["apiId"]?.stringValue == api && $0["stage"]?.stringValue == stage && ($0["apiMappingKey"]?.stringValue ?? "") == (inputs.string("apiMappingKey") ?? "") }?["apiMappingId"]?
            .stringValue.map { "\(domain)/\($0)" }
    }

    func discover(tags: [String: String], in context: ResourceContext) async throws -> [DiscoveredResource] { [] }
}
