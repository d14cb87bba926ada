import Strata
import StrataModel

extension AWS {
    /// `aws_lambda_function`: a function from a zip on this machine. `filename` is read when
    /// the stack runs (relative to the stack's directory); its SHA-256 becomes
    /// `sourceCodeHash`, so a rebuilt zip plans an update of the code. The path itself is not
    /// compared (moving the checkout plans nothing). The name forces replacement; role,
    /// runtime, handler, memory, timeout, environment and tags change in place.
    public final class LambdaFunction: Resource {
        public init(_ name: String, functionName: Expr<String>, role: Expr<String>, runtime: Expr<String>, handler: Expr<String>,
                    filename: String, memorySize: Int? = nil, timeout: Int? = nil, description: Expr<String>? = nil,
                    environment: [String: Expr<String>] = [:], tags: [String: Expr<String>] = [:],
                    file: String = #filePath, line: Int = #line) {
            super.init(type: "aws_lambda_function", name: name, file: file, line: line)
            setInput("functionName", functionName)
            setInput("role", role)
            setInput("runtime", runtime)
            setInput("handler", handler)
            let code = CodeHash.file(filename)
            setRawInput("filename", .string(code.path))
            if let hash = code.hash { setRawInput("sourceCodeHash", .string(hash)) }
            if let memorySize { setRawInput("memorySize", .number(Double(memorySize))) }
            if let timeout { setRawInput("timeout", .number(Double(timeout))) }
            setInput("description", description)
            if !environment.isEmpty { setInput("environment", Expr<[String: String]>(environment)) }
            if !tags.isEmpty { setInput("tags", Expr<[String: String]>(tags)) }
            ignoreChanges("filename")
        }
        /// The function name.
        public var id: Expr<String> { attribute("id") }
        public var arn: Expr<String> { attribute("arn") }
        /// What an API Gateway integration calls.
        public var invokeArn: Expr<String> { attribute("invokeArn") }
        public var sourceCodeHash: Expr<String> { attribute("sourceCodeHash") }
    }

    /// `aws_lambda_alias`: a name for a version (`$LATEST` or a number) of a function; the
    /// version changes in place.
    public final class LambdaAlias: Resource {
        public init(_ name: String, function: LambdaFunction, aliasName: Expr<String>, functionVersion: Expr<String> = "$LATEST",
                    description: Expr<String>? = nil, file: String = #filePath, line: Int = #line) {
            super.init(type: "aws_lambda_alias", name: name, file: file, line: line)
            setInput("functionName", function.id)
            setInput("name", aliasName)
            setInput("functionVersion", functionVersion)
            setInput("description", description)
        }
        /// `function/alias`.
        public var id: Expr<String> { attribute("id") }
        public var arn: Expr<String> { attribute("arn") }
        public var invokeArn: Expr<String> { attribute("invokeArn") }
    }

    /// `aws_lambda_permission`: lets a principal (`apigateway.amazonaws.com`, `sns.amazonaws.com`,
    /// an account) invoke a function; everything forces replacement.
    public final class LambdaPermission: Resource {
        public init(_ name: String, function: LambdaFunction, statementId: Expr<String>, principal: Expr<String>,
                    action: Expr<String> = "lambda:InvokeFunction", sourceArn: Expr<String>? = nil, qualifier: Expr<String>? = nil,
                    file: String = #filePath, line: Int = #line) {
            super.init(type: "aws_lambda_permission", name: name, file: file, line: line)
            setInput("functionName", function.id)
            setInput("statementId", statementId)
            setInput("principal", principal)
            setInput("action", action)
            setInput("sourceArn", sourceArn)
            setInput("qualifier", qualifier)
        }
        /// `function/statementId`.
        public var id: Expr<String> { attribute("id") }
    }
}
