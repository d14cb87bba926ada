import Foundation
import Testing

/// The five reference deployments (`Stacks/Lin`, `InteliFeed`, `ComplyFlow`, `AIWriter`,
/// `Production`) through the built `strata` against moto_server, as a user runs them: validate,
/// plan, apply, a second plan with nothing to do, a change of environment that plans exactly
/// what the stack's README says it changes, and a destroy after which the `aws` CLI finds
/// nothing of the stack in any region it used. One moto_server per stack.
@Suite(.serialized) struct SeedStacksTests {
    /// One reference stack and how to exercise it.
    struct Seed {
        /// The folder under `Stacks/`.
        var folder: String
        /// The variables of the first apply (e.g. `env=staging`).
        var vars: [String]
        /// The variables after the environment changes (e.g. `env=production`).
        var changed: [String]
        /// `strata plan --json` of the change: "create …", "update …", sorted.
        var expectedChange: [String]
        /// The regions it puts resources in.
        var regions: [String] = ["us-east-1"]
        /// What to look for after the destroy (see `SeedStacksTests.checks`).
        var kinds: Set<Kind>
        /// Checks of the first apply with the aws CLI, before the plan that must be empty.
        var afterApply: ((AWSTestCLI) throws -> Void)? = nil
    }

    enum Kind: Hashable {
        case network, nat, loadBalancing, servers, firewall, database, cache, secrets, kms, buckets, cdn, dns, iam
        /// The second wave: Lambda, API Gateway v2, Cognito, SQS, SNS, CloudWatch alarms and logs, EFS, AWS Backup.
        case functions, apis, auth, queues, topics, alarms, logs, files, backup
    }

