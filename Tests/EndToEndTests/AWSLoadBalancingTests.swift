import Foundation
import Testing

/// An application load balancer (load balancer, target group, HTTP and HTTPS listeners,
/// rules) on moto_server, typed: applied and checked with the `aws` CLI, changed in place,
/// a target group replaced (listeners and rules re-pointed), imported back after `state rm`,
/// destroyed.
@Suite(.serialized) struct AWSLoadBalancingTests {
    static let stack = """
        import Strata
        import StrataAWS

        let run = Stack.variable("run", default: "x")
        let stage = Stack.variable("stage", default: "one", allowed: ["one", "two", "three"])
        let certificate = Stack.variable("certificate", default: "")
        let two = stage != "one"
        let vpc = AWS.VPC("main", cidrBlock: "10.6.0.0/16")
        let a = AWS.Subnet("a", vpc: vpc, cidrBlock: "10.6.1.0/24", availabilityZone: "us-east-1a")
        let b = AWS.Subnet("b", vpc: vpc, cidrBlock: "10.6.2.0/24", availabilityZone: "us-east-1b")
        let c = AWS.Subnet("c", vpc: vpc, cidrBlock: "10.6.3.0/24", availabilityZone: "us-east-1c")
        let web = AWS.SecurityGroup("lb", groupName: "lb-\\(run)", vpc: vpc, ingress: [.tcp(80, from: ["0.0.0.0/0"]), .tcp(443, from: ["0.0.0.0/0"])])
        let lb = AWS.LoadBalancer("web", loadBalancerName: "web-\\(run)", subnets: two ? [a, b, c] : [a, b], securityGroups: [web],
                                  tags: ["env": two ? "two" : "one"])
        let app = AWS.TargetGroup("app", targetGroupName: stage == "three" ? "app2-\\(run)" : "app-\\(run)", port: 8080, vpc: vpc,
                                  healthCheckPath: two ? "/ready" : "/health")
        let http = AWS.Listener("http", loadBalancer: lb, port: 80, defaultAction: two ? .toHTTPS : .forward(app))
        let https = AWS.Listener("https", loadBalancer: lb, port: 443, protocol: "HTTPS", certificateArn: "\\(certificate)", defaultAction: .forward(app))
        let api = AWS.ListenerRule("api", listener: https, priority: two ? 20 : 10, pathPatterns: two ? ["/api/*", "/v2/*"] : ["/api/*"],
                                   action: .forward(app))
        let down = AWS.ListenerRule("down", listener: https, priority: 30, hostHeaders: ["down.example.com"],
                                    action: .fixedResponse(statusCode: 503, contentType: "text/plain", messageBody: "down"))
        Stack.output("lb", lb.arn)
        Stack.output("dns", lb.dnsName)
        Stack.output("zone", lb.zoneId)
        Stack.output("app", app.arn)
        Stack.output("http", http.arn)
        Stack.output("https", https.arn)
        Stack.output("api", api.arn)
        Stack.output("down", down.arn)
        Stack.output("a", a.id)
        Stack.output("b", b.id)
        Stack.output("c", c.id)
        Stack.output("sg", web.id)
        """

