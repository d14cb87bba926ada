import Foundation
import StrataAWSKit
import StrataModel
import StrataPluginKit

/// The bucket settings `aws_s3_bucket` manages besides versioning and tags: default
/// encryption, lifecycle rules, CORS rules, the public access block and the bucket policy.
/// Each is read back in the stack's spelling and put (or deleted) in place.
enum S3BucketSettings {
    static let namespace = S3BucketResource.namespace

    /// The attributes, for the schema.
    static let attributes: [String: AttributeSchema] = [
        "serverSideEncryption": .init(.map, .optionalComputed, description: "Default encryption: {algorithm: AES256 | aws:kms, kmsKeyId}."),
        "lifecycleRules": .init(.list, .optional, description: "[{id, prefix, enabled, expirationDays, noncurrentVersionExpirationDays}]."),
        "corsRules": .init(.list, .optional, description: "[{allowedMethods, allowedOrigins, allowedHeaders, exposeHeaders, maxAgeSeconds}]."),
        "publicAccessBlock": .init(.map, .optionalComputed, description: "{blockPublicAcls, ignorePublicAcls, blockPublicPolicy, restrictPublicBuckets} (false unless set)."),
        "policy": .init(.string, .optional, description: "The bucket policy (JSON), compared by meaning."),
    ]

    static let accessFlags = ["blockPublicAcls", "ignorePublicAcls", "blockPublicPolicy", "restrictPublicBuckets"]
    static let methods = ["GET", "PUT", "POST", "DELETE", "HEAD"]

    // MARK: Check

    static func problems(_ inputs: Inputs) -> [CheckProblem] {
        var problems: [CheckProblem] = []
        func problem(_ attribute: String, _ message: String) { problems.append(CheckProblem(attribute: attribute, message: message)) }
        if let sse = inputs["serverSideEncryption"]?.revealed.mapValue {
            let algorithm = sse["algorithm"]?.stringValue
            if sse["algorithm"]?.isKnown != false, algorithm != "AES256", algorithm != "aws:kms" {
                problem("serverSideEncryption", "serverSideEncryption.algorithm must be AES256 or aws:kms, not \(algorithm.map { "'\($0)'" } ?? "missing")")
            }
            if algorithm == "AES256", sse["kmsKeyId"] != nil, sse["kmsKeyId"] != .null {
                problem("serverSideEncryption", "serverSideEncryption.kmsKeyId goes only with algorithm aws:kms")
            }
        }
        for (index, rule) in (inputs.list("lifecycleRules") ?? []).enumerated() {
            guard let fields = rule.mapValue else { problem("lifecycleRules", "lifecycleRules[\(index)] must be a map"); continue }
            if fields["id"]?.stringValue?.isEmpty != false && fields["id"]?.isKnown != false {
                problem("lifecycleRules", "lifecycleRules[\(index)] needs an 'id' (S3 would name it at random)")
            }
            if fields["expirationDays"] == nil && fields["noncurrentVersionExpirationDays"] == nil {
                problem("lifecycleRules", "lifecycleRules[\(index)] needs expirationDays or noncurrentVersionExpirationDays")
            }
            for key in ["expirationDays", "noncurrentVersionExpirationDays"] {
                if let days = fields[key]?.numberValue, days < 1 || days != days.rounded() {
                    problem("lifecycleRules", "lifecycleRules[\(index)].\(key) must be a whole number of days from 1")
                }
            }
        }
        for (index, rule) in (inputs.list("corsRules") ?? []).enumerated() {
            guard let fields = rule.mapValue else { problem("corsRules", "corsRules[\(index)] must be a map"); continue }
            let ruleMethods = fields["allowedMethods"]?.listValue?.compactMap(\.stringValue) ?? []
            if ruleMethods.isEmpty { problem("corsRules", "corsRules[\(index)] needs allowedMethods") }
            for method in ruleMethods where !methods.contains(method) {
                problem("corsRules", "corsRules[\(index)]: '\(method)' is not a CORS method (\(methods.joined(separator: ", ")))")
            }
            if fields["allowedOrigins"]?.listValue?.isEmpty != false { problem("corsRules", "corsRules[\(index)] needs allowedOrigins") }
        }
        if let block = inputs["publicAccessBlock"]?.revealed.mapValue {
            for key in block.keys.sorted() where !accessFlags.contains(key) {
                problem("publicAccessBlock", "publicAccessBlock has no flag '\(key)' (known: \(accessFlags.joined(separator: ", ")))")
            }
        }
        if let policy = inputs.string("policy"), let why = PolicyDocument.problem(policy) {
            problem("policy", "policy \(why)")
        }
        return problems
    }

