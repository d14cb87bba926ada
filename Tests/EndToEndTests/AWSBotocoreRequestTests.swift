import Foundation
import Testing

/// The calls moto_server does not implement — API Gateway v2 UpdateStage and
/// UpdateDomainName, EFS UpdateFileSystem, Backup UpdateBackupPlan and every backup selection
/// call — proved by their requests instead: `Tests/Support/capture-proxy.py` sits between the
/// plugin and moto_server, answers those calls itself (canned answers) and records them; the
/// recorded method, path, query and JSON body must equal what botocore (the AWS CLI's
/// serializer) sends for the same parameters. Everything else goes on to moto_server, so the
/// resources the calls act on really exist.
@Suite(.serialized) struct AWSBotocoreRequestTests {
    static let proxyScript = StrataCLI.packageRoot.appendingPathComponent("Tests/Support/capture-proxy.py")

    /// The canned answers: method, whole-path pattern, body.
    static var canned: [[String: Any]] { [
        ["method": "PATCH", "path": "/v2/apis/[^/]+/stages/[^/]+", "body": [String: Any]()],
        ["method": "PATCH", "path": "/v2/domainnames/[^/]+", "body": [String: Any]()],
        ["method": "PUT", "path": "/2015-02-01/file-systems/[^/]+", "body": [String: Any]()],
        ["method": "POST", "path": "/backup/plans/[^/]+", "body": ["VersionId": "v2"]],
        ["method": "PUT", "path": "/backup/plans/[^/]+/selections/", "body": ["SelectionId": "sel-1"]],
        ["method": "GET", "path": "/backup/plans/[^/]+/selections/", "body": ["BackupSelectionsList": [["SelectionName": "rq-earlier", "SelectionId": "sel-0"]]]],
        ["method": "GET", "path": "/backup/plans/[^/]+/selections/sel-[01]", "body": ["SelectionId": "sel-1", "BackupSelection": [
            "SelectionName": "rq-sel", "IamRoleArn": "arn:aws:iam::123456789012:role/backup",
            "ListOfTags": [["ConditionType": "STRINGEQUALS", "ConditionKey": "backup", "ConditionValue": "daily"]],
            "Resources": ["arn:aws:elasticfilesystem:us-east-1:123456789012:file-system/fs-1"],
        ]]],
        ["method": "DELETE", "path": "/backup/plans/[^/]+/selections/sel-1", "body": [String: Any]()],
    ] }

    /// Serializes each case with botocore (client.OPERATION(**params)), stopping each request
    /// at `before-send` with an empty answer; prints the requests as JSON.
    static let botocore = #"""
    import json, sys, urllib.parse
    import botocore.session
    from botocore.awsrequest import AWSResponse

    class Raw:
        def __init__(self, b): self.b = b
        def stream(self, **kw): yield self.b

