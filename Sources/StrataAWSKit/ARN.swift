/// An Amazon Resource Name, `arn:PARTITION:SERVICE:REGION:ACCOUNT:RESOURCE`, taken apart.
/// Region and account may be empty (IAM, S3); the resource may hold `:` and `/`. Parsing any
/// text answers an ARN or nil, never traps (`scripts/fuzz cidr-arn`).
public struct ARN: Sendable, Hashable, CustomStringConvertible {
    public var partition: String
    public var service: String
    public var region: String
    public var account: String
    public var resource: String

    public init(partition: String, service: String, region: String, account: String, resource: String) {
        self.partition = partition
        self.service = service
        self.region = region
        self.account = account
        self.resource = resource
    }

    /// Nil unless `text` has the six fields and a partition, service and resource.
    public init?(_ text: String) {
        let fields = text.split(separator: ":", maxSplits: 5, omittingEmptySubsequences: false).map(String.init)
        guard fields.count == 6, fields[0] == "arn", !fields[1].isEmpty, !fields[2].isEmpty, !fields[5].isEmpty else { return nil }
        self.init(partition: fields[1], service: fields[2], region: fields[3], account: fields[4], resource: fields[5])
    }

    public var description: String { "arn:\(partition):\(service):\(region):\(account):\(resource)" }

    /// `arn:aws:wafv2:REGION:ACCOUNT:regional/webacl/NAME/ID` (`global/…` for CloudFront) →
    /// its id, name and scope (`REGIONAL` or `CLOUDFRONT`); nil for anything else.
    public static func webACL(_ text: String) -> (id: String, name: String, scope: String)? {
        guard let arn = ARN(text), arn.service == "wafv2" else { return nil }
        let pieces = arn.resource.split(separator: "/").map(String.init)
        guard pieces.count == 4, pieces[1] == "webacl", ["regional", "global"].contains(pieces[0]) else { return nil }
        return (pieces[3], pieces[2], pieces[0] == "global" ? "CLOUDFRONT" : "REGIONAL")
    }

    /// `…:listener-rule/app/NAME/LB/LISTENER/RULE` → `…:listener/app/NAME/LB/LISTENER`.
    public static func listener(ofRule arn: String) -> String? {
        guard let range = arn.range(of: ":listener-rule/") else { return nil }
        var parts = arn[range.upperBound...].split(separator: "/")
        guard parts.count >= 2 else { return nil }
        parts.removeLast()
        return arn[..<range.lowerBound] + ":listener/" + parts.joined(separator: "/")
    }
}
