import Foundation
import StrataAWSKit
import StrataModel
import StrataPluginKit

/// What the EFS types share (REST-JSON under `/2015-02-01/`): listings with `Marker` pages,
/// tags as `[{Key, Value}]` through `/resource-tags/{id}`, and waits for a state.
enum EFSAPI {
    static func call(_ method: String, _ path: [String], query: [HTTPRequest.QueryItem] = [], body: [String: Value]? = nil,
                     operation: String, _ context: ResourceContext) async throws -> [String: Value] {
        try await context.client.restJSON(service: .efs, method: method, path: ["2015-02-01"] + path, query: query, body: body, operation: operation).body
    }

    /// Every item of a listing (`Marker` in, `NextMarker` out); empty when the filter names
    /// something gone.
    static func list(_ path: [String], _ query: [HTTPRequest.QueryItem], key: String, operation: String, _ context: ResourceContext) async throws -> [[String: Value]] {
        do {
            return try await Paginator.collect { marker in
                let answer = try await call("GET", path, query: query + (marker.map { [.init("Marker", $0)] } ?? []), operation: operation, context)
                return ((answer[key]?.listValue ?? []).compactMap(\.mapValue), answer["NextMarker"]?.stringValue)
            }
        } catch let error as AWSError where error.kind == .notFound {
            return []
        }
    }

    static func tagList(_ tags: [String: String]) -> Value {
        .list(tags.keys.sorted().map { .map(["Key": .string($0), "Value": .string(tags[$0] ?? "")]) })
    }

    static func tags(_ object: [String: Value]) -> [String: String] {
        var out: [String: String] = [:]
        for tag in object["Tags"]?.listValue ?? [] { if let key = tag.mapValue?["Key"]?.stringValue { out[key] = tag.mapValue?["Value"]?.stringValue ?? "" } }
        return out
    }

    static func updateTags(_ id: String, old: [String: String], new: [String: String], _ context: ResourceContext) async throws {
        let old = StrataTags.userTags(old), new = StrataTags.userTags(new)
        let removed = old.keys.filter { new[$0] == nil }.sorted()
        if !removed.isEmpty {
            _ = try await call("DELETE", ["resource-tags", id], query: removed.map { .init("tagKeys", $0) }, operation: "UntagResource", context)
        }
        let changed = new.filter { old[$0.key] != $0.value }
        if !changed.isEmpty {
            _ = try await call("POST", ["resource-tags", id], body: ["Tags": tagList(changed)], operation: "TagResource", context)
        }
    }

    /// Waits until `describe` says `LifeCycleState` is `available` (or, for `gone`, nothing).
    static func wait(_ what: String, gone: Bool = false, _ context: ResourceContext, _ describe: @escaping @Sendable () async throws -> [String: Value]?) async throws {
        try await Waiter("\(what) to be \(gone ? "deleted" : "available")", timeout: 600, minDelay: 1, maxDelay: 10)
            .wait(progress: context.progress.report) { () async throws -> WaitState<Void> in
                let state = try await describe()?["LifeCycleState"]?.stringValue
                if gone { return state == nil || state == "deleted" ? .done(()) : .pending(state ?? "") }
                if state == "available" { return .done(()) }
                if state == "error" { throw PluginError(.fatal, "\(what) failed (state error)") }
                return .pending(state ?? "not visible yet")
            }
    }
}

/// `aws_efs_file_system`: CreateFileSystem (its CreationToken is the engine's token, so a
/// retried create finds the first) / DescribeFileSystems / UpdateFileSystem (throughput),
/// TagResource, UntagResource / DeleteFileSystem. Its id is the file system id. Encrypted
/// unless the stack says otherwise.
struct EFSFileSystemResource: AWSResource {
    let type = "aws_efs_file_system"
    static let throughputModes = ["bursting", "elastic", "provisioned"]

