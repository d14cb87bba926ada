/// The data services: RDS, ElastiCache and KMS (values from the botocore models' metadata).
extension AWSService {
    /// Amazon RDS, Query protocol.
    public static let rds = AWSService(endpointPrefix: "rds", apiVersion: "2014-10-31", wireProtocol: .query)
    /// Amazon ElastiCache, Query protocol.
    public static let elastiCache = AWSService(endpointPrefix: "elasticache", apiVersion: "2015-02-02", wireProtocol: .query)
    /// AWS KMS, JSON 1.1 (`TrentService.*` targets).
    public static let kms = AWSService(
        endpointPrefix: "kms", apiVersion: "2014-11-01", wireProtocol: .json,
        jsonVersion: "1.1", targetPrefix: "TrentService")
}
