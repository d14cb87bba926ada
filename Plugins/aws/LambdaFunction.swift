import Foundation
import StrataAWSKit
import StrataModel
import StrataPluginKit

/// `aws_lambda_function`: a Lambda function from a zip file on this machine. CreateFunction /
/// GetFunction / UpdateFunctionConfiguration, UpdateFunctionCode (when `sourceCodeHash`, the
/// base64 SHA-256 of the zip as Lambda reports it, changes), TagResource, UntagResource /
/// DeleteFunction. Its id is its name. `filename` is where the zip is read from; AWS does not
/// keep it, so a read reports the stack's. With `publish`, a version is published
/// (PublishVersion) after the create and after each code or configuration update, and
/// `version` is the newest published number; without it, `version` is `$LATEST`.
struct LambdaFunctionResource: AWSResource {
    let type = "aws_lambda_function"

    var schema: ResourceSchema {
        ResourceSchema(
            description: "A Lambda function (zip package). A new zip (its sourceCodeHash) updates the code in place.",
            attributes: [
                "functionName": .init(.string, .required, forcesReplacement: true),
                "role": .init(.string, .required, description: "The execution role's ARN; changes in place."),
                "runtime": .init(.string, .required, description: "python3.12, nodejs20.x, …; changes in place."),
                "handler": .init(.string, .required, description: "file.function; changes in place."),
                "filename": .init(.string, .required, description: "The zip's path (absolute, or relative to the working directory)."),
                "sourceCodeHash": .init(.string, .optionalComputed, description: "Base64 SHA-256 of the zip; a change uploads the code."),
                "description": .init(.string, .optional),
                "memorySize": .init(.number, .optionalComputed, description: "128 to 10240 MB (default 128)."),
                "timeout": .init(.number, .optionalComputed, description: "1 to 900 seconds (default 3)."),
                "environment": .init(.map, .optional, description: "Environment variables (string values)."),
                "tags": CommonAttributes.tags,
                "id": .init(.string, .computed, description: "The function name."),
                "arn": CommonAttributes.arn,
                "invokeArn": .init(.string, .computed, description: "The ARN API Gateway integrations call."),
                "publish": .init(.bool, .optional, description: "Publish a version after the create and after each code or configuration change (default false); changes in place."),
                "version": .init(.string, .computed, description: "The newest published version with publish, else $LATEST."),
            ],
            typicalCreateSeconds: 5)
    }

    func check(_ inputs: Inputs) -> [CheckProblem] {
        var problems: [CheckProblem] = []
        if let name = inputs.string("functionName"), let problem = LambdaAPI.functionNameProblem(name) {
            problems.append(CheckProblem(attribute: "functionName", message: problem))
        }
        if let role = inputs.string("role"), !(role.hasPrefix("arn:") && role.contains(":iam::") && role.contains(":role/")) {
            problems.append(CheckProblem(attribute: "role", message: "role must be an IAM role ARN (arn:aws:iam::ACCOUNT:role/NAME), not '\(role)'"))
        }
        if let handler = inputs.string("handler"), handler.isEmpty || handler.contains(" ") {
            problems.append(CheckProblem(attribute: "handler", message: "handler must be a name such as index.handler (not '\(handler)')"))
        }
        if let bad = DataChecks.intProblem(inputs["memorySize"], 128...10240, attribute: "memorySize") { problems.append(bad) }
        if let bad = DataChecks.intProblem(inputs["timeout"], 1...900, attribute: "timeout") { problems.append(bad) }
        if let path = inputs.string("filename") {
            if let problem = Self.zipProblem(path) { problems.append(CheckProblem(attribute: "filename", message: problem)) }
        }
        if let environment = inputs["environment"]?.revealed.mapValue {
            for key in environment.keys where !Self.isEnvironmentName(key) {
                problems.append(CheckProblem(attribute: "environment", message: "'\(key)' is not an environment variable name (a letter first, then letters, digits and underscores)"))
            }
        }
        return problems
    }

    static func isEnvironmentName(_ key: String) -> Bool {
        guard let first = key.unicodeScalars.first, CharacterSet.letters.contains(first), first.isASCII else { return false }
        let allowed = CharacterSet(charactersIn: "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_")
        return key.unicodeScalars.allSatisfy { allowed.contains($0) }
    }

    /// Nil when `path` is a readable zip file.
    static func zipProblem(_ path: String) -> String? {
        guard let handle = FileHandle(forReadingAtPath: path) else { return "no readable file at '\(path)' (the function's zip)" }
        defer { try? handle.close() }
        let head = (try? handle.read(upToCount: 4)) ?? Data()
        return head.starts(with: [0x50, 0x4B]) ? nil : "'\(path)' is not a zip file"
    }

    static func zip(_ inputs: Inputs, for type: String) throws -> Data {
        let path = try inputs.require("filename", for: type)
        guard let data = FileManager.default.contents(atPath: path) else {
            throw PluginError(.invalid, "\(type): cannot read the zip at '\(path)'; build it before apply")
        }
        return data
    }

