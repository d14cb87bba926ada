import Strata
import StrataAWS

/// Instances started from one launch template by an autoscaling group, with their own
/// security group: application servers (inside `WebService`), background workers, a bastion.
///
/// ```swift
/// let workers = ServerGroup("workers", groupName: "aiwriter-workers", network: network,
///                           subnets: network.privateSubnets, imageId: ami, instanceType: "c7g.large",
///                           minSize: 2, maxSize: 10)
/// ```
public struct ServerGroup: Component {
    public let securityGroup: AWS.SecurityGroup
    public let launchTemplate: AWS.LaunchTemplate
    public let group: AWS.AutoScalingGroup

    /// - Parameters:
    ///   - groupName: the names of the group, its template and its security group.
    ///   - subnets: where instances start (spread over their zones).
    ///   - imageId: the AMI (`ami-…`) of the instances.
    ///   - ingress: who may reach them (nothing by default); they may reach everything.
    ///   - targetGroups: load balancer target groups the instances join.
    ///   - userData: the script they run at boot (plain text).
    ///   - desiredCapacity: how many now (default `minSize`).
    public init(_ name: String, groupName: String, network: ThreeTierNetwork, subnets: [AWS.Subnet], imageId: String,
                instanceType: String = "t4g.small", minSize: Int = 1, maxSize: Int = 1, desiredCapacity: Int? = nil,
                ingress: [AWS.Rule] = [], targetGroups: [AWS.TargetGroup] = [], userData: String? = nil, provider: ProviderRef? = nil,
                tags: [String: Expr<String>] = [:], file: String = #filePath, line: Int = #line) {
        if minSize < 0 || maxSize < minSize || (desiredCapacity.map { $0 < minSize || $0 > maxSize } ?? false) {
            Stack.error("ServerGroup \(name): sizes must be 0 ≤ minSize ≤ desiredCapacity ≤ maxSize (\(minSize), \(desiredCapacity ?? minSize), \(maxSize))",
                        file: file, line: line)
        }
        @discardableResult func place<R: Resource>(_ resource: R) -> R {
            if let provider { resource.using(provider) }
            return resource
        }
        (securityGroup, launchTemplate, group) = Stack.component(name) {
            let securityGroup = place(AWS.SecurityGroup(
                "servers", groupName: Expr(groupName), vpc: network.vpc, description: "\(groupName) instances",
                ingress: ingress, egress: [.all(["0.0.0.0/0"])], tags: tags, file: file, line: line))
            let template = place(AWS.LaunchTemplate(
                "servers", templateName: Expr(groupName), imageId: Expr(imageId), instanceType: Expr(instanceType),
                securityGroups: [securityGroup], userData: userData.map { Expr($0) }, tags: tags, file: file, line: line))
            let group = place(AWS.AutoScalingGroup(
                "servers", groupName: Expr(groupName), launchTemplate: template, subnets: subnets, minSize: Expr(minSize),
                maxSize: Expr(maxSize), desiredCapacity: Expr(desiredCapacity ?? minSize), targetGroups: targetGroups,
                tags: tags, file: file, line: line))
            return (securityGroup, template, group)
        }
    }
}
