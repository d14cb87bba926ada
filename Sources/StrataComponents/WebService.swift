import Strata
import StrataAWS

/// A web service behind an application load balancer: the load balancer in the public
/// subnets with its security group (80 and 443 from anywhere), a target group with a health
/// check, an HTTP listener (and with a certificate an HTTPS one, HTTP then redirecting to it),
/// and the servers — a `ServerGroup` in the private subnets taking traffic on `port` from the
/// public subnets only. Optionally a WAF web ACL guards the load balancer.
///
/// ```swift
/// let api = WebService(serviceName: "lin-api", network: network, imageId: ami, port: 5000,
///                      minSize: 2, maxSize: 10)
/// Stack.output("api", api.loadBalancer.dnsName)
/// ```
public struct WebService: Component {
    public let loadBalancerSecurityGroup: AWS.SecurityGroup
    public let loadBalancer: AWS.LoadBalancer
    public let targetGroup: AWS.TargetGroup
    /// Port 80: forwards, or redirects to HTTPS when there is a certificate.
    public let httpListener: AWS.Listener
    public let httpsListener: AWS.Listener?
    public let servers: ServerGroup
    public let firewall: AWS.WebACLAssociation?

    /// - Parameters:
    ///   - serviceName: the load balancer's and target group's name (32 characters at most) and
    ///     the start of the others.
    ///   - port: where the servers listen.
    ///   - certificateArn: an ACM certificate in the load balancer's region, for HTTPS.
    ///   - webACL: a REGIONAL WAFv2 web ACL to guard the load balancer with.
    public init(_ name: String = "web", serviceName: String, network: ThreeTierNetwork, imageId: String, instanceType: String = "t4g.small",
                port: Int = 80, healthCheckPath: String = "/health", minSize: Int = 2, maxSize: Int = 4, desiredCapacity: Int? = nil,
                certificateArn: Expr<String>? = nil, webACL: AWS.WebACL? = nil, userData: String? = nil, provider: ProviderRef? = nil,
                tags: [String: Expr<String>] = [:], file: String = #filePath, line: Int = #line) {
        if serviceName.count > 32 {
            Stack.error("WebService \(name): serviceName '\(serviceName)' is longer than a load balancer's name may be (32)", file: file, line: line)
        }
        @discardableResult func place<R: Resource>(_ resource: R) -> R {
            if let provider { resource.using(provider) }
            return resource
        }
        (loadBalancerSecurityGroup, loadBalancer, targetGroup, httpListener, httpsListener, servers, firewall) = Stack.component(name) {
            let lbGroup = place(AWS.SecurityGroup(
                "load_balancer", groupName: Expr("\(serviceName)-lb"), vpc: network.vpc, description: "\(serviceName) load balancer",
                ingress: [.tcp(80, from: ["0.0.0.0/0"], description: "HTTP"), .tcp(443, from: ["0.0.0.0/0"], description: "HTTPS")],
                egress: [.all(["0.0.0.0/0"])], tags: tags, file: file, line: line))
            let balancer = place(AWS.LoadBalancer(
                "load_balancer", loadBalancerName: Expr(serviceName), subnets: network.publicSubnets, securityGroups: [lbGroup],
                tags: tags, file: file, line: line))
            let targets = place(AWS.TargetGroup(
                "servers", targetGroupName: Expr(serviceName), port: Expr(port), vpc: network.vpc, healthCheckPath: Expr(healthCheckPath),
                tags: tags, file: file, line: line))
            var https: AWS.Listener?
            if let certificateArn {
                https = place(AWS.Listener("https", loadBalancer: balancer, port: 443, protocol: "HTTPS", certificateArn: certificateArn,
                                           defaultAction: .forward(targets), tags: tags, file: file, line: line))
            }
            let http = place(AWS.Listener("http", loadBalancer: balancer, port: 80, defaultAction: https == nil ? .forward(targets) : .toHTTPS,
                                          tags: tags, file: file, line: line))
            let servers = ServerGroup(
                "servers", groupName: "\(serviceName)-servers", network: network, subnets: network.privateSubnets, imageId: imageId,
                instanceType: instanceType, minSize: minSize, maxSize: maxSize, desiredCapacity: desiredCapacity,
                ingress: [.tcp(port, from: network.publicCidrBlocks, description: "from the load balancer")], targetGroups: [targets],
                userData: userData, provider: provider, tags: tags, file: file, line: line)
            var firewall: AWS.WebACLAssociation?
            if let webACL {
                firewall = place(AWS.WebACLAssociation("firewall", webACL: webACL, resourceArn: balancer.arn, file: file, line: line))
            }
            return (lbGroup, balancer, targets, http, https, servers, firewall)
        }
    }
}
