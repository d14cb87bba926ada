import Strata
import StrataModel

extension AWS {
    /// `aws_launch_template`: what instances start from. Changing the image, type, groups or
    /// user data makes a new version and sets it default (the template's id stays).
    public final class LaunchTemplate: Resource {
        public init(_ name: String, templateName: Expr<String>, imageId: Expr<String>, instanceType: Expr<String>? = nil,
                    securityGroups: [SecurityGroup] = [], userData: Expr<String>? = nil, tags: [String: Expr<String>] = [:],
                    file: String = #filePath, line: Int = #line) {
            super.init(type: "aws_launch_template", name: name, file: file, line: line)
            setInput("name", templateName)
            setInput("imageId", imageId)
            setInput("instanceType", instanceType)
            if !securityGroups.isEmpty { setInput("securityGroupIds", Expr<[String]>(securityGroups.map(\.id))) }
            setInput("userData", userData)
            if !tags.isEmpty { setInput("tags", Expr<[String: String]>(tags)) }
        }
        public var id: Expr<String> { attribute("id") }
        public var defaultVersion: Expr<Int> { attribute("defaultVersion") }
    }

    /// `aws_autoscaling_group`: instances from a launch template (its default version) in these
    /// subnets, joined to these target groups. Only the name cannot change.
    public final class AutoScalingGroup: Resource {
        public init(_ name: String, groupName: Expr<String>, launchTemplate: LaunchTemplate, subnets: [Subnet],
                    minSize: Expr<Int>, maxSize: Expr<Int>, desiredCapacity: Expr<Int>? = nil, targetGroups: [TargetGroup] = [],
                    tags: [String: Expr<String>] = [:], file: String = #filePath, line: Int = #line) {
            super.init(type: "aws_autoscaling_group", name: name, file: file, line: line)
            setInput("name", groupName)
            setInput("launchTemplateId", launchTemplate.id)
            setInput("subnets", Expr<[String]>(subnets.map(\.id)))
            setInput("minSize", minSize)
            setInput("maxSize", maxSize)
            setInput("desiredCapacity", desiredCapacity)
            if !targetGroups.isEmpty { setInput("targetGroupArns", Expr<[String]>(targetGroups.map(\.arn))) }
            if !tags.isEmpty { setInput("tags", Expr<[String: String]>(tags)) }
        }
        /// The name.
        public var id: Expr<String> { attribute("id") }
    }
}
