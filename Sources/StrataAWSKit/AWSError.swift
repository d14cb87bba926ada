import Foundation
import StrataPluginKit

/// An error answer from an AWS API: the HTTP status, AWS's error code and message.
public struct AWSError: Error, Sendable, Hashable, CustomStringConvertible {
    public var status: Int
    /// `InvalidVpcID.NotFound`, `NoSuchBucket`, `ResourceNotFoundException`, …
    public var code: String
    public var message: String
    public var requestID: String?
    /// `ec2 CreateVpc`, for messages.
    public var operation: String

    public init(status: Int, code: String, message: String, requestID: String? = nil, operation: String = "") {
        self.status = status
        self.code = code
        self.message = message
        self.requestID = requestID
        self.operation = operation
    }

    public var kind: PluginErrorKind { AWSErrorClassifier.kind(code: code, status: status) }

    public var description: String {
        var text = operation.isEmpty ? "" : "\(operation): "
        text += message.isEmpty ? code : "\(code): \(message)"
        if let requestID { text += " (request \(requestID))" }
        if let hint = AWSErrorClassifier.hint(code: code) { text += ". \(hint)" }
        return text
    }

    /// For the plugin protocol: the kind the engine acts on, the AWS code as `providerCode`.
    public var pluginError: PluginError { PluginError(kind, description, providerCode: code) }
}

/// Maps AWS error codes and HTTP statuses to what the engine should do.
public enum AWSErrorClassifier {
    static let throttlingCodes: Set<String> = [
        "Throttling", "ThrottlingException", "ThrottledException", "RequestThrottledException",
        "TooManyRequestsException", "ProvisionedThroughputExceededException", "TransactionInProgressException",
        "RequestLimitExceeded", "BandwidthLimitExceeded", "LimitExceededException", "RequestThrottled",
        "SlowDown", "PriorRequestNotComplete", "EC2ThrottledException",
    ]
    static let retryableCodes: Set<String> = [
        "InternalError", "InternalFailure", "InternalServiceError", "InternalServerError",
        "ServiceUnavailable", "ServiceUnavailableException", "RequestTimeout", "RequestTimeoutException",
        "IDPCommunicationError", "Unavailable",
    ]
    static let invalidCodes: Set<String> = [
        "ValidationError", "ValidationException", "InvalidInput", "InvalidBucketName", "InvalidArgument",
        "MissingParameter", "UnknownParameter", "InvalidRequest", "InvalidAction", "MalformedXML",
        "MalformedPolicyDocumentException", "InvalidSubnet.Range", "InvalidVpc.Range", "InvalidSubnet.Conflict",
        "InvalidParameterException", "InvalidParameterValueException", "InvalidParameterValue",
        "InvalidParameterCombination", "InvalidLocationConstraint", "IllegalLocationConstraintException",
    ]
    static let conflictCodes: Set<String> = [
        "DependencyViolation", "BucketAlreadyExists", "BucketAlreadyOwnedByYou", "BucketNotEmpty",
        "ResourceExistsException", "InvalidGroup.Duplicate", "InvalidPermission.Duplicate",
        "OperationAborted", "IncorrectState", "InvalidRequestException", "ConcurrentModificationException",
        "PreconditionNotMetException", "ResourceConflictException",
    ]
    static let credentialCodes: Set<String> = [
        "AuthFailure", "InvalidClientTokenId", "SignatureDoesNotMatch", "UnrecognizedClientException",
        "ExpiredToken", "ExpiredTokenException", "InvalidAccessKeyId", "AccessDenied", "AccessDeniedException",
        "UnauthorizedOperation", "OptInRequired", "IncompleteSignature", "MissingAuthenticationToken",
    ]

    public static func kind(code: String, status: Int) -> PluginErrorKind {
        if throttlingCodes.contains(code) || status == 429 { return .throttled }
        if credentialCodes.contains(code) { return .fatal }
        if code.hasSuffix(".NotFound") || code.hasSuffix("NotFound") || code.hasSuffix("NotFoundException")
            || code.hasSuffix("NotFoundFault")
            || code.hasPrefix("NoSuch") || code == "NotFound" {
            return .notFound
        }
        if conflictCodes.contains(code) || code.contains("AlreadyExists") || code.hasPrefix("Conflict")
            || code.hasSuffix("InUse") || code.hasPrefix("ResourceInUse") || code.hasPrefix("InvalidState")
            || code.hasSuffix(".InUse") || code.hasSuffix(".Duplicate") {
            return .conflict
        }
        if invalidCodes.contains(code) || code.hasPrefix("InvalidParameter") || code.hasPrefix("Malformed")
            || code.hasSuffix(".Malformed") || code.hasPrefix("Validation") {
            return .invalid
        }
        if retryableCodes.contains(code) || status >= 500 { return .retryable }
        if status == 404 && code.isEmpty { return .notFound }
        return .fatal
    }

    /// What the user should do about it, for errors with a clear remedy.
    public static func hint(code: String) -> String? {
        switch code {
        case "AuthFailure", "InvalidClientTokenId", "UnrecognizedClientException", "InvalidAccessKeyId":
            return "Check the access key (AWS_ACCESS_KEY_ID or the profile in use; `aws sts get-caller-identity` shows who you are)"
        case "SignatureDoesNotMatch", "IncompleteSignature":
            return "Check the secret key (AWS_SECRET_ACCESS_KEY or the profile in use) and that the clock is right"
        case "ExpiredToken", "ExpiredTokenException":
            return "The session token has expired; get fresh credentials (e.g. `aws sso login`) and try again"
        case "AccessDenied", "AccessDeniedException", "UnauthorizedOperation":
            return "The credentials in use lack permission for this call; grant it in IAM"
        case "OptInRequired":
            return "The account is not subscribed to this service in this region"
        default:
            return nil
        }
    }
}
