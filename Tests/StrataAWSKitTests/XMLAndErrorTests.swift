import Foundation
import StrataPluginKit
import Testing

@testable import StrataAWSKit

@Suite struct XMLAndErrorTests {
    static let describeVpcs = """
        <?xml version="1.0" encoding="UTF-8"?>
        <DescribeVpcsResponse xmlns="http://ec2.amazonaws.com/doc/2016-11-15/">
            <requestId>7a62c49f-347e-4fc4-9331-6e8eEXAMPLE</requestId>
            <vpcSet>
                <item>
                    <vpcId>vpc-1a2b3c4d</vpcId>
                    <state>available</state>
                    <cidrBlock>10.0.0.0/16</cidrBlock>
                    <ownerId>123456789012</ownerId>
                    <tagSet>
                        <item><key>Name</key><value>main &amp; only</value></item>
                        <item><key>strata:token</key><value>abc</value></item>
                    </tagSet>
                    <isDefault>false</isDefault>
                </item>
                <item><vpcId>vpc-2</vpcId><description><![CDATA[a <b> c]]></description></item>
            </vpcSet>
            <nextToken>page2</nextToken>
        </DescribeVpcsResponse>
        """

    @Test func parsesAnEC2Answer() throws {
        let tree = try XMLTree.parse(Self.describeVpcs)
        #expect(tree.name == "DescribeVpcsResponse")
        let vpcs = tree.items("vpcSet")
        #expect(vpcs.count == 2)
        #expect(vpcs[0].string("vpcId") == "vpc-1a2b3c4d")
        #expect(vpcs[0].bool("isDefault") == false)
        #expect(vpcs[0].items("tagSet").map { $0.string("value") } == ["main & only", "abc"])
        #expect(vpcs[1].string("description") == "a <b> c")
        #expect(tree.string("nextToken") == "page2")
        #expect(tree["vpcSet", "item", "state"]?.text == "available")
        #expect(tree.string("missing") == nil)
        #expect(tree.find("cidrBlock")?.text == "10.0.0.0/16")
    }

    @Test func badXMLIsAnErrorNotACrash() {
        #expect(throws: XMLTreeError.self) { try XMLTree.parse("<a><b></a>") }
        #expect(throws: XMLTreeError.self) { try XMLTree.parse("not xml") }
    }

    @Test func writesEscapedXML() {
        let tree = XMLTree(name: "Tagging", children: [XMLTree(name: "TagSet", children: [
            XMLTree(name: "Tag", children: [XMLTree(name: "Key", text: "a<b"), XMLTree(name: "Value", text: "x & \"y\"")]),
        ])])
        let text = String(decoding: XMLWriter.document(tree, namespace: "http://s3.amazonaws.com/doc/2006-03-01/"), as: UTF8.self)
        #expect(text == #"<?xml version="1.0" encoding="UTF-8"?><Tagging xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><TagSet><Tag><Key>a&lt;b</Key><Value>x &amp; &quot;y&quot;</Value></Tag></TagSet></Tagging>"#)
        let back = try? XMLTree.parse(Data(text.utf8))
        #expect(back?["TagSet", "Tag", "Value"]?.text == "x & \"y\"")
    }

    @Test func ec2Errors() {
        let body = """
            <?xml version="1.0" encoding="UTF-8"?>
            <Response><Errors><Error><Code>InvalidVpcID.NotFound</Code><Message>The vpc ID 'vpc-1' does not exist</Message></Error></Errors><RequestID>req-1</RequestID></Response>
            """
        let error = AWSErrorParser.query(HTTPResponse(status: 400, body: Data(body.utf8)), operation: "ec2 DescribeVpcs")
        #expect(error.code == "InvalidVpcID.NotFound")
        #expect(error.message == "The vpc ID 'vpc-1' does not exist")
        #expect(error.requestID == "req-1")
        #expect(error.kind == .notFound)
        #expect(error.description == "ec2 DescribeVpcs: InvalidVpcID.NotFound: The vpc ID 'vpc-1' does not exist (request req-1)")
        #expect(error.pluginError.providerCode == "InvalidVpcID.NotFound")
    }

    @Test func queryErrors() {
        let body = """
            <ErrorResponse xmlns="https://iam.amazonaws.com/doc/2010-05-08/"><Error><Type>Sender</Type><Code>Throttling</Code><Message>Rate exceeded</Message></Error><RequestId>r2</RequestId></ErrorResponse>
            """
        let error = AWSErrorParser.query(HTTPResponse(status: 400, body: Data(body.utf8)), operation: "iam ListUsers")
        #expect(error.code == "Throttling")
        #expect(error.requestID == "r2")
        #expect(error.kind == .throttled)
    }

