import Foundation
import StrataAWSKit
import StrataModel
import StrataPluginKit

/// The provider's settings: from `configure` if the engine sends it, else from the
/// environment and the shared files the first time a call needs AWS.
final class ClientStore: @unchecked Sendable {
    private let lock = NSLock()
    private var input = AWSConfigInput()
    private var client: AWSClient?
    private let environment: [String: String]

    static let configKeys: Set<String> = ["region", "endpoint", "profile", "accessKey", "secretKey", "sessionToken"]

    init(environment: [String: String] = ProcessInfo.processInfo.environment) {
        self.environment = environment
    }

    /// Takes the provider config; an unknown key or a non-string value is an error.
    func configure(_ config: [String: Value]) throws {
        var input = AWSConfigInput()
        for (key, value) in config {
            guard Self.configKeys.contains(key) else {
                throw PluginError(.invalid, "unknown aws provider setting '\(key)' (known: \(Self.configKeys.sorted().joined(separator: ", ")))")
            }
            if value == .null { continue }
            guard let text = value.stringValue else {
                throw PluginError(.invalid, "aws provider setting '\(key)' must be a string, not a \(value.typeName)")
            }
            switch key {
            case "region": input.region = text
            case "endpoint": input.endpoint = text
            case "profile": input.profile = text
            case "accessKey": input.accessKey = text
            case "secretKey": input.secretKey = text
            default: input.sessionToken = text
            }
        }
        // Resolve now so that a bad setting is reported by configure itself.
        let settings = try Self.resolve(input, environment: environment)
        lock.withLock {
            self.input = input
            self.client = AWSClient(settings: settings)
        }
    }

    /// The client, resolved on first use.
    func get() throws -> AWSClient {
        try lock.withLock {
            if let client { return client }
            let made = AWSClient(settings: try Self.resolve(input, environment: environment))
            client = made
            return made
        }
    }

    static func resolve(_ input: AWSConfigInput, environment: [String: String]) throws -> AWSSettings {
        do {
            return try AWSSettings.resolve(input, environment: environment)
        } catch let error as AWSConfigurationError {
            throw PluginError(.invalid, error.message)
        }
    }
}