    /// Runs `seed`'s whole life on a moto_server of its own.
    static func lifecycle(_ seed: Seed) throws {
        let server = try MotoServer.start(try #require(AWSProviderTests.moto))
        defer { server.stop() }
        let cli = try AWSTestCLI(endpoint: server.endpoint)
        defer { cli.strata.remove() }
        let stack = StrataCLI.packageRoot.appendingPathComponent("Stacks/\(seed.folder)").path
        func strata(_ arguments: [String]) throws -> StrataCLI.Result { try cli.strata.run(arguments, environment: cli.env) }

        // 1. Validate: it compiles and agrees with the provider schemas.
        let validate = try strata(["validate", stack] + seed.vars)
        #expect(validate.status == 0, "\(validate.output)")
        let count = try #require(resourceCount(validate.stdout), "\(validate.output)")
        #expect(count > 0)

        // 2. Plan: every resource is created.
        let plan = try strata(["plan", stack, "--json"] + seed.vars)
        #expect(plan.status == 0, "\(plan.output)")
        let planned = seedActions(plan.stdout)
        #expect(planned.count == count && planned.allSatisfy { $0.hasPrefix("create ") }, "\(planned)")

        // 3. Apply, then a plan with nothing to do.
        let apply = try strata(["apply", stack, "--auto-approve"] + seed.vars)
        #expect(apply.status == 0, "\(apply.output)")
        #expect(apply.stdout.contains("Apply complete: \(count) created, 0 updated, 0 destroyed"), "\(apply.output)")
        // Every region got its network (the aws CLI asks each region).
        let vpcs = try cli.awsInOneProcess(seed.regions.map {
            ["ec2", "describe-vpcs", "--region", $0, "--filters", "Name=tag-key,Values=strata:stack", "--query", "Vpcs[].CidrBlock"]
        })
        for (region, result) in zip(seed.regions, vpcs) {
            let found = (try? JSONSerialization.jsonObject(with: Data(result.stdout.utf8))) as? [Any] ?? []
            #expect(found.count == 1, "one VPC of the stack in \(region): \(result.output)")
        }
        try seed.afterApply?(cli)
        let quiet = try strata(["plan", stack, "--detailed-exitcode"] + seed.vars)
        #expect(quiet.status == 0, "a plan right after apply shows no changes: \(quiet.output)")

        // 4. The environment changes: exactly these steps, applied, then nothing to do.
        let change = try strata(["plan", stack, "--json"] + seed.changed)
        #expect(change.status == 0, "\(change.output)")
        #expect(seedActions(change.stdout) == seed.expectedChange.sorted(), "\(seedActions(change.stdout))")
        let applyChange = try strata(["apply", stack, "--auto-approve"] + seed.changed)
        #expect(applyChange.status == 0, "\(applyChange.output)")
        let settled = try strata(["plan", stack, "--detailed-exitcode"] + seed.changed)
        #expect(settled.status == 0, "after the change is applied nothing is left to do: \(settled.output)")

        // 5. Destroy. moto_server cannot delete an ElastiCache subnet group (no
        // DeleteCacheSubnetGroup): those are forgotten first, and not looked for afterwards.
        let listed = try strata(["state", "list", stack])
        for address in listed.stdout.split(separator: "\n").map(String.init) where address.contains("aws_elasticache_subnet_group.") {
            #expect(try strata(["state", "rm", stack, address]).status == 0)
        }
        let destroy = try strata(["destroy", stack, "--auto-approve"] + seed.changed)
        #expect(destroy.status == 0, "\(destroy.output)")
        let left = try strata(["state", "list", stack])
        #expect(left.stdout.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty, "the state is empty: \(left.output)")
        let leftovers = try Self.leftovers(cli, endpoint: server.endpoint, regions: seed.regions, kinds: seed.kinds)
        #expect(leftovers.isEmpty, "the aws CLI still finds: \(leftovers)")
    }

    /// An aws CLI listing whose `--query` answers the ids of what is left beyond moto's defaults.
    struct Check {
        var kind: Kind
        var arguments: [String]
        var global = false
    }

    /// Subnets and route tables are not listed: they cannot outlive their VPC.
    static func checks(endpoint: String) -> [Check] {
        [
            Check(kind: .network, arguments: ["ec2", "describe-vpcs", "--query", "Vpcs[?IsDefault==`false`].VpcId"]),
            Check(kind: .network, arguments: ["ec2", "describe-security-groups", "--query", "SecurityGroups[?GroupName!='default'].GroupId"]),
            Check(kind: .network, arguments: ["ec2", "describe-internet-gateways", "--filters", "Name=tag-key,Values=strata:stack",
                                              "--query", "InternetGateways[].InternetGatewayId"]),
            Check(kind: .nat, arguments: ["ec2", "describe-nat-gateways", "--query", "NatGateways[?State!='deleted'].NatGatewayId"]),
            Check(kind: .nat, arguments: ["ec2", "describe-addresses", "--query", "Addresses[].AllocationId"]),
            Check(kind: .loadBalancing, arguments: ["elbv2", "describe-load-balancers", "--query", "LoadBalancers[].LoadBalancerArn"]),
            Check(kind: .loadBalancing, arguments: ["elbv2", "describe-target-groups", "--query", "TargetGroups[].TargetGroupArn"]),
            Check(kind: .servers, arguments: ["autoscaling", "describe-auto-scaling-groups", "--query", "AutoScalingGroups[].AutoScalingGroupName"]),
            Check(kind: .servers, arguments: ["ec2", "describe-launch-templates", "--query", "LaunchTemplates[].LaunchTemplateName"]),
            Check(kind: .servers, arguments: ["ec2", "describe-instances", "--query", "Reservations[].Instances[?State.Name!='terminated'][].InstanceId"]),
            Check(kind: .firewall, arguments: ["wafv2", "list-web-acls", "--scope", "REGIONAL", "--query", "WebACLs[].Name"]),
            // aws-cli v1 sends `aws rds` to rds.amazonaws.com whatever AWS_ENDPOINT_URL says.
            Check(kind: .database, arguments: ["rds", "--endpoint-url", endpoint, "describe-db-instances", "--query", "DBInstances[].DBInstanceIdentifier"]),
            Check(kind: .database, arguments: ["rds", "--endpoint-url", endpoint, "describe-db-subnet-groups",
                                               "--query", "DBSubnetGroups[?DBSubnetGroupName!='default'].DBSubnetGroupName"]),
            Check(kind: .database, arguments: ["rds", "--endpoint-url", endpoint, "describe-db-parameter-groups",
                                               "--query", "DBParameterGroups[?!starts_with(DBParameterGroupName, 'default.')].DBParameterGroupName"]),
            // A deleted replication group stays `deleting` on moto_server.
            Check(kind: .cache, arguments: ["elasticache", "describe-replication-groups",
                                            "--query", "ReplicationGroups[?Status!='deleting'].ReplicationGroupId"]),
            Check(kind: .secrets, arguments: ["secretsmanager", "list-secrets", "--query", "SecretList[].Name"]),
            Check(kind: .kms, arguments: ["kms", "list-aliases", "--query", "Aliases[?!starts_with(AliasName, 'alias/aws/')].AliasName"]),
            Check(kind: .buckets, arguments: ["s3api", "list-buckets", "--query", "Buckets[].Name"], global: true),
            Check(kind: .cdn, arguments: ["cloudfront", "list-distributions", "--query", "DistributionList.Items[].Id"], global: true),
            Check(kind: .cdn, arguments: ["acm", "list-certificates", "--region", "us-east-1", "--query", "CertificateSummaryList[].CertificateArn"],
                  global: true),
            Check(kind: .dns, arguments: ["route53", "list-hosted-zones", "--query", "HostedZones[].Id"], global: true),
            Check(kind: .iam, arguments: ["iam", "list-instance-profiles", "--query", "InstanceProfiles[].InstanceProfileName"], global: true),
            Check(kind: .iam, arguments: ["iam", "list-roles", "--query", "Roles[].RoleName"], global: true),
            Check(kind: .iam, arguments: ["iam", "list-policies", "--scope", "Local", "--query", "Policies[].PolicyName"], global: true),
            Check(kind: .functions, arguments: ["lambda", "list-functions", "--query", "Functions[].FunctionName"]),
            Check(kind: .apis, arguments: ["apigatewayv2", "get-apis", "--query", "Items[].ApiId"]),
            Check(kind: .apis, arguments: ["apigatewayv2", "get-domain-names", "--query", "Items[].DomainName"]),
            Check(kind: .auth, arguments: ["cognito-idp", "list-user-pools", "--max-results", "60", "--query", "UserPools[].Id"]),
            // The aws CLI sends SQS calls to queue.amazonaws.com whatever AWS_ENDPOINT_URL says.
            Check(kind: .queues, arguments: ["sqs", "--endpoint-url", endpoint, "list-queues", "--query", "QueueUrls"]),
            Check(kind: .topics, arguments: ["sns", "list-topics", "--query", "Topics[].TopicArn"]),
            Check(kind: .topics, arguments: ["sns", "list-subscriptions", "--query", "Subscriptions[].SubscriptionArn"]),
            Check(kind: .alarms, arguments: ["cloudwatch", "describe-alarms", "--query", "MetricAlarms[].AlarmName"]),
            Check(kind: .logs, arguments: ["logs", "describe-log-groups", "--query", "logGroups[].logGroupName"]),
            Check(kind: .files, arguments: ["efs", "describe-file-systems", "--query", "FileSystems[].FileSystemId"]),
            Check(kind: .backup, arguments: ["backup", "list-backup-vaults", "--query", "BackupVaultList[].BackupVaultName"]),
            Check(kind: .backup, arguments: ["backup", "list-backup-plans", "--query", "BackupPlansList[].BackupPlanId"]),
        ]
    }

    /// What the aws CLI still finds of these kinds in these regions: `["us-east-1 vpcs: [...]", …]`.
    static func leftovers(_ cli: AWSTestCLI, endpoint: String, regions: [String], kinds: Set<Kind>) throws -> [String] {
        var commands: [[String]] = []
        for check in checks(endpoint: endpoint) where kinds.contains(check.kind) {
            if check.global { commands.append(check.arguments) } else {
                for region in regions { commands.append(check.arguments + ["--region", region]) }
            }
        }
        var found: [String] = []
        for (command, result) in zip(commands, try cli.awsInOneProcess(commands)) {
            guard result.status == 0 else {
                found.append("\(command.joined(separator: " ")) failed: \(result.output)")
                continue
            }
            let ids = (try? JSONSerialization.jsonObject(with: Data(result.stdout.utf8), options: .fragmentsAllowed)) as? [Any] ?? []
            if !ids.isEmpty { found.append("\(command.prefix(2).joined(separator: " ")) \(command.last ?? ""): \(ids)") }
        }
        return found
    }

    @Test(.enabled(if: AWSProviderTests.toolsMissing == nil, "needs moto_server and the aws CLI"))
    func complyFlow() throws {
        try Self.lifecycle(Seed(
            folder: "ComplyFlow", vars: ["--var", "env=staging"], changed: ["--var", "env=production"],
            expectedChange: [
                // A bigger, multi-AZ primary with longer backups; a read replica; its
                // parameters; the connection secret, whose host is known again after the update.
                "update database.aws_db_instance.primary", "create database.aws_db_instance.replica[\"1\"]",
                "update database.aws_db_parameter_group.parameters", "update database.aws_secretsmanager_secret.credentials",
                // Old versions of documents and evidence are kept longer.
                "update storage.aws_s3_bucket.bucket[\"evidence-files\"]", "update storage.aws_s3_bucket.bucket[\"policy-documents\"]",
                // Every edge location (PriceClass_All); the alias follows the distribution.
                "update site.aws_cloudfront_distribution.cdn", "update site.aws_route53_record.alias[\"complyflow.example.com\"]",
                // The edge functions get more memory; the gateway's integrations read their
                // ARNs again (an empty update); their logs are kept a year.
                "update functions.aws_lambda_function.function[\"analyze-policy\"]", "update functions.aws_lambda_function.function[\"voice-summary\"]",
                "update gateway.aws_apigatewayv2_integration.integration[\"POST /functions/analyze-policy\"]",
                "update gateway.aws_apigatewayv2_integration.integration[\"POST /functions/voice-summary\"]",
                "update functions.aws_cloudwatch_log_group.logs[\"analyze-policy\"]", "update functions.aws_cloudwatch_log_group.logs[\"voice-summary\"]",
                // Stricter alarms.
                "update monitoring.aws_cloudwatch_metric_alarm.alarm[\"analyze-policy-errors\"]",
                "update monitoring.aws_cloudwatch_metric_alarm.alarm[\"voice-summary-errors\"]",
                "update monitoring.aws_cloudwatch_metric_alarm.alarm[\"api-5xx\"]", "update monitoring.aws_cloudwatch_metric_alarm.alarm[\"database-cpu\"]",
            ],
            kinds: [.network, .database, .secrets, .kms, .buckets, .cdn, .dns, .iam, .functions, .apis, .auth, .topics, .alarms, .logs, .queues, .files, .backup],
            afterApply: { cli in
                let checks = try cli.aws([
                    ["s3api", "get-bucket-policy", "--bucket", "complyflow-voice-summaries"],
                    ["s3api", "get-public-access-block", "--bucket", "complyflow-evidence-files"],
                    ["s3api", "get-bucket-encryption", "--bucket", "complyflow-evidence-files"],
                    ["s3api", "get-bucket-versioning", "--bucket", "complyflow-evidence-files"],
                    ["secretsmanager", "put-secret-value", "--secret-id", "complyflow/api-keys/openai", "--secret-string", "sk-by-hand"],
                ])
                // The public bucket: anyone may read objects.
                let policy = try #require(jsonPath(try awsJSON(checks[0]), "Policy") as? String)
                #expect(policy.contains("s3:GetObject") && policy.contains("\"Principal\":\"*\""), "\(policy)")
                // The private one: no public access, encrypted with the stack's KMS key, versioned.
                let block = try awsJSON(checks[1])
                for flag in ["BlockPublicAcls", "IgnorePublicAcls", "BlockPublicPolicy", "RestrictPublicBuckets"] {
                    #expect(jsonPath(block, "PublicAccessBlockConfiguration", flag) as? Bool == true, "\(flag): \(checks[1].output)")
                }
                #expect(jsonPath(try awsJSON(checks[2]), "ServerSideEncryptionConfiguration", "Rules", 0,
                                 "ApplyServerSideEncryptionByDefault", "SSEAlgorithm") as? String == "aws:kms", "\(checks[2].output)")
                #expect(jsonPath(try awsJSON(checks[3]), "Status") as? String == "Enabled")
                // An API key put in by hand (the plan after this must stay empty).
                #expect(checks[4].status == 0, "\(checks[4].output)")
                // The edge functions: staging's memory, the role, where their keys are; a route
                // each on the gateway; the user pool.
                let functions = try cli.aws([
                    ["lambda", "get-function-configuration", "--function-name", "complyflow-analyze-policy"],
                    ["lambda", "get-function-configuration", "--function-name", "complyflow-voice-summary"],
                    ["apigatewayv2", "get-apis", "--query", "Items[?Name=='complyflow-functions'].ApiId"],
                    ["cognito-idp", "list-user-pools", "--max-results", "10", "--query", "UserPools[].Name"],
                ])
                let analyze = try awsJSON(functions[0])
                #expect(jsonPath(analyze, "MemorySize") as? Int == 256, "\(functions[0].output)")
                #expect((jsonPath(analyze, "Role") as? String)?.hasSuffix(":role/complyflow-functions") == true, "\(functions[0].output)")
                #expect(jsonPath(analyze, "Environment", "Variables", "OPENAI_SECRET") as? String == "complyflow/api-keys/openai")
                #expect(jsonPath(try awsJSON(functions[1]), "Environment", "Variables", "BUCKET") as? String == "complyflow-voice-summaries")
                let apiId = try #require((try awsJSON(functions[2]) as? [String])?.first, "\(functions[2].output)")
                let routes = try cli.aws([["apigatewayv2", "get-routes", "--api-id", apiId, "--query", "Items[].RouteKey"]])
                #expect(Set((try awsJSON(routes[0]) as? [String]) ?? []) == ["POST /functions/analyze-policy", "POST /functions/voice-summary"],
                        "\(routes[0].output)")
                #expect((try awsJSON(functions[3]) as? [String]) == ["complyflow-users"], "\(functions[3].output)")
            }))
    }
}

