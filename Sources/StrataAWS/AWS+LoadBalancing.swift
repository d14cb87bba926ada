import Strata
import StrataModel

extension AWS {
    /// What a listener or a listener rule does with a request: forward it to a target group,
    /// answer it directly, or redirect it.
    public struct LoadBalancerAction {
        let value: Value

        /// Forwards to this target group.
        public static func forward(_ group: TargetGroup) -> LoadBalancerAction {
            LoadBalancerAction(value: .map(["type": "forward", "targetGroupArn": group.arn.value]))
        }

        /// Answers with this status code (2XX, 4XX or 5XX) and, if given, a body.
        public static func fixedResponse(statusCode: Int, contentType: String? = nil, messageBody: String? = nil) -> LoadBalancerAction {
            var fields: [String: Value] = ["type": "fixed-response", "statusCode": .string(String(statusCode))]
            if let contentType { fields["contentType"] = .string(contentType) }
            if let messageBody { fields["messageBody"] = .string(messageBody) }
            return LoadBalancerAction(value: .map(fields))
        }

        /// Redirects (301 when `permanent`, else 302); parts left nil keep the request's.
        public static func redirect(permanent: Bool = true, protocol proto: String? = nil, port: String? = nil, host: String? = nil,
                                    path: String? = nil, query: String? = nil) -> LoadBalancerAction {
            var fields: [String: Value] = ["type": "redirect", "statusCode": .string(permanent ? "HTTP_301" : "HTTP_302")]
            for (key, part) in [("protocol", proto), ("port", port), ("host", host), ("path", path), ("query", query)] {
                if let part { fields[key] = .string(part) }
            }
            return LoadBalancerAction(value: .map(fields))
        }

        /// HTTP to HTTPS on port 443, permanently.
        public static var toHTTPS: LoadBalancerAction { redirect(protocol: "HTTPS", port: "443") }
    }

    /// `aws_lb`: an application load balancer in these subnets. Its name and scheme cannot
    /// change (a new one replaces it); subnets and security groups change in place.
    public final class LoadBalancer: Resource {
        public init(_ name: String, loadBalancerName: Expr<String>, subnets: [Subnet], securityGroups: [SecurityGroup] = [],
                    internal: Bool? = nil, tags: [String: Expr<String>] = [:], file: String = #filePath, line: Int = #line) {
            super.init(type: "aws_lb", name: name, file: file, line: line)
            setInput("name", loadBalancerName)
            setInput("subnets", Expr<[String]>(subnets.map(\.id)))
            if !securityGroups.isEmpty { setInput("securityGroups", Expr<[String]>(securityGroups.map(\.id))) }
            if let `internal` { setInput("internal", Expr(`internal`)) }
            if !tags.isEmpty { setInput("tags", Expr<[String: String]>(tags)) }
        }
        /// The ARN.
        public var id: Expr<String> { attribute("id") }
        /// The ARN (the id, which stays known while an update is planned).
        public var arn: Expr<String> { attribute("id") }
        public var dnsName: Expr<String> { attribute("dnsName") }
        /// The canonical hosted zone id, for Route 53 alias records.
        public var zoneId: Expr<String> { attribute("zoneId") }
    }

    /// `aws_lb_target_group`: where a load balancer sends requests. Only the health check
    /// path (and tags) change in place. It is `createBeforeDestroy`: AWS refuses to delete a
    /// group a listener still forwards to, so a replacement is made (under a new name: names
    /// are unique in a region) and the listeners re-pointed before the old one goes.
    public final class TargetGroup: Resource {
        public init(_ name: String, targetGroupName: Expr<String>, port: Expr<Int>, protocol proto: String = "HTTP", vpc: VPC,
                    targetType: String? = nil, healthCheckPath: Expr<String>? = nil, tags: [String: Expr<String>] = [:],
                    file: String = #filePath, line: Int = #line) {
            super.init(type: "aws_lb_target_group", name: name, file: file, line: line)
            setInput("name", targetGroupName)
            setInput("port", port)
            setInput("protocol", Expr(proto))
            setInput("vpcId", vpc.id)
            if let targetType { setInput("targetType", Expr(targetType)) }
            setInput("healthCheckPath", healthCheckPath)
            if !tags.isEmpty { setInput("tags", Expr<[String: String]>(tags)) }
            createBeforeDestroy()
        }
        /// The ARN.
        public var id: Expr<String> { attribute("id") }
        /// The ARN (the id, which stays known while an update is planned).
        public var arn: Expr<String> { attribute("id") }
    }

    /// `aws_lb_listener`: a port of a load balancer and what it does by default. HTTPS needs
    /// a certificate ARN. Everything but the load balancer changes in place.
    public final class Listener: Resource {
        public init(_ name: String, loadBalancer: LoadBalancer, port: Expr<Int>, protocol proto: String = "HTTP",
                    certificateArn: Expr<String>? = nil, defaultAction: LoadBalancerAction, tags: [String: Expr<String>] = [:],
                    file: String = #filePath, line: Int = #line) {
            super.init(type: "aws_lb_listener", name: name, file: file, line: line)
            setInput("loadBalancerArn", loadBalancer.arn)
            setInput("port", port)
            setInput("protocol", Expr(proto))
            setInput("certificateArn", certificateArn)
            setRawInput("defaultAction", defaultAction.value)
            if !tags.isEmpty { setInput("tags", Expr<[String: String]>(tags)) }
        }
        /// The ARN.
        public var id: Expr<String> { attribute("id") }
        /// The ARN (the id, which stays known while an update is planned).
        public var arn: Expr<String> { attribute("id") }
    }

    /// `aws_lb_listener_rule`: requests to a listener matching these paths and/or hosts get
    /// this action. Everything but the listener changes in place.
    public final class ListenerRule: Resource {
        public init(_ name: String, listener: Listener, priority: Expr<Int>, pathPatterns: [Expr<String>] = [],
                    hostHeaders: [Expr<String>] = [], action: LoadBalancerAction, tags: [String: Expr<String>] = [:],
                    file: String = #filePath, line: Int = #line) {
            super.init(type: "aws_lb_listener_rule", name: name, file: file, line: line)
            setInput("listenerArn", listener.arn)
            setInput("priority", priority)
            if !pathPatterns.isEmpty { setInput("pathPatterns", Expr<[String]>(pathPatterns)) }
            if !hostHeaders.isEmpty { setInput("hostHeaders", Expr<[String]>(hostHeaders)) }
            setRawInput("action", action.value)
            if !tags.isEmpty { setInput("tags", Expr<[String: String]>(tags)) }
        }
        /// The ARN.
        public var id: Expr<String> { attribute("id") }
        /// The ARN (the id, which stays known while an update is planned).
        public var arn: Expr<String> { attribute("id") }
    }
}
