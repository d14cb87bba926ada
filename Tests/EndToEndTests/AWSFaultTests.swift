import Foundation
import Testing

/// Throttling and 5xx storms: `Tests/Support/fault-proxy.py` sits between the AWS provider and
/// moto_server and answers 20 % of the calls itself with the errors an overloaded AWS endpoint
/// sends (Throttling, RequestLimitExceeded, InternalError, SlowDown, ThrottlingException). The
/// provider retries them with backoff and the apply, the next plan and the destroy all converge.
@Suite(.serialized) struct AWSFaultTests {
    static let proxyScript = StrataCLI.packageRoot.appendingPathComponent("Tests/Support/fault-proxy.py")

    @Test(.enabled(if: AWSProviderTests.toolsMissing == nil, "needs moto_server and the aws CLI"))
    func throttlingAnd5xxAreRetriedAndTheApplyConverges() throws {
        let server = try MotoServer.start(try #require(AWSProviderTests.moto))
        defer { server.stop() }
        let cli = try AWSTestCLI(endpoint: server.endpoint)
        defer { cli.strata.remove() }
        let report = cli.strata.directory.appendingPathComponent("faults.json")
        let proxy = try FaultProxy.start(script: Self.proxyScript, upstream: server.port, rate: 0.2, report: report)
        defer { proxy.stop() }
        // Strata goes through the proxy; the aws CLI checks moto directly.
        var through = cli.env
        through["AWS_ENDPOINT_URL"] = proxy.endpoint

        let stack = try cli.strata.writeStack("AWSFaults", ["main.swift": AWSProviderTests.stack])
        let run = "f" + UUID().uuidString.prefix(6).lowercased()
        let vars = ["--var", "run=\(run)"]
        let apply = try cli.strata.run(["apply", stack, "--auto-approve"] + vars, environment: through)
        #expect(apply.status == 0, "\(apply.output)")
        #expect(apply.stdout.contains("5 created"), "\(apply.output)")
        let afterApply = try FaultProxy.counts(report)
        #expect(afterApply.faulted > 0, "the proxy injected faults during the apply: \(afterApply)")

        let outputs = try cli.outputs(stack, vars)
        let checks = try cli.aws([
            ["ec2", "describe-vpcs", "--vpc-ids", outputs["vpc"] ?? "?"],
            ["s3api", "head-bucket", "--bucket", outputs["bucket"] ?? "?"],
            ["secretsmanager", "get-secret-value", "--secret-id", outputs["secret"] ?? "?"],
        ])
        #expect(checks.allSatisfy { $0.status == 0 }, "everything exists in moto: \(checks.map(\.output))")
        #expect(jsonPath(try awsJSON(checks[2]), "SecretString") as? String == "pw-one")

        let quiet = try cli.strata.run(["plan", stack, "--detailed-exitcode"] + vars, environment: through)
        #expect(quiet.status == 0, "the reads (retried too) agree with what was written: \(quiet.output)")

        let destroy = try cli.strata.run(["destroy", stack, "--auto-approve"] + vars, environment: through)
        #expect(destroy.status == 0, "\(destroy.output)")
        #expect(destroy.stdout.contains("5 destroyed"), "\(destroy.output)")
        let total = try FaultProxy.counts(report)
        #expect(total.faulted > afterApply.faulted, "faults were injected in the plan and destroy too: \(total)")
        let share = Double(total.faulted) / Double(total.faulted + total.forwarded)
        #expect(share > 0.1, "about a fifth of the calls failed: \(total)")
        let gone = try cli.aws([
            ["ec2", "describe-vpcs", "--vpc-ids", outputs["vpc"] ?? "?"],
            ["s3api", "head-bucket", "--bucket", outputs["bucket"] ?? "?"],
            ["secretsmanager", "describe-secret", "--secret-id", outputs["secret"] ?? "?"],
        ])
        #expect(gone.allSatisfy { $0.status != 0 }, "nothing is left in moto: \(gone.map(\.output))")
    }
}

/// `fault-proxy.py` on a free port, in front of moto_server.
struct FaultProxy {
    let process: Process
    let port: Int
    var endpoint: String { "http://127.0.0.1:\(port)" }

    static func start(script: URL, upstream: Int, rate: Double, report: URL) throws -> FaultProxy {
        let python = try #require(Executable.find("python3"), "python3 is needed for the fault proxy")
        let port = try MotoServer.freePort()
        let process = Process()
        process.executableURL = python
        process.arguments = [script.path, "--port", String(port), "--upstream", "127.0.0.1:\(upstream)",
                             "--rate", String(rate), "--report", report.path]
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        process.standardInput = FileHandle.nullDevice
        try process.run()
        let proxy = FaultProxy(process: process, port: port)
        let deadline = Date().addingTimeInterval(10)
        while Date() < deadline {
            if MotoServer.canConnect(port) { return proxy }
            if !process.isRunning { break }
            usleep(50_000)
        }
        proxy.stop()
        throw MotoServer.MotoError(message: "the fault proxy did not start on 127.0.0.1:\(port)")
    }

    /// SIGKILL: the test runner's blocked signals are inherited, so SIGTERM would wait.
    func stop() {
        guard process.isRunning else { return }
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
    }

    static func counts(_ report: URL) throws -> (forwarded: Int, faulted: Int) {
        let object = try JSONSerialization.jsonObject(with: Data(contentsOf: report)) as? [String: Int] ?? [:]
        return (object["forwarded"] ?? 0, object["faulted"] ?? 0)
    }
}
