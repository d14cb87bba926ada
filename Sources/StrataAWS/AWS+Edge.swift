import Strata
import StrataModel

extension AWS {
    /// `aws_route53_zone`: a public hosted zone. Its name cannot change; `forceDestroy` lets a
    /// destroy delete the records left in it.
    public final class Route53Zone: Resource {
        public init(_ name: String, domain: Expr<String>, comment: Expr<String>? = nil, forceDestroy: Bool? = nil,
                    tags: [String: Expr<String>] = [:], file: String = #filePath, line: Int = #line) {
            super.init(type: "aws_route53_zone", name: name, file: file, line: line)
            setInput("name", domain)
            setInput("comment", comment)
            if let forceDestroy { setInput("forceDestroy", Expr(forceDestroy)) }
            if !tags.isEmpty { setInput("tags", Expr<[String: String]>(tags)) }
        }
        /// The zone id (Z…); it stays known while the zone is updated (`zoneId` does not).
        public var id: Expr<String> { attribute("id") }
        public var zoneId: Expr<String> { attribute("zoneId") }
        public var nameServers: Expr<[String]> { attribute("nameServers") }
    }

    /// Where an alias record points: an AWS endpoint's DNS name and hosted zone.
    public struct AliasTarget {
        public var dnsName: Expr<String>
        public var zoneId: Expr<String>
        public var evaluateTargetHealth: Bool

        public init(dnsName: Expr<String>, zoneId: Expr<String>, evaluateTargetHealth: Bool = false) {
            self.dnsName = dnsName
            self.zoneId = zoneId
            self.evaluateTargetHealth = evaluateTargetHealth
        }

        var value: Value {
            .map(["dnsName": dnsName.value, "zoneId": zoneId.value, "evaluateTargetHealth": .bool(evaluateTargetHealth)])
        }
    }

    /// `aws_route53_record`: a record set (values with a TTL, or an alias). Zone, name and type
    /// cannot change; the rest changes in place.
    public final class Route53Record: Resource {
        public init(_ name: String, zone: Route53Zone, recordName: Expr<String>, type: String, ttl: Int, records: [Expr<String>],
                    file: String = #filePath, line: Int = #line) {
            super.init(type: "aws_route53_record", name: name, file: file, line: line)
            setInput("zoneId", zone.id)
            setInput("name", recordName)
            setRawInput("type", .string(type))
            setRawInput("ttl", .number(Double(ttl)))
            setRawInput("records", .list(records.map(\.value)))
        }

        public init(_ name: String, zone: Route53Zone, recordName: Expr<String>, type: String = "A", alias: AliasTarget,
                    file: String = #filePath, line: Int = #line) {
            super.init(type: "aws_route53_record", name: name, file: file, line: line)
            setInput("zoneId", zone.id)
            setInput("name", recordName)
            setRawInput("type", .string(type))
            setRawInput("alias", alias.value)
        }
        /// `zoneId_name_type`.
        public var id: Expr<String> { attribute("id") }
        /// The name as declared; known while the record is updated (`fqdn` is not).
        public var name: Expr<String> { attribute("name") }
        public var fqdn: Expr<String> { attribute("fqdn") }
    }
}

extension AWS {
    /// A lifecycle rule of a bucket: objects under `prefix` expire after `expirationDays`;
    /// old versions after `noncurrentVersionExpirationDays`.
    public struct LifecycleRule {
        public var id: String
        public var prefix: String?
        public var enabled: Bool
        public var expirationDays: Int?
        public var noncurrentVersionExpirationDays: Int?

        public init(id: String, prefix: String? = nil, enabled: Bool = true, expirationDays: Int? = nil, noncurrentVersionExpirationDays: Int? = nil) {
            self.id = id
            self.prefix = prefix
            self.enabled = enabled
            self.expirationDays = expirationDays
            self.noncurrentVersionExpirationDays = noncurrentVersionExpirationDays
        }

