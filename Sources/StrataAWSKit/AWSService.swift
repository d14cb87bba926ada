/// What the client needs to know about one AWS service (from its botocore model's metadata).
public struct AWSService: Sendable, Hashable {
    public enum WireProtocol: String, Sendable, Hashable { case ec2, query, restXML = "rest-xml", json, restJSON = "rest-json" }

    /// The host prefix: `ec2` in `ec2.us-east-1.amazonaws.com`.
    public var endpointPrefix: String
    /// The service name in the SigV4 scope.
    public var signingName: String
    public var apiVersion: String
    public var wireProtocol: WireProtocol
    /// JSON services: `1.0` or `1.1` (the Content-Type), and the `X-Amz-Target` prefix.
    public var jsonVersion: String?
    public var targetPrefix: String?
    /// Services with one endpoint for every region (IAM): the host and the signing region.
    public var globalHost: String?
    public var globalRegion: String?

    public init(endpointPrefix: String, signingName: String? = nil, apiVersion: String, wireProtocol: WireProtocol,
                jsonVersion: String? = nil, targetPrefix: String? = nil, globalHost: String? = nil, globalRegion: String? = nil) {
        self.endpointPrefix = endpointPrefix
        self.signingName = signingName ?? endpointPrefix
        self.apiVersion = apiVersion
        self.wireProtocol = wireProtocol
        self.jsonVersion = jsonVersion
        self.targetPrefix = targetPrefix
        self.globalHost = globalHost
        self.globalRegion = globalRegion
    }

    public static let ec2 = AWSService(endpointPrefix: "ec2", apiVersion: "2016-11-15", wireProtocol: .ec2)
    public static let s3 = AWSService(endpointPrefix: "s3", apiVersion: "2006-03-01", wireProtocol: .restXML)
    public static let secretsManager = AWSService(
        endpointPrefix: "secretsmanager", apiVersion: "2017-10-17", wireProtocol: .json,
        jsonVersion: "1.1", targetPrefix: "secretsmanager")
    public static let sts = AWSService(endpointPrefix: "sts", apiVersion: "2011-06-15", wireProtocol: .query)
    public static let iam = AWSService(
        endpointPrefix: "iam", apiVersion: "2010-05-08", wireProtocol: .query,
        globalHost: "iam.amazonaws.com", globalRegion: "us-east-1")
}

/// Where a service's requests go.
public struct AWSEndpoint: Sendable, Hashable {
    public var scheme: String
    public var host: String
    public var port: Int?
    /// A path prefix the override URL carries (`http://host/aws` → `/aws`), else empty.
    public var basePath: String
    /// The region in the signature (IAM signs for us-east-1 whatever the client's region).
    public var signingRegion: String
    /// True for an endpoint override: S3 then addresses buckets by path.
    public var isOverride: Bool

    /// The endpoint for `service` in `settings`: the override URL for every service when
    /// one is set (as `AWS_ENDPOINT_URL` does in the AWS CLI), else the public one.
    public static func resolve(_ service: AWSService, settings: AWSSettings) -> AWSEndpoint {
        let signingRegion = service.globalRegion ?? settings.region
        if let url = settings.endpoint {
            var base = url.path
            while base.hasSuffix("/") { base.removeLast() }
            return AWSEndpoint(scheme: url.scheme ?? "https", host: url.host ?? "localhost", port: url.port,
                               basePath: base, signingRegion: signingRegion, isOverride: true)
        }
        let suffix = settings.region.hasPrefix("cn-") ? "amazonaws.com.cn" : "amazonaws.com"
        let host = service.globalHost ?? "\(service.endpointPrefix).\(settings.region).\(suffix)"
        return AWSEndpoint(scheme: "https", host: host, port: nil, basePath: "", signingRegion: signingRegion, isOverride: false)
    }

    /// S3: virtual-hosted style (`bucket.s3.region.amazonaws.com/key`) on AWS for names
    /// without dots; path style (`host/bucket/key`) with an override or a dotted name.
    public func s3Location(bucket: String?, keySegments: [String] = []) -> (host: String, path: String) {
        guard let bucket else { return (host, basePath + URIEncoding.path(keySegments)) }
        if isOverride || bucket.contains(".") {
            return (host, basePath + URIEncoding.path([bucket] + keySegments))
        }
        return ("\(bucket).\(host)", URIEncoding.path(keySegments))
    }
}
