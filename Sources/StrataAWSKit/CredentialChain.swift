/// Where credentials come from, in the AWS CLI's order (the parts this provider supports).
public enum CredentialChain {
    static func resolve(
        input: AWSConfigInput, environment: [String: String], profileName: String,
        profileExplicit: Bool, files: SharedFiles
    ) throws -> AWSCredentials {
        func env(_ name: String) -> String? {
            guard let value = environment[name], !value.isEmpty else { return nil }
            return value
        }
        // 1. The provider config.
        if input.accessKey != nil || input.secretKey != nil {
            guard let key = input.accessKey, let secret = input.secretKey else {
                throw AWSConfigurationError("the provider config sets only one of accessKey and secretKey; set both, or neither to use the environment or a profile")
            }
            return AWSCredentials(accessKeyID: key, secretAccessKey: secret, sessionToken: input.sessionToken, source: "provider config")
        }
        // 2. The environment, unless the config names a profile.
        if input.profile == nil, let key = env("AWS_ACCESS_KEY_ID") {
            guard let secret = env("AWS_SECRET_ACCESS_KEY") else {
                throw AWSConfigurationError("AWS_ACCESS_KEY_ID is set but AWS_SECRET_ACCESS_KEY is not; set both")
            }
            return AWSCredentials(accessKeyID: key, secretAccessKey: secret, sessionToken: env("AWS_SESSION_TOKEN"), source: "environment")
        }
        // 3. The shared files.
        guard let profile = files.merged(profile: profileName) else {
            if profileExplicit {
                throw AWSConfigurationError("the AWS profile '\(profileName)' is in neither \(files.credentialsPath) nor \(files.configPath)")
            }
            throw AWSConfigurationError(
                "no AWS credentials: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or accessKey/secretKey in the provider config, or a [default] profile in \(files.credentialsPath) (`aws configure` writes one)")
        }
        if let key = profile["aws_access_key_id"], let secret = profile["aws_secret_access_key"], !key.isEmpty, !secret.isEmpty {
            let where_ = files.credentials.profiles[profileName]?["aws_access_key_id"] != nil ? files.credentialsPath : files.configPath
            return AWSCredentials(
                accessKeyID: key, secretAccessKey: secret, sessionToken: profile["aws_session_token"],
                source: "profile \(profileName) in \(where_)")
        }
        let unsupported = ["role_arn": "assume-role", "sso_session": "IAM Identity Center (SSO)", "sso_start_url": "IAM Identity Center (SSO)",
                           "credential_process": "credential_process", "web_identity_token_file": "web identity"]
        if let (key, what) = unsupported.sorted(by: { $0.key < $1.key }).first(where: { profile[$0.key] != nil }) {
            throw AWSConfigurationError(
                "the AWS profile '\(profileName)' gets its credentials by \(what) (\(key)), which strata-provider-aws does not support yet; export keys instead (e.g. `eval \"$(aws configure export-credentials --profile \(profileName) --format env)\"`)")
        }
        throw AWSConfigurationError(
            "the AWS profile '\(profileName)' has no aws_access_key_id/aws_secret_access_key (looked in \(files.credentialsPath) and \(files.configPath))")
    }
}