    @Test func s3Errors() {
        let body = """
            <?xml version="1.0" encoding="UTF-8"?>
            <Error><Code>BucketNotEmpty</Code><Message>The bucket you tried to delete is not empty</Message><BucketName>b</BucketName><RequestId>r3</RequestId></Error>
            """
        let error = AWSErrorParser.restXML(HTTPResponse(status: 409, body: Data(body.utf8)), operation: "s3 DeleteBucket")
        #expect(error.code == "BucketNotEmpty")
        #expect(error.kind == .conflict)
        #expect(error.requestID == "r3")
        let head = AWSErrorParser.restXML(HTTPResponse(status: 404, headers: ["x-amz-request-id": "r4"]), operation: "s3 HeadBucket")
        #expect(head.code == "NotFound")
        #expect(head.kind == .notFound)
        #expect(head.requestID == "r4")
        let slowDown = AWSErrorParser.restXML(HTTPResponse(status: 503, body: Data("<Error><Code>SlowDown</Code><Message>Please reduce</Message></Error>".utf8)), operation: "s3 PutObject")
        #expect(slowDown.kind == .throttled)
    }

    @Test func jsonErrors() {
        let plain = AWSErrorParser.json(HTTPResponse(status: 400, body: Data(#"{"__type":"ResourceNotFoundException","message":"Secrets Manager can't find the specified secret."}"#.utf8)), operation: "secretsmanager DescribeSecret")
        #expect(plain.code == "ResourceNotFoundException")
        #expect(plain.message == "Secrets Manager can't find the specified secret.")
        #expect(plain.kind == .notFound)
        let prefixed = AWSErrorParser.json(HTTPResponse(status: 400, body: Data(#"{"__type":"com.amazonaws.secretsmanager#ResourceExistsException","Message":"exists"}"#.utf8)), operation: "x")
        #expect(prefixed.code == "ResourceExistsException")
        #expect(prefixed.message == "exists")
        #expect(prefixed.kind == .conflict)
        let header = AWSErrorParser.json(HTTPResponse(status: 400, headers: ["X-Amzn-ErrorType": "ThrottlingException:http://internal.amazon.com/coral/"], body: Data("{}".utf8)), operation: "x")
        #expect(header.code == "ThrottlingException")
        #expect(header.kind == .throttled)
        let garbage = AWSErrorParser.json(HTTPResponse(status: 502, body: Data("<html>Bad Gateway</html>".utf8)), operation: "x")
        #expect(garbage.code == "HTTP502")
        #expect(garbage.kind == .retryable)
    }

    @Test func errorKinds() {
        let cases: [(String, Int, PluginErrorKind)] = [
            ("InvalidVpcID.NotFound", 400, .notFound), ("InvalidGroup.NotFound", 400, .notFound), ("NoSuchBucket", 404, .notFound),
            ("ResourceNotFoundException", 400, .notFound),
            ("Throttling", 400, .throttled), ("RequestLimitExceeded", 503, .throttled), ("SlowDown", 503, .throttled),
            ("ThrottlingException", 400, .throttled), ("", 429, .throttled),
            ("InternalError", 500, .retryable), ("ServiceUnavailable", 503, .retryable), ("Whatever", 502, .retryable),
            ("InvalidParameterValue", 400, .invalid), ("InvalidParameterException", 400, .invalid), ("ValidationError", 400, .invalid),
            ("MalformedXML", 400, .invalid), ("InvalidVpcID.Malformed", 400, .invalid), ("InvalidSubnet.Range", 400, .invalid),
            ("InvalidGroup.Duplicate", 400, .conflict), ("BucketAlreadyOwnedByYou", 409, .conflict), ("ResourceExistsException", 400, .conflict),
            ("DependencyViolation", 400, .conflict), ("EntityAlreadyExists", 409, .conflict), ("ConflictException", 409, .conflict),
            ("AuthFailure", 401, .fatal), ("SignatureDoesNotMatch", 403, .fatal), ("AccessDenied", 403, .fatal), ("Unheard", 400, .fatal),
        ]
        for (code, status, kind) in cases {
            #expect(AWSErrorClassifier.kind(code: code, status: status) == kind, "\(code) \(status)")
        }
        #expect(AWSError(status: 403, code: "SignatureDoesNotMatch", message: "m").description.contains("Check the secret key"))
    }
}
