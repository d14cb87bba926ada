import Foundation
import StrataAWSKit
import StrataModel
import StrataPluginKit

/// What the Cognito types share (JSON 1.1).
enum CognitoAPI {
    static func call(_ target: String, _ body: [String: Value], _ context: ResourceContext) async throws -> [String: Value] {
        try await context.client.json(service: .cognitoIDP, target: target, body: body)
    }

    /// `poolId/child` → the two parts.
    static func split(_ id: String, _ what: String) throws -> (pool: String, child: String) {
        guard let slash = id.firstIndex(of: "/") else { throw PluginError(.invalid, "a Cognito \(what) id is userPoolId/\(what)Id, not '\(id)'") }
        return (String(id[..<slash]), String(id[id.index(after: slash)...]))
    }
}

/// `aws_cognito_user_pool`: CreateUserPool / DescribeUserPool / UpdateUserPool (password
/// policy, verified attributes, tags: UpdateUserPool sets every setting it manages, so all of
/// them are sent each time) / DeleteUserPool. Its id is the pool id.
struct CognitoUserPoolResource: AWSResource {
    let type = "aws_cognito_user_pool"
    static let booleans: [(attribute: String, cognito: String, fallback: Bool)] = [
        ("passwordRequireUppercase", "RequireUppercase", true), ("passwordRequireLowercase", "RequireLowercase", true),
        ("passwordRequireNumbers", "RequireNumbers", true), ("passwordRequireSymbols", "RequireSymbols", true),
    ]

    var schema: ResourceSchema {
        var attributes: [String: AttributeSchema] = [
            "name": .init(.string, .required, forcesReplacement: true),
            "passwordMinimumLength": .init(.number, .optionalComputed, description: "6 to 99 (default 8); changes in place."),
            "autoVerifiedAttributes": .init(.list, .optional, description: "email and/or phone_number; changes in place."),
            "usernameAttributes": .init(.list, .optional, forcesReplacement: true, description: "email and/or phone_number sign in as the user name."),
            "tags": CommonAttributes.tags,
            "id": .init(.string, .computed, description: "The pool id."),
            "arn": CommonAttributes.arn,
            "endpoint": .init(.string, .computed, description: "The issuer host: cognito-idp.REGION.amazonaws.com/POOL."),
        ]
        for boolean in Self.booleans { attributes[boolean.attribute] = .init(.bool, .optionalComputed, description: "Default \(boolean.fallback); changes in place.") }
        return ResourceSchema(description: "A Cognito user pool (sign-up and sign-in).", attributes: attributes, typicalCreateSeconds: 1)
    }

    static let verifiable = ["email", "phone_number"]

    func check(_ inputs: Inputs) -> [CheckProblem] {
        var problems: [CheckProblem] = []
        if let name = inputs.string("name"), name.isEmpty || name.count > 128 {
            problems.append(CheckProblem(attribute: "name", message: "name must be 1 to 128 characters"))
        }
        if let bad = DataChecks.intProblem(inputs["passwordMinimumLength"], 6...99, attribute: "passwordMinimumLength") { problems.append(bad) }
        for attribute in ["autoVerifiedAttributes", "usernameAttributes"] {
            for value in inputs.strings(attribute) ?? [] where !Self.verifiable.contains(value) {
                problems.append(CheckProblem(attribute: attribute, message: "\(attribute) may hold email and phone_number only (not '\(value)')"))
            }
        }
        return problems
    }

    func settings(_ inputs: Inputs) -> [String: Value] {
        var policy: [String: Value] = ["MinimumLength": .number(Double(inputs.int("passwordMinimumLength") ?? 8))]
        for boolean in Self.booleans { policy[boolean.cognito] = .bool(inputs.bool(boolean.attribute) ?? boolean.fallback) }
        var body: [String: Value] = ["Policies": .map(["PasswordPolicy": .map(policy)])]
        body["AutoVerifiedAttributes"] = .list((inputs.strings("autoVerifiedAttributes") ?? []).map(Value.string))
        return body
    }

