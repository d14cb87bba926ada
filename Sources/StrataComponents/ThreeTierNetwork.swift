import Foundation
import Strata
import StrataAWS

/// A VPC with three tiers of subnets in each of `zones` availability zones: **public** (the
/// load balancers, NAT gateways and bastions; routed to an internet gateway), **private** (the
/// application servers; out to the internet through NAT, if any) and **database** (databases
/// and caches; no route out at all).
///
/// ```swift
/// let network = ThreeTierNetwork(zones: 3)                       // 10.0.0.0/16 in AWS_REGION
/// let eu = ThreeTierNetwork("network", zones: 2, region: "eu-west-1", cidrBlock: "10.1.0.0/16", nat: .perZone)
/// ```
///
/// Addresses are keyed by zone (`network.aws_subnet.public["us-east-1a"]`), so adding a zone
/// adds its subnets and removes none. The `/16` is cut into `/24` public subnets
/// (`x.y.0.0`, `x.y.1.0`, …), `/20` private ones (`x.y.16.0`, `x.y.32.0`, …) and `/24` database
/// ones (`x.y.200.0`, …).
public struct ThreeTierNetwork: Component {
    /// How the private subnets reach the internet.
    public enum NAT: String, Sendable {
        /// They do not (nothing in them needs to).
        case none
        /// Through one NAT gateway in the first zone (cheaper; that zone is a single point of failure).
        case single
        /// Through a NAT gateway in every zone (highly available).
        case perZone
    }

    public let vpc: AWS.VPC
    /// The VPC's CIDR block, e.g. `10.0.0.0/16`.
    public let cidrBlock: String
    /// The availability zones, in order (`us-east-1a`, `us-east-1b`, …).
    public let zones: [String]
    public let publicSubnets: [AWS.Subnet]
    public let privateSubnets: [AWS.Subnet]
    public let databaseSubnets: [AWS.Subnet]
    public let internetGateway: AWS.InternetGateway
    public let publicRouteTable: AWS.RouteTable
    /// One per zone with `.perZone` NAT, else one for every zone.
    public let privateRouteTables: [AWS.RouteTable]
    public let databaseRouteTable: AWS.RouteTable
    public let natGateways: [AWS.NATGateway]

    /// - Parameters:
    ///   - name: the component's name (the first part of every address).
    ///   - zones: how many availability zones (1 to 6); their names are the region's followed by
    ///     `a`, `b`, `c`, … Databases need two.
    ///   - region: the region the zones are in; by default `AWS_REGION` (or `AWS_DEFAULT_REGION`,
    ///     else `us-east-1`), as the provider's default instance uses. Give it when the resources
    ///     use another provider instance (`.using(eu)` is applied with `provider:`).
    ///   - cidrBlock: the VPC's block, a `/16` such as `10.0.0.0/16`.
    ///   - nat: how the private subnets reach the internet.
    ///   - namePrefix: the start of every `Name` tag (default: `name`).
    ///   - provider: the provider instance every resource uses (another region), if not the default.
    ///   - tags: on every resource, with a `Name` of its own.
    public init(_ name: String = "network", zones count: Int, region: String? = nil, cidrBlock: String = "10.0.0.0/16",
                nat: NAT = .single, namePrefix: String? = nil, provider: ProviderRef? = nil, tags: [String: Expr<String>] = [:],
                file: String = #filePath, line: Int = #line) {
        let region = region ?? Self.defaultRegion
        let letters = Array("abcdef")
        if !(1...6).contains(count) {
            Stack.error("ThreeTierNetwork \(name): zones must be 1 to 6, not \(count)", file: file, line: line)
        }
        let zoneNames = (0..<min(max(count, 1), 6)).map { "\(region)\(letters[$0])" }
        self.init(name, availabilityZones: zoneNames, cidrBlock: cidrBlock, nat: nat, namePrefix: namePrefix, provider: provider,
                  tags: tags, file: file, line: line)
    }

