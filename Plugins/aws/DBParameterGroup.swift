import StrataAWSKit
import StrataModel
import StrataPluginKit

/// `aws_db_parameter_group`: CreateDBParameterGroup / DescribeDBParameterGroups +
/// DescribeDBParameters (Source=user) / ModifyDBParameterGroup, ResetDBParameterGroup (for
/// parameters the stack no longer sets) / DeleteDBParameterGroup. Its id is its name.
struct DBParameterGroupResource: NamedQueryResource {
    let type = "aws_db_parameter_group"
    let service = AWSService.rds
    let nameAttribute = "name"
    static let defaultDescription = "Managed by Strata"
    static let applyMethods = ["immediate", "pending-reboot"]

    var schema: ResourceSchema {
        ResourceSchema(
            description: "An RDS DB parameter group: engine settings for DB instances of one family (postgres16, …).",
            attributes: [
                "name": .init(.string, .required, forcesReplacement: true, description: "Lower-case letters, digits and hyphens; a letter first."),
                "family": .init(.string, .required, forcesReplacement: true, description: "The engine family, e.g. postgres16."),
                "description": .init(.string, .optionalComputed, forcesReplacement: true, description: "Default: \"\(Self.defaultDescription)\"."),
                "parameters": .init(.list, .optional, description: "List of {name, value, applyMethod (immediate | pending-reboot)}; changes in place."),
                "tags": CommonAttributes.tags,
                "id": .init(.string, .computed, description: "The name."),
                "arn": CommonAttributes.arn,
            ],
            typicalCreateSeconds: 2)
    }

    func check(_ inputs: Inputs) -> [CheckProblem] {
        var problems: [CheckProblem] = []
        if let name = inputs.string("name") {
            if let problem = DataChecks.identifierProblem(name, what: "name", maxLength: 255) {
                problems.append(CheckProblem(attribute: "name", message: problem))
            } else if name != name.lowercased() {
                problems.append(CheckProblem(attribute: "name", message: "name must be lower case (AWS stores it so): '\(name.lowercased())'"))
            }
        }
        if let family = inputs.string("family"), family.isEmpty || family.contains(" ") {
            problems.append(CheckProblem(attribute: "family", message: "family must be an engine family such as postgres16 ('\(family)')"))
        }
        for (index, entry) in (inputs.list("parameters") ?? []).enumerated() {
            guard let fields = entry.mapValue else {
                problems.append(CheckProblem(attribute: "parameters", message: "parameters[\(index)] must be a map {name, value, applyMethod}"))
                continue
            }
            if fields["name"]?.stringValue?.isEmpty != false || fields["value"] == nil {
                problems.append(CheckProblem(attribute: "parameters", message: "parameters[\(index)] needs a 'name' and a 'value'"))
            }
            if let method = fields["applyMethod"]?.stringValue, let problem = DataChecks.enumProblem(method, allowed: Self.applyMethods, attribute: "parameters[\(index)].applyMethod") {
                problems.append(CheckProblem(attribute: "parameters", message: problem.message))
            }
        }
        return problems
    }

    /// One parameter as the stack gives it.
    struct Parameter: Equatable {
        var name: String
        var value: String
        var applyMethod: String?
    }

    static func parameters(_ inputs: Inputs) -> [Parameter] {
        (inputs.list("parameters") ?? []).compactMap { entry in
            guard let fields = entry.mapValue, let name = fields["name"]?.stringValue, let value = fields["value"] else { return nil }
            let text = value.stringValue ?? value.numberValue.map { $0 == $0.rounded() ? String(Int($0)) : String($0) } ?? value.boolValue.map { $0 ? "1" : "0" } ?? ""
            return Parameter(name: name, value: text, applyMethod: fields["applyMethod"]?.stringValue)
        }
    }

    func create(_ inputs: Inputs, token: String, tags: [String: String], in context: ResourceContext) async throws -> String {
        let name = try inputs.require("name", for: type)
        var params: QueryParameters = [
            "DBParameterGroupName": name,
            "DBParameterGroupFamily": try inputs.require("family", for: type),
            "Description": inputs.string("description") ?? Self.defaultDescription,
        ]
        QueryAPI.tags(&params, tags)
        context.progress.report("creating DB parameter group \(name)")
        do {
            _ = try await context.client.query(service: .rds, action: "CreateDBParameterGroup", params: params)
        } catch let error as AWSError where error.code == "DBParameterGroupAlreadyExists" {
            throw PluginError(.conflict, "a DB parameter group named \(name) already exists and was not made by this stack; choose another name, or adopt it with import", providerCode: error.code)
        }
        try await modify(name, Self.parameters(inputs), context)
        return name
    }

