import Foundation
import Testing

/// The second wave wired together (issue 9's acceptance stack) against moto_server: an HTTP
/// API in front of a Lambda function (publishing versions, an alias on the newest) and an
/// (internal) application load balancer, its Lambda route behind a JWT authorizer on a Cognito
/// user pool and app client, workers' queue with a dead-letter queue fed by an SNS topic and
/// feeding a worker function through an event source mapping, alarms on both queues
/// to an alerts topic, a log group with retention, an encrypted EFS file system tagged for
/// backup with a vault and a daily plan, a bucket replicated to another region. It applies,
/// re-plans empty and destroys clean. Also: check refuses bad inputs of every new type before
/// any call.
@Suite(.serialized) struct AWSWave2Tests {
    static let stack = ##"""
        import Strata
        import StrataAWS

        let run = Stack.variable("run", default: "x")

        // Network for the file system.
        let vpc = AWS.VPC("main", cidrBlock: "10.30.0.0/16")
        let subnet = AWS.Subnet("a", vpc: vpc, cidrBlock: "10.30.1.0/24", availabilityZone: "us-east-1a")
        let subnetB = AWS.Subnet("b", vpc: vpc, cidrBlock: "10.30.2.0/24", availabilityZone: "us-east-1b")
        let nfs = AWS.SecurityGroup("nfs", groupName: "nfs-\(run)", vpc: vpc, description: "nfs", ingress: [.tcp(2049, from: ["10.30.0.0/16"])])
        let webSG = AWS.SecurityGroup("web", groupName: "web-\(run)", vpc: vpc, description: "web", ingress: [.tcp(80, from: ["10.30.0.0/16"])])
        // The API servers' load balancer (internal), behind API Gateway's legacy routes.
        let alb = AWS.LoadBalancer("app", loadBalancerName: "app-\(run)", subnets: [subnet, subnetB], securityGroups: [webSG], internal: true)

        // The API: Lambda behind API Gateway, legacy paths to the load balancer.
        let trust = #"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"lambda.amazonaws.com"},"Action":"sts:AssumeRole"}]}"#
        let role = AWS.IAMRole("api", roleName: "api-\(run)", assumeRolePolicy: "\(trust)")
        let logs = AWS.LogGroup("api", logGroupName: "/aws/lambda/api-\(run)", retentionInDays: 14)
        let auth = AWS.UserPool("users", poolName: "users-\(run)", passwordMinimumLength: 12, autoVerifiedAttributes: ["email"])
        let web = AWS.UserPoolClient("web", pool: auth, clientName: "web", explicitAuthFlows: ["ALLOW_USER_SRP_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"],
                                     callbackUrls: ["https://app.example.com/callback"], allowedOauthFlows: ["code"],
                                     allowedOauthScopes: ["openid", "email"], supportedIdentityProviders: ["COGNITO"])
        let login = AWS.UserPoolDomain("login", pool: auth, domain: "login-\(run)")
        let function = AWS.LambdaFunction("api", functionName: "api-\(run)", role: role.arn, runtime: "python3.12", handler: "index.handler",
                                          filename: "build/api.zip", memorySize: 256, timeout: 10,
                                          environment: ["USER_POOL": auth.id, "CLIENT_ID": web.clientId, "LOG_GROUP": logs.id], publish: true)
        let live = AWS.LambdaAlias("live", function: function, aliasName: "live", functionVersion: function.version)
        let api = AWS.HTTPAPI("public", apiName: "public-\(run)", corsAllowOrigins: ["https://app.example.com"])
        let stage = AWS.APIStage("default", api: api)
        let toLambda = AWS.APIIntegration("lambda", api: api, lambda: function)
        let toALB = AWS.APIIntegration("alb", api: api, url: "http://\(alb.dnsName)/")
        // Only callers with a token of the user pool, issued to the web client, reach the function.
        let signedIn = AWS.APIAuthorizer("users", api: api, authorizerName: "users", userPool: auth, clients: [web])
        let items = AWS.APIRoute("items", api: api, routeKey: "GET /items", integration: toLambda, authorizer: signedIn)
        let legacy = AWS.APIRoute("legacy", api: api, routeKey: "ANY /legacy/{proxy+}", integration: toALB)
        let invoke = AWS.LambdaPermission("api", function: function, statementId: "from-api", api: api)

