import Foundation
import StrataModel

/// A REST-JSON answer: status, headers and the JSON object of the body (empty when the
/// body was empty or `null`).
public struct RestJSONResponse: Sendable {
    public var status: Int
    public var headers: [String: String]
    public var body: [String: Value]
}

extension AWSClient {
    /// A REST-JSON call (Lambda, API Gateway v2, EFS, Backup): the operation's HTTP method on a
    /// path built from raw segments (URI parameters are percent-encoded here, one segment each:
    /// `["2015-03-31", "functions", arn]`), query parameters, and an optional JSON body.
    /// Errors come from the `x-amzn-errortype` header or the body's `__type`/`code`.
    public func restJSON(
        service: AWSService, method: String, path segments: [String], query: [HTTPRequest.QueryItem] = [],
        headers: [String: String] = [:], body: [String: Value]? = nil, operation: String
    ) async throws -> RestJSONResponse {
        let endpoint = AWSEndpoint.resolve(service, settings: settings)
        var allHeaders = headers
        var data = Data()
        if let body {
            data = ValueJSON.data(.map(body))
            if allHeaders["Content-Type"] == nil { allHeaders["Content-Type"] = "application/json" }
        }
        let request = HTTPRequest(
            method: method, scheme: endpoint.scheme, host: endpoint.host, port: endpoint.port,
            path: endpoint.basePath + URIEncoding.path(segments), query: query, headers: allHeaders, body: data)
        let name = "\(service.endpointPrefix) \(operation)"
        let response = try await send(request, service: service, endpoint: endpoint, operation: name) {
            AWSErrorParser.restJSON($0, operation: name)
        }
        if response.body.isEmpty { return RestJSONResponse(status: response.status, headers: response.headers, body: [:]) }
        let parsed = try? ValueJSON.parse(response.body)
        if parsed == .null { return RestJSONResponse(status: response.status, headers: response.headers, body: [:]) }
        guard let object = parsed?.mapValue else {
            throw AWSError(status: response.status, code: "MalformedResponse",
                           message: "the answer is not a JSON object: \(String(decoding: response.body.prefix(200), as: UTF8.self))",
                           operation: name)
        }
        return RestJSONResponse(status: response.status, headers: response.headers, body: object)
    }

    /// REST-JSON pages: the token goes out as the query parameter `tokenParameter` and comes
    /// back at `nextKey` of the body; the items are the list at `listKey`.
    public func restJSONPages(
        service: AWSService, path: [String], query: [HTTPRequest.QueryItem] = [], listKey: String,
        tokenParameter: String = "nextToken", nextKey: String = "nextToken", operation: String
    ) async throws -> [Value] {
        try await Paginator.collect { token in
            var items = query
            if let token { items.append(.init(tokenParameter, token)) }
            let answer = try await restJSON(service: service, method: "GET", path: path, query: items, operation: operation)
            return (answer.body[listKey]?.listValue ?? [], answer.body[nextKey]?.stringValue)
        }
    }
}

extension AWSErrorParser {
    /// REST-JSON: the code from the `x-amzn-errortype` header (`Code:http://…`), else the
    /// body's `__type`, `code` or `Code` (`prefix#Code` trimmed); the message from `message`,
    /// `Message` or `errorMessage`; a bodiless answer is named by its status.
    public static func restJSON(_ response: HTTPResponse, operation: String) -> AWSError {
        let body = (try? ValueJSON.parse(response.body))?.mapValue ?? [:]
        let header = response.headers["x-amzn-errortype"]
        var code = header ?? body["__type"]?.stringValue ?? body["code"]?.stringValue ?? body["Code"]?.stringValue ?? ""
        code = normalizeJSONCode(code)
        if code.isEmpty { code = statusCode(response.status) }
        let message = body["message"]?.stringValue ?? body["Message"]?.stringValue ?? body["errorMessage"]?.stringValue ?? ""
        let requestID = response.headers["x-amzn-requestid"]
        return AWSError(status: response.status, code: code, message: message, requestID: requestID, operation: operation)
    }
}

extension AWSClient {
    /// JSON pages whose token is spelled otherwise than `NextToken` (CloudWatch Logs: `nextToken`).
    public func jsonPages(service: AWSService, target: String, body: [String: Value], listKey: String, tokenKey: String) async throws -> [Value] {
        try await Paginator.collect { token in
            var b = body
            if let token { b[tokenKey] = .string(token) }
            let answer = try await json(service: service, target: target, body: b)
            return (answer[listKey]?.listValue ?? [], answer[tokenKey]?.stringValue)
        }
    }
}