        var value: Value {
            var fields: [String: Value] = ["id": .string(id), "enabled": .bool(enabled)]
            if let prefix { fields["prefix"] = .string(prefix) }
            if let expirationDays { fields["expirationDays"] = .number(Double(expirationDays)) }
            if let noncurrentVersionExpirationDays { fields["noncurrentVersionExpirationDays"] = .number(Double(noncurrentVersionExpirationDays)) }
            return .map(fields)
        }
    }

    /// A CORS rule of a bucket.
    public struct CORSRule {
        public var allowedMethods: [String]
        public var allowedOrigins: [String]
        public var allowedHeaders: [String]?
        public var exposeHeaders: [String]?
        public var maxAgeSeconds: Int?

        public init(allowedMethods: [String], allowedOrigins: [String], allowedHeaders: [String]? = nil, exposeHeaders: [String]? = nil, maxAgeSeconds: Int? = nil) {
            self.allowedMethods = allowedMethods
            self.allowedOrigins = allowedOrigins
            self.allowedHeaders = allowedHeaders
            self.exposeHeaders = exposeHeaders
            self.maxAgeSeconds = maxAgeSeconds
        }

        var value: Value {
            var fields: [String: Value] = [
                "allowedMethods": .list(allowedMethods.map(Value.string)), "allowedOrigins": .list(allowedOrigins.map(Value.string)),
            ]
            if let allowedHeaders { fields["allowedHeaders"] = .list(allowedHeaders.map(Value.string)) }
            if let exposeHeaders { fields["exposeHeaders"] = .list(exposeHeaders.map(Value.string)) }
            if let maxAgeSeconds { fields["maxAgeSeconds"] = .number(Double(maxAgeSeconds)) }
            return .map(fields)
        }
    }
}

extension AWS.S3Bucket {
    /// Default encryption: `AES256`, or `aws:kms` with a key id.
    @discardableResult
    public func serverSideEncryption(_ algorithm: String = "AES256", kmsKeyId: Expr<String>? = nil) -> Self {
        var fields: [String: Value] = ["algorithm": .string(algorithm)]
        if let kmsKeyId { fields["kmsKeyId"] = kmsKeyId.value }
        setRawInput("serverSideEncryption", .map(fields))
        return self
    }

    @discardableResult
    public func lifecycleRules(_ rules: [AWS.LifecycleRule]) -> Self {
        setRawInput("lifecycleRules", .list(rules.map(\.value)))
        return self
    }

    @discardableResult
    public func corsRules(_ rules: [AWS.CORSRule]) -> Self {
        setRawInput("corsRules", .list(rules.map(\.value)))
        return self
    }

    /// The public access block (every flag true blocks all public access).
    @discardableResult
    public func publicAccessBlock(blockPublicAcls: Bool = true, ignorePublicAcls: Bool = true, blockPublicPolicy: Bool = true, restrictPublicBuckets: Bool = true) -> Self {
        setRawInput("publicAccessBlock", .map([
            "blockPublicAcls": .bool(blockPublicAcls), "ignorePublicAcls": .bool(ignorePublicAcls),
            "blockPublicPolicy": .bool(blockPublicPolicy), "restrictPublicBuckets": .bool(restrictPublicBuckets),
        ]))
        return self
    }

    /// The bucket policy (JSON), compared by meaning.
    @discardableResult
    public func policy(_ document: Expr<String>) -> Self {
        setInput("policy", document)
        return self
    }

    /// `bucket.s3.amazonaws.com`: the bucket's domain, as a CloudFront S3 origin names it.
    public var bucketDomainName: Expr<String> { attribute("bucketDomainName") }
}

extension AWS {
    /// `aws_acm_certificate`: a public certificate validated by DNS (for CloudFront, make it in
    /// us-east-1). Every attribute but the tags replaces it.
    public final class ACMCertificate: Resource {
        public init(_ name: String, domainName: Expr<String>, subjectAlternativeNames: [Expr<String>] = [], validationMethod: String? = nil,
                    tags: [String: Expr<String>] = [:], file: String = #filePath, line: Int = #line) {
            super.init(type: "aws_acm_certificate", name: name, file: file, line: line)
            setInput("domainName", domainName)
            if !subjectAlternativeNames.isEmpty { setInput("subjectAlternativeNames", Expr<[String]>(subjectAlternativeNames)) }
            if let validationMethod { setRawInput("validationMethod", .string(validationMethod)) }
            if !tags.isEmpty { setInput("tags", Expr<[String: String]>(tags)) }
        }
        /// The ARN; it stays known while the tags are updated (`arn` does not).
        public var id: Expr<String> { attribute("id") }
        public var arn: Expr<String> { attribute("arn") }
        public var status: Expr<String> { attribute("status") }
    }