        // Workers: jobs from a topic into a queue with a dead-letter queue.
        let dlq = AWS.SQSQueue("dlq", queueName: "jobs-dlq-\(run)", messageRetentionSeconds: 1_209_600)
        let jobs = AWS.SQSQueue("jobs", queueName: "jobs-\(run)", visibilityTimeout: 60, deadLetter: dlq, maxReceiveCount: 5)
        let events = AWS.SNSTopic("events", topicName: "events-\(run)")
        let feed = AWS.SNSSubscription("jobs", topic: events, queue: jobs, rawMessageDelivery: true)
        let worker = AWS.LambdaFunction("worker", functionName: "worker-\(run)", role: role.arn, runtime: "python3.12", handler: "index.handler",
                                        filename: "build/api.zip", timeout: 30)
        let work = AWS.LambdaEventSourceMapping("jobs", function: worker, queue: jobs, batchSize: 10, maximumBatchingWindowInSeconds: 5)

        // Alarms to an alerts topic.
        let alerts = AWS.SNSTopic("alerts", topicName: "alerts-\(run)", displayName: "Alerts")
        let backlog = AWS.MetricAlarm("backlog", alarmName: "jobs-backlog-\(run)", namespace: "AWS/SQS", metricName: "ApproximateNumberOfMessagesVisible",
                                      dimensions: ["QueueName": "jobs-\(run)"], statistic: "Maximum", period: 300, evaluationPeriods: 2, threshold: 1000,
                                      comparisonOperator: "GreaterThanThreshold", alarmActions: [alerts.arn], okActions: [alerts.arn])
        let dead = AWS.MetricAlarm("dead", alarmName: "jobs-dead-letters-\(run)", namespace: "AWS/SQS", metricName: "ApproximateNumberOfMessagesVisible",
                                   dimensions: ["QueueName": "jobs-dlq-\(run)"], statistic: "Sum", period: 60, threshold: 0,
                                   comparisonOperator: "GreaterThanThreshold", treatMissingData: "notBreaching", alarmActions: [alerts.arn])
        let errors = AWS.MetricAlarm("errors", alarmName: "api-errors-\(run)", namespace: "AWS/Lambda", metricName: "Errors",
                                     dimensions: ["FunctionName": "api-\(run)"], statistic: "Sum", period: 60, threshold: 5,
                                     comparisonOperator: "GreaterThanOrEqualToThreshold", alarmActions: [alerts.arn])

        // Shared files, backed up by tag.
        let files = AWS.EFSFileSystem("shared", tags: ["Name": "shared-\(run)", "backup": "daily"])
        let mount = AWS.EFSMountTarget("a", fileSystem: files, subnet: subnet, securityGroups: [nfs])
        let uploads = AWS.EFSAccessPoint("uploads", fileSystem: files, uid: 1000, gid: 1000, rootPath: "/uploads",
                                         owner: (uid: 1000, gid: 1000), permissions: "0750")
        let vault = AWS.BackupVault("main", vaultName: "vault-\(run)")
        let daily = AWS.BackupPlan("daily", planName: "daily-\(run)", vault: vault, deleteAfterDays: 35)

        // Uploads replicated to a second region.
        let eu = AWS.provider("eu", region: "eu-west-1")
        let s3Trust = #"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"s3.amazonaws.com"},"Action":"sts:AssumeRole"}]}"#
        let replicator = AWS.IAMRole("replicator", roleName: "replicator-\(run)", assumeRolePolicy: "\(s3Trust)")
        let assets = AWS.S3Bucket("assets", bucket: "assets-\(run)", versioning: true)
        let assetsCopy = AWS.S3Bucket("assetsCopy", bucket: "assets-\(run)-eu", versioning: true).using(eu)
        let dr = AWS.S3BucketReplication("dr", bucket: assets, destination: assetsCopy, role: replicator)

