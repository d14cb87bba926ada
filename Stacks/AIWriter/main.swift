// Stacks/AIWriter: the AI-Writer platform of the reference deployments (seed 003), in its
// three topologies: `--var topology=single` (one server, local SQLite and files), `team` (load
// balancer, web/app servers, workers, PostgreSQL, Redis, shared storage) and `enterprise`
// (a CDN, every tier across zones, PostgreSQL primary + replicas, a Redis cluster).
// README.md beside this file maps the document onto these resources.
import Strata
import StrataAWS
import StrataComponents
import StrataRandom

let topology = Stack.variable("topology", default: "team", allowed: ["single", "team", "enterprise"])
/// development, staging or production: sizes within the topology, never names.
let env = Stack.variable("env", default: "development", allowed: ["development", "staging", "production"])
let region = Stack.variable("region", default: "us-east-1")
let name = Stack.variable("name", default: Stack.instance == "default" ? "aiwriter" : "aiwriter-\(Stack.instance)")
/// The public name (enterprise: the CDN's; a Route 53 zone is made for it).
let domain = Stack.variable("domain", default: "aiwriter.example.com")
/// The AMI with AI-Writer installed (moto_server knows this one).
let ami = Stack.variable("ami", default: "ami-1e749f67")
/// Who may reach the single server's SSH port (administrators' VPN).
let adminCidr = Stack.variable("adminCidr", default: "10.255.0.0/16")

AWS.provider(region: region)
let usEast1 = region == "us-east-1" ? nil : AWS.provider("us_east_1", region: "us-east-1")

let production = env == "production"
let tags: [String: Expr<String>] = ["app": Expr(name), "topology": Expr(topology), "managed-by": "strata"]

// Every topology: the AI providers' keys (environment variables for API keys in the
// document) and the content files (the single server keeps them locally; the bucket is
// where its backups go, and the others' shared and distributed storage).
let keys = APIKeys(prefix: "\(name)/api-keys", services: ["openai", "gemini", "anthropic"], tags: tags)
let content = Buckets(prefix: name, [.private("content", versioning: topology != "single",
                                              expireAfterDays: topology == "single" ? 90 : nil)], tags: tags)

/// What the team and enterprise topologies add around their servers: the content-generation
/// queue the background workers take jobs from (with a dead-letter queue), the shared file
/// storage every server mounts (Docker's "persistent volumes"), and monitoring — alarms on
/// CPU, the database, the queue's backlog and dead letters to one topic; the application's and
/// workers' logs. Thresholds and retention by environment.
@MainActor func operations(network: ThreeTierNetwork, workers: Int) -> (jobs: JobQueue, files: SharedFileSystem, monitoring: Monitoring) {
    let jobs = JobQueue(queueName: "\(name)-generation", visibilityTimeout: 900, retentionDays: production ? 14 : 4, tags: tags)
    let files = SharedFileSystem(name: "\(name)-files", network: network, rootPath: "/aiwriter", tags: tags)
    let monitoring = Monitoring(prefix: name, alarms: [
        .serverCPU("\(name)-app-servers", above: production ? 70 : 85, key: "app-cpu"),
        .serverCPU("\(name)-workers", above: production ? 85 : 95, key: "workers-cpu"),
        .databaseCPU(name, above: production ? 70 : 85),
        .queueBacklog(jobs.queueName, above: production ? 50 * workers : 500),
        .deadLetters(jobs.deadLetterQueueName),
    ], logGroups: ["/\(name)/app", "/\(name)/workers"], logRetentionDays: production ? 90 : 14, tags: tags)
    return (jobs, files, monitoring)
}

