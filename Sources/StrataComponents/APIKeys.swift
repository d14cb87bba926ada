import Strata
import StrataAWS

/// Secrets Manager secrets for the keys of external APIs (OpenAI, Stripe, LinkedIn, …), one
/// per service, named `<prefix>/<service>`. The stack creates them empty; whoever holds a key
/// puts it in once (`aws secretsmanager put-secret-value --secret-id <prefix>/openai
/// --secret-string …`) and the application reads it from there. The stack never holds the key,
/// and a value put in by hand is not planned away (`secretString` is ignored once it exists).
///
/// ```swift
/// let keys = APIKeys(prefix: "complyflow/production", services: ["openai", "elevenlabs"])
/// Stack.output("openaiSecret", keys["openai"]!.arn)
/// ```
public struct APIKeys: Component {
    /// The secrets by service.
    public let secrets: [String: AWS.Secret]

    /// - Parameters:
    ///   - prefix: the start of every secret's name.
    ///   - services: lower-case service names (`openai`): each is a secret keyed by it
    ///     (`aws_secretsmanager_secret.key["openai"]`).
    ///   - descriptions: what each key is for, by service (shown in the console).
    public init(_ name: String = "api_keys", prefix: String, services: [String], descriptions: [String: String] = [:],
                provider: ProviderRef? = nil, tags: [String: Expr<String>] = [:], file: String = #filePath, line: Int = #line) {
        secrets = Stack.component(name) {
            var secrets: [String: AWS.Secret] = [:]
            for service in services {
                let secret = AWS.Secret(
                    keyed("key", service), secretName: Expr("\(prefix)/\(service)"),
                    description: Expr(descriptions[service] ?? "API key of \(service), put in by hand"),
                    tags: tags.merging(["service": Expr(service)]) { _, new in new }, file: file, line: line)
                    .ignoreChanges("secretString")
                if let provider { secret.using(provider) }
                secrets[service] = secret
            }
            return secrets
        }
    }

    public subscript(service: String) -> AWS.Secret? { secrets[service] }
}