    // MARK: Read

    /// The settings as a read reports them, in the stack's spelling.
    static func read(_ bucket: String, recorded: Inputs?, _ context: ResourceContext, into outputs: inout [String: Value]) async throws {
        if let sse = try await get(bucket, "encryption", context)?.find("ApplyServerSideEncryptionByDefault") {
            var map: [String: Value] = ["algorithm": .string(sse.string("SSEAlgorithm") ?? "AES256")]
            if let key = sse.string("KMSMasterKeyID"), !key.isEmpty { map["kmsKeyId"] = .string(key) }
            outputs["serverSideEncryption"] = .map(map)
        }
        let recordedRules = recorded?.list("lifecycleRules") ?? []
        let rules = try await get(bucket, "lifecycle", context)?.all("Rule") ?? []
        if !rules.isEmpty || recorded?["lifecycleRules"] != nil {
            outputs["lifecycleRules"] = .list(rules.enumerated().map { index, rule in
                let declared = index < recordedRules.count ? recordedRules[index].mapValue ?? [:] : [:]
                var map: [String: Value] = ["id": .string(rule.string("ID") ?? "")]
                let prefix = rule.string("Filter", "Prefix") ?? rule.string("Prefix") ?? ""
                if !prefix.isEmpty || declared["prefix"] != nil { map["prefix"] = .string(prefix) }
                let enabled = rule.string("Status") == "Enabled"
                if !enabled || declared["enabled"] != nil { map["enabled"] = .bool(enabled) }
                if let days = rule.string("Expiration", "Days").flatMap(Double.init) { map["expirationDays"] = .number(days) }
                if let days = rule.string("NoncurrentVersionExpiration", "NoncurrentDays").flatMap(Double.init) {
                    map["noncurrentVersionExpirationDays"] = .number(days)
                }
                return .map(map)
            })
        }
        let recordedCORS = recorded?.list("corsRules") ?? []
        let cors = try await get(bucket, "cors", context)?.all("CORSRule") ?? []
        if !cors.isEmpty || recorded?["corsRules"] != nil {
            outputs["corsRules"] = .list(cors.enumerated().map { index, rule in
                let declared = index < recordedCORS.count ? recordedCORS[index].mapValue ?? [:] : [:]
                var map: [String: Value] = [
                    "allowedMethods": .list(rule.all("AllowedMethod").map { .string($0.text) }),
                    "allowedOrigins": .list(rule.all("AllowedOrigin").map { .string($0.text) }),
                ]
                for (key, element) in [("allowedHeaders", "AllowedHeader"), ("exposeHeaders", "ExposeHeader")] {
                    let values = rule.all(element).map { Value.string($0.text) }
                    if !values.isEmpty || declared[key] != nil { map[key] = .list(values) }
                }
                if let age = rule.string("MaxAgeSeconds").flatMap(Double.init) { map["maxAgeSeconds"] = .number(age) }
                return .map(map)
            })
        }
        if let block = try await get(bucket, "publicAccessBlock", context) {
            let declared = recorded?["publicAccessBlock"]?.revealed.mapValue ?? [:]
            var map: [String: Value] = [:]
            for flag in accessFlags {
                let element = flag.prefix(1).uppercased() + flag.dropFirst()
                let on = block.bool(element) ?? false
                if on || declared[flag] != nil { map[flag] = .bool(on) }
            }
            if !map.isEmpty || recorded?["publicAccessBlock"] != nil { outputs["publicAccessBlock"] = .map(map) }
        }
        if let policy = try await getPolicy(bucket, context) {
            outputs["policy"] = .string(PolicyDocument.reported(actual: policy, recorded: recorded?.string("policy")))
        }
    }