    /// The same in these availability zones, named.
    public init(_ name: String = "network", availabilityZones: [String], cidrBlock: String = "10.0.0.0/16", nat: NAT = .single,
                namePrefix: String? = nil, provider: ProviderRef? = nil, tags: [String: Expr<String>] = [:],
                file: String = #filePath, line: Int = #line) {
        let prefix = namePrefix ?? name
        let octets = Self.prefixOctets(cidrBlock)
        if octets == nil {
            Stack.error("ThreeTierNetwork \(name): cidrBlock must be a /16 such as 10.0.0.0/16, not '\(cidrBlock)'", file: file, line: line)
        }
        if availabilityZones.isEmpty || availabilityZones.count > 6 {
            Stack.error("ThreeTierNetwork \(name): give 1 to 6 availability zones, not \(availabilityZones.count)", file: file, line: line)
        }
        let base = octets ?? "10.0"
        let zones = Array(availabilityZones.prefix(6))
        func named(_ what: String) -> [String: Expr<String>] { tags.merging(["Name": Expr("\(prefix)-\(what)")]) { _, new in new } }
        @discardableResult func place<R: Resource>(_ resource: R) -> R {
            if let provider { resource.using(provider) }
            return resource
        }

        self.cidrBlock = cidrBlock
        self.zones = zones
        (vpc, publicSubnets, privateSubnets, databaseSubnets, internetGateway, publicRouteTable, privateRouteTables, databaseRouteTable, natGateways) =
            Stack.component(name) {
                let vpc = place(AWS.VPC("vpc", cidrBlock: Expr(cidrBlock), enableDnsSupport: true, enableDnsHostnames: true,
                                        tags: named("vpc"), file: file, line: line))
                var publicSubnets: [AWS.Subnet] = []
                var privateSubnets: [AWS.Subnet] = []
                var databaseSubnets: [AWS.Subnet] = []
                for (index, zone) in zones.enumerated() {
                    publicSubnets.append(place(AWS.Subnet(
                        keyed("public", zone), vpc: vpc, cidrBlock: Expr("\(base).\(index).0/24"), availabilityZone: Expr(zone),
                        mapPublicIpOnLaunch: true, tags: named("public-\(zone)"), file: file, line: line)))
                    privateSubnets.append(place(AWS.Subnet(
                        keyed("private", zone), vpc: vpc, cidrBlock: Expr("\(base).\(16 * (index + 1)).0/20"), availabilityZone: Expr(zone),
                        tags: named("private-\(zone)"), file: file, line: line)))
                    databaseSubnets.append(place(AWS.Subnet(
                        keyed("database", zone), vpc: vpc, cidrBlock: Expr("\(base).\(200 + index).0/24"), availabilityZone: Expr(zone),
                        tags: named("database-\(zone)"), file: file, line: line)))
                }

                let gateway = place(AWS.InternetGateway("gateway", vpc: vpc, tags: named("gateway"), file: file, line: line))
                let publicTable = place(AWS.RouteTable("public", vpc: vpc, routes: [.toInternet(gateway)], tags: named("public"), file: file, line: line))
                for (zone, subnet) in zip(zones, publicSubnets) {
                    place(AWS.RouteTableAssociation(keyed("public", zone), subnet: subnet, routeTable: publicTable, file: file, line: line))
                }

                // NAT gateways live in public subnets; each private subnet routes through its own
                // zone's gateway (.perZone) or the first zone's (.single).
                var natGateways: [AWS.NATGateway] = []
                let natZones: [(String, AWS.Subnet)] = switch nat {
                case .none: []
                case .single: Array(zip(zones, publicSubnets).prefix(1))
                case .perZone: Array(zip(zones, publicSubnets))
                }
                for (zone, subnet) in natZones {
                    let address = place(AWS.ElasticIP(keyed("nat", zone), tags: named("nat-\(zone)"), file: file, line: line))
                    natGateways.append(place(AWS.NATGateway(keyed("nat", zone), subnet: subnet, elasticIP: address, tags: named("nat-\(zone)"),
                                                            file: file, line: line)))
                }
                var privateTables: [AWS.RouteTable] = []
                if nat == .perZone {
                    for (zone, gateway) in zip(zones, natGateways) {
                        privateTables.append(place(AWS.RouteTable(keyed("private", zone), vpc: vpc, routes: [.toNAT(gateway)],
                                                                  tags: named("private-\(zone)"), file: file, line: line)))
                    }
                } else {
                    privateTables.append(place(AWS.RouteTable("private", vpc: vpc, routes: natGateways.first.map { [.toNAT($0)] } ?? [],
                                                              tags: named("private"), file: file, line: line)))
                }
                for (index, (zone, subnet)) in zip(zones, privateSubnets).enumerated() {
                    place(AWS.RouteTableAssociation(keyed("private", zone), subnet: subnet,
                                                    routeTable: privateTables[min(index, privateTables.count - 1)], file: file, line: line))
                }

                // The database tier has no route out.
                let databaseTable = place(AWS.RouteTable("database", vpc: vpc, tags: named("database"), file: file, line: line))
                for (zone, subnet) in zip(zones, databaseSubnets) {
                    place(AWS.RouteTableAssociation(keyed("database", zone), subnet: subnet, routeTable: databaseTable, file: file, line: line))
                }
                return (vpc, publicSubnets, privateSubnets, databaseSubnets, gateway, publicTable, privateTables, databaseTable, natGateways)
            }
    }

    /// The CIDR blocks of the public subnets (where load balancers run).
    public var publicCidrBlocks: [String] {
        let base = Self.prefixOctets(cidrBlock) ?? "10.0"
        return zones.indices.map { "\(base).\($0).0/24" }
    }

    /// The CIDR blocks of the private subnets (where application servers run).
    public var privateCidrBlocks: [String] {
        let base = Self.prefixOctets(cidrBlock) ?? "10.0"
        return zones.indices.map { "\(base).\(16 * ($0 + 1)).0/20" }
    }

    /// `AWS_REGION`, else `AWS_DEFAULT_REGION`, else `us-east-1`: the region of the provider's
    /// default instance when the stack does not configure one.
    public static var defaultRegion: String {
        let environment = ProcessInfo.processInfo.environment
        for key in ["AWS_REGION", "AWS_DEFAULT_REGION"] {
            if let value = environment[key], !value.isEmpty { return value }
        }
        return "us-east-1"
    }

    /// `10.0.0.0/16` → `10.0`; nil for anything but an IPv4 `/16` ending in `.0.0`.
    static func prefixOctets(_ cidr: String) -> String? {
        let parts = cidr.split(separator: "/")
        guard parts.count == 2, parts[1] == "16" else { return nil }
        let octets = parts[0].split(separator: ".", omittingEmptySubsequences: false)
        guard octets.count == 4, octets[2] == "0", octets[3] == "0",
              let a = Int(octets[0]), let b = Int(octets[1]), (0...255).contains(a), (0...255).contains(b) else { return nil }
        return "\(a).\(b)"
    }
}