extension SeedStacksTests {
    @Test(.enabled(if: AWSProviderTests.toolsMissing == nil, "needs moto_server and the aws CLI"))
    func lin() throws {
        try Self.lifecycle(Seed(
            folder: "Lin", vars: ["--var", "env=staging"], changed: ["--var", "env=production"],
            expectedChange: [
                // Bigger API servers, more of them.
                "update api.servers.aws_launch_template.servers", "update api.servers.aws_autoscaling_group.servers",
                // A bigger, multi-AZ primary, a read replica, the connection secret rewritten.
                "update database.aws_db_instance.primary", "create database.aws_db_instance.replica[\"1\"]",
                "update database.aws_secretsmanager_secret.credentials",
                // Every edge location; the alias follows the distribution.
                "update frontend.aws_cloudfront_distribution.cdn", "update frontend.aws_route53_record.alias[\"lin.example.com\"]",
                // Stricter alarms; the API's logs kept a year.
                "update monitoring.aws_cloudwatch_metric_alarm.alarm[\"servers-cpu\"]", "update monitoring.aws_cloudwatch_metric_alarm.alarm[\"database-cpu\"]",
                "update monitoring.aws_cloudwatch_metric_alarm.alarm[\"api-5xx\"]", "update monitoring.aws_cloudwatch_log_group.logs[\"/lin/api\"]",
            ],
            kinds: [.network, .nat, .loadBalancing, .servers, .firewall, .database, .secrets, .buckets, .cdn, .dns,
                    .apis, .auth, .topics, .alarms, .logs, .functions, .queues, .files, .backup],
            afterApply: { cli in
                // Staging: the load balancer, two API servers in the private subnets registered
                // with its target group, a NAT gateway per zone, the WAF on the load balancer.
                let first = try cli.aws([
                    ["elbv2", "describe-load-balancers", "--names", "lin-api"],
                    ["autoscaling", "describe-auto-scaling-groups", "--auto-scaling-group-names", "lin-api-servers"],
                    ["ec2", "describe-nat-gateways", "--filter", "Name=state,Values=available", "--query", "NatGateways[].SubnetId"],
                ])
                let balancer = try #require(jsonPath(try awsJSON(first[0]), "LoadBalancers", 0, "LoadBalancerArn") as? String, "\(first[0].output)")
                #expect(jsonPath(try awsJSON(first[0]), "LoadBalancers", 0, "Scheme") as? String == "internet-facing")
                let group = try awsJSON(first[1])
                #expect(jsonPath(group, "AutoScalingGroups", 0, "MinSize") as? Int == 2, "\(first[1].output)")
                #expect((jsonPath(group, "AutoScalingGroups", 0, "TargetGroupARNs") as? [Any])?.count == 1, "\(first[1].output)")
                #expect((jsonPath(group, "AutoScalingGroups", 0, "Instances") as? [Any])?.count == 2, "\(first[1].output)")
                #expect((try awsJSON(first[2]) as? [Any])?.count == 3, "a NAT gateway per zone: \(first[2].output)")
                let acl = try cli.aws([["wafv2", "get-web-acl-for-resource", "--resource-arn", balancer]])
                #expect(jsonPath(try awsJSON(acl[0]), "WebACL", "Name") as? String == "lin-api", "\(acl[0].output)")
                let dns = try #require(jsonPath(try awsJSON(first[0]), "LoadBalancers", 0, "DNSName") as? String)
                // The API gateway proxies every path to that load balancer.
                let apis = try cli.aws([
                    ["apigatewayv2", "get-apis", "--query", "Items[?Name=='lin-api'].ApiId"],
                    ["apigatewayv2", "get-apis", "--query", "Items[].Name"],
                    ["cognito-idp", "list-user-pools", "--max-results", "10", "--query", "UserPools[?Name=='lin-users'].Id"],
                    ["cloudwatch", "describe-alarms", "--alarm-name-prefix", "lin-"],
                ])
                let apiId = try #require((try awsJSON(apis[0]) as? [String])?.first, "\(apis[0].output)")
                #expect((try awsJSON(apis[1]) as? [String]) == ["lin-api"], "one API: \(apis[1].output)")
                let integrations = try cli.aws([["apigatewayv2", "get-integrations", "--api-id", apiId, "--query", "Items[].IntegrationUri"]])
                #expect((try awsJSON(integrations[0]) as? [String]) == ["http://\(dns)/{proxy}"], "\(integrations[0].output)")
                // Auth: the pool and its browser client.
                let pool = try #require((try awsJSON(apis[2]) as? [String])?.first, "\(apis[2].output)")
                let clients = try cli.aws([["cognito-idp", "list-user-pool-clients", "--user-pool-id", pool, "--query", "UserPoolClients[].ClientName"]])
                #expect((try awsJSON(clients[0]) as? [String]) == ["lin-users-web"], "\(clients[0].output)")
                // Alarms at staging's thresholds, all to the alerts topic.
                let alarms = (jsonPath(try awsJSON(apis[3]), "MetricAlarms") as? [[String: Any]]) ?? []
                #expect(Set(alarms.compactMap { $0["AlarmName"] as? String }) == ["lin-servers-cpu", "lin-database-cpu", "lin-api-5xx"], "\(apis[3].output)")
                #expect(alarms.allSatisfy { ($0["AlarmActions"] as? [String])?.first?.hasSuffix(":lin-alerts") == true }, "\(apis[3].output)")
                #expect(alarms.first { $0["AlarmName"] as? String == "lin-servers-cpu" }?["Threshold"] as? Double == 80, "\(apis[3].output)")
            }))
    }