    @Test(.enabled(if: AWSProviderTests.toolsMissing == nil, "needs moto_server and the aws CLI"))
    func anApplicationLoadBalancerAppliesChangesReplacesImportsAndDestroys() throws {
        let server = try MotoServer.start(try #require(AWSProviderTests.moto))
        defer { server.stop() }
        let cli = try AWSTestCLI(endpoint: server.endpoint)
        defer { cli.strata.remove() }
        let run = "l" + UUID().uuidString.prefix(6).lowercased()
        let requested = try cli.aws([["acm", "request-certificate", "--domain-name", "\(run).example.com"]])[0]
        let certificate = try #require(jsonPath(try awsJSON(requested), "CertificateArn") as? String, "\(requested.output)")
        let stack = try cli.strata.writeStack("AWSLoadBalancing", ["main.swift": Self.stack])
        func vars(_ stage: String) -> [String] { ["--var", "run=\(run)", "--var", "stage=\(stage)", "--var", "certificate=\(certificate)"] }

        // Stage one: create.
        let validate = try cli.strata.run(["validate", stack] + vars("one"), environment: cli.env)
        #expect(validate.status == 0, "the typed module matches the schema: \(validate.output)")
        let apply = try cli.strata.run(["apply", stack, "--auto-approve"] + vars("one"), environment: cli.env)
        #expect(apply.status == 0, "\(apply.output)")
        #expect(apply.stdout.contains("11 created"), "\(apply.output)")
        let one = try cli.outputs(stack, vars("one"))
        let lb = try #require(one["lb"]), app = try #require(one["app"]), https = try #require(one["https"])
        #expect(lb.contains(":loadbalancer/app/web-\(run)/") && app.contains(":targetgroup/app-\(run)/"), "\(one)")

        var checks = try cli.aws([
            ["elbv2", "describe-load-balancers", "--load-balancer-arns", lb],
            ["elbv2", "describe-target-groups", "--target-group-arns", app],
            ["elbv2", "describe-listeners", "--load-balancer-arn", lb],
            ["elbv2", "describe-rules", "--listener-arn", https],
            ["elbv2", "describe-tags", "--resource-arns", lb, app],
        ])
        let balancer = try #require(first(try awsJSON(checks[0]), "LoadBalancers"), "\(checks[0].output)")
        #expect(balancer["Scheme"] as? String == "internet-facing" && balancer["Type"] as? String == "application", "\(balancer)")
        #expect(balancer["DNSName"] as? String == one["dns"] && balancer["CanonicalHostedZoneId"] as? String == one["zone"], "\(balancer) \(one)")
        #expect(Set(subnets(balancer)) == Set([one["a"], one["b"]].compactMap { $0 }), "\(balancer)")
        #expect(balancer["SecurityGroups"] as? [String] == [one["sg"] ?? "?"], "\(balancer)")
        let group = try #require(first(try awsJSON(checks[1]), "TargetGroups"), "\(checks[1].output)")
        #expect(group["Port"] as? Int == 8080 && group["Protocol"] as? String == "HTTP" && group["HealthCheckPath"] as? String == "/health", "\(group)")
        let listeners = (jsonPath(try awsJSON(checks[2]), "Listeners") as? [[String: Any]] ?? [])
        let byPort = Dictionary(listeners.map { ($0["Port"] as? Int ?? 0, $0) }, uniquingKeysWith: { a, _ in a })
        #expect(byPort.keys.sorted() == [80, 443], "\(checks[2].output)")
        #expect(jsonPath(byPort[443], "Certificates", 0, "CertificateArn") as? String == certificate, "\(checks[2].output)")
        #expect(jsonPath(byPort[80], "DefaultActions", 0, "Type") as? String == "forward", "\(checks[2].output)")
        #expect(jsonPath(byPort[80], "DefaultActions", 0, "TargetGroupArn") as? String == app, "\(checks[2].output)")
        let rules = rulesByPriority(try awsJSON(checks[3]))
        #expect(rules.keys.sorted() == ["10", "30", "default"], "\(checks[3].output)")
        #expect(conditionValues(rules["10"]) == ["/api/*"], "\(checks[3].output)")
        #expect(jsonPath(rules["30"], "Actions", 0, "FixedResponseConfig", "StatusCode") as? String == "503", "\(checks[3].output)")
        let tagged = Dictionary((jsonPath(try awsJSON(checks[4]), "TagDescriptions") as? [[String: Any]] ?? []).map {
            ($0["ResourceArn"] as? String ?? "", awsTagMap($0["Tags"]))
        }, uniquingKeysWith: { a, _ in a })
        #expect(tagged[lb]?["env"] == "one" && tagged[lb]?["strata:address"] == "aws_lb.web", "\(checks[4].output)")
        #expect(tagged[app]?["strata:address"] == "aws_lb_target_group.app", "\(checks[4].output)")

        let quiet = try cli.strata.run(["plan", stack, "--detailed-exitcode"] + vars("one"), environment: cli.env)
        #expect(quiet.status == 0, "a plan right after apply shows no changes: \(quiet.output)")

        // Stage two: in place (subnets, tags, health check path, a redirect, a rule's priority and paths).
        let planTwo = try cli.strata.run(["plan", stack, "--json"] + vars("two"), environment: cli.env)
        #expect(changes(planTwo.stdout) == [
            "update aws_lb.web", "update aws_lb_listener.http", "update aws_lb_listener_rule.api", "update aws_lb_target_group.app",
        ], "\(planTwo.output)")
        let applyTwo = try cli.strata.run(["apply", stack, "--auto-approve"] + vars("two"), environment: cli.env)
        #expect(applyTwo.status == 0, "\(applyTwo.output)")
        let two = try cli.outputs(stack, vars("two"))
        #expect(two["lb"] == lb && two["app"] == app && two["api"] == one["api"], "changed in place")
        checks = try cli.aws([
            ["elbv2", "describe-load-balancers", "--load-balancer-arns", lb],
            ["elbv2", "describe-target-groups", "--target-group-arns", app],
            ["elbv2", "describe-listeners", "--listener-arns", one["http"] ?? "?"],
            ["elbv2", "describe-rules", "--listener-arn", https],
            ["elbv2", "describe-tags", "--resource-arns", lb],
        ])
        let moved = first(try awsJSON(checks[0]), "LoadBalancers")
        #expect(Set(subnets(moved)) == Set([one["a"], one["b"], one["c"]].compactMap { $0 }), "\(checks[0].output)")
        #expect(first(try awsJSON(checks[1]), "TargetGroups")?["HealthCheckPath"] as? String == "/ready", "\(checks[1].output)")
        let redirect = jsonPath(try awsJSON(checks[2]), "Listeners", 0, "DefaultActions", 0) as? [String: Any]
        #expect(redirect?["Type"] as? String == "redirect", "\(checks[2].output)")
        #expect(jsonPath(redirect, "RedirectConfig", "Protocol") as? String == "HTTPS", "\(checks[2].output)")
        #expect(jsonPath(redirect, "RedirectConfig", "StatusCode") as? String == "HTTP_301", "\(checks[2].output)")
        let rulesTwo = rulesByPriority(try awsJSON(checks[3]))
        #expect(rulesTwo.keys.sorted() == ["20", "30", "default"], "\(checks[3].output)")
        #expect(Set(conditionValues(rulesTwo["20"])) == ["/api/*", "/v2/*"], "\(checks[3].output)")
        #expect(awsTagMap(jsonPath(try awsJSON(checks[4]), "TagDescriptions", 0, "Tags"))["env"] == "two", "\(checks[4].output)")
        #expect(try cli.strata.run(["plan", stack, "--detailed-exitcode"] + vars("two"), environment: cli.env).status == 0)