    var schema: ResourceSchema {
        ResourceSchema(
            description: "An EFS file system (shared NFS storage).",
            attributes: [
                "encrypted": .init(.bool, .optionalComputed, forcesReplacement: true, description: "Default true."),
                "kmsKeyId": .init(.string, .optional, forcesReplacement: true),
                "performanceMode": .init(.string, .optionalComputed, forcesReplacement: true, description: "generalPurpose (default) | maxIO."),
                "throughputMode": .init(.string, .optionalComputed, description: Self.throughputModes.joined(separator: " | ") + " (default bursting); changes in place."),
                "provisionedThroughputInMibps": .init(.number, .optional, description: "With throughputMode provisioned."),
                "tags": CommonAttributes.tags,
                "id": .init(.string, .computed, description: "The file system id."),
                "arn": CommonAttributes.arn,
                "dnsName": .init(.string, .computed),
            ],
            typicalCreateSeconds: 10)
    }

    func check(_ inputs: Inputs) -> [CheckProblem] {
        var problems: [CheckProblem] = []
        if let mode = inputs.string("performanceMode"), let bad = DataChecks.enumProblem(mode, allowed: ["generalPurpose", "maxIO"], attribute: "performanceMode") { problems.append(bad) }
        if let mode = inputs.string("throughputMode"), let bad = DataChecks.enumProblem(mode, allowed: Self.throughputModes, attribute: "throughputMode") { problems.append(bad) }
        if inputs.isKnown("throughputMode"), (inputs.string("throughputMode") == "provisioned") != (inputs["provisionedThroughputInMibps"] != nil) {
            problems.append(CheckProblem(attribute: "provisionedThroughputInMibps", message: "provisionedThroughputInMibps goes with throughputMode provisioned, and only with it"))
        }
        if inputs.bool("encrypted") == false, inputs["kmsKeyId"] != nil {
            problems.append(CheckProblem(attribute: "kmsKeyId", message: "a KMS key needs encrypted true"))
        }
        return problems
    }

    func create(_ inputs: Inputs, token: String, tags: [String: String], in context: ResourceContext) async throws -> String {
        var body: [String: Value] = [
            "CreationToken": .string(token), "Encrypted": .bool(inputs.bool("encrypted") ?? true),
            "PerformanceMode": .string(inputs.string("performanceMode") ?? "generalPurpose"),
            "ThroughputMode": .string(inputs.string("throughputMode") ?? "bursting"), "Tags": EFSAPI.tagList(tags),
        ]
        if let key = inputs.string("kmsKeyId") { body["KmsKeyId"] = .string(key) }
        if let mibps = inputs["provisionedThroughputInMibps"]?.numberValue { body["ProvisionedThroughputInMibps"] = .number(mibps) }
        context.progress.report("creating EFS file system")
        let answer = try await EFSAPI.call("POST", ["file-systems"], body: body, operation: "CreateFileSystem", context)
        guard let id = answer["FileSystemId"]?.stringValue else { throw PluginError(.fatal, "CreateFileSystem answered without a FileSystemId") }
        try await EFSAPI.wait("file system \(id)", context) { try await describe(id, context) }
        return id
    }

    func describe(_ id: String, _ context: ResourceContext) async throws -> [String: Value]? {
        try await EFSAPI.list(["file-systems"], [.init("FileSystemId", id)], key: "FileSystems", operation: "DescribeFileSystems", context).first
    }

