import Strata
import StrataAWS

/// Serverless functions (what Supabase calls edge functions): one IAM role they run as, with a
/// policy allowing only what they need — writing their own logs, reading the secrets under
/// `secretsPrefix` (their API keys), putting objects into `writableBuckets` — and per function
/// a log group `/aws/lambda/<name>` kept `logRetentionDays` and a Lambda function from a zip
/// beside the stack.
///
/// ```swift
/// let functions = Functions(prefix: "complyflow", [
///     .init("analyze-policy", zip: "functions/analyze-policy.zip", handler: "main.handler", timeout: 60),
/// ], secretsPrefix: "complyflow/api-keys")
/// let api = HTTPGateway(apiName: "complyflow-functions", routes: [
///     .function("POST /analyze-policy", functions["analyze-policy"]!),
/// ])
/// ```
///
/// Functions are keyed by name (`functions.aws_lambda_function.function["analyze-policy"]`);
/// a rebuilt zip plans an update of its function's code and nothing else.
public struct Functions: Component {
    /// One function.
    public struct Spec: Sendable {
        /// The end of the function's name (`<prefix>-<key>`) and its address key.
        public var key: String
        /// The zip, relative to the stack's folder.
        public var zip: String
        public var handler: String
        public var memorySize: Int
        public var timeout: Int
        public var description: String
        public var environment: [String: String]

        public init(_ key: String, zip: String, handler: String = "main.handler", memorySize: Int = 256, timeout: Int = 30,
                    description: String = "", environment: [String: String] = [:]) {
            self.key = key
            self.zip = zip
            self.handler = handler
            self.memorySize = memorySize
            self.timeout = timeout
            self.description = description
            self.environment = environment
        }
    }

    public let role: AWS.IAMRole
    public let policy: AWS.IAMPolicy
    public let logGroups: [String: AWS.LogGroup]
    public let functions: [String: AWS.LambdaFunction]
    /// The functions' names by key (`<prefix>-<key>`), for alarms.
    public let functionNames: [String: String]

    /// - Parameters:
    ///   - prefix: the start of every function's, the role's and the policy's name.
    ///   - runtime: the Lambda runtime of every function (`python3.12`, `nodejs20.x`).
    ///   - secretsPrefix: the functions may read the Secrets Manager secrets named `<secretsPrefix>/…`.
    ///   - writableBuckets: the functions may put objects into these buckets (names).
    ///   - logRetentionDays: how long their logs are kept.
    public init(_ name: String = "functions", prefix: String, _ specs: [Spec], runtime: String = "python3.12", secretsPrefix: String? = nil,
                writableBuckets: [String] = [], logRetentionDays: Int = 30, provider: ProviderRef? = nil, tags: [String: Expr<String>] = [:],
                file: String = #filePath, line: Int = #line) {
        @discardableResult func place<R: Resource>(_ resource: R) -> R {
            if let provider { resource.using(provider) }
            return resource
        }
        var names: [String: String] = [:]
        for spec in specs { names[spec.key] = "\(prefix)-\(spec.key)" }
        functionNames = names
        (role, policy, logGroups, functions) = Stack.component(name) {
            let trust = #"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"lambda.amazonaws.com"},"Action":"sts:AssumeRole"}]}"#
            let role = place(AWS.IAMRole("functions", roleName: Expr("\(prefix)-functions"), assumeRolePolicy: Expr(trust),
                                         description: Expr("what the functions of \(prefix) run as"), tags: tags, file: file, line: line))
            let policy = place(AWS.IAMPolicy("functions", policyName: Expr("\(prefix)-functions"), policy: Expr(Self.policyDocument(
                functionNames: specs.map { "\(prefix)-\($0.key)" }, secretsPrefix: secretsPrefix, writableBuckets: writableBuckets)),
                description: Expr("logs and API keys of the functions of \(prefix)"), tags: tags, file: file, line: line))
            place(AWS.IAMRolePolicyAttachment("functions", role: role, policy: policy, file: file, line: line))
            var groups: [String: AWS.LogGroup] = [:]
            var functions: [String: AWS.LambdaFunction] = [:]
            for spec in specs {
                let functionName = "\(prefix)-\(spec.key)"
                groups[spec.key] = place(AWS.LogGroup(keyed("logs", spec.key), logGroupName: Expr("/aws/lambda/\(functionName)"),
                                                      retentionInDays: logRetentionDays, tags: tags, file: file, line: line))
                functions[spec.key] = place(AWS.LambdaFunction(
                    keyed("function", spec.key), functionName: Expr(functionName), role: role.arn, runtime: Expr(runtime),
                    handler: Expr(spec.handler), filename: spec.zip, memorySize: spec.memorySize, timeout: spec.timeout,
                    description: spec.description.isEmpty ? nil : Expr(spec.description),
                    environment: spec.environment.mapValues { Expr($0) }, tags: tags, file: file, line: line))
            }
            return (role, policy, groups, functions)
        }
    }

    public subscript(key: String) -> AWS.LambdaFunction? { functions[key] }

    /// Writing to the functions' own log groups; reading the secrets under `secretsPrefix`;
    /// putting objects into `writableBuckets`.
    public static func policyDocument(functionNames: [String], secretsPrefix: String?, writableBuckets: [String] = []) -> String {
        let logs = functionNames.map { #""arn:aws:logs:*:*:log-group:/aws/lambda/\#($0):*""# }.joined(separator: ",")
        var statements = [#"{"Sid":"Logs","Effect":"Allow","Action":["logs:CreateLogStream","logs:PutLogEvents"],"Resource":[\#(logs)]}"#]
        if let secretsPrefix {
            statements.append(#"{"Sid":"APIKeys","Effect":"Allow","Action":"secretsmanager:GetSecretValue","Resource":"arn:aws:secretsmanager:*:*:secret:\#(secretsPrefix)/*"}"#)
        }
        if !writableBuckets.isEmpty {
            let objects = writableBuckets.map { #""arn:aws:s3:::\#($0)/*""# }.joined(separator: ",")
            statements.append(#"{"Sid":"Objects","Effect":"Allow","Action":"s3:PutObject","Resource":[\#(objects)]}"#)
        }
        return #"{"Version":"2012-10-17","Statement":[\#(statements.joined(separator: ","))]}"#
    }
}