    static func codeHash(_ data: Data) -> String {
        Data(Digest.sha256(Array(data))).base64EncodedString()
    }

    func configuration(_ inputs: Inputs) -> [String: Value] {
        var body: [String: Value] = [:]
        if let role = inputs.string("role") { body["Role"] = .string(role) }
        if let runtime = inputs.string("runtime") { body["Runtime"] = .string(runtime) }
        if let handler = inputs.string("handler") { body["Handler"] = .string(handler) }
        body["Description"] = .string(inputs.string("description") ?? "")
        if let memory = inputs.int("memorySize") { body["MemorySize"] = .number(Double(memory)) }
        if let timeout = inputs.int("timeout") { body["Timeout"] = .number(Double(timeout)) }
        let variables = (inputs["environment"]?.revealed.mapValue ?? [:]).compactMapValues { $0.stringValue ?? $0.rendered() }
        body["Environment"] = .map(["Variables": StrataTags.value(variables)])
        return body
    }

    func create(_ inputs: Inputs, token: String, tags: [String: String], in context: ResourceContext) async throws -> String {
        let name = try inputs.require("functionName", for: type)
        let zip = try Self.zip(inputs, for: type)
        var body = configuration(inputs)
        body["FunctionName"] = .string(name)
        body["PackageType"] = "Zip"
        body["Code"] = .map(["ZipFile": .string(zip.base64EncodedString())])
        body["Tags"] = StrataTags.value(tags)
        context.progress.report("creating Lambda function \(name)")
        // A role made a moment ago may not be assumable by Lambda yet (IAM is eventually consistent).
        var attempt = 0
        while true {
            attempt += 1
            do {
                _ = try await context.client.restJSON(service: .lambda, method: "POST", path: ["2015-03-31", "functions"], body: body, operation: "CreateFunction")
                break
            } catch let error as AWSError where error.code == "InvalidParameterValueException" && error.message.contains("cannot be assumed") && attempt < 10 {
                context.progress.report("waiting for role \(inputs.string("role") ?? "") to be assumable by Lambda")
                try await Task.sleep(nanoseconds: 3_000_000_000)
            } catch let error as AWSError where error.code == "ResourceConflictException" {
                throw PluginError(.conflict, "a Lambda function named \(name) already exists and was not made by this stack; choose another name, or adopt it with import", providerCode: error.code)
            }
        }
        try await LambdaAPI.waitSettled(name, context)
        if inputs.bool("publish") == true { try await publishVersion(name, context) }
        return name
    }

    /// PublishVersion, then waits for the function to settle; returns the version number.
    @discardableResult
    func publishVersion(_ name: String, _ context: ResourceContext) async throws -> String {
        context.progress.report("publishing a version of Lambda function \(name)")
        let answer = try await context.client.restJSON(
            service: .lambda, method: "POST", path: LambdaAPI.functionPath(name, "versions"), body: [:], operation: "PublishVersion")
        try await LambdaAPI.waitSettled(name, context)
        return answer.body["Version"]?.stringValue ?? ""
    }

    /// The newest published version number (ListVersionsByFunction, Marker pages); nil when
    /// none was published.
    static func newestVersion(_ name: String, _ context: ResourceContext) async throws -> String? {
        let versions = try await Paginator.collect { marker -> (items: [Value], next: String?) in
            let answer = try await context.client.restJSON(
                service: .lambda, method: "GET", path: LambdaAPI.functionPath(name, "versions"),
                query: marker.map { [.init("Marker", $0)] } ?? [], operation: "ListVersionsByFunction")
            return (answer.body["Versions"]?.listValue ?? [], answer.body["NextMarker"]?.stringValue)
        }
        return versions.compactMap { $0.mapValue?["Version"]?.stringValue }.compactMap(Int.init).max().map(String.init)
    }