    // MARK: Write

    /// Puts what `inputs` declare where it differs from `current` (a read's outputs); deletes
    /// what the stack dropped (the optional settings only).
    static func apply(_ bucket: String, inputs: Inputs, current: [String: Value], _ context: ResourceContext) async throws {
        // As the stack would be read back, so equal settings compare equal.
        func differs(_ key: String) -> Bool { (inputs[key]?.revealed ?? .null) != (current[key] ?? .null) }
        if let sse = inputs["serverSideEncryption"]?.revealed.mapValue, differs("serverSideEncryption") {
            var children = [XMLTree(name: "SSEAlgorithm", text: sse["algorithm"]?.stringValue ?? "AES256")]
            if let key = sse["kmsKeyId"]?.stringValue { children.append(XMLTree(name: "KMSMasterKeyID", text: key)) }
            context.progress.report("setting the default encryption of \(bucket)")
            try await put(bucket, "encryption", XMLTree(name: "ServerSideEncryptionConfiguration", children: [
                XMLTree(name: "Rule", children: [XMLTree(name: "ApplyServerSideEncryptionByDefault", children: children)]),
            ]), context)
        }
        if let block = inputs["publicAccessBlock"]?.revealed.mapValue, differs("publicAccessBlock") {
            context.progress.report("setting the public access block of \(bucket)")
            try await put(bucket, "publicAccessBlock", XMLTree(name: "PublicAccessBlockConfiguration", children: accessFlags.map { flag in
                XMLTree(name: flag.prefix(1).uppercased() + flag.dropFirst(), text: block[flag]?.boolValue == true ? "true" : "false")
            }), context)
        }
        if differs("policy") && !PolicyDocument.equivalent(inputs.string("policy"), current["policy"]?.stringValue) {
            if let policy = inputs.string("policy") {
                context.progress.report("putting the policy of \(bucket)")
                _ = try await send(bucket, "PUT", "policy", body: Data(policy.utf8), contentType: "application/json", operation: "PutBucketPolicy", context)
            } else {
                context.progress.report("deleting the policy of \(bucket)")
                _ = try await send(bucket, "DELETE", "policy", operation: "DeleteBucketPolicy", context)
            }
        }
        if differs("corsRules") {
            let rules = inputs.list("corsRules") ?? []
            if rules.isEmpty {
                _ = try await send(bucket, "DELETE", "cors", operation: "DeleteBucketCors", context)
            } else {
                context.progress.report("putting the CORS rules of \(bucket)")
                try await put(bucket, "cors", XMLTree(name: "CORSConfiguration", children: rules.compactMap(\.mapValue).map { rule in
                    var children: [XMLTree] = []
                    for (key, element) in [("allowedHeaders", "AllowedHeader"), ("allowedMethods", "AllowedMethod"), ("allowedOrigins", "AllowedOrigin"), ("exposeHeaders", "ExposeHeader")] {
                        children += (rule[key]?.listValue ?? []).compactMap(\.stringValue).map { XMLTree(name: element, text: $0) }
                    }
                    if let age = rule["maxAgeSeconds"]?.numberValue { children.append(XMLTree(name: "MaxAgeSeconds", text: String(Int(age)))) }
                    return XMLTree(name: "CORSRule", children: children)
                }), context)
            }
        }
        if differs("lifecycleRules") {
            let rules = inputs.list("lifecycleRules") ?? []
            if rules.isEmpty {
                _ = try await send(bucket, "DELETE", "lifecycle", operation: "DeleteBucketLifecycle", context)
            } else {
                context.progress.report("putting the lifecycle rules of \(bucket)")
                try await put(bucket, "lifecycle", XMLTree(name: "LifecycleConfiguration", children: rules.compactMap(\.mapValue).map { rule in
                    var children = [
                        XMLTree(name: "ID", text: rule["id"]?.stringValue ?? ""),
                        XMLTree(name: "Filter", children: [XMLTree(name: "Prefix", text: rule["prefix"]?.stringValue ?? "")]),
                        XMLTree(name: "Status", text: rule["enabled"]?.boolValue == false ? "Disabled" : "Enabled"),
                    ]
                    if let days = rule["expirationDays"]?.numberValue {
                        children.append(XMLTree(name: "Expiration", children: [XMLTree(name: "Days", text: String(Int(days)))]))
                    }
                    if let days = rule["noncurrentVersionExpirationDays"]?.numberValue {
                        children.append(XMLTree(name: "NoncurrentVersionExpiration", children: [XMLTree(name: "NoncurrentDays", text: String(Int(days)))]))
                    }
                    return XMLTree(name: "Rule", children: children)
                }), context)
            }
        }
    }

