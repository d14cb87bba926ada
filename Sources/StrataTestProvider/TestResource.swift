import Strata
import StrataModel

/// `test_resource` from the `test` provider: a resource kept as a JSON file, with
/// latency and failures on demand. For tests, benchmarks and demos.
public final class TestResource: Resource {
    /// Declares a test resource named `name`.
    public init(
        _ name: String, value: Expr<String>? = nil, inputs: [Expr<String>] = [],
        latencyMs: Int? = nil, file: String = #filePath, line: Int = #line
    ) {
        super.init(type: "test_resource", name: name, file: file, line: line)
        self.value = value
        if !inputs.isEmpty { self.inputs = Expr(inputs) }
        if let latencyMs { self.latencyMs = Expr(latencyMs) }
    }

    /// A label.
    public var label: Expr<String>? { get { input("name") } set { setInput("name", newValue) } }
    /// Any value; a change updates in place.
    public var value: Expr<String>? { get { input("value") } set { setInput("value", newValue) } }
    /// Values from other resources: each reference is a graph edge.
    public var inputs: Expr<[String]>? { get { input("inputs") } set { setInput("inputs", newValue) } }
    public var tags: Expr<[String: String]>? { get { input("tags") } set { setInput("tags", newValue) } }
    /// Changing it replaces the resource.
    public var replaceKey: Expr<String>? { get { input("replaceKey") } set { setInput("replaceKey", newValue) } }
    /// A secret input.
    public var secret: Expr<String>? { get { input("secret") } set { setInput("secret", newValue) } }
    /// Create, update and delete take this many milliseconds.
    public var latencyMs: Expr<Int>? { get { input("latencyMs") } set { setInput("latencyMs", newValue) } }
    public var readLatencyMs: Expr<Int>? { get { input("readLatencyMs") } set { setInput("readLatencyMs", newValue) } }
    /// Comma-separated calls that fail: create, update, delete, read.
    public var failOn: Expr<String>? { get { input("failOn") } set { setInput("failOn", newValue) } }
    /// The share (0 to 1) of create, update and delete calls that fail at random (torture tests).
    public var failureRate: Expr<Double>? { get { input("failureRate") } set { setInput("failureRate", newValue) } }

    /// The provider's id.
    public var id: Expr<String> { attribute("id") }
    /// Derived from `value`; known after create or update.
    public var result: Expr<String> { attribute("result") }
}

/// `data.test_lookup.NAME`: finds an existing `test_resource` by its label (`name`),
/// whoever made it.
public final class TestLookup: DataSource {
    public init(_ name: String, label: Expr<String>, file: String = #filePath, line: Int = #line) {
        super.init(type: "test_lookup", name: name, file: file, line: line)
        setInput("name", label)
    }
    public var id: Expr<String> { attribute("id") }
    public var value: Expr<String> { attribute("value") }
    public var result: Expr<String> { attribute("result") }
}
