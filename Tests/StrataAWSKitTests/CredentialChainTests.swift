import Foundation
import Testing

@testable import StrataAWSKit

@Suite struct CredentialChainTests {
    /// A scratch HOME with `~/.aws/credentials` and `~/.aws/config`.
    struct Home {
        let url: URL
        init(credentials: String? = nil, config: String? = nil) throws {
            url = FileManager.default.temporaryDirectory.appendingPathComponent("strata-aws-\(UUID().uuidString.prefix(8))")
            let aws = url.appendingPathComponent(".aws")
            try FileManager.default.createDirectory(at: aws, withIntermediateDirectories: true)
            if let credentials { try credentials.write(to: aws.appendingPathComponent("credentials"), atomically: true, encoding: .utf8) }
            if let config { try config.write(to: aws.appendingPathComponent("config"), atomically: true, encoding: .utf8) }
        }
        var path: String { url.path }
        func remove() { try? FileManager.default.removeItem(at: url) }
    }

    static let credentials = """
        # keys
        [default]
        aws_access_key_id = AKIDDEFAULT
        aws_secret_access_key = secretdefault

        [dev]
        aws_access_key_id=AKIDDEV
        aws_secret_access_key=secretdev
        ; a comment
        aws_session_token = tokendev#not-a-comment
        """
    static let config = """
        [default]
        region = eu-west-1

        [profile dev]
        region = eu-central-1
        endpoint_url = http://localhost:4566
        s3 =
          addressing_style = path

        [profile assumed]
        role_arn = arn:aws:iam::123456789012:role/admin
        source_profile = default
        region = us-west-2

        [profile configonly]
        aws_access_key_id = AKIDCONFIG
        aws_secret_access_key = secretconfig
        region = ap-south-1
        """

    @Test func theProviderConfigComesFirst() throws {
        let home = try Home(credentials: Self.credentials, config: Self.config)
        defer { home.remove() }
        let settings = try AWSSettings.resolve(
            AWSConfigInput(region: "us-east-2", endpoint: "http://127.0.0.1:5000", accessKey: "AKIDCONFIG", secretKey: "s"),
            environment: ["HOME": home.path, "AWS_ACCESS_KEY_ID": "AKIDENV", "AWS_SECRET_ACCESS_KEY": "e", "AWS_REGION": "sa-east-1"])
        #expect(settings.credentials.accessKeyID == "AKIDCONFIG")
        #expect(settings.credentials.source == "provider config")
        #expect(settings.region == "us-east-2")
        #expect(settings.endpoint?.absoluteString == "http://127.0.0.1:5000")
    }

    @Test func thenTheEnvironment() throws {
        let home = try Home(credentials: Self.credentials, config: Self.config)
        defer { home.remove() }
        let settings = try AWSSettings.resolve(environment: [
            "HOME": home.path, "AWS_ACCESS_KEY_ID": "AKIDENV", "AWS_SECRET_ACCESS_KEY": "e", "AWS_SESSION_TOKEN": "t",
            "AWS_DEFAULT_REGION": "sa-east-1", "AWS_ENDPOINT_URL": "http://localhost:5000/",
        ])
        #expect(settings.credentials == AWSCredentials(accessKeyID: "AKIDENV", secretAccessKey: "e", sessionToken: "t", source: "environment"))
        #expect(settings.region == "sa-east-1")
        #expect(settings.endpoint?.host == "localhost")
        let both = try AWSSettings.resolve(environment: ["HOME": home.path, "AWS_ACCESS_KEY_ID": "a", "AWS_SECRET_ACCESS_KEY": "b",
                                                         "AWS_REGION": "us-west-1", "AWS_DEFAULT_REGION": "sa-east-1"])
        #expect(both.region == "us-west-1", "AWS_REGION wins over AWS_DEFAULT_REGION")
    }

    @Test func thenTheSharedFilesDefaultProfile() throws {
        let home = try Home(credentials: Self.credentials, config: Self.config)
        defer { home.remove() }
        let settings = try AWSSettings.resolve(environment: ["HOME": home.path])
        #expect(settings.credentials.accessKeyID == "AKIDDEFAULT")
        #expect(settings.credentials.secretAccessKey == "secretdefault")
        #expect(settings.credentials.sessionToken == nil)
        #expect(settings.region == "eu-west-1", "region from [default] in the config file")
        #expect(settings.endpoint == nil)
        #expect(settings.credentials.source.contains(".aws/credentials"))
    }

