// Stacks/Demo: a small web application declared with the `test` and `random` providers.
// Plan it with `strata plan Stacks/Demo`; try `--var env=staging` or `--var servers=4`.
import Strata
import StrataRandom
import StrataTestProvider

let env = Stack.variable("env", default: "dev", allowed: ["dev", "staging", "production"])
let servers = Stack.variable("servers", default: 3)

let suffix = RandomID("suffix", byteLength: 4)
let dbPassword = RandomPassword("db_password", length: 24)

let network = Network("network", cidr: "10.0.0.0/16", zones: ["a", "b"])

let database = TestResource("database", value: "postgres-16 \(env)", inputs: network.privateSubnets.map(\.id))
database.secret = dbPassword.result
database.protect(env == "production")

let cache = TestResource("cache", value: "redis-7", inputs: network.privateSubnets.map(\.id))

let web = WebService("web", servers: servers, subnets: network.publicSubnets, database: database, cache: cache)

let dns = TestResource("dns_record", value: "app-\(env)-\(suffix.hex).example.com", inputs: [web.loadBalancer.result])
dns.createBeforeDestroy()

Stack.output("url", Expr<String>("https://\(dns.result)"))
Stack.output("databasePassword", dbPassword.result)
Stack.output("servers", servers)
