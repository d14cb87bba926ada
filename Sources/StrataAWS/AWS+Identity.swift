import Strata
import StrataModel

extension AWS {
    /// `aws_iam_role`: an IAM role. Its name and path cannot change; the trust policy,
    /// description and maximum session change in place.
    public final class IAMRole: Resource {
        public init(_ name: String, roleName: Expr<String>, assumeRolePolicy: Expr<String>, path: Expr<String>? = nil,
                    description: Expr<String>? = nil, maxSessionDuration: Int? = nil, tags: [String: Expr<String>] = [:],
                    file: String = #filePath, line: Int = #line) {
            super.init(type: "aws_iam_role", name: name, file: file, line: line)
            setInput("name", roleName)
            setInput("assumeRolePolicy", assumeRolePolicy)
            setInput("path", path)
            setInput("description", description)
            if let maxSessionDuration { setRawInput("maxSessionDuration", .number(Double(maxSessionDuration))) }
            if !tags.isEmpty { setInput("tags", Expr<[String: String]>(tags)) }
        }
        /// The role name.
        public var id: Expr<String> { attribute("id") }
        public var name: Expr<String> { attribute("name") }
        public var arn: Expr<String> { attribute("arn") }
    }

    /// `aws_iam_policy`: a customer managed policy; a new document becomes its default version.
    public final class IAMPolicy: Resource {
        public init(_ name: String, policyName: Expr<String>, policy: Expr<String>, path: Expr<String>? = nil,
                    description: Expr<String>? = nil, tags: [String: Expr<String>] = [:], file: String = #filePath, line: Int = #line) {
            super.init(type: "aws_iam_policy", name: name, file: file, line: line)
            setInput("name", policyName)
            setInput("policy", policy)
            setInput("path", path)
            setInput("description", description)
            if !tags.isEmpty { setInput("tags", Expr<[String: String]>(tags)) }
        }
        /// The ARN.
        public var id: Expr<String> { attribute("id") }
        public var arn: Expr<String> { attribute("arn") }
    }

    /// `aws_iam_role_policy_attachment`: a managed policy attached to a role.
    public final class IAMRolePolicyAttachment: Resource {
        public init(_ name: String, role: IAMRole, policyArn: Expr<String>, file: String = #filePath, line: Int = #line) {
            super.init(type: "aws_iam_role_policy_attachment", name: name, file: file, line: line)
            setInput("role", role.name)
            setInput("policyArn", policyArn)
        }
        public convenience init(_ name: String, role: IAMRole, policy: IAMPolicy, file: String = #filePath, line: Int = #line) {
            // The id (the ARN) stays known while the policy is updated; `arn` would not.
            self.init(name, role: role, policyArn: policy.id, file: file, line: line)
        }
        /// `role/policyArn`.
        public var id: Expr<String> { attribute("id") }
    }

    /// `aws_iam_instance_profile`: what an EC2 instance assumes a role through; the role changes in place.
    public final class IAMInstanceProfile: Resource {
        public init(_ name: String, profileName: Expr<String>, role: IAMRole?, path: Expr<String>? = nil,
                    tags: [String: Expr<String>] = [:], file: String = #filePath, line: Int = #line) {
            super.init(type: "aws_iam_instance_profile", name: name, file: file, line: line)
            setInput("name", profileName)
            setInput("role", role?.name)
            setInput("path", path)
            if !tags.isEmpty { setInput("tags", Expr<[String: String]>(tags)) }
        }
        public var id: Expr<String> { attribute("id") }
        public var arn: Expr<String> { attribute("arn") }
    }
}
