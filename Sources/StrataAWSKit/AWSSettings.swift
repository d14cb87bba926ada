import Foundation

/// What the provider configuration may set; every field optional.
public struct AWSConfigInput: Sendable, Hashable {
    public var region: String?
    public var endpoint: String?
    public var profile: String?
    public var accessKey: String?
    public var secretKey: String?
    public var sessionToken: String?

    public init(region: String? = nil, endpoint: String? = nil, profile: String? = nil,
                accessKey: String? = nil, secretKey: String? = nil, sessionToken: String? = nil) {
        self.region = region
        self.endpoint = endpoint
        self.profile = profile
        self.accessKey = accessKey
        self.secretKey = secretKey
        self.sessionToken = sessionToken
    }
}

/// Region, endpoint override and credentials, resolved the way the AWS CLI does.
public struct AWSSettings: Sendable, Hashable {
    public var region: String
    /// One URL for every service (`AWS_ENDPOINT_URL`); nil means the real AWS endpoints.
    public var endpoint: URL?
    public var credentials: AWSCredentials

    public init(region: String, endpoint: URL? = nil, credentials: AWSCredentials) {
        self.region = region
        self.endpoint = endpoint
        self.credentials = credentials
    }

    /// Resolves, in order: the provider config; the environment (`AWS_ACCESS_KEY_ID`,
    /// `AWS_SECRET_ACCESS_KEY`, `AWS_SESSION_TOKEN`, `AWS_REGION`/`AWS_DEFAULT_REGION`,
    /// `AWS_ENDPOINT_URL`); the shared files for the profile (`config.profile`, else
    /// `AWS_PROFILE`, else `default`) at `AWS_SHARED_CREDENTIALS_FILE` / `AWS_CONFIG_FILE`,
    /// else `~/.aws/credentials` / `~/.aws/config`. A profile named in the config wins over
    /// keys in the environment, as `--profile` does in the AWS CLI.
    public static func resolve(
        _ input: AWSConfigInput = AWSConfigInput(),
        environment: [String: String] = ProcessInfo.processInfo.environment
    ) throws -> AWSSettings {
        func env(_ name: String) -> String? {
            guard let value = environment[name]?.trimmingCharacters(in: .whitespaces), !value.isEmpty else { return nil }
            return value
        }
        let profileName = input.profile ?? env("AWS_PROFILE") ?? "default"
        let profileExplicit = input.profile != nil || env("AWS_PROFILE") != nil
        let files = try SharedFiles.load(environment: environment)
        let profile = files.merged(profile: profileName)

        let credentials = try CredentialChain.resolve(
            input: input, environment: environment, profileName: profileName,
            profileExplicit: profileExplicit, files: files)

        guard let region = input.region ?? env("AWS_REGION") ?? env("AWS_DEFAULT_REGION") ?? profile?["region"] else {
            throw AWSConfigurationError(
                "no AWS region: set `region` in the provider config, or AWS_REGION (or AWS_DEFAULT_REGION), or `region` in profile \(profileName) of \(files.configPath)")
        }
        var endpoint: URL?
        if let text = input.endpoint ?? env("AWS_ENDPOINT_URL") ?? profile?["endpoint_url"] {
            guard let url = URL(string: text), let scheme = url.scheme, scheme == "http" || scheme == "https", url.host != nil else {
                throw AWSConfigurationError("the AWS endpoint '\(text)' is not an http(s) URL such as http://127.0.0.1:5000")
            }
            endpoint = url
        }
        return AWSSettings(region: region, endpoint: endpoint, credentials: credentials)
    }
}

/// The two shared files, loaded once.
struct SharedFiles {
    var credentialsPath: String
    var configPath: String
    var credentials: SharedConfigFile
    var config: SharedConfigFile

    static func load(environment: [String: String]) throws -> SharedFiles {
        let home = environment["HOME"] ?? NSHomeDirectory()
        func expand(_ path: String) -> String {
            path.hasPrefix("~/") ? home + path.dropFirst(1) : path
        }
        let credentialsPath = expand(environment["AWS_SHARED_CREDENTIALS_FILE"] ?? "~/.aws/credentials")
        let configPath = expand(environment["AWS_CONFIG_FILE"] ?? "~/.aws/config")
        return SharedFiles(
            credentialsPath: credentialsPath, configPath: configPath,
            credentials: try SharedConfigFile.load(path: credentialsPath, kind: .credentials),
            config: try SharedConfigFile.load(path: configPath, kind: .config))
    }

    /// The profile's keys from both files (the credentials file wins), nil if in neither.
    func merged(profile: String) -> [String: String]? {
        let fromConfig = config.profiles[profile]
        let fromCredentials = credentials.profiles[profile]
        if fromConfig == nil && fromCredentials == nil { return nil }
        return (fromConfig ?? [:]).merging(fromCredentials ?? [:]) { _, credentialsValue in credentialsValue }
    }
}
