import StrataAWSKit
import StrataModel
import StrataPluginKit

/// `aws_db_instance`: an RDS PostgreSQL instance, or a read replica of one when
/// `replicateSourceDb` is set (one type for both, as Terraform has it: a replica is an
/// instance whose engine, user and password come from its source).
/// CreateDBInstance or CreateDBInstanceReadReplica / DescribeDBInstances / ModifyDBInstance
/// with ApplyImmediately / DeleteDBInstance with SkipFinalSnapshot. Every change waits for
/// the instance to be `available` again (DBInstanceWaiters); a delete waits until it is gone.
/// Its id is its identifier.
struct DBInstanceResource: NamedQueryResource {
    let type = "aws_db_instance"
    let service = AWSService.rds
    let nameAttribute = "identifier"
    static let engines = ["postgres"]

    var schema: ResourceSchema {
        ResourceSchema(
            description: "An RDS DB instance (PostgreSQL), or a read replica of one (replicateSourceDb). Destroying it skips the final snapshot.",
            attributes: [
                "identifier": .init(.string, .required, forcesReplacement: true, description: "Lower-case letters, digits and hyphens; a letter first; up to 63."),
                "replicateSourceDb": .init(.string, .optional, forcesReplacement: true, description: "Makes a read replica of this DB instance (identifier or ARN)."),
                "replicateSourceRegion": .init(.string, .optional, forcesReplacement: true, description: "The source's region for a cross-region replica of an unencrypted source named by identifier (the provider builds its ARN)."),
                "engine": .init(.string, .optionalComputed, forcesReplacement: true, description: "postgres (required unless a replica)."),
                "engineVersion": .init(.string, .optionalComputed, description: "e.g. 16.3; changes in place (a major upgrade is allowed)."),
                "instanceClass": .init(.string, .required, description: "db.<family>.<size>, e.g. db.t3.micro; changes in place."),
                "allocatedStorage": .init(.number, .optionalComputed, description: "GiB, 20 to 65536 (required unless a replica); grows in place."),
                "username": .init(.string, .optionalComputed, forcesReplacement: true, description: "The master user (required unless a replica)."),
                "password": .init(.string, .optional, secret: true, description: "The master password (required unless a replica); changes in place. AWS never shows it, so a read reports what the stack set."),
                "multiAz": .init(.bool, .optionalComputed, description: "A standby in another zone; changes in place."),
                "backupRetentionPeriod": .init(.number, .optionalComputed, description: "Days of automated backups, 0 to 35; changes in place."),
                "dbSubnetGroupName": .init(.string, .optionalComputed, forcesReplacement: true, description: "The DB subnet group (the VPC it lives in)."),
                "parameterGroupName": .init(.string, .optionalComputed, description: "The DB parameter group; changes in place."),
                "vpcSecurityGroupIds": .init(.list, .optionalComputed, description: "VPC security group ids; change in place."),
                "publiclyAccessible": .init(.bool, .optionalComputed, description: "Whether its endpoint resolves to a public address; changes in place."),
                "tags": CommonAttributes.tags,
                "id": .init(.string, .computed, description: "The identifier."),
                "arn": CommonAttributes.arn,
                "address": .init(.string, .computed, description: "The endpoint's host name."),
                "port": .init(.number, .computed, description: "The endpoint's port."),
                "endpoint": .init(.string, .computed, description: "address:port."),
                "status": .init(.string, .computed),
                "resourceId": .init(.string, .computed, description: "The DbiResourceId."),
            ],
            typicalCreateSeconds: 600)
    }

