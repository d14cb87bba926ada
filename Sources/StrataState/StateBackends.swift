import Foundation

/// Opens the state backend named by `--state`.
public enum StateBackends {
    /// The state file used when no `--state` is given, relative to the working directory.
    public static let defaultRelativePath = ".strata/state.db"

    /// - `nil` or `""`: `.strata/state.db` under `workingDirectory` (the folder is created).
    /// - `PATH`, `sqlite:PATH`, `sqlite://PATH`, `file://PATH`: that SQLite file; a relative
    ///   path is taken from `workingDirectory`; its folder must exist.
    /// - `postgres://…`: parsed here, opened by `StateBackendOpener` (StrataPostgresState);
    ///   this function refuses it. `s3://…`: opened by `StateBackendOpener` (StrataS3State);
    ///   `location` refuses it (`StateError.badURL`), since it names no file or database.
    public static func open(url: String?, workingDirectory: URL) throws -> any StateBackend {
        switch try location(url: url, workingDirectory: workingDirectory) {
        case .postgres(let postgres):
            throw StateError.unavailable("\(postgres) is a PostgreSQL state: open it with StateBackendOpener (StrataPostgresState)")
        case .sqlite(let file, let createFolder):
            try prepareFolder(of: file, create: createFolder)
            return try SQLiteStateBackend(path: file.path, cipher: try SecretCipher.load(environment: ProcessInfo.processInfo.environment, stateFile: file))
        }
    }

    /// Creates the state file's folder (`create`) or checks that it exists.
    public static func prepareFolder(of file: URL, create createFolder: Bool) throws {
        let folder = file.deletingLastPathComponent()
        if createFolder {
            do {
                try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
            } catch {
                throw StateError.storage(
                    "cannot create the state folder \(folder.path): \(error.localizedDescription). "
                        + "Check the permissions, or pass --state with another path.")
            }
        } else {
            var isDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: folder.path, isDirectory: &isDirectory), isDirectory.boolValue
            else {
                throw StateError.storage(
                    "the folder \(folder.path) for the state file does not exist; create it or pass another --state")
            }
        }
    }

    /// The key that seals secrets in this state (and in plan files made against it).
    public static func cipher(url: String?, workingDirectory: URL) throws -> SecretCipher {
        switch try location(url: url, workingDirectory: workingDirectory) {
        case .sqlite(let file, _):
            return try SecretCipher.load(environment: ProcessInfo.processInfo.environment, stateFile: file)
        case .postgres(let postgres):
            return try SecretCipher.shared(environment: ProcessInfo.processInfo.environment, state: postgres.description)
        }
    }

    /// Where a `--state` value points, without opening anything.
    public enum Location: Sendable, Hashable {
        /// A SQLite file; `createFolder` is true for the default location.
        case sqlite(URL, createFolder: Bool)
        /// A PostgreSQL database (and schema in it).
        case postgres(PostgresStateURL)
    }

    public static func location(url: String?, workingDirectory: URL) throws -> Location {
        let text = (url ?? "").trimmingCharacters(in: .whitespaces)
        if text.isEmpty {
            return .sqlite(
                workingDirectory.appendingPathComponent(defaultRelativePath).standardizedFileURL, createFolder: true)
        }
        let lower = text.lowercased()
        var path: String
        if lower.hasPrefix("sqlite://") {
            path = String(text.dropFirst("sqlite://".count))
        } else if lower.hasPrefix("sqlite:") {
            path = String(text.dropFirst("sqlite:".count))
        } else if lower.hasPrefix("file://") {
            path = String(text.dropFirst("file://".count))
        } else if PostgresStateURL.matches(text) {
            return .postgres(try PostgresStateURL(text))
        } else if lower.hasPrefix("s3://") {
            // S3 (StrataS3State) is recognised by `StateBackendOpener` before it calls this.
            throw StateError.badURL(text)
        } else if text.contains("://") {
            throw StateError.badURL(text)
        } else {
            path = text
        }
        if path.isEmpty { throw StateError.badURL(text) }
        if path.hasPrefix("~") { path = NSString(string: path).expandingTildeInPath }
        let file =
            path.hasPrefix("/")
            ? URL(fileURLWithPath: path)
            : workingDirectory.appendingPathComponent(path)
        return .sqlite(file.standardizedFileURL, createFolder: false)
    }
}
