import Foundation
import StrataPluginKit
import Testing

@testable import StrataAWSKit

/// The ARN and CIDR parsers the provider checks input with, on the shapes `scripts/fuzz cidr-arn`
/// and `scripts/fuzz aws-response` exercise: nil or an error, never a trap.
@Suite struct ARNAndNameFuzzRegressionTests {
    @Test func arnsParse() throws {
        let arn = try #require(ARN("arn:aws:iam::123456789012:role/x:y"))
        #expect(arn.partition == "aws")
        #expect(arn.service == "iam")
        #expect(arn.region == "")
        #expect(arn.account == "123456789012")
        #expect(arn.resource == "role/x:y")
        #expect(arn.description == "arn:aws:iam::123456789012:role/x:y")
    }

    @Test("not ARNs", arguments: ["", "arn", "arn:", "arn:aws:iam::123", "arn::iam:::x", "arn:aws::::x", "arn:aws:s3:::", "urn:aws:s3:::b", ":::::"])
    func notARNs(_ text: String) {
        #expect(ARN(text) == nil)
        #expect(ARN.webACL(text) == nil)
    }

    @Test func webACLsAndListenerRules() {
        let acl = ARN.webACL("arn:aws:wafv2:us-east-1:123456789012:global/webacl/web/a1b2")
        #expect(acl?.id == "a1b2")
        #expect(acl?.name == "web")
        #expect(acl?.scope == "CLOUDFRONT")
        #expect(ARN.webACL("arn:aws:wafv2:us-east-1:1:regional/ipset/web/a1b2") == nil)
        #expect(ARN.webACL("arn:aws:s3:us-east-1:1:regional/webacl/web/a1b2") == nil)
        #expect(ARN.listener(ofRule: "arn:aws:elasticloadbalancing:r:1:listener-rule/app/lb/1/2/3") == "arn:aws:elasticloadbalancing:r:1:listener/app/lb/1/2")
        #expect(ARN.listener(ofRule: ":listener-rule/") == nil)
        #expect(ARN.listener(ofRule: ":listener-rule/x") == nil)
    }

    /// `createdBy` of a launch template, `arn:aws:iam::ACCOUNT:root`: the account is the fifth
    /// field (splitting at `:` and dropping empty fields gave `root`).
    @Test func theAccountOfAnIAMARNIsTheFifthField() {
        #expect(ARN("arn:aws:iam::123456789012:root")?.account == "123456789012")
    }

    @Test("not CIDR blocks", arguments: ["", "/", "10.0.0.0", "10.0.0.0/", "10.0.0.0/33", "10.0.0.256/8", "10.0.0/8", "1.2.3.4/-1", "1.2.3.4/+8", "١.٢.٣.٤/8", "1.2.3.4/٨", "1.2.3.4/99999999999999999999"])
    func notCIDRBlocks(_ text: String) {
        #expect(NameRules.IPv4CIDR(text) == nil)
        #expect(NameRules.vpcCIDRProblem(text) != nil)
    }