    func create(_ inputs: Inputs, token: String, tags: [String: String], in context: ResourceContext) async throws -> String {
        let name = try inputs.require("name", for: type)
        var body = settings(inputs)
        body["PoolName"] = .string(name)
        body["UserPoolTags"] = StrataTags.value(tags)
        if let names = inputs.strings("usernameAttributes"), !names.isEmpty { body["UsernameAttributes"] = .list(names.map(Value.string)) }
        context.progress.report("creating user pool \(name)")
        let answer = try await CognitoAPI.call("CreateUserPool", body, context)
        guard let id = answer["UserPool"]?.mapValue?["Id"]?.stringValue else { throw PluginError(.fatal, "CreateUserPool answered without an Id") }
        return id
    }

    func describe(_ id: String, _ context: ResourceContext) async throws -> [String: Value]? {
        do {
            return try await CognitoAPI.call("DescribeUserPool", ["UserPoolId": .string(id)], context)["UserPool"]?.mapValue
        } catch let error as AWSError where error.kind == .notFound {
            return nil
        }
    }

    func read(id: String, recorded: Inputs?, in context: ResourceContext) async throws -> [String: Value]? {
        guard let pool = try await describe(id, context) else { return nil }
        let policy = pool["Policies"]?.mapValue?["PasswordPolicy"]?.mapValue ?? [:]
        var outputs: [String: Value] = [
            "id": .string(id), "name": pool["Name"] ?? .null, "arn": pool["Arn"] ?? .null,
            "endpoint": .string("cognito-idp.\(context.region).amazonaws.com/\(id)"),
            "passwordMinimumLength": policy["MinimumLength"] ?? .number(8),
        ]
        for boolean in Self.booleans { outputs[boolean.attribute] = .bool(policy[boolean.cognito]?.boolValue ?? boolean.fallback) }
        for (attribute, key) in [("autoVerifiedAttributes", "AutoVerifiedAttributes"), ("usernameAttributes", "UsernameAttributes")] {
            let values = pool[key]?.listValue?.compactMap(\.stringValue) ?? []
            if !values.isEmpty || recorded?[attribute] != nil { outputs[attribute] = OrderedList.value(values, recorded: recorded?.strings(attribute)) }
        }
        let tags = (pool["UserPoolTags"]?.mapValue ?? [:]).compactMapValues(\.stringValue)
        StrataTags.output(StrataTags.userTags(tags), recorded: recorded, into: &outputs)
        return outputs
    }

    func update(id: String, prior: Inputs, inputs: Inputs, in context: ResourceContext) async throws {
        guard let pool = try await describe(id, context) else {
            throw PluginError(.notFound, "user pool \(id) does not exist", providerCode: "ResourceNotFoundException")
        }
        // The engine's strata:* tags are kept; the stack's replace the rest.
        var tags = (pool["UserPoolTags"]?.mapValue ?? [:]).compactMapValues(\.stringValue).filter { $0.key.hasPrefix(StrataTags.prefix) }
        for (key, value) in StrataTags.userTags(inputs.tags) { tags[key] = value }
        var body = settings(inputs)
        body["UserPoolId"] = .string(id)
        body["UserPoolTags"] = StrataTags.value(tags)
        context.progress.report("updating user pool \(id)")
        _ = try await CognitoAPI.call("UpdateUserPool", body, context)
    }

    func delete(id: String, in context: ResourceContext) async throws {
        context.progress.report("deleting user pool \(id)")
        do {
            _ = try await CognitoAPI.call("DeleteUserPool", ["UserPoolId": .string(id)], context)
        } catch let error as AWSError where error.kind == .notFound {
            return
        }
    }

