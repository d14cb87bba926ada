import Strata
import StrataAWS

/// S3 buckets with the settings their use calls for, named `<prefix>-<key>`:
///
/// - **private**: every kind of public access blocked, encrypted (SSE-S3, or SSE-KMS with a
///   key), a policy refusing requests not made over TLS; with versioning, old versions expire.
/// - **public read**: anyone may read objects (a policy allowing `s3:GetObject` to `*`; public
///   ACLs stay blocked), encrypted with SSE-S3, TLS not required.
///
/// ```swift
/// let storage = Buckets(prefix: "complyflow", [
///     .publicRead("voice-summaries"),
///     .private("evidence-files", versioning: true),
/// ], kmsKey: key)
/// Stack.output("evidence", storage["evidence-files"]!.id)
/// ```
///
/// Addresses are keyed by the bucket's key: `storage.aws_s3_bucket.bucket["evidence-files"]`.
public struct Buckets: Component {
    /// One bucket to make.
    public struct Spec: Sendable {
        public enum Access: Sendable { case `private`, publicRead }
        public var key: String
        public var access: Access
        public var versioning: Bool
        /// Objects (all versions) expire this many days after they are written; nil keeps them.
        public var expireAfterDays: Int?
        /// Old versions expire this many days after they are replaced (versioned buckets).
        public var noncurrentVersionsExpireAfterDays: Int
        /// Browsers on these origins may GET and PUT (uploads straight from the web app).
        public var corsOrigins: [String]

        /// A private bucket.
        public static func `private`(_ key: String, versioning: Bool = false, expireAfterDays: Int? = nil,
                                     noncurrentVersionsExpireAfterDays: Int = 90, corsOrigins: [String] = []) -> Spec {
            Spec(key: key, access: .private, versioning: versioning, expireAfterDays: expireAfterDays,
                 noncurrentVersionsExpireAfterDays: noncurrentVersionsExpireAfterDays, corsOrigins: corsOrigins)
        }

        /// A bucket anyone may read from.
        public static func publicRead(_ key: String, versioning: Bool = false, expireAfterDays: Int? = nil, corsOrigins: [String] = []) -> Spec {
            Spec(key: key, access: .publicRead, versioning: versioning, expireAfterDays: expireAfterDays,
                 noncurrentVersionsExpireAfterDays: 30, corsOrigins: corsOrigins)
        }
    }

    /// The buckets by key.
    public let buckets: [String: AWS.S3Bucket]

    /// - Parameters:
    ///   - prefix: the start of every bucket's name (bucket names are global: make it yours).
    ///   - kmsKey: encrypt the private buckets with this key (SSE-KMS) instead of SSE-S3.
    public init(_ name: String = "storage", prefix: String, _ specs: [Spec], kmsKey: AWS.KMSKey? = nil, provider: ProviderRef? = nil,
                tags: [String: Expr<String>] = [:], file: String = #filePath, line: Int = #line) {
        buckets = Stack.component(name) {
            var buckets: [String: AWS.S3Bucket] = [:]
            for spec in specs {
                let bucketName = "\(prefix)-\(spec.key)"
                if bucketName.count > 63 || bucketName.count < 3 {
                    Stack.error("Buckets \(name): the bucket name \(bucketName) must be 3 to 63 characters", file: file, line: line)
                }
                let bucket = AWS.S3Bucket(keyed("bucket", spec.key), bucket: Expr(bucketName), versioning: spec.versioning,
                                          tags: tags.merging(["access": spec.access == .private ? "private" : "public-read"]) { _, new in new },
                                          file: file, line: line)
                if let provider { bucket.using(provider) }
                switch spec.access {
                case .private:
                    bucket.publicAccessBlock()
                    if let kmsKey { bucket.serverSideEncryption("aws:kms", kmsKeyId: kmsKey.arn) } else { bucket.serverSideEncryption() }
                    bucket.policy(Expr(Self.tlsOnlyPolicy(bucketName)))
                case .publicRead:
                    bucket.publicAccessBlock(blockPublicAcls: true, ignorePublicAcls: true, blockPublicPolicy: false, restrictPublicBuckets: false)
                    bucket.serverSideEncryption()
                    bucket.policy(Expr(Self.publicReadPolicy(bucketName)))
                }
                var rules: [AWS.LifecycleRule] = []
                if let days = spec.expireAfterDays {
                    rules.append(AWS.LifecycleRule(id: "expire", expirationDays: days))
                }
                if spec.versioning {
                    rules.append(AWS.LifecycleRule(id: "old-versions", noncurrentVersionExpirationDays: spec.noncurrentVersionsExpireAfterDays))
                }
                if !rules.isEmpty { bucket.lifecycleRules(rules) }
                if !spec.corsOrigins.isEmpty {
                    bucket.corsRules([AWS.CORSRule(allowedMethods: ["GET", "PUT", "HEAD"], allowedOrigins: spec.corsOrigins,
                                                   allowedHeaders: ["*"], exposeHeaders: ["ETag"], maxAgeSeconds: 3000)])
                }
                buckets[spec.key] = bucket
            }
            return buckets
        }
    }

    public subscript(key: String) -> AWS.S3Bucket? { buckets[key] }

    /// Refuses every request not made over TLS.
    public static func tlsOnlyPolicy(_ bucketName: String) -> String {
        #"{"Version":"2012-10-17","Statement":[{"Sid":"TLSOnly","Effect":"Deny","Principal":"*","Action":"s3:*","Resource":["arn:aws:s3:::\#(bucketName)","arn:aws:s3:::\#(bucketName)/*"],"Condition":{"Bool":{"aws:SecureTransport":"false"}}}]}"#
    }

    /// Lets anyone read the bucket's objects (not list them).
    public static func publicReadPolicy(_ bucketName: String) -> String {
        #"{"Version":"2012-10-17","Statement":[{"Sid":"PublicRead","Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::\#(bucketName)/*"}]}"#
    }
}
