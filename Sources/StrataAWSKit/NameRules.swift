import StrataModel

/// Checks of names and addresses that AWS would refuse, done before any call.
public enum NameRules {
    /// An IPv4 CIDR block (shared with the typed DSL, which checks subnets against their VPC).
    public typealias IPv4CIDR = StrataModel.IPv4CIDR

    /// What is wrong with a VPC or subnet CIDR block (AWS allows /16 to /28), nil if fine.
    public static func vpcCIDRProblem(_ text: String) -> String? {
        guard let cidr = IPv4CIDR(text) else {
            return "'\(text)' is not an IPv4 CIDR block such as 10.0.0.0/16"
        }
        if !(16...28).contains(cidr.prefix) {
            return "'\(text)' has a /\(cidr.prefix) netmask; AWS allows /16 to /28"
        }
        if cidr.hasHostBits {
            let network = IPv4CIDR(address: cidr.address & cidr.mask, prefix: cidr.prefix)
            return "'\(text)' has host bits set; did you mean \(network)?"
        }
        return nil
    }

    /// What is wrong with an S3 bucket name (general purpose buckets), nil if fine.
    /// https://docs.aws.amazon.com/AmazonS3/latest/userguide/bucketnamingrules.html
    public static func bucketNameProblem(_ name: String) -> String? {
        if name.count < 3 || name.count > 63 { return "bucket name '\(name)' must be 3 to 63 characters long (it has \(name.count))" }
        let allowed = Set("abcdefghijklmnopqrstuvwxyz0123456789.-")
        if let bad = name.first(where: { !allowed.contains($0) }) {
            return "bucket name '\(name)' may hold only lower-case letters, digits, dots and hyphens, not '\(bad)'"
        }
        guard let first = name.first, let last = name.last, first.isLetter || first.isNumber, last.isLetter || last.isNumber else {
            return "bucket name '\(name)' must begin and end with a letter or digit"
        }
        if name.contains("..") { return "bucket name '\(name)' must not hold two dots in a row" }
        if IPv4Address.isDotted(name) { return "bucket name '\(name)' must not look like an IP address" }
        for prefix in ["xn--", "sthree-", "amzn-s3-demo-"] where name.hasPrefix(prefix) {
            return "bucket name '\(name)' must not begin with '\(prefix)'"
        }
        for suffix in ["-s3alias", "--ol-s3", ".mrap", "--x-s3", "--table-s3"] where name.hasSuffix(suffix) {
            return "bucket name '\(name)' must not end with '\(suffix)'"
        }
        return nil
    }

    /// What is wrong with a Secrets Manager secret name, nil if fine.
    public static func secretNameProblem(_ name: String) -> String? {
        if name.isEmpty || name.count > 512 { return "secret name must be 1 to 512 characters long" }
        let allowed = Set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789/_+=.@-")
        if let bad = name.first(where: { !allowed.contains($0) }) {
            return "secret name '\(name)' may hold only letters, digits and /_+=.@-, not '\(bad)'"
        }
        return nil
    }

    enum IPv4Address {
        static func isDotted(_ text: String) -> Bool {
            let parts = text.split(separator: ".", omittingEmptySubsequences: false)
            return parts.count == 4 && parts.allSatisfy { !$0.isEmpty && $0.allSatisfy(\.isNumber) && (Int($0) ?? 999) <= 255 }
        }
    }
}