        Stack.output("api", api.id)
        Stack.output("albDNS", alb.dnsName)
        Stack.output("url", stage.invokeUrl)
        Stack.output("function", function.id)
        Stack.output("pool", auth.id)
        Stack.output("jobs", jobs.url)
        Stack.output("jobsArn", jobs.arn)
        Stack.output("worker", worker.id)
        Stack.output("authorizer", signedIn.authorizerId)
        Stack.output("client", web.clientId)
        Stack.output("version", function.version)
        Stack.output("dlq", dlq.arn)
        Stack.output("alerts", alerts.arn)
        Stack.output("fs", files.id)
        Stack.output("vault", vault.id)
        Stack.output("plan", daily.id)
        """##

    @Test(.enabled(if: AWSProviderTests.toolsMissing == nil, "needs moto_server and the aws CLI"))
    func theWiredStackAppliesReplansEmptyAndDestroysClean() throws {
        let server = try MotoServer.start(try #require(AWSProviderTests.moto))
        defer { server.stop() }
        let cli = try AWSTestCLI(endpoint: server.endpoint)
        defer { cli.strata.remove() }
        let run = "a" + UUID().uuidString.prefix(6).lowercased()
        let stack = try cli.strata.writeStack("AWSWave2", ["main.swift": Self.stack])
        try AWSServerlessTests.writeZip(stack + "/build/api.zip", "def handler(e, c):\n    return {'statusCode': 200, 'body': 'ok'}\n")
        let vars = ["--var", "run=\(run)"]
        let validate = try cli.strata.run(["validate", stack] + vars, environment: cli.env)
        #expect(validate.status == 0, "the typed modules match the schemas: \(validate.output)")
        let apply = try cli.strata.run(["apply", stack, "--auto-approve"] + vars, environment: cli.env)
        #expect(apply.status == 0, "\(apply.output)")
        #expect(apply.stdout.contains("40 created"), "\(apply.output)")
        let out = try cli.outputs(stack, vars)
        let api = try #require(out["api"])
        #expect(out["url"] == "https://\(api).execute-api.us-east-1.amazonaws.com", "\(out)")

        // The wiring, as the aws CLI sees it.
        let results = try cli.aws([
            ["apigatewayv2", "get-routes", "--api-id", api],
            ["lambda", "get-function-configuration", "--function-name", out["function"] ?? ""],
            ["lambda", "get-policy", "--function-name", out["function"] ?? ""],
            ["--endpoint-url", server.endpoint, "sqs", "get-queue-attributes", "--queue-url", out["jobs"] ?? "", "--attribute-names", "RedrivePolicy"],
            ["cloudwatch", "describe-alarms", "--alarm-name-prefix", "jobs-"],
            ["sns", "list-subscriptions"],
            ["efs", "describe-file-systems", "--file-system-id", out["fs"] ?? ""],
            ["backup", "get-backup-plan", "--backup-plan-id", out["plan"] ?? ""],
            ["s3api", "get-bucket-replication", "--bucket", "assets-\(run)"],
        ])
        let integrations = (jsonPath(try awsJSON(try cli.aws([["apigatewayv2", "get-integrations", "--api-id", api]])[0]), "Items") as? [[String: Any]] ?? [])
            .compactMap { $0["IntegrationUri"] as? String }
        #expect(integrations.contains("http://\(out["albDNS"] ?? "?")/"), "the legacy routes go to the load balancer: \(integrations)")
        let routes = (jsonPath(try awsJSON(results[0]), "Items") as? [[String: Any]] ?? []).compactMap { $0["RouteKey"] as? String }.sorted()
        #expect(routes == ["ANY /legacy/{proxy+}", "GET /items"], "\(results[0].output)")
        #expect(jsonPath(try awsJSON(results[1]), "Environment", "Variables", "USER_POOL") as? String == out["pool"], "\(results[1].output)")
        #expect(results[2].stdout.contains("\(api)/*/*"), "\(results[2].output)")
        #expect((jsonPath(try awsJSON(results[3]), "Attributes", "RedrivePolicy") as? String ?? "").contains(out["dlq"] ?? "?"), "\(results[3].output)")
        let alarms = jsonPath(try awsJSON(results[4]), "MetricAlarms") as? [[String: Any]] ?? []
        #expect(alarms.count == 2 && alarms.allSatisfy { ($0["AlarmActions"] as? [String]) == [out["alerts"] ?? ""] }, "\(results[4].output)")
        #expect(results[5].stdout.contains("events-\(run)") && results[5].stdout.contains("jobs-\(run)"), "\(results[5].output)")
        #expect(jsonPath(try awsJSON(results[6]), "FileSystems", 0, "Encrypted") as? Bool == true, "\(results[6].output)")
        #expect(jsonPath(try awsJSON(results[7]), "BackupPlan", "Rules", 0, "TargetBackupVaultName") as? String == out["vault"], "\(results[7].output)")

        #expect(jsonPath(try awsJSON(results[8]), "ReplicationConfiguration", "Rules", 0, "Destination", "Bucket") as? String == "arn:aws:s3:::assets-\(run)-eu", "\(results[8].output)")

        // Cognito in front of the Lambda route; the queue feeding the worker; a published version behind the alias.
        let more = try cli.aws([
            ["apigatewayv2", "get-authorizer", "--api-id", api, "--authorizer-id", out["authorizer"] ?? ""],
            ["lambda", "list-event-source-mappings", "--function-name", out["worker"] ?? ""],
            ["lambda", "list-versions-by-function", "--function-name", out["function"] ?? ""],
            ["lambda", "get-alias", "--function-name", out["function"] ?? "", "--name", "live"],
        ])
        let guarded = (jsonPath(try awsJSON(results[0]), "Items") as? [[String: Any]] ?? []).first { $0["RouteKey"] as? String == "GET /items" }
        #expect(guarded?["AuthorizationType"] as? String == "JWT" && guarded?["AuthorizerId"] as? String == out["authorizer"], "\(results[0].output)")
        let authorizer = try awsJSON(more[0])
        #expect(jsonPath(authorizer, "JwtConfiguration", "Issuer") as? String == "https://cognito-idp.us-east-1.amazonaws.com/\(out["pool"] ?? "?")", "\(more[0].output)")
        #expect(jsonPath(authorizer, "JwtConfiguration", "Audience") as? [String] == [out["client"] ?? "?"], "\(more[0].output)")
        #expect(jsonPath(authorizer, "IdentitySource") as? [String] == ["$request.header.Authorization"], "\(more[0].output)")
        let mappings = jsonPath(try awsJSON(more[1]), "EventSourceMappings") as? [[String: Any]] ?? []
        #expect(mappings.count == 1 && mappings.first?["EventSourceArn"] as? String == out["jobsArn"] && mappings.first?["BatchSize"] as? Int == 10, "\(more[1].output)")
        let versions = (jsonPath(try awsJSON(more[2]), "Versions") as? [[String: Any]] ?? []).compactMap { $0["Version"] as? String }
        #expect(versions == ["$LATEST", "1"] && out["version"] == "1", "\(more[2].output)")
        #expect(jsonPath(try awsJSON(more[3]), "FunctionVersion") as? String == "1", "\(more[3].output)")

        let replan = try cli.strata.run(["plan", stack, "--detailed-exitcode"] + vars, environment: cli.env)
        #expect(replan.status == 0, "the wired stack re-plans empty: \(replan.output)")

        let destroy = try cli.strata.run(["destroy", stack, "--auto-approve"] + vars, environment: cli.env)
        #expect(destroy.status == 0, "\(destroy.output)")
        let left = try cli.aws([
            ["apigatewayv2", "get-apis"], ["lambda", "list-functions"], ["--endpoint-url", server.endpoint, "sqs", "list-queues"], ["sns", "list-topics"],
            ["cloudwatch", "describe-alarms"], ["logs", "describe-log-groups"], ["cognito-idp", "list-user-pools", "--max-results", "60"],
            ["efs", "describe-file-systems"], ["backup", "list-backup-vaults"], ["ec2", "describe-vpcs", "--filters", "Name=cidr,Values=10.30.0.0/16"], ["elbv2", "describe-load-balancers"], ["s3api", "list-buckets"],
        ])
        let mappingsLeft = try cli.aws([["lambda", "list-event-source-mappings"]])[0]
        #expect(mappingsLeft.status == 0 && !mappingsLeft.stdout.contains(run), "no mapping is left: \(mappingsLeft.output)")
        for result in left {
            #expect(result.status == 0 && !result.stdout.contains(run) && !result.stdout.contains("10.30.0.0/16"), "nothing of the stack is left: \(result.output)")
        }
        let state = try cli.strata.run(["state", "list", stack] + vars, environment: cli.env)
        #expect(state.stdout.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty || !state.stdout.contains("aws_"), "\(state.output)")
    }

    @Test(.enabled(if: AWSProviderTests.toolsMissing == nil, "needs moto_server and the aws CLI"))
    func checkRejectsBadInputsOfTheSecondWave() throws {
        let cli = try AWSTestCLI(endpoint: "http://127.0.0.1:9")
        defer { cli.strata.remove() }
        let stack = try cli.strata.writeStack("BadWave2", ["main.swift": """
            import Strata
            import StrataAWS

