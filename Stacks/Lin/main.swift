// Stacks/Lin: the Lin application of the reference deployments (seed 000): a React frontend on
// a CDN, an API gateway and a load balancer in front of the Flask API servers, PostgreSQL
// (Supabase → RDS), auth (Cognito), storage, the LinkedIn and Hugging Face keys, alarms. `strata plan Stacks/Lin --var env=staging`; README.md beside
// this file maps the document onto these resources.
import Strata
import StrataAWS
import StrataComponents

/// development, staging or production: sizes, replicas, NAT and the firewall, never names.
let env = Stack.variable("env", default: "development", allowed: ["development", "staging", "production"])
let region = Stack.variable("region", default: "us-east-1")
/// The start of every name (buckets are global: make it yours).
let name = Stack.variable("name", default: Stack.instance == "default" ? "lin" : "lin-\(Stack.instance)")
/// The public name of the app; the API is api.<domain>. A Route 53 zone is made for it.
let domain = Stack.variable("domain", default: "lin.example.com")
/// The AMI the API servers start from: an image with the Flask app that starts it on boot
/// (gunicorn on :5000). moto_server knows this one.
let ami = Stack.variable("ami", default: "ami-1e749f67")

// The certificate CloudFront uses must be in us-east-1, so the stack's region is us-east-1
// unless told; another region keeps the certificate there through a second instance.
AWS.provider(region: region)
let usEast1 = region == "us-east-1" ? nil : AWS.provider("us_east_1", region: "us-east-1")

let development = env == "development"
let production = env == "production"
let tags: [String: Expr<String>] = ["app": Expr(name), "managed-by": "strata"]

/// What changes with the environment.
struct Size {
    var zones: Int, nat: ThreeTierNetwork.NAT
    var serverType: String, minServers: Int, maxServers: Int
    var databaseClass: String, replicas: Int, multiAZ: Bool, backupDays: Int
    var priceClass: String
    /// Alarms: CPU (%) of the servers and the database, 5xx answers of the API in 5 minutes;
    /// how long the API's logs are kept.
    var cpuAlarm: Double, errorAlarm: Int, logDays: Int
}
let size = [
    "development": Size(zones: 2, nat: .single, serverType: "t4g.small", minServers: 1, maxServers: 2,
                        databaseClass: "db.t4g.micro", replicas: 0, multiAZ: false, backupDays: 1, priceClass: "PriceClass_100",
                        cpuAlarm: 90, errorAlarm: 50, logDays: 7),
    "staging": Size(zones: 3, nat: .perZone, serverType: "t4g.medium", minServers: 2, maxServers: 4,
                    databaseClass: "db.t4g.medium", replicas: 0, multiAZ: false, backupDays: 7, priceClass: "PriceClass_100",
                    cpuAlarm: 80, errorAlarm: 20, logDays: 30),
    "production": Size(zones: 3, nat: .perZone, serverType: "m7g.large", minServers: 3, maxServers: 12,
                       databaseClass: "db.r6g.large", replicas: 1, multiAZ: true, backupDays: 30, priceClass: "PriceClass_All",
                       cpuAlarm: 70, errorAlarm: 10, logDays: 365),
][env]!

// Private networks for the backend: the API servers in private subnets, the database in
// database subnets, only the load balancer public.
let network = ThreeTierNetwork(zones: size.zones, region: region, cidrBlock: "10.10.0.0/16", nat: size.nat, namePrefix: name, tags: tags)

// Firewall rules and DDoS protection at the load balancer (staging mirrors production).
let firewall: AWS.WebACL? = development ? nil : AWS.WebACL(
    "firewall", aclName: Expr("\(name)-api"), description: "common exploits and request floods", rules: [
        .managed("common", priority: 1, group: "AWSManagedRulesCommonRuleSet"),
        .managed("bad-inputs", priority: 2, group: "AWSManagedRulesKnownBadInputsRuleSet"),
        .rateLimit("flood", priority: 3, limit: 2000),
    ], tags: tags)