    /// The body `scripts/fuzz aws-response` found: `<\xC3?vml…`, not UTF-8. FoundationXML
    /// force-unwraps element names as UTF-8 and trapped; now refused before it parses.
    static let notUTF8 = Data([
            0x3c, 0xc3, 0x3f, 0x76, 0x6d, 0x6c, 0x20, 0x76, 0x65, 0x72, 0x73, 0x69, 0x6f, 0x00, 0x00, 0x00,
            0x00, 0x00, 0x00, 0x00, 0x28, 0x6e, 0x3d, 0x22, 0x31, 0x2e, 0x30, 0x22, 0x3e, 0x3c, 0x43, 0x6f,
            0x64, 0x65, 0x3e, 0x4e, 0x6f, 0x53, 0x75, 0x63, 0x68, 0x42, 0x75, 0x63, 0x6b, 0x65, 0x74, 0x3c,
            0x2f, 0x43, 0x6f, 0x64, 0x65, 0x3e, 0x3c, 0x4d, 0x65, 0x73, 0x73, 0x61, 0x67, 0x65, 0x3e, 0x54,
            0x68, 0x65, 0x20, 0x73, 0x70, 0x65, 0x63, 0x69, 0x66, 0x69, 0x65, 0x64, 0x20, 0x62, 0x75, 0x63,
            0x6b, 0x65, 0x74, 0x20, 0x64, 0x6f, 0x65, 0x73, 0x20, 0x6e, 0x6f, 0x74, 0x20, 0x65, 0x78, 0x69,
            0x73, 0x74, 0x3c, 0x2f, 0x4d, 0x65, 0x73, 0x73, 0x61, 0x67, 0x65, 0x3e, 0x3c, 0x42, 0x75, 0x63,
            0x6b, 0x65, 0x74, 0x4e, 0x61, 0x6d, 0x65, 0x3e, 0x62, 0x3c, 0x2f, 0x42, 0x75, 0x63, 0x6b, 0x65,
            0x74, 0x4e, 0x61, 0x6d, 0x65, 0x3e, 0x3c, 0x52, 0x65, 0x71, 0x75, 0x65, 0x73, 0x74, 0x49, 0x64,
            0x3e, 0x34, 0x34, 0x34, 0x32, 0x35, 0x38, 0x37, 0x46, 0x42, 0x37, 0x44, 0x30, 0x41, 0x32, 0x46,
            0x39, 0x3c, 0x2f, 0x52, 0x65, 0x71, 0x75, 0x3c, 0x2f, 0x45, 0x72, 0x72, 0x6f, 0x72, 0x73, 0x3e,
            0x3c, 0x52, 0x65, 0x71, 0x75, 0x65, 0x73, 0x74, 0x49, 0x44, 0x3e, 0x65, 0x61, 0x39, 0x36, 0x36,
            0xd8, 0x39, 0x30, 0x3c, 0x2f, 0x52, 0x64, 0x71, 0x75, 0x65, 0x73, 0x74, 0x49, 0x44, 0x3e, 0x3c,
            0x2f, 0x52, 0x65, 0x73, 0x70, 0x6f, 0x6e, 0x73, 0x65, 0x3e,
    ])

    @Test func anAnswerThatIsNotUTF8IsAnErrorNotACrash() {
        #expect(throws: XMLTreeError.self) { try XMLTree.parse(Self.notUTF8) }
        #expect(throws: XMLTreeError.self) { try XMLTree.parse(Data([0x3c, 0x61, 0x3e, 0xff, 0x3c, 0x2f, 0x61, 0x3e])) }
        let error = AWSErrorParser.restXML(HTTPResponse(status: 503, body: Self.notUTF8), operation: "s3 GetBucket")
        #expect(error.code == "ServiceUnavailable")
        #expect(error.kind.isRetryable)
        #expect(throws: AWSError.self) { try AWSClient.parseXML(HTTPResponse(status: 200, body: Self.notUTF8), operation: "ec2 X") }
    }

    @Test func onlyUTF8IsRead() throws {
        #expect(throws: XMLTreeError.self) { try XMLTree.parse(#"<?xml version="1.0" encoding="UTF-16"?><a/>"#) }
        #expect(throws: XMLTreeError.self) { try XMLTree.parse("<?xml version='1.0' encoding='ISO-8859-1'?><a>\u{e9}</a>") }
        #expect(try XMLTree.parse(#"<?xml version="1.0" encoding="UTF-8"?><a>\#u{e9}</a>"#).text == "\u{e9}")
        #expect(try XMLTree.parse("<a>x</a>").text == "x")
    }

    /// The second body it found: a processing instruction without data, which FoundationXML
    /// read as a C string from a null pointer. AWS answers have no processing instruction (but
    /// the XML declaration) and no DTD: both are refused.
    @Test func processingInstructionsAndDTDsAreRefused() throws {
        for text in [#"<?UT:F-43?>aMn="TF-8"No<?ing="UT:F-43?>aMn="TF-8"No<?/E"#, "<a><?pi?></a>", "<a><?pi data?></a>", #"<!DOCTYPE a [<!ENTITY e "x">]><a>&e;</a>"#] {
            #expect(throws: XMLTreeError.self) { try XMLTree.parse(text) }
        }
        #expect(try XMLTree.parse(#"<?xml version="1.0" encoding="UTF-8"?>\#n<a><b>1</b></a>"#).string("b") == "1")
    }
}
