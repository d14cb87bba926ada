import StrataAWSKit
import StrataModel
import StrataPluginKit

/// Read-only lookups (`lookup` calls): what a region offers, and what exists already.
enum AWSDataSources {
    static let schemas: [String: ResourceSchema] = [
        "aws_availability_zones": ResourceSchema(
            description: "The availability zones of the provider's region that are available now.",
            attributes: [
                "names": .init(.list, .computed, description: "Zone names, sorted (us-east-1a, …)."),
                "first": .init(.string, .computed, description: "The first of them, for a single-zone resource."),
                "region": .init(.string, .computed),
            ]),
        "aws_vpc": ResourceSchema(
            description: "An existing VPC, found by tags (and optionally its CIDR block); exactly one must match.",
            attributes: [
                "tags": .init(.map, .required, description: "Tags the VPC must carry."),
                "cidrBlock": .init(.string, .optional),
                "id": .init(.string, .computed),
                "region": .init(.string, .computed),
            ]),
    ]

    static func lookup(_ request: LookupRequest, client: AWSClient) async throws -> [String: Value] {
        let inputs = Inputs(request.inputs)
        switch request.type {
        case "aws_availability_zones":
            var params = QueryParameters()
            params.filter("state", ["available"])
            let tree = try await client.query(service: .ec2, action: "DescribeAvailabilityZones", params: params)
            let names = tree.items("availabilityZoneInfo").compactMap { $0.string("zoneName") }.sorted()
            guard !names.isEmpty else {
                throw PluginError(.notFound, "no available zone in \(client.settings.region)", providerCode: "NoZones")
            }
            return ["names": .list(names.map { .string($0) }), "first": .string(names[0]), "region": .string(client.settings.region)]
        case "aws_vpc":
            var params = QueryParameters()
            for (key, value) in inputs.tags.sorted(by: { $0.key < $1.key }) { params.filter("tag:\(key)", [value]) }
            if let cidr = inputs.string("cidrBlock") { params.filter("cidr-block", [cidr]) }
            let vpcs = try await client.queryPages(service: .ec2, action: "DescribeVpcs", params: params, listElement: "vpcSet")
            let ids = vpcs.compactMap { $0.string("vpcId") }
            guard ids.count == 1, let id = ids.first else {
                let what = inputs.tags.map { "\($0.key)=\($0.value)" }.sorted().joined(separator: ", ")
                throw PluginError(ids.isEmpty ? .notFound : .invalid,
                                  ids.isEmpty ? "no VPC in \(client.settings.region) has the tags \(what)"
                                              : "\(ids.count) VPCs in \(client.settings.region) have the tags \(what) (\(ids.joined(separator: ", "))); narrow the query",
                                  providerCode: "VpcLookup")
            }
            var outputs = request.inputs
            outputs["id"] = .string(id)
            outputs["region"] = .string(client.settings.region)
            if let cidr = vpcs.first?.string("cidrBlock") { outputs["cidrBlock"] = .string(cidr) }
            return outputs
        default:
            throw PluginError(.invalid, "aws has no data source '\(request.type)'")
        }
    }
}
