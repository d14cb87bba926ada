import Strata
import StrataAWS
import StrataComponents

/// What changes with the environment, in every region alike.
struct Size {
    var zones: Int
    var nat: ThreeTierNetwork.NAT
    var appType: String, minApps: Int, maxApps: Int
    var databaseClass: String, storage: Int, replicas: Int, multiAZ: Bool, backupDays: Int
    var cacheType: String, cacheReplicas: Int
    /// Alarms: CPU (%) of the app servers and the database; how long the app's logs are kept.
    var cpuAlarm: Double, logDays: Int

    static func of(_ env: String) -> Size {
        switch env {
        case "production":
            // The document's specification: m5.xlarge ×3–20, db.r5.2xlarge with 500 GB and two
            // read replicas, 30 days of backups, cache.r5.xlarge ×3 (one primary, two replicas).
            Size(zones: 3, nat: .perZone, appType: "m5.xlarge", minApps: 3, maxApps: 20,
                 databaseClass: "db.r5.2xlarge", storage: 500, replicas: 2, multiAZ: true, backupDays: 30,
                 cacheType: "cache.r5.xlarge", cacheReplicas: 2, cpuAlarm: 70, logDays: 365)
        case "staging":
            // Two app servers, one database; the cache as production's (it mirrors it).
            Size(zones: 3, nat: .perZone, appType: "m5.large", minApps: 2, maxApps: 4,
                 databaseClass: "db.r5.large", storage: 100, replicas: 0, multiAZ: false, backupDays: 7,
                 cacheType: "cache.r5.xlarge", cacheReplicas: 2, cpuAlarm: 80, logDays: 30)
        default:
            Size(zones: 2, nat: .single, appType: "t3.medium", minApps: 1, maxApps: 2,
                 databaseClass: "db.t3.micro", storage: 20, replicas: 0, multiAZ: false, backupDays: 1,
                 cacheType: "cache.t3.micro", cacheReplicas: 0, cpuAlarm: 90, logDays: 7)
        }
    }
}

/// One region of the template: public / private / database subnets, a WAF-guarded load
/// balancer with the app servers behind it, a bastion, PostgreSQL 16 with read replicas,
/// Redis 7, object and file storage, alarms and logs — every resource through the region's provider instance, all
/// under the component `key` (`eu.network.aws_vpc.vpc`).
struct Region: Component {
    let key: String
    let name: String
    let network: ThreeTierNetwork
    let app: WebService
    let database: PostgresCluster
    let cache: RedisCluster
    let objects: Buckets
    let files: SharedFileSystem
    let monitoring: Monitoring

    init(_ key: String, region: String, provider: ProviderRef, cidrBlock: String, name: String, size: Size, ami: String,
         adminCidr: String, tags: [String: Expr<String>]) {
        self.key = key
        self.name = "\(name)-\(key)"
        let prefix = self.name
        let tags = tags.merging(["region": Expr(region)]) { _, new in new }
        (network, app, database, cache, objects, files, monitoring) = Stack.component(key) {
            let network = ThreeTierNetwork(zones: size.zones, region: region, cidrBlock: cidrBlock, nat: size.nat, namePrefix: prefix,
                                           provider: provider, tags: tags)
            // WAF and DDoS protection in front of the load balancer.
            let firewall = AWS.WebACL(
                "firewall", aclName: Expr("\(prefix)-web"), description: "common exploits, bad inputs, rate limit",
                rules: [
                    .managed("common", priority: 1, group: "AWSManagedRulesCommonRuleSet"),
                    .managed("bad-inputs", priority: 2, group: "AWSManagedRulesKnownBadInputsRuleSet"),
                    .rateLimit("rate", priority: 3, limit: 5000),
                ], tags: tags).using(provider)
            let app = WebService(
                "app", serviceName: "\(prefix)-app", network: network, imageId: ami, instanceType: size.appType, port: 8080,
                healthCheckPath: "/health", minSize: size.minApps, maxSize: size.maxApps, webACL: firewall, provider: provider, tags: tags)
            // The bastion: SSH from the administrators' network only, into the private subnets.
            _ = ServerGroup("bastion", groupName: "\(prefix)-bastion", network: network, subnets: network.publicSubnets, imageId: ami,
                        instanceType: "t3.micro", minSize: 1, maxSize: 1, ingress: [.tcp(22, from: [adminCidr], description: "SSH from admins")],
                        provider: provider, tags: tags)
            let database = PostgresCluster(
                identifier: "\(prefix)-db", network: network, instanceClass: size.databaseClass, replicas: size.replicas,
                multiAZ: size.multiAZ, allocatedStorage: size.storage, version: "16", backupRetentionDays: size.backupDays,
                secretName: "\(name)/\(key)/database", provider: provider, tags: tags)
            let cache = RedisCluster(id: "\(prefix)-cache", network: network, nodeType: size.cacheType, replicas: size.cacheReplicas,
                                     version: "7.1", provider: provider, tags: tags)
            let objects = Buckets("objects", prefix: prefix, [.private("objects", versioning: true)], provider: provider, tags: tags)
            // File storage (EFS) the app servers share, a mount target in each private subnet.
            let files = SharedFileSystem(name: "\(prefix)-files", network: network, provider: provider, tags: tags)
            // Metrics and alerting: CPU of the app servers and the primary, replication lag of
            // the replicas, to the region's alerts topic; the app's logs, kept by environment.
            var alarms: [Monitoring.Alarm] = [
                .serverCPU("\(prefix)-app-servers", above: size.cpuAlarm, key: "app-cpu"),
                .databaseCPU("\(prefix)-db", above: size.cpuAlarm),
            ]
            for index in 0..<size.replicas {
                alarms.append(Monitoring.Alarm(
                    key: "replica-\(index + 1)-lag", description: "\(prefix)-db-replica-\(index + 1) more than 30 s behind the primary",
                    namespace: "AWS/RDS", metric: "ReplicaLag", dimensions: ["DBInstanceIdentifier": Expr("\(prefix)-db-replica-\(index + 1)")],
                    threshold: 30))
            }
            let monitoring = Monitoring(prefix: prefix, alarms: alarms, logGroups: ["/\(prefix)/app"], logRetentionDays: size.logDays,
                                        provider: provider, tags: tags)
            return (network, app, database, cache, objects, files, monitoring)
        }
    }
}
