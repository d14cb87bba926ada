import Foundation
import Logging
import PostgresNIO
import StrataState

/// The state tables in their PostgreSQL schema, and the migrations that make them. Every
/// migration runs once, in order, in one transaction under an advisory lock (so workers
/// starting together do not race), and is recorded in `strata_schema_version`. Add
/// migrations at the end; never edit one that shipped.
enum PostgresSchema {
    /// One step of the schema's history.
    struct Migration: Sendable {
        var version: Int
        var summary: String
        var sql: String
    }

    static let migrations: [Migration] = [
        Migration(
            version: 1, summary: "instances, resources, history, intents, locks, drift sweeps, origins",
            sql: """
                CREATE TABLE instances (
                    stack TEXT NOT NULL,
                    instance TEXT NOT NULL,
                    serial BIGINT NOT NULL,
                    lineage TEXT NOT NULL,
                    outputs_json TEXT NOT NULL DEFAULT '{}',
                    PRIMARY KEY (stack, instance)
                );
                CREATE TABLE resources (
                    stack TEXT NOT NULL,
                    instance TEXT NOT NULL,
                    address TEXT NOT NULL,
                    deposed BOOLEAN NOT NULL DEFAULT FALSE,
                    provider TEXT NOT NULL,
                    id TEXT NOT NULL,
                    inputs_json TEXT NOT NULL,
                    outputs_json TEXT NOT NULL,
                    deps_json TEXT NOT NULL,
                    triggers_json TEXT,
                    PRIMARY KEY (stack, instance, address, deposed)
                );
                CREATE TABLE history (
                    stack TEXT NOT NULL,
                    instance TEXT NOT NULL,
                    serial BIGINT NOT NULL,
                    time TIMESTAMPTZ NOT NULL,
                    action TEXT NOT NULL,
                    address TEXT,
                    PRIMARY KEY (stack, instance, serial)
                );
                CREATE TABLE intents (
                    token TEXT NOT NULL PRIMARY KEY,
                    stack TEXT NOT NULL,
                    instance TEXT NOT NULL,
                    address TEXT NOT NULL,
                    provider TEXT NOT NULL,
                    inputs_json TEXT NOT NULL,
                    created_at TIMESTAMPTZ NOT NULL
                );
                CREATE INDEX intents_by_instance ON intents (stack, instance, created_at);
                CREATE TABLE lock_ids (
                    id SERIAL PRIMARY KEY,
                    stack TEXT NOT NULL,
                    instance TEXT NOT NULL,
                    UNIQUE (stack, instance)
                );
                CREATE TABLE locks (
                    stack TEXT NOT NULL,
                    instance TEXT NOT NULL,
                    owner TEXT NOT NULL,
                    host TEXT NOT NULL,
                    pid INTEGER NOT NULL,
                    session TEXT NOT NULL,
                    backend_pid INTEGER NOT NULL,
                    acquired_at TIMESTAMPTZ NOT NULL,
                    lease_until TIMESTAMPTZ NOT NULL,
                    operation TEXT NOT NULL,
                    PRIMARY KEY (stack, instance)
                );
                CREATE TABLE drift_sweeps (
                    id BIGSERIAL PRIMARY KEY,
                    stack TEXT NOT NULL,
                    instance TEXT NOT NULL,
                    started_at TIMESTAMPTZ NOT NULL,
                    duration DOUBLE PRECISION NOT NULL,
                    status TEXT NOT NULL,
                    checked INTEGER NOT NULL,
                    changed INTEGER NOT NULL,
                    deleted INTEGER NOT NULL,
                    unmanaged INTEGER NOT NULL,
                    errors INTEGER NOT NULL,
                    action TEXT NOT NULL,
                    report_json TEXT NOT NULL
                );
                CREATE INDEX drift_sweeps_by_instance ON drift_sweeps (stack, instance, id);
                CREATE TABLE instance_origins (
                    stack TEXT NOT NULL,
                    instance TEXT NOT NULL,
                    stack_dir TEXT NOT NULL,
                    variables_json TEXT NOT NULL,
                    recorded_at TIMESTAMPTZ NOT NULL,
                    PRIMARY KEY (stack, instance)
                );
                CREATE TABLE strata_meta (
                    name TEXT NOT NULL PRIMARY KEY,
                    value TEXT NOT NULL
                );
                """),
        Migration(
            version: 2, summary: "tenant job queue: jobs and their attempts (strata worker)",
            sql: """
                CREATE TABLE jobs (
                    id BIGSERIAL PRIMARY KEY,
                    kind TEXT NOT NULL,
                    stack TEXT NOT NULL,
                    stack_dir TEXT NOT NULL,
                    tenant TEXT NOT NULL,
                    instance TEXT NOT NULL,
                    variables_json TEXT NOT NULL,
                    status TEXT NOT NULL,
                    attempts INTEGER NOT NULL DEFAULT 0,
                    max_attempts INTEGER NOT NULL,
                    worker TEXT,
                    lease_until TIMESTAMPTZ,
                    not_before TIMESTAMPTZ,
                    enqueued_at TIMESTAMPTZ NOT NULL,
                    started_at TIMESTAMPTZ,
                    finished_at TIMESTAMPTZ,
                    message TEXT,
                    result_json TEXT
                );
                CREATE INDEX jobs_open ON jobs (status, id) WHERE status IN ('queued', 'running');
                CREATE INDEX jobs_by_tenant ON jobs (stack, tenant, id);
                CREATE TABLE job_attempts (
                    job_id BIGINT NOT NULL REFERENCES jobs (id) ON DELETE CASCADE,
                    attempt INTEGER NOT NULL,
                    worker TEXT NOT NULL,
                    started_at TIMESTAMPTZ NOT NULL,
                    finished_at TIMESTAMPTZ,
                    outcome TEXT,
                    message TEXT,
                    PRIMARY KEY (job_id, attempt)
                )
                """),
        Migration(
            version: 3, summary: "how each instance's last apply or destroy ended (strata tenants status)",
            sql: """
                CREATE TABLE instance_runs (
                    stack TEXT NOT NULL,
                    instance TEXT NOT NULL,
                    operation TEXT NOT NULL,
                    succeeded BOOLEAN NOT NULL,
                    finished_at TIMESTAMPTZ NOT NULL,
                    message TEXT,
                    PRIMARY KEY (stack, instance)
                )
                """),
        Migration(
            version: 4, summary: "state_keys: the encrypted data key of a state sealed under AWS KMS",
            sql: """
                CREATE TABLE state_keys (
                    name TEXT NOT NULL PRIMARY KEY,
                    kms_key_id TEXT NOT NULL,
                    encrypted_key TEXT NOT NULL,
                    created_at TIMESTAMPTZ NOT NULL DEFAULT now()
                )
                """),
    ]

