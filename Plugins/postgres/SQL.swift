import StrataPluginKit

/// Quoting for the statements PostgreSQL cannot take parameters in (DDL: CREATE, ALTER, GRANT,
/// COMMENT): every name goes through `identifier`, every text through `literal`, so a name
/// with a quote in it is a name, never SQL. Queries that can bind (`SELECT … WHERE x = $1`)
/// bind instead.
enum SQL {
    /// PostgreSQL's limit (NAMEDATALEN - 1): longer names are silently truncated by the server,
    /// so they are refused instead.
    static let maximumIdentifierBytes = 63

    /// `"name"`, with every `"` doubled: a quoted identifier, taken as it is (case and all).
    static func identifier(_ name: String) -> String {
        "\"" + name.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }

    /// `'text'`, with every `'` doubled. Right because every connection of this provider sets
    /// `standard_conforming_strings=on` (the default since 9.1), under which a backslash is
    /// an ordinary character; text with a NUL is refused by `problem(literal:)` first.
    static func literal(_ text: String) -> String {
        "'" + text.replacingOccurrences(of: "'", with: "''") + "'"
    }

    /// What is wrong with `name` as a PostgreSQL identifier, if anything: empty, longer than 63
    /// bytes, or holding a NUL or another control character. Quotes, spaces, dots and any case
    /// are fine: names are always quoted.
    static func problem(identifier name: String, what: String) -> String? {
        if name.isEmpty { return "\(what) must not be empty" }
        if name.utf8.count > maximumIdentifierBytes {
            return "\(what) '\(name)' is \(name.utf8.count) bytes long; PostgreSQL allows \(maximumIdentifierBytes)"
        }
        if name.unicodeScalars.contains(where: { $0.value < 0x20 || $0.value == 0x7F }) {
            return "\(what) '\(name.debugDescription.dropFirst().dropLast())' holds a control character"
        }
        return nil
    }

    /// Text PostgreSQL cannot hold: a NUL.
    static func problem(literal text: String, what: String) -> String? {
        text.unicodeScalars.contains { $0.value == 0 } ? "\(what) holds a NUL character, which PostgreSQL text cannot hold" : nil
    }

    /// Names of roles PostgreSQL reserves (`CREATE ROLE` refuses them; in a role list they mean
    /// something else).
    static func problem(roleName name: String, what: String) -> String? {
        if let problem = problem(identifier: name, what: what) { return problem }
        let reserved = ["public", "none", "current_user", "session_user", "current_role"]
        if reserved.contains(name.lowercased()) { return "\(what) '\(name)' is reserved by PostgreSQL" }
        if name.lowercased().hasPrefix("pg_") { return "\(what) '\(name)' starts with 'pg_', which PostgreSQL reserves for its own roles" }
        return nil
    }
}

/// Ids made of several names (a schema is `database.schema`, a grant
/// `database.role.table.schema`), written as PostgreSQL writes qualified names: parts
/// joined by `.`, a part with a `.`, a `"`, or a space quoted as `"…"` with `"` doubled.
/// Unlike SQL, an unquoted part keeps its case.
enum QualifiedID {
    static func format(_ parts: [String]) -> String {
        parts.map { part in
            let plain = !part.isEmpty && part.allSatisfy { $0 != "." && $0 != "\"" && !$0.isWhitespace }
            return plain ? part : SQL.identifier(part)
        }.joined(separator: ".")
    }

    /// The parts of `id`, or nil when it is not such a list (an unclosed quote, an empty part).
    static func parse(_ id: String) -> [String]? {
        var parts: [String] = []
        var current = ""
        var quoted = false
        var wasQuoted = false
        var characters = Array(id)[...]
        while let c = characters.popFirst() {
            if quoted {
                if c == "\"" {
                    if characters.first == "\"" {
                        characters.removeFirst()
                        current.append("\"")
                    } else {
                        quoted = false
                    }
                } else {
                    current.append(c)
                }
            } else if c == "\"" {
                guard current.isEmpty, !wasQuoted else { return nil }
                quoted = true
                wasQuoted = true
            } else if c == "." {
                guard !current.isEmpty || wasQuoted else { return nil }
                parts.append(current)
                current = ""
                wasQuoted = false
            } else {
                guard !wasQuoted else { return nil }
                current.append(c)
            }
        }
        guard !quoted, !current.isEmpty || wasQuoted else { return nil }
        parts.append(current)
        return parts
    }
}