    /// An origin of a distribution: an S3 bucket, or a custom HTTP(S) origin such as a load balancer.
    /// Defaults are left out, as a read (and so an import) reports them.
    public struct Origin {
        var fields: [String: Value]

        /// The bucket by its S3 domain name.
        public static func s3(id: String, bucket: S3Bucket, originPath: String? = nil) -> Origin {
            var fields: [String: Value] = ["id": .string(id), "domainName": bucket.bucketDomainName.value]
            if let originPath { fields["originPath"] = .string(originPath) }
            return Origin(fields: fields)
        }

        /// A custom origin (an ALB's DNS name, a web server): HTTPS only unless told.
        public static func custom(id: String, domainName: Expr<String>, protocolPolicy: String = "https-only", httpPort: Int? = nil,
                                  httpsPort: Int? = nil, originPath: String? = nil) -> Origin {
            var fields: [String: Value] = ["id": .string(id), "domainName": domainName.value, "type": "custom"]
            if protocolPolicy != "https-only" { fields["protocolPolicy"] = .string(protocolPolicy) }
            if let httpPort, httpPort != 80 { fields["httpPort"] = .number(Double(httpPort)) }
            if let httpsPort, httpsPort != 443 { fields["httpsPort"] = .number(Double(httpsPort)) }
            if let originPath { fields["originPath"] = .string(originPath) }
            return Origin(fields: fields)
        }
    }

    /// How a distribution serves requests: from which origin, over which protocol, which methods.
    /// Defaults are left out, as a read (and so an import) reports them.
    public struct CacheBehavior {
        var fields: [String: Value]

        public init(targetOriginId: String, pathPattern: String? = nil, viewerProtocolPolicy: String = "redirect-to-https",
                    allowedMethods: [String]? = nil, cachedMethods: [String]? = nil, compress: Bool? = nil, cachePolicyId: String? = nil) {
            fields = ["targetOriginId": .string(targetOriginId)]
            if viewerProtocolPolicy != "redirect-to-https" { fields["viewerProtocolPolicy"] = .string(viewerProtocolPolicy) }
            if let pathPattern { fields["pathPattern"] = .string(pathPattern) }
            let standard = ["GET", "HEAD"]
            if let allowedMethods, Set(allowedMethods) != Set(standard) { fields["allowedMethods"] = .list(allowedMethods.map(Value.string)) }
            if let cachedMethods, Set(cachedMethods) != Set(standard) { fields["cachedMethods"] = .list(cachedMethods.map(Value.string)) }
            if let compress, !compress { fields["compress"] = .bool(compress) }
            if let cachePolicyId { fields["cachePolicyId"] = .string(cachePolicyId) }
        }
    }

    /// `aws_cloudfront_distribution`: a CDN distribution; everything changes in place.
    public final class CloudFrontDistribution: Resource {
        public init(_ name: String, origins: [Origin], defaultCacheBehavior: CacheBehavior, orderedCacheBehaviors: [CacheBehavior] = [],
                    aliases: [Expr<String>] = [], certificate: ACMCertificate? = nil, enabled: Bool? = nil, comment: Expr<String>? = nil,
                    priceClass: String? = nil, defaultRootObject: String? = nil, tags: [String: Expr<String>] = [:],
                    file: String = #filePath, line: Int = #line) {
            super.init(type: "aws_cloudfront_distribution", name: name, file: file, line: line)
            setRawInput("origins", .list(origins.map { .map($0.fields) }))
            setRawInput("defaultCacheBehavior", .map(defaultCacheBehavior.fields))
            if !orderedCacheBehaviors.isEmpty { setRawInput("orderedCacheBehaviors", .list(orderedCacheBehaviors.map { .map($0.fields) })) }
            if !aliases.isEmpty { setInput("aliases", Expr<[String]>(aliases)) }
            setInput("acmCertificateArn", certificate?.id)
            if let enabled { setInput("enabled", Expr(enabled)) }
            setInput("comment", comment)
            if let priceClass { setRawInput("priceClass", .string(priceClass)) }
            if let defaultRootObject { setRawInput("defaultRootObject", .string(defaultRootObject)) }
            if !tags.isEmpty { setInput("tags", Expr<[String: String]>(tags)) }
        }
        /// The distribution id (E…).
        public var id: Expr<String> { attribute("id") }
        public var arn: Expr<String> { attribute("arn") }
        /// `d….cloudfront.net`.
        public var domainName: Expr<String> { attribute("domainName") }
    }
}

