import Foundation
import StrataAWSKit
import StrataModel
import StrataPluginKit

/// `aws_s3_bucket`: CreateBucket / HeadBucket + Get/PutBucketVersioning + Get/Put/DeleteBucketTagging / DeleteBucket,
/// and the settings of `S3BucketSettings` (encryption, lifecycle, CORS, public access block, policy).
struct S3BucketResource: AWSResource {
    let type = "aws_s3_bucket"
    static let namespace = "http://s3.amazonaws.com/doc/2006-03-01/"

    var schema: ResourceSchema {
        ResourceSchema(
            description: "An S3 bucket (general purpose). Destroying it never deletes objects: a bucket that is not empty stops the destroy.",
            attributes: S3BucketSettings.attributes.merging([
                "bucket": .init(.string, .required, forcesReplacement: true, description: "The globally unique name."),
                "versioning": .init(.bool, .optionalComputed, description: "Object versioning on (true) or suspended (false)."),
                "tags": CommonAttributes.tags,
                "id": CommonAttributes.id,
                "arn": CommonAttributes.arn,
                "region": .init(.string, .computed),
                "bucketDomainName": .init(.string, .computed, description: "`BUCKET.s3.amazonaws.com`, for CloudFront origins."),
            ]) { _, own in own },
            typicalCreateSeconds: 2)
    }

    func check(_ inputs: Inputs) -> [CheckProblem] {
        var problems = S3BucketSettings.problems(inputs)
        if let name = inputs.string("bucket"), let problem = NameRules.bucketNameProblem(name) {
            problems.insert(CheckProblem(attribute: "bucket", message: problem), at: 0)
        }
        return problems
    }

    func create(_ inputs: Inputs, token: String, tags: [String: String], in context: ResourceContext) async throws -> String {
        let bucket = try inputs.require("bucket", for: type)
        var body = Data()
        if context.region != "us-east-1" {
            body = XMLWriter.document(
                XMLTree(name: "CreateBucketConfiguration", children: [XMLTree(name: "LocationConstraint", text: context.region)]),
                namespace: Self.namespace)
        }
        context.progress.report("creating bucket \(bucket)")
        do {
            _ = try await context.client.restXML(method: "PUT", bucket: bucket, body: body, operation: "CreateBucket")
        } catch let error as AWSError where error.code == "BucketAlreadyOwnedByYou" || error.code == "BucketAlreadyExists" {
            let yours = error.code == "BucketAlreadyOwnedByYou"
            throw PluginError(
                .conflict,
                yours
                    ? "bucket \(bucket) already exists in this account and was not made by this stack; choose another name, or adopt it with import"
                    : "bucket \(bucket) already exists in another AWS account (names are global); choose another name",
                providerCode: error.code)
        }
        try await putTags(bucket, tags, context)
        if inputs.bool("versioning") == true { try await putVersioning(bucket, true, context) }
        try await S3BucketSettings.apply(bucket, inputs: inputs, current: [:], context)
        return bucket
    }

    func read(id: String, recorded: Inputs?, in context: ResourceContext) async throws -> [String: Value]? {
        do {
            _ = try await context.client.restXML(method: "HEAD", bucket: id, operation: "HeadBucket")
        } catch let error as AWSError where error.kind == .notFound {
            return nil
        }
        let versioning = try await context.client.restXML(method: "GET", bucket: id, query: [.init("versioning", "")], operation: "GetBucketVersioning")
        let location = try await context.client.restXML(method: "GET", bucket: id, query: [.init("location", "")], operation: "GetBucketLocation")
        let region = location.xml?.text.isEmpty == false ? (location.xml?.text ?? "us-east-1") : "us-east-1"
        var outputs: [String: Value] = [
            "id": .string(id),
            "bucket": .string(id),
            "arn": .string("arn:\(context.partition):s3:::\(id)"),
            "region": .string(region == "EU" ? "eu-west-1" : region),
            "versioning": .bool(versioning.xml?.string("Status") == "Enabled"),
            "bucketDomainName": .string("\(id).s3.\(context.partition == "aws-cn" ? "\(context.region).amazonaws.com.cn" : "amazonaws.com")"),
        ]
        StrataTags.output(StrataTags.userTags(try await getTags(id, context)), recorded: recorded, into: &outputs)
        try await S3BucketSettings.read(id, recorded: recorded, context, into: &outputs)
        return outputs
    }

