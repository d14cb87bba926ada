import Foundation
import Testing

/// A launch template and an Auto Scaling group joined to load balancer target groups, typed, on
/// moto_server: applied and checked with the `aws` CLI, changed in place (a new default
/// template version; sizes, subnets and target groups of the group), the group replaced
/// under a new name, imported back after `state rm`, destroyed.
@Suite(.serialized) struct AWSComputeTests {
    static let stack = """
        import Strata
        import StrataAWS

        let run = Stack.variable("run", default: "x")
        let image = Stack.variable("image", default: "ami-12c6146b")
        let stage = Stack.variable("stage", default: "one", allowed: ["one", "two", "three"])
        let two = stage != "one"
        let vpc = AWS.VPC("main", cidrBlock: "10.9.0.0/16")
        let a = AWS.Subnet("a", vpc: vpc, cidrBlock: "10.9.1.0/24", availabilityZone: "us-east-1a")
        let b = AWS.Subnet("b", vpc: vpc, cidrBlock: "10.9.2.0/24", availabilityZone: "us-east-1b")
        let web = AWS.SecurityGroup("web", groupName: "web-\\(run)", vpc: vpc, ingress: [.tcp(80, from: ["10.9.0.0/16"])])
        let app = AWS.TargetGroup("app", targetGroupName: "app-\\(run)", port: 80, vpc: vpc)
        let canary = AWS.TargetGroup("canary", targetGroupName: "canary-\\(run)", port: 81, vpc: vpc)
        let template = AWS.LaunchTemplate("web", templateName: "web-\\(run)", imageId: "\\(image)", instanceType: two ? "t3.small" : "t3.micro",
                                          securityGroups: [web], userData: two ? nil : "#!/bin/sh\\necho one")
        let group = AWS.AutoScalingGroup("web", groupName: stage == "three" ? "web2-\\(run)" : "web-\\(run)", launchTemplate: template,
                                         subnets: two ? [a, b] : [a], minSize: 1, maxSize: two ? 3 : 2, desiredCapacity: two ? 2 : 1,
                                         targetGroups: two ? [app, canary] : [app], tags: ["role": "web"])
        Stack.output("template", template.id)
        Stack.output("group", group.id)
        Stack.output("a", a.id)
        Stack.output("b", b.id)
        Stack.output("sg", web.id)
        Stack.output("app", app.arn)
        Stack.output("canary", canary.arn)
        """