    func read(id: String, recorded: Inputs?, in context: ResourceContext) async throws -> [String: Value]? {
        guard let fs = try await describe(id, context), !["deleting", "deleted"].contains(fs["LifeCycleState"]?.stringValue ?? "") else { return nil }
        var outputs: [String: Value] = [
            "id": .string(id), "arn": fs["FileSystemArn"] ?? .null, "encrypted": .bool(fs["Encrypted"]?.boolValue ?? false),
            "performanceMode": fs["PerformanceMode"] ?? .null, "throughputMode": fs["ThroughputMode"] ?? .string("bursting"),
            "dnsName": .string("\(id).efs.\(context.region).amazonaws.com"),
        ]
        if let key = fs["KmsKeyId"]?.stringValue, recorded?["kmsKeyId"] != nil || recorded == nil {
            // AWS reports the key's ARN; the stack's spelling when it names the same key.
            let wanted = recorded?.string("kmsKeyId")
            outputs["kmsKeyId"] = .string(wanted.map { key.hasSuffix($0) ? $0 : key } ?? key)
        }
        if let mibps = fs["ProvisionedThroughputInMibps"], mibps != .null, fs["ThroughputMode"]?.stringValue == "provisioned" { outputs["provisionedThroughputInMibps"] = mibps }
        StrataTags.output(StrataTags.userTags(EFSAPI.tags(fs)), recorded: recorded, into: &outputs)
        return outputs
    }

    func update(id: String, prior: Inputs, inputs: Inputs, in context: ResourceContext) async throws {
        guard let fs = try await describe(id, context) else {
            throw PluginError(.notFound, "file system \(id) does not exist", providerCode: "FileSystemNotFound")
        }
        let mode = inputs.string("throughputMode") ?? "bursting"
        let mibps = inputs["provisionedThroughputInMibps"]?.numberValue
        if mode != fs["ThroughputMode"]?.stringValue || (mibps != nil && mibps != fs["ProvisionedThroughputInMibps"]?.numberValue) {
            var body: [String: Value] = ["ThroughputMode": .string(mode)]
            if let mibps { body["ProvisionedThroughputInMibps"] = .number(mibps) }
            context.progress.report("changing the throughput of \(id) to \(mode)")
            _ = try await EFSAPI.call("PUT", ["file-systems", id], body: body, operation: "UpdateFileSystem", context)
        }
        try await EFSAPI.updateTags(id, old: EFSAPI.tags(fs), new: inputs.tags, context)
    }

    func delete(id: String, in context: ResourceContext) async throws {
        context.progress.report("deleting file system \(id)")
        do {
            _ = try await EFSAPI.call("DELETE", ["file-systems", id], operation: "DeleteFileSystem", context)
        } catch let error as AWSError where error.kind == .notFound {
            return
        }
        try await EFSAPI.wait("file system \(id)", gone: true, context) { try await describe(id, context) }
    }

    /// DescribeFileSystems by CreationToken (the engine's token).
    func find(token: String, inputs: Inputs, in context: ResourceContext) async throws -> String? {
        try await EFSAPI.list(["file-systems"], [.init("CreationToken", token)], key: "FileSystems", operation: "DescribeFileSystems", context)
            .first { !["deleting", "deleted"].contains($0["LifeCycleState"]?.stringValue ?? "") }?["FileSystemId"]?.stringValue
    }

    func discover(tags: [String: String], in context: ResourceContext) async throws -> [DiscoveredResource] {
        let candidates = try await EFSAPI.list(["file-systems"], [], key: "FileSystems", operation: "DescribeFileSystems", context).compactMap { fs -> (id: String, tags: [String: String])? in
            guard let id = fs["FileSystemId"]?.stringValue, Discovery.matches(EFSAPI.tags(fs), tags) else { return nil }
            return (id, EFSAPI.tags(fs))
        }
        return try await Discovery.read(self, candidates, in: context)
    }
}

/// `aws_efs_mount_target`: the file system's NFS endpoint in one subnet (one per availability
/// zone). CreateMountTarget / DescribeMountTargets + DescribeMountTargetSecurityGroups /
/// ModifyMountTargetSecurityGroups / DeleteMountTarget (waits until it is gone, so the file
/// system can go next). Its id is the mount target id. Mount targets cannot be tagged: one is
/// found by its file system and subnet, and `discover` finds none.
struct EFSMountTargetResource: AWSResource {
    let type = "aws_efs_mount_target"

