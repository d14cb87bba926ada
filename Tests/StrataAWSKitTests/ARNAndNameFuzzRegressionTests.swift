import Foundation
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
}