    /// ListUserPools (60 a page), then DescribeUserPool of each for its tags.
    func pools(_ context: ResourceContext) async throws -> [(id: String, tags: [String: String])] {
        let pools = try await context.client.jsonPages(service: .cognitoIDP, target: "ListUserPools", body: ["MaxResults": 60], listKey: "UserPools")
        var out: [(id: String, tags: [String: String])] = []
        for id in pools.compactMap({ $0.mapValue?["Id"]?.stringValue }) {
            guard let pool = try await describe(id, context) else { continue }
            out.append((id, (pool["UserPoolTags"]?.mapValue ?? [:]).compactMapValues(\.stringValue)))
        }
        return out
    }

    func find(token: String, inputs: Inputs, in context: ResourceContext) async throws -> String? {
        try await pools(context).first { $0.tags[StrataTags.token] == token }?.id
    }

    func discover(tags: [String: String], in context: ResourceContext) async throws -> [DiscoveredResource] {
        try await Discovery.read(self, try await pools(context).filter { Discovery.matches($0.tags, tags) }, in: context)
    }
}

/// `aws_cognito_user_pool_client`: an app client of a pool. CreateUserPoolClient /
/// DescribeUserPoolClient / UpdateUserPoolClient (every setting sent: it resets the ones left
/// out) / DeleteUserPoolClient. Its id is `poolId/clientId`. Clients cannot be tagged: one is
/// found by its pool and name, and `discover` finds none.
struct CognitoUserPoolClientResource: AWSResource {
    let type = "aws_cognito_user_pool_client"
    static let lists: [(attribute: String, cognito: String)] = [
        ("explicitAuthFlows", "ExplicitAuthFlows"), ("callbackUrls", "CallbackURLs"), ("logoutUrls", "LogoutURLs"),
        ("allowedOauthFlows", "AllowedOAuthFlows"), ("allowedOauthScopes", "AllowedOAuthScopes"),
        ("supportedIdentityProviders", "SupportedIdentityProviders"),
    ]

    var schema: ResourceSchema {
        var attributes: [String: AttributeSchema] = [
            "userPoolId": .init(.string, .required, forcesReplacement: true),
            "name": .init(.string, .required, description: "Changes in place."),
            "generateSecret": .init(.bool, .optional, forcesReplacement: true),
            "allowedOauthFlowsUserPoolClient": .init(.bool, .optionalComputed),
            "id": .init(.string, .computed, description: "userPoolId/clientId."),
            "clientId": .init(.string, .computed),
            "clientSecret": .init(.string, .computed, secret: true),
        ]
        for list in Self.lists { attributes[list.attribute] = .init(.list, .optional, description: "Changes in place.") }
        return ResourceSchema(description: "A Cognito user pool app client.", attributes: attributes, typicalCreateSeconds: 1)
    }

    func check(_ inputs: Inputs) -> [CheckProblem] {
        var problems: [CheckProblem] = []
        for flow in inputs.strings("allowedOauthFlows") ?? [] where !["code", "implicit", "client_credentials"].contains(flow) {
            problems.append(CheckProblem(attribute: "allowedOauthFlows", message: "allowedOauthFlows may hold code, implicit and client_credentials (not '\(flow)')"))
        }
        for url in (inputs.strings("callbackUrls") ?? []) + (inputs.strings("logoutUrls") ?? []) where !url.contains("://") {
            problems.append(CheckProblem(attribute: "callbackUrls", message: "'\(url)' is not a URL"))
        }
        return problems
    }

    func settings(_ inputs: Inputs) -> [String: Value] {
        var body: [String: Value] = ["ClientName": .string(inputs.string("name") ?? "")]
        for list in Self.lists { if let values = inputs.strings(list.attribute) { body[list.cognito] = .list(values.map(Value.string)) } }
        if let oauth = inputs.bool("allowedOauthFlowsUserPoolClient") { body["AllowedOAuthFlowsUserPoolClient"] = .bool(oauth) }
        return body
    }

