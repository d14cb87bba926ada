import Foundation
import Testing

/// The second wave's tagged types through the plugin on its own: a create with a token made
/// twice makes one resource; recover finds it by its `strata:token` tag (and nothing for
/// another token); discover finds it by the engine's tags; import reads it back; delete, and
/// read says gone.
@Suite(.serialized) struct AWSWave2ProtocolTests {
    @Test(.enabled(if: AWSProviderTests.toolsMissing == nil, "needs moto_server"))
    func createsAreIdempotentByTokenAndDiscoveredByTags() throws {
        let server = try MotoServer.start(try #require(AWSProviderTests.moto))
        defer { server.stop() }
        let scratch = FileManager.default.temporaryDirectory.appendingPathComponent("strata-w2p-\(UUID().uuidString.prefix(6))")
        try FileManager.default.createDirectory(at: scratch, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: scratch) }
        let zip = scratch.appendingPathComponent("f.zip").path
        try AWSServerlessTests.writeZip(zip, "def handler(e, c):\n    return 1\n")
        let plugin = try PluginPipe(StrataCLI.buildDirectory.appendingPathComponent("strata-provider-aws"), environment: [
            "AWS_ENDPOINT_URL": server.endpoint, "AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing",
            "AWS_REGION": "us-east-1", "AWS_CONFIG_FILE": "/nonexistent", "AWS_SHARED_CREDENTIALS_FILE": "/nonexistent",
        ])
        defer { plugin.close() }
        _ = try plugin.call("initialize", #"{"protocolVersion":1,"engineVersion":"test"}"#)
        _ = try plugin.call("configure", #"{"config":{}}"#)
        let trust = #"{\"Version\":\"2012-10-17\",\"Statement\":[{\"Effect\":\"Allow\",\"Principal\":{\"Service\":\"lambda.amazonaws.com\"},\"Action\":\"sts:AssumeRole\"}]}"#
        let role = try plugin.call("create", #"{"type":"aws_iam_role","inputs":{"name":"w2p","assumeRolePolicy":"\#(trust)"},"token":"role","tags":{}}"#)
        let roleArn = try #require(((role["result"] as? [String: Any])?["outputs"] as? [String: Any])?["arn"] as? String, "\(role)")
        let cases: [(type: String, inputs: String)] = [
            ("aws_sqs_queue", #"{"name":"w2p-queue"}"#),
            ("aws_sns_topic", #"{"name":"w2p-topic"}"#),
            ("aws_cloudwatch_log_group", #"{"name":"/w2p/logs","retentionInDays":7}"#),
            ("aws_cloudwatch_metric_alarm", #"{"alarmName":"w2p-alarm","namespace":"AWS/SQS","metricName":"X","period":60,"evaluationPeriods":1,"threshold":1,"comparisonOperator":"GreaterThanThreshold"}"#),
            ("aws_lambda_function", #"{"functionName":"w2p-fn","role":"\#(roleArn)","runtime":"python3.12","handler":"index.handler","filename":"\#(zip)"}"#),
            ("aws_apigatewayv2_api", #"{"name":"w2p-api","protocolType":"HTTP"}"#),
            ("aws_cognito_user_pool", #"{"name":"w2p-pool"}"#),
            ("aws_efs_file_system", #"{}"#),
            ("aws_backup_vault", #"{"name":"w2p-vault"}"#),
            ("aws_backup_plan", #"{"name":"w2p-plan","ruleName":"daily","targetVaultName":"w2p-vault","schedule":"cron(0 5 * * ? *)"}"#),
            // After the queue and the function it joins (moto's account is 123456789012).
            ("aws_lambda_event_source_mapping", #"{"eventSourceArn":"arn:aws:sqs:us-east-1:123456789012:w2p-queue","functionName":"w2p-fn","batchSize":5}"#),
        ]
        for (index, c) in cases.enumerated() {
            let token = "w2p\(index)token"
            let tags = #"{"strata:stack":"w2p","strata:instance":"default","strata:address":"\#(c.type).x","strata:token":"\#(token)"}"#
            let created = try plugin.call("create", #"{"type":"\#(c.type)","inputs":\#(c.inputs),"token":"\#(token)","tags":\#(tags)}"#)
            let id = try #require((created["result"] as? [String: Any])?["id"] as? String, "\(c.type): \(created)")
            let again = try plugin.call("create", #"{"type":"\#(c.type)","inputs":\#(c.inputs),"token":"\#(token)","tags":\#(tags)}"#)
            #expect((again["result"] as? [String: Any])?["id"] as? String == id, "\(c.type): create is idempotent by token: \(again)")
            let recovered = try plugin.call("recover", #"{"type":"\#(c.type)","token":"\#(token)","inputs":\#(c.inputs)}"#)
            #expect((recovered["result"] as? [String: Any])?["found"] as? Bool == true && (recovered["result"] as? [String: Any])?["id"] as? String == id, "\(c.type): \(recovered)")
            let other = try plugin.call("recover", #"{"type":"\#(c.type)","token":"another","inputs":\#(c.inputs)}"#)
            #expect((other["result"] as? [String: Any])?["found"] as? Bool == false, "\(c.type): \(other)")
            let discovered = try plugin.call("discover", #"{"type":"\#(c.type)","tags":{"strata:stack":"w2p","strata:address":"\#(c.type).x"}}"#)
            let ids = ((discovered["result"] as? [String: Any])?["resources"] as? [[String: Any]] ?? []).compactMap { $0["id"] as? String }
            #expect(ids == [id], "\(c.type): discovered by tags: \(discovered)")
            let imported = try plugin.call("import", #"{"type":"\#(c.type)","id":"\#(id)"}"#)
            #expect(((imported["result"] as? [String: Any])?["outputs"] as? [String: Any])?["id"] as? String == id, "\(c.type): \(imported)")
        }
        for (index, c) in cases.enumerated().reversed() {
            let recovered = try plugin.call("recover", #"{"type":"\#(c.type)","token":"w2p\#(index)token","inputs":\#(c.inputs)}"#)
            let id = try #require((recovered["result"] as? [String: Any])?["id"] as? String)
            _ = try plugin.call("delete", #"{"type":"\#(c.type)","id":"\#(id)","inputs":\#(c.inputs),"outputs":{}}"#)
            let read = try plugin.call("read", #"{"type":"\#(c.type)","id":"\#(id)","inputs":{},"outputs":{}}"#)
            #expect((read["result"] as? [String: Any])?["exists"] as? Bool == false, "\(c.type): \(read)")
        }
    }
}
