import Foundation
import Testing

/// Nothing is lost when a provider or strata itself dies mid-apply.
@Suite(.serialized) struct CrashTests {
    @Test func aProviderThatDiesFailsOnlyItsStepsAndTheNextApplyFinishes() throws {
        let cli = try StrataCLI()
        defer { cli.remove() }
        let stack = try cli.writeStack("Layers", ["main.swift": layeredStack(width: 10, layers: 4, latencyMs: 20)])
        let crashed = try cli.run(["apply", stack, "--auto-approve"], environment: ["STRATA_TEST_CRASH_AFTER_CREATES": "15"])
        #expect(crashed.status == 1, "\(crashed.output)")
        #expect(crashed.output.contains("provider test crashed"), "\(crashed.output)")
        let recorded = try cli.run(["state", "list", stack]).stdout.split(separator: "\n").count
        #expect(recorded >= 14 && recorded < 40, "the state holds the completed steps (\(recorded))")

        let finish = try cli.run(["apply", stack, "--auto-approve"])
        #expect(finish.status == 0, "\(finish.output)")
        #expect(try cli.run(["state", "list", stack]).stdout.split(separator: "\n").count == 40)
        #expect(cli.storedIDs().count == 40, "no orphan and no duplicate in the provider")
        #expect(try cli.run(["plan", stack, "--detailed-exitcode"]).status == 0)
    }

    @Test func strataKilledTwentyTimesMidApplyAlwaysConvergesWithNoOrphans() throws {
        let cli = try StrataCLI()
        defer { cli.remove() }
        let stack = try cli.writeStack("Layers200", ["main.swift": layeredStack(width: 20, layers: 10, latencyMs: 15)])
        #expect(try cli.run(["validate", stack]).status == 0)  // compile once, outside the kills
        var generator = SystemRandomNumberGenerator()
        for round in 0..<20 {
            // Alternate between building up and tearing down, so kills land in both.
            let command = round % 4 == 3 ? ["destroy", stack, "--auto-approve"] : ["apply", stack, "--auto-approve"]
            let process = try cli.start(command)
            usleep(UInt32.random(in: 30_000...400_000, using: &generator))
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
            usleep(100_000)  // the plugin finishes the calls it had and exits

            let converge = try cli.run(["apply", stack, "--auto-approve"])
            #expect(converge.status == 0, "round \(round): \(converge.output)")
            let addresses = try cli.run(["state", "list", stack]).stdout.split(separator: "\n")
            #expect(addresses.count == 200, "round \(round): state holds \(addresses.count)")
            let show = try cli.run(["show", stack, "--json"])
            let json = try JSONSerialization.jsonObject(with: Data(show.stdout.utf8)) as? [String: Any]
            let ids = Set(((json?["resources"] as? [[String: Any]]) ?? []).compactMap { $0["id"] as? String })
            #expect(cli.storedIDs() == ids, "round \(round): the provider holds exactly what the state knows")
        }
        #expect(try cli.run(["destroy", stack, "--auto-approve"]).status == 0)
        #expect(cli.storedIDs().isEmpty)
    }
}