    // MARK: Calls

    /// The codes S3 answers when a setting was never made.
    static let absent: Set<String> = [
        "ServerSideEncryptionConfigurationNotFoundError", "NoSuchLifecycleConfiguration", "NoSuchCORSConfiguration",
        "NoSuchPublicAccessBlockConfiguration", "NoSuchBucketPolicy",
    ]

    /// GET `?subresource`; nil when the setting is not made.
    static func get(_ bucket: String, _ subresource: String, _ context: ResourceContext) async throws -> XMLTree? {
        do {
            return try await context.client.restXML(method: "GET", bucket: bucket, query: [.init(subresource, "")], operation: "GetBucket\(subresource)").xml
        } catch let error as AWSError where absent.contains(error.code) {
            return nil
        }
    }

    static func put(_ bucket: String, _ subresource: String, _ root: XMLTree, _ context: ResourceContext) async throws {
        let body = XMLWriter.document(root, namespace: namespace)
        _ = try await context.client.restXML(method: "PUT", bucket: bucket, query: [.init(subresource, "")], body: body, operation: "PutBucket\(subresource)")
    }

    /// The policy's JSON text (not XML, so not through `restXML`), nil when there is none.
    static func getPolicy(_ bucket: String, _ context: ResourceContext) async throws -> String? {
        do {
            let response = try await send(bucket, "GET", "policy", operation: "GetBucketPolicy", context)
            return String(decoding: response.body, as: UTF8.self)
        } catch let error as AWSError where absent.contains(error.code) {
            return nil
        }
    }

    /// A raw S3 call on `?subresource` with an optional body (with Content-MD5).
    static func send(_ bucket: String, _ method: String, _ subresource: String, body: Data = Data(), contentType: String? = nil,
                     operation: String, _ context: ResourceContext) async throws -> HTTPResponse {
        let endpoint = AWSEndpoint.resolve(.s3, settings: context.client.settings)
        let location = endpoint.s3Location(bucket: bucket)
        var headers: [String: String] = [:]
        if !body.isEmpty {
            headers["Content-MD5"] = Data(Digest.md5(body)).base64EncodedString()
            headers["Content-Type"] = contentType ?? "application/xml"
        }
        let request = HTTPRequest(method: method, scheme: endpoint.scheme, host: location.host, port: endpoint.port, path: location.path,
                                  query: [.init(subresource, "")], headers: headers, body: body)
        let name = "s3 \(operation)"
        return try await context.client.send(request, service: .s3, endpoint: endpoint, operation: name) { AWSErrorParser.restXML($0, operation: name) }
    }
}