    func update(id: String, prior: Inputs, inputs: Inputs, in context: ResourceContext) async throws {
        // Compared with what the bucket has now (not the recorded inputs): drift remediation
        // updates a bucket whose recorded and declared values agree.
        if let wanted = inputs.bool("versioning") {
            let versioning = try await context.client.restXML(method: "GET", bucket: id, query: [.init("versioning", "")], operation: "GetBucketVersioning")
            if (versioning.xml?.string("Status") == "Enabled") != wanted { try await putVersioning(id, wanted, context) }
        }
        let current = try await getTags(id, context)
        if StrataTags.userTags(inputs.tags) != StrataTags.userTags(current) {
            // S3 replaces the whole tag set: keep the strata:* tags it has.
            let strata = current.filter { $0.key.hasPrefix(StrataTags.prefix) }
            try await putTags(id, inputs.tags.merging(strata) { _, kept in kept }, context)
        }
        var settings: [String: Value] = [:]
        try await S3BucketSettings.read(id, recorded: inputs, context, into: &settings)
        try await S3BucketSettings.apply(id, inputs: inputs, current: settings, context)
    }

    func delete(id: String, in context: ResourceContext) async throws {
        context.progress.report("deleting bucket \(id)")
        do {
            _ = try await context.client.restXML(method: "DELETE", bucket: id, operation: "DeleteBucket")
        } catch let error as AWSError where error.kind == .notFound {
            return
        } catch let error as AWSError where error.code == "BucketNotEmpty" {
            throw PluginError(
                .conflict,
                "bucket \(id) is not empty, and Strata never deletes objects. Empty it first (`aws s3 rm s3://\(id) --recursive`; for a versioned bucket also delete every object version and delete marker), then destroy again.",
                providerCode: error.code)
        }
    }

    /// Bucket names are chosen by the stack: the bucket a create with this token made is the
    /// one of that name whose `strata:token` tag is the token.
    func find(token: String, inputs: Inputs, in context: ResourceContext) async throws -> String? {
        guard let bucket = inputs.string("bucket") else { return nil }
        do {
            _ = try await context.client.restXML(method: "HEAD", bucket: bucket, operation: "HeadBucket")
        } catch let error as AWSError where error.kind == .notFound || error.status == 403 {
            return nil
        }
        return try await getTags(bucket, context)[StrataTags.token] == token ? bucket : nil
    }

    func getTags(_ bucket: String, _ context: ResourceContext) async throws -> [String: String] {
        do {
            let answer = try await context.client.restXML(method: "GET", bucket: bucket, query: [.init("tagging", "")], operation: "GetBucketTagging")
            var tags: [String: String] = [:]
            for tag in answer.xml?.child("TagSet")?.all("Tag") ?? [] {
                if let key = tag.string("Key") { tags[key] = tag.string("Value") ?? "" }
            }
            return tags
        } catch let error as AWSError where error.code == "NoSuchTagSet" || error.code == "NoSuchTagSetError" {
            return [:]
        }
    }

    private func putTags(_ bucket: String, _ tags: [String: String], _ context: ResourceContext) async throws {
        if tags.isEmpty {
            _ = try await context.client.restXML(method: "DELETE", bucket: bucket, query: [.init("tagging", "")], operation: "DeleteBucketTagging")
            return
        }
        let set = tags.keys.sorted().map { key in
            XMLTree(name: "Tag", children: [XMLTree(name: "Key", text: key), XMLTree(name: "Value", text: tags[key] ?? "")])
        }
        let body = XMLWriter.document(XMLTree(name: "Tagging", children: [XMLTree(name: "TagSet", children: set)]), namespace: Self.namespace)
        _ = try await context.client.restXML(method: "PUT", bucket: bucket, query: [.init("tagging", "")], body: body, operation: "PutBucketTagging")
    }

    private func putVersioning(_ bucket: String, _ on: Bool, _ context: ResourceContext) async throws {
        context.progress.report("\(on ? "enabling" : "suspending") versioning of \(bucket)")
        let body = XMLWriter.document(
            XMLTree(name: "VersioningConfiguration", children: [XMLTree(name: "Status", text: on ? "Enabled" : "Suspended")]),
            namespace: Self.namespace)
        _ = try await context.client.restXML(method: "PUT", bucket: bucket, query: [.init("versioning", "")], body: body, operation: "PutBucketVersioning")
    }
}
