// Stacks/InteliFeed: the multi-tenant feed platform of the reference deployments (seed 001):
// a web app on a CDN with tenant subdomains, global (CloudFront) and regional (ALB) load
// balancing behind a WAF, PostgreSQL with read replicas, a cache, storage, auth (Cognito),
// edge functions (Lambda), alarms, and the Stripe, e-mail and Sentry keys. One tenant's own resources are Stacks/Tenant (`strata tenants`).
// README.md beside this file maps the document onto these resources.
import Strata
import StrataAWS
import StrataComponents

/// development, staging or production: sizes and replicas, never names.
let env = Stack.variable("env", default: "development", allowed: ["development", "staging", "production"])
let region = Stack.variable("region", default: "us-east-1")
let name = Stack.variable("name", default: Stack.instance == "default" ? "intelifeed" : "intelifeed-\(Stack.instance)")
/// The platform's domain; tenants are <tenant>.<domain>.
let domain = Stack.variable("domain", default: "intelifeed.example.com")
/// The AMI of the API servers (the edge functions' code, served by the app).
let ami = Stack.variable("ami", default: "ami-1e749f67")

AWS.provider(region: region)
let usEast1 = region == "us-east-1" ? nil : AWS.provider("us_east_1", region: "us-east-1")

let production = env == "production"
let development = env == "development"
let tags: [String: Expr<String>] = ["app": Expr(name), "managed-by": "strata"]
/// Alarms: CPU (%) of the servers and the database, 5xx or function errors in 5 minutes
/// (the document's "< 0.1% error rate" tightens in production); how long logs are kept.
let size = (cpuAlarm: production ? 70.0 : 85.0, errorAlarm: production ? 5 : 25, logDays: ["development": 7, "staging": 30, "production": 90][env]!)

let network = ThreeTierNetwork(zones: development ? 2 : 3, region: region, cidrBlock: "10.30.0.0/16",
                               nat: development ? .single : .perZone, namePrefix: name, tags: tags)

// WAF: common exploits, bad inputs, bots by request rate (per client IP).
let firewall = AWS.WebACL(
    "firewall", aclName: Expr("\(name)-edge"), description: "exploits, bad inputs, bots",
    rules: [
        .managed("common", priority: 1, group: "AWSManagedRulesCommonRuleSet"),
        .managed("bad-inputs", priority: 2, group: "AWSManagedRulesKnownBadInputsRuleSet"),
        .managed("ip-reputation", priority: 3, group: "AWSManagedRulesAmazonIpReputationList"),
        .rateLimit("bots", priority: 4, limit: production ? 2000 : 500),
    ], tags: tags)

// The regional load balancer and the API servers (Supabase Edge Functions and Realtime
// run here: a process per instance, WebSockets through the ALB).
let api = WebService(
    "api", serviceName: "\(name)-api", network: network, imageId: ami,
    instanceType: ["development": "t4g.small", "staging": "t4g.large", "production": "m7g.xlarge"][env]!,
    port: 8080, healthCheckPath: "/health", minSize: production ? 3 : (development ? 1 : 2), maxSize: production ? 20 : 4,
    webACL: firewall, tags: tags)

// Supabase PostgreSQL with read replicas; tenant rows isolated by row-level security.
let database = PostgresCluster(
    identifier: name, network: network,
    instanceClass: ["development": "db.t4g.micro", "staging": "db.r6g.large", "production": "db.r6g.2xlarge"][env]!,
    replicaClass: production ? "db.r6g.xlarge" : nil,
    replicas: ["development": 0, "staging": 1, "production": 2][env]!, multiAZ: !development,
    allocatedStorage: production ? 500 : 50, backupRetentionDays: production ? 35 : 7,
    parameters: [.init("rds.force_ssl", "1"), .init("log_min_duration_statement", "500")], tags: tags)

// The server tier of the multi-tier cache (staging mirrors production).
let cache = RedisCluster(id: "\(name)-cache", network: network, nodeType: development ? "cache.t4g.micro" : "cache.r7g.large",
                         replicas: development ? 0 : 2, version: "7.1", tags: tags)