    @Test(.enabled(if: AWSProviderTests.toolsMissing == nil, "needs moto_server and the aws CLI"))
    func inteliFeed() throws {
        try Self.lifecycle(Seed(
            folder: "InteliFeed", vars: ["--var", "env=staging"], changed: ["--var", "env=production"],
            expectedChange: [
                // A higher request-rate limit for bots.
                "update aws_wafv2_web_acl.firewall",
                "update api.servers.aws_launch_template.servers", "update api.servers.aws_autoscaling_group.servers",
                // A bigger primary, bigger replicas and a second one; longer backups.
                "update database.aws_db_instance.primary", "update database.aws_db_instance.replica[\"1\"]",
                "create database.aws_db_instance.replica[\"2\"]", "update database.aws_secretsmanager_secret.credentials",
                "update web.aws_cloudfront_distribution.cdn",
                "update web.aws_route53_record.alias[\"*.intelifeed.example.com\"]", "update web.aws_route53_record.alias[\"intelifeed.example.com\"]",
                // Tighter CPU and error thresholds; logs kept 90 days instead of 30.
                "update monitoring.aws_cloudwatch_metric_alarm.alarm[\"servers-cpu\"]", "update monitoring.aws_cloudwatch_metric_alarm.alarm[\"database-cpu\"]",
                "update monitoring.aws_cloudwatch_metric_alarm.alarm[\"webhooks-5xx\"]",
                "update monitoring.aws_cloudwatch_metric_alarm.alarm[\"stripe-webhook-errors\"]",
                "update monitoring.aws_cloudwatch_metric_alarm.alarm[\"send-email-errors\"]",
                "update monitoring.aws_cloudwatch_log_group.logs[\"/intelifeed/api\"]",
                "update functions.aws_cloudwatch_log_group.logs[\"stripe-webhook\"]", "update functions.aws_cloudwatch_log_group.logs[\"send-email\"]",
            ],
            kinds: [.network, .nat, .loadBalancing, .servers, .firewall, .database, .cache, .secrets, .buckets, .cdn, .dns,
                    .iam, .functions, .apis, .auth, .topics, .alarms, .logs, .queues, .files, .backup]))
    }