    func check(_ inputs: Inputs) -> [CheckProblem] {
        var problems: [CheckProblem] = []
        func problem(_ attribute: String, _ message: String) { problems.append(CheckProblem(attribute: attribute, message: message)) }
        if let id = inputs.string("identifier") {
            if let message = DataChecks.identifierProblem(id, what: "identifier") { problem("identifier", message) }
            else if id != id.lowercased() { problem("identifier", "identifier must be lower case (AWS stores it so): '\(id.lowercased())'") }
        }
        if let value = inputs.string("instanceClass"), let message = DataChecks.instanceClassProblem(value, prefix: "db") {
            problem("instanceClass", message)
        }
        if let engine = inputs.string("engine"), let bad = DataChecks.enumProblem(engine, allowed: Self.engines, attribute: "engine") {
            problems.append(bad)
        }
        if let version = inputs.string("engineVersion"), version.isEmpty || !version.allSatisfy({ $0.isNumber || $0 == "." }) {
            problem("engineVersion", "engineVersion must be a version such as 16.3 ('\(version)')")
        }
        if let bad = DataChecks.intProblem(inputs["allocatedStorage"], 20...65536, attribute: "allocatedStorage") { problems.append(bad) }
        if let bad = DataChecks.intProblem(inputs["backupRetentionPeriod"], 0...35, attribute: "backupRetentionPeriod") { problems.append(bad) }
        if let user = inputs.string("username") {
            let allowed = Set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_")
            if user.isEmpty || user.count > 63 || !(user.first?.isLetter ?? false) || !user.allSatisfy(allowed.contains) || user.lowercased() == "rdsadmin" {
                problem("username", "username must be 1 to 63 letters, digits or underscores, a letter first, and not rdsadmin")
            }
        }
        if let password = inputs["password"]?.revealed.stringValue {
            let printable = password.unicodeScalars.allSatisfy { $0.value > 32 && $0.value < 127 && !"/\"@".unicodeScalars.contains($0) }
            if password.count < 8 || password.count > 128 || !printable {
                problem("password", "password must be 8 to 128 printable ASCII characters other than /, \", @ and space")
            }
        }
        let replica = inputs["replicateSourceDb"] != nil
        if replica {
            for attribute in ["username", "password"] where inputs[attribute] != nil {
                problem(attribute, "a read replica takes its \(attribute) from its source; leave \(attribute) unset")
            }
        } else {
            for attribute in ["engine", "allocatedStorage", "username", "password"] where inputs[attribute] == nil {
                problem(attribute, "\(attribute) is required for a DB instance that is not a read replica")
            }
        }
        return problems
    }

    func create(_ inputs: Inputs, token: String, tags: [String: String], in context: ResourceContext) async throws -> String {
        let id = try inputs.require("identifier", for: type)
        var params: QueryParameters = ["DBInstanceIdentifier": id, "DBInstanceClass": try inputs.require("instanceClass", for: type)]
        let action: String
        if let source = inputs.string("replicateSourceDb") {
            action = "CreateDBInstanceReadReplica"
            params["SourceDBInstanceIdentifier"] = source
            if let region = inputs.string("replicateSourceRegion"), !source.hasPrefix("arn:") {
                // Cross-region: the source by ARN (account from STS).
                params["SourceDBInstanceIdentifier"] = "arn:\(context.partition):rds:\(region):\(try await APIGatewayV2.account(context)):db:\(source)"
            }
        } else {
            action = "CreateDBInstance"
            params["Engine"] = try inputs.require("engine", for: type)
            params["MasterUsername"] = try inputs.require("username", for: type)
            params["MasterUserPassword"] = inputs["password"]?.revealed.stringValue
            params["EngineVersion"] = inputs.string("engineVersion")
            params["BackupRetentionPeriod"] = inputs.int("backupRetentionPeriod").map(String.init)
        }
        params["AllocatedStorage"] = inputs.int("allocatedStorage").map(String.init)
        params["MultiAZ"] = inputs.bool("multiAz").map { $0 ? "true" : "false" }
        params["PubliclyAccessible"] = inputs.bool("publiclyAccessible").map { $0 ? "true" : "false" }
        params["DBSubnetGroupName"] = inputs.string("dbSubnetGroupName")
        params["DBParameterGroupName"] = inputs.string("parameterGroupName")
        if let groups = inputs.strings("vpcSecurityGroupIds") {
            QueryAPI.list(&params, "VpcSecurityGroupIds", member: "VpcSecurityGroupId", groups)
        }
        QueryAPI.tags(&params, tags)
        context.progress.report(action == "CreateDBInstance" ? "creating DB instance \(id)" : "creating read replica \(id) of \(params["SourceDBInstanceIdentifier"] ?? "?")")
        do {
            _ = try await context.client.query(service: .rds, action: action, params: params)
        } catch let error as AWSError where error.code == "DBInstanceAlreadyExists" {
            throw PluginError(.conflict, "a DB instance named \(id) already exists and was not made by this stack; choose another identifier, or adopt it with import", providerCode: error.code)
        }
        let instance = try await DBInstanceWaiters.available(id, context)
        // A replica gets its backup retention from a modify once it is there.
        if action == "CreateDBInstanceReadReplica", let days = inputs.int("backupRetentionPeriod"), QueryAPI.int(instance, "BackupRetentionPeriod") != days {
            try await modify(id, ["BackupRetentionPeriod": String(days)], context)
        }
        return id
    }

