/// The second wave's services: serverless, messaging, monitoring, storage (values from the
/// botocore models' metadata).
extension AWSService {
    /// AWS Lambda, REST-JSON (paths start with the API version, `/2015-03-31/functions`).
    public static let lambda = AWSService(endpointPrefix: "lambda", apiVersion: "2015-03-31", wireProtocol: .restJSON)
    /// Amazon API Gateway v2 (HTTP APIs), REST-JSON under `/v2/`.
    public static let apiGatewayV2 = AWSService(endpointPrefix: "apigateway", apiVersion: "2018-11-29", wireProtocol: .restJSON)
    /// Amazon SQS, JSON 1.0 (`AmazonSQS.*` targets; botocore moved it off Query).
    public static let sqs = AWSService(
        endpointPrefix: "sqs", apiVersion: "2012-11-05", wireProtocol: .json, jsonVersion: "1.0", targetPrefix: "AmazonSQS")
    /// Amazon SNS, Query protocol.
    public static let sns = AWSService(endpointPrefix: "sns", apiVersion: "2010-03-31", wireProtocol: .query)
    /// Amazon CloudWatch (metrics and alarms), Query protocol (the model also offers CBOR and JSON).
    public static let cloudWatch = AWSService(endpointPrefix: "monitoring", apiVersion: "2010-08-01", wireProtocol: .query)
    /// Amazon CloudWatch Logs, JSON 1.1 (`Logs_20140328.*` targets).
    public static let logs = AWSService(
        endpointPrefix: "logs", apiVersion: "2014-03-28", wireProtocol: .json, jsonVersion: "1.1", targetPrefix: "Logs_20140328")
    /// Amazon Cognito user pools, JSON 1.1.
    public static let cognitoIDP = AWSService(
        endpointPrefix: "cognito-idp", apiVersion: "2016-04-18", wireProtocol: .json, jsonVersion: "1.1",
        targetPrefix: "AWSCognitoIdentityProviderService")
    /// Amazon EFS, REST-JSON (paths under `/2015-02-01/`).
    public static let efs = AWSService(endpointPrefix: "elasticfilesystem", apiVersion: "2015-02-01", wireProtocol: .restJSON)
    /// AWS Backup, REST-JSON.
    public static let backup = AWSService(endpointPrefix: "backup", apiVersion: "2018-11-15", wireProtocol: .restJSON)
}
