import Foundation
import PostgresNIO
import StrataModel
import StrataState

extension PostgresStateBackend {
    /// One change in one transaction: the instance row is locked first (by the serial bump),
    /// so writers to one instance line up and serials follow commit order.
    @discardableResult
    public func write(_ key: InstanceKey, _ change: StateChange) async throws -> Int {
        let encoded = try encode(change)
        if case .put = encoded {
            // The hot path (every create and update): one statement, atomic on its own.
            return try await run("writing \(key)") { c in try await self.put(c, key, encoded) }
        }
        return try await transaction("writing \(key)") { c in
            let serial = try await self.bumpSerial(c, key)
            let (action, address) = try await self.apply(c, key, encoded)
            try await c.query(
                """
                INSERT INTO \(unescaped: self.table("history")) (stack, instance, serial, time, action, address)
                VALUES (\(key.stack), \(key.instance), \(serial), \(Date()), \(action), \(address))
                """, logger: self.logger)
            return serial
        }
    }

    /// A change with its JSON encoded (and secrets sealed) before the transaction starts.
    enum EncodedChange: Sendable {
        case put(address: String, deposed: Bool, provider: String, id: String, inputs: String, outputs: String, deps: String,
                 triggers: String?, intentToken: String?, action: String)
        case remove(address: String, deposed: Bool, action: String)
        case move(from: ResourceAddress, to: ResourceAddress)
        case depose(String)
        case outputs(String)
    }

    func encode(_ change: StateChange) throws -> EncodedChange {
        switch change {
        case .put(let resource, let token, let action):
            return .put(
                address: resource.address.description, deposed: resource.deposed, provider: resource.provider, id: resource.id,
                inputs: ValueJSON.string(try cipher?.seal(resource.inputs) ?? resource.inputs),
                outputs: ValueJSON.string(try cipher?.seal(resource.outputs) ?? resource.outputs),
                deps: try Self.encodeJSON(resource.dependencies),
                triggers: resource.triggers.map { ValueJSON.string(.list($0)) }, intentToken: token, action: action)
        case .remove(let address, let deposed, let action):
            return .remove(address: address.description, deposed: deposed, action: action)
        case .move(let from, let to):
            return .move(from: from, to: to)
        case .depose(let address):
            return .depose(address.description)
        case .outputs(let outputs):
            return .outputs(
                try Self.encodeJSON(try outputs.mapValues { ManifestOutput(value: try cipher?.seal($0.value) ?? $0.value, secret: $0.secret) }))
        }
    }

    /// Records a resource, clears its intent, bumps the serial and logs it, in one statement
    /// (data-modifying CTEs all run, in one snapshot; the serial bump locks the instance row).
    private func put(_ c: PostgresConnection, _ key: InstanceKey, _ change: EncodedChange) async throws -> Int {
        guard case .put(let address, let deposed, let provider, let id, let inputs, let outputs, let deps, let triggers, let token, let action) = change
        else { throw StateError.storage("internal: not a put") }
        let row = try await c.query(
            """
            WITH bump AS (
                INSERT INTO \(unescaped: table("instances")) (stack, instance, serial, lineage)
                VALUES (\(key.stack), \(key.instance), 1, \(UUID().uuidString))
                ON CONFLICT (stack, instance) DO UPDATE SET serial = \(unescaped: table("instances")).serial + 1
                RETURNING serial
            ), stored AS (
                INSERT INTO \(unescaped: table("resources"))
                (stack, instance, address, deposed, provider, id, inputs_json, outputs_json, deps_json, triggers_json)
                VALUES (\(key.stack), \(key.instance), \(address), \(deposed), \(provider), \(id), \(inputs), \(outputs), \(deps), \(triggers))
                ON CONFLICT (stack, instance, address, deposed) DO UPDATE SET provider = EXCLUDED.provider, id = EXCLUDED.id,
                    inputs_json = EXCLUDED.inputs_json, outputs_json = EXCLUDED.outputs_json, deps_json = EXCLUDED.deps_json,
                    triggers_json = EXCLUDED.triggers_json
                RETURNING 1
            ), cleared AS (
                DELETE FROM \(unescaped: table("intents")) WHERE token = \(token) RETURNING 1
            ), logged AS (
                INSERT INTO \(unescaped: table("history")) (stack, instance, serial, time, action, address)
                SELECT \(key.stack), \(key.instance), serial, \(Date()), \(action), \(address) FROM bump
                RETURNING 1
            )
            SELECT serial FROM bump
            """, logger: logger
        ).collect().first
        guard let serial = try row?.decode(Int.self) else { throw StateError.storage("instance \(key) vanished during a write; try again") }
        return serial
    }

    /// Adds one to the serial (creating the instance on its first write) and returns it.
    private func bumpSerial(_ c: PostgresConnection, _ key: InstanceKey) async throws -> Int {
        let row = try await c.query(
            """
            INSERT INTO \(unescaped: table("instances")) (stack, instance, serial, lineage)
            VALUES (\(key.stack), \(key.instance), 1, \(UUID().uuidString))
            ON CONFLICT (stack, instance) DO UPDATE SET serial = \(unescaped: table("instances")).serial + 1
            RETURNING serial
            """, logger: logger
        ).collect().first
        guard let serial = try row?.decode(Int.self) else { throw StateError.storage("instance \(key) vanished during a write; try again") }
        return serial
    }