    func create(_ inputs: Inputs, token: String, tags: [String: String], in context: ResourceContext) async throws -> String {
        let pool = try inputs.require("userPoolId", for: type)
        var body = settings(inputs)
        body["UserPoolId"] = .string(pool)
        if let secret = inputs.bool("generateSecret") { body["GenerateSecret"] = .bool(secret) }
        context.progress.report("creating app client \(inputs.string("name") ?? "") of \(pool)")
        let answer = try await CognitoAPI.call("CreateUserPoolClient", body, context)
        guard let id = answer["UserPoolClient"]?.mapValue?["ClientId"]?.stringValue else { throw PluginError(.fatal, "CreateUserPoolClient answered without a ClientId") }
        return "\(pool)/\(id)"
    }

    func read(id: String, recorded: Inputs?, in context: ResourceContext) async throws -> [String: Value]? {
        let (pool, clientId) = try CognitoAPI.split(id, "client")
        let client: [String: Value]
        do {
            guard let found = try await CognitoAPI.call("DescribeUserPoolClient", ["UserPoolId": .string(pool), "ClientId": .string(clientId)], context)["UserPoolClient"]?.mapValue else { return nil }
            client = found
        } catch let error as AWSError where error.kind == .notFound {
            return nil
        }
        var outputs: [String: Value] = [
            "id": .string(id), "userPoolId": .string(pool), "clientId": .string(clientId), "name": client["ClientName"] ?? .null,
            "allowedOauthFlowsUserPoolClient": .bool(client["AllowedOAuthFlowsUserPoolClient"]?.boolValue ?? false),
        ]
        let secret = client["ClientSecret"]?.stringValue
        if let secret { outputs["clientSecret"] = .secret(.string(secret)) }
        if secret != nil || recorded?["generateSecret"] != nil { outputs["generateSecret"] = .bool(secret != nil) }
        for list in Self.lists {
            let values = client[list.cognito]?.listValue?.compactMap(\.stringValue) ?? []
            if !values.isEmpty || recorded?[list.attribute] != nil { outputs[list.attribute] = OrderedList.value(values, recorded: recorded?.strings(list.attribute)) }
        }
        return outputs
    }

    func update(id: String, prior: Inputs, inputs: Inputs, in context: ResourceContext) async throws {
        let (pool, clientId) = try CognitoAPI.split(id, "client")
        var body = settings(inputs)
        body["UserPoolId"] = .string(pool)
        body["ClientId"] = .string(clientId)
        context.progress.report("updating app client \(id)")
        _ = try await CognitoAPI.call("UpdateUserPoolClient", body, context)
    }

    func delete(id: String, in context: ResourceContext) async throws {
        let (pool, clientId) = try CognitoAPI.split(id, "client")
        do {
            _ = try await CognitoAPI.call("DeleteUserPoolClient", ["UserPoolId": .string(pool), "ClientId": .string(clientId)], context)
        } catch let error as AWSError where error.kind == .notFound {
            return
        }
    }

    func find(token: String, inputs: Inputs, in context: ResourceContext) async throws -> String? {
        guard let pool = inputs.string("userPoolId"), let name = inputs.string("name") else { return nil }
        let clients: [Value]
        do {
            clients = try await context.client.jsonPages(service: .cognitoIDP, target: "ListUserPoolClients", body: ["UserPoolId": .string(pool), "MaxResults": 60], listKey: "UserPoolClients")
        } catch let error as AWSError where error.kind == .notFound {
            return nil
        }
        return clients.compactMap(\.mapValue).first { $0["ClientName"]?.stringValue == name }?["ClientId"]?.stringValue.map { "\(pool)/\($0)" }
    }

    func discover(tags: [String: String], in context: ResourceContext) async throws -> [DiscoveredResource] { [] }
}

