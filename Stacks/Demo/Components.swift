import Strata
import StrataTestProvider

/// A network: a VPC with one public and one private subnet per zone.
struct Network: Component {
    let vpc: TestResource
    let publicSubnets: [TestResource]
    let privateSubnets: [TestResource]

    init(_ name: String, cidr: String, zones: [String]) {
        (vpc, publicSubnets, privateSubnets) = Stack.component(name) {
            let vpc = TestResource("vpc", value: Expr(cidr))
            var publicSubnets: [TestResource] = []
            var privateSubnets: [TestResource] = []
            for (i, zone) in zones.enumerated() {
                publicSubnets.append(TestResource("public_\(zone)", value: "10.0.\(i).0/24", inputs: [vpc.id]))
                privateSubnets.append(TestResource("private_\(zone)", value: "10.0.\(100 + i).0/24", inputs: [vpc.id]))
            }
            return (vpc, publicSubnets, privateSubnets)
        }
    }
}

/// A web service: servers spread over subnets behind a load balancer.
struct WebService: Component {
    let servers: [TestResource]
    let loadBalancer: TestResource

    init(_ name: String, servers count: Int, subnets: [TestResource], database: TestResource, cache: TestResource) {
        (servers, loadBalancer) = Stack.component(name) {
            let servers = (0..<count).map { i in
                TestResource("server_\(i)", value: "app-server", inputs: [subnets[i % subnets.count].id, database.id, cache.id])
            }
            let lb = TestResource("load_balancer", value: "alb", inputs: servers.map(\.id))
            return (servers, lb)
        }
    }
}
