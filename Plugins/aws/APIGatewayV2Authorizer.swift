import Foundation
import StrataAWSKit
import StrataModel
import StrataPluginKit

/// `aws_apigatewayv2_authorizer`: a JWT authorizer of an HTTP API — tokens signed by an
/// issuer (a Cognito user pool: `https://cognito-idp.REGION.amazonaws.com/POOL`) for one of
/// the audiences (the pool's app client ids). CreateAuthorizer / GetAuthorizer /
/// UpdateAuthorizer (name, issuer, audience, identity sources) / DeleteAuthorizer. Its id is
/// `apiId/authorizerId`; a route names it with `authorizer` and `authorizationType: JWT`.
/// Authorizers cannot be tagged: one is found by its API and name (GetAuthorizers; where the
/// endpoint answers that with a 500 InternalError, as moto_server does, nothing is found),
/// and `discover` finds none.
struct APIGatewayV2AuthorizerResource: AWSResource {
    let type = "aws_apigatewayv2_authorizer"
    static let defaultIdentitySources = ["$request.header.Authorization"]

    var schema: ResourceSchema {
        ResourceSchema(
            description: "A JWT authorizer of an HTTP API (for example a Cognito user pool in front of its routes).",
            attributes: [
                "apiId": .init(.string, .required, forcesReplacement: true),
                "authorizerType": .init(.string, .optionalComputed, forcesReplacement: true, description: "JWT (the default and the only kind here)."),
                "name": .init(.string, .required, description: "Changes in place."),
                "issuer": .init(.string, .required, description: "The tokens' issuer, an https URL (Cognito: https://cognito-idp.REGION.amazonaws.com/POOL); changes in place."),
                "audience": .init(.list, .required, description: "Accepted audiences (Cognito: app client ids); changes in place."),
                "identitySources": .init(.list, .optionalComputed, description: "Where the token is (default $request.header.Authorization); changes in place."),
                "id": .init(.string, .computed, description: "apiId/authorizerId."),
                "authorizerId": .init(.string, .computed),
            ],
            typicalCreateSeconds: 1)
    }

    func check(_ inputs: Inputs) -> [CheckProblem] {
        var problems: [CheckProblem] = []
        if let kind = inputs.string("authorizerType"), let bad = DataChecks.enumProblem(kind, allowed: ["JWT"], attribute: "authorizerType") { problems.append(bad) }
        if let name = inputs.string("name"), name.isEmpty || name.count > 128 {
            problems.append(CheckProblem(attribute: "name", message: "name must be 1 to 128 characters"))
        }
        if let issuer = inputs.string("issuer"), !issuer.hasPrefix("https://") || issuer.count <= "https://".count || issuer.contains(" ") {
            problems.append(CheckProblem(attribute: "issuer", message: "issuer must be an https URL such as https://cognito-idp.us-east-1.amazonaws.com/POOL_ID (not '\(issuer)')"))
        }
        if inputs.isKnown("audience"), let audience = inputs.list("audience"), audience.isEmpty {
            problems.append(CheckProblem(attribute: "audience", message: "audience needs at least one value (a Cognito app client id)"))
        }
        for source in inputs.strings("identitySources") ?? [] where !source.hasPrefix("$") {
            problems.append(CheckProblem(attribute: "identitySources", message: "an identity source is an expression such as $request.header.Authorization (not '\(source)')"))
        }
        return problems
    }

    /// What CreateAuthorizer and UpdateAuthorizer send (besides the type).
    func body(_ inputs: Inputs) -> [String: Value] {
        [
            "name": .string(inputs.string("name") ?? ""),
            "identitySource": .list((inputs.strings("identitySources") ?? Self.defaultIdentitySources).map(Value.string)),
            "jwtConfiguration": .map([
                "issuer": .string(inputs.string("issuer") ?? ""),
                "audience": .list((inputs.strings("audience") ?? []).map(Value.string)),
            ]),
        ]
    }

    func create(_ inputs: Inputs, token: String, tags: [String: String], in context: ResourceContext) async throws -> String {
        let api = try inputs.require("apiId", for: type)
        var body = body(inputs)
        body["authorizerType"] = .string(inputs.string("authorizerType") ?? "JWT")
        context.progress.report("creating authorizer \(inputs.string("name") ?? "") of API \(api)")
        let answer = try await APIGatewayV2.call("POST", ["apis", api, "authorizers"], body: body, operation: "CreateAuthorizer", context)
        guard let id = answer["authorizerId"]?.stringValue else { throw PluginError(.fatal, "CreateAuthorizer answered without an authorizerId") }
        return "\(api)/\(id)"
    }

    func read(id: String, recorded: Inputs?, in context: ResourceContext) async throws -> [String: Value]? {
        let (api, authorizerId) = try APIGatewayV2.split(id, "authorizer")
        guard let authorizer = try await APIGatewayV2.get(["apis", api, "authorizers", authorizerId], operation: "GetAuthorizer", context) else { return nil }
        let jwt = authorizer["jwtConfiguration"]?.mapValue ?? [:]
        let audience = jwt["audience"]?.listValue?.compactMap(\.stringValue) ?? []
        let sources = authorizer["identitySource"]?.listValue?.compactMap(\.stringValue) ?? []
        return [
            "id": .string(id), "apiId": .string(api), "authorizerId": .string(authorizerId),
            "authorizerType": authorizer["authorizerType"] ?? .null, "name": authorizer["name"] ?? .null,
            "issuer": jwt["issuer"] ?? .null,
            "audience": OrderedList.value(audience, recorded: recorded?.strings("audience")),
            "identitySources": OrderedList.value(sources, recorded: recorded?.strings("identitySources")),
        ]
    }

    func update(id: String, prior: Inputs, inputs: Inputs, in context: ResourceContext) async throws {
        let (api, authorizerId) = try APIGatewayV2.split(id, "authorizer")
        context.progress.report("updating authorizer \(id)")
        _ = try await APIGatewayV2.call("PATCH", ["apis", api, "authorizers", authorizerId], body: body(inputs), operation: "UpdateAuthorizer", context)
    }

    func delete(id: String, in context: ResourceContext) async throws {
        let (api, authorizerId) = try APIGatewayV2.split(id, "authorizer")
        try await APIGatewayV2.delete(["apis", api, "authorizers", authorizerId], operation: "DeleteAuthorizer", context)
    }

    func find(token: String, inputs: Inputs, in context: ResourceContext) async throws -> String? {
        guard let api = inputs.string("apiId"), let name = inputs.string("name") else { return nil }
        let authorizers: [[String: Value]]
        do {
            authorizers = try await APIGatewayV2.list(["apis", api, "authorizers"], operation: "GetAuthorizers", context)
        } catch let error as AWSError where error.kind == .notFound {
            return nil
        } catch let error as AWSError where error.status >= 500 && error.code == "InternalError" {
            // An endpoint without GetAuthorizers (moto_server answers 500, after the client's
            // retries): nothing can be found, so an earlier try of this create is not adopted.
            context.progress.report("could not list the authorizers of API \(api) (\(error.message)); not looking for an earlier one")
            return nil
        }
        return authorizers.first { $0["name"]?.stringValue == name }?["authorizerId"]?.stringValue.map { "\(api)/\($0)" }
    }

    func discover(tags: [String: String], in context: ResourceContext) async throws -> [DiscoveredResource] { [] }
}