switch topology {
case "single":
    // [User] → [Web Server] → [AI-Writer] → [SQLite] / [File Storage]: one instance in a
    // public subnet, SQLite and files on its disk.
    let network = ThreeTierNetwork(zones: 1, region: region, cidrBlock: "10.40.0.0/16", nat: .none, namePrefix: name, tags: tags)
    let server = ServerGroup(
        "server", groupName: "\(name)-server", network: network, subnets: network.publicSubnets, imageId: ami,
        instanceType: production ? "t4g.large" : "t4g.medium", minSize: 1, maxSize: 1,
        ingress: [.tcp(80, from: ["0.0.0.0/0"], description: "HTTP"), .tcp(443, from: ["0.0.0.0/0"], description: "HTTPS"),
                  .tcp(22, from: [adminCidr], description: "SSH from the admin network")],
        userData: "#!/bin/sh\nexport DATABASE_URL=sqlite:////var/lib/aiwriter/aiwriter.db\nexec aiwriter serve\n", tags: tags)
    Stack.output("serverGroup", server.group.id)

case "team":
    // [Load Balancer] → [Web/App Servers] → [PostgreSQL] [Workers] [File Storage] [Redis].
    let network = ThreeTierNetwork(zones: 2, region: region, cidrBlock: "10.40.0.0/16", nat: .single, namePrefix: name, tags: tags)
    let app = WebService("app", serviceName: "\(name)-app", network: network, imageId: ami,
                         instanceType: production ? "m7g.xlarge" : "t4g.large", port: 8000,
                         minSize: production ? 2 : 1, maxSize: production ? 4 : 2, tags: tags)
    _ = ServerGroup("workers", groupName: "\(name)-workers", network: network, subnets: network.privateSubnets, imageId: ami,
                instanceType: production ? "c7g.xlarge" : "t4g.large", minSize: 1, maxSize: production ? 4 : 2, tags: tags)
    let database = PostgresCluster(identifier: name, network: network, instanceClass: production ? "db.m7g.large" : "db.t4g.medium",
                                   multiAZ: production, allocatedStorage: 50, backupRetentionDays: production ? 14 : 3, tags: tags)
    let cache = RedisCluster(id: "\(name)-cache", network: network, nodeType: "cache.t4g.medium", replicas: 0, version: "7.1", tags: tags)
    let shared = operations(network: network, workers: 1)
    Stack.output("app", app.loadBalancer.dnsName)
    Stack.output("database", database.primary.endpoint)
    Stack.output("cache", cache.group.primaryEndpoint)
    Stack.output("jobs", shared.jobs.queue.url)
    Stack.output("files", shared.files.fileSystem.id)
    Stack.output("alerts", shared.monitoring.alerts.arn)

default:
    // [CDN] → [Load Balancer] → [Web/App Servers (multiple AZs)] → [Workers (multiple AZs)]
    // → [PostgreSQL primary + replicas] [Redis cluster] [distributed storage].
    let network = ThreeTierNetwork(zones: 3, region: region, cidrBlock: "10.40.0.0/16", nat: .perZone, namePrefix: name, tags: tags)
    let app = WebService("app", serviceName: "\(name)-app", network: network, imageId: ami,
                         instanceType: production ? "m7g.2xlarge" : "m7g.large", port: 8000,
                         minSize: 3, maxSize: production ? 24 : 6, tags: tags)
    _ = ServerGroup("workers", groupName: "\(name)-workers", network: network, subnets: network.privateSubnets, imageId: ami,
                instanceType: production ? "c7g.2xlarge" : "c7g.large", minSize: 3, maxSize: production ? 24 : 6, tags: tags)
    let database = PostgresCluster(identifier: name, network: network, instanceClass: production ? "db.r6g.2xlarge" : "db.r6g.large",
                                   replicas: 2, multiAZ: true, allocatedStorage: production ? 500 : 100,
                                   backupRetentionDays: production ? 30 : 7, tags: tags)
    let cache = RedisCluster(id: "\(name)-cache", network: network, nodeType: "cache.r7g.large", replicas: 2, version: "7.1", tags: tags)
    let shared = operations(network: network, workers: 3)
    let zone = AWS.Route53Zone("zone", domain: Expr(domain), comment: Expr(name), forceDestroy: true, tags: tags)
    let cdn = StaticSite("cdn", bucketName: "\(name)-static", domain: domain, zone: zone,
                         api: .init(domainName: app.loadBalancer.dnsName, pathPattern: "/api/*"),
                         priceClass: production ? "PriceClass_All" : "PriceClass_100", certificateProvider: usEast1, tags: tags)
    Stack.output("url", Expr<String>("https://\(domain)"))
    Stack.output("cdn", cdn.distribution.domainName)
    Stack.output("app", app.loadBalancer.dnsName)
    Stack.output("database", database.primary.endpoint)
    Stack.output("cache", cache.group.primaryEndpoint)
    Stack.output("jobs", shared.jobs.queue.url)
    Stack.output("files", shared.files.fileSystem.id)
    Stack.output("alerts", shared.monitoring.alerts.arn)
}

Stack.output("topology", topology)
Stack.output("contentBucket", content["content"]!.id)
