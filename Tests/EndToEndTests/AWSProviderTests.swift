import Foundation
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// `strata-provider-aws` through the built `strata`, against moto_server: every resource type
/// is created, changed in place, replaced and destroyed, and each step is checked with the
/// `aws` CLI (not with our own client). Skipped when moto_server or aws is not installed.
@Suite(.serialized) struct AWSProviderTests {
    static let moto = Executable.find("moto_server")
    static let awsCLI = Executable.find("aws")
    static var toolsMissing: String? {
        if moto == nil { return "moto_server is not installed (pip install 'moto[server]')" }
        if awsCLI == nil { return "the aws CLI is not installed (pip install awscli)" }
        return nil
    }

    /// One stack with all five types. `--var stage=two` changes an in-place attribute of each;
    /// `--var generation=2` changes a forces-replacement attribute of each.
    static let stack = #"""
        import Strata
        import StrataModel

        let run = Stack.variable("run", default: "x")
        let stage = Stack.variable("stage", default: "one", allowed: ["one", "two"])
        let generation = Stack.variable("generation", default: 1)
        let two = stage == "two"

        let vpc = GenericResource("aws_vpc", "main", inputs: [
            "cidrBlock": .string("10.\(generation).0.0/16"),
            "enableDnsHostnames": .bool(two),
            "tags": .map(["Name": .string("strata-e2e-\(stage)")]),
        ])
        let vpcID: Expr<String> = vpc.attribute("id")

        let subnet = GenericResource("aws_subnet", "a", inputs: [
            "cidrBlock": .string("10.\(generation).1.0/24"),
            "mapPublicIpOnLaunch": .bool(two),
        ])
        subnet.setRawInput("vpcId", vpcID.value)

        var ingress: [Value] = [.map(["protocol": "tcp", "fromPort": 443, "toPort": 443, "cidrBlocks": ["0.0.0.0/0"]])]
        if two { ingress.append(.map(["protocol": "tcp", "fromPort": 80, "toPort": 80, "cidrBlocks": ["10.0.0.0/8", "192.168.0.0/16"]])) }
        let web = GenericResource("aws_security_group", "web", inputs: [
            "name": .string("web-\(generation)"),
            "description": "web servers",
            "ingress": .list(ingress),
        ])
        web.setRawInput("vpcId", vpcID.value)

        let bucket = GenericResource("aws_s3_bucket", "logs", inputs: [
            "bucket": .string("strata-e2e-\(run)-\(generation)"),
            "versioning": .bool(two),
            "tags": .map(["team": .string(two ? "platform" : "web")]),
        ])

        let secret = GenericResource("aws_secretsmanager_secret", "db", inputs: [
            "name": .string("strata-e2e/\(run)/db-\(generation)"),
            "description": .string("database password (\(stage))"),
            "secretString": .secret(.string("pw-\(stage)")),
        ])

