import Strata
import StrataModel

/// Typed resources of the `aws` provider (`strata-provider-aws`). Attribute names match the
/// plugin's schema; `Tests/EndToEndTests/TypedAWSTests` checks the two agree.
public enum AWS {
    /// Configures an instance of the AWS provider (a region, an account, an endpoint):
    /// `let eu = AWS.provider("eu", region: "eu-west-1")`, then `.using(eu)`.
    @discardableResult
    public static func provider(_ alias: String? = nil, region: String? = nil, endpoint: String? = nil, profile: String? = nil,
                                file: String = #filePath, line: Int = #line) -> ProviderRef {
        var config: [String: Value] = [:]
        if let region { config["region"] = .string(region) }
        if let endpoint { config["endpoint"] = .string(endpoint) }
        if let profile { config["profile"] = .string(profile) }
        return Stack.provider("aws", alias: alias, config, file: file, line: line)
    }

    /// `aws_vpc`: a VPC. Its CIDR block cannot change (a new one replaces it).
    public final class VPC: Resource {
        public init(_ name: String, cidrBlock: Expr<String>, enableDnsSupport: Bool? = nil, enableDnsHostnames: Bool? = nil,
                    tags: [String: Expr<String>] = [:], file: String = #filePath, line: Int = #line) {
            super.init(type: "aws_vpc", name: name, file: file, line: line)
            setInput("cidrBlock", cidrBlock)
            if let enableDnsSupport { setInput("enableDnsSupport", Expr(enableDnsSupport)) }
            if let enableDnsHostnames { setInput("enableDnsHostnames", Expr(enableDnsHostnames)) }
            if !tags.isEmpty { setInput("tags", Expr<[String: String]>(tags)) }
        }
        public var id: Expr<String> { attribute("id") }
        public var arn: Expr<String> { attribute("arn") }
    }

    /// `aws_subnet`: a subnet of a VPC, in one availability zone.
    public final class Subnet: Resource {
        public init(_ name: String, vpc: VPC, cidrBlock: Expr<String>, availabilityZone: Expr<String>? = nil,
                    mapPublicIpOnLaunch: Bool? = nil, tags: [String: Expr<String>] = [:], file: String = #filePath, line: Int = #line) {
            super.init(type: "aws_subnet", name: name, file: file, line: line)
            setInput("vpcId", vpc.id)
            setInput("cidrBlock", cidrBlock)
            Self.checkInside(self, cidrBlock, vpc)
            setInput("availabilityZone", availabilityZone)
            if let mapPublicIpOnLaunch { setInput("mapPublicIpOnLaunch", Expr(mapPublicIpOnLaunch)) }
            if !tags.isEmpty { setInput("tags", Expr<[String: String]>(tags)) }
        }
        public var id: Expr<String> { attribute("id") }
        public var availabilityZone: Expr<String> { attribute("availabilityZone") }

        /// A subnet whose block lies outside its VPC's is refused before any call (when both
        /// blocks are known in the stack); AWS would answer InvalidSubnet.Range.
        static func checkInside(_ subnet: Subnet, _ cidrBlock: Expr<String>, _ vpc: VPC) {
            let vpcBlock: Expr<String>? = vpc.input("cidrBlock")
            guard let subnetText = cidrBlock.value.stringValue, let vpcText = vpcBlock?.value.stringValue,
                  let inner = IPv4CIDR(subnetText), let outer = IPv4CIDR(vpcText), !outer.contains(inner) else { return }
            Stack.diagnose("aws_subnet: cidrBlock \(subnetText) is outside its VPC \(vpc.address)'s \(vpcText)", resource: subnet)
        }
    }

    /// `aws_internet_gateway`: an internet gateway attached to a VPC (a new VPC re-attaches it in place).
    public final class InternetGateway: Resource {
        public init(_ name: String, vpc: VPC?, tags: [String: Expr<String>] = [:], file: String = #filePath, line: Int = #line) {
            super.init(type: "aws_internet_gateway", name: name, file: file, line: line)
            setInput("vpcId", vpc?.id)
            if !tags.isEmpty { setInput("tags", Expr<[String: String]>(tags)) }
        }
        public var id: Expr<String> { attribute("id") }
        public var arn: Expr<String> { attribute("arn") }
    }

    /// One route of a route table: a destination and the gateway (or NAT gateway) it goes through.
    public struct Route {
        public var destinationCidrBlock: String
        /// An internet or virtual private gateway; nil for a NAT route.
        public var gatewayId: Expr<String>?
        /// A NAT gateway (`toNAT`); nil for a gateway route.
        public var natGatewayId: Expr<String>?

        public init(_ destinationCidrBlock: String, gatewayId: Expr<String>) {
            self.destinationCidrBlock = destinationCidrBlock
            self.gatewayId = gatewayId
        }

        public init(_ destinationCidrBlock: String, natGatewayId: Expr<String>) {
            self.destinationCidrBlock = destinationCidrBlock
            self.natGatewayId = natGatewayId
        }

        /// 0.0.0.0/0 through this internet gateway.
        public static func toInternet(_ gateway: InternetGateway) -> Route {
            Route("0.0.0.0/0", gatewayId: gateway.id)
        }

        var value: Value {
            var fields: [String: Value] = ["destinationCidrBlock": .string(destinationCidrBlock)]
            if let gatewayId { fields["gatewayId"] = gatewayId.value }
            if let natGatewayId { fields["natGatewayId"] = natGatewayId.value }
            return .map(fields)
        }
    }

