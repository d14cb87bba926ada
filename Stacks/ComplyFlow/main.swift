// Stacks/ComplyFlow: the compliance SaaS of ../../shared seeds (002): a Vite/React app on a
// CDN, PostgreSQL (Supabase → RDS), four storage buckets, the OpenAI and ElevenLabs keys.
// `strata plan Stacks/ComplyFlow --var env=staging`; README.md beside this file maps the
// document onto these resources.
import Strata
import StrataAWS
import StrataComponents
import StrataRandom

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
// edge functions are the part of Supabase AWS has no counterpart for here), so no NAT.
let network = ThreeTierNetwork(zones: 2, region: region, cidrBlock: "10.20.0.0/16", nat: .none, namePrefix: name, tags: tags)

// Supabase PostgreSQL (row-level security is the application's, in its schema).
let database = PostgresCluster(
    identifier: name, network: network,
    instanceClass: ["development": "db.t4g.micro", "staging": "db.t4g.medium", "production": "db.r6g.large"][env]!,
    replicas: production ? 1 : 0, multiAZ: production, allocatedStorage: production ? 100 : 20,
    backupRetentionDays: ["development": 1, "staging": 7, "production": 30][env]!,
    parameters: [.init("log_min_duration_statement", production ? "1000" : "250")],
    tags: tags)

// Supabase Auth signs its JWTs with a secret of its own.
let jwtSecret = RandomPassword("jwt_secret", length: 48, special: false)
let auth = AWS.Secret("jwt_secret", secretName: Expr("\(name)/auth/jwt-secret"), value: jwtSecret.result,
                      description: "the secret the auth service signs session tokens with", tags: tags)

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

// The Vite/React build on CloudFront, at the domain, with its certificate and DNS.
let zone = AWS.Route53Zone("zone", domain: Expr(domain), comment: Expr("\(name)"), forceDestroy: true, tags: tags)
let site = StaticSite(bucketName: "\(name)-web", domain: domain, zone: zone,
                      priceClass: production ? "PriceClass_All" : "PriceClass_100", tags: tags)

Stack.output("url", Expr<String>("https://\(domain)"))
Stack.output("cdn", site.distribution.domainName)
Stack.output("nameServers", zone.nameServers)
Stack.output("database", database.primary.endpoint)
Stack.output("databaseSecret", database.credentials.arn)
Stack.output("openaiSecret", keys["openai"]!.arn)
Stack.output("elevenlabsSecret", keys["elevenlabs"]!.arn)
