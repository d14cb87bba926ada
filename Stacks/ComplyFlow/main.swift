// Stacks/ComplyFlow: the compliance SaaS of ../../shared seeds (002): a Vite/React app on a
// CDN, PostgreSQL (Supabase → RDS), auth (Cognito), edge functions (Lambda behind API
// Gateway), four storage buckets, the OpenAI and ElevenLabs keys, alarms.
// `strata plan Stacks/ComplyFlow --var env=staging`; README.md beside this file maps the
// document onto these resources.
import Strata
import StrataAWS
import StrataComponents

/// development, staging or production: sizes, replicas and multi-AZ, never names.
let env = Stack.variable("env", default: "development", allowed: ["development", "staging", "production"])
let region = Stack.variable("region", default: "us-east-1")
/// The start of every name (buckets are global: make it yours).
let name = Stack.variable("name", default: Stack.instance == "default" ? "complyflow" : "complyflow-\(Stack.instance)")
/// The site's domain (a Route 53 zone is created for it).
let domain = Stack.variable("domain", default: "complyflow.example.com")

AWS.provider(region: region)

let production = env == "production"
let tags: [String: Expr<String>] = ["app": Expr(name), "managed-by": "strata"]

// The database lives in the network's database subnets; nothing else runs in the VPC (the
// edge functions run outside it and reach the AI APIs directly), so no NAT.
let network = ThreeTierNetwork(zones: 2, region: region, cidrBlock: "10.20.0.0/16", nat: .none, namePrefix: name, tags: tags)

// Supabase PostgreSQL (row-level security is the application's, in its schema).
let database = PostgresCluster(
    identifier: name, network: network,
    instanceClass: ["development": "db.t4g.micro", "staging": "db.t4g.medium", "production": "db.r6g.large"][env]!,
    replicas: production ? 1 : 0, multiAZ: production, allocatedStorage: production ? 100 : 20,
    backupRetentionDays: ["development": 1, "staging": 7, "production": 30][env]!,
    parameters: [.init("log_min_duration_statement", production ? "1000" : "250")],
    tags: tags)

// Supabase Auth (JWTs, refresh tokens) → a Cognito user pool, the browser's app client and
// the hosted sign-in pages.
let auth = UserAuth(poolName: "\(name)-users", callbackUrls: ["https://\(domain)/auth/callback"], logoutUrls: ["https://\(domain)/"],
                    domainPrefix: "\(name)-login", passwordMinimumLength: 14, tags: tags)

// The OpenAI and ElevenLabs keys of the edge functions.
let keys = APIKeys(prefix: "\(name)/api-keys", services: ["openai", "elevenlabs"],
                   descriptions: ["openai": "OpenAI API key (policy analysis)", "elevenlabs": "ElevenLabs API key (voice summaries)"],
                   tags: tags)

// Storage: the two voice buckets are public (audio played in the browser), the documents and
// the evidence private, versioned and encrypted with the stack's own KMS key.
let key = AWS.KMSKey("storage", description: Expr("\(name): private documents and evidence"), enableKeyRotation: true, tags: tags)
AWS.KMSAlias("storage", aliasName: Expr("alias/\(name)-storage"), target: key)
let storage = Buckets(prefix: name, [
    .publicRead("voice-summaries", corsOrigins: ["https://\(domain)"]),
    .publicRead("voice-training", corsOrigins: ["https://\(domain)"]),
    .private("policy-documents", versioning: true, noncurrentVersionsExpireAfterDays: production ? 365 : 30, corsOrigins: ["https://\(domain)"]),
    .private("evidence-files", versioning: true, noncurrentVersionsExpireAfterDays: production ? 2555 : 30, corsOrigins: ["https://\(domain)"]),
], kmsKey: key, tags: tags)

// Supabase Edge Functions → Lambda: policy analysis (OpenAI) and voice summaries
// (ElevenLabs, written to the public voice-summaries bucket), reading their keys from the
// secrets above; more memory (and with it CPU) in production. Built from functions/<name>/.
let functions = Functions(prefix: name, [
    .init("analyze-policy", zip: "functions/analyze-policy.zip", memorySize: production ? 1024 : 256, timeout: 60,
          description: "analyses a policy document with OpenAI", environment: ["OPENAI_SECRET": "\(name)/api-keys/openai"]),
    .init("voice-summary", zip: "functions/voice-summary.zip", memorySize: production ? 1024 : 256, timeout: 60,
          description: "speaks a summary with ElevenLabs into voice-summaries",
          environment: ["ELEVENLABS_SECRET": "\(name)/api-keys/elevenlabs", "BUCKET": "\(name)-voice-summaries"]),
], secretsPrefix: "\(name)/api-keys", writableBuckets: ["\(name)-voice-summaries"], logRetentionDays: production ? 365 : 30, tags: tags)

// The API gateway (controlled access to the backend): one route per function.
let gateway = HTTPGateway(apiName: "\(name)-functions", description: "ComplyFlow edge functions", corsOrigins: ["https://\(domain)"], routes: [
    .function("POST /functions/analyze-policy", functions["analyze-policy"]!),
    .function("POST /functions/voice-summary", functions["voice-summary"]!),
], tags: tags)

// The Vite/React build on CloudFront, at the domain, with its certificate and DNS;
// /functions/* through to the gateway, so the app and its functions share a name.
let zone = AWS.Route53Zone("zone", domain: Expr(domain), comment: Expr("\(name)"), forceDestroy: true, tags: tags)
let site = StaticSite(bucketName: "\(name)-web", domain: domain, zone: zone,
                      api: .init(domainName: "\(gateway.api.id).execute-api.\(region).amazonaws.com", pathPattern: "/functions/*",
                                 protocolPolicy: "https-only"),
                      priceClass: production ? "PriceClass_All" : "PriceClass_100", tags: tags)

// Alerting: function errors, the gateway's 5xx, database CPU, to one topic; stricter in production.
let monitoring = Monitoring(prefix: name, alarms: [
    .functionErrors(functions.functionNames["analyze-policy"]!, above: production ? 5 : 20, key: "analyze-policy-errors"),
    .functionErrors(functions.functionNames["voice-summary"]!, above: production ? 5 : 20, key: "voice-summary-errors"),
    .apiErrors(gateway.api, above: production ? 10 : 50),
    .databaseCPU(name, above: production ? 75 : 90),
], tags: tags)

Stack.output("url", Expr<String>("https://\(domain)"))
Stack.output("cdn", site.distribution.domainName)
Stack.output("nameServers", zone.nameServers)
Stack.output("database", database.primary.endpoint)
Stack.output("databaseSecret", database.credentials.arn)
Stack.output("openaiSecret", keys["openai"]!.arn)
Stack.output("elevenlabsSecret", keys["elevenlabs"]!.arn)
Stack.output("functionsUrl", gateway.stage.invokeUrl)
Stack.output("userPool", auth.pool.id)
Stack.output("userPoolClient", auth.client.clientId)
Stack.output("signIn", Expr<String>("https://\(name)-login.auth.\(region).amazoncognito.com"))
Stack.output("alerts", monitoring.alerts.arn)