    /// Applies the change; returns what the history row says.
    private func apply(_ c: PostgresConnection, _ key: InstanceKey, _ change: EncodedChange) async throws -> (String, String?) {
        let resources = table("resources")
        switch change {
        case .put(let address, let deposed, let provider, let id, let inputs, let outputs, let deps, let triggers, let token, let action):
            try await c.query(
                """
                INSERT INTO \(unescaped: resources)
                (stack, instance, address, deposed, provider, id, inputs_json, outputs_json, deps_json, triggers_json)
                VALUES (\(key.stack), \(key.instance), \(address), \(deposed), \(provider), \(id), \(inputs), \(outputs), \(deps), \(triggers))
                ON CONFLICT (stack, instance, address, deposed) DO UPDATE SET provider = EXCLUDED.provider, id = EXCLUDED.id,
                    inputs_json = EXCLUDED.inputs_json, outputs_json = EXCLUDED.outputs_json, deps_json = EXCLUDED.deps_json,
                    triggers_json = EXCLUDED.triggers_json
                """, logger: logger)
            if let token {
                try await c.query("DELETE FROM \(unescaped: table("intents")) WHERE token = \(token)", logger: logger)
            }
            return (action, address)

        case .remove(let address, let deposed, let action):
            let gone = try await c.query(
                """
                DELETE FROM \(unescaped: resources)
                WHERE stack = \(key.stack) AND instance = \(key.instance) AND address = \(address) AND deposed = \(deposed) RETURNING 1
                """, logger: logger
            ).collect().count
            guard gone > 0 else { throw StateError.notFound("\(deposed ? "deposed " : "")\(address) in \(key)") }
            return (action, address)

        case .move(let from, let to):
            try await move(c, key, from: from, to: to)
            return ("move \(from) -> \(to)", from.description)

        case .depose(let address):
            // Never drop a deposed copy here: it still exists in the cloud and must be deleted first.
            let existing = try await c.query(
                """
                SELECT 1 FROM \(unescaped: resources)
                WHERE stack = \(key.stack) AND instance = \(key.instance) AND address = \(address) AND deposed
                """, logger: logger
            ).collect().count
            guard existing == 0 else { throw StateError.alreadyExists("a deposed copy of \(address) in \(key)") }
            let changed = try await c.query(
                """
                UPDATE \(unescaped: resources) SET deposed = TRUE
                WHERE stack = \(key.stack) AND instance = \(key.instance) AND address = \(address) AND NOT deposed RETURNING 1
                """, logger: logger
            ).collect().count
            guard changed > 0 else { throw StateError.notFound("\(address) in \(key)") }
            return ("depose", address)

        case .outputs(let outputs):
            try await c.query(
                "UPDATE \(unescaped: table("instances")) SET outputs_json = \(outputs) WHERE stack = \(key.stack) AND instance = \(key.instance)",
                logger: logger)
            return ("outputs", nil)
        }
    }

    /// Renames every copy (current and deposed) of `from` to `to`, and the dependencies on it.
    private func move(_ c: PostgresConnection, _ key: InstanceKey, from: ResourceAddress, to: ResourceAddress) async throws {
        let resources = table("resources")
        let fromText = from.description, toText = to.description
        guard from != to else { throw StateError.alreadyExists("\(to) in \(key)") }
        func count(_ address: String) async throws -> Int {
            try await c.query(
                "SELECT 1 FROM \(unescaped: resources) WHERE stack = \(key.stack) AND instance = \(key.instance) AND address = \(address)",
                logger: logger
            ).collect().count
        }
        guard try await count(fromText) > 0 else { throw StateError.notFound("\(from) in \(key)") }
        guard try await count(toText) == 0 else { throw StateError.alreadyExists("\(to) in \(key)") }
        try await c.query(
            "UPDATE \(unescaped: resources) SET address = \(toText) WHERE stack = \(key.stack) AND instance = \(key.instance) AND address = \(fromText)",
            logger: logger)
        try await c.query(
            """
            UPDATE \(unescaped: table("intents")) SET address = \(toText)
            WHERE stack = \(key.stack) AND instance = \(key.instance) AND address = \(fromText)
            """, logger: logger)
        // Rewrite dependency lists that name the old address.
        let rows = try await c.query(
            """
            SELECT address, deposed, deps_json FROM \(unescaped: resources)
            WHERE stack = \(key.stack) AND instance = \(key.instance) AND strpos(deps_json, \(fromText)) > 0
            """, logger: logger
        ).collect()
        for row in rows {
            let (address, deposed, depsText) = try row.decode((String, Bool, String).self)
            let deps = try Self.decodeJSON([ResourceAddress].self, depsText, "dependencies of \(address)")
            guard deps.contains(from) else { continue }
            let updated = try Self.encodeJSON(deps.map { $0 == from ? to : $0 })
            try await c.query(
                """
                UPDATE \(unescaped: resources) SET deps_json = \(updated)
                WHERE stack = \(key.stack) AND instance = \(key.instance) AND address = \(address) AND deposed = \(deposed)
                """, logger: logger)
        }
    }
}