    func read(id: String, recorded: Inputs?, in context: ResourceContext) async throws -> [String: Value]? {
        guard let instance = try await Self.describe(id, context) else { return nil }
        let status = instance.string("DBInstanceStatus") ?? ""
        // An instance on its way out counts as gone (its identifier is free again soon).
        if status == "deleting" || status == "deleted" { return nil }
        let arn = instance.string("DBInstanceArn")
        let address = instance.string("Endpoint", "Address")
        let port = QueryAPI.int(instance, "Endpoint", "Port")
        let groups = instance.child("VpcSecurityGroups")?.children.compactMap { $0.string("VpcSecurityGroupId") } ?? []
        var outputs: [String: Value] = [
            "id": .string(id),
            "identifier": .string(instance.string("DBInstanceIdentifier") ?? id),
            "engine": Recorded.string(instance.string("Engine"), recorded: recorded?.string("engine")),
            "engineVersion": Recorded.version(instance.string("EngineVersion"), recorded: recorded?.string("engineVersion")),
            "instanceClass": Recorded.string(instance.string("DBInstanceClass"), recorded: recorded?.string("instanceClass")),
            "allocatedStorage": QueryAPI.int(instance, "AllocatedStorage").map { .number(Double($0)) } ?? .null,
            "username": instance.string("MasterUsername").map(Value.string) ?? .null,
            "multiAz": instance.bool("MultiAZ").map(Value.bool) ?? .null,
            "backupRetentionPeriod": QueryAPI.int(instance, "BackupRetentionPeriod").map { .number(Double($0)) } ?? .null,
            "dbSubnetGroupName": instance.string("DBSubnetGroup", "DBSubnetGroupName").map(Value.string) ?? .null,
            "parameterGroupName": instance.child("DBParameterGroups")?.children.first?.string("DBParameterGroupName").map(Value.string) ?? .null,
            "vpcSecurityGroupIds": Recorded.list(groups, recorded: recorded?.strings("vpcSecurityGroupIds")),
            "publiclyAccessible": instance.bool("PubliclyAccessible").map(Value.bool) ?? .null,
            "arn": arn.map(Value.string) ?? .null,
            "address": address.map(Value.string) ?? .null,
            "port": port.map { .number(Double($0)) } ?? .null,
            "endpoint": address.flatMap { a in port.map { .string("\(a):\($0)") } } ?? .null,
            "status": .string(status),
            "resourceId": instance.string("DbiResourceId").map(Value.string) ?? .null,
        ]
        if let source = instance.string("ReadReplicaSourceDBInstanceIdentifier"), !source.isEmpty {
            outputs["replicateSourceDb"] = Recorded.string(source, recorded: recorded?.string("replicateSourceDb"))
            // A cross-region source named by identifier and region reads back as its ARN.
            if let wanted = recorded?.string("replicateSourceDb"), let region = recorded?.string("replicateSourceRegion"),
                source.hasPrefix("arn:"), source.contains(":rds:\(region):"), source.hasSuffix(":db:\(wanted)")
            {
                outputs["replicateSourceDb"] = .string(wanted)
                outputs["replicateSourceRegion"] = .string(region)
            }
        } else if recorded?["replicateSourceDb"] != nil {
            outputs["replicateSourceDb"] = .null
        }
        // AWS never shows the password: the read reports what the stack set.
        if let password = recorded?["password"] { outputs["password"] = .secret(password.revealed) }
        if let arn {
            StrataTags.output(StrataTags.userTags(try await QueryAPI.listTags(.rds, arn: arn, client: context.client)), recorded: recorded, into: &outputs)
        }
        return outputs
    }