    var schema: ResourceSchema {
        ResourceSchema(
            description: "An EFS mount target in a subnet.",
            attributes: [
                "fileSystemId": .init(.string, .required, forcesReplacement: true),
                "subnetId": .init(.string, .required, forcesReplacement: true),
                "securityGroups": .init(.list, .optionalComputed, description: "Security group ids (up to 5); change in place."),
                "id": .init(.string, .computed, description: "The mount target id."),
                "ipAddress": .init(.string, .computed),
                "availabilityZone": .init(.string, .computed),
            ],
            typicalCreateSeconds: 60)
    }

    func check(_ inputs: Inputs) -> [CheckProblem] {
        if let groups = inputs.strings("securityGroups"), groups.count > 5 {
            return [CheckProblem(attribute: "securityGroups", message: "a mount target takes at most 5 security groups")]
        }
        return []
    }

    func create(_ inputs: Inputs, token: String, tags: [String: String], in context: ResourceContext) async throws -> String {
        var body: [String: Value] = ["FileSystemId": .string(try inputs.require("fileSystemId", for: type)), "SubnetId": .string(try inputs.require("subnetId", for: type))]
        if let groups = inputs.strings("securityGroups") { body["SecurityGroups"] = .list(groups.map(Value.string)) }
        context.progress.report("creating a mount target of \(inputs.string("fileSystemId") ?? "") in \(inputs.string("subnetId") ?? "")")
        let answer = try await EFSAPI.call("POST", ["mount-targets"], body: body, operation: "CreateMountTarget", context)
        guard let id = answer["MountTargetId"]?.stringValue else { throw PluginError(.fatal, "CreateMountTarget answered without a MountTargetId") }
        try await EFSAPI.wait("mount target \(id)", context) { try await describe(id, context) }
        return id
    }

    func describe(_ id: String, _ context: ResourceContext) async throws -> [String: Value]? {
        try await EFSAPI.list(["mount-targets"], [.init("MountTargetId", id)], key: "MountTargets", operation: "DescribeMountTargets", context).first
    }

    func read(id: String, recorded: Inputs?, in context: ResourceContext) async throws -> [String: Value]? {
        guard let target = try await describe(id, context), !["deleting", "deleted"].contains(target["LifeCycleState"]?.stringValue ?? "") else { return nil }
        let groups = try await EFSAPI.call("GET", ["mount-targets", id, "security-groups"], operation: "DescribeMountTargetSecurityGroups", context)["SecurityGroups"]?
            .listValue?.compactMap(\.stringValue) ?? []
        return [
            "id": .string(id), "fileSystemId": target["FileSystemId"] ?? .null, "subnetId": target["SubnetId"] ?? .null,
            "ipAddress": target["IpAddress"] ?? .null, "availabilityZone": target["AvailabilityZoneName"] ?? .null,
            "securityGroups": OrderedList.value(groups, recorded: recorded?.strings("securityGroups")),
        ]
    }

    func update(id: String, prior: Inputs, inputs: Inputs, in context: ResourceContext) async throws {
        guard let groups = inputs.strings("securityGroups") else { return }
        context.progress.report("setting the security groups of \(id)")
        _ = try await EFSAPI.call("PUT", ["mount-targets", id, "security-groups"], body: ["SecurityGroups": .list(groups.map(Value.string))], operation: "ModifyMountTargetSecurityGroups", context)
    }

    func delete(id: String, in context: ResourceContext) async throws {
        context.progress.report("deleting mount target \(id)")
        do {
            _ = try await EFSAPI.call("DELETE", ["mount-targets", id], operation: "DeleteMountTarget", context)
        } catch let error as AWSError where error.kind == .notFound {
            return
        }
        try await EFSAPI.wait("mount target \(id)", gone: true, context) { try await describe(id, context) }
    }

    func find(token: String, inputs: Inputs, in context: ResourceContext) async throws -> String? {
        guard let fs = inputs.string("fileSystemId"), let subnet = inputs.string("subnetId") else { return nil }
        return try await EFSAPI.list(["mount-targets"], [.init("FileSystemId", fs)], key: "MountTargets", operation: "DescribeMountTargets", context)
            .first { $0["SubnetId"]?.stringValue == subnet && !["deleting", "deleted"].contains($0["LifeCycleState"]?.stringValue ?? "") }?["MountTargetId"]?.stringValue
    }

