import StrataModel

extension Stack {
    /// Reports a problem the stack program can see before any plugin runs (a typed module's
    /// own cross-resource check, say). `validate` and `plan` show it with the resource's address
    /// and file:line, and refuse the stack if it is an error.
    public static func diagnose(_ message: String, resource: Resource? = nil, severity: Diagnostic.Severity = .error,
                                file: String = #filePath, line: Int = #line) {
        let location = resource?.location ?? SourceLocation(file: file, line: line)
        Registry.shared.addDiagnostic(Diagnostic(severity, message, address: resource?.address.description, location: location))
    }
}