    static var latestVersion: Int { migrations.map(\.version).max() ?? 0 }

    /// The first advisory-lock key of this schema (the second is 0 for migrations, a
    /// `lock_ids.id` for an instance lock): a hash of the schema's name, so two schemas in one
    /// database lock apart.
    static func lockNamespace(_ schema: String) -> Int32 {
        var hash: UInt32 = 2_166_136_261
        for byte in "strata:\(schema)".utf8 {
            hash = (hash ^ UInt32(byte)) &* 16_777_619
        }
        return Int32(bitPattern: hash & 0x7fff_ffff)
    }

    /// The schema version recorded in the database, or nil if it has no state tables yet.
    static func currentVersion(_ connection: PostgresConnection, schema: String, logger: Logger) async throws -> Int? {
        let exists = try await connection.query(
            "SELECT to_regclass(\(schema + ".strata_schema_version"))::text", logger: logger
        ).collect().first?.decode(String?.self) ?? nil
        guard exists != nil else { return nil }
        let rows = try await connection.query(
            PostgresQuery(unsafeSQL: "SELECT COALESCE(MAX(version), 0)::bigint FROM \(schema).strata_schema_version"), logger: logger
        ).collect()
        return try rows.first.map { try $0.decode(Int.self) } ?? 0
    }

    /// Brings the schema up to date; refuses a schema made by a newer Strata.
    static func migrate(_ connection: PostgresConnection, url: PostgresStateURL, logger: Logger) async throws {
        let schema = url.schema
        if let version = try await currentVersion(connection, schema: schema, logger: logger), version >= latestVersion {
            if version > latestVersion { throw newer(url, version) }
            return
        }
        try await connection.query("BEGIN", logger: logger)
        do {
            let namespace = lockNamespace(schema)
            try await connection.query("SELECT pg_advisory_xact_lock(\(namespace), 0)", logger: logger)
            try await connection.query(PostgresQuery(unsafeSQL: "CREATE SCHEMA IF NOT EXISTS \(schema)"), logger: logger)
            try await connection.query(
                PostgresQuery(
                    unsafeSQL: """
                        CREATE TABLE IF NOT EXISTS \(schema).strata_schema_version (
                            version INTEGER NOT NULL PRIMARY KEY,
                            applied_at TIMESTAMPTZ NOT NULL DEFAULT now(),
                            summary TEXT NOT NULL)
                        """), logger: logger)
            let current = try await currentVersion(connection, schema: schema, logger: logger) ?? 0
            if current > latestVersion { throw newer(url, current) }
            for migration in migrations where migration.version > current {
                try await connection.query(PostgresQuery(unsafeSQL: "SET LOCAL search_path TO \(schema)"), logger: logger)
                for statement in migration.sql.split(separator: ";").map({ $0.trimmingCharacters(in: .whitespacesAndNewlines) })
                where !statement.isEmpty {
                    try await connection.query(PostgresQuery(unsafeSQL: statement), logger: logger)
                }
                try await connection.query(
                    PostgresQuery(unsafeSQL: "INSERT INTO \(schema).strata_schema_version (version, summary) VALUES ($1, $2)",
                                  binds: binds(migration.version, migration.summary)), logger: logger)
            }
            try await connection.query("COMMIT", logger: logger)
        } catch {
            _ = try? await connection.query("ROLLBACK", logger: logger)
            if error is StateError { throw error }
            throw StateError.storage(
                "cannot prepare the state schema '\(schema)' in \(url): \(PostgresErrors.describe(error)). "
                    + "The user needs the right to create a schema and tables in that database (or create the schema for it).")
        }
    }

    static func newer(_ url: PostgresStateURL, _ version: Int) -> StateError {
        .storage("the state schema '\(url.schema)' in \(url) is at version \(version), newer than this strata knows (\(latestVersion)); upgrade strata")
    }

    static func binds(_ values: any PostgresThrowingDynamicTypeEncodable...) -> PostgresBindings {
        var bindings = PostgresBindings()
        for value in values { try? bindings.append(value) }
        return bindings
    }
}