    func discover(tags: [String: String], in context: ResourceContext) async throws -> [DiscoveredResource] { [] }
}

/// `aws_efs_access_point`: an application's entry into a file system, as a fixed POSIX user
/// and root directory. CreateAccessPoint (its ClientToken derives from the engine's token) /
/// DescribeAccessPoints / TagResource, UntagResource / DeleteAccessPoint; everything but the
/// tags forces replacement. Its id is the access point id.
struct EFSAccessPointResource: AWSResource {
    let type = "aws_efs_access_point"

    var schema: ResourceSchema {
        ResourceSchema(
            description: "An EFS access point.",
            attributes: [
                "fileSystemId": .init(.string, .required, forcesReplacement: true),
                "posixUid": .init(.number, .optional, forcesReplacement: true),
                "posixGid": .init(.number, .optional, forcesReplacement: true),
                "rootPath": .init(.string, .optionalComputed, forcesReplacement: true, description: "Default /."),
                "rootOwnerUid": .init(.number, .optional, forcesReplacement: true, description: "Creates rootPath owned by this user if it is missing."),
                "rootOwnerGid": .init(.number, .optional, forcesReplacement: true),
                "rootPermissions": .init(.string, .optional, forcesReplacement: true, description: "Octal, e.g. 0755."),
                "tags": CommonAttributes.tags,
                "id": .init(.string, .computed, description: "The access point id."),
                "arn": CommonAttributes.arn,
            ],
            typicalCreateSeconds: 2)
    }

    func check(_ inputs: Inputs) -> [CheckProblem] {
        var problems: [CheckProblem] = []
        if inputs.isKnown("posixUid"), inputs.isKnown("posixGid"), (inputs["posixUid"] == nil) != (inputs["posixGid"] == nil) {
            problems.append(CheckProblem(attribute: "posixGid", message: "posixUid and posixGid go together"))
        }
        if let path = inputs.string("rootPath"), !path.hasPrefix("/") {
            problems.append(CheckProblem(attribute: "rootPath", message: "rootPath must start with / (not '\(path)')"))
        }
        if let permissions = inputs.string("rootPermissions"), !(3...4).contains(permissions.count) || !permissions.allSatisfy({ ("0"..."7").contains($0) }) {
            problems.append(CheckProblem(attribute: "rootPermissions", message: "rootPermissions must be octal such as 0755 (not '\(permissions)')"))
        }
        let owner = ["rootOwnerUid", "rootOwnerGid", "rootPermissions"].filter { inputs[$0] != nil }
        if !owner.isEmpty, owner.count != 3 {
            problems.append(CheckProblem(attribute: "rootPermissions", message: "rootOwnerUid, rootOwnerGid and rootPermissions go together"))
        }
        return problems
    }

    func create(_ inputs: Inputs, token: String, tags: [String: String], in context: ResourceContext) async throws -> String {
        var body: [String: Value] = [
            "ClientToken": .string(String(Digest.sha256Hex(Array("strata:\(token)".utf8)).prefix(64))),
            "FileSystemId": .string(try inputs.require("fileSystemId", for: type)), "Tags": EFSAPI.tagList(tags),
        ]
        if let uid = inputs.int("posixUid"), let gid = inputs.int("posixGid") {
            body["PosixUser"] = .map(["Uid": .number(Double(uid)), "Gid": .number(Double(gid))])
        }
        var root: [String: Value] = ["Path": .string(inputs.string("rootPath") ?? "/")]
        if let uid = inputs.int("rootOwnerUid"), let gid = inputs.int("rootOwnerGid"), let permissions = inputs.string("rootPermissions") {
            root["CreationInfo"] = .map(["OwnerUid": .number(Double(uid)), "OwnerGid": .number(Double(gid)), "Permissions": .string(permissions)])
        }
        body["RootDirectory"] = .map(root)
        context.progress.report("creating an access point of \(inputs.string("fileSystemId") ?? "")")
        let answer = try await EFSAPI.call("POST", ["access-points"], body: body, operation: "CreateAccessPoint", context)
        guard let id = answer["AccessPointId"]?.stringValue else { throw PluginError(.fatal, "CreateAccessPoint answered without an AccessPointId") }
        return id
    }