        Stack.output("vpc", vpcID)
        Stack.output("subnet", subnet.attribute("id") as Expr<String>)
        Stack.output("securityGroup", web.attribute("id") as Expr<String>)
        Stack.output("bucket", bucket.attribute("id") as Expr<String>)
        Stack.output("secret", secret.attribute("arn") as Expr<String>)
        """#

    @Test(.enabled(if: toolsMissing == nil, "needs moto_server and the aws CLI"))
    func everyResourceTypeCreatesUpdatesReplacesAndDestroys() throws {
        let server = try MotoServer.start(try #require(Self.moto))
        defer { server.stop() }
        let cli = try AWSTestCLI(endpoint: server.endpoint)
        defer { cli.strata.remove() }
        let stack = try cli.strata.writeStack("AWS", ["main.swift": Self.stack])
        let run = "r" + UUID().uuidString.prefix(6).lowercased()
        let vars = ["--var", "run=\(run)"]

        // 1. Create.
        let create = try cli.strata.run(["apply", stack, "--auto-approve"] + vars, environment: cli.env)
        #expect(create.status == 0, "\(create.output)")
        #expect(create.stdout.contains("5 created"), "\(create.output)")
        let first = try cli.outputs(stack, vars)
        let vpc = try #require(first["vpc"]), subnet = try #require(first["subnet"]), group = try #require(first["securityGroup"])
        let bucket = try #require(first["bucket"]), secret = try #require(first["secret"])
        #expect(bucket == "strata-e2e-\(run)-1")
        let checks1 = try cli.aws([
            ["ec2", "describe-vpcs", "--vpc-ids", vpc],
            ["ec2", "describe-vpc-attribute", "--vpc-id", vpc, "--attribute", "enableDnsHostnames"],
            ["ec2", "describe-subnets", "--subnet-ids", subnet],
            ["ec2", "describe-security-groups", "--group-ids", group],
            ["s3api", "get-bucket-versioning", "--bucket", bucket],
            ["s3api", "get-bucket-tagging", "--bucket", bucket],
            ["secretsmanager", "describe-secret", "--secret-id", secret],
            ["secretsmanager", "get-secret-value", "--secret-id", secret],
        ])
        let vpcJSON = try awsJSON(checks1[0])
        #expect(jsonPath(vpcJSON, "Vpcs", 0, "CidrBlock") as? String == "10.1.0.0/16")
        let vpcTags = awsTagMap(jsonPath(vpcJSON, "Vpcs", 0, "Tags"))
        #expect(vpcTags["Name"] == "strata-e2e-one")
        #expect(vpcTags["strata:address"] == "aws_vpc.main", "the engine's tags are on the resource")
        #expect(vpcTags["strata:token"]?.isEmpty == false)
        #expect(jsonPath(try awsJSON(checks1[1]), "EnableDnsHostnames", "Value") as? Bool == false)
        let subnetJSON = try awsJSON(checks1[2])
        #expect(jsonPath(subnetJSON, "Subnets", 0, "VpcId") as? String == vpc)
        #expect(jsonPath(subnetJSON, "Subnets", 0, "CidrBlock") as? String == "10.1.1.0/24")
        #expect(jsonPath(subnetJSON, "Subnets", 0, "MapPublicIpOnLaunch") as? Bool == false)
        let groupJSON = try awsJSON(checks1[3])
        #expect(jsonPath(groupJSON, "SecurityGroups", 0, "GroupName") as? String == "web-1")
        #expect(ports(jsonPath(groupJSON, "SecurityGroups", 0, "IpPermissions")) == [443])
        #expect(jsonPath(try awsJSON(checks1[4]), "Status") == nil, "versioning never enabled")
        #expect(awsTagMap(jsonPath(try awsJSON(checks1[5]), "TagSet"))["team"] == "web")
        let secretJSON = try awsJSON(checks1[6])
        #expect(jsonPath(secretJSON, "Description") as? String == "database password (one)")
        #expect(awsTagMap(jsonPath(secretJSON, "Tags"))["strata:address"] == "aws_secretsmanager_secret.db")
        #expect(jsonPath(try awsJSON(checks1[7]), "SecretString") as? String == "pw-one")

        // Nothing changed: the reads agree with what was written.
        let quiet = try cli.strata.run(["plan", stack, "--detailed-exitcode"] + vars, environment: cli.env)
        #expect(quiet.status == 0, "a plan right after apply shows no changes: \(quiet.output)")

        // 2. Change an in-place attribute of each: the plan shows five updates.
        let stageTwo = vars + ["--var", "stage=two"]
        let updatePlan = try cli.strata.run(["plan", stack, "--json"] + stageTwo, environment: cli.env)
        #expect(updatePlan.status == 0, "\(updatePlan.output)")
        #expect(actions(updatePlan.stdout) == [
            "update aws_s3_bucket.logs", "update aws_secretsmanager_secret.db", "update aws_security_group.web",
            "update aws_subnet.a", "update aws_vpc.main",
        ], "\(updatePlan.stdout)")
        let update = try cli.strata.run(["apply", stack, "--auto-approve"] + stageTwo, environment: cli.env)
        #expect(update.status == 0, "\(update.output)")
        #expect(update.stdout.contains("0 created, 5 updated, 0 destroyed"), "\(update.output)")
        let checks2 = try cli.aws([
            ["ec2", "describe-vpc-attribute", "--vpc-id", vpc, "--attribute", "enableDnsHostnames"],
            ["ec2", "describe-vpcs", "--vpc-ids", vpc],
            ["ec2", "describe-subnets", "--subnet-ids", subnet],
            ["ec2", "describe-security-groups", "--group-ids", group],
            ["s3api", "get-bucket-versioning", "--bucket", bucket],
            ["s3api", "get-bucket-tagging", "--bucket", bucket],
            ["secretsmanager", "describe-secret", "--secret-id", secret],
            ["secretsmanager", "get-secret-value", "--secret-id", secret],
        ])
        #expect(jsonPath(try awsJSON(checks2[0]), "EnableDnsHostnames", "Value") as? Bool == true)
        #expect(awsTagMap(jsonPath(try awsJSON(checks2[1]), "Vpcs", 0, "Tags"))["Name"] == "strata-e2e-two")
        #expect(jsonPath(try awsJSON(checks2[2]), "Subnets", 0, "MapPublicIpOnLaunch") as? Bool == true)
        #expect(ports(jsonPath(try awsJSON(checks2[3]), "SecurityGroups", 0, "IpPermissions")) == [80, 443])
        #expect(jsonPath(try awsJSON(checks2[4]), "Status") as? String == "Enabled")
        let bucketTags = awsTagMap(jsonPath(try awsJSON(checks2[5]), "TagSet"))
        #expect(bucketTags["team"] == "platform")
        #expect(bucketTags["strata:token"]?.isEmpty == false, "a tag update keeps the strata tags")
        #expect(jsonPath(try awsJSON(checks2[6]), "Description") as? String == "database password (two)")
        #expect(jsonPath(try awsJSON(checks2[7]), "SecretString") as? String == "pw-two")
        let settled = try cli.strata.run(["plan", stack, "--detailed-exitcode"] + stageTwo, environment: cli.env)
        #expect(settled.status == 0, "\(settled.output)")

        // 3. Change a forces-replacement attribute of each: the plan shows five replacements.
        let generationTwo = stageTwo + ["--var", "generation=2"]
        let replacePlan = try cli.strata.run(["plan", stack, "--json"] + generationTwo, environment: cli.env)
        #expect(replacePlan.status == 0, "\(replacePlan.output)")
        #expect(actions(replacePlan.stdout) == [
            "replace aws_s3_bucket.logs", "replace aws_secretsmanager_secret.db", "replace aws_security_group.web",
            "replace aws_subnet.a", "replace aws_vpc.main",
        ], "\(replacePlan.stdout)")
        let human = try cli.strata.run(["plan", stack] + generationTwo, environment: cli.env)
        #expect(human.stdout.contains("-/+"), "\(human.output)")
        let replace = try cli.strata.run(["apply", stack, "--auto-approve"] + generationTwo, environment: cli.env)
        #expect(replace.status == 0, "\(replace.output)")
        #expect(replace.stdout.contains("5 created, 0 updated, 5 destroyed"), "\(replace.output)")
        let second = try cli.outputs(stack, generationTwo)
        let newVPC = try #require(second["vpc"]), newBucket = try #require(second["bucket"]), newSecret = try #require(second["secret"])
        #expect(newVPC != vpc)
        #expect(newBucket == "strata-e2e-\(run)-2")
        let checks3 = try cli.aws([
            ["ec2", "describe-vpcs", "--vpc-ids", newVPC],
            ["ec2", "describe-vpcs", "--vpc-ids", vpc],
            ["s3api", "head-bucket", "--bucket", bucket],
            ["s3api", "get-bucket-versioning", "--bucket", newBucket],
            ["secretsmanager", "describe-secret", "--secret-id", secret],
            ["secretsmanager", "get-secret-value", "--secret-id", newSecret],
        ])
        #expect(jsonPath(try awsJSON(checks3[0]), "Vpcs", 0, "CidrBlock") as? String == "10.2.0.0/16")
        #expect(checks3[1].status != 0 && checks3[1].output.contains("InvalidVpcID.NotFound"), "the old VPC is gone: \(checks3[1].output)")
        #expect(checks3[2].status != 0, "the old bucket is gone: \(checks3[2].output)")
        #expect(jsonPath(try awsJSON(checks3[3]), "Status") as? String == "Enabled")
        #expect(checks3[4].status != 0 && checks3[4].output.contains("ResourceNotFoundException"), "the old secret is gone: \(checks3[4].output)")
        #expect(jsonPath(try awsJSON(checks3[5]), "SecretString") as? String == "pw-two")

        // 4. Destroy, and everything is gone.
        let destroy = try cli.strata.run(["destroy", stack, "--auto-approve"] + generationTwo, environment: cli.env)
        #expect(destroy.status == 0, "\(destroy.output)")
        #expect(destroy.stdout.contains("5 destroyed"), "\(destroy.output)")
        let gone = try cli.aws([
            ["ec2", "describe-vpcs", "--vpc-ids", newVPC],
            ["ec2", "describe-subnets", "--subnet-ids", try #require(second["subnet"])],
            ["ec2", "describe-security-groups", "--group-ids", try #require(second["securityGroup"])],
            ["s3api", "head-bucket", "--bucket", newBucket],
            ["secretsmanager", "describe-secret", "--secret-id", newSecret],
        ])
        for (result, code) in zip(gone, ["InvalidVpcID.NotFound", "InvalidSubnetID.NotFound", "InvalidGroup.NotFound", "404", "ResourceNotFoundException"]) {
            #expect(result.status != 0 && result.output.contains(code), "expected \(code): \(result.output)")
        }
    }

    @Test(.enabled(if: toolsMissing == nil, "needs moto_server and the aws CLI"))
    func checkRejectsBadInputsBeforeAnyCall() throws {
        let cli = try AWSTestCLI(endpoint: "http://127.0.0.1:9")  // nothing listens: check must not call AWS
        defer { cli.strata.remove() }
        let stack = try cli.strata.writeStack("BadAWS", ["main.swift": """
            import Strata
            import StrataModel

