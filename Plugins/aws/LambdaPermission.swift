import Foundation
import StrataAWSKit
import StrataModel
import StrataPluginKit

/// `aws_lambda_permission`: one statement of a function's resource policy (who may invoke it).
/// AddPermission / GetPolicy (the statement with this id) / RemovePermission; nothing changes
/// in place. Its id is `function/statementId`. Statements cannot be tagged: one is found by
/// its function and statement id, and `discover` finds none.
struct LambdaPermissionResource: AWSResource {
    let type = "aws_lambda_permission"

    var schema: ResourceSchema {
        ResourceSchema(
            description: "Lets a principal (a service such as apigateway.amazonaws.com, or an account) invoke a function.",
            attributes: [
                "functionName": .init(.string, .required, forcesReplacement: true),
                "statementId": .init(.string, .required, forcesReplacement: true),
                "action": .init(.string, .required, forcesReplacement: true, description: "lambda:InvokeFunction, …"),
                "principal": .init(.string, .required, forcesReplacement: true),
                "sourceArn": .init(.string, .optionalComputed, forcesReplacement: true),
                "sourceApiId": .init(.string, .optionalComputed, forcesReplacement: true, description: "An API Gateway API id: the source is then every route and stage of it (its execution ARN, /*/*), built here from the account and region."),
                "qualifier": .init(.string, .optional, forcesReplacement: true, description: "An alias or version."),
                "id": .init(.string, .computed, description: "function/statementId."),
            ],
            typicalCreateSeconds: 1)
    }

    func check(_ inputs: Inputs) -> [CheckProblem] {
        var problems: [CheckProblem] = []
        if let function = inputs.string("functionName"), let problem = LambdaAPI.functionNameProblem(function) {
            problems.append(CheckProblem(attribute: "functionName", message: problem))
        }
        if let sid = inputs.string("statementId") {
            let allowed = CharacterSet(charactersIn: "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_")
            if sid.isEmpty || sid.count > 100 || !sid.unicodeScalars.allSatisfy({ allowed.contains($0) }) {
                problems.append(CheckProblem(attribute: "statementId", message: "statementId '\(sid)' must be 1 to 100 letters, digits, hyphens or underscores"))
            }
        }
        if inputs["sourceArn"] != nil, inputs["sourceApiId"] != nil {
            problems.append(CheckProblem(attribute: "sourceApiId", message: "set sourceArn or sourceApiId, not both"))
        }
        if let action = inputs.string("action"), !action.hasPrefix("lambda:") {
            problems.append(CheckProblem(attribute: "action", message: "action must be a Lambda action such as lambda:InvokeFunction (not '\(action)')"))
        }
        return problems
    }

    func path(_ function: String, _ inputs: Inputs?) -> (path: [String], query: [HTTPRequest.QueryItem]) {
        (LambdaAPI.functionPath(function, "policy"), inputs?.string("qualifier").map { [.init("Qualifier", $0)] } ?? [])
    }

    func create(_ inputs: Inputs, token: String, tags: [String: String], in context: ResourceContext) async throws -> String {
        let function = try inputs.require("functionName", for: type), sid = try inputs.require("statementId", for: type)
        var body: [String: Value] = [
            "StatementId": .string(sid), "Action": .string(try inputs.require("action", for: type)),
            "Principal": .string(try inputs.require("principal", for: type)),
        ]
        if let source = inputs.string("sourceArn") { body["SourceArn"] = .string(source) }
        if let api = inputs.string("sourceApiId") { body["SourceArn"] = .string(try await Self.executionSource(api, context)) }
        let (path, query) = path(function, inputs)
        context.progress.report("letting \(inputs.string("principal") ?? "") invoke \(function)")
        do {
            _ = try await context.client.restJSON(service: .lambda, method: "POST", path: path, query: query, body: body, operation: "AddPermission")
        } catch let error as AWSError where error.code == "ResourceConflictException" {
            throw PluginError(.conflict, "function \(function) already has a statement \(sid); choose another statementId", providerCode: error.code)
        }
        return "\(function)/\(sid)"
    }