            let fn = AWS.LambdaFunction("f", functionName: "bad name", role: "not-an-arn", runtime: "python3.12", handler: "index.handler",
                                        filename: "missing.zip", memorySize: 64, timeout: 901, environment: ["1BAD": "x"])
            let alias = AWS.LambdaAlias("a", function: fn, aliasName: "123", functionVersion: "latest")
            let q = AWS.SQSQueue("q", queueName: "bad.name", visibilityTimeout: 50000, maxReceiveCount: 3)
            let t = AWS.SNSTopic("t", topicName: "bad topic")
            let s = AWS.SNSSubscription("s", topic: t, protocol: "carrier-pigeon", endpoint: "x", filterPolicy: "[1]")
            let alarm = AWS.MetricAlarm("m", alarmName: "m", namespace: "AWS/SQS", metricName: "X", period: 45, threshold: 1,
                                        comparisonOperator: "Bigger", alarmActions: ["topic"])
            let logs = AWS.LogGroup("l", logGroupName: "/ok", retentionInDays: 10)
            let api = AWS.HTTPAPI("api", apiName: "api")
            let route = GenericResource("aws_apigatewayv2_route", "r", inputs: ["apiId": "x", "routeKey": "FETCH /x"])
            let pool = AWS.UserPool("p", poolName: "p", passwordMinimumLength: 3)
            let domain = AWS.UserPoolDomain("d", pool: pool, domain: "My_Domain")
            let point = GenericResource("aws_efs_access_point", "ap", inputs: ["fileSystemId": "fs-1", "rootPath": "relative", "rootPermissions": "999"])
            let plan = GenericResource("aws_backup_plan", "bp", inputs: ["name": "p", "ruleName": "r", "targetVaultName": "v", "schedule": "daily"])
            let open = GenericResource("aws_apigatewayv2_route", "r2", inputs: ["apiId": "x", "routeKey": "GET /y", "authorizationType": "JWT"])
            let jwt = GenericResource("aws_apigatewayv2_authorizer", "au", inputs: ["apiId": "x", "name": "a", "issuer": "http://issuer.example.com", "audience": ["c"]])
            let feed = GenericResource("aws_lambda_event_source_mapping", "m", inputs: ["eventSourceArn": "queue", "functionName": "f", "batchSize": 20000])
            """])
        let plan = try cli.strata.run(["plan", stack], environment: cli.env)
        #expect(plan.status == 1, "\(plan.output)")
        for expected in [
            "function name 'bad name'", "role must be an IAM role ARN", "memorySize must be a whole number from 128", "timeout must be a whole number from 1 to 900",
            "(the function's zip)", "'1BAD' is not an environment variable name", "alias name '123'", "functionVersion must be $LATEST",
            "queue name 'bad.name'", "visibilityTimeout must be a whole number from 0 to 43200", "a redrive policy needs both",
            "topic name 'bad topic'", "protocol must be one of", "filterPolicy must be a JSON object",
            "period must be 10, 30 or a multiple of 60", "comparisonOperator must be one of", "alarmActions holds ARNs",
            "retentionInDays must be one of", "routeKey must be $default or 'METHOD /path'", "passwordMinimumLength must be a whole number from 6 to 99",
            "domain prefix 'My_Domain'", "rootPath must start with /", "rootPermissions must be octal", "schedule must be cron(...) or rate(...)",
            "authorizationType JWT needs an authorizer", "issuer must be an https URL", "eventSourceArn must be a queue's or stream's ARN",
            "batchSize must be a whole number from 1 to 10000",
        ] {
            #expect(plan.output.contains(expected), "\(expected): \(plan.output)")
        }
    }
}
