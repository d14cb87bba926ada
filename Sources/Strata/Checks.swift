import StrataModel

/// Thrown by `Expr.get()` when the value is known only after apply: the check waits.
struct NotKnownYet: Error {}

struct DeclaredCheck {
    let address: ResourceAddress
    let kind: CheckResult.Kind
    let message: String
    let location: SourceLocation
    let condition: () throws -> Bool
}

extension Expr where T: Decodable {
    /// The value, for a check's condition: literals at once, other resources' attributes
    /// once they are known (from the state at plan time, or after apply). A check that reads
    /// a value not known yet is evaluated later.
    public func get() throws -> T {
        let known = try Registry.shared.known(value).revealed
        return try ValueDecoding.decode(T.self, from: known)
    }
}

extension Resource {
    /// A condition that must hold before this resource is created or changed; the plan fails
    /// with `message` when it does not. Evaluated at plan time when the values it reads are
    /// known, else after apply.
    ///
    /// ```swift
    /// db.precondition("production needs at least two replicas") { replicas >= 2 || env != "production" }
    /// ```
    @discardableResult
    public func precondition(_ message: String, file: String = #filePath, line: Int = #line, _ condition: @escaping () throws -> Bool) -> Self {
        Registry.shared.addCheck(DeclaredCheck(address: address, kind: .precondition, message: message, location: SourceLocation(file: file, line: line), condition: condition))
        return self
    }

    /// A condition that must hold once this resource exists; checked after apply (the apply
    /// then fails with `message`).
    ///
    /// ```swift
    /// lb.postcondition("the endpoint is HTTPS") { try lb.result.get().hasPrefix("https://") }
    /// ```
    @discardableResult
    public func postcondition(_ message: String, file: String = #filePath, line: Int = #line, _ condition: @escaping () throws -> Bool) -> Self {
        Registry.shared.addCheck(DeclaredCheck(address: address, kind: .postcondition, message: message, location: SourceLocation(file: file, line: line), condition: condition))
        return self
    }

    /// Replace this resource whenever any of these values changes (typically another
    /// resource's attribute): `server.replaceWhen(image.id)`.
    @discardableResult
    public func replaceWhen<T>(_ values: Expr<T>...) -> Self {
        appendReplaceTriggers(values.map(\.value))
        return self
    }
}
