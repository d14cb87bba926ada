import Foundation
import StrataModel
import StrataPluginKit
import Testing

@testable import StrataAWSKit

/// The REST-JSON protocol (Lambda, API Gateway v2, EFS, Backup): the request's method, path
/// with encoded URI parameters, query and JSON body; its signature (the path is encoded twice
/// for signing, as botocore does); errors from the header or the body.
@Suite struct RestJSONTests {
    @Test func sendsMethodPathQueryAndJSONBody() async throws {
        let transport = ScriptedTransport([AWSClientTests.ok(#"{"FunctionArn":"arn:aws:lambda:us-east-1:123:function:f","Version":"$LATEST"}"#)])
        let client = AWSClientTests.client(transport)
        let answer = try await client.restJSON(
            service: .lambda, method: "PUT", path: ["2015-03-31", "functions", "arn:aws:lambda:us-east-1:123:function:f", "configuration"],
            query: [.init("Qualifier", "live 1")], body: ["MemorySize": 256, "Handler": "index.handler"], operation: "UpdateFunctionConfiguration")
        #expect(answer.status == 200 && answer.body["Version"] == "$LATEST")
        let sent = try #require(transport.requests.first)
        #expect(sent.method == "PUT")
        #expect(sent.path == "/2015-03-31/functions/arn%3Aaws%3Alambda%3Aus-east-1%3A123%3Afunction%3Af/configuration")
        #expect(sent.url?.absoluteString == "http://127.0.0.1:5000/2015-03-31/functions/arn%3Aaws%3Alambda%3Aus-east-1%3A123%3Afunction%3Af/configuration?Qualifier=live%201")
        #expect(sent.headers["Content-Type"] == "application/json")
        #expect(sent.headers["X-Amz-Target"] == nil)
        let body = try #require(try ValueJSON.parse(sent.body).mapValue)
        #expect(body == ["MemorySize": 256, "Handler": "index.handler"])
        #expect(sent.headers["Authorization"]?.contains("/us-east-1/lambda/aws4_request") == true)
    }

    @Test func noBodyNoContentTypeAndAnEmptyAnswer() async throws {
        let transport = ScriptedTransport([.success(HTTPResponse(status: 204))])
        let answer = try await AWSClientTests.client(transport).restJSON(
            service: .apiGatewayV2, method: "DELETE", path: ["v2", "apis", "a1b2"], operation: "DeleteApi")
        #expect(answer.status == 204 && answer.body.isEmpty)
        let sent = try #require(transport.requests.first)
        #expect(sent.body.isEmpty && sent.headers["Content-Type"] == nil && sent.path == "/v2/apis/a1b2")
    }

    @Test func anEndpointPathPrefixComesFirst() async throws {
        let transport = ScriptedTransport([AWSClientTests.ok("{}")])
        _ = try await AWSClientTests.client(transport, endpoint: "http://127.0.0.1:5000/aws/").restJSON(
            service: .efs, method: "GET", path: ["2015-02-01", "file-systems"], operation: "DescribeFileSystems")
        #expect(transport.requests.first?.path == "/aws/2015-02-01/file-systems")
    }

    @Test func errorsFromTheHeaderOrTheBody() async throws {
        let header = AWSErrorParser.restJSON(
            HTTPResponse(status: 404, headers: ["X-Amzn-ErrorType": "ResourceNotFoundException:http://internal.amazon.com/", "x-amzn-RequestId": "r1"],
                         body: Data(#"{"Type":"User","message":"Function not found: f"}"#.utf8)),
            operation: "lambda GetFunction")
        #expect(header.code == "ResourceNotFoundException" && header.message == "Function not found: f" && header.requestID == "r1")
        #expect(header.kind == .notFound)
        let typed = AWSErrorParser.restJSON(
            HTTPResponse(status: 409, body: Data(#"{"__type":"com.amazonaws.backup#AlreadyExistsException","Message":"exists"}"#.utf8)), operation: "backup CreateBackupVault")
        #expect(typed.code == "AlreadyExistsException" && typed.message == "exists" && typed.kind == .conflict)
        let coded = AWSErrorParser.restJSON(
            HTTPResponse(status: 400, body: Data(#"{"code":"BadRequestException","message":"Invalid route key"}"#.utf8)), operation: "apigateway CreateRoute")
        #expect(coded.code == "BadRequestException" && coded.message == "Invalid route key")
        let bare = AWSErrorParser.restJSON(HTTPResponse(status: 404), operation: "elasticfilesystem DescribeFileSystems")
        #expect(bare.code == "NotFound" && bare.kind == .notFound)
    }

    @Test func aFailedCallThrowsTheParsedErrorWithoutRetryingIt() async throws {
        let transport = ScriptedTransport([.success(HTTPResponse(
            status: 409, headers: ["x-amzn-errortype": "ResourceConflictException"], body: Data(#"{"message":"exists"}"#.utf8)))])
        await #expect(throws: AWSError.self) {
            _ = try await AWSClientTests.client(transport).restJSON(
                service: .lambda, method: "POST", path: ["2015-03-31", "functions"], body: ["FunctionName": "f"], operation: "CreateFunction")
        }
        #expect(transport.requests.count == 1)
    }

    @Test func pagesFollowTheNextToken() async throws {
        let transport = ScriptedTransport([
            AWSClientTests.ok(#"{"Items":[{"ApiId":"a"}],"NextToken":"t2"}"#),
            AWSClientTests.ok(#"{"Items":[{"ApiId":"b"}]}"#),
        ])
        let items = try await AWSClientTests.client(transport).restJSONPages(
            service: .apiGatewayV2, path: ["v2", "apis"], listKey: "Items", nextKey: "NextToken", operation: "GetApis")
        #expect(items.compactMap { $0.mapValue?["ApiId"]?.stringValue } == ["a", "b"])
        #expect(transport.requests.last?.query == [.init("nextToken", "t2")])
    }

    /// The signature equals botocore's on REST-JSON requests: a URI parameter holding `:` (an
    /// ARN, encoded once in the path and again for signing), a query, a JSON body.
    @Test func signsLikeBotocore() throws {
        let body = #"{"FunctionVersion":"$LATEST","Name":"live"}"#
        let requests: [(HTTPRequest, String)] = [
            (HTTPRequest(method: "POST", scheme: "http", host: "127.0.0.1", port: 5000,
                         path: URIEncoding.path(["2015-03-31", "functions", "arn:aws:lambda:us-east-1:123456789012:function:api fn", "aliases"]),
                         headers: ["Content-Type": "application/json"], body: Data(body.utf8)), "lambda"),
            (HTTPRequest(method: "GET", host: "apigateway.us-east-1.amazonaws.com", path: URIEncoding.path(["v2", "apis", "abc123", "routes"]),
                         query: [.init("maxResults", "50"), .init("nextToken", "a/b=")]), "apigateway"),
        ]
        let amzDate = "20240229T235959Z"
        let cases = requests.map { request, service in
            BotocoreSigner.Case(
                method: request.method, url: request.url?.absoluteString ?? "", headers: request.headers,
                body: String(decoding: request.body, as: UTF8.self), service: service, region: "us-east-1",
                accessKey: "AKIDEXAMPLE", secretKey: "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", sessionToken: nil,
                amzDate: amzDate, s3: false)
        }
        guard let expected = try BotocoreSigner.sign(cases) else {
            print("skipping the botocore comparison: python3 with botocore is not installed")
            return
        }
        try #require(expected.count == requests.count)
        for ((request, service), botocore) in zip(requests, expected) {
            var signed = request
            let credentials = AWSCredentials(accessKeyID: "AKIDEXAMPLE", secretAccessKey: "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY")
            SigV4Signer(credentials: credentials, region: "us-east-1", service: service).sign(&signed, date: try SigV4SignerTests.date(amzDate))
            #expect(signed.headers["Authorization"] == botocore.headers["Authorization"], "\(request.method) \(request.url?.absoluteString ?? "")")
        }
    }
}
