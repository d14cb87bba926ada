import Foundation
import StrataTestSupport
import Testing

/// The `postgresql` provider through the built `strata`, against a PostgreSQL server the tests
/// start (Debian's binaries); what it did is checked with `psql`.
@Suite(.serialized, .enabled(if: PostgresServer.isAvailable, "needs Debian's postgresql package (scripts/setup)"))
struct PostgresProviderTests {
    /// A database, two roles (one logs in with a random password and is a member of the
    /// other), a schema whose name holds quotes and a space, grants on the database, the schema
    /// and (optionally) the tables of `public`, and an extension. Names come from variables.
    static let stack = #"""
        import Strata
        import StrataPostgres
        import StrataRandom

        let url = Stack.variable("url", default: "")
        let suffix = Stack.variable("suffix", default: "x")
        let dbName = Stack.variable("dbName", default: "app")
        let limit = Stack.variable("limit", default: 5)
        let schemaPrivileges = Stack.variable("schemaPrivileges", default: "USAGE")
        let tablePrivileges = Stack.variable("tablePrivileges", default: "")

        Postgres.provider(url: Expr(url))
        let password = RandomPassword("app", length: 24, special: true)
        let reader = Postgres.Role("reader", name: Expr("reader_\(suffix)"))
        let app = Postgres.Role("app", name: Expr("app_o'brien\"; DROP ROLE postgres; --\(suffix)"), login: true,
                                password: password.result, connectionLimit: Expr(limit), memberOf: [reader.name])
        let db = Postgres.Database("app", name: Expr(dbName), encoding: "utf8", template: "template0", connectionLimit: Expr(limit))
        let schema = Postgres.Schema("data", in: db, name: "data \"v1\".x", dropCascade: true)
        Postgres.Grant("connect", database: db.name, role: app.name, on: .database, privileges: ["connect", "TEMP"])
        Postgres.Grant("usage", database: db.name, role: app.name, on: .schema, schema: schema.name,
                       privileges: schemaPrivileges.split(separator: ",").map(String.init))
        if !tablePrivileges.isEmpty {
            Postgres.Grant("tables", database: db.name, role: app.name, on: .table, schema: "public",
                           privileges: tablePrivileges.split(separator: ",").map(String.init))
        }
        Postgres.Extension("crypto", database: db.name, name: "pgcrypto")
        Stack.output("password", password.result)
        Stack.output("role", app.name)
        """#

    /// The login role's name, as the stack makes it.
    static func appRole(_ suffix: String) -> String { "app_o'brien\"; DROP ROLE postgres; --\(suffix)" }

    /// `'text'` for psql.
    static func literal(_ text: String) -> String { "'" + text.replacingOccurrences(of: "'", with: "''") + "'" }

    /// Lets `role` log in over TCP only with its password (the test server trusts everyone
    /// else); undone by the returned closure.
    static func requirePassword(_ server: PostgresServer, role: String) throws -> () -> Void {
        let file = URL(fileURLWithPath: server.dataDirectory).appendingPathComponent("pg_hba.conf")
        let original = try String(contentsOf: file, encoding: .utf8)
        let quoted = "\"" + role.replacingOccurrences(of: "\"", with: "\"\"") + "\""
        try ("host all \(quoted) 127.0.0.1/32 scram-sha-256\n" + original).write(to: file, atomically: false, encoding: .utf8)
        try server.psql("SELECT pg_reload_conf()")
        return {
            try? original.write(to: file, atomically: false, encoding: .utf8)
            _ = try? server.psql("SELECT pg_reload_conf()")
        }
    }

    /// Runs `SELECT 1` as `role` with `password` over TCP; true when it logged in.
    static func logsIn(_ server: PostgresServer, role: String, password: String, database: String) throws -> Bool {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/psql")
        process.arguments = ["-X", "-q", "-A", "-t", "-h", "127.0.0.1", "-p", String(server.port), "-U", role, "-d", database, "-w", "-c", "SELECT 1"]
        var environment = ProcessInfo.processInfo.environment
        environment["PGPASSWORD"] = password
        process.environment = environment
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        process.waitUntilExit()
        return process.terminationStatus == 0
    }

    @Test func databaseRoleSchemaGrantAndExtensionLiveThroughChangesReplacementDriftAndDestroy() throws {
        let server = try PostgresServer.shared()
        let cli = try StrataCLI()
        defer { cli.remove() }
        let suffix = String(UUID().uuidString.prefix(6).lowercased())
        let role = Self.appRole(suffix)
        let reader = "reader_\(suffix)"
        let first = "e2e_app_\(suffix)", second = "e2e_app2_\(suffix)"
        let stack = try cli.writeStack("Pg", ["main.swift": Self.stack])
        let base = ["--var", "url=\(server.url())", "--var", "suffix=\(suffix)"]
        defer {
            _ = try? server.psql("DROP DATABASE IF EXISTS \(first) WITH (FORCE)")
            _ = try? server.psql("DROP DATABASE IF EXISTS \(second) WITH (FORCE)")
            _ = try? server.psql("DROP ROLE IF EXISTS \"\(role.replacingOccurrences(of: "\"", with: "\"\""))\"")
            _ = try? server.psql("DROP ROLE IF EXISTS \(reader)")
        }
        let restore = try Self.requirePassword(server, role: role)
        defer { restore() }
        let roleLiteral = Self.literal(role)

        // 1. Everything is created; the names with quotes are names, not SQL.
        let v1 = base + ["--var", "dbName=\(first)"]
        let apply = try cli.run(["apply", stack, "--auto-approve"] + v1)
        #expect(apply.status == 0, "\(apply.output)")
        #expect(apply.stdout.contains("8 created"), "\(apply.output)")
        #expect(try server.psql("SELECT rolcanlogin, rolconnlimit FROM pg_roles WHERE rolname = \(roleLiteral)") == "t|5")
        #expect(try server.psql("SELECT count(*) FROM pg_roles WHERE rolname = 'postgres'") == "1", "the name was not run as SQL")
        #expect(try server.psql("SELECT r.rolname FROM pg_auth_members m JOIN pg_roles r ON r.oid = m.roleid JOIN pg_roles u ON u.oid = m.member WHERE u.rolname = \(roleLiteral)") == reader)
        #expect(try server.psql("SELECT pg_encoding_to_char(encoding), datconnlimit FROM pg_database WHERE datname = '\(first)'") == "UTF8|5")
        #expect(try server.psql("SELECT has_database_privilege(\(roleLiteral), '\(first)', 'CONNECT'), has_database_privilege(\(roleLiteral), '\(first)', 'CREATE')") == "t|f")
        #expect(try server.psql("SELECT has_schema_privilege(\(roleLiteral), oid, 'USAGE'), has_schema_privilege(\(roleLiteral), oid, 'CREATE') FROM pg_namespace WHERE nspname = 'data \"v1\".x'", database: first) == "t|f")
        #expect(try server.psql("SELECT extname FROM pg_extension WHERE extname = 'pgcrypto'", database: first) == "pgcrypto")
        #expect(try server.psql("SELECT shobj_description(oid, 'pg_database') FROM pg_database WHERE datname = '\(first)'").contains("\"strata:address\":\"postgresql_database.app\""))
        // The role logs in with the random password, and only with it.
        let password = try cli.run(["output", stack, "password", "--show-secrets"] + v1).stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(password.count == 24, "\(password)")
        #expect(try Self.logsIn(server, role: role, password: password, database: first), "the role logs in with its password")
        #expect(try !Self.logsIn(server, role: role, password: password + "x", database: first), "another password is refused")

        // A plan right after apply is empty: reads say what the stack declares.
        let noChange = try cli.run(["plan", stack, "--detailed-exitcode"] + v1)
        #expect(noChange.status == 0, "\(noChange.output)")

        // 2. In place: connection limits, the schema's privileges, and a new grant on the tables.
        try server.psql("CREATE TABLE public.items (id int); CREATE TABLE public.orders (id int)", database: first)
        let v2 = v1 + ["--var", "limit=10", "--var", "schemaPrivileges=USAGE,CREATE", "--var", "tablePrivileges=SELECT,INSERT"]
        let change = try cli.run(["apply", stack, "--auto-approve"] + v2)
        #expect(change.status == 0, "\(change.output)")
        #expect(change.stdout.contains("1 created, 3 updated, 0 destroyed"), "\(change.output)")
        #expect(try server.psql("SELECT rolconnlimit FROM pg_roles WHERE rolname = \(roleLiteral)") == "10")
        #expect(try server.psql("SELECT datconnlimit FROM pg_database WHERE datname = '\(first)'") == "10")
        #expect(try server.psql("SELECT has_schema_privilege(\(roleLiteral), oid, 'CREATE') FROM pg_namespace WHERE nspname = 'data \"v1\".x'", database: first) == "t")
        #expect(try server.psql("SELECT has_table_privilege(\(roleLiteral), 'public.orders', 'INSERT'), has_table_privilege(\(roleLiteral), 'public.items', 'SELECT'), has_table_privilege(\(roleLiteral), 'public.items', 'DELETE')", database: first) == "t|t|f")
        #expect(try cli.run(["plan", stack, "--detailed-exitcode"] + v2).status == 0)

        // Privileges taken away and a password changed out of band are drift the next apply repairs.
        let quotedRole = "\"\(role.replacingOccurrences(of: "\"", with: "\"\""))\""
        try server.psql("REVOKE INSERT ON public.orders FROM \(quotedRole)", database: first)
        try server.psql("ALTER ROLE \(quotedRole) PASSWORD 'intruder'")
        #expect(try !Self.logsIn(server, role: role, password: password, database: first))
        let repaired = try cli.run(["apply", stack, "--auto-approve"] + v2)
        #expect(repaired.stdout.contains("0 created, 2 updated"), "\(repaired.output)")
        #expect(try server.psql("SELECT has_table_privilege(\(roleLiteral), 'public.orders', 'INSERT')", database: first) == "t")
        #expect(try Self.logsIn(server, role: role, password: password, database: first), "the declared password works again")

        // 3. A new database name replaces the database and what lives in it.
        let v3 = base + ["--var", "dbName=\(second)", "--var", "limit=10", "--var", "schemaPrivileges=USAGE,CREATE", "--var", "tablePrivileges=SELECT,INSERT"]
        let replace = try cli.run(["apply", stack, "--auto-approve"] + v3)
        #expect(replace.status == 0, "\(replace.output)")
        #expect(replace.stdout.contains("6 created, 0 updated, 6 destroyed"), "\(replace.output)")
        #expect(try server.psql("SELECT count(*) FROM pg_database WHERE datname = '\(first)'") == "0")
        #expect(try server.psql("SELECT has_database_privilege(\(roleLiteral), '\(second)', 'CONNECT')") == "t")
        #expect(try server.psql("SELECT extname FROM pg_extension WHERE extname = 'pgcrypto'", database: second) == "pgcrypto")
        #expect(try cli.run(["plan", stack, "--detailed-exitcode"] + v3).status == 0)

        // 4. A role dropped out of band is drift.
        try server.psql("DROP ROLE \(reader)")
        let drift = try cli.run(["drift", stack, "--json"] + v3)
        #expect(drift.status == 2, "\(drift.output)")
        let report = try #require(try JSONSerialization.jsonObject(with: Data(drift.stdout.utf8)) as? [String: Any], "\(drift.output)")
        let drifted = (report["resources"] as? [[String: Any]]) ?? []
        #expect(drifted.contains { $0["kind"] as? String == "deleted" && $0["address"] as? String == "postgresql_role.reader" }, "\(drift.stdout)")
        #expect(!drifted.contains { $0["kind"] as? String == "unmanaged" }, "\(drift.stdout)")

        // A schema the state forgot is found by the tags in its comment (unmanaged), and
        // imported back by its id.
        let schemaID = "\(second).\"data \"\"v1\"\".x\""
        #expect(try cli.run(["state", "rm", stack, "postgresql_schema.data"] + v3).status == 0)
        let unmanaged = try cli.run(["drift", stack, "--json"] + v3)
        let swept = try #require(try JSONSerialization.jsonObject(with: Data(unmanaged.stdout.utf8)) as? [String: Any], "\(unmanaged.output)")
        #expect(((swept["resources"] as? [[String: Any]]) ?? []).contains {
            $0["kind"] as? String == "unmanaged" && $0["address"] as? String == "postgresql_schema.data" && $0["id"] as? String == schemaID
        }, "\(unmanaged.stdout)")
        let imported = try cli.run(["import", stack, "postgresql_schema.data", schemaID] + v3)
        #expect(imported.status == 0, "\(imported.output)")

        // 5. Destroy leaves nothing behind.
        let destroy = try cli.run(["destroy", stack, "--auto-approve"] + v3)
        #expect(destroy.status == 0, "\(destroy.output)")
        #expect(try server.psql("SELECT count(*) FROM pg_database WHERE datname IN ('\(first)', '\(second)')") == "0")
        #expect(try server.psql("SELECT count(*) FROM pg_roles WHERE rolname LIKE '%\(suffix)'") == "0")
    }

    @Test func badNamesAreRefusedBeforeAnyConnection() throws {
        let cli = try StrataCLI()
        defer { cli.remove() }
        let stack = try cli.writeStack("Bad", ["main.swift": #"""
            import Strata
            import StrataPostgres

