import Foundation

/// An AWS shared file (`~/.aws/credentials` or `~/.aws/config`) as profiles of key/values.
///
/// The credentials file names sections `[NAME]`; the config file `[default]` and
/// `[profile NAME]` (other sections, e.g. `[sso-session x]`, are kept under their full name).
/// Lines starting with `#` or `;` are comments (only whole lines, as in the AWS CLI); indented lines continue a nested key
/// (`s3 =` then `  addressing_style = path`) and are stored as `parent.key`.
public struct SharedConfigFile: Sendable, Hashable {
    public enum Kind: Sendable { case credentials, config }

    public var profiles: [String: [String: String]]

    public init(profiles: [String: [String: String]] = [:]) { self.profiles = profiles }

    public init(parsing text: String, kind: Kind) {
        var profiles: [String: [String: String]] = [:]
        var section: String?
        var parent: String?
        for rawLine in text.split(omittingEmptySubsequences: false, whereSeparator: \.isNewline) {
            let line = String(rawLine)
            let trimmed = line.trimmingCharacters(in: .whitespaces)
            if trimmed.isEmpty || trimmed.hasPrefix("#") || trimmed.hasPrefix(";") { continue }
            if trimmed.hasPrefix("[") && trimmed.hasSuffix("]") {
                let name = trimmed.dropFirst().dropLast().trimmingCharacters(in: .whitespaces)
                section = Self.profileName(section: name, kind: kind)
                parent = nil
                if let section, profiles[section] == nil { profiles[section] = [:] }
                continue
            }
            guard let section, let equals = trimmed.firstIndex(of: "=") else { continue }
            let key = trimmed[..<equals].trimmingCharacters(in: .whitespaces).lowercased()
            // No inline comments: the AWS CLI (Python's RawConfigParser) keeps `# …` in the value.
            let value = trimmed[trimmed.index(after: equals)...].trimmingCharacters(in: .whitespaces)
            let indented = line.first == " " || line.first == "\t"
            if indented, let parent {
                profiles[section, default: [:]]["\(parent).\(key)"] = value
            } else {
                profiles[section, default: [:]][key] = value
                parent = value.isEmpty ? key : nil
            }
        }
        self.profiles = profiles
    }

    /// `[profile dev]` in the config file is profile `dev`; `[default]` is `default`.
    static func profileName(section: String, kind: Kind) -> String? {
        switch kind {
        case .credentials:
            return section
        case .config:
            if section == "default" { return "default" }
            if section.hasPrefix("profile ") {
                return section.dropFirst("profile ".count).trimmingCharacters(in: .whitespaces)
            }
            return section
        }
    }

    /// Reads a file; a missing file is an empty one.
    public static func load(path: String, kind: Kind) throws -> SharedConfigFile {
        guard FileManager.default.fileExists(atPath: path) else { return SharedConfigFile() }
        do {
            return SharedConfigFile(parsing: try String(contentsOfFile: path, encoding: .utf8), kind: kind)
        } catch {
            throw AWSConfigurationError("cannot read the AWS shared file \(path): \(error.localizedDescription)")
        }
    }
}

/// The AWS settings could not be worked out (no credentials, no region, a bad profile).
public struct AWSConfigurationError: Error, Sendable, Hashable, CustomStringConvertible {
    public var message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}