    /// `aws_route_table`: a route table of a VPC; its routes change in place (the local route is AWS's).
    public final class RouteTable: Resource {
        public init(_ name: String, vpc: VPC, routes: [Route] = [], tags: [String: Expr<String>] = [:],
                    file: String = #filePath, line: Int = #line) {
            super.init(type: "aws_route_table", name: name, file: file, line: line)
            setInput("vpcId", vpc.id)
            setRawInput("routes", .list(routes.map(\.value)))
            if !tags.isEmpty { setInput("tags", Expr<[String: String]>(tags)) }
        }
        public var id: Expr<String> { attribute("id") }
        public var arn: Expr<String> { attribute("arn") }
    }

    /// `aws_route_table_association`: a subnet uses a route table (either changing replaces it).
    public final class RouteTableAssociation: Resource {
        public init(_ name: String, subnet: Subnet, routeTable: RouteTable, file: String = #filePath, line: Int = #line) {
            super.init(type: "aws_route_table_association", name: name, file: file, line: line)
            setInput("subnetId", subnet.id)
            setInput("routeTableId", routeTable.id)
        }
        public var id: Expr<String> { attribute("id") }
    }

    /// One rule of a security group.
    public struct Rule: Sendable {
        public var protocolName: String
        public var fromPort: Int?
        public var toPort: Int?
        public var cidrBlocks: [String]
        public var description: String?

        /// TCP on `port` (or `port...toPort`) from these CIDR blocks.
        public static func tcp(_ port: Int, to toPort: Int? = nil, from cidrBlocks: [String], description: String? = nil) -> Rule {
            Rule(protocolName: "tcp", fromPort: port, toPort: toPort ?? port, cidrBlocks: cidrBlocks, description: description)
        }

        /// Everything, to or from these CIDR blocks.
        public static func all(_ cidrBlocks: [String], description: String? = nil) -> Rule {
            Rule(protocolName: "-1", fromPort: nil, toPort: nil, cidrBlocks: cidrBlocks, description: description)
        }

        var value: Value {
            var fields: [String: Value] = ["protocol": .string(protocolName), "cidrBlocks": .list(cidrBlocks.map { .string($0) })]
            if let fromPort { fields["fromPort"] = .number(Double(fromPort)) }
            if let toPort { fields["toPort"] = .number(Double(toPort)) }
            if let description { fields["description"] = .string(description) }
            return .map(fields)
        }
    }

    /// `aws_security_group`: a firewall for a VPC; rules change in place.
    public final class SecurityGroup: Resource {
        public init(_ name: String, groupName: Expr<String>, vpc: VPC, description: Expr<String>? = nil,
                    ingress: [Rule] = [], egress: [Rule]? = nil, tags: [String: Expr<String>] = [:], file: String = #filePath, line: Int = #line) {
            super.init(type: "aws_security_group", name: name, file: file, line: line)
            setInput("name", groupName)
            setInput("vpcId", vpc.id)
            setInput("description", description)
            setRawInput("ingress", .list(ingress.map(\.value)))
            if let egress { setRawInput("egress", .list(egress.map(\.value))) }
            if !tags.isEmpty { setInput("tags", Expr<[String: String]>(tags)) }
        }
        public var id: Expr<String> { attribute("id") }
        public var arn: Expr<String> { attribute("arn") }
    }

    /// `aws_s3_bucket`: a bucket; its name cannot change.
    public final class S3Bucket: Resource {
        public init(_ name: String, bucket: Expr<String>, versioning: Bool? = nil, tags: [String: Expr<String>] = [:],
                    file: String = #filePath, line: Int = #line) {
            super.init(type: "aws_s3_bucket", name: name, file: file, line: line)
            setInput("bucket", bucket)
            if let versioning { setInput("versioning", Expr(versioning)) }
            if !tags.isEmpty { setInput("tags", Expr<[String: String]>(tags)) }
        }
        public var id: Expr<String> { attribute("id") }
        public var arn: Expr<String> { attribute("arn") }
    }

    /// `aws_secretsmanager_secret`: a secret and its current value (stored secret, shown as (secret)).
    public final class Secret: Resource {
        public init(_ name: String, secretName: Expr<String>, value: Expr<String>? = nil, description: Expr<String>? = nil,
                    tags: [String: Expr<String>] = [:], file: String = #filePath, line: Int = #line) {
            super.init(type: "aws_secretsmanager_secret", name: name, file: file, line: line)
            setInput("name", secretName)
            setInput("secretString", value?.secret)
            setInput("description", description)
            if !tags.isEmpty { setInput("tags", Expr<[String: String]>(tags)) }
        }
        public var arn: Expr<String> { attribute("arn") }
        public var id: Expr<String> { attribute("id") }
    }

    /// `data.aws_availability_zones`: the zones of the provider's region.
    public final class AvailabilityZones: DataSource {
        public init(_ name: String, file: String = #filePath, line: Int = #line) {
            super.init(type: "aws_availability_zones", name: name, file: file, line: line)
        }
        public var first: Expr<String> { attribute("first") }
        public var names: Expr<[String]> { attribute("names") }
    }

    /// `data.aws_vpc`: an existing VPC found by its tags.
    public final class ExistingVPC: DataSource {
        public init(_ name: String, tags: [String: Expr<String>], file: String = #filePath, line: Int = #line) {
            super.init(type: "aws_vpc", name: name, file: file, line: line)
            setInput("tags", Expr<[String: String]>(tags))
        }
        public var id: Expr<String> { attribute("id") }
        public var cidrBlock: Expr<String> { attribute("cidrBlock") }
    }
}