            // Nothing listens there: a check that connected would fail differently.
            Postgres.provider(url: "postgres://nobody@127.0.0.1:1/postgres")
            let db = Postgres.Database("db", name: Expr(String(repeating: "d", count: 64)))
            Postgres.Role("role", name: "pg_monitor_mine")
            Postgres.Grant("grant", database: "app", role: "app", on: .database, privileges: ["SELECT"])
            Postgres.Grant("nos", database: "app", role: "app", on: .table, privileges: ["SELECT"])
            """#])
        let plan = try cli.run(["plan", stack])
        #expect(plan.status != 0, "\(plan.output)")
        #expect(plan.output.contains("is 64 bytes long; PostgreSQL allows 63"), "\(plan.output)")
        #expect(plan.output.contains("starts with 'pg_'"), "\(plan.output)")
        #expect(plan.output.contains("'SELECT' cannot be granted on a database"), "\(plan.output)")
        #expect(plan.output.contains("a table grant needs the schema it is in"), "\(plan.output)")
        #expect(!plan.output.contains("cannot connect"), "\(plan.output)")
    }

    @Test func existingObjectsAreRefusedOnCreateAndImportedByID() throws {
        let server = try PostgresServer.shared()
        let cli = try StrataCLI()
        defer { cli.remove() }
        let s = String(UUID().uuidString.prefix(6).lowercased())
        let db = "legacy_\(s)", role = "legacy_\(s)", schema = "s.\(s)"
        defer {
            _ = try? server.psql("DROP DATABASE IF EXISTS \(db) WITH (FORCE)")
            _ = try? server.psql("DROP ROLE IF EXISTS \(role)")
        }
        try server.psql("CREATE ROLE \(role) CONNECTION LIMIT 3")
        try server.psql("CREATE DATABASE \(db)")
        try server.psql("GRANT CONNECT ON DATABASE \(db) TO \(role)")
        try server.psql("CREATE SCHEMA \"\(schema)\" AUTHORIZATION \(role)", database: db)
        try server.psql("CREATE EXTENSION citext", database: db)
        let stack = try cli.writeStack("Legacy", ["main.swift": """
            import Strata
            import StrataPostgres

