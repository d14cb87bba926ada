import StrataAWSKit
import StrataModel
import StrataPluginKit

/// `aws_kms_key`: CreateKey / DescribeKey + GetKeyRotationStatus + ListResourceTags /
/// UpdateKeyDescription, Enable- and DisableKeyRotation, TagResource, UntagResource /
/// ScheduleKeyDeletion (a key cannot be deleted at once: it waits `deletionWindowInDays`,
/// 7 by default, and a key pending deletion reads as gone). Its id is its key id.
struct KMSKeyResource: AWSResource {
    let type = "aws_kms_key"
    static let usages = ["ENCRYPT_DECRYPT", "SIGN_VERIFY", "GENERATE_VERIFY_MAC", "KEY_AGREEMENT"]
    static let goneStates: Set<String> = ["PendingDeletion", "PendingReplicaDeletion"]
    static let defaultWindow = 7

    var schema: ResourceSchema {
        ResourceSchema(
            description: "A KMS key. Destroying it schedules its deletion (after deletionWindowInDays); it reads as gone from then on.",
            attributes: [
                "description": .init(.string, .optionalComputed, description: "Changes in place."),
                "keyUsage": .init(.string, .optionalComputed, forcesReplacement: true, description: Self.usages.joined(separator: " | ") + " (default ENCRYPT_DECRYPT)."),
                "keySpec": .init(.string, .optionalComputed, forcesReplacement: true, description: "Default SYMMETRIC_DEFAULT."),
                "enableKeyRotation": .init(.bool, .optionalComputed, description: "Yearly automatic rotation (symmetric keys); changes in place."),
                "deletionWindowInDays": .init(.number, .optionalComputed, description: "7 to 30 (default 7): the days between destroy and the key's deletion. Strata's: AWS keeps none until a deletion is scheduled."),
                "tags": CommonAttributes.tags,
                "id": .init(.string, .computed, description: "The key id."),
                "keyId": .init(.string, .computed),
                "arn": CommonAttributes.arn,
                "keyState": .init(.string, .computed),
            ],
            typicalCreateSeconds: 2)
    }

    func check(_ inputs: Inputs) -> [CheckProblem] {
        var problems: [CheckProblem] = []
        if let usage = inputs.string("keyUsage"), let bad = DataChecks.enumProblem(usage, allowed: Self.usages, attribute: "keyUsage") { problems.append(bad) }
        if let bad = DataChecks.intProblem(inputs["deletionWindowInDays"], 7...30, attribute: "deletionWindowInDays") { problems.append(bad) }
        if let description = inputs.string("description"), description.count > 8192 {
            problems.append(CheckProblem(attribute: "description", message: "description must be at most 8192 characters"))
        }
        if inputs.bool("enableKeyRotation") == true, let spec = inputs.string("keySpec"), spec != "SYMMETRIC_DEFAULT" {
            problems.append(CheckProblem(attribute: "enableKeyRotation", message: "only symmetric keys (keySpec SYMMETRIC_DEFAULT) rotate automatically"))
        }
        return problems
    }

    func create(_ inputs: Inputs, token: String, tags: [String: String], in context: ResourceContext) async throws -> String {
        var body: [String: Value] = [
            "Tags": .list(tags.keys.sorted().map { .map(["TagKey": .string($0), "TagValue": .string(tags[$0] ?? "")]) }),
        ]
        if let description = inputs.string("description") { body["Description"] = .string(description) }
        if let usage = inputs.string("keyUsage") { body["KeyUsage"] = .string(usage) }
        if let spec = inputs.string("keySpec") { body["KeySpec"] = .string(spec) }
        context.progress.report("creating KMS key")
        let answer = try await context.client.json(service: .kms, target: "CreateKey", body: body)
        guard let id = answer["KeyMetadata"]?.mapValue?["KeyId"]?.stringValue else {
            throw PluginError(.fatal, "CreateKey answered without a KeyId")
        }
        if inputs.bool("enableKeyRotation") == true {
            _ = try await context.client.json(service: .kms, target: "EnableKeyRotation", body: ["KeyId": .string(id)])
        }
        return id
    }

    func read(id: String, recorded: Inputs?, in context: ResourceContext) async throws -> [String: Value]? {
        guard let key = try await describe(id, context) else { return nil }
        let state = key["KeyState"]?.stringValue ?? ""
        if Self.goneStates.contains(state) { return nil }
        var outputs: [String: Value] = [
            "id": .string(id),
            "keyId": key["KeyId"] ?? .string(id),
            "arn": key["Arn"] ?? .null,
            "description": key["Description"] ?? .string(""),
            "keyUsage": key["KeyUsage"] ?? .null,
            "keySpec": key["KeySpec"] ?? key["CustomerMasterKeySpec"] ?? .null,
            "keyState": .string(state),
            "enableKeyRotation": .bool(try await rotationEnabled(id, context)),
        ]
        // AWS keeps no deletion window until a deletion is scheduled: the stack's stands
        // (the default on import).
        outputs["deletionWindowInDays"] = recorded?["deletionWindowInDays"] ?? .number(Double(Self.defaultWindow))
        StrataTags.output(StrataTags.userTags(try await tags(id, context)), recorded: recorded, into: &outputs)
        return outputs
    }

