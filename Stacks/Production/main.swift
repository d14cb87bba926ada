// Stacks/Production: the generic production template of the reference deployments (seed 004):
// three regions (US-East, EU-West, AP-Southeast) in one run, each through its own instance of
// the AWS provider, behind one DNS zone and one CDN. README.md beside this file maps the
// document onto these resources.
import Strata
import StrataAWS
import StrataComponents

/// development, staging or production: sizes, replicas, zones and NAT, never names.
let env = Stack.variable("env", default: "development", allowed: ["development", "staging", "production"])
let name = Stack.variable("name", default: Stack.instance == "default" ? "prod-template" : "prod-\(Stack.instance)")
let domain = Stack.variable("domain", default: "app.example.com")
/// The app servers' and bastion's AMI (one that exists in all three regions; moto_server knows this one).
let ami = Stack.variable("ami", default: "ami-1e749f67")
/// The administrators' network (VPN): the only source of SSH to the bastions.
let adminCidr = Stack.variable("adminCidr", default: "10.255.0.0/16")

// Global resources (DNS, CDN, its certificate) use the default instance in us-east-1; each
// region has an instance of its own.
AWS.provider(region: "us-east-1")
let regions: [(key: String, region: String, cidr: String)] = [
    ("us", "us-east-1", "10.100.0.0/16"),
    ("eu", "eu-west-1", "10.101.0.0/16"),
    ("ap", "ap-southeast-1", "10.102.0.0/16"),
]
let size = Size.of(env)
let tags: [String: Expr<String>] = ["app": Expr(name), "managed-by": "strata"]

let deployed = regions.map { entry in
    Region(entry.key, region: entry.region, provider: AWS.provider(entry.key, region: entry.region), cidrBlock: entry.cidr,
           name: name, size: size, ami: ami, adminCidr: adminCidr, tags: tags)
}

// Global DNS and CDN: <domain> through CloudFront to the primary region's load balancer
// (static files from its bucket), and <region>.<domain> straight to each region's.
let zone = AWS.Route53Zone("zone", domain: Expr(domain), comment: Expr(name), forceDestroy: true, tags: tags)
let cdn = StaticSite("cdn", bucketName: "\(name)-static", domain: domain, zone: zone,
                     api: .init(domainName: deployed[0].app.loadBalancer.dnsName, pathPattern: "/api/*"),
                     priceClass: env == "production" ? "PriceClass_All" : "PriceClass_100", tags: tags)
for region in deployed {
    let balancer = region.app.loadBalancer
    AWS.Route53Record(keyed("region", region.key), zone: zone, recordName: Expr("\(region.key).\(domain)"), type: "A",
                      alias: AWS.AliasTarget(dnsName: balancer.dnsName, zoneId: balancer.zoneId, evaluateTargetHealth: true))
    Stack.output("\(region.key)LoadBalancer", balancer.dnsName)
    Stack.output("\(region.key)Database", region.database.primary.endpoint)
    Stack.output("\(region.key)Cache", region.cache.group.primaryEndpoint)
}

Stack.output("url", Expr<String>("https://\(domain)"))
Stack.output("cdn", cdn.distribution.domainName)
Stack.output("nameServers", zone.nameServers)
