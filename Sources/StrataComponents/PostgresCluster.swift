import Strata
import StrataAWS
import StrataRandom

/// An RDS PostgreSQL primary with `replicas` read replicas in a network's database subnets:
/// a security group open on 5432 to the VPC, a DB subnet group, a parameter group for the
/// major version, a generated password, and a Secrets Manager secret holding the connection
/// (`{"username", "password", "host", "port", "dbname"}`) where the application reads it.
///
/// ```swift
/// let db = PostgresCluster(identifier: "lin", network: network, instanceClass: "db.r6g.large",
///                          replicas: 2, multiAZ: true)
/// Stack.output("database", db.primary.endpoint)
/// ```
///
/// Replicas are keyed by number (`aws_db_instance.replica["2"]`): lowering `replicas` deletes
/// the last ones and touches none of the others. Class, storage, multi-AZ, backups and
/// parameters change in place.
public struct PostgresCluster: Component {
    public let securityGroup: AWS.SecurityGroup
    public let subnetGroup: AWS.DBSubnetGroup
    public let parameterGroup: AWS.DBParameterGroup
    public let password: RandomPassword
    public let primary: AWS.DBInstance
    public let replicas: [AWS.DBInstance]
    /// The connection, as JSON, for the application.
    public let credentials: AWS.Secret

    /// - Parameters:
    ///   - identifier: the primary's RDS identifier (replicas are `<identifier>-replica-N`), and
    ///     the start of the other names; lower case, letters, digits and '-'.
    ///   - network: its database subnets (two zones or more) hold the instances.
    ///   - instanceClass: the primary's class; `replicaClass` (default: the same) the replicas'.
    ///   - replicas: read replicas, 0 to 5.
    ///   - version: the engine version, or a prefix of it (`16`: whatever 16.x AWS runs).
    ///   - allowedCidrBlocks: who may connect (default: the whole VPC).
    ///   - secretName: the credentials secret's name (default `<identifier>/database`).
    ///   - provider: the provider instance every resource uses, if not the default.
    public init(_ name: String = "database", identifier: String, network: ThreeTierNetwork, instanceClass: String = "db.t4g.micro",
                replicaClass: String? = nil, replicas: Int = 0, multiAZ: Bool = false, allocatedStorage: Int = 20, version: String = "16",
                backupRetentionDays: Int = 1, databaseName: String = "app", username: String = "app", parameters: [AWS.DBParameter] = [],
                allowedCidrBlocks: [String]? = nil, secretName: String? = nil, provider: ProviderRef? = nil,
                tags: [String: Expr<String>] = [:], file: String = #filePath, line: Int = #line) {
        if !(0...5).contains(replicas) {
            Stack.error("PostgresCluster \(name): replicas must be 0 to 5, not \(replicas)", file: file, line: line)
        }
        if network.databaseSubnets.count < 2 {
            Stack.error("PostgresCluster \(name): RDS needs database subnets in two zones at least; the network has \(network.databaseSubnets.count)",
                        file: file, line: line)
        }
        let major = version.split(separator: ".").first.map(String.init) ?? version
        @discardableResult func place<R: Resource>(_ resource: R) -> R {
            if let provider { resource.using(provider) }
            return resource
        }
        (securityGroup, subnetGroup, parameterGroup, password, primary, replicas: self.replicas, credentials) = Stack.component(name) {
            let group = place(AWS.SecurityGroup(
                "postgres", groupName: Expr("\(identifier)-postgres"), vpc: network.vpc, description: "PostgreSQL \(identifier)",
                ingress: [.tcp(5432, from: allowedCidrBlocks ?? [network.cidrBlock], description: "PostgreSQL clients")],
                tags: tags, file: file, line: line))
            let subnets = place(AWS.DBSubnetGroup(
                "subnets", groupName: Expr("\(identifier)-db"), subnets: network.databaseSubnets,
                description: Expr("database subnets of \(identifier)"), tags: tags, file: file, line: line))
            let settings = place(AWS.DBParameterGroup(
                "parameters", groupName: Expr("\(identifier)-postgres\(major)"), family: Expr("postgres\(major)"),
                description: Expr("PostgreSQL \(major) settings of \(identifier)"), parameters: parameters, tags: tags, file: file, line: line))
                .createBeforeDestroy()  // AWS refuses to delete a group an instance still uses
            let password = RandomPassword("password", length: 32, special: false, file: file, line: line)  // a random_password, no AWS provider
            let primary = place(AWS.DBInstance(
                "primary", identifier: Expr(identifier), instanceClass: Expr(instanceClass), allocatedStorage: allocatedStorage,
                username: Expr(username), password: password.result, engineVersion: Expr(version), multiAz: multiAZ,
                backupRetentionPeriod: backupRetentionDays, subnetGroup: subnets, parameterGroup: settings, vpcSecurityGroups: [group],
                publiclyAccessible: false, tags: tags, file: file, line: line))
            let replicaInstances = (0..<min(max(replicas, 0), 5)).map { index in
                place(AWS.DBInstance(
                    keyed("replica", String(index + 1)), identifier: Expr("\(identifier)-replica-\(index + 1)"), replicaOf: primary,
                    instanceClass: Expr(replicaClass ?? instanceClass), parameterGroup: settings, vpcSecurityGroups: [group],
                    publiclyAccessible: false, tags: tags, file: file, line: line))
            }
            let connection: Expr<String> =
                #"{"engine":"postgres","username":"\#(username)","password":"\#(password.result)","host":"\#(primary.endpointAddress)","port":5432,"dbname":"\#(databaseName)"}"#
            let credentials = place(AWS.Secret(
                "credentials", secretName: Expr(secretName ?? "\(identifier)/database"), value: connection,
                description: Expr("PostgreSQL connection of \(identifier)"), tags: tags, file: file, line: line))
            return (group, subnets, settings, password, primary, replicaInstances, credentials)
        }
    }
}