/// `aws_cognito_user_pool_domain`: the hosted sign-in domain (`PREFIX.auth.REGION.amazoncognito.com`)
/// of a pool. CreateUserPoolDomain / DescribeUserPoolDomain / DeleteUserPoolDomain; both
/// attributes force replacement. Its id is the prefix. Domains cannot be tagged: one is found
/// by its prefix and pool, and `discover` finds none.
struct CognitoUserPoolDomainResource: AWSResource {
    let type = "aws_cognito_user_pool_domain"

    var schema: ResourceSchema {
        ResourceSchema(
            description: "A Cognito hosted UI domain prefix.",
            attributes: [
                "domain": .init(.string, .required, forcesReplacement: true, description: "The prefix: lower-case letters, digits and hyphens."),
                "userPoolId": .init(.string, .required, forcesReplacement: true),
                "id": .init(.string, .computed, description: "The prefix."),
                "cloudFrontDistribution": .init(.string, .computed),
            ],
            typicalCreateSeconds: 2)
    }

    func check(_ inputs: Inputs) -> [CheckProblem] {
        guard let domain = inputs.string("domain") else { return [] }
        let allowed = CharacterSet(charactersIn: "abcdefghijklmnopqrstuvwxyz0123456789-")
        if domain.isEmpty || domain.count > 63 || domain.hasPrefix("-") || domain.hasSuffix("-") || !domain.unicodeScalars.allSatisfy({ allowed.contains($0) }) || domain.contains("aws") || domain.contains("cognito") {
            return [CheckProblem(attribute: "domain", message: "domain prefix '\(domain)' must be 1 to 63 lower-case letters, digits and inner hyphens, without 'aws' or 'cognito'")]
        }
        return []
    }

    func create(_ inputs: Inputs, token: String, tags: [String: String], in context: ResourceContext) async throws -> String {
        let domain = try inputs.require("domain", for: type)
        context.progress.report("creating sign-in domain \(domain)")
        _ = try await CognitoAPI.call("CreateUserPoolDomain", ["Domain": .string(domain), "UserPoolId": .string(try inputs.require("userPoolId", for: type))], context)
        return domain
    }

    func read(id: String, recorded: Inputs?, in context: ResourceContext) async throws -> [String: Value]? {
        let description: [String: Value]
        do {
            description = try await CognitoAPI.call("DescribeUserPoolDomain", ["Domain": .string(id)], context)["DomainDescription"]?.mapValue ?? [:]
        } catch let error as AWSError where error.kind == .notFound {
            return nil
        }
        // An unknown domain answers an empty description.
        guard let pool = description["UserPoolId"]?.stringValue, !pool.isEmpty, description["Status"]?.stringValue != "DELETING" else { return nil }
        return ["id": .string(id), "domain": .string(id), "userPoolId": .string(pool), "cloudFrontDistribution": description["CloudFrontDistribution"] ?? .null]
    }

    func update(id: String, prior: Inputs, inputs: Inputs, in context: ResourceContext) async throws {
        throw PluginError(.invalid, "a user pool domain does not change in place; both attributes force replacement")
    }

    func delete(id: String, inputs: Inputs, in context: ResourceContext) async throws {
        guard let current = try await read(id: id, recorded: nil, in: context), let pool = current["userPoolId"]?.stringValue else { return }
        do {
            _ = try await CognitoAPI.call("DeleteUserPoolDomain", ["Domain": .string(id), "UserPoolId": .string(pool)], context)
        } catch let error as AWSError where error.kind == .notFound {
            return
        }
    }

    func delete(id: String, in context: ResourceContext) async throws {
        try await delete(id: id, inputs: Inputs([:]), in: context)
    }

    func find(token: String, inputs: Inputs, in context: ResourceContext) async throws -> String? {
        guard let domain = inputs.string("domain"), let current = try await read(id: domain, recorded: inputs, in: context),
            current["userPoolId"]?.stringValue == inputs.string("userPoolId")
        else { return nil }
        return domain
    }

    func discover(tags: [String: String], in context: ResourceContext) async throws -> [DiscoveredResource] { [] }
}