    @Test(.enabled(if: AWSProviderTests.toolsMissing == nil, "needs moto_server and the aws CLI"))
    func aLaunchTemplateAndAnAutoScalingGroupApplyChangeReplaceImportAndDestroy() throws {
        let server = try MotoServer.start(try #require(AWSProviderTests.moto))
        defer { server.stop() }
        let cli = try AWSTestCLI(endpoint: server.endpoint)
        defer { cli.strata.remove() }
        let run = "c" + UUID().uuidString.prefix(6).lowercased()
        let images = try cli.aws([["ec2", "describe-images", "--owners", "amazon", "--query", "Images[0]"]])[0]
        let image = try #require(jsonPath(try awsJSON(images), "ImageId") as? String, "\(images.output)")
        let stack = try cli.strata.writeStack("AWSCompute", ["main.swift": Self.stack])
        func vars(_ stage: String) -> [String] { ["--var", "run=\(run)", "--var", "stage=\(stage)", "--var", "image=\(image)"] }

        let validate = try cli.strata.run(["validate", stack] + vars("one"), environment: cli.env)
        #expect(validate.status == 0, "the typed module matches the schema: \(validate.output)")
        let apply = try cli.strata.run(["apply", stack, "--auto-approve"] + vars("one"), environment: cli.env)
        #expect(apply.status == 0, "\(apply.output)")
        #expect(apply.stdout.contains("8 created"), "\(apply.output)")
        let one = try cli.outputs(stack, vars("one"))
        let template = try #require(one["template"]), group = try #require(one["group"])
        #expect(template.hasPrefix("lt-") && group == "web-\(run)", "\(one)")

        func describe() throws -> (template: [String: Any]?, data: [String: Any]?, group: [String: Any]?) {
            let checks = try cli.aws([
                ["ec2", "describe-launch-templates", "--launch-template-ids", template],
                ["ec2", "describe-launch-template-versions", "--launch-template-id", template, "--versions", "$Default"],
                ["autoscaling", "describe-auto-scaling-groups", "--auto-scaling-group-names", group],
            ])
            return (jsonPath(try awsJSON(checks[0]), "LaunchTemplates", 0) as? [String: Any],
                    jsonPath(try awsJSON(checks[1]), "LaunchTemplateVersions", 0, "LaunchTemplateData") as? [String: Any],
                    jsonPath(try awsJSON(checks[2]), "AutoScalingGroups", 0) as? [String: Any])
        }
        func userData(_ data: [String: Any]?) -> String? {
            (data?["UserData"] as? String).flatMap { Data(base64Encoded: $0) }.flatMap { String(data: $0, encoding: .utf8) }
        }
        var now = try describe()
        #expect(now.template?["DefaultVersionNumber"] as? Int == 1, "\(now.template ?? [:])")
        #expect(now.data?["InstanceType"] as? String == "t3.micro" && now.data?["ImageId"] as? String == image, "\(now.data ?? [:])")
        #expect(now.data?["SecurityGroupIds"] as? [String] == [one["sg"] ?? "?"], "\(now.data ?? [:])")
        #expect(userData(now.data) == "#!/bin/sh\necho one", "\(now.data ?? [:])")
        #expect(now.group?["MinSize"] as? Int == 1 && now.group?["MaxSize"] as? Int == 2 && now.group?["DesiredCapacity"] as? Int == 1, "\(now.group ?? [:])")
        #expect(now.group?["VPCZoneIdentifier"] as? String == one["a"], "\(now.group ?? [:])")
        #expect(now.group?["TargetGroupARNs"] as? [String] == [one["app"] ?? "?"], "\(now.group ?? [:])")
        #expect(jsonPath(now.group, "LaunchTemplate", "LaunchTemplateId") as? String == template, "\(now.group ?? [:])")
        #expect(awsTagMap(now.group?["Tags"])["role"] == "web" && awsTagMap(now.group?["Tags"])["strata:address"] == "aws_autoscaling_group.web",
                "\(now.group ?? [:])")
        #expect(try cli.strata.run(["plan", stack, "--detailed-exitcode"] + vars("one"), environment: cli.env).status == 0,
                "a plan right after apply shows no changes")

