import Strata
import StrataModel

extension AWS {
    /// `aws_eip`: an Elastic IP address in a VPC (e.g. for a NAT gateway); only tags change.
    public final class ElasticIP: Resource {
        public init(_ name: String, tags: [String: Expr<String>] = [:], file: String = #filePath, line: Int = #line) {
            super.init(type: "aws_eip", name: name, file: file, line: line)
            if !tags.isEmpty { setInput("tags", Expr<[String: String]>(tags)) }
        }
        /// The allocation id (eipalloc-…).
        public var id: Expr<String> { attribute("id") }
        public var publicIp: Expr<String> { attribute("publicIp") }
    }

    /// `aws_nat_gateway`: a public NAT gateway in a (public) subnet with an Elastic IP. A new
    /// subnet or address replaces it; creating one takes minutes on AWS.
    public final class NATGateway: Resource {
        public init(_ name: String, subnet: Subnet, elasticIP: ElasticIP, tags: [String: Expr<String>] = [:],
                    file: String = #filePath, line: Int = #line) {
            super.init(type: "aws_nat_gateway", name: name, file: file, line: line)
            setInput("subnetId", subnet.id)
            setInput("allocationId", elasticIP.id)
            if !tags.isEmpty { setInput("tags", Expr<[String: String]>(tags)) }
        }
        public var id: Expr<String> { attribute("id") }
        public var publicIp: Expr<String> { attribute("publicIp") }
    }

    /// `aws_vpc_endpoint`: a Gateway endpoint (S3, DynamoDB) routed from these route tables
    /// (changed in place). `service` is the short name: "s3" gives com.amazonaws.REGION.s3.
    public final class VPCEndpoint: Resource {
        public init(_ name: String, vpc: VPC, service: String = "s3", region: String, routeTables: [RouteTable] = [],
                    tags: [String: Expr<String>] = [:], file: String = #filePath, line: Int = #line) {
            super.init(type: "aws_vpc_endpoint", name: name, file: file, line: line)
            setInput("vpcId", vpc.id)
            setInput("serviceName", Expr("com.amazonaws.\(region).\(service)"))
            setInput("vpcEndpointType", Expr("Gateway"))
            setInput("routeTableIds", Expr<[String]>(routeTables.map(\.id)))
            if !tags.isEmpty { setInput("tags", Expr<[String: String]>(tags)) }
        }
        public var id: Expr<String> { attribute("id") }
        public var prefixListId: Expr<String> { attribute("prefixListId") }
    }
}

extension AWS.Route {
    /// `destination` (default 0.0.0.0/0) through this NAT gateway: the way out of a private subnet.
    public static func toNAT(_ gateway: AWS.NATGateway, destination: String = "0.0.0.0/0") -> AWS.Route {
        AWS.Route(destination, natGatewayId: gateway.id)
    }
}