extension AWS.AliasTarget {
    /// An alias to a CloudFront distribution (its domain, CloudFront's hosted zone).
    public static func cloudFront(_ distribution: AWS.CloudFrontDistribution) -> AWS.AliasTarget {
        AWS.AliasTarget(dnsName: distribution.domainName, zoneId: "Z2FDTNDATAQYW2")
    }
}

extension AWS {
    /// A rule of a web ACL: an AWS managed rule group, or a rate limit per client IP.
    /// Defaults are left out, as a read (and so an import) reports them.
    public struct WAFRule {
        var fields: [String: Value]

        /// A managed rule group (`AWSManagedRulesCommonRuleSet`, …); `count` only counts its matches.
        public static func managed(_ name: String, priority: Int, group: String, vendor: String = "AWS", count: Bool = false) -> WAFRule {
            var fields: [String: Value] = ["name": .string(name), "priority": .number(Double(priority)), "managedRuleGroup": .string(group)]
            if vendor != "AWS" { fields["vendorName"] = .string(vendor) }
            if count { fields["overrideAction"] = "count" }
            return WAFRule(fields: fields)
        }

        /// At most `limit` requests per 5 minutes from one IP; `action` block (default) or count.
        public static func rateLimit(_ name: String, priority: Int, limit: Int, action: String = "block") -> WAFRule {
            var fields: [String: Value] = ["name": .string(name), "priority": .number(Double(priority)), "rateLimit": .number(Double(limit))]
            if action != "block" { fields["action"] = .string(action) }
            return WAFRule(fields: fields)
        }
    }

    /// `aws_wafv2_web_acl`: a WAFv2 web ACL; name and scope cannot change, the rest changes in place.
    public final class WebACL: Resource {
        public init(_ name: String, aclName: Expr<String>, scope: String? = nil, defaultAction: String = "allow", description: Expr<String>? = nil,
                    rules: [WAFRule] = [], tags: [String: Expr<String>] = [:], file: String = #filePath, line: Int = #line) {
            super.init(type: "aws_wafv2_web_acl", name: name, file: file, line: line)
            setInput("name", aclName)
            if let scope { setRawInput("scope", .string(scope)) }
            setRawInput("defaultAction", .string(defaultAction))
            setInput("description", description)
            if !rules.isEmpty { setRawInput("rules", .list(rules.map { .map($0.fields) })) }
            if !tags.isEmpty { setInput("tags", Expr<[String: String]>(tags)) }
        }
        /// The ARN; it stays known while the web ACL is updated (`arn` does not).
        public var id: Expr<String> { attribute("id") }
        public var arn: Expr<String> { attribute("arn") }
    }

    /// `aws_wafv2_web_acl_association`: a REGIONAL web ACL protecting a load balancer (or API stage).
    public final class WebACLAssociation: Resource {
        public init(_ name: String, webACL: WebACL, resourceArn: Expr<String>, file: String = #filePath, line: Int = #line) {
            super.init(type: "aws_wafv2_web_acl_association", name: name, file: file, line: line)
            setInput("webAclArn", webACL.id)
            setInput("resourceArn", resourceArn)
        }
        public var id: Expr<String> { attribute("id") }
    }
}