    @Test(.enabled(if: AWSProviderTests.toolsMissing == nil, "needs moto_server and the aws CLI"))
    func aiWriterTeam() throws {
        try Self.lifecycle(Seed(
            folder: "AIWriter", vars: ["--var", "topology=team", "--var", "env=staging"],
            changed: ["--var", "topology=team", "--var", "env=production"],
            expectedChange: [
                "update app.servers.aws_launch_template.servers", "update app.servers.aws_autoscaling_group.servers",
                "update workers.aws_launch_template.servers", "update workers.aws_autoscaling_group.servers",
                "update database.aws_db_instance.primary", "update database.aws_secretsmanager_secret.credentials",
                // Jobs wait longer; stricter alarms; logs kept 90 days.
                "update jobs.aws_sqs_queue.queue",
                "update monitoring.aws_cloudwatch_metric_alarm.alarm[\"app-cpu\"]", "update monitoring.aws_cloudwatch_metric_alarm.alarm[\"workers-cpu\"]",
                "update monitoring.aws_cloudwatch_metric_alarm.alarm[\"database-cpu\"]",
                "update monitoring.aws_cloudwatch_metric_alarm.alarm[\"queue-backlog\"]",
                "update monitoring.aws_cloudwatch_log_group.logs[\"/aiwriter/app\"]", "update monitoring.aws_cloudwatch_log_group.logs[\"/aiwriter/workers\"]",
            ],
            kinds: [.network, .nat, .loadBalancing, .servers, .database, .cache, .secrets, .buckets, .queues, .files, .topics, .alarms, .logs,
                    .functions, .apis, .auth, .backup],
            afterApply: { cli in
                // The workers' queue hands failed jobs to its dead-letter queue after 5 attempts.
                let endpoint = try #require(cli.env["AWS_ENDPOINT_URL"])
                let queues = try cli.aws([
                    ["sqs", "--endpoint-url", endpoint, "get-queue-url", "--queue-name", "aiwriter-generation"],
                    ["sqs", "--endpoint-url", endpoint, "get-queue-url", "--queue-name", "aiwriter-generation-dead-letters"],
                    ["efs", "describe-file-systems", "--query", "FileSystems[].[FileSystemId, Encrypted]"],
                ])
                let url = try #require(jsonPath(try awsJSON(queues[0]), "QueueUrl") as? String, "\(queues[0].output)")
                #expect(queues[1].status == 0, "\(queues[1].output)")
                let attributes = try cli.aws([["sqs", "--endpoint-url", endpoint, "get-queue-attributes", "--queue-url", url,
                                               "--attribute-names", "RedrivePolicy", "VisibilityTimeout"]])
                let redrive = try #require(jsonPath(try awsJSON(attributes[0]), "Attributes", "RedrivePolicy") as? String, "\(attributes[0].output)")
                #expect(redrive.contains("aiwriter-generation-dead-letters") && redrive.contains("5"), "\(redrive)")
                #expect(jsonPath(try awsJSON(attributes[0]), "Attributes", "VisibilityTimeout") as? String == "900")
                // The shared file system, encrypted, mountable in both private subnets.
                let system = try #require((try awsJSON(queues[2]) as? [[Any]])?.first, "\(queues[2].output)")
                #expect(system.last as? Bool == true, "encrypted: \(queues[2].output)")
                let mounts = try cli.aws([["efs", "describe-mount-targets", "--file-system-id", try #require(system.first as? String),
                                           "--query", "MountTargets[].SubnetId"]])
                #expect((try awsJSON(mounts[0]) as? [Any])?.count == 2, "\(mounts[0].output)")
            }))
    }