    @Test func aProfileFromAWSProfileOrTheConfig() throws {
        let home = try Home(credentials: Self.credentials, config: Self.config)
        defer { home.remove() }
        let dev = try AWSSettings.resolve(environment: ["HOME": home.path, "AWS_PROFILE": "dev"])
        #expect(dev.credentials.accessKeyID == "AKIDDEV")
        #expect(dev.credentials.secretAccessKey == "secretdev")
        #expect(dev.credentials.sessionToken == "tokendev#not-a-comment", "the AWS CLI has no inline comments")
        #expect(dev.region == "eu-central-1")
        #expect(dev.endpoint?.absoluteString == "http://localhost:4566")
        // A profile named in the provider config beats keys in the environment, as --profile does.
        let named = try AWSSettings.resolve(
            AWSConfigInput(profile: "configonly"),
            environment: ["HOME": home.path, "AWS_ACCESS_KEY_ID": "AKIDENV", "AWS_SECRET_ACCESS_KEY": "e"])
        #expect(named.credentials.accessKeyID == "AKIDCONFIG", "keys may sit in the config file too")
        #expect(named.region == "ap-south-1")
    }

    @Test func fileLocationsFromTheEnvironment() throws {
        let home = try Home()
        defer { home.remove() }
        let credentials = home.url.appendingPathComponent("creds.ini"), config = home.url.appendingPathComponent("conf.ini")
        try "[ci]\naws_access_key_id = AKIDCI\naws_secret_access_key = sci\n".write(to: credentials, atomically: true, encoding: .utf8)
        try "[profile ci]\nregion = us-west-2\n".write(to: config, atomically: true, encoding: .utf8)
        let settings = try AWSSettings.resolve(environment: [
            "HOME": home.path, "AWS_PROFILE": "ci",
            "AWS_SHARED_CREDENTIALS_FILE": credentials.path, "AWS_CONFIG_FILE": config.path,
        ])
        #expect(settings.credentials.accessKeyID == "AKIDCI")
        #expect(settings.region == "us-west-2")
    }

    @Test func errorsSayWhatToDo() throws {
        let home = try Home(credentials: Self.credentials, config: Self.config)
        defer { home.remove() }
        let empty = try Home()
        defer { empty.remove() }
        func message(_ env: [String: String], _ input: AWSConfigInput = AWSConfigInput()) -> String {
            do {
                _ = try AWSSettings.resolve(input, environment: env)
                return "no error"
            } catch {
                return "\(error)"
            }
        }
        #expect(message(["HOME": empty.path, "AWS_REGION": "us-east-1"]).contains("no AWS credentials: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY"))
        #expect(message(["HOME": home.path, "AWS_PROFILE": "nope"]).contains("the AWS profile 'nope' is in neither"))
        #expect(message(["HOME": home.path, "AWS_PROFILE": "assumed"]).contains("assume-role (role_arn), which strata-provider-aws does not support yet"))
        #expect(message(["HOME": empty.path, "AWS_ACCESS_KEY_ID": "a", "AWS_SECRET_ACCESS_KEY": "b"]).contains("no AWS region"))
        #expect(message(["HOME": empty.path, "AWS_ACCESS_KEY_ID": "a"]).contains("AWS_SECRET_ACCESS_KEY is not"))
        #expect(message(["HOME": empty.path], AWSConfigInput(accessKey: "a")).contains("only one of accessKey and secretKey"))
        #expect(message(["HOME": empty.path, "AWS_ACCESS_KEY_ID": "a", "AWS_SECRET_ACCESS_KEY": "b", "AWS_REGION": "us-east-1",
                         "AWS_ENDPOINT_URL": "localhost:5000"]).contains("is not an http(s) URL"))
    }

    @Test func credentialsNeverPrintTheSecret() {
        let credentials = AWSCredentials(accessKeyID: "AKID", secretAccessKey: "very-secret", source: "environment")
        #expect(!"\(credentials)".contains("very-secret"))
    }

    @Test func parsesSectionsCommentsAndNestedKeys() {
        let file = SharedConfigFile(parsing: Self.config, kind: .config)
        #expect(file.profiles["dev"]?["s3.addressing_style"] == "path")
        #expect(file.profiles["dev"]?["s3"] == "")
        #expect(file.profiles["assumed"]?["role_arn"] == "arn:aws:iam::123456789012:role/admin")
        let credentials = SharedConfigFile(parsing: "[profile x]\nkey=1\n", kind: .credentials)
        #expect(credentials.profiles["profile x"]?["key"] == "1", "the credentials file has no 'profile ' prefix")
    }
}
