import StrataModel

/// Hides secret values inside text that came from a plugin (a check problem, an error
/// message): the plugin gets secrets in the clear and may quote them; the engine knows which
/// values it sent were secret, and shows `(secret)` in their place.
public struct Redaction: Sendable {
    /// The secret texts to hide, longest first (so a secret containing another is hidden whole).
    public let secrets: [String]

    public static let placeholder = "(secret)"

    /// The secret texts inside these values (inputs, outputs).
    public init(_ valueSets: [[String: Value]]) {
        var texts = Set<String>()
        for values in valueSets {
            for value in values.values { texts.formUnion(Executor.secretStrings(in: value, inSecret: false)) }
        }
        secrets = texts.sorted { $0.count != $1.count ? $0.count > $1.count : $0 < $1 }
    }

    public init(_ values: [String: Value]...) { self.init(values) }

    /// Hides these texts (the shortest ones are ignored, as for values).
    public init(texts: some Sequence<String>) {
        secrets = Set(texts.filter { $0.count >= Executor.shortestSecretLookedFor })
            .sorted { $0.count != $1.count ? $0.count > $1.count : $0 < $1 }
    }

    public var isEmpty: Bool { secrets.isEmpty }

    /// `text` with every secret replaced by `(secret)`.
    public func redact(_ text: String) -> String {
        guard !secrets.isEmpty else { return text }
        var out = text
        for secret in secrets where out.contains(secret) {
            out = out.replacingOccurrences(of: secret, with: Self.placeholder)
        }
        return out
    }
}