// Load balancer → Flask API servers 1…N (an autoscaling group across the zones).
let api = WebService(
    "api", serviceName: "\(name)-api", network: network, imageId: ami, instanceType: size.serverType, port: 5000,
    healthCheckPath: "/health", minSize: size.minServers, maxSize: size.maxServers, webACL: firewall, tags: tags)

// Supabase Database → RDS PostgreSQL (backups, point-in-time recovery, read replicas).
let database = PostgresCluster(
    identifier: name, network: network, instanceClass: size.databaseClass, replicas: size.replicas, multiAZ: size.multiAZ,
    allocatedStorage: production ? 100 : 20, backupRetentionDays: size.backupDays, tags: tags)

// Supabase Auth → a Cognito user pool: sign-up and sign-in by e-mail, the browser's app
// client, the hosted sign-in pages; the API servers check its tokens.
let auth = UserAuth(poolName: "\(name)-users", callbackUrls: ["https://\(domain)/auth/callback"], logoutUrls: ["https://\(domain)/"],
                    domainPrefix: "\(name)-login", tags: tags)

// Supabase Storage → a private bucket the browser uploads to.
let storage = Buckets(prefix: name, [.private("storage", versioning: true, corsOrigins: ["https://\(domain)"])], tags: tags)

// External APIs: their keys, put in by hand, read by the API servers.
let keys = APIKeys(prefix: "\(name)/api-keys", services: ["linkedin", "huggingface", "smtp"], descriptions: [
    "linkedin": "LinkedIn API client secret", "huggingface": "Hugging Face API token", "smtp": "e-mail service (notifications) credentials",
], tags: tags)

// DNS, the certificate and the CDN: the React build at <domain>, /api/* through the API
// gateway.
let zone = AWS.Route53Zone("zone", domain: Expr(domain), comment: Expr(name), forceDestroy: true, tags: tags)

// The API gateway (request routing, CORS, throttling) in front of the load balancer: every
// path to the Flask servers behind it.
let gateway = HTTPGateway(
    apiName: "\(name)-api", description: "Lin API: request routing to the Flask servers", corsOrigins: ["https://\(domain)"],
    routes: [.url("ANY /{proxy+}", "http://\(api.loadBalancer.dnsName)/{proxy}")], tags: tags)

let frontend = StaticSite(
    "frontend", bucketName: "\(name)-frontend", domain: domain, zone: zone,
    api: .init(domainName: "\(gateway.api.id).execute-api.\(region).amazonaws.com", protocolPolicy: "https-only"),
    priceClass: size.priceClass, certificateProvider: usEast1, tags: tags)

// Health monitoring and alerting: CPU of the API servers and the database, the API's 5xx, to
// one topic the on-call subscribes to; the API servers' logs, kept by environment.
let monitoring = Monitoring(prefix: name, alarms: [
    .serverCPU("\(name)-api-servers", above: size.cpuAlarm),
    .databaseCPU(name, above: size.cpuAlarm),
    .apiErrors(gateway.api, above: size.errorAlarm),
], logGroups: ["/\(name)/api"], logRetentionDays: size.logDays, tags: tags)

Stack.output("url", Expr<String>("https://\(domain)"))
Stack.output("cdn", frontend.distribution.domainName)
Stack.output("api", Expr<String>("https://\(domain)/api"))
Stack.output("apiGateway", gateway.stage.invokeUrl)
Stack.output("loadBalancer", api.loadBalancer.dnsName)
Stack.output("userPool", auth.pool.id)
Stack.output("userPoolClient", auth.client.clientId)
Stack.output("alerts", monitoring.alerts.arn)
Stack.output("database", database.primary.endpoint)
Stack.output("databaseSecret", database.credentials.arn)
Stack.output("storageBucket", storage["storage"]!.id)
Stack.output("nameServers", zone.nameServers)