        // Stage two: in place (a new default template version; sizes, subnets, target groups).
        // The new version drops the user data: moto_server cannot launch instances from a later
        // version that has user data (see docs/aws.md).
        let planTwo = try cli.strata.run(["plan", stack, "--json"] + vars("two"), environment: cli.env)
        #expect(changes(planTwo.stdout) == ["update aws_autoscaling_group.web", "update aws_launch_template.web"], "\(planTwo.output)")
        let applyTwo = try cli.strata.run(["apply", stack, "--auto-approve"] + vars("two"), environment: cli.env)
        #expect(applyTwo.status == 0, "\(applyTwo.output)")
        #expect(try cli.outputs(stack, vars("two"))["template"] == template, "the template is changed in place")
        now = try describe()
        #expect(now.template?["DefaultVersionNumber"] as? Int == 2 && now.template?["LatestVersionNumber"] as? Int == 2, "\(now.template ?? [:])")
        #expect(now.data?["InstanceType"] as? String == "t3.small" && now.data?["UserData"] == nil, "\(now.data ?? [:])")
        #expect(now.group?["MaxSize"] as? Int == 3 && now.group?["DesiredCapacity"] as? Int == 2, "\(now.group ?? [:])")
        #expect(Set((now.group?["VPCZoneIdentifier"] as? String ?? "").split(separator: ",").map(String.init)) == Set([one["a"], one["b"]].compactMap { $0 }),
                "\(now.group ?? [:])")
        #expect(Set(now.group?["TargetGroupARNs"] as? [String] ?? []) == Set([one["app"], one["canary"]].compactMap { $0 }), "\(now.group ?? [:])")
        #expect(try cli.strata.run(["plan", stack, "--detailed-exitcode"] + vars("two"), environment: cli.env).status == 0)

        // Stage three: a new name replaces the group.
        let planThree = try cli.strata.run(["plan", stack, "--json"] + vars("three"), environment: cli.env)
        #expect(changes(planThree.stdout) == ["replace aws_autoscaling_group.web"], "\(planThree.output)")
        let applyThree = try cli.strata.run(["apply", stack, "--auto-approve"] + vars("three"), environment: cli.env)
        #expect(applyThree.status == 0, "\(applyThree.output)")
        let newGroup = try #require(try cli.outputs(stack, vars("three"))["group"])
        #expect(newGroup == "web2-\(run)")
        let groups = try cli.aws([["autoscaling", "describe-auto-scaling-groups", "--auto-scaling-group-names", group, newGroup]])[0]
        let names = (jsonPath(try awsJSON(groups), "AutoScalingGroups") as? [[String: Any]] ?? []).compactMap { $0["AutoScalingGroupName"] as? String }
        #expect(names == [newGroup], "the old group is gone: \(groups.output)")

        // Import: forgotten, then adopted (the template by id, the group by name).
        for address in ["aws_launch_template.web", "aws_autoscaling_group.web"] {
            #expect(try cli.strata.run(["state", "rm", stack, address] + vars("three"), environment: cli.env).status == 0, "\(address)")
        }
        for (address, id) in [("aws_launch_template.web", template), ("aws_autoscaling_group.web", newGroup)] {
            let imported = try cli.strata.run(["import", stack, address, id] + vars("three"), environment: cli.env)
            #expect(imported.status == 0, "\(address): \(imported.output)")
        }
        let adopted = try cli.strata.run(["plan", stack, "--detailed-exitcode"] + vars("three"), environment: cli.env)
        #expect(adopted.status == 0, "imported resources plan with no changes: \(adopted.output)")

        let destroy = try cli.strata.run(["destroy", stack, "--auto-approve"] + vars("three"), environment: cli.env)
        #expect(destroy.status == 0, "\(destroy.output)")
        #expect(destroy.stdout.contains("8 destroyed"), "\(destroy.output)")
        let gone = try cli.aws([
            ["autoscaling", "describe-auto-scaling-groups", "--auto-scaling-group-names", newGroup],
            ["ec2", "describe-launch-templates", "--launch-template-ids", template],
        ])
        #expect((jsonPath(try awsJSON(gone[0]), "AutoScalingGroups") as? [Any])?.isEmpty == true, "\(gone[0].output)")
        // AWS answers InvalidLaunchTemplateId.NotFound; moto_server an empty list.
        #expect(try gone[1].status != 0 || (jsonPath(awsJSON(gone[1]), "LaunchTemplates") as? [Any])?.isEmpty == true, "\(gone[1].output)")
    }

    /// `check` refuses bad sizes, names and instance types before any call.
    @Test(.enabled(if: AWSProviderTests.toolsMissing == nil, "needs the aws provider"))
    func checkRejectsBadComputeInputs() throws {
        let cli = try AWSTestCLI(endpoint: "http://127.0.0.1:9")
        defer { cli.strata.remove() }
        let stack = try cli.strata.writeStack("BadCompute", ["main.swift": """
            import Strata
            import StrataModel

            let template = GenericResource("aws_launch_template", "t", inputs: ["name": "a b", "imageId": "img-1", "instanceType": "large"])
            let group = GenericResource("aws_autoscaling_group", "g", inputs: [
                "name": "g", "minSize": 3, "maxSize": 2, "subnets": [], "launchTemplateId": "lt-1",
            ])
            """])
        let plan = try cli.strata.run(["plan", stack], environment: cli.env)
        #expect(plan.status == 1, "\(plan.output)")
        for message in ["may hold only letters, digits and ( ) . - / _, not ' '", "is not an AMI id", "is not an instance type such as t3.micro",
                        "minSize (3) is above maxSize (2)", "an Auto Scaling group needs at least one subnet"] {
            #expect(plan.output.contains(message), "expected '\(message)': \(plan.output)")
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