    func describe(_ id: String, _ context: ResourceContext) async throws -> [String: Value]? {
        try await EFSAPI.list(["access-points"], [.init("AccessPointId", id)], key: "AccessPoints", operation: "DescribeAccessPoints", context).first
    }

    func read(id: String, recorded: Inputs?, in context: ResourceContext) async throws -> [String: Value]? {
        guard let point = try await describe(id, context), !["deleting", "deleted"].contains(point["LifeCycleState"]?.stringValue ?? "") else { return nil }
        var outputs: [String: Value] = ["id": .string(id), "arn": point["AccessPointArn"] ?? .null, "fileSystemId": point["FileSystemId"] ?? .null]
        if let user = point["PosixUser"]?.mapValue {
            outputs["posixUid"] = user["Uid"] ?? .null
            outputs["posixGid"] = user["Gid"] ?? .null
        }
        let root = point["RootDirectory"]?.mapValue ?? [:]
        outputs["rootPath"] = root["Path"] ?? .string("/")
        if let info = root["CreationInfo"]?.mapValue {
            outputs["rootOwnerUid"] = info["OwnerUid"] ?? .null
            outputs["rootOwnerGid"] = info["OwnerGid"] ?? .null
            outputs["rootPermissions"] = info["Permissions"] ?? .null
        }
        StrataTags.output(StrataTags.userTags(EFSAPI.tags(point)), recorded: recorded, into: &outputs)
        return outputs
    }

    func update(id: String, prior: Inputs, inputs: Inputs, in context: ResourceContext) async throws {
        guard let point = try await describe(id, context) else {
            throw PluginError(.notFound, "access point \(id) does not exist", providerCode: "AccessPointNotFound")
        }
        try await EFSAPI.updateTags(id, old: EFSAPI.tags(point), new: inputs.tags, context)
    }

    func delete(id: String, in context: ResourceContext) async throws {
        do {
            _ = try await EFSAPI.call("DELETE", ["access-points", id], operation: "DeleteAccessPoint", context)
        } catch let error as AWSError where error.kind == .notFound {
            return
        }
    }

    func find(token: String, inputs: Inputs, in context: ResourceContext) async throws -> String? {
        guard let fs = inputs.string("fileSystemId") else { return nil }
        return try await EFSAPI.list(["access-points"], [.init("FileSystemId", fs)], key: "AccessPoints", operation: "DescribeAccessPoints", context)
            .first { EFSAPI.tags($0)[StrataTags.token] == token }?["AccessPointId"]?.stringValue
    }

    /// DescribeFileSystems, then DescribeAccessPoints of each.
    func discover(tags: [String: String], in context: ResourceContext) async throws -> [DiscoveredResource] {
        var candidates: [(id: String, tags: [String: String])] = []
        for fs in try await EFSAPI.list(["file-systems"], [], key: "FileSystems", operation: "DescribeFileSystems", context) {
            guard let fsId = fs["FileSystemId"]?.stringValue else { continue }
            for point in try await EFSAPI.list(["access-points"], [.init("FileSystemId", fsId)], key: "AccessPoints", operation: "DescribeAccessPoints", context) {
                guard let id = point["AccessPointId"]?.stringValue, Discovery.matches(EFSAPI.tags(point), tags) else { continue }
                candidates.append((id, EFSAPI.tags(point)))
            }
        }
        return try await Discovery.read(self, candidates, in: context)
    }
}
