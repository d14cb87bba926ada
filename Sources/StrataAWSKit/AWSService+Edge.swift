/// The services behind the edge and identity resources (values from the botocore models' metadata).
extension AWSService {
    /// Route 53: REST-XML, one endpoint for every region, signed for us-east-1.
    public static let route53 = AWSService(
        endpointPrefix: "route53", apiVersion: "2013-04-01", wireProtocol: .restXML,
        globalHost: "route53.amazonaws.com", globalRegion: "us-east-1")
    /// CloudFront: REST-XML, one endpoint for every region, signed for us-east-1.
    public static let cloudFront = AWSService(
        endpointPrefix: "cloudfront", apiVersion: "2020-05-31", wireProtocol: .restXML,
        globalHost: "cloudfront.amazonaws.com", globalRegion: "us-east-1")
    /// Certificate Manager: JSON 1.1.
    public static let acm = AWSService(
        endpointPrefix: "acm", apiVersion: "2015-12-08", wireProtocol: .json,
        jsonVersion: "1.1", targetPrefix: "CertificateManager")
    /// WAFv2: JSON 1.1.
    public static let wafv2 = AWSService(
        endpointPrefix: "wafv2", apiVersion: "2019-07-29", wireProtocol: .json,
        jsonVersion: "1.1", targetPrefix: "AWSWAF_20190729")
}