    @Test(.enabled(if: AWSProviderTests.toolsMissing == nil, "needs moto_server and the aws CLI"))
    func aiWriterEnterprise() throws {
        try Self.lifecycle(Seed(
            folder: "AIWriter", vars: ["--var", "topology=enterprise", "--var", "env=staging"],
            changed: ["--var", "topology=enterprise", "--var", "env=production"],
            expectedChange: [
                "update app.servers.aws_launch_template.servers", "update app.servers.aws_autoscaling_group.servers",
                "update workers.aws_launch_template.servers", "update workers.aws_autoscaling_group.servers",
                "update database.aws_db_instance.primary", "update database.aws_db_instance.replica[\"1\"]",
                "update database.aws_db_instance.replica[\"2\"]", "update database.aws_secretsmanager_secret.credentials",
                "update cdn.aws_cloudfront_distribution.cdn", "update cdn.aws_route53_record.alias[\"aiwriter.example.com\"]",
                // Jobs wait longer; stricter alarms; logs kept 90 days.
                "update jobs.aws_sqs_queue.queue",
                "update monitoring.aws_cloudwatch_metric_alarm.alarm[\"app-cpu\"]", "update monitoring.aws_cloudwatch_metric_alarm.alarm[\"workers-cpu\"]",
                "update monitoring.aws_cloudwatch_metric_alarm.alarm[\"database-cpu\"]",
                "update monitoring.aws_cloudwatch_metric_alarm.alarm[\"queue-backlog\"]",
                "update monitoring.aws_cloudwatch_log_group.logs[\"/aiwriter/app\"]", "update monitoring.aws_cloudwatch_log_group.logs[\"/aiwriter/workers\"]",
            ],
            kinds: [.network, .nat, .loadBalancing, .servers, .database, .cache, .secrets, .buckets, .cdn, .dns, .queues, .files, .topics, .alarms,
                    .logs, .functions, .apis, .auth, .backup]))
    }

