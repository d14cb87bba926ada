import Foundation
import StrataTestSupport
import Testing

/// Issue 6's acceptance at fleet scale: `Stacks/Tenant` (AWS on moto_server plus the
/// PostgreSQL provider on the local server) for many tenants, with the state on PostgreSQL:
/// applied with `--concurrency 16`, some removed with `--prune`, some changed, then drift swept
/// across all of them. Every outcome is checked with the `aws` CLI and `psql`, not only with
/// Strata. The suite runs a 16-tenant fleet; `STRATA_E2E_LARGE=1` runs the 200-tenant one
/// (`scripts/fleet-acceptance` runs just that and prints the times).
@Suite(.serialized, .enabled(if: PostgresServer.isAvailable && AWSProviderTests.toolsMissing == nil,
                             "needs moto_server, the aws CLI and Debian's postgresql"))
struct FleetAcceptanceTests {
    /// How big a fleet, and how many of it to prune, change and drift.
    struct Fleet: Sendable, CustomStringConvertible {
        var tenants: Int
        var pruned: Int
        var changed: Int
        var drifted: Int
        var description: String { "\(tenants) tenants" }
    }

    static let small = Fleet(tenants: 16, pruned: 2, changed: 2, drifted: 3)
    static let large = Fleet(tenants: 200, pruned: 10, changed: 5, drifted: 5)

    @Test func sixteenTenantsApplyPruneChangeAndDrift() throws {
        try run(Self.small)
    }

    @Test(.enabled(if: ProcessInfo.processInfo.environment["STRATA_E2E_LARGE"] != nil, "set STRATA_E2E_LARGE=1 to run the 200-tenant fleet"))
    func twoHundredTenantsApplyPruneChangeAndDrift() throws {
        try run(Self.large)
    }

    /// Prints a phase's time, for scripts/fleet-acceptance (not asserted: timings belong in bench/).
    func timed<T>(_ phase: String, _ fleet: Fleet, _ body: () throws -> T) rethrows -> T {
        let started = Date()
        defer { print("fleet-acceptance \(fleet.tenants) \(phase): \(String(format: "%.1f", Date().timeIntervalSince(started))) s") }
        return try body()
    }

