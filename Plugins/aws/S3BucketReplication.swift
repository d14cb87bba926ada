import Foundation
import StrataAWSKit
import StrataModel
import StrataPluginKit

/// `aws_s3_bucket_replication`: a bucket's replication of every new object to a bucket in
/// another region (or account), through a role S3 assumes. PutBucketReplication (create and
/// every change) / GetBucketReplication / DeleteBucketReplication. Both buckets must have
/// versioning on. Its id is the source bucket's name. A replication configuration cannot be
/// tagged: a bucket's configuration is found by the bucket, and `discover` finds none.
struct S3BucketReplicationResource: AWSResource {
    let type = "aws_s3_bucket_replication"
    static let storageClasses = ["STANDARD", "STANDARD_IA", "ONEZONE_IA", "INTELLIGENT_TIERING", "GLACIER", "GLACIER_IR", "DEEP_ARCHIVE", "REDUCED_REDUNDANCY"]

    var schema: ResourceSchema {
        ResourceSchema(
            description: "Replication of a bucket's objects to another bucket (one rule: every object).",
            attributes: [
                "bucket": .init(.string, .required, forcesReplacement: true, description: "The source bucket (versioned)."),
                "role": .init(.string, .required, description: "An IAM role ARN S3 assumes; changes in place."),
                "destinationBucket": .init(.string, .required, description: "The destination bucket's name or ARN (versioned, usually in another region); changes in place."),
                "storageClass": .init(.string, .optional, description: "The replicas' storage class; changes in place."),
                "ruleId": .init(.string, .optionalComputed, description: "Default replicate-all."),
                "id": .init(.string, .computed, description: "The source bucket's name."),
            ],
            typicalCreateSeconds: 1)
    }

    func check(_ inputs: Inputs) -> [CheckProblem] {
        var problems: [CheckProblem] = []
        if let role = inputs.string("role"), !role.contains(":iam::") || !role.contains(":role/") {
            problems.append(CheckProblem(attribute: "role", message: "role must be an IAM role ARN (not '\(role)')"))
        }
        if let storage = inputs.string("storageClass"), let bad = DataChecks.enumProblem(storage, allowed: Self.storageClasses, attribute: "storageClass") { problems.append(bad) }
        if let source = inputs.string("bucket"), let destination = inputs.string("destinationBucket"), Self.arn(destination) == Self.arn(source) {
            problems.append(CheckProblem(attribute: "destinationBucket", message: "a bucket cannot replicate to itself"))
        }
        return problems
    }

    /// `name` or `arn:aws:s3:::name` → the ARN.
    static func arn(_ bucket: String, partition: String = "aws") -> String {
        bucket.hasPrefix("arn:") ? bucket : "arn:\(partition):s3:::\(bucket)"
    }

    func configuration(_ inputs: Inputs, _ context: ResourceContext) -> XMLTree {
        var destination = [XMLTree(name: "Bucket", text: Self.arn(inputs.string("destinationBucket") ?? "", partition: context.partition))]
        if let storage = inputs.string("storageClass") { destination.append(XMLTree(name: "StorageClass", text: storage)) }
        let rule = XMLTree(name: "Rule", children: [
            XMLTree(name: "ID", text: inputs.string("ruleId") ?? "replicate-all"),
            XMLTree(name: "Priority", text: "1"),
            XMLTree(name: "Status", text: "Enabled"),
            XMLTree(name: "DeleteMarkerReplication", children: [XMLTree(name: "Status", text: "Disabled")]),
            XMLTree(name: "Filter", children: [XMLTree(name: "Prefix", text: "")]),
            XMLTree(name: "Destination", children: destination),
        ])
        return XMLTree(name: "ReplicationConfiguration", children: [XMLTree(name: "Role", text: inputs.string("role") ?? ""), rule])
    }

    func put(_ inputs: Inputs, _ context: ResourceContext) async throws {
        let bucket = try inputs.require("bucket", for: type)
        context.progress.report("replicating \(bucket) to \(inputs.string("destinationBucket") ?? "")")
        do {
            try await S3BucketSettings.put(bucket, "replication", configuration(inputs, context), context)
        } catch let error as AWSError where error.code == "InvalidRequest" && error.message.lowercased().contains("versioning") {
            throw PluginError(.invalid, "\(bucket): replication needs versioning on both buckets (versioning: true)", providerCode: error.code)
        }
    }

    func create(_ inputs: Inputs, token: String, tags: [String: String], in context: ResourceContext) async throws -> String {
        try await put(inputs, context)
        return try inputs.require("bucket", for: type)
    }

    func read(id: String, recorded: Inputs?, in context: ResourceContext) async throws -> [String: Value]? {
        let tree: XMLTree?
        do {
            tree = try await S3BucketSettings.get(id, "replication", context)
        } catch let error as AWSError where error.code == "ReplicationConfigurationNotFoundError" || error.code == "NoSuchBucket" {
            return nil
        }
        guard let tree, let rule = tree.child("Rule") else { return nil }
        let destination = rule.string("Destination", "Bucket") ?? ""
        var outputs: [String: Value] = ["id": .string(id), "bucket": .string(id), "role": tree.string("Role").map(Value.string) ?? .null,
                                        "ruleId": rule.string("ID").map(Value.string) ?? .null]
        // The stack's spelling (a name or an ARN) when it names the same bucket; on import the name.
        let prefix = "arn:\(context.partition):s3:::"
        let wanted = recorded?.string("destinationBucket") ?? (destination.hasPrefix(prefix) ? String(destination.dropFirst(prefix.count)) : destination)
        outputs["destinationBucket"] = .string(Self.arn(wanted, partition: context.partition) == destination ? wanted : destination)
        if let storage = rule.string("Destination", "StorageClass") { outputs["storageClass"] = .string(storage) }
        return outputs
    }

    func update(id: String, prior: Inputs, inputs: Inputs, in context: ResourceContext) async throws {
        try await put(inputs, context)
    }

    func delete(id: String, in context: ResourceContext) async throws {
        context.progress.report("stopping the replication of \(id)")
        do {
            _ = try await S3BucketSettings.send(id, "DELETE", "replication", operation: "DeleteBucketReplication", context)
        } catch let error as AWSError where error.kind == .notFound {
            return
        }
    }

    func find(token: String, inputs: Inputs, in context: ResourceContext) async throws -> String? {
        guard let bucket = inputs.string("bucket") else { return nil }
        return try await read(id: bucket, recorded: inputs, in: context) == nil ? nil : bucket
    }

    func discover(tags: [String: String], in context: ResourceContext) async throws -> [DiscoveredResource] { [] }
}