            let vpc = GenericResource("aws_vpc", "main", inputs: ["cidrBlock": "10.0.0.1/8"])
            let bucket = GenericResource("aws_s3_bucket", "logs", inputs: ["bucket": "Not_A_Bucket"])
            let web = GenericResource("aws_security_group", "web", inputs: ["name": "web", "ingress": [.map(["protocol": "tcp", "cidrBlocks": ["0.0.0.0/0"]])]])
            """])
        let plan = try cli.strata.run(["plan", stack], environment: cli.env)
        #expect(plan.status == 1, "\(plan.output)")
        #expect(plan.output.contains("/8 netmask; AWS allows /16 to /28"), "\(plan.output)")
        #expect(plan.output.contains("may hold only lower-case letters"), "\(plan.output)")
        #expect(plan.output.contains("tcp rules need 'fromPort' and 'toPort'"), "\(plan.output)")
    }
}

/// `strata` and `aws` with the moto endpoint and test credentials, and no user AWS files.
struct AWSTestCLI {
    var strata: StrataCLI
    var env: [String: String]

    init(endpoint: String) throws {
        strata = try StrataCLI()
        let none = strata.directory.appendingPathComponent("no-aws-files").path
        env = [
            "AWS_ENDPOINT_URL": endpoint, "AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing",
            "AWS_REGION": "us-east-1", "AWS_DEFAULT_REGION": "us-east-1",
            "AWS_CONFIG_FILE": none, "AWS_SHARED_CREDENTIALS_FILE": none, "AWS_PAGER": "",
        ]
        strata.environment.removeValue(forKey: "AWS_PROFILE")
        strata.environment.removeValue(forKey: "AWS_SESSION_TOKEN")
    }

    /// The stack's outputs as strings.
    func outputs(_ stack: String, _ vars: [String]) throws -> [String: String] {
        let result = try strata.run(["output", stack, "--json"] + vars, environment: env)
        let object = try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any] ?? [:]
        return object.compactMapValues { $0 as? String }
    }

    /// Runs `aws …` commands at once (each takes about a second to start) and returns them in
    /// order. Output goes to files, so no thread waits on a pipe.
    func aws(_ commands: [[String]]) throws -> [StrataCLI.Result] {
        let executable = try #require(AWSProviderTests.awsCLI)
        let environment = strata.environment.merging(env) { _, new in new }
        var running: [(Process, URL, URL)] = []
        for (index, command) in commands.enumerated() {
            let out = strata.directory.appendingPathComponent("aws-\(UUID().uuidString.prefix(6))-\(index).out")
            let err = out.deletingPathExtension().appendingPathExtension("err")
            FileManager.default.createFile(atPath: out.path, contents: nil)
            FileManager.default.createFile(atPath: err.path, contents: nil)
            let process = Process()
            process.executableURL = executable
            process.arguments = ["--output", "json"] + command
            process.environment = environment
            process.standardOutput = try FileHandle(forWritingTo: out)
            process.standardError = try FileHandle(forWritingTo: err)
            process.standardInput = FileHandle.nullDevice
            try process.run()
            running.append((process, out, err))
        }
        return running.map { process, out, err in
            process.waitUntilExit()
            let stdout = (try? String(contentsOf: out, encoding: .utf8)) ?? ""
            let stderr = (try? String(contentsOf: err, encoding: .utf8)) ?? ""
            return StrataCLI.Result(status: process.terminationStatus, stdout: stdout, stderr: stderr)
        }
    }
}

/// moto_server on a free port of 127.0.0.1, stopped (by its pid) at the end.
struct MotoServer {
    let process: Process
    let port: Int
    var endpoint: String { "http://127.0.0.1:\(port)" }

    static func start(_ executable: URL) throws -> MotoServer {
        let port = try freePort()
        let process = Process()
        process.executableURL = executable
        process.arguments = ["-H", "127.0.0.1", "-p", String(port)]
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        process.standardInput = FileHandle.nullDevice
        try process.run()
        let server = MotoServer(process: process, port: port)
        let deadline = Date().addingTimeInterval(20)
        while Date() < deadline {
            if canConnect(port) { return server }
            if !process.isRunning { break }
            usleep(100_000)
        }
        server.stop()
        throw MotoError(message: "moto_server did not start listening on 127.0.0.1:\(port) within 20 s")
    }

    /// SIGTERM, then SIGKILL: moto_server (werkzeug) does not always exit on SIGTERM.
    func stop() {
        guard process.isRunning else { return }
        process.terminate()
        let deadline = Date().addingTimeInterval(2)
        while process.isRunning && Date() < deadline { usleep(50_000) }
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
        process.waitUntilExit()
    }

    struct MotoError: Error, CustomStringConvertible {
        var message: String
        var description: String { message }
    }

    static func freePort() throws -> Int {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw MotoError(message: "socket() failed") }
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = 0
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) == 0 && getsockname(fd, $0, &length) == 0 }
        }
        guard bound else { throw MotoError(message: "could not find a free port") }
        return Int(UInt16(bigEndian: address.sin_port))
    }

    static func canConnect(_ port: Int) -> Bool {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { return false }
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        return withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) == 0 }
        }
    }
}

enum Executable {
    /// The executable `name` on PATH, if any.
    static func find(_ name: String) -> URL? {
        let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/local/bin:/usr/bin:/bin"
        for dir in path.split(separator: ":") {
            let candidate = URL(fileURLWithPath: String(dir)).appendingPathComponent(name)
            if FileManager.default.isExecutableFile(atPath: candidate.path) { return candidate }
        }
        return nil
    }
}

// MARK: Reading the aws CLI's JSON

/// The JSON an `aws` command printed (it must have succeeded).
func awsJSON(_ result: StrataCLI.Result) throws -> Any {
    guard result.status == 0 else { throw AWSCLIFailure(output: result.output) }
    // An empty answer (get-bucket-versioning of a bucket never versioned) prints nothing.
    if result.stdout.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty { return [String: Any]() }
    return try JSONSerialization.jsonObject(with: Data(result.stdout.utf8))
}

private struct AWSCLIFailure: Error, CustomStringConvertible {
    var output: String
    var description: String { "aws failed: \(output)" }
}

/// `jsonPath(json, "Vpcs", 0, "CidrBlock")`
func jsonPath(_ value: Any?, _ steps: Any...) -> Any? {
    var current = value
    for step in steps {
        if let key = step as? String { current = (current as? [String: Any])?[key] }
        else if let index = step as? Int, let list = current as? [Any], index < list.count { current = list[index] }
        else { return nil }
    }
    return current
}

/// `[{"Key": k, "Value": v}]` → `[k: v]`
func awsTagMap(_ value: Any?) -> [String: String] {
    var out: [String: String] = [:]
    for tag in value as? [[String: Any]] ?? [] {
        if let key = tag["Key"] as? String { out[key] = tag["Value"] as? String ?? "" }
    }
    return out
}

/// The FromPort of each permission, sorted.
private func ports(_ value: Any?) -> [Int] {
    ((value as? [[String: Any]]) ?? []).compactMap { $0["FromPort"] as? Int }.sorted()
}

/// `strata plan --json` → `["update aws_vpc.main", …]`, sorted, no-ops left out.
private func actions(_ planJSON: String) -> [String] {
    let object = (try? JSONSerialization.jsonObject(with: Data(planJSON.utf8))) as? [String: Any]
    let steps = object?["steps"] as? [[String: Any]] ?? []
    return steps.compactMap { step -> String? in
        guard let action = step["action"] as? String, action != "noop" else { return nil }
        return "\(action) \(step["address"] ?? "")"
    }.sorted()
}

/// The plugin on its own, line by line: create with a token, recover by that token (the
/// `strata:token` tag), import by id, delete, read says gone.
@Suite(.serialized) struct AWSProviderProtocolTests {
    @Test(.enabled(if: AWSProviderTests.toolsMissing == nil, "needs moto_server"))
    func recoverFindsWhatACreateMadeAndImportReadsItBack() throws {
        let server = try MotoServer.start(try #require(AWSProviderTests.moto))
        defer { server.stop() }
        let plugin = try PluginPipe(StrataCLI.buildDirectory.appendingPathComponent("strata-provider-aws"), environment: [
            "AWS_ENDPOINT_URL": server.endpoint, "AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing",
            "AWS_REGION": "us-east-1", "AWS_CONFIG_FILE": "/nonexistent", "AWS_SHARED_CREDENTIALS_FILE": "/nonexistent",
        ])
        defer { plugin.close() }
        _ = try plugin.call("initialize", #"{"protocolVersion":1,"engineVersion":"test"}"#)
        _ = try plugin.call("configure", #"{"config":{}}"#)
        let cases: [(type: String, inputs: String, idKey: String)] = [
            ("aws_vpc", #"{"cidrBlock":"10.9.0.0/16"}"#, "id"),
            ("aws_s3_bucket", #"{"bucket":"strata-recover-test"}"#, "id"),
            ("aws_secretsmanager_secret", #"{"name":"strata/recover","secretString":"s"}"#, "id"),
        ]
        for (index, c) in cases.enumerated() {
            let token = "tok\(index)abcdef"
            let tags = #"{"strata:stack":"t","strata:instance":"default","strata:address":"\#(c.type).x","strata:token":"\#(token)"}"#
            let created = try plugin.call("create", #"{"type":"\#(c.type)","inputs":\#(c.inputs),"token":"\#(token)","tags":\#(tags)}"#)
            let id = try #require((created["result"] as? [String: Any])?["id"] as? String, "\(created)")
            let again = try plugin.call("create", #"{"type":"\#(c.type)","inputs":\#(c.inputs),"token":"\#(token)","tags":\#(tags)}"#)
            #expect((again["result"] as? [String: Any])?["id"] as? String == id, "create is idempotent by token: \(again)")
            let recovered = try plugin.call("recover", #"{"type":"\#(c.type)","token":"\#(token)","inputs":\#(c.inputs)}"#)
            #expect((recovered["result"] as? [String: Any])?["found"] as? Bool == true, "\(recovered)")
            #expect((recovered["result"] as? [String: Any])?["id"] as? String == id)
            let other = try plugin.call("recover", #"{"type":"\#(c.type)","token":"another","inputs":\#(c.inputs)}"#)
            #expect((other["result"] as? [String: Any])?["found"] as? Bool == false, "\(other)")
            let imported = try plugin.call("import", #"{"type":"\#(c.type)","id":"\#(id)"}"#)
            #expect(((imported["result"] as? [String: Any])?["outputs"] as? [String: Any])?["id"] as? String == id, "\(imported)")
            _ = try plugin.call("delete", #"{"type":"\#(c.type)","id":"\#(id)","inputs":{},"outputs":{}}"#)
            let read = try plugin.call("read", #"{"type":"\#(c.type)","id":"\#(id)","inputs":{},"outputs":{}}"#)
            #expect((read["result"] as? [String: Any])?["exists"] as? Bool == false, "\(read)")
        }
        let missing = try plugin.call("import", #"{"type":"aws_vpc","id":"vpc-00000000"}"#)
        #expect(((missing["error"] as? [String: Any])?["data"] as? [String: Any])?["kind"] as? String == "notFound", "\(missing)")
    }
}

/// A plugin process spoken to one request at a time.
final class PluginPipe {
    let process = Process()
    let input = Pipe(), output = Pipe()
    var buffer = Data()
    var nextID = 1

    init(_ executable: URL, environment: [String: String]) throws {
        process.executableURL = executable
        var env = ProcessInfo.processInfo.environment.merging(environment) { _, new in new }
        env["STRATA_PLUGIN_PROTOCOL"] = "1"
        env.removeValue(forKey: "AWS_PROFILE")
        process.environment = env
        process.standardInput = input
        process.standardOutput = output
        process.standardError = FileHandle.nullDevice
        try process.run()
    }

    /// Sends a request and returns its answer (progress notifications skipped).
    func call(_ method: String, _ params: String) throws -> [String: Any] {
        let id = nextID
        nextID += 1
        input.fileHandleForWriting.write(Data(#"{"jsonrpc":"2.0","id":\#(id),"method":"\#(method)","params":\#(params)}"#.utf8 + [0x0A]))
        while true {
            while let newline = buffer.firstIndex(of: 0x0A) {
                let line = buffer[buffer.startIndex..<newline]
                buffer = Data(buffer[(newline + 1)...])
                if let message = try JSONSerialization.jsonObject(with: line) as? [String: Any], message["id"] as? Int == id {
                    return message
                }
            }
            let chunk = output.fileHandleForReading.availableData
            if chunk.isEmpty { throw MotoServer.MotoError(message: "the plugin closed its output during \(method)") }
            buffer.append(chunk)
        }
    }

    func close() {
        try? input.fileHandleForWriting.close()
        process.waitUntilExit()
    }
}