    func run(_ fleet: Fleet) throws {
        let server = try PostgresServer.shared()
        let moto = try MotoServer.start(try #require(AWSProviderTests.moto))
        defer { moto.stop() }
        var aws = try AWSTestCLI(endpoint: moto.endpoint)
        defer { aws.strata.remove() }
        // Shared state seals secrets with the key every machine using it sets.
        aws.strata.environment["STRATA_STATE_KEY"] = (0..<32).map { _ in String(format: "%02x", UInt8.random(in: 0...255)) }.joined()
        let prefix = "f\(UUID().uuidString.prefix(5).lowercased())"
        let state = server.url(schema: "\(prefix)_state")
        let stack = StrataCLI.packageRoot.appendingPathComponent("Stacks/Tenant").path
        let ids = (1...fleet.tenants).map { String(format: "t%03d", $0) }
        func database(_ id: String) -> String { "\(prefix)_\(id)" }
        defer {
            for id in ids {
                _ = try? server.psql("DROP DATABASE IF EXISTS \(database(id)) WITH (FORCE)")
                _ = try? server.psql("DROP ROLE IF EXISTS \(database(id))")
            }
            _ = try? server.psql("DROP SCHEMA IF EXISTS \(prefix)_state CASCADE")
        }
        // Sizes cycle small, medium, large; `large` lists the tenants changed to large later.
        func size(_ index: Int) -> String { ["small", "medium", "large"][index % 3] }
        func yaml(_ tenants: [String], large: Set<String> = []) throws -> String {
            var text = "tenants:\n"
            for id in tenants {
                let index = try #require(ids.firstIndex(of: id))
                let size = large.contains(id) ? "large" : size(index)
                text += "  - id: \(id)\n    vars: {size: \(size), region: us-east-1, namePrefix: \(prefix), postgres: \"\(server.url())\"}\n"
            }
            return text
        }
        let file = aws.strata.directory.appendingPathComponent("tenants.yaml")
        let common = ["--tenants", file.path, "--state", state]
        func strata(_ arguments: [String]) throws -> StrataCLI.Result {
            try aws.strata.run(arguments, environment: aws.env)
        }
        func liveBuckets() throws -> [String] {
            let listed = try aws.aws([["s3api", "list-buckets"]])[0]
            return (jsonPath(try awsJSON(listed), "Buckets") as? [[String: Any]] ?? [])
                .compactMap { $0["Name"] as? String }.filter { $0.hasPrefix("\(prefix)-") }.sorted()
        }
        func liveSecrets() throws -> [String] {
            let listed = try aws.aws([["secretsmanager", "list-secrets"]])[0]
            return (jsonPath(try awsJSON(listed), "SecretList") as? [[String: Any]] ?? [])
                .filter { $0["DeletedDate"] == nil }.compactMap { $0["Name"] as? String }.filter { $0.hasPrefix("\(prefix)/") }.sorted()
        }
        func databases() throws -> [String] {
            try server.psql("SELECT datname FROM pg_database WHERE datname LIKE '\(prefix)\\_%' ORDER BY 1").split(separator: "\n").map(String.init)
        }
        func roles() throws -> [String] {
            try server.psql("SELECT rolname FROM pg_roles WHERE rolname LIKE '\(prefix)\\_%' AND rolname <> '\(prefix)_state' ORDER BY 1").split(separator: "\n").map(String.init)
        }

        // 1. Every tenant applied, 16 at once.
        try yaml(ids).write(to: file, atomically: true, encoding: .utf8)
        let apply = try timed("apply", fleet) { try strata(["tenants", "apply", stack] + common + ["--concurrency", "16", "--auto-approve"]) }
        #expect(apply.status == 0, "\(apply.output.suffix(3000))")
        #expect(apply.stdout.contains("Tenants: \(fleet.tenants) succeeded."), "\(apply.stdout.suffix(2000))")
        try #require(apply.status == 0)
        for id in ids { #expect(apply.stdout.contains("✓ \(id): 5 created, 0 updated, 0 destroyed"), "\(id)") }
        #expect(try liveBuckets() == ids.map { "\(prefix)-\($0)-data" })
        #expect(try liveSecrets() == ids.map { "\(prefix)/\($0)/db-password" })
        #expect(try databases() == ids.map(database))
        #expect(try roles() == ids.map(database))
        // Owners, limits and tags carry each tenant (a sample: the first of each size).
        #expect(try server.psql("SELECT count(*) FROM pg_database d WHERE d.datname LIKE '\(prefix)\\_%' AND pg_get_userbyid(d.datdba) <> d.datname") == "0")
        for index in 0..<3 {
            let id = ids[index]
            let tags = awsTagMap(jsonPath(try awsJSON(try aws.aws([["s3api", "get-bucket-tagging", "--bucket", "\(prefix)-\(id)-data"]])[0]), "TagSet"))
            #expect(tags["tenant"] == id && tags["size"] == size(index) && tags["strata:instance"] == "tenant/\(id)", "\(tags)")
            let limit = ["small": "10", "medium": "50", "large": "200"][size(index)]!
            #expect(try server.psql("SELECT datconnlimit FROM pg_database WHERE datname = '\(database(id))'") == limit)
        }
        let plan = try timed("plan (no changes)", fleet) { try strata(["tenants", "plan", stack] + common + ["--concurrency", "16", "--detailed-exitcode"]) }
        #expect(plan.status == 0, "\(plan.output.suffix(2000))")

        // 2. The first ones leave the file: kept without --prune, destroyed with it.
        let removed = Array(ids.prefix(fleet.pruned))
        var remaining = Array(ids.dropFirst(fleet.pruned))
        try yaml(remaining).write(to: file, atomically: true, encoding: .utf8)
        let pruned = try timed("prune", fleet) { try strata(["tenants", "apply", stack] + common + ["--concurrency", "16", "--prune", "--auto-approve"]) }
        #expect(pruned.status == 0, "\(pruned.output.suffix(3000))")
        for id in removed { #expect(pruned.stdout.contains("✓ \(id): 0 created, 0 updated, 5 destroyed"), "\(id): \(pruned.stdout.suffix(2000))") }
        #expect(pruned.stdout.contains("Tenants: \(fleet.tenants) succeeded."), "\(pruned.stdout.suffix(2000))")
        #expect(try liveBuckets() == remaining.map { "\(prefix)-\($0)-data" })
        #expect(try liveSecrets() == remaining.map { "\(prefix)/\($0)/db-password" })
        #expect(try databases() == remaining.map(database))
        #expect(try roles() == remaining.map(database))

        // 3. Some small tenants become large: only they change (bucket versioning, the secret's
        // description, connection limits); the others plan nothing.
        let changed = Array(remaining.filter { size(ids.firstIndex(of: $0)!) == "small" }.prefix(fleet.changed))
        try #require(changed.count == fleet.changed)
        try yaml(remaining, large: Set(changed)).write(to: file, atomically: true, encoding: .utf8)
        let change = try timed("change", fleet) { try strata(["tenants", "apply", stack] + common + ["--concurrency", "16", "--auto-approve"]) }
        #expect(change.status == 0, "\(change.output.suffix(3000))")
        let summary = change.stdout.split(separator: "\n")
        for id in remaining {
            let line = summary.first { $0.hasPrefix("✓ \(id):") }.map(String.init) ?? "(missing)"
            if changed.contains(id) {
                #expect(line.contains("0 created") && !line.contains(" 0 updated") && line.contains("0 destroyed"), "\(line)")
            } else {
                #expect(line.contains("0 created, 0 updated, 0 destroyed"), "\(line)")
            }
        }
        for id in changed {
            let versioning = try awsJSON(try aws.aws([["s3api", "get-bucket-versioning", "--bucket", "\(prefix)-\(id)-data"]])[0])
            #expect(jsonPath(versioning, "Status") as? String == "Enabled", "\(id)")
            #expect(try server.psql("SELECT datconnlimit FROM pg_database WHERE datname = '\(database(id))'") == "200")
            #expect(try server.psql("SELECT rolconnlimit FROM pg_roles WHERE rolname = '\(database(id))'") == "200")
        }
        let unchanged = try #require(remaining.first { !changed.contains($0) && size(ids.firstIndex(of: $0)!) == "small" })
        #expect(try server.psql("SELECT datconnlimit FROM pg_database WHERE datname = '\(database(unchanged))'") == "10")

        // 4. Out-of-band changes to a few tenants, by hand with the aws CLI and psql; a sweep
        // of all finds exactly those.
        remaining.sort()
        let drifted = Array(remaining.suffix(fleet.drifted))
        for (index, id) in drifted.enumerated() {
            switch index % 3 {
            case 0:
                _ = try server.psql("ALTER ROLE \(database(id)) CONNECTION LIMIT 3")
            case 1:
                let tagged = try aws.aws([["s3api", "put-bucket-tagging", "--bucket", "\(prefix)-\(id)-data",
                                           "--tagging", "TagSet=[{Key=tenant,Value=someone-else}]"]])[0]
                #expect(tagged.status == 0, "\(tagged.output)")
            default:
                let described = try aws.aws([["secretsmanager", "update-secret", "--secret-id", "\(prefix)/\(id)/db-password",
                                              "--description", "edited by hand"]])[0]
                #expect(described.status == 0, "\(described.output)")
            }
        }
        let sweep = try timed("drift sweep", fleet) { try strata(["drift", "--all", "--state", state, "--json", "--concurrency", "8"]) }
        #expect(sweep.status == 2, "\(sweep.stderr.suffix(3000))")
        let reports = try #require(try JSONSerialization.jsonObject(with: Data(sweep.stdout.utf8)) as? [[String: Any]], "\(sweep.output.suffix(2000))")
        let status = Dictionary(reports.map { ($0["instance"] as? String ?? "?", $0["status"] as? String ?? "?") }, uniquingKeysWith: { a, _ in a })
        let errors = reports.filter { $0["status"] as? String == "error" }.prefix(3).map { "\($0["instance"] ?? ""): \($0["errors"] ?? "")" }
        #expect(errors.isEmpty, "\(errors)")
        #expect(status.count == ids.count, "\(status.keys.sorted())")
        // A pruned tenant is swept too: clean means nothing tagged for it was left behind.
        for id in ids {
            #expect(status["tenant/\(id)"] == (drifted.contains(id) ? "drift" : "clean"), "\(id): \(status["tenant/\(id)"] ?? "not swept")")
        }
        let rows = try TenantsTests.jsonArray(try strata(["tenants", "status", "--json", "--state", state]).stdout)
        #expect(rows.count == fleet.tenants, "pruned tenants stay listed as destroyed")
        for row in rows {
            let id = row["tenant"] as? String ?? ""
            if removed.contains(id) {
                #expect(row["state"] as? String == "destroyed", "\(row)")
            } else {
                #expect(jsonPath(row, "drift", "status") as? String == (drifted.contains(id) ? "drift" : "clean"), "\(row)")
                #expect(jsonPath(row, "lastRun", "result") as? String == "succeeded", "\(row)")
            }
        }
        #expect(try server.psql("SELECT count(*) FROM \(prefix)_state.locks") == "0", "no lock left behind")
    }
}