            Postgres.provider(url: "\(server.url())")
            let role = Postgres.Role("legacy", name: "\(role)", connectionLimit: 3)
            let db = Postgres.Database("legacy", name: "\(db)")
            Postgres.Schema("legacy", in: db, name: "\(schema)", owner: role.name)
            Postgres.Grant("connect", database: db.name, role: role.name, on: .database, privileges: ["CONNECT"])
            Postgres.Extension("citext", database: db.name, name: "citext")
            """])

        // Creating over what exists is refused, saying how to import it.
        let refused = try cli.run(["apply", stack, "--auto-approve"])
        #expect(refused.status != 0, "\(refused.output)")
        #expect(refused.output.contains("exists already and this stack did not make it"), "\(refused.output)")
        #expect(refused.output.contains("strata import"), "\(refused.output)")

        // Imported by id, each one, then the plan has nothing to do.
        for (address, id) in [
            ("postgresql_role.legacy", role), ("postgresql_database.legacy", db),
            ("postgresql_schema.legacy", "\(db).\"\(schema)\""), ("postgresql_grant.connect", "\(db).\(role).database"),
            ("postgresql_extension.citext", "\(db).citext"),
        ] {
            let imported = try cli.run(["import", stack, address, id])
            #expect(imported.status == 0, "\(address) \(id): \(imported.output)")
        }
        let plan = try cli.run(["plan", stack, "--detailed-exitcode"])
        #expect(plan.status == 0, "\(plan.output)")

        let destroy = try cli.run(["destroy", stack, "--auto-approve"])
        #expect(destroy.status == 0, "\(destroy.output)")
        #expect(try server.psql("SELECT count(*) FROM pg_database WHERE datname = '\(db)'") == "0")
        #expect(try server.psql("SELECT count(*) FROM pg_roles WHERE rolname = '\(role)'") == "0")
    }

    /// Stacks/Tenant with `postgres` set: each tenant gets a database and a role of its own on
    /// the shared server; a pruned tenant's are dropped, the others' stay.
    @Test(.enabled(if: AWSProviderTests.toolsMissing == nil, "needs moto_server and the aws CLI"))
    func tenantsGetTheirOwnDatabaseAndRoleOnASharedServer() throws {
        let server = try PostgresServer.shared()
        let moto = try MotoServer.start(try #require(AWSProviderTests.moto))
        defer { moto.stop() }
        let aws = try AWSTestCLI(endpoint: moto.endpoint)
        defer { aws.strata.remove() }
        let prefix = "pg\(UUID().uuidString.prefix(4).lowercased())"
        let stack = StrataCLI.packageRoot.appendingPathComponent("Stacks/Tenant").path
        let ids = ["acme", "big-corp"]
        func yaml(_ tenants: [String]) -> String {
            "tenants:\n" + tenants.map {
                "  - id: \($0)\n    vars: {size: \($0 == "acme" ? "small" : "large"), region: us-east-1, namePrefix: \(prefix), postgres: \"\(server.url())\"}\n"
            }.joined()
        }
        defer {
            for id in ids {
                let name = "\(prefix)_\(id.replacingOccurrences(of: "-", with: "_"))"
                _ = try? server.psql("DROP DATABASE IF EXISTS \(name) WITH (FORCE)")
                _ = try? server.psql("DROP ROLE IF EXISTS \(name)")
            }
        }
        let file = aws.strata.directory.appendingPathComponent("tenants.yaml")
        try yaml(ids).write(to: file, atomically: true, encoding: .utf8)

        let apply = try aws.strata.run(["tenants", "apply", stack, "--tenants", file.path, "--concurrency", "2", "--auto-approve"], environment: aws.env)
        #expect(apply.status == 0, "\(apply.output)")
        for id in ids { #expect(apply.stdout.contains("✓ \(id): 5 created"), "\(apply.stdout)") }
        #expect(try server.psql("SELECT d.datname, pg_get_userbyid(d.datdba), d.datconnlimit, r.rolcanlogin FROM pg_database d JOIN pg_roles r ON r.rolname = d.datname WHERE d.datname LIKE '\(prefix)%' ORDER BY 1")
            == "\(prefix)_acme|\(prefix)_acme|10|t\n\(prefix)_big_corp|\(prefix)_big_corp|200|t")
        let plan = try aws.strata.run(["tenants", "plan", stack, "--tenants", file.path, "--detailed-exitcode"], environment: aws.env)
        #expect(plan.status == 0, "\(plan.output)")

        // big-corp leaves the file and is pruned: its database and role go, acme's stay.
        try yaml(["acme"]).write(to: file, atomically: true, encoding: .utf8)
        let pruned = try aws.strata.run(["tenants", "apply", stack, "--tenants", file.path, "--prune", "--auto-approve"], environment: aws.env)
        #expect(pruned.status == 0, "\(pruned.output)")
        #expect(pruned.stdout.contains("✓ big-corp: 0 created, 0 updated, 5 destroyed"), "\(pruned.stdout)")
        #expect(try server.psql("SELECT datname FROM pg_database WHERE datname LIKE '\(prefix)%'") == "\(prefix)_acme")
        #expect(try server.psql("SELECT rolname FROM pg_roles WHERE rolname LIKE '\(prefix)%'") == "\(prefix)_acme")
    }

    @Test func thePluginPassesTheConformanceChecks() async throws {
        let server = try PostgresServer.shared()
        let s = String(UUID().uuidString.prefix(6).lowercased())
        let db = "conformance_\(s)"
        try server.psql("CREATE DATABASE \(db)")
        try server.psql("CREATE ROLE conformance_\(s)")
        defer {
            _ = try? server.psql("DROP DATABASE IF EXISTS \(db) WITH (FORCE)")
            _ = try? server.psql("DROP ROLE IF EXISTS conformance_\(s)")
        }
        var environment = ProcessInfo.processInfo.environment
        environment.removeValue(forKey: "STRATA_PLUGIN_PROTOCOL")
        environment["PGHOST"] = "127.0.0.1"
        environment["PGPORT"] = String(server.port)
        environment["PGUSER"] = server.superuser
        environment["PGDATABASE"] = "postgres"
        let executable = PluginConformanceTests.buildDirectory.appendingPathComponent("strata-provider-postgresql")
        let failures = try await PluginConformance(
            executable: executable, environment: environment,
            sampleInputs: [
                "postgresql_database": ["name": .string("conformance_db_\(s)")],
                "postgresql_role": ["name": .string("conformance_role_\(s)")],
                "postgresql_schema": ["database": .string(db)],
                "postgresql_grant": ["database": .string(db), "role": .string("conformance_\(s)"), "objectType": "database", "privileges": ["CONNECT"]],
                "postgresql_extension": ["database": .string(db), "name": "pgcrypto"],
            ],
            inPlaceChanges: ["postgresql_grant": ["privileges": ["CONNECT", "TEMPORARY"]]]
        ).run()
        #expect(failures.isEmpty, "strata-provider-postgresql failed \(failures.count) check(s):\n\(failures.joined(separator: "\n"))")
        #expect(try server.psql("SELECT count(*) FROM pg_database WHERE datname = 'conformance_db_\(s)'") == "0")
        #expect(try server.psql("SELECT count(*) FROM pg_roles WHERE rolname = 'conformance_role_\(s)'") == "0")
    }
}
