import Foundation

extension AWSClient {
    /// A REST call whose answer body is returned as it came (an S3 object's bytes), not parsed
    /// as XML; errors are read as REST-XML errors. `headers` go out as given (`If-Match`,
    /// `If-None-Match`, `Content-Type`); the answer's headers (`etag`, `last-modified`, …)
    /// come back with lowercased names. A body gets a Content-MD5, so S3 refuses a damaged upload.
    public func restObject(
        service: AWSService = .s3, method: String, bucket: String?, key: [String] = [], query: [HTTPRequest.QueryItem] = [],
        headers: [String: String] = [:], body: Data = Data(), operation: String
    ) async throws -> HTTPResponse {
        let endpoint = AWSEndpoint.resolve(service, settings: settings)
        let location = endpoint.s3Location(bucket: bucket, keySegments: key)
        var allHeaders = headers
        if !body.isEmpty {
            allHeaders["Content-MD5"] = Data(Digest.md5(body)).base64EncodedString()
            if allHeaders["Content-Type"] == nil { allHeaders["Content-Type"] = "application/octet-stream" }
        }
        let request = HTTPRequest(
            method: method, scheme: endpoint.scheme, host: location.host, port: endpoint.port,
            path: location.path, query: query, headers: allHeaders, body: body)
        let name = "\(service.endpointPrefix) \(operation)"
        return try await send(request, service: service, endpoint: endpoint, operation: name) {
            AWSErrorParser.restXML($0, operation: name)
        }
    }
}