    out = []
    session = botocore.session.get_session()
    for case in json.load(sys.stdin):
        client = session.create_client(case["service"], region_name="us-east-1", endpoint_url="http://127.0.0.1:9",
                                       aws_access_key_id="testing", aws_secret_access_key="testing")
        seen = {}
        def record(request, **kw):
            url = urllib.parse.urlsplit(request.url)
            body = request.body
            if isinstance(body, bytes): body = body.decode()
            seen.update(method=request.method, path=url.path, query=url.query, body=body or "")
            return AWSResponse(request.url, 200, {}, Raw(b"{}"))
        client.meta.events.register("before-send", record)
        getattr(client, case["operation"])(**case["params"])
        out.append(seen)
    json.dump(out, sys.stdout)
    """#

    /// One request: method, raw path, raw query, body text.
    struct Request: Equatable, CustomStringConvertible {
        var method: String, path: String, query: String, body: String
        init(_ object: [String: Any]) {
            method = object["method"] as? String ?? ""
            path = object["path"] as? String ?? ""
            query = object["query"] as? String ?? ""
            body = object["body"] as? String ?? ""
        }
        /// The query's pairs, sorted (order does not matter to AWS).
        var pairs: [String] { query.split(separator: "&").map(String.init).sorted() }
        /// The body as JSON (nil when empty).
        var json: NSObject? { body.isEmpty ? nil : try? JSONSerialization.jsonObject(with: Data(body.utf8)) as? NSObject }
        func sameAs(_ other: Request) -> Bool {
            method == other.method && path == other.path && pairs == other.pairs && json == other.json
        }
        var description: String { "\(method) \(path)\(query.isEmpty ? "" : "?" + query) \(body)" }
    }

    static func serialize(_ cases: [[String: Any]]) throws -> [Request] {
        let python = Process()
        python.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        python.arguments = ["python3", "-c", botocore]
        let input = Pipe(), output = Pipe(), errors = Pipe()
        python.standardInput = input
        python.standardOutput = output
        python.standardError = errors
        try python.run()
        input.fileHandleForWriting.write(try JSONSerialization.data(withJSONObject: cases))
        try input.fileHandleForWriting.close()
        let data = output.fileHandleForReading.readDataToEndOfFile()
        let failure = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        python.waitUntilExit()
        try #require(python.terminationStatus == 0, "botocore failed: \(failure)")
        return (try JSONSerialization.jsonObject(with: data) as? [[String: Any]] ?? []).map(Request.init)
    }

    static var botocoreMissing: Bool {
        let python = Process()
        python.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        python.arguments = ["python3", "-c", "import botocore"]
        python.standardOutput = FileHandle.nullDevice
        python.standardError = FileHandle.nullDevice
        guard (try? python.run()) != nil else { return true }
        python.waitUntilExit()
        return python.terminationStatus != 0
    }

    @Test(.enabled(if: AWSProviderTests.toolsMissing == nil && !botocoreMissing, "needs moto_server and python3 with botocore"))
    func callsMotoLacksSendWhatBotocoreSends() throws {
        let server = try MotoServer.start(try #require(AWSProviderTests.moto))
        defer { server.stop() }
        let scratch = FileManager.default.temporaryDirectory.appendingPathComponent("strata-rq-\(UUID().uuidString.prefix(6))")
        try FileManager.default.createDirectory(at: scratch, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: scratch) }
        let cannedFile = scratch.appendingPathComponent("canned.json"), record = scratch.appendingPathComponent("record.jsonl")
        try JSONSerialization.data(withJSONObject: Self.canned).write(to: cannedFile)
        let python = try #require(Executable.find("python3"))
        let port = try MotoServer.freePort()
        let proxy = Process()
        proxy.executableURL = python
        proxy.arguments = [Self.proxyScript.path, "--port", String(port), "--upstream", "127.0.0.1:\(server.port)",
                           "--canned", cannedFile.path, "--record", record.path]
        proxy.standardOutput = FileHandle.nullDevice
        proxy.standardError = FileHandle.nullDevice
        proxy.standardInput = FileHandle.nullDevice
        try proxy.run()
        defer {
            // SIGKILL: the test runner's blocked signals are inherited, so SIGTERM would wait.
            if proxy.isRunning { kill(proxy.processIdentifier, SIGKILL); proxy.waitUntilExit() }
        }
        let deadline = Date().addingTimeInterval(10)
        while !MotoServer.canConnect(port), Date() < deadline, proxy.isRunning { usleep(50_000) }
        try #require(MotoServer.canConnect(port), "the capture proxy did not start")

        let plugin = try PluginPipe(StrataCLI.buildDirectory.appendingPathComponent("strata-provider-aws"), environment: [
            "AWS_ENDPOINT_URL": "http://127.0.0.1:\(port)", "AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing",
            "AWS_REGION": "us-east-1", "AWS_CONFIG_FILE": "/nonexistent", "AWS_SHARED_CREDENTIALS_FILE": "/nonexistent",
        ])
        defer { plugin.close() }
        _ = try plugin.call("initialize", #"{"protocolVersion":1,"engineVersion":"test"}"#)
        _ = try plugin.call("configure", #"{"config":{}}"#)
        func result(_ answer: [String: Any]) throws -> [String: Any] {
            try #require(answer["result"] as? [String: Any], "\(answer)")
        }
        func create(_ type: String, _ inputs: String, token: String) throws -> String {
            let answer = try plugin.call("create", #"{"type":"\#(type)","inputs":\#(inputs),"token":"\#(token)","tags":{}}"#)
            return try #require(try result(answer)["id"] as? String, "\(type): \(answer)")
        }
        func update(_ type: String, _ id: String, prior: String, inputs: String) throws {
            let answer = try plugin.call("update", #"{"type":"\#(type)","id":"\#(id)","priorInputs":\#(prior),"priorOutputs":{},"inputs":\#(inputs)}"#)
            _ = try result(answer)
        }

        // UpdateStage: auto deploy, description, variables.
        let api = try create("aws_apigatewayv2_api", #"{"name":"rq-api","protocolType":"HTTP"}"#, token: "api")
        let stagePrior = #"{"apiId":"\#(api)","name":"v1","autoDeploy":false}"#
        let stage = try create("aws_apigatewayv2_stage", stagePrior, token: "stage")
        try update("aws_apigatewayv2_stage", stage, prior: stagePrior,
                   inputs: #"{"apiId":"\#(api)","name":"v1","autoDeploy":true,"description":"two","stageVariables":{"color":"blue"}}"#)
        // UpdateDomainName: a new certificate.
        let domainPrior = #"{"domainName":"rq.example.com","certificateArn":"arn:aws:acm:us-east-1:123456789012:certificate/one"}"#
        let domain = try create("aws_apigatewayv2_domain_name", domainPrior, token: "domain")
        try update("aws_apigatewayv2_domain_name", domain, prior: domainPrior,
                   inputs: #"{"domainName":"rq.example.com","certificateArn":"arn:aws:acm:us-east-1:123456789012:certificate/two"}"#)
        // UpdateFileSystem: provisioned throughput.
        let fs = try create("aws_efs_file_system", "{}", token: "fs")
        try update("aws_efs_file_system", fs, prior: "{}", inputs: #"{"throughputMode":"provisioned","provisionedThroughputInMibps":64}"#)
        // UpdateBackupPlan: a new schedule and retention.
        _ = try create("aws_backup_vault", #"{"name":"rq-vault"}"#, token: "vault")
        let planPrior = #"{"name":"rq-plan","ruleName":"daily","targetVaultName":"rq-vault","schedule":"cron(0 5 * * ? *)"}"#
        let plan = try create("aws_backup_plan", planPrior, token: "plan")
        try update("aws_backup_plan", plan, prior: planPrior,
                   inputs: #"{"name":"rq-plan","ruleName":"daily","targetVaultName":"rq-vault","schedule":"cron(0 6 * * ? *)","deleteAfterDays":30}"#)
        // Backup selections: create (after a look for one of the name), read, recover, delete.
        let selectionInputs = #"{"planId":"\#(plan)","name":"rq-sel","iamRoleArn":"arn:aws:iam::123456789012:role/backup","selectionTags":{"backup":"daily"},"resources":["arn:aws:elasticfilesystem:us-east-1:123456789012:file-system/fs-1"]}"#
        let selection = try create("aws_backup_selection", selectionInputs, token: "seltoken")
        #expect(selection == "\(plan)/sel-1")
        let read = try result(try plugin.call("read", #"{"type":"aws_backup_selection","id":"\#(selection)","inputs":\#(selectionInputs),"outputs":{}}"#))
        #expect(read["exists"] as? Bool == true && (read["outputs"] as? [String: Any])?["selectionTags"] as? [String: String] == ["backup": "daily"], "\(read)")
        let earlier = #"{"planId":"\#(plan)","name":"rq-earlier","iamRoleArn":"arn:aws:iam::123456789012:role/backup","selectionTags":{"backup":"daily"}}"#
        let recovered = try result(try plugin.call("recover", #"{"type":"aws_backup_selection","token":"t","inputs":\#(earlier)}"#))
        #expect(recovered["found"] as? Bool == true && recovered["id"] as? String == "\(plan)/sel-0", "found by plan and name: \(recovered)")
        _ = try result(try plugin.call("delete", #"{"type":"aws_backup_selection","id":"\#(selection)","inputs":\#(selectionInputs),"outputs":{}}"#))

        let sent = try String(contentsOf: record, encoding: .utf8).split(separator: "\n").map {
            Request(try JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] ?? [:])
        }
        let planId = plan
        let selectionId = "sel-1"
        let cases: [(method: String, path: String, service: String, operation: String, params: [String: Any])] = [
            ("PATCH", "/v2/apis/\(api)/stages/v1", "apigatewayv2", "update_stage",
             ["ApiId": api, "StageName": "v1", "AutoDeploy": true, "Description": "two", "StageVariables": ["color": "blue"]]),
            ("PATCH", "/v2/domainnames/rq.example.com", "apigatewayv2", "update_domain_name",
             ["DomainName": "rq.example.com", "DomainNameConfigurations": [[
                "CertificateArn": "arn:aws:acm:us-east-1:123456789012:certificate/two", "EndpointType": "REGIONAL", "SecurityPolicy": "TLS_1_2"]]]),
            ("PUT", "/2015-02-01/file-systems/\(fs)", "efs", "update_file_system",
             ["FileSystemId": fs, "ThroughputMode": "provisioned", "ProvisionedThroughputInMibps": 64.0]),
            ("POST", "/backup/plans/\(planId)", "backup", "update_backup_plan",
             ["BackupPlanId": planId, "BackupPlan": ["BackupPlanName": "rq-plan", "Rules": [[
                "RuleName": "daily", "TargetBackupVaultName": "rq-vault", "ScheduleExpression": "cron(0 6 * * ? *)",
                "Lifecycle": ["DeleteAfterDays": 30]]]]]),
            ("GET", "/backup/plans/\(planId)/selections/", "backup", "list_backup_selections", ["BackupPlanId": planId]),
            ("PUT", "/backup/plans/\(planId)/selections/", "backup", "create_backup_selection",
             ["BackupPlanId": planId, "CreatorRequestId": "seltoken", "BackupSelection": [
                "SelectionName": "rq-sel", "IamRoleArn": "arn:aws:iam::123456789012:role/backup",
                "ListOfTags": [["ConditionType": "STRINGEQUALS", "ConditionKey": "backup", "ConditionValue": "daily"]],
                "Resources": ["arn:aws:elasticfilesystem:us-east-1:123456789012:file-system/fs-1"]]]),
            ("GET", "/backup/plans/\(planId)/selections/\(selectionId)", "backup", "get_backup_selection",
             ["BackupPlanId": planId, "SelectionId": selectionId]),
            ("DELETE", "/backup/plans/\(planId)/selections/\(selectionId)", "backup", "delete_backup_selection",
             ["BackupPlanId": planId, "SelectionId": selectionId]),
        ]
        let expected = try Self.serialize(cases.map { ["service": $0.service, "operation": $0.operation, "params": $0.params] })
        try #require(expected.count == cases.count)
        for (index, c) in cases.enumerated() {
            let ours = try #require(sent.first { $0.method == c.method && $0.path == c.path }, "\(c.operation): the provider sent no \(c.method) \(c.path); it sent \(sent)")
            #expect(ours.sameAs(expected[index]), "\(c.operation): the provider sent\n  \(ours)\nbotocore sends\n  \(expected[index])")
        }
    }
}