    /// The three topologies are one stack: each validates and plans, single smallest.
    @Test(.enabled(if: AWSProviderTests.toolsMissing == nil, "needs moto_server and the aws CLI"))
    func aiWriterTopologiesPlan() throws {
        let server = try MotoServer.start(try #require(AWSProviderTests.moto))
        defer { server.stop() }
        let cli = try AWSTestCLI(endpoint: server.endpoint)
        defer { cli.strata.remove() }
        let stack = StrataCLI.packageRoot.appendingPathComponent("Stacks/AIWriter").path
        var counts: [String: Int] = [:]
        for topology in ["single", "team", "enterprise"] {
            let plan = try cli.strata.run(["plan", stack, "--json", "--var", "topology=\(topology)"], environment: cli.env)
            #expect(plan.status == 0, "\(plan.output)")
            let actions = seedActions(plan.stdout)
            counts[topology] = actions.count
            let load = actions.contains { $0.contains("aws_lb.") }, cdn = actions.contains { $0.contains("aws_cloudfront_distribution") }
            let replicas = actions.filter { $0.contains("aws_db_instance.replica") }.count
            #expect(load == (topology != "single"), "\(topology): a load balancer only with several servers")
            #expect(cdn == (topology == "enterprise"), "\(topology): a CDN only for enterprise")
            #expect(replicas == (topology == "enterprise" ? 2 : 0), "\(topology): \(replicas) replicas")
        }
        #expect(counts["single"]! < counts["team"]! && counts["team"]! < counts["enterprise"]!, "\(counts)")
        let wrong = try cli.strata.run(["validate", stack, "--var", "topology=cluster"], environment: cli.env)
        #expect(wrong.status != 0 && wrong.output.contains("single, team, enterprise"), "\(wrong.output)")
    }

    /// Three regions in one run, through three instances of the AWS provider.
    @Test(.enabled(if: AWSProviderTests.toolsMissing == nil, "needs moto_server and the aws CLI"))
    func production() throws {
        var expected: [String] = ["update cdn.aws_cloudfront_distribution.cdn", "update cdn.aws_route53_record.alias[\"app.example.com\"]"]
        for region in ["us", "eu", "ap"] {
            expected += [
                "update \(region).app.servers.aws_launch_template.servers", "update \(region).app.servers.aws_autoscaling_group.servers",
                "update \(region).database.aws_db_instance.primary", "update \(region).database.aws_secretsmanager_secret.credentials",
                "create \(region).database.aws_db_instance.replica[\"1\"]", "create \(region).database.aws_db_instance.replica[\"2\"]",
                // Stricter CPU alarms, a lag alarm per new replica, logs kept a year.
                "update \(region).monitoring.aws_cloudwatch_metric_alarm.alarm[\"app-cpu\"]",
                "update \(region).monitoring.aws_cloudwatch_metric_alarm.alarm[\"database-cpu\"]",
                "create \(region).monitoring.aws_cloudwatch_metric_alarm.alarm[\"replica-1-lag\"]",
                "create \(region).monitoring.aws_cloudwatch_metric_alarm.alarm[\"replica-2-lag\"]",
                "update \(region).monitoring.aws_cloudwatch_log_group.logs[\"/prod-template-\(region)/app\"]",
            ]
        }
        try Self.lifecycle(Seed(
            folder: "Production", vars: ["--var", "env=staging"], changed: ["--var", "env=production"], expectedChange: expected,
            regions: ["us-east-1", "eu-west-1", "ap-southeast-1"],
            kinds: [.network, .nat, .loadBalancing, .servers, .firewall, .database, .cache, .secrets, .buckets, .cdn, .dns,
                    .files, .topics, .alarms, .logs, .functions, .apis, .auth, .queues, .backup],
            afterApply: { cli in
                // Each region has its file system, mountable in its three private subnets, and
                // its alarms sending to its own alerts topic.
                let regions = [("us", "us-east-1"), ("eu", "eu-west-1"), ("ap", "ap-southeast-1")]
                let found = try cli.awsInOneProcess(regions.flatMap { key, region in [
                    ["efs", "describe-file-systems", "--region", region, "--query", "FileSystems[].FileSystemId"],
                    ["cloudwatch", "describe-alarms", "--region", region, "--query", "MetricAlarms[].AlarmActions[0]"],
                ] })
                var mounts: [[String]] = []
                for (index, (key, region)) in regions.enumerated() {
                    let systems = (try awsJSON(found[2 * index]) as? [String]) ?? []
                    #expect(systems.count == 1, "\(region): \(found[2 * index].output)")
                    let actions = (try awsJSON(found[2 * index + 1]) as? [String]) ?? []
                    #expect(actions.count == 2 && actions.allSatisfy { $0 == "arn:aws:sns:\(region):123456789012:prod-template-\(key)-alerts" },
                            "\(region): \(found[2 * index + 1].output)")
                    if let system = systems.first {
                        mounts.append(["efs", "describe-mount-targets", "--region", region, "--file-system-id", system, "--query", "MountTargets[].SubnetId"])
                    }
                }
                for result in try cli.awsInOneProcess(mounts) {
                    #expect((try awsJSON(result) as? [Any])?.count == 3, "\(result.output)")
                }
            }))
    }
}

extension SeedStacksTests {
    /// The `graph.mmd` committed beside each stack is what `strata graph --format mermaid`
    /// draws of it now (production sizes), and every label is well-formed Mermaid: keyed
    /// addresses' quotes are written `#quot;`, so a label's only quotes are its delimiters.
    @Test func committedGraphsAreWhatStrataDrawsNow() throws {
        let cli = try StrataCLI()
        defer { cli.remove() }
        let graphs: [(stack: String, file: String, vars: [String])] = [
            ("Lin", "graph.mmd", []), ("ComplyFlow", "graph.mmd", []), ("InteliFeed", "graph.mmd", []), ("Production", "graph.mmd", []),
            ("AIWriter", "graph.mmd", ["--var", "topology=team"]), ("AIWriter", "graph-single.mmd", ["--var", "topology=single"]),
            ("AIWriter", "graph-enterprise.mmd", ["--var", "topology=enterprise"]),
        ]
        for graph in graphs {
            let folder = StrataCLI.packageRoot.appendingPathComponent("Stacks/\(graph.stack)")
            let drawn = try cli.run(["graph", folder.path, "--format", "mermaid", "--var", "env=production"] + graph.vars)
            #expect(drawn.status == 0, "\(drawn.output)")
            let committed = try String(contentsOf: folder.appendingPathComponent(graph.file), encoding: .utf8)
            #expect(drawn.stdout == committed, "Stacks/\(graph.stack)/\(graph.file) is stale: strata graph Stacks/\(graph.stack) --format mermaid --var env=production \(graph.vars.joined(separator: " ")) > Stacks/\(graph.stack)/\(graph.file)")
            for line in committed.split(separator: "\n") where line.contains("[\"") {
                #expect(line.filter { $0 == "\"" }.count == 2, "a label with stray quotes: \(line)")
            }
        }
    }
}