        // Stage three: a new target group name replaces it; the listener and the rule follow.
        let planThree = try cli.strata.run(["plan", stack, "--json"] + vars("three"), environment: cli.env)
        #expect(changes(planThree.stdout) == [
            "replace aws_lb_target_group.app", "update aws_lb_listener.https", "update aws_lb_listener_rule.api",
        ], "\(planThree.output)")
        let applyThree = try cli.strata.run(["apply", stack, "--auto-approve"] + vars("three"), environment: cli.env)
        #expect(applyThree.status == 0, "\(applyThree.output)")
        let three = try cli.outputs(stack, vars("three"))
        let newApp = try #require(three["app"])
        #expect(newApp != app && newApp.contains(":targetgroup/app2-\(run)/"), "\(three)")
        checks = try cli.aws([
            ["elbv2", "describe-target-groups", "--target-group-arns", app],
            ["elbv2", "describe-listeners", "--listener-arns", https],
            ["elbv2", "describe-rules", "--rule-arns", one["api"] ?? "?"],
        ])
        #expect(checks[0].status != 0 && checks[0].output.contains("TargetGroupNotFound"), "the old group is gone: \(checks[0].output)")
        #expect(jsonPath(try awsJSON(checks[1]), "Listeners", 0, "DefaultActions", 0, "TargetGroupArn") as? String == newApp, "\(checks[1].output)")
        #expect(jsonPath(try awsJSON(checks[2]), "Rules", 0, "Actions", 0, "TargetGroupArn") as? String == newApp, "\(checks[2].output)")
        #expect(try cli.strata.run(["plan", stack, "--detailed-exitcode"] + vars("three"), environment: cli.env).status == 0)

        // Import: forgotten, then adopted by ARN; the plan is quiet again.
        for address in ["aws_lb.web", "aws_lb_target_group.app", "aws_lb_listener.https", "aws_lb_listener_rule.down"] {
            #expect(try cli.strata.run(["state", "rm", stack, address] + vars("three"), environment: cli.env).status == 0, "\(address)")
        }
        #expect(try cli.strata.run(["plan", stack, "--detailed-exitcode"] + vars("three"), environment: cli.env).status == 2)
        for (address, id) in [("aws_lb.web", lb), ("aws_lb_target_group.app", newApp), ("aws_lb_listener.https", https), ("aws_lb_listener_rule.down", three["down"] ?? "?")] {
            let imported = try cli.strata.run(["import", stack, address, id] + vars("three"), environment: cli.env)
            #expect(imported.status == 0, "\(address): \(imported.output)")
        }
        let adopted = try cli.strata.run(["plan", stack, "--detailed-exitcode"] + vars("three"), environment: cli.env)
        #expect(adopted.status == 0, "imported resources plan with no changes: \(adopted.output)")

        let destroy = try cli.strata.run(["destroy", stack, "--auto-approve"] + vars("three"), environment: cli.env)
        #expect(destroy.status == 0, "\(destroy.output)")
        #expect(destroy.stdout.contains("11 destroyed"), "\(destroy.output)")
        let gone = try cli.aws([
            ["elbv2", "describe-load-balancers", "--load-balancer-arns", lb],
            ["elbv2", "describe-target-groups", "--target-group-arns", newApp],
            ["elbv2", "describe-listeners", "--listener-arns", https],
        ])
        for (result, code) in zip(gone, ["LoadBalancerNotFound", "TargetGroupNotFound", "ListenerNotFound"]) {
            #expect(result.status != 0 && result.output.contains(code), "expected \(code): \(result.output)")
        }
    }

    /// `check` refuses bad names, ports, protocols and actions before any call.
    @Test(.enabled(if: AWSProviderTests.toolsMissing == nil, "needs the aws provider"))
    func checkRejectsBadLoadBalancingInputs() throws {
        let cli = try AWSTestCLI(endpoint: "http://127.0.0.1:9")
        defer { cli.strata.remove() }
        let stack = try cli.strata.writeStack("BadLB", ["main.swift": """
            import Strata
            import StrataModel

            let lb = GenericResource("aws_lb", "web", inputs: ["name": "internal-web", "subnets": ["subnet-1"]])
            let tg = GenericResource("aws_lb_target_group", "app", inputs: ["name": "app_1", "port": 70000, "protocol": "HTTP", "vpcId": "vpc-1"])
            let listener = GenericResource("aws_lb_listener", "https", inputs: [
                "loadBalancerArn": "arn", "port": 443, "protocol": "HTTPS", "defaultAction": .map(["type": "forward"]),
            ])
            let rule = GenericResource("aws_lb_listener_rule", "r", inputs: [
                "listenerArn": "arn", "priority": 0, "action": .map(["type": "fixed-response", "statusCode": "302"]),
            ])
            """])
        let plan = try cli.strata.run(["plan", stack], environment: cli.env)
        #expect(plan.status == 1, "\(plan.output)")
        for message in ["must not begin with 'internal-'", "may hold only letters, digits and hyphens, not '_'", "'port' must be a whole number from 1 to 65535",
                        "a HTTPS listener needs 'certificateArn'", "a forward action needs 'targetGroupArn'", "'priority' must be a whole number from 1 to 50000",
                        "must be a 2XX, 4XX or 5XX code", "a rule needs at least one condition"] {
            #expect(plan.output.contains(message), "expected '\(message)': \(plan.output)")
        }
    }

    private func first(_ value: Any, _ key: String) -> [String: Any]? {
        ((value as? [String: Any])?[key] as? [[String: Any]])?.first
    }

    private func subnets(_ balancer: [String: Any]?) -> [String] {
        (balancer?["AvailabilityZones"] as? [[String: Any]] ?? []).compactMap { $0["SubnetId"] as? String }
    }

    private func rulesByPriority(_ value: Any) -> [String: [String: Any]] {
        Dictionary(((value as? [String: Any])?["Rules"] as? [[String: Any]] ?? []).map { ($0["Priority"] as? String ?? "", $0) },
                   uniquingKeysWith: { a, _ in a })
    }

    private func conditionValues(_ rule: [String: Any]?) -> [String] {
        (rule?["Conditions"] as? [[String: Any]] ?? []).flatMap { condition -> [String] in
            let config = (condition["PathPatternConfig"] ?? condition["HostHeaderConfig"]) as? [String: Any]
            return config?["Values"] as? [String] ?? condition["Values"] as? [String] ?? []
        }
    }

    private func changes(_ planJSON: String) -> [String] {
        let object = try? JSONSerialization.jsonObject(with: Data(planJSON.utf8)) as? [String: Any]
        return (object?["steps"] as? [[String: Any]] ?? []).compactMap { step -> String? in
            guard let action = step["action"] as? String, action != "noop" else { return nil }
            return "\(action) \(step["address"] ?? "")"
        }.sorted()
    }
}