    func update(id: String, prior: Inputs, inputs: Inputs, in context: ResourceContext) async throws {
        guard let current = try await read(id: id, recorded: nil, in: context).map(Inputs.init) else {
            throw PluginError(.notFound, "KMS key \(id) does not exist or is pending deletion", providerCode: "NotFoundException")
        }
        if let description = inputs.string("description"), description != current.string("description") {
            context.progress.report("changing the description of KMS key \(id)")
            _ = try await context.client.json(service: .kms, target: "UpdateKeyDescription", body: ["KeyId": .string(id), "Description": .string(description)])
        }
        if let rotation = inputs.bool("enableKeyRotation"), rotation != current.bool("enableKeyRotation") {
            context.progress.report("\(rotation ? "enabling" : "disabling") rotation of KMS key \(id)")
            _ = try await context.client.json(service: .kms, target: rotation ? "EnableKeyRotation" : "DisableKeyRotation", body: ["KeyId": .string(id)])
        }
        let old = StrataTags.userTags(try await tags(id, context)), new = StrataTags.userTags(inputs.tags)
        let removed = old.keys.filter { new[$0] == nil }.sorted()
        if !removed.isEmpty {
            _ = try await context.client.json(service: .kms, target: "UntagResource", body: ["KeyId": .string(id), "TagKeys": .list(removed.map(Value.string))])
        }
        let changed = new.filter { old[$0.key] != $0.value }
        if !changed.isEmpty {
            _ = try await context.client.json(service: .kms, target: "TagResource", body: [
                "KeyId": .string(id),
                "Tags": .list(changed.keys.sorted().map { .map(["TagKey": .string($0), "TagValue": .string(changed[$0] ?? "")]) }),
            ])
        }
    }

    func delete(id: String, in context: ResourceContext) async throws {
        try await delete(id: id, inputs: Inputs([:]), in: context)
    }

    /// ScheduleKeyDeletion with the stack's window; a key already pending deletion is done.
    func delete(id: String, inputs: Inputs, in context: ResourceContext) async throws {
        let days = inputs.int("deletionWindowInDays") ?? Self.defaultWindow
        context.progress.report("scheduling deletion of KMS key \(id) in \(days) days")
        do {
            _ = try await context.client.json(service: .kms, target: "ScheduleKeyDeletion", body: [
                "KeyId": .string(id), "PendingWindowInDays": .number(Double(days)),
            ])
        } catch let error as AWSError where error.kind == .notFound {
            return
        } catch let error as AWSError where error.code == "KMSInvalidStateException" {
            if let key = try await describe(id, context), Self.goneStates.contains(key["KeyState"]?.stringValue ?? "") { return }
            throw error
        }
    }

    /// ListKeys, then ListResourceTags of each: the one with the token (not pending deletion).
    func find(token: String, inputs: Inputs, in context: ResourceContext) async throws -> String? {
        for (id, tags) in try await taggedKeys(context) where tags[StrataTags.token] == token {
            if let key = try await describe(id, context), !Self.goneStates.contains(key["KeyState"]?.stringValue ?? "") { return id }
        }
        return nil
    }

    func discover(tags: [String: String], in context: ResourceContext) async throws -> [DiscoveredResource] {
        let candidates = try await taggedKeys(context).filter { Discovery.matches($0.tags, tags) }
        return try await Discovery.read(self, candidates.map { (id: $0.id, tags: $0.tags) }, in: context)
    }

    /// Every key of the account and region with its tags (keys whose tags cannot be listed,
    /// such as AWS managed ones, are left out).
    private func taggedKeys(_ context: ResourceContext) async throws -> [(id: String, tags: [String: String])] {
        let keys = try await Paginator.collect { marker -> (items: [Value], next: String?) in
            var body: [String: Value] = [:]
            if let marker { body["Marker"] = .string(marker) }
            let answer = try await context.client.json(service: .kms, target: "ListKeys", body: body)
            return (answer["Keys"]?.listValue ?? [], answer["Truncated"]?.boolValue == true ? answer["NextMarker"]?.stringValue : nil)
        }
        var out: [(id: String, tags: [String: String])] = []
        for key in keys {
            guard let id = key.mapValue?["KeyId"]?.stringValue else { continue }
            do {
                out.append((id, try await tags(id, context)))
            } catch let error as AWSError where error.kind == .notFound || error.kind == .fatal {
                continue
            }
        }
        return out
    }

    private func tags(_ id: String, _ context: ResourceContext) async throws -> [String: String] {
        let items = try await Paginator.collect { marker -> (items: [Value], next: String?) in
            var body: [String: Value] = ["KeyId": .string(id)]
            if let marker { body["Marker"] = .string(marker) }
            let answer = try await context.client.json(service: .kms, target: "ListResourceTags", body: body)
            return (answer["Tags"]?.listValue ?? [], answer["Truncated"]?.boolValue == true ? answer["NextMarker"]?.stringValue : nil)
        }
        var tags: [String: String] = [:]
        for item in items {
            if let key = item.mapValue?["TagKey"]?.stringValue { tags[key] = item.mapValue?["TagValue"]?.stringValue ?? "" }
        }
        return tags
    }

    private func rotationEnabled(_ id: String, _ context: ResourceContext) async throws -> Bool {
        do {
            let answer = try await context.client.json(service: .kms, target: "GetKeyRotationStatus", body: ["KeyId": .string(id)])
            return answer["KeyRotationEnabled"]?.boolValue ?? false
        } catch let error as AWSError where error.code == "UnsupportedOperationException" {
            return false  // asymmetric and HMAC keys do not rotate
        }
    }

    /// DescribeKey's KeyMetadata; nil when AWS does not know the key.
    func describe(_ id: String, _ context: ResourceContext) async throws -> [String: Value]? {
        do {
            return try await context.client.json(service: .kms, target: "DescribeKey", body: ["KeyId": .string(id)])["KeyMetadata"]?.mapValue
        } catch let error as AWSError where error.kind == .notFound {
            return nil
        }
    }
}
