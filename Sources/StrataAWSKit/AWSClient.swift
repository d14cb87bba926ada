import Foundation
import StrataModel

/// Signed, retried calls to AWS APIs over one HTTP transport, in the three wire protocols
/// the provider needs: EC2/Query, REST-XML (S3), JSON (Secrets Manager) and REST-JSON
/// (Lambda, API Gateway v2, EFS, Backup; in AWSClient+RestJSON.swift).
public final class AWSClient: Sendable {
    public let settings: AWSSettings
    public let retry: RetryPolicy
    let transport: any HTTPTransport
    let now: @Sendable () -> Date
    let sleep: @Sendable (Double) async throws -> Void
    let userAgent: String

    public init(
        settings: AWSSettings, transport: any HTTPTransport = URLSessionTransport(), retry: RetryPolicy = .standard,
        userAgent: String = "strata-provider-aws",
        now: @escaping @Sendable () -> Date = { Date() },
        sleep: @escaping @Sendable (Double) async throws -> Void = { seconds in
            try await Task.sleep(nanoseconds: UInt64(max(0, seconds) * 1_000_000_000))
        }
    ) {
        self.settings = settings
        self.transport = transport
        self.retry = retry
        self.userAgent = userAgent
        self.now = now
        self.sleep = sleep
    }

    // MARK: EC2 / Query

    /// A form-encoded POST (`Action`, `Version`, parameters); the XML answer's root element.
    public func query(service: AWSService, action: String, version: String? = nil, params: QueryParameters = QueryParameters()) async throws -> XMLTree {
        let endpoint = AWSEndpoint.resolve(service, settings: settings)
        let body = params.formEncoded(action: action, version: version ?? service.apiVersion)
        let request = HTTPRequest(
            method: "POST", scheme: endpoint.scheme, host: endpoint.host, port: endpoint.port,
            path: endpoint.basePath.isEmpty ? "/" : endpoint.basePath + "/",
            headers: ["Content-Type": "application/x-www-form-urlencoded; charset=utf-8"], body: Data(body.utf8))
        let operation = "\(service.endpointPrefix) \(action)"
        let response = try await send(request, service: service, endpoint: endpoint, operation: operation) {
            AWSErrorParser.query($0, operation: operation)
        }
        return try Self.parseXML(response, operation: operation)
    }

    // MARK: REST-XML

    /// A REST-XML call: S3 buckets addressed per `AWSEndpoint.s3Location`. Bodies get a
    /// Content-MD5 (S3 requires one on tagging and versioning PUTs).
    public func restXML(
        service: AWSService = .s3, method: String, bucket: String?, key: [String] = [], query: [HTTPRequest.QueryItem] = [],
        headers: [String: String] = [:], body: Data = Data(), operation: String
    ) async throws -> RestXMLResponse {
        let endpoint = AWSEndpoint.resolve(service, settings: settings)
        let location = endpoint.s3Location(bucket: bucket, keySegments: key)
        var allHeaders = headers
        if !body.isEmpty {
            allHeaders["Content-MD5"] = Data(Digest.md5(body)).base64EncodedString()
            if allHeaders["Content-Type"] == nil { allHeaders["Content-Type"] = "application/xml" }
        }
        let request = HTTPRequest(
            method: method, scheme: endpoint.scheme, host: location.host, port: endpoint.port,
            path: location.path, query: query, headers: allHeaders, body: body)
        let name = "\(service.endpointPrefix) \(operation)"
        let response = try await send(request, service: service, endpoint: endpoint, operation: name) {
            AWSErrorParser.restXML($0, operation: name)
        }
        let xml = response.body.isEmpty ? nil : try Self.parseXML(response, operation: name)
        return RestXMLResponse(status: response.status, headers: response.headers, xml: xml)
    }

    // MARK: JSON 1.0 / 1.1

    /// A JSON call: POST `/` with `X-Amz-Target: prefix.Operation`; the answer's object.
    public func json(service: AWSService, target: String, body: [String: Value] = [:]) async throws -> [String: Value] {
        let endpoint = AWSEndpoint.resolve(service, settings: settings)
        let prefix = service.targetPrefix ?? service.endpointPrefix
        let request = HTTPRequest(
            method: "POST", scheme: endpoint.scheme, host: endpoint.host, port: endpoint.port,
            path: endpoint.basePath.isEmpty ? "/" : endpoint.basePath + "/",
            headers: [
                "Content-Type": "application/x-amz-json-\(service.jsonVersion ?? "1.1")",
                "X-Amz-Target": "\(prefix).\(target)",
            ],
            body: ValueJSON.data(.map(body)))
        let operation = "\(service.endpointPrefix) \(target)"
        let response = try await send(request, service: service, endpoint: endpoint, operation: operation) {
            AWSErrorParser.json($0, operation: operation)
        }
        return try Self.jsonObject(response, operation: operation)
    }

    /// The object a successful JSON answer holds; a `MalformedResponse` error for anything else.
    static func jsonObject(_ response: HTTPResponse, operation: String) throws -> [String: Value] {
        if response.body.isEmpty { return [:] }
        let parsed = try? ValueJSON.parse(response.body)
        // Operations with no output may answer `null` (moto_server does for KMS DeleteAlias).
        if parsed == .null { return [:] }
        guard let object = parsed?.mapValue else {
            throw AWSError(status: response.status, code: "MalformedResponse",
                           message: "the answer is not a JSON object: \(String(decoding: response.body.prefix(200), as: UTF8.self))",
                           operation: operation)
        }
        return object
    }

    // MARK: Sending

    /// Signs and sends, retrying throttling, 5xx and network faults with full-jitter backoff
    /// (the request is signed again for every attempt: the date moves).
    public func send(
        _ request: HTTPRequest, service: AWSService, endpoint: AWSEndpoint, operation: String,
        parseError: (HTTPResponse) -> AWSError
    ) async throws -> HTTPResponse {
        let signer = SigV4Signer(credentials: settings.credentials, region: endpoint.signingRegion, service: service.signingName)
        var attempt = 1
        while true {
            try Task.checkCancellation()
            var signed = request
            signed.headers["User-Agent"] = userAgent
            signer.sign(&signed, date: now())
            let failure: any Error
            do {
                let response = try await transport.send(signed)
                if (200..<300).contains(response.status) { return response }
                failure = parseError(response)
            } catch let error as TransportError {
                failure = TransportError("\(operation): \(error.message)", retryable: error.retryable)
            }
            guard attempt < retry.maxAttempts, RetryPolicy.isRetryable(failure) else { throw failure }
            try await sleep(retry.delay(retry: attempt))
            attempt += 1
        }
    }

    static func parseXML(_ response: HTTPResponse, operation: String) throws -> XMLTree {
        do {
            return try XMLTree.parse(response.body)
        } catch {
            throw AWSError(status: response.status, code: "MalformedResponse", message: "\(error)", operation: operation)
        }
    }
}

/// A REST-XML answer: status, headers, and the XML body if there was one.
public struct RestXMLResponse: Sendable {
    public var status: Int
    public var headers: [String: String]
    public var xml: XMLTree?
}
