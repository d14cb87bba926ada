import Foundation

#if canImport(FoundationNetworking)
    import FoundationNetworking
#endif

/// Sends one HTTP request. `URLSessionTransport` in production; tests pass a fake.
public protocol HTTPTransport: Sendable {
    func send(_ request: HTTPRequest) async throws -> HTTPResponse
}

/// The request never got an HTTP answer (DNS, refused connection, timeout, TLS).
public struct TransportError: Error, Sendable, CustomStringConvertible {
    public var message: String
    public var retryable: Bool
    public init(_ message: String, retryable: Bool) {
        self.message = message
        self.retryable = retryable
    }
    public var description: String { message }
}

/// HTTP through one `URLSession` (libcurl underneath on Linux).
public final class URLSessionTransport: HTTPTransport {
    private let session: URLSession

    public init(timeout: TimeInterval = 60) {
        let configuration = URLSessionConfiguration.ephemeral
        configuration.timeoutIntervalForRequest = timeout
        configuration.httpCookieStorage = nil
        configuration.urlCache = nil
        configuration.requestCachePolicy = .reloadIgnoringLocalCacheData
        session = URLSession(configuration: configuration)
    }

    public func send(_ request: HTTPRequest) async throws -> HTTPResponse {
        guard let url = request.url else {
            throw TransportError("cannot build a URL for \(request.scheme)://\(request.hostHeader)\(request.path)", retryable: false)
        }
        var urlRequest = URLRequest(url: url)
        urlRequest.httpMethod = request.method
        for (name, value) in request.headers { urlRequest.setValue(value, forHTTPHeaderField: name) }
        if !request.body.isEmpty || ["PUT", "POST"].contains(request.method) { urlRequest.httpBody = request.body }
        do {
            let (data, response) = try await session.data(for: urlRequest)
            guard let http = response as? HTTPURLResponse else {
                throw TransportError("\(request.method) \(url.absoluteString) got a non-HTTP answer", retryable: true)
            }
            var headers: [String: String] = [:]
            for (key, value) in http.allHeaderFields {
                if let key = key as? String, let value = value as? String { headers[key] = value }
            }
            return HTTPResponse(status: http.statusCode, headers: headers, body: data)
        } catch let error as TransportError {
            throw error
        } catch is CancellationError {
            throw CancellationError()
        } catch let error as URLError {
            if error.code == .cancelled, Task.isCancelled { throw CancellationError() }
            let permanent: Set<URLError.Code> = [.badURL, .unsupportedURL, .userAuthenticationRequired]
            throw TransportError(
                "\(request.method) \(url.absoluteString) failed: \(error.localizedDescription) (URLError \(error.code.rawValue)); check the endpoint and the network",
                retryable: !permanent.contains(error.code))
        } catch {
            throw TransportError("\(request.method) \(url.absoluteString) failed: \(error)", retryable: true)
        }
    }
}
