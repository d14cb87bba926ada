import Strata
import StrataModel

extension AWS {
    /// `aws_route53_zone`: a public hosted zone. Its name cannot change; `forceDestroy` lets a
    /// destroy delete the records left in it.
    public final class Route53Zone: Resource {
        public init(_ name: String, domain: Expr<String>, comment: Expr<String>? = nil, forceDestroy: Bool? = nil,
                    tags: [String: Expr<String>] = [:], file: String = #filePath, line: Int = #line) {
            super.init(type: "aws_route53_zone", name: name, file: file, line: line)
            setInput("name", domain)
            setInput("comment", comment)
            if let forceDestroy { setInput("forceDestroy", Expr(forceDestroy)) }
            if !tags.isEmpty { setInput("tags", Expr<[String: String]>(tags)) }
        }
        /// The zone id (Z…); it stays known while the zone is updated (`zoneId` does not).
        public var id: Expr<String> { attribute("id") }
        public var zoneId: Expr<String> { attribute("zoneId") }
        public var nameServers: Expr<[String]> { attribute("nameServers") }
    }

    /// Where an alias record points: an AWS endpoint's DNS name and hosted zone.
    public struct AliasTarget {
        public var dnsName: Expr<String>
        public var zoneId: Expr<String>
        public var evaluateTargetHealth: Bool

        public init(dnsName: Expr<String>, zoneId: Expr<String>, evaluateTargetHealth: Bool = false) {
            self.dnsName = dnsName
            self.zoneId = zoneId
            self.evaluateTargetHealth = evaluateTargetHealth
        }

        var value: Value {
            .map(["dnsName": dnsName.value, "zoneId": zoneId.value, "evaluateTargetHealth": .bool(evaluateTargetHealth)])
        }
    }

    /// `aws_route53_record`: a record set (values with a TTL, or an alias). Zone, name and type
    /// cannot change; the rest changes in place.
    public final class Route53Record: Resource {
        public init(_ name: String, zone: Route53Zone, recordName: Expr<String>, type: String, ttl: Int, records: [Expr<String>],
                    file: String = #filePath, line: Int = #line) {
            super.init(type: "aws_route53_record", name: name, file: file, line: line)
            setInput("zoneId", zone.id)
            setInput("name", recordName)
            setRawInput("type", .string(type))
            setRawInput("ttl", .number(Double(ttl)))
            setRawInput("records", .list(records.map(\.value)))
        }

        public init(_ name: String, zone: Route53Zone, recordName: Expr<String>, type: String = "A", alias: AliasTarget,
                    file: String = #filePath, line: Int = #line) {
            super.init(type: "aws_route53_record", name: name, file: file, line: line)
            setInput("zoneId", zone.id)
            setInput("name", recordName)
            setRawInput("type", .string(type))
            setRawInput("alias", alias.value)
        }
        /// `zoneId_name_type`.
        public var id: Expr<String> { attribute("id") }
        /// The name as declared; known while the record is updated (`fqdn` is not).
        public var name: Expr<String> { attribute("name") }
        public var fqdn: Expr<String> { attribute("fqdn") }
    }
}
