import Foundation
import StrataModel

/// Reads the error out of a failed response, per wire protocol.
public enum AWSErrorParser {
    /// EC2: `<Response><Errors><Error><Code/><Message/></Error></Errors><RequestID/></Response>`;
    /// Query (IAM, STS): `<ErrorResponse><Error><Type/><Code/><Message/></Error><RequestId/></ErrorResponse>`.
    public static func query(_ response: HTTPResponse, operation: String) -> AWSError {
        guard let tree = try? XMLTree.parse(response.body), let error = tree.find("Error") else {
            return fallback(response, operation: operation)
        }
        let requestID = tree.string("RequestID") ?? tree.string("RequestId") ?? response.headers["x-amzn-requestid"]
        return AWSError(
            status: response.status, code: error.string("Code") ?? statusCode(response.status),
            message: error.string("Message") ?? "", requestID: requestID, operation: operation)
    }

    /// S3: `<Error><Code/><Message/><RequestId/></Error>`; HEAD answers have no body, only a status.
    public static func restXML(_ response: HTTPResponse, operation: String) -> AWSError {
        guard !response.body.isEmpty, let tree = try? XMLTree.parse(response.body) else {
            return fallback(response, operation: operation)
        }
        let error = tree.name == "Error" ? tree : (tree.find("Error") ?? tree)
        return AWSError(
            status: response.status, code: error.string("Code") ?? statusCode(response.status),
            message: error.string("Message") ?? "",
            requestID: error.string("RequestId") ?? response.headers["x-amz-request-id"], operation: operation)
    }

    /// JSON 1.0/1.1: `{"__type": "prefix#Code", "message": "…"}` (or `Message`), or the
    /// `x-amzn-ErrorType: Code:http://…` header.
    public static func json(_ response: HTTPResponse, operation: String) -> AWSError {
        let body = (try? ValueJSON.parse(response.body))?.mapValue ?? [:]
        var code = response.headers["x-amzn-errortype"] ?? body["__type"]?.stringValue ?? body["code"]?.stringValue ?? ""
        code = normalizeJSONCode(code)
        if code.isEmpty { code = statusCode(response.status) }
        let message = body["message"]?.stringValue ?? body["Message"]?.stringValue ?? body["errorMessage"]?.stringValue ?? ""
        return AWSError(
            status: response.status, code: code, message: message,
            requestID: response.headers["x-amzn-requestid"], operation: operation)
    }

    /// `aws.protocoltests#FooError:http://internal/` → `FooError`.
    public static func normalizeJSONCode(_ raw: String) -> String {
        var code = raw
        if let colon = code.firstIndex(of: ":") { code = String(code[..<colon]) }
        if let hash = code.lastIndex(of: "#") { code = String(code[code.index(after: hash)...]) }
        return code.trimmingCharacters(in: .whitespaces)
    }

    static func fallback(_ response: HTTPResponse, operation: String) -> AWSError {
        let text = String(decoding: response.body.prefix(300), as: UTF8.self)
        return AWSError(
            status: response.status, code: statusCode(response.status),
            message: text.isEmpty ? "HTTP \(response.status)" : text,
            requestID: response.headers["x-amz-request-id"] ?? response.headers["x-amzn-requestid"], operation: operation)
    }

    /// A code for a bodiless answer, as the SDKs name them (`NotFound` for a HEAD 404).
    static func statusCode(_ status: Int) -> String {
        switch status {
        case 301: return "PermanentRedirect"
        case 400: return "BadRequest"
        case 403: return "Forbidden"
        case 404: return "NotFound"
        case 409: return "Conflict"
        case 429: return "TooManyRequests"
        case 500: return "InternalError"
        case 503: return "ServiceUnavailable"
        default: return "HTTP\(status)"
        }
    }
}
