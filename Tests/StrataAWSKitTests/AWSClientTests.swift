import Foundation
import StrataModel
import StrataPluginKit
import Testing

@testable import StrataAWSKit

/// Answers from a script and records what was sent.
final class ScriptedTransport: HTTPTransport, @unchecked Sendable {
    private let lock = NSLock()
    private var answers: [Result<HTTPResponse, TransportError>]
    private(set) var sent: [HTTPRequest] = []

    init(_ answers: [Result<HTTPResponse, TransportError>]) { self.answers = answers }

    func send(_ request: HTTPRequest) async throws -> HTTPResponse {
        let answer: Result<HTTPResponse, TransportError> = lock.withLock {
            sent.append(request)
            return answers.isEmpty ? .success(HTTPResponse(status: 500)) : answers.removeFirst()
        }
        return try answer.get()
    }

    var requests: [HTTPRequest] { lock.withLock { sent } }
}

final class SleepLog: @unchecked Sendable {
    private let lock = NSLock()
    private var delays: [Double] = []
    func record(_ d: Double) { lock.withLock { delays.append(d) } }
    var all: [Double] { lock.withLock { delays } }
}

@Suite struct AWSClientTests {
    static let credentials = AWSCredentials(accessKeyID: "AKIDTEST", secretAccessKey: "secret")
    static let fixedDate = Date(timeIntervalSince1970: 1_700_000_000)

    static func client(_ transport: ScriptedTransport, endpoint: String? = "http://127.0.0.1:5000", region: String = "us-east-1",
                       sleeps: SleepLog = SleepLog(), retry: RetryPolicy = .standard) -> AWSClient {
        AWSClient(
            settings: AWSSettings(region: region, endpoint: endpoint.flatMap(URL.init(string:)), credentials: credentials),
            transport: transport, retry: retry, now: { fixedDate }, sleep: { sleeps.record($0) })
    }

    static func ok(_ body: String, headers: [String: String] = [:]) -> Result<HTTPResponse, TransportError> {
        .success(HTTPResponse(status: 200, headers: headers, body: Data(body.utf8)))
    }

