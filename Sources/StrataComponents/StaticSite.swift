import Strata
import StrataAWS

/// A single-page web app (React, Vite, …) on a CDN: an S3 bucket for the built files, a
/// CloudFront distribution in front of it (HTTPS only, `index.html` at the root), and — with a
/// domain — an ACM certificate for it and Route 53 alias records pointing the domain at the
/// distribution. Optionally `/api/*` goes to an API origin (a load balancer), so the app and
/// its API share one name.
///
/// ```swift
/// let zone = AWS.Route53Zone("zone", domain: "lin.example.com")
/// let site = StaticSite(bucketName: "lin-frontend", domain: "lin.example.com", zone: zone,
///                       api: .init(domainName: api.loadBalancer.dnsName))
/// Stack.output("url", Expr<String>("https://\(site.distribution.domainName)"))
/// ```
///
/// The bucket is public-read: CloudFront reads it as an anonymous client (the provider has no
/// Origin Access Control yet to narrow that to the distribution); what it holds is the public
/// site anyway. On AWS the certificate must be validated (its DNS records created) before the
/// distribution can use it; the certificate is made with `certificateProvider`, which must be
/// in us-east-1 (CloudFront's rule).
public struct StaticSite: Component {
    /// Where `/api/*` goes.
    public struct API {
        public var domainName: Expr<String>
        public var pathPattern: String
        /// `http-only` for a load balancer listening on 80 only; `https-only` when it has a certificate.
        public var protocolPolicy: String

        public init(domainName: Expr<String>, pathPattern: String = "/api/*", protocolPolicy: String = "http-only") {
            self.domainName = domainName
            self.pathPattern = pathPattern
            self.protocolPolicy = protocolPolicy
        }
    }

    public let bucket: AWS.S3Bucket
    public let certificate: AWS.ACMCertificate?
    public let distribution: AWS.CloudFrontDistribution
    /// The alias records of `domain` and `alternativeNames`, by name.
    public let records: [String: AWS.Route53Record]

    /// - Parameters:
    ///   - bucketName: the bucket of the built files.
    ///   - domain: the site's name; nil serves it on CloudFront's own `d….cloudfront.net`.
    ///   - alternativeNames: more names on the certificate and the distribution (`*.example.com`
    ///     for tenant subdomains, `www.example.com`).
    ///   - zone: the hosted zone to put the alias records in (none without it).
    ///   - priceClass: `PriceClass_100` (North America, Europe), `_200` or `_All`.
    ///   - provider: the instance of the bucket's region; `certificateProvider` one in us-east-1.
    public init(_ name: String = "site", bucketName: String, domain: String? = nil, alternativeNames: [String] = [],
                zone: AWS.Route53Zone? = nil, api: API? = nil, priceClass: String = "PriceClass_100", provider: ProviderRef? = nil,
                certificateProvider: ProviderRef? = nil, tags: [String: Expr<String>] = [:], file: String = #filePath, line: Int = #line) {
        (bucket, certificate, distribution, records) = Stack.component(name) {
            let bucket = AWS.S3Bucket("assets", bucket: Expr(bucketName), versioning: true, tags: tags, file: file, line: line)
                .publicAccessBlock(blockPublicAcls: true, ignorePublicAcls: true, blockPublicPolicy: false, restrictPublicBuckets: false)
                .serverSideEncryption()
                .policy(Expr(Buckets.publicReadPolicy(bucketName)))
                .lifecycleRules([AWS.LifecycleRule(id: "old-builds", noncurrentVersionExpirationDays: 30)])
            if let provider { bucket.using(provider) }

            let names = (domain.map { [$0] } ?? []) + alternativeNames
            var certificate: AWS.ACMCertificate?
            if let domain {
                let made = AWS.ACMCertificate("certificate", domainName: Expr(domain), subjectAlternativeNames: alternativeNames.map { Expr($0) },
                                              validationMethod: "DNS", tags: tags, file: file, line: line)
                if let certificateProvider { made.using(certificateProvider) }
                certificate = made
            }
            var origins: [AWS.Origin] = [.s3(id: "assets", bucket: bucket)]
            var behaviors: [AWS.CacheBehavior] = []
            if let api {
                origins.append(.custom(id: "api", domainName: api.domainName, protocolPolicy: api.protocolPolicy))
                behaviors.append(AWS.CacheBehavior(
                    targetOriginId: "api", pathPattern: api.pathPattern, viewerProtocolPolicy: "https-only",
                    allowedMethods: ["GET", "HEAD", "OPTIONS", "PUT", "POST", "PATCH", "DELETE"]))
            }
            let distribution = AWS.CloudFrontDistribution(
                "cdn", origins: origins, defaultCacheBehavior: AWS.CacheBehavior(targetOriginId: "assets"),
                orderedCacheBehaviors: behaviors, aliases: names.map { Expr($0) }, certificate: certificate, enabled: true,
                comment: Expr("\(domain ?? bucketName)"), priceClass: priceClass, defaultRootObject: "index.html", tags: tags,
                file: file, line: line)
            var records: [String: AWS.Route53Record] = [:]
            if let zone {
                for recordName in names {
                    records[recordName] = AWS.Route53Record(keyed("alias", recordName), zone: zone, recordName: Expr(recordName),
                                                            type: "A", alias: .cloudFront(distribution), file: file, line: line)
                }
            }
            return (bucket, certificate, distribution, records)
        }
    }
}
