import Foundation
import Testing

/// The identity and edge types through the plugin on its own, against moto_server: a second
/// create with the same token finds the first (its `strata:token` tag, or a zone's caller
/// reference), recover with another token finds nothing, discover by the engine's tags finds
/// it, delete, read says gone. And IAM's five-version limit on policy updates.
@Suite(.serialized) struct AWSEdgeProtocolTests {
    static func plugin(_ server: MotoServer) throws -> PluginPipe {
        let plugin = try PluginPipe(StrataCLI.buildDirectory.appendingPathComponent("strata-provider-aws"), environment: [
            "AWS_ENDPOINT_URL": server.endpoint, "AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing",
            "AWS_REGION": "us-east-1", "AWS_CONFIG_FILE": "/nonexistent", "AWS_SHARED_CREDENTIALS_FILE": "/nonexistent",
        ])
        _ = try plugin.call("initialize", #"{"protocolVersion":1,"engineVersion":"test"}"#)
        _ = try plugin.call("configure", #"{"config":{}}"#)
        return plugin
    }

    static func result(_ answer: [String: Any]) -> [String: Any] { answer["result"] as? [String: Any] ?? [:] }

    @Test(.enabled(if: AWSProviderTests.toolsMissing == nil, "needs moto_server"))
    func createsAreIdempotentByTokenAndDiscoverFindsThem() throws {
        let server = try MotoServer.start(try #require(AWSProviderTests.moto))
        defer { server.stop() }
        let plugin = try Self.plugin(server)
        defer { plugin.close() }
        let trust = #"{\"Version\":\"2012-10-17\",\"Statement\":[{\"Effect\":\"Allow\",\"Principal\":{\"Service\":\"ec2.amazonaws.com\"},\"Action\":\"sts:AssumeRole\"}]}"#
        let cases: [(type: String, inputs: String)] = [
            ("aws_iam_role", #"{"name":"proto-role","assumeRolePolicy":"\#(trust)"}"#),
            ("aws_iam_policy", #"{"name":"proto-policy","policy":"{\"Version\":\"2012-10-17\",\"Statement\":[{\"Effect\":\"Allow\",\"Action\":\"s3:ListBucket\",\"Resource\":\"*\"}]}"}"#),
            ("aws_iam_instance_profile", #"{"name":"proto-profile"}"#),
            ("aws_route53_zone", #"{"name":"proto.example.net"}"#),
            ("aws_acm_certificate", #"{"domainName":"proto.example.net"}"#),
            ("aws_cloudfront_distribution", #"{"origins":[{"id":"o","domainName":"proto.s3.amazonaws.com"}],"defaultCacheBehavior":{"targetOriginId":"o"}}"#),
            ("aws_wafv2_web_acl", #"{"name":"proto-acl","defaultAction":"allow"}"#),
        ]
        for (index, c) in cases.enumerated() {
            let token = "edge\(index)token"
            let engineTags = #"{"strata:stack":"proto","strata:instance":"default","strata:address":"\#(c.type).x","strata:token":"\#(token)"}"#
            let created = try plugin.call("create", #"{"type":"\#(c.type)","inputs":\#(c.inputs),"token":"\#(token)","tags":\#(engineTags)}"#)
            let id = try #require(Self.result(created)["id"] as? String, "\(c.type): \(created)")
            let again = try plugin.call("create", #"{"type":"\#(c.type)","inputs":\#(c.inputs),"token":"\#(token)","tags":\#(engineTags)}"#)
            #expect(Self.result(again)["id"] as? String == id, "\(c.type): create is idempotent by token: \(again)")
            let other = try plugin.call("recover", #"{"type":"\#(c.type)","token":"another","inputs":\#(c.inputs)}"#)
            #expect(Self.result(other)["found"] as? Bool == false, "\(c.type): \(other)")
            let discovered = try plugin.call("discover", #"{"type":"\#(c.type)","tags":{"strata:stack":"proto","strata:address":"\#(c.type).x"}}"#)
            let found = (Self.result(discovered)["resources"] as? [[String: Any]] ?? []).compactMap { $0["id"] as? String }
            #expect(found == [id], "\(c.type): discover finds it: \(discovered)")
            let imported = try plugin.call("import", #"{"type":"\#(c.type)","id":"\#(id)"}"#)
            #expect((Self.result(imported)["outputs"] as? [String: Any])?["id"] as? String == id, "\(c.type): \(imported)")
            _ = try plugin.call("delete", #"{"type":"\#(c.type)","id":"\#(id)","inputs":{},"outputs":{}}"#)
            let read = try plugin.call("read", #"{"type":"\#(c.type)","id":"\#(id)","inputs":{},"outputs":{}}"#)
            #expect(Self.result(read)["exists"] as? Bool == false, "\(c.type): gone: \(read)")
        }
    }

    /// Seven documents in a row: IAM keeps five versions, so the oldest non-default ones go.
    @Test(.enabled(if: AWSProviderTests.toolsMissing == nil, "needs moto_server and the aws CLI"))
    func policyUpdatesStayWithinFiveVersions() throws {
        let server = try MotoServer.start(try #require(AWSProviderTests.moto))
        defer { server.stop() }
        let plugin = try Self.plugin(server)
        defer { plugin.close() }
        func document(_ n: Int) -> String {
            #"{\"Version\":\"2012-10-17\",\"Statement\":[{\"Effect\":\"Allow\",\"Action\":\"s3:GetObject\",\"Resource\":\"arn:aws:s3:::b\#(n)/*\"}]}"#
        }
        let created = try plugin.call("create", #"{"type":"aws_iam_policy","inputs":{"name":"versions","policy":"\#(document(1))"},"token":"v1","tags":{}}"#)
        let arn = try #require(Self.result(created)["id"] as? String, "\(created)")
        for n in 2...7 {
            let updated = try plugin.call("update", #"{"type":"aws_iam_policy","id":"\#(arn)","priorInputs":{"name":"versions","policy":"\#(document(n - 1))"},"priorOutputs":{},"inputs":{"name":"versions","policy":"\#(document(n))"}}"#)
            #expect((Self.result(updated)["outputs"] as? [String: Any])?["defaultVersionId"] as? String == "v\(n)", "\(updated)")
        }
        let cli = try AWSTestCLI(endpoint: server.endpoint)
        defer { cli.strata.remove() }
        let listed = try cli.aws([["iam", "list-policy-versions", "--policy-arn", arn]])[0]
        let versions = (jsonPath(try awsJSON(listed), "Versions") as? [[String: Any]] ?? []).compactMap { $0["VersionId"] as? String }.sorted()
        #expect(versions == ["v3", "v4", "v5", "v6", "v7"], "\(listed.output)")
    }
}