extension SeedStacksTests {
    /// The second-wave components refuse misuse as stack errors naming the component, before
    /// any call: two alarms with one key, a job queue's retention out of range or a name too
    /// long for its dead-letter queue, sign-in without a callback, a file system's relative root.
    @Test(.enabled(if: AWSProviderTests.toolsMissing == nil, "needs the aws CLI's settings"))
    func secondWaveComponentsReportMisuseAsStackErrors() throws {
        let cli = try AWSTestCLI(endpoint: "http://127.0.0.1:9")  // nothing listens: no call may be made
        defer { cli.strata.remove() }
        let stack = try cli.strata.writeStack("Misuse", ["main.swift": """
            import Strata
            import StrataAWS
            import StrataComponents

            let network = ThreeTierNetwork(zones: 2, region: "us-east-1")
            _ = Monitoring(prefix: "shop", alarms: [.databaseCPU("shop", above: 80), .databaseCPU("shop-2", above: 80)])
            _ = JobQueue(queueName: "jobs", retentionDays: 30)
            _ = JobQueue("long", queueName: String(repeating: "q", count: 70))
            _ = UserAuth(poolName: "shop-users", callbackUrls: [])
            _ = SharedFileSystem(name: "shop-files", network: network, rootPath: "app")
            """])
        let result = try cli.strata.run(["validate", stack], environment: cli.env)
        #expect(result.status != 0, "\(result.output)")
        for message in ["two alarms have the key 'database-cpu'", "retentionDays must be 1 to 14, not 30",
                        "is longer than SQS allows (80)", "give at least one callback URL", "rootPath must start with '/', not 'app'"] {
            #expect(result.output.contains(message), "\(message): \(result.output)")
        }
    }
}

/// "Valid: 27 resources, 4 outputs." → 27
private func resourceCount(_ validateOutput: String) -> Int? {
    guard let range = validateOutput.range(of: #"Valid: (\d+) resources"#, options: .regularExpression) else { return nil }
    return Int(validateOutput[range].split(separator: " ")[1])
}

/// `strata plan --json` → `["update aws_vpc.main", …]`, sorted, no-ops left out.
private func seedActions(_ planJSON: String) -> [String] {
    let object = (try? JSONSerialization.jsonObject(with: Data(planJSON.utf8))) as? [String: Any]
    let steps = object?["steps"] as? [[String: Any]] ?? []
    return steps.compactMap { step -> String? in
        guard let action = step["action"] as? String, action != "noop" else { return nil }
        return "\(action) \(step["address"] ?? "")"
    }.sorted()
}

extension AWSTestCLI {
    /// The aws CLI's own driver (`awscli.clidriver`, what the `aws` command runs) for many
    /// commands in one Python process: each `aws` process spends most of a second starting
    /// Python and loading botocore, and a three-region stack's leftover check is about a hundred
    /// commands — on a loaded 2-core machine the separate processes took two minutes, one process
    /// takes seconds. Same arguments, same `--output json`, same environment; each command's
    /// exit status, stdout and stderr come back in order. Falls back to one process per command
    /// when the CLI's Python cannot be found.
    func awsInOneProcess(_ commands: [[String]]) throws -> [StrataCLI.Result] {
        guard let python = Self.awsPython else { return try aws(commands) }
        let input = strata.directory.appendingPathComponent("aws-batch-\(UUID().uuidString.prefix(6)).json")
        let output = input.deletingPathExtension().appendingPathExtension("out.json")
        try JSONSerialization.data(withJSONObject: commands.map { ["--output", "json"] + $0 }).write(to: input)
        let process = Process()
        process.executableURL = python
        process.arguments = ["-c", Self.batchScript, input.path, output.path]
        process.environment = strata.environment.merging(env) { _, new in new }
        process.standardInput = FileHandle.nullDevice
        process.standardOutput = FileHandle.nullDevice
        let errors = Pipe()
        process.standardError = errors
        try process.run()
        let stderr = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        guard process.terminationStatus == 0, let data = FileManager.default.contents(atPath: output.path),
              let results = (try? JSONSerialization.jsonObject(with: data)) as? [[String: Any]], results.count == commands.count else {
            throw BatchFailure(description: "the aws CLI batch failed (\(process.terminationStatus)): \(stderr)")
        }
        return results.map {
            StrataCLI.Result(status: Int32(($0["status"] as? Int) ?? 255), stdout: $0["stdout"] as? String ?? "", stderr: $0["stderr"] as? String ?? "")
        }
    }

    struct BatchFailure: Error, CustomStringConvertible { var description: String }

    /// A Python that imports `awscli` (the one the `aws` command runs on), if any.
    static let awsPython: URL? = {
        guard let python = Executable.find("python3") else { return nil }
        let probe = Process()
        probe.executableURL = python
        probe.arguments = ["-c", "import awscli.clidriver"]
        probe.standardOutput = FileHandle.nullDevice
        probe.standardError = FileHandle.nullDevice
        guard (try? probe.run()) != nil else { return nil }
        probe.waitUntilExit()
        return probe.terminationStatus == 0 ? python : nil
    }()

    /// Reads the commands (a JSON list of argument lists) from argv[1], runs each through one
    /// aws CLI driver with its stdout and stderr captured, writes the results to argv[2].
    static let batchScript = """
        import contextlib, io, json, sys
        from awscli.clidriver import create_clidriver
        driver = create_clidriver()
        results = []
        for arguments in json.load(open(sys.argv[1])):
            out, err = io.StringIO(), io.StringIO()
            with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
                try:
                    status = driver.main(arguments)
                except SystemExit as exit:
                    status = exit.code if isinstance(exit.code, int) else 1
                except Exception as error:
                    print(error, file=sys.stderr)
                    status = 255
            results.append({"status": status or 0, "stdout": out.getvalue(), "stderr": err.getvalue()})
        json.dump(results, open(sys.argv[2], "w"))
        """
}
