// Stacks/Tenant: one tenant's environment of a multi-tenant SaaS. Applied once per tenant by
// `strata tenants apply Stacks/Tenant --tenants tenants.yaml` (each tenant is the instance
// tenant/<id>, with `tenant` set to its id). See README.md beside this file.
import Strata
import StrataAWS
import StrataPostgres
import StrataRandom

/// The tenant's id: set by `strata tenants` (lower-case letters, digits and '-').
let tenant = Stack.variable("tenant", default: "")
/// How big the tenant's environment is.
let size = Stack.variable("size", default: "small", allowed: ["small", "medium", "large"])
/// The AWS region of the tenant's resources; empty: the provider's default (AWS_REGION, ~/.aws).
let region = Stack.variable("region", default: "")
/// The first part of every name, so several fleets can share one account.
let namePrefix = Stack.variable("namePrefix", default: "strata")
/// A shared PostgreSQL server (postgres://admin:password@host:5432/postgres) where the tenant
/// gets a database and a role of its own; empty: none.
let postgres = Stack.variable("postgres", default: "")

if tenant.isEmpty {
    Stack.error("set the variable `tenant` (strata tenants sets it to each tenant's id)")
}
// The same rule `strata tenants` enforces, for a stack applied by hand with --var tenant=….
if !tenant.isEmpty && (tenant.count > 63 || !tenant.allSatisfy({ ("a"..."z").contains($0) || ("0"..."9").contains($0) || $0 == "-" })) {
    Stack.error("tenant '\(tenant)' must be lower-case letters, digits and '-'")
}
if !tenant.isEmpty && Stack.instance != "tenant/\(tenant)" {
    Stack.error("the instance is '\(Stack.instance)' but the tenant is '\(tenant)': apply it with `strata tenants`, or --instance tenant/\(tenant)")
}

if !region.isEmpty { AWS.provider(region: region) }

/// Every name carries the tenant, so one tenant's run can never address another's resources.
let base = "\(namePrefix)-\(tenant)"
let bucketName = "\(base)-data"
if bucketName.count > 63 {
    Stack.error("the bucket name \(bucketName) is longer than S3 allows (63): use a shorter tenant id or namePrefix")
}

/// Tags on every resource that takes them: who it belongs to.
let tags: [String: Expr<String>] = [
    "tenant": Expr(tenant),
    "size": Expr(size),
    "managed-by": "strata",
]

// The database password (the database itself comes with the RDS types).
let password = RandomPassword("db_password", length: 32, special: false)

// The tenant's data bucket; larger tenants keep old versions of their objects.
let bucket = AWS.S3Bucket("data", bucket: Expr(bucketName), versioning: size != "small", tags: tags)

// The password, where the tenant's services read it.
let secret = AWS.Secret(
    "db_password", secretName: Expr("\(namePrefix)/\(tenant)/db-password"), value: password.result,
    description: Expr("database password of tenant \(tenant) (\(size))"), tags: tags)

let databaseClass = ["small": "db.t4g.micro", "medium": "db.t4g.medium", "large": "db.r6g.large"][size] ?? "db.t4g.micro"

// On a shared PostgreSQL server: a role that logs in with the password above and owns a
// database of its own, both named <namePrefix>_<tenant> ('-' written '_', which tenant ids
// never hold, so two tenants never share a name).
if !postgres.isEmpty {
    Postgres.provider(url: Expr(postgres))
    let databaseName = String("\(namePrefix)_\(tenant)".map { $0 == "-" ? "_" : $0 })
    if databaseName.utf8.count > 63 {
        Stack.error("the database name \(databaseName) is longer than PostgreSQL allows (63): use a shorter tenant id or namePrefix")
    }
    let connections = ["small": 10, "medium": 50, "large": 200][size] ?? 10
    let role = Postgres.Role("db_owner", name: Expr(databaseName), login: true, password: password.result, connectionLimit: Expr(connections))
    let database = Postgres.Database("db", name: Expr(databaseName), owner: role.name, connectionLimit: Expr(connections))
    Stack.output("databaseName", database.name)
    Stack.output("databaseRole", role.name)
}

Stack.output("tenant", tenant)
Stack.output("bucket", bucket.id)
Stack.output("secretArn", secret.arn)
Stack.output("databaseClass", databaseClass)