    func read(id: String, recorded: Inputs?, in context: ResourceContext) async throws -> [String: Value]? {
        guard let group = try await describe(id, context) else { return nil }
        let arn = group.string("DBParameterGroupArn")
        var outputs: [String: Value] = [
            "id": .string(id),
            "name": .string(group.string("DBParameterGroupName") ?? id),
            "family": group.string("DBParameterGroupFamily").map(Value.string) ?? .null,
            "description": group.string("Description").map(Value.string) ?? .null,
            "arn": arn.map(Value.string) ?? .null,
        ]
        let actual = try await userParameters(id, context)
        let declared = recorded.map(Self.parameters) ?? []
        if !actual.isEmpty || recorded?["parameters"] != nil {
            // The stack's order and spelling first, then any set by hand (sorted).
            var entries: [Value] = []
            var seen: Set<String> = []
            for parameter in declared {
                guard let value = actual[parameter.name] else { continue }
                var fields: [String: Value] = ["name": .string(parameter.name), "value": .string(value)]
                if let method = parameter.applyMethod { fields["applyMethod"] = .string(method) }
                // Keep the stack's type (a number written as 100 reads back as 100).
                if let original = recorded?.list("parameters")?.first(where: { $0.mapValue?["name"]?.stringValue == parameter.name })?.mapValue?["value"],
                   original.stringValue == nil, parameter.value == value {
                    fields["value"] = original
                }
                entries.append(.map(fields))
                seen.insert(parameter.name)
            }
            for name in actual.keys.sorted() where !seen.contains(name) {
                entries.append(.map(["name": .string(name), "value": .string(actual[name] ?? "")]))
            }
            outputs["parameters"] = .list(entries)
        }
        if let arn {
            StrataTags.output(StrataTags.userTags(try await QueryAPI.listTags(.rds, arn: arn, client: context.client)), recorded: recorded, into: &outputs)
        }
        return outputs
    }

    func update(id: String, prior: Inputs, inputs: Inputs, in context: ResourceContext) async throws {
        guard let group = try await describe(id, context) else {
            throw PluginError(.notFound, "DB parameter group \(id) does not exist", providerCode: "DBParameterGroupNotFound")
        }
        let actual = try await userParameters(id, context)
        let wanted = Self.parameters(inputs)
        try await modify(id, wanted.filter { actual[$0.name] != $0.value }, context)
        let removed = Set(actual.keys).subtracting(wanted.map(\.name)).sorted()
        if !removed.isEmpty {
            var params: QueryParameters = ["DBParameterGroupName": id]
            for (index, name) in removed.enumerated() {
                params["Parameters.Parameter.\(index + 1).ParameterName"] = name
                params["Parameters.Parameter.\(index + 1).ApplyMethod"] = "pending-reboot"
            }
            context.progress.report("resetting \(removed.joined(separator: ", ")) of \(id)")
            _ = try await context.client.query(service: .rds, action: "ResetDBParameterGroup", params: params)
        }
        if let arn = group.string("DBParameterGroupArn") {
            try await QueryAPI.updateTags(.rds, arn: arn, to: inputs.tags, client: context.client)
        }
    }

    func delete(id: String, in context: ResourceContext) async throws {
        context.progress.report("deleting DB parameter group \(id)")
        do {
            _ = try await context.client.query(service: .rds, action: "DeleteDBParameterGroup", params: ["DBParameterGroupName": id])
        } catch let error as AWSError where error.kind == .notFound {
            return
        } catch let error as AWSError where error.code == "InvalidDBParameterGroupState" {
            throw PluginError(.conflict, "DB parameter group \(id) is still used by a DB instance; point the instance at another group first", providerCode: error.code)
        }
    }

    func listAll(_ context: ResourceContext) async throws -> [(name: String, arn: String)] {
        try await QueryAPI.pages(.rds, action: "DescribeDBParameterGroups", listElement: "DBParameterGroups", client: context.client)
            .compactMap { group in
                guard let name = group.string("DBParameterGroupName"), let arn = group.string("DBParameterGroupArn"), !name.hasPrefix("default.") else { return nil }
                return (name, arn)
            }
    }

    func arn(of name: String, _ context: ResourceContext) async throws -> String? {
        try await describe(name, context)?.string("DBParameterGroupArn")
    }

    /// ModifyDBParameterGroup, 20 parameters a call (the API's limit).
    private func modify(_ name: String, _ parameters: [Parameter], _ context: ResourceContext) async throws {
        var start = 0
        while start < parameters.count {
            let chunk = parameters[start..<min(start + 20, parameters.count)]
            var params: QueryParameters = ["DBParameterGroupName": name]
            for (index, parameter) in chunk.enumerated() {
                params["Parameters.Parameter.\(index + 1).ParameterName"] = parameter.name
                params["Parameters.Parameter.\(index + 1).ParameterValue"] = parameter.value
                params["Parameters.Parameter.\(index + 1).ApplyMethod"] = parameter.applyMethod ?? "immediate"
            }
            context.progress.report("setting \(chunk.map(\.name).joined(separator: ", ")) in \(name)")
            _ = try await context.client.query(service: .rds, action: "ModifyDBParameterGroup", params: params)
            start += 20
        }
    }

    /// The parameters set on the group (Source=user): name → value.
    private func userParameters(_ name: String, _ context: ResourceContext) async throws -> [String: String] {
        var params: QueryParameters = ["DBParameterGroupName": name, "Source": "user"]
        params["MaxRecords"] = "100"
        let items = try await QueryAPI.pages(.rds, action: "DescribeDBParameters", params: params, listElement: "Parameters", client: context.client)
        var values: [String: String] = [:]
        for item in items {
            // moto answers every parameter it holds whatever the Source; keep the user's.
            if let source = item.string("Source"), source != "user" { continue }
            if let key = item.string("ParameterName"), let value = item.string("ParameterValue") { values[key] = value }
        }
        return values
    }

    private func describe(_ name: String, _ context: ResourceContext) async throws -> XMLTree? {
        do {
            let answer = try await context.client.query(service: .rds, action: "DescribeDBParameterGroups", params: ["DBParameterGroupName": name])
            return QueryAPI.result(answer, "DescribeDBParameterGroups").child("DBParameterGroups")?.children.first
        } catch let error as AWSError where error.kind == .notFound {
            return nil
        }
    }
}