// Supabase Storage: tenants' uploads (private) and media served through the CDN (public).
let storage = Buckets(prefix: name, [
    .private("uploads", versioning: true, corsOrigins: ["https://*.\(domain)", "https://\(domain)"]),
    .publicRead("media"),
], tags: tags)

// Supabase Auth → a Cognito user pool (e-mail sign-in; social providers are set up on the
// pool by hand), the web app's client, the hosted sign-in pages.
let auth = UserAuth(poolName: "\(name)-users", callbackUrls: ["https://\(domain)/auth/callback"], logoutUrls: ["https://\(domain)/"],
                    domainPrefix: "\(name)-login", tags: tags)

// Stripe, e-mail (SendGrid) and Sentry keys.
let keys = APIKeys(prefix: "\(name)/api-keys", services: ["stripe", "sendgrid", "sentry"], descriptions: [
    "stripe": "Stripe secret key (payments)", "sendgrid": "SendGrid API key (transactional e-mail)", "sentry": "Sentry DSN (errors)",
], tags: tags)

// The global load balancer and CDN: the web app at <domain> and every <tenant>.<domain>
// (a wildcard certificate and record), /api/* to the regional load balancer.
let zone = AWS.Route53Zone("zone", domain: Expr(domain), comment: Expr(name), forceDestroy: true, tags: tags)
let web = StaticSite(
    "web", bucketName: "\(name)-web", domain: domain, alternativeNames: ["*.\(domain)"], zone: zone,
    api: .init(domainName: api.loadBalancer.dnsName), priceClass: production ? "PriceClass_All" : "PriceClass_100",
    certificateProvider: usEast1, tags: tags)

// Supabase Edge Functions → Lambda: Stripe's webhook (public, through the gateway) and
// transactional e-mail (invoked by the API servers), with their keys from the secrets above.
let functions = Functions(prefix: name, [
    .init("stripe-webhook", zip: "functions/stripe-webhook.zip", memorySize: 256, timeout: 30, description: "Stripe's webhook",
          environment: ["STRIPE_SECRET": "\(name)/api-keys/stripe", "API_URL": "https://\(domain)/api"]),
    .init("send-email", zip: "functions/send-email.zip", memorySize: 128, timeout: 30, description: "transactional e-mail (SendGrid)",
          environment: ["SENDGRID_SECRET": "\(name)/api-keys/sendgrid", "FROM": "no-reply@\(domain)"]),
], secretsPrefix: "\(name)/api-keys", logRetentionDays: size.logDays, tags: tags)
let webhooks = HTTPGateway("webhooks", apiName: "\(name)-webhooks", description: "third-party webhooks", routes: [
    .function("POST /stripe", functions["stripe-webhook"]!),
], tags: tags)

// Alerting thresholds (CPU, error rate) to one topic; the API servers' logs.
let monitoring = Monitoring(prefix: name, alarms: [
    .serverCPU("\(name)-api-servers", above: size.cpuAlarm),
    .databaseCPU(name, above: size.cpuAlarm),
    .apiErrors(webhooks.api, above: size.errorAlarm, key: "webhooks-5xx"),
    .functionErrors(functions.functionNames["stripe-webhook"]!, above: size.errorAlarm, key: "stripe-webhook-errors"),
    .functionErrors(functions.functionNames["send-email"]!, above: size.errorAlarm, key: "send-email-errors"),
], logGroups: ["/\(name)/api"], logRetentionDays: size.logDays, tags: tags)

Stack.output("url", Expr<String>("https://\(domain)"))
Stack.output("tenantUrl", Expr<String>("https://<tenant>.\(domain)"))
Stack.output("cdn", web.distribution.domainName)
Stack.output("api", api.loadBalancer.dnsName)
Stack.output("database", database.primary.endpoint)
Stack.output("cache", cache.group.primaryEndpoint)
Stack.output("uploadsBucket", storage["uploads"]!.id)
Stack.output("nameServers", zone.nameServers)
Stack.output("webhooksUrl", webhooks.stage.invokeUrl)  // Stripe posts to <webhooksUrl>/stripe
Stack.output("userPool", auth.pool.id)
Stack.output("userPoolClient", auth.client.clientId)
Stack.output("alerts", monitoring.alerts.arn)
