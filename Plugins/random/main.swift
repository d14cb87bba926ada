import Foundation
import StrataModel
import StrataPluginKit

/// `strata-provider-random`: passwords, ids and UUIDs from the operating system's RNG.
/// Nothing lives outside the state: read returns what was recorded, delete forgets.
struct RandomProvider: Provider {
    let name = "random"
    let version = "0.1.0"

    var resources: [String: ResourceSchema] {
        let keepers = AttributeSchema(.map, .optional, forcesReplacement: true, description: "Any change makes a new value.")
        return [
            "random_password": ResourceSchema(
                description: "A random password (secret).",
                attributes: [
                    "length": .init(.number, .required, forcesReplacement: true),
                    "special": .init(.bool, .optional, forcesReplacement: true, description: "Include !#$%&*()-_=+[]{}<>:? (default true)."),
                    "keepers": keepers,
                    "id": .init(.string, .computed),
                    "result": .init(.string, .computed, secret: true),
                ], typicalCreateSeconds: 0.001),
            "random_id": ResourceSchema(
                description: "Random bytes as hex and base64url.",
                attributes: [
                    "byteLength": .init(.number, .required, forcesReplacement: true),
                    "prefix": .init(.string, .optional, forcesReplacement: true),
                    "keepers": keepers,
                    "id": .init(.string, .computed),
                    "hex": .init(.string, .computed),
                    "b64url": .init(.string, .computed),
                ], typicalCreateSeconds: 0.001),
            "random_uuid": ResourceSchema(
                description: "A random (version 4) UUID.",
                attributes: [
                    "keepers": keepers,
                    "id": .init(.string, .computed),
                    "result": .init(.string, .computed),
                ], typicalCreateSeconds: 0.001),
        ]
    }

    func check(_ request: CheckRequest) async throws -> CheckResponse {
        guard let schema = resources[request.type] else { throw PluginError(.invalid, "no resource type \(request.type)") }
        var problems = SchemaCheck.problems(request.inputs, schema: schema)
        if let length = request.inputs["length"]?.numberValue, length < 4 || length > 1024 {
            problems.append(CheckProblem(attribute: "length", message: "length must be between 4 and 1024, not \(Int(length))"))
        }
        if let bytes = request.inputs["byteLength"]?.numberValue, bytes < 1 || bytes > 1024 {
            problems.append(CheckProblem(attribute: "byteLength", message: "byteLength must be between 1 and 1024"))
        }
        return CheckResponse(inputs: request.inputs, problems: problems)
    }

    func create(_ request: CreateRequest, progress: ProgressReporter) async throws -> CreateResponse {
        var rng = SystemRandomNumberGenerator()
        var outputs = request.inputs
        let id: String
        switch request.type {
        case "random_password":
            let length = Int(request.inputs["length"]?.numberValue ?? 16)
            let special = request.inputs["special"]?.boolValue ?? true
            var alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789")
            if special { alphabet += Array("!#$%&*()-_=+[]{}<>:?") }
            let password = String((0..<length).map { _ in alphabet[Int.random(in: 0..<alphabet.count, using: &rng)] })
            id = "none"
            outputs["result"] = .secret(.string(password))
        case "random_id":
            let count = Int(request.inputs["byteLength"]?.numberValue ?? 8)
            let bytes = (0..<count).map { _ in UInt8.random(in: 0...255, using: &rng) }
            let prefix = request.inputs["prefix"]?.stringValue ?? ""
            let hex = bytes.map { String(format: "%02x", $0) }.joined()
            let b64 = Data(bytes).base64EncodedString()
                .replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
                .replacingOccurrences(of: "=", with: "")
            id = prefix + b64
            outputs["hex"] = .string(prefix + hex)
            outputs["b64url"] = .string(prefix + b64)
        case "random_uuid":
            id = UUID().uuidString.lowercased()
            outputs["result"] = .string(id)
        default:
            throw PluginError(.invalid, "no resource type \(request.type)")
        }
        outputs["id"] = .string(id)
        return CreateResponse(id: id, outputs: outputs)
    }

    func read(_ request: ReadRequest) async throws -> ReadResponse {
        ReadResponse(exists: true, outputs: request.outputs)
    }

    func update(_ request: UpdateRequest, progress: ProgressReporter) async throws -> UpdateResponse {
        // Every input forces replacement, so an update only ever changes nothing.
        var outputs = request.priorOutputs
        for (key, value) in request.inputs { outputs[key] = value }
        return UpdateResponse(outputs: outputs)
    }

    func delete(_ request: DeleteRequest, progress: ProgressReporter) async throws {}

    func importResource(_ request: ImportRequest) async throws -> ImportResponse {
        guard request.type == "random_uuid", UUID(uuidString: request.id) != nil else {
            throw PluginError(.unsupported, "only random_uuid can be imported (by its UUID)")
        }
        let id = request.id.lowercased()
        return ImportResponse(inputs: [:], outputs: ["id": .string(id), "result": .string(id)])
    }
}

PluginServer.main(RandomProvider())