    /// One ModifyDBInstance (ApplyImmediately) with every in-place attribute that differs
    /// from what AWS has, then waits for `available`; then the tags.
    func update(id: String, prior: Inputs, inputs: Inputs, in context: ResourceContext) async throws {
        let instance = try await DBInstanceWaiters.available(id, context)
        var params: [String: String] = [:]
        if let value = inputs.string("instanceClass"), value != instance.string("DBInstanceClass") { params["DBInstanceClass"] = value }
        if let value = inputs.int("allocatedStorage"), value != QueryAPI.int(instance, "AllocatedStorage") { params["AllocatedStorage"] = String(value) }
        if let value = inputs.string("engineVersion"), !Recorded.versionMatches(instance.string("EngineVersion") ?? "", value) {
            params["EngineVersion"] = value
            if value.split(separator: ".").first != instance.string("EngineVersion")?.split(separator: ".").first { params["AllowMajorVersionUpgrade"] = "true" }
        }
        if let value = inputs.bool("multiAz"), value != instance.bool("MultiAZ") { params["MultiAZ"] = value ? "true" : "false" }
        if let value = inputs.int("backupRetentionPeriod"), value != QueryAPI.int(instance, "BackupRetentionPeriod") { params["BackupRetentionPeriod"] = String(value) }
        if let value = inputs.bool("publiclyAccessible"), value != instance.bool("PubliclyAccessible") { params["PubliclyAccessible"] = value ? "true" : "false" }
        if let value = inputs.string("parameterGroupName"), value != instance.child("DBParameterGroups")?.children.first?.string("DBParameterGroupName") {
            params["DBParameterGroupName"] = value
        }
        let groups = instance.child("VpcSecurityGroups")?.children.compactMap { $0.string("VpcSecurityGroupId") } ?? []
        if let value = inputs.strings("vpcSecurityGroupIds"), Set(value) != Set(groups) {
            for (index, group) in value.enumerated() { params["VpcSecurityGroupIds.VpcSecurityGroupId.\(index + 1)"] = group }
        }
        // The password cannot be read: compared with what the stack set before.
        if let value = inputs["password"]?.revealed.stringValue, value != prior["password"]?.revealed.stringValue { params["MasterUserPassword"] = value }
        if !params.isEmpty {
            try await modify(id, params, context)
        }
        if let arn = instance.string("DBInstanceArn") {
            try await QueryAPI.updateTags(.rds, arn: arn, to: inputs.tags, client: context.client)
        }
    }

    func delete(id: String, in context: ResourceContext) async throws {
        context.progress.report("deleting DB instance \(id) (no final snapshot)")
        let params: QueryParameters = ["DBInstanceIdentifier": id, "SkipFinalSnapshot": "true", "DeleteAutomatedBackups": "true"]
        do {
            _ = try await context.client.query(service: .rds, action: "DeleteDBInstance", params: params)
        } catch let error as AWSError where error.kind == .notFound {
            return
        } catch let error as AWSError where error.code == "InvalidDBInstanceState" || error.code == "InvalidDBInstanceStateFault" {
            // Being created or changed: wait until it settles, then delete. Already
            // being deleted: wait for that.
            if let instance = try await Self.describe(id, context), instance.string("DBInstanceStatus") != "deleting" {
                try await DBInstanceWaiters.available(id, context)
                _ = try await context.client.query(service: .rds, action: "DeleteDBInstance", params: params)
            }
        }
        try await DBInstanceWaiters.deleted(id, context)
    }

    func listAll(_ context: ResourceContext) async throws -> [(name: String, arn: String)] {
        try await QueryAPI.pages(.rds, action: "DescribeDBInstances", listElement: "DBInstances", client: context.client)
            .compactMap { instance in
                guard let name = instance.string("DBInstanceIdentifier"), let arn = instance.string("DBInstanceArn"),
                      !["deleting", "deleted"].contains(instance.string("DBInstanceStatus") ?? "") else { return nil }
                return (name, arn)
            }
    }

    func arn(of name: String, _ context: ResourceContext) async throws -> String? {
        guard let instance = try await Self.describe(name, context), instance.string("DBInstanceStatus") != "deleting" else { return nil }
        return instance.string("DBInstanceArn")
    }

    private func modify(_ id: String, _ changes: [String: String], _ context: ResourceContext) async throws {
        var params: QueryParameters = ["DBInstanceIdentifier": id, "ApplyImmediately": "true"]
        for (key, value) in changes { params[key] = value }
        // What changes, in the API's words: list members and flags folded, the password unnamed.
        let names = Set(changes.keys.compactMap { key -> String? in
            if key == "AllowMajorVersionUpgrade" { return nil }
            if key == "MasterUserPassword" { return "the password" }
            return key.split(separator: ".").first.map(String.init)
        })
        context.progress.report("changing \(names.sorted().joined(separator: ", ")) of DB instance \(id)")
        _ = try await context.client.query(service: .rds, action: "ModifyDBInstance", params: params)
        try await DBInstanceWaiters.available(id, context)
    }

    /// The instance's description; nil when AWS does not know it.
    static func describe(_ id: String, _ context: ResourceContext) async throws -> XMLTree? {
        do {
            let answer = try await context.client.query(service: .rds, action: "DescribeDBInstances", params: ["DBInstanceIdentifier": id])
            return QueryAPI.result(answer, "DescribeDBInstances").child("DBInstances")?.children.first
        } catch let error as AWSError where error.kind == .notFound {
            return nil
        }
    }
}