    func read(id: String, recorded: Inputs?, in context: ResourceContext) async throws -> [String: Value]? {
        guard let function = try await LambdaAPI.get(LambdaAPI.functionPath(id), operation: "GetFunction", context),
            let config = function["Configuration"]?.mapValue
        else { return nil }
        let arn = config["FunctionArn"]?.stringValue ?? ""
        var outputs: [String: Value] = [
            "id": .string(id),
            "functionName": config["FunctionName"] ?? .string(id),
            "arn": .string(arn),
            "invokeArn": .string("arn:\(context.partition):apigateway:\(context.region):lambda:path/2015-03-31/functions/\(arn)/invocations"),
            "role": config["Role"] ?? .null,
            "runtime": config["Runtime"] ?? .null,
            "handler": config["Handler"] ?? .null,
            "sourceCodeHash": config["CodeSha256"] ?? .null,
            "memorySize": config["MemorySize"] ?? .null,
            "timeout": config["Timeout"] ?? .null,
        ]
        if let filename = recorded?["filename"] { outputs["filename"] = filename }
        // Publishing is the stack's choice; an import (no record) calls a function with
        // published versions a published one.
        let newest = try await Self.newestVersion(id, context)
        let publish = recorded.map { $0.bool("publish") ?? false } ?? (newest != nil)
        if publish || recorded?["publish"] != nil { outputs["publish"] = .bool(publish) }
        outputs["version"] = .string(publish ? newest ?? "$LATEST" : "$LATEST")
        let description = config["Description"]?.stringValue ?? ""
        if !description.isEmpty || recorded?["description"] != nil { outputs["description"] = .string(description) }
        let variables = config["Environment"]?.mapValue?["Variables"]?.mapValue ?? [:]
        if !variables.isEmpty || recorded?["environment"] != nil { outputs["environment"] = .map(variables) }
        var tags = function["Tags"]?.mapValue?.compactMapValues(\.stringValue)
        if tags == nil { tags = try await LambdaAPI.tags(arn, context) }
        StrataTags.output(StrataTags.userTags(tags ?? [:]), recorded: recorded, into: &outputs)
        return outputs
    }

    func update(id: String, prior: Inputs, inputs: Inputs, in context: ResourceContext) async throws {
        guard let current = try await read(id: id, recorded: prior, in: context).map(Inputs.init) else {
            throw PluginError(.notFound, "Lambda function \(id) does not exist", providerCode: "ResourceNotFoundException")
        }
        var changed = false
        let wanted = configuration(inputs), now = configuration(current)
        if wanted.contains(where: { !$0.value.sameValue(now[$0.key]) }) {
            context.progress.report("updating the configuration of Lambda function \(id)")
            _ = try await context.client.restJSON(
                service: .lambda, method: "PUT", path: LambdaAPI.functionPath(id, "configuration"), body: wanted, operation: "UpdateFunctionConfiguration")
            try await LambdaAPI.waitSettled(id, context)
            changed = true
        }
        let zip = try Self.zip(inputs, for: type)
        if Self.codeHash(zip) != current.string("sourceCodeHash") {
            context.progress.report("uploading new code to Lambda function \(id)")
            _ = try await context.client.restJSON(
                service: .lambda, method: "PUT", path: LambdaAPI.functionPath(id, "code"),
                body: ["ZipFile": .string(zip.base64EncodedString())], operation: "UpdateFunctionCode")
            try await LambdaAPI.waitSettled(id, context)
            changed = true
        }
        // As Terraform: a version after each change, and one when publishing is turned on.
        if inputs.bool("publish") == true, changed || prior.bool("publish") != true || current.string("version") == "$LATEST" {
            try await publishVersion(id, context)
        }
        if let arn = current.string("arn") { try await LambdaAPI.updateTags(arn, to: inputs.tags, context) }
    }

    func delete(id: String, in context: ResourceContext) async throws {
        context.progress.report("deleting Lambda function \(id)")
        do {
            _ = try await context.client.restJSON(service: .lambda, method: "DELETE", path: LambdaAPI.functionPath(id), operation: "DeleteFunction")
        } catch let error as AWSError where error.kind == .notFound {
            return
        }
    }

    /// The function with the stack's name, if it carries the token.
    func find(token: String, inputs: Inputs, in context: ResourceContext) async throws -> String? {
        guard let name = inputs.string("functionName"),
            let function = try await LambdaAPI.get(LambdaAPI.functionPath(name), operation: "GetFunction", context)
        else { return nil }
        return function["Tags"]?.mapValue?[StrataTags.token]?.stringValue == token ? name : nil
    }

    /// ListFunctions (Marker pages), then ListTags of each.
    func discover(tags: [String: String], in context: ResourceContext) async throws -> [DiscoveredResource] {
        let functions = try await Paginator.collect { marker -> (items: [Value], next: String?) in
            let answer = try await context.client.restJSON(
                service: .lambda, method: "GET", path: ["2015-03-31", "functions"],
                query: marker.map { [.init("Marker", $0)] } ?? [], operation: "ListFunctions")
            return (answer.body["Functions"]?.listValue ?? [], answer.body["NextMarker"]?.stringValue)
        }
        var candidates: [(id: String, tags: [String: String])] = []
        for function in functions {
            guard let name = function.mapValue?["FunctionName"]?.stringValue, let arn = function.mapValue?["FunctionArn"]?.stringValue else { continue }
            let actual = try await LambdaAPI.tags(arn, context)
            if Discovery.matches(actual, tags) { candidates.append((name, actual)) }
        }
        return try await Discovery.read(self, candidates, in: context)
    }
}

extension Value {
    /// Equal as JSON values, numbers compared by value (`128` and `128.0`).
    func sameValue(_ other: Value?) -> Bool {
        guard let other else { return false }
        if let a = numberValue, let b = other.numberValue { return a == b }
        return self == other
    }
}
