import Foundation
import StrataAWSKit
import StrataModel
import StrataPluginKit

/// `aws_lambda_alias`: a name for one version of a function. CreateAlias / GetAlias /
/// UpdateAlias / DeleteAlias. Its id is `function/alias`. Aliases cannot be tagged: one is
/// found by its function and name (an alias of that name is this stack's), and `discover`
/// finds none.
struct LambdaAliasResource: AWSResource {
    let type = "aws_lambda_alias"

    var schema: ResourceSchema {
        ResourceSchema(
            description: "A Lambda alias pointing at a version ($LATEST or a published number).",
            attributes: [
                "functionName": .init(.string, .required, forcesReplacement: true),
                "name": .init(.string, .required, forcesReplacement: true),
                "functionVersion": .init(.string, .required, description: "$LATEST or a version number; changes in place."),
                "description": .init(.string, .optional),
                "id": .init(.string, .computed, description: "function/alias."),
                "arn": CommonAttributes.arn,
                "invokeArn": .init(.string, .computed),
            ],
            typicalCreateSeconds: 1)
    }

    func check(_ inputs: Inputs) -> [CheckProblem] {
        var problems: [CheckProblem] = []
        if let function = inputs.string("functionName"), let problem = LambdaAPI.functionNameProblem(function) {
            problems.append(CheckProblem(attribute: "functionName", message: problem))
        }
        if let name = inputs.string("name") {
            let allowed = CharacterSet(charactersIn: "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_")
            let digitsOnly = name.allSatisfy(\.isNumber)
            if name.isEmpty || name.count > 128 || digitsOnly || !name.unicodeScalars.allSatisfy({ allowed.contains($0) }) {
                problems.append(CheckProblem(attribute: "name", message: "alias name '\(name)' must be 1 to 128 letters, digits, hyphens or underscores, not only digits"))
            }
        }
        if let version = inputs.string("functionVersion"), version != "$LATEST", !(version.allSatisfy(\.isNumber) && !version.isEmpty) {
            problems.append(CheckProblem(attribute: "functionVersion", message: "functionVersion must be $LATEST or a version number (not '\(version)')"))
        }
        return problems
    }

    static func split(_ id: String) throws -> (function: String, name: String) {
        guard let slash = id.lastIndex(of: "/") else {
            throw PluginError(.invalid, "a Lambda alias id is function/alias, not '\(id)'")
        }
        return (String(id[..<slash]), String(id[id.index(after: slash)...]))
    }

    func create(_ inputs: Inputs, token: String, tags: [String: String], in context: ResourceContext) async throws -> String {
        let function = try inputs.require("functionName", for: type), name = try inputs.require("name", for: type)
        var body: [String: Value] = ["Name": .string(name), "FunctionVersion": .string(try inputs.require("functionVersion", for: type))]
        if let description = inputs.string("description") { body["Description"] = .string(description) }
        context.progress.report("creating alias \(name) of \(function)")
        do {
            _ = try await context.client.restJSON(
                service: .lambda, method: "POST", path: LambdaAPI.functionPath(function, "aliases"), body: body, operation: "CreateAlias")
        } catch let error as AWSError where error.code == "ResourceConflictException" {
            throw PluginError(.conflict, "function \(function) already has an alias \(name); choose another name, or adopt it with import", providerCode: error.code)
        }
        return "\(function)/\(name)"
    }

    func read(id: String, recorded: Inputs?, in context: ResourceContext) async throws -> [String: Value]? {
        let (function, name) = try Self.split(id)
        guard let alias = try await LambdaAPI.get(LambdaAPI.functionPath(function, "aliases", name), operation: "GetAlias", context) else { return nil }
        let arn = alias["AliasArn"]?.stringValue ?? ""
        var outputs: [String: Value] = [
            "id": .string(id), "functionName": .string(function), "name": alias["Name"] ?? .string(name),
            "functionVersion": alias["FunctionVersion"] ?? .null, "arn": .string(arn),
            "invokeArn": .string("arn:\(context.partition):apigateway:\(context.region):lambda:path/2015-03-31/functions/\(arn)/invocations"),
        ]
        let description = alias["Description"]?.stringValue ?? ""
        if !description.isEmpty || recorded?["description"] != nil { outputs["description"] = .string(description) }
        return outputs
    }

    func update(id: String, prior: Inputs, inputs: Inputs, in context: ResourceContext) async throws {
        let (function, name) = try Self.split(id)
        context.progress.report("pointing alias \(name) of \(function) at \(inputs.string("functionVersion") ?? "")")
        _ = try await context.client.restJSON(
            service: .lambda, method: "PUT", path: LambdaAPI.functionPath(function, "aliases", name),
            body: ["FunctionVersion": .string(try inputs.require("functionVersion", for: type)), "Description": .string(inputs.string("description") ?? "")],
            operation: "UpdateAlias")
    }

    func delete(id: String, in context: ResourceContext) async throws {
        let (function, name) = try Self.split(id)
        do {
            _ = try await context.client.restJSON(service: .lambda, method: "DELETE", path: LambdaAPI.functionPath(function, "aliases", name), operation: "DeleteAlias")
        } catch let error as AWSError where error.kind == .notFound {
            return
        }
    }

    func find(token: String, inputs: Inputs, in context: ResourceContext) async throws -> String? {
        guard let function = inputs.string("functionName"), let name = inputs.string("name") else { return nil }
        let id = "\(function)/\(name)"
        return try await read(id: id, recorded: inputs, in: context) == nil ? nil : id
    }

    func discover(tags: [String: String], in context: ResourceContext) async throws -> [DiscoveredResource] { [] }
}