    @Test func queryPostsAFormAndParsesXML() async throws {
        let transport = ScriptedTransport([Self.ok("<CreateVpcResponse><vpc><vpcId>vpc-1</vpcId></vpc></CreateVpcResponse>")])
        var params = QueryParameters()
        params["CidrBlock"] = "10.0.0.0/16"
        params.tagSpecification(resourceType: "vpc", tags: ["strata:token": "t 1"])
        let tree = try await Self.client(transport).query(service: .ec2, action: "CreateVpc", params: params)
        #expect(tree.string("vpc", "vpcId") == "vpc-1")
        let sent = try #require(transport.requests.first)
        #expect(sent.method == "POST")
        #expect(sent.url?.absoluteString == "http://127.0.0.1:5000/")
        #expect(String(decoding: sent.body, as: UTF8.self) ==
            "Action=CreateVpc&CidrBlock=10.0.0.0%2F16&TagSpecification.1.ResourceType=vpc&TagSpecification.1.Tag.1.Key=strata%3Atoken&TagSpecification.1.Tag.1.Value=t%201&Version=2016-11-15")
        #expect(sent.headers["Content-Type"] == "application/x-www-form-urlencoded; charset=utf-8")
        #expect(sent.headers["Authorization"]?.hasPrefix("AWS4-HMAC-SHA256 Credential=AKIDTEST/20231114/us-east-1/ec2/aws4_request, SignedHeaders=content-type;host;x-amz-date,") == true)
        #expect(sent.headers["X-Amz-Date"] == "20231114T221320Z")
    }

    @Test func jsonSendsTheTargetAndParsesTheAnswer() async throws {
        let transport = ScriptedTransport([Self.ok(#"{"ARN":"arn:1","Name":"n"}"#)])
        let answer = try await Self.client(transport).json(service: .secretsManager, target: "CreateSecret", body: ["Name": "n"])
        #expect(answer["ARN"] == "arn:1")
        let sent = try #require(transport.requests.first)
        #expect(sent.headers["X-Amz-Target"] == "secretsmanager.CreateSecret")
        #expect(sent.headers["Content-Type"] == "application/x-amz-json-1.1")
        #expect(String(decoding: sent.body, as: UTF8.self) == #"{"Name":"n"}"#)
    }

    @Test func s3IsPathStyleWithAnEndpointAndVirtualHostedOnAWS() async throws {
        let local = ScriptedTransport([.success(HTTPResponse(status: 200))])
        _ = try await Self.client(local).restXML(method: "PUT", bucket: "my-bucket", query: [.init("versioning", "")],
                                                  body: Data("<x/>".utf8), operation: "PutBucketVersioning")
        let sent = try #require(local.requests.first)
        #expect(sent.url?.absoluteString == "http://127.0.0.1:5000/my-bucket?versioning")
        #expect(sent.headers["Content-MD5"] == Data(Digest.md5(Array("<x/>".utf8))).base64EncodedString())
        #expect(sent.headers["X-Amz-Content-SHA256"] == Digest.sha256Hex(Array("<x/>".utf8)))

        let aws = ScriptedTransport([.success(HTTPResponse(status: 200))])
        _ = try await Self.client(aws, endpoint: nil, region: "eu-west-1").restXML(method: "HEAD", bucket: "my-bucket", operation: "HeadBucket")
        #expect(aws.requests.first?.url?.absoluteString == "https://my-bucket.s3.eu-west-1.amazonaws.com/")
        let dotted = AWSEndpoint.resolve(.s3, settings: AWSSettings(region: "us-east-1", credentials: Self.credentials)).s3Location(bucket: "a.b")
        #expect(dotted.host == "s3.us-east-1.amazonaws.com" && dotted.path == "/a.b", "dotted names break TLS wildcards: path style")
    }

    @Test func endpoints() {
        let settings = AWSSettings(region: "cn-north-1", credentials: Self.credentials)
        #expect(AWSEndpoint.resolve(.ec2, settings: settings).host == "ec2.cn-north-1.amazonaws.com.cn")
        let iam = AWSEndpoint.resolve(.iam, settings: AWSSettings(region: "eu-west-1", credentials: Self.credentials))
        #expect(iam.host == "iam.amazonaws.com" && iam.signingRegion == "us-east-1")
        let overridden = AWSEndpoint.resolve(.iam, settings: AWSSettings(region: "eu-west-1", endpoint: URL(string: "http://h:1/base/"), credentials: Self.credentials))
        #expect(overridden.host == "h" && overridden.port == 1 && overridden.basePath == "/base" && overridden.isOverride)
    }

    @Test func retriesThrottlingAnd5xxWithJitteredBackoff() async throws {
        let throttled = Result<HTTPResponse, TransportError>.success(HTTPResponse(status: 400, body: Data(
            "<Response><Errors><Error><Code>RequestLimitExceeded</Code><Message>slow down</Message></Error></Errors></Response>".utf8)))
        let transport = ScriptedTransport([
            throttled, .success(HTTPResponse(status: 503)), .failure(TransportError("reset", retryable: true)),
            Self.ok("<DescribeVpcsResponse/>"),
        ])
        let sleeps = SleepLog()
        let policy = RetryPolicy(maxAttempts: 5, baseDelay: 1, maxDelay: 3)
        _ = try await Self.client(transport, sleeps: sleeps, retry: policy).query(service: .ec2, action: "DescribeVpcs")
        #expect(transport.requests.count == 4)
        #expect(sleeps.all.count == 3)
        for (retry, delay) in sleeps.all.enumerated() {
            #expect(delay >= 0 && delay <= policy.ceiling(retry: retry + 1))
        }
        #expect(policy.ceiling(retry: 1) == 1 && policy.ceiling(retry: 2) == 2 && policy.ceiling(retry: 3) == 3 && policy.ceiling(retry: 9) == 3)
        #expect(policy.delay(retry: 2, unit: 0.5) == 1)
        // Each attempt is signed afresh.
        #expect(transport.requests.allSatisfy { $0.headers["Authorization"] != nil })
    }

    @Test func givesUpAfterMaxAttemptsWithTheLastError() async throws {
        let transport = ScriptedTransport(Array(repeating: .success(HTTPResponse(status: 503)), count: 10))
        let sleeps = SleepLog()
        await #expect(throws: AWSError.self) {
            _ = try await Self.client(transport, sleeps: sleeps, retry: RetryPolicy(maxAttempts: 3, baseDelay: 0.1, maxDelay: 1))
                .query(service: .ec2, action: "DescribeVpcs")
        }
        #expect(transport.requests.count == 3)
        #expect(sleeps.all.count == 2)
    }

    @Test func doesNotRetryWhatARetryCannotFix() async throws {
        let transport = ScriptedTransport([.success(HTTPResponse(status: 400, body: Data(
            #"{"__type":"InvalidParameterException","message":"bad name"}"#.utf8)))])
        do {
            _ = try await Self.client(transport).json(service: .secretsManager, target: "CreateSecret", body: [:])
            Issue.record("expected an error")
        } catch let error as AWSError {
            #expect(error.code == "InvalidParameterException")
            #expect(error.kind == .invalid)
            #expect(error.operation == "secretsmanager CreateSecret")
        }
        #expect(transport.requests.count == 1)
    }

    @Test func paginatesEC2AndJSON() async throws {
        let transport = ScriptedTransport([
            Self.ok("<R><vpcSet><item><vpcId>a</vpcId></item></vpcSet><nextToken>t1</nextToken></R>"),
            Self.ok("<R><vpcSet><item><vpcId>b</vpcId></item><item><vpcId>c</vpcId></item></vpcSet></R>"),
            Self.ok(#"{"SecretList":[{"Name":"x"}],"NextToken":"n1"}"#),
            Self.ok(#"{"SecretList":[{"Name":"y"}],"NextToken":null}"#),
        ])
        let client = Self.client(transport)
        let vpcs = try await client.queryPages(service: .ec2, action: "DescribeVpcs", params: QueryParameters(), listElement: "vpcSet")
        #expect(vpcs.compactMap { $0.string("vpcId") } == ["a", "b", "c"])
        #expect(String(decoding: transport.requests[1].body, as: UTF8.self).contains("NextToken=t1"))
        let secrets = try await client.jsonPages(service: .secretsManager, target: "ListSecrets", body: [:], listKey: "SecretList")
        #expect(secrets.count == 2)
        #expect(String(decoding: transport.requests[3].body, as: UTF8.self).contains(#""NextToken":"n1""#))
    }

    @Test func paginatorStopsOnARepeatedToken() async throws {
        let pages = try await Paginator.collect { (token: String?) async throws -> (items: [Int], next: String?) in
            ([token == nil ? 0 : 1], "same")
        }
        #expect(pages == [0, 1])
    }

    @Test func queryParametersFlattenListsAsEC2Does() {
        var params = QueryParameters()
        params.filter("tag:strata:token", ["abc"])
        params.filter("vpc-id", ["v1", "v2"])
        params.list("VpcId", ["vpc-1"])
        #expect(params.values == ["Filter.1.Name": "tag:strata:token", "Filter.1.Value.1": "abc",
                                  "Filter.2.Name": "vpc-id", "Filter.2.Value.1": "v1", "Filter.2.Value.2": "v2", "VpcId.1": "vpc-1"])
    }
}

@Suite struct WaiterTests {
    final class Clock: @unchecked Sendable {
        private let lock = NSLock()
        private var t = Date(timeIntervalSince1970: 0)
        var now: Date { lock.withLock { t } }
        func advance(_ s: Double) { lock.withLock { t += s } }
    }

    @Test func pollsUntilDoneReportingProgress() async throws {
        let clock = Clock()
        var polls = 0
        var messages: [String] = []
        let value = try await Waiter("vpc-1 to be available", timeout: 60, minDelay: 1, maxDelay: 4)
            .wait(now: { clock.now }, sleep: { clock.advance($0) }, progress: { messages.append($0) }) { () async throws -> WaitState<String> in
                polls += 1
                return polls < 3 ? .pending("pending") : .done("available")
            }
        #expect(value == "available")
        #expect(polls == 3)
        #expect(messages.count == 2)
        #expect(messages[0].hasPrefix("waiting for vpc-1 to be available: pending"))
    }

    @Test func givesUpAtTheTimeoutAndOnFailure() async throws {
        let clock = Clock()
        await #expect(throws: WaiterError.self) {
            try await Waiter("x", timeout: 10, minDelay: 1, maxDelay: 2)
                .wait(now: { clock.now }, sleep: { clock.advance($0) }) { () async throws -> WaitState<Void> in .pending("busy") }
        }
        #expect(clock.now.timeIntervalSince1970 >= 10 && clock.now.timeIntervalSince1970 < 13)
        do {
            try await Waiter("y").wait { () async throws -> WaitState<Void> in .failed("state failed") }
        } catch let error as WaiterError {
            #expect(error == .failed("y", "state failed"))
        }
    }
}

@Suite struct NameRulesTests {
    @Test func cidrBlocks() {
        #expect(NameRules.vpcCIDRProblem("10.0.0.0/16") == nil)
        #expect(NameRules.vpcCIDRProblem("10.0.0.0/8")?.contains("/16 to /28") == true)
        #expect(NameRules.vpcCIDRProblem("10.0.1.0/16")?.contains("did you mean 10.0.0.0/16") == true)
        #expect(NameRules.vpcCIDRProblem("10.0.0/16")?.contains("not an IPv4 CIDR block") == true)
        #expect(NameRules.vpcCIDRProblem("300.0.0.0/16") != nil)
        let vpc = NameRules.IPv4CIDR("10.0.0.0/16"), subnet = NameRules.IPv4CIDR("10.0.3.0/24"), other = NameRules.IPv4CIDR("10.1.0.0/24")
        #expect(vpc.map { v in subnet.map(v.contains) ?? false } == true)
        #expect(vpc.map { v in other.map(v.contains) ?? true } == false)
    }

    @Test func bucketNames() {
        #expect(NameRules.bucketNameProblem("my-bucket.logs") == nil)
        #expect(NameRules.bucketNameProblem("ab")?.contains("3 to 63") == true)
        #expect(NameRules.bucketNameProblem("My_Bucket")?.contains("lower-case") == true)
        #expect(NameRules.bucketNameProblem("-abc")?.contains("begin and end") == true)
        #expect(NameRules.bucketNameProblem("a..b") != nil)
        #expect(NameRules.bucketNameProblem("192.168.5.4")?.contains("IP address") == true)
        #expect(NameRules.bucketNameProblem("xn--abc") != nil)
        #expect(NameRules.bucketNameProblem("abc-s3alias") != nil)
    }

    @Test func secretNames() {
        #expect(NameRules.secretNameProblem("prod/db/password@1") == nil)
        #expect(NameRules.secretNameProblem("bad name") != nil)
    }
}
