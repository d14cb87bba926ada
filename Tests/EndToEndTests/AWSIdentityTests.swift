import Foundation
import Testing

/// IAM against moto_server, checked with the `aws` CLI: a role with a managed policy attached
/// and an instance profile; in-place changes (trust policy spelled differently but meaning the
/// same, description, session length, a new policy version, tags), a renamed role replaced
/// with its attachment and profile re-pointed, an import, destroy.
@Suite(.serialized) struct AWSIdentityTests {
    static let stack = ##"""
        import Strata
        import StrataAWS

        let run = Stack.variable("run", default: "x")
        let stage = Stack.variable("stage", default: "one", allowed: ["one", "two"])
        let generation = Stack.variable("generation", default: 1)
        let two = stage == "two"

        // The same trust policy in two spellings: the second plans no change.
        let trust = two
            ? #"{ "Statement": [ { "Action": ["sts:AssumeRole"], "Principal": {"Service": "ec2.amazonaws.com"}, "Effect": "Allow" } ], "Version": "2012-10-17" }"#
            : #"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"ec2.amazonaws.com"},"Action":"sts:AssumeRole"}]}"#
        let document = #"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::\#(two ? "two" : "one")/*"}]}"#

        let role = AWS.IAMRole("app", roleName: "app-\(run)-\(generation)", assumeRolePolicy: "\(trust)",
                               description: "app \(stage)", maxSessionDuration: two ? 7200 : 3600, tags: ["team": "\(stage)"])
        let policy = AWS.IAMPolicy("read", policyName: "read-\(run)", policy: "\(document)", tags: ["team": "web"])
        let attachment = AWS.IAMRolePolicyAttachment("read", role: role, policy: policy)
        let profile = AWS.IAMInstanceProfile("app", profileName: "app-\(run)", role: role)
        Stack.output("role", role.id)
        Stack.output("roleArn", role.arn)
        Stack.output("policy", policy.arn)
        Stack.output("attachment", attachment.id)
        Stack.output("profile", profile.id)
        """##

    @Test(.enabled(if: AWSProviderTests.toolsMissing == nil, "needs moto_server and the aws CLI"))
    func rolesPoliciesAttachmentsAndProfilesLiveAndDie() throws {
        let server = try MotoServer.start(try #require(AWSProviderTests.moto))
        defer { server.stop() }
        let cli = try AWSTestCLI(endpoint: server.endpoint)
        defer { cli.strata.remove() }
        let run = "i" + UUID().uuidString.prefix(6).lowercased()
        let stack = try cli.strata.writeStack("AWSIdentity", ["main.swift": Self.stack])
        let one = ["--var", "run=\(run)"]
        let validate = try cli.strata.run(["validate", stack] + one, environment: cli.env)
        #expect(validate.status == 0, "the typed module matches the schema: \(validate.output)")
        let apply = try cli.strata.run(["apply", stack, "--auto-approve"] + one, environment: cli.env)
        #expect(apply.status == 0, "\(apply.output)")
        #expect(apply.stdout.contains("4 created"), "\(apply.output)")
        let created = try cli.outputs(stack, one)
        let role = try #require(created["role"]), policy = try #require(created["policy"]), profile = try #require(created["profile"])
        #expect(role == "app-\(run)-1" && created["attachment"] == "\(role)/\(policy)", "\(created)")

        func check(_ role: String) throws -> (role: [String: Any], policy: [String: Any], attached: [String], profileRoles: [String], version: String) {
            let results = try cli.aws([
                ["iam", "get-role", "--role-name", role],
                ["iam", "get-policy", "--policy-arn", policy],
                ["iam", "list-attached-role-policies", "--role-name", role],
                ["iam", "get-instance-profile", "--instance-profile-name", profile],
            ])
            let got = try #require(jsonPath(try awsJSON(results[0]), "Role") as? [String: Any], "\(results[0].output)")
            let pol = try #require(jsonPath(try awsJSON(results[1]), "Policy") as? [String: Any], "\(results[1].output)")
            let attached = (jsonPath(try awsJSON(results[2]), "AttachedPolicies") as? [[String: Any]] ?? []).compactMap { $0["PolicyArn"] as? String }
            let roles = (jsonPath(try awsJSON(results[3]), "InstanceProfile", "Roles") as? [[String: Any]] ?? []).compactMap { $0["RoleName"] as? String }
            let versionId = pol["DefaultVersionId"] as? String ?? ""
            let version = try cli.aws([["iam", "get-policy-version", "--policy-arn", policy, "--version-id", versionId]])[0]
            let text = jsonPath(try awsJSON(version), "PolicyVersion", "Document")
            let rendered: String
            if let string = text as? String { rendered = string } else { rendered = String(decoding: try JSONSerialization.data(withJSONObject: text ?? [:], options: .withoutEscapingSlashes), as: UTF8.self) }
            return (got, pol, attached, roles, rendered)
        }
        let first = try check(role)
        #expect(first.role["Description"] as? String == "app one" && first.role["MaxSessionDuration"] as? Int == 3600, "\(first.role)")
        #expect(awsTagMap(first.role["Tags"])["team"] == "one" && awsTagMap(first.role["Tags"])["strata:address"] == "aws_iam_role.app", "\(first.role)")
        #expect(first.attached == [policy] && first.profileRoles == [role], "\(first)")
        #expect(first.version.contains("one/*"), "\(first.version)")
        #expect(try cli.strata.run(["plan", stack, "--detailed-exitcode"] + one, environment: cli.env).status == 0, "nothing to change after apply")

        // Import: forget the role, import it by name, nothing to change.
        #expect(try cli.strata.run(["state", "rm", stack, "aws_iam_role.app"] + one, environment: cli.env).status == 0)
        let imported = try cli.strata.run(["import", stack, "aws_iam_role.app", role] + one, environment: cli.env)
        #expect(imported.status == 0, "\(imported.output)")
        let afterImport = try cli.strata.run(["plan", stack, "--detailed-exitcode"] + one, environment: cli.env)
        #expect(afterImport.status == 0, "an imported role plans no change: \(afterImport.output)")


        // In place: description, session length, tags, a new policy version; the trust policy
        // is respelled only, so it is not sent.
        let two = one + ["--var", "stage=two"]
        let plan = try cli.strata.run(["plan", stack, "--json"] + two, environment: cli.env)
        #expect(planActions(plan.stdout) == ["update aws_iam_policy.read", "update aws_iam_role.app"], "\(plan.output)")
        let update = try cli.strata.run(["apply", stack, "--auto-approve"] + two, environment: cli.env)
        #expect(update.status == 0, "\(update.output)")
        let second = try check(role)
        #expect(second.role["Description"] as? String == "app two" && second.role["MaxSessionDuration"] as? Int == 7200, "\(second.role)")
        #expect(awsTagMap(second.role["Tags"])["team"] == "two")
        #expect(second.policy["DefaultVersionId"] as? String == "v2" && second.version.contains("two/*"), "\(second)")
        #expect(try cli.strata.run(["plan", stack, "--detailed-exitcode"] + two, environment: cli.env).status == 0, "nothing to change after the update")

        // A new role name replaces the role; the attachment follows, the profile is re-pointed.
        let renamed = two + ["--var", "generation=2"]
        let replace = try cli.strata.run(["apply", stack, "--auto-approve"] + renamed, environment: cli.env)
        #expect(replace.status == 0, "\(replace.output)")
        let after = try cli.outputs(stack, renamed)
        let newRole = try #require(after["role"])
        #expect(newRole == "app-\(run)-2" && after["profile"] == profile && after["policy"] == policy, "\(after)")
        let third = try check(newRole)
        #expect(third.attached == [policy] && third.profileRoles == [newRole], "\(third)")
        let oldRole = try cli.aws([["iam", "get-role", "--role-name", role]])[0]
        #expect(oldRole.status != 0 && oldRole.output.contains("NoSuchEntity"), "the old role is gone: \(oldRole.output)")

        let destroy = try cli.strata.run(["destroy", stack, "--auto-approve"] + renamed, environment: cli.env)
        #expect(destroy.status == 0, "\(destroy.output)")
        let gone = try cli.aws([
            ["iam", "get-role", "--role-name", newRole],
            ["iam", "get-policy", "--policy-arn", policy],
            ["iam", "get-instance-profile", "--instance-profile-name", profile],
        ])
        for result in gone { #expect(result.status != 0 && result.output.contains("NoSuchEntity"), "gone: \(result.output)") }
    }

    @Test(.enabled(if: AWSProviderTests.toolsMissing == nil, "needs moto_server and the aws CLI"))
    func checkRejectsBadIdentityInputs() throws {
        let cli = try AWSTestCLI(endpoint: "http://127.0.0.1:9")
        defer { cli.strata.remove() }
        let stack = try cli.strata.writeStack("BadIAM", ["main.swift": """
            import Strata
            import StrataAWS

            let role = AWS.IAMRole("app", roleName: "bad name!", assumeRolePolicy: "{not json", maxSessionDuration: 60)
            let policy = AWS.IAMPolicy("p", policyName: "p", policy: "[1]", path: "nope")
            """])
        let plan = try cli.strata.run(["plan", stack], environment: cli.env)
        #expect(plan.status == 1, "\(plan.output)")
        for expected in ["may hold only ASCII letters", "assumeRolePolicy is not valid JSON", "maxSessionDuration must be 3600 to 43200",
                         "policy must be a JSON object", "path 'nope' must begin and end with '/'"] {
            #expect(plan.output.contains(expected), "\(expected): \(plan.output)")
        }
    }
}

/// `strata plan --json` → `["update aws_iam_role.app", …]`, sorted, no-ops left out.
func planActions(_ planJSON: String) -> [String] {
    let object = (try? JSONSerialization.jsonObject(with: Data(planJSON.utf8))) as? [String: Any]
    let steps = object?["steps"] as? [[String: Any]] ?? []
    return steps.compactMap { step -> String? in
        guard let action = step["action"] as? String, action != "noop" else { return nil }
        return "\(action) \(step["address"] ?? "")"
    }.sorted()
}
