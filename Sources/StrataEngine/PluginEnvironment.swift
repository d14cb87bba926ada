import Foundation
import StrataPluginKit

/// The environment a plugin is started with: a small base, the variables its provider needs,
/// and nothing else from the engine's own environment.
///
/// A plugin is started before it can say anything, so what it needs is declared on the
/// engine's side, not by the plugin (a plugin that could ask for variables could ask for all):
///
/// - the **base** every plugin gets: `PATH`, `HOME`, `LANG`, `LC_*`, `TZ`, `TMPDIR`,
///   `STRATA_LOG`, and `STRATA_PLUGIN_PROTOCOL` (set by the client);
/// - the **own namespace** of plugin `NAME`: `STRATA_<NAME>_*` (`STRATA_TEST_STORE` for `test`,
///   `STRATA_ECHO_STORE` for `echo`), `NAME` upper-cased with `-` and `.` as `_`;
/// - the **built-in table** for the providers shipped with Strata (`aws`: `AWS_*` and the
///   proxy variables);
/// - the **escape hatch** for other plugins: `STRATA_PLUGIN_ENV_<NAME>=VAR,PREFIX_*,…` lists
///   more names (exact, or a prefix ending in `*`) the user lets that plugin see.
///
/// The engine's own secrets (`STRATA_STATE_KEY`, `STRATA_STATE_*`, `STRATA_WEBHOOK_SECRET`) and
/// the escape-hatch variables themselves never reach a plugin, whatever the rules above say.
public struct PluginEnvironment: Sendable {
    /// Names (or prefixes ending in `*`) a plugin may see.
    public let patterns: [String]
    /// The plugin's name (`aws`, not `aws.eu`).
    public let plugin: String

    /// Every plugin gets these.
    public static let base = ["PATH", "HOME", "LANG", "LC_*", "TZ", "TMPDIR", "STRATA_LOG"]

    /// What the providers shipped with Strata need, beyond the base and their own namespace.
    public static let builtIn: [String: [String]] = [
        // The credential chain (AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN,
        // AWS_PROFILE, AWS_CONFIG_FILE, AWS_SHARED_CREDENTIALS_FILE), the region
        // (AWS_REGION, AWS_DEFAULT_REGION), AWS_ENDPOINT_URL, AWS_CA_BUNDLE…, and the proxies.
        "aws": ["AWS_*", "HTTP_PROXY", "HTTPS_PROXY", "NO_PROXY", "http_proxy", "https_proxy", "no_proxy"],
        "random": [],
        "test": [],
        "echo": [],
    ]

    /// The prefix of the escape-hatch variables: `STRATA_PLUGIN_ENV_<NAME>`.
    public static let escapeHatchPrefix = "STRATA_PLUGIN_ENV_"

    /// Never passed to a plugin: the engine's secrets and settings that are none of its business.
    public static let withheld = ["STRATA_STATE_*", "STRATA_WEBHOOK_*", "STRATA_PLUGIN_ENV_*", "STRATA_PLUGIN_PATH", "STRATA_DSL_DIR"]

    /// `NAME` as it appears in variable names: upper-cased, `-` and `.` as `_`.
    public static func variableName(of plugin: String) -> String {
        String(plugin.uppercased().map { $0.isLetter || $0.isNumber ? $0 : "_" })
    }

    public init(plugin: String, environment: [String: String] = ProcessInfo.processInfo.environment) {
        self.plugin = plugin
        let name = Self.variableName(of: plugin)
        var patterns = Self.base + ["STRATA_\(name)_*"] + (Self.builtIn[plugin] ?? [])
        if let extra = environment[Self.escapeHatchPrefix + name] {
            patterns += extra.split(whereSeparator: { $0 == "," || $0 == " " || $0 == ":" }).map(String.init).filter { !$0.isEmpty }
        }
        self.patterns = patterns
    }

    static func matches(_ name: String, _ pattern: String) -> Bool {
        pattern.hasSuffix("*") ? name.hasPrefix(pattern.dropLast()) : name == pattern
    }

    /// Whether a variable named `name` reaches the plugin.
    public func allows(_ name: String) -> Bool {
        if Self.withheld.contains(where: { Self.matches(name, $0) }) { return false }
        return patterns.contains { Self.matches(name, $0) }
    }

    /// The plugin's environment, taken from `environment` (the engine's).
    public func scrub(_ environment: [String: String]) -> [String: String] {
        var out = environment.filter { allows($0.key) }
        out[PluginProtocol.environmentVariable] = String(PluginProtocol.version)
        return out
    }
}
