import StrataModel

/// List attributes that mean sets (subnets, security groups, route tables, target groups):
/// read from the inputs as strings, reported in the stack's order when they hold the same items.
enum ListAttribute {
    /// A list attribute as the stack wrote it when it holds the same strings as AWS's (order
    /// aside), else AWS's (sorted, unless `sorted` is false).
    static func output(_ recorded: Value?, _ actual: [String], sorted: Bool = true) -> Value {
        if let recorded, let written = recorded.revealed.listValue?.compactMap(\.stringValue), Set(written) == Set(actual) {
            return recorded
        }
        return .list((sorted ? actual.sorted() : actual).map(Value.string))
    }

    /// The strings of a list input, nil when unset.
    static func strings(_ inputs: Inputs, _ key: String) -> [String]? {
        inputs.list(key)?.compactMap(\.stringValue)
    }
}