    func read(id: String, recorded: Inputs?, in context: ResourceContext) async throws -> [String: Value]? {
        let (function, sid) = try LambdaAliasResource.split(id)
        let (path, query) = path(function, recorded)
        let answer: [String: Value]
        do {
            answer = try await context.client.restJSON(service: .lambda, method: "GET", path: path, query: query, operation: "GetPolicy").body
        } catch let error as AWSError where error.kind == .notFound {
            return nil
        }
        // The policy is a JSON string (moto_server may send the object itself).
        var policy = answer["Policy"] ?? .null
        if let text = policy.stringValue { policy = (try? ValueJSON.parse(Data(text.utf8))) ?? .null }
        guard let statement = policy.mapValue?["Statement"]?.listValue?.compactMap(\.mapValue).first(where: { $0["Sid"]?.stringValue == sid }) else {
            return nil
        }
        var outputs: [String: Value] = ["id": .string(id), "functionName": .string(function), "statementId": .string(sid)]
        let action = statement["Action"]?.stringValue ?? statement["Action"]?.listValue?.first?.stringValue
        outputs["action"] = action.map(Value.string) ?? .null
        var principal = statement["Principal"]?.stringValue
        if let map = statement["Principal"]?.mapValue { principal = (map["Service"] ?? map["AWS"])?.stringValue }
        outputs["principal"] = principal.map(Value.string) ?? .null
        // An account id principal comes back as its root ARN.
        if let wanted = recorded?.string("principal"), let principal, principal == "arn:\(context.partition):iam::\(wanted):root" {
            outputs["principal"] = .string(wanted)
        }
        let source = statement["Condition"]?.mapValue?["ArnLike"]?.mapValue?["AWS:SourceArn"]?.stringValue
        if let source {
            outputs["sourceArn"] = .string(source)
            // arn:aws:execute-api:REGION:ACCOUNT:API/*/*
            let parts = source.split(separator: ":", omittingEmptySubsequences: false)
            if parts.count == 6, parts[2] == "execute-api", parts[5].hasSuffix("/*/*") { outputs["sourceApiId"] = .string(String(parts[5].dropLast(4))) }
        }
        if let qualifier = recorded?["qualifier"] { outputs["qualifier"] = qualifier }
        return outputs
    }

    /// Every route and stage of the API: `arn:aws:execute-api:REGION:ACCOUNT:API/*/*`.
    static func executionSource(_ api: String, _ context: ResourceContext) async throws -> String {
        "arn:\(context.partition):execute-api:\(context.region):\(try await APIGatewayV2.account(context)):\(api)/*/*"
    }

    func update(id: String, prior: Inputs, inputs: Inputs, in context: ResourceContext) async throws {
        throw PluginError(.invalid, "a Lambda permission does not change in place; every attribute forces replacement")
    }

    func delete(id: String, inputs: Inputs, in context: ResourceContext) async throws {
        let (function, sid) = try LambdaAliasResource.split(id)
        do {
            _ = try await context.client.restJSON(
                service: .lambda, method: "DELETE", path: LambdaAPI.functionPath(function, "policy", sid),
                query: inputs.string("qualifier").map { [.init("Qualifier", $0)] } ?? [], operation: "RemovePermission")
        } catch let error as AWSError where error.kind == .notFound {
            return
        }
    }

    func delete(id: String, in context: ResourceContext) async throws {
        try await delete(id: id, inputs: Inputs([:]), in: context)
    }

    func find(token: String, inputs: Inputs, in context: ResourceContext) async throws -> String? {
        guard let function = inputs.string("functionName"), let sid = inputs.string("statementId") else { return nil }
        let id = "\(function)/\(sid)"
        return try await read(id: id, recorded: inputs, in: context) == nil ? nil : id
    }

    func discover(tags: [String: String], in context: ResourceContext) async throws -> [DiscoveredResource] { [] }
}
