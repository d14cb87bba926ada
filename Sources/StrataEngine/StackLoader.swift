import Foundation
import StrataModel

/// Turns a stack folder into a Manifest, the way SwiftPM loads `Package.swift`:
/// compile the folder's Swift files against the DSL library with `swiftc`, cache the
/// program under a hash of the sources, the DSL build and the compiler, run it with the
/// context as one JSON argument, and read the manifest it writes when it exits.
///
/// Loading a stack runs its code.
public struct StackLoader: Sendable {
    public struct Request: Sendable {
        public var directory: URL
        public var stackName: String
        public var instance: String
        public var variables: [String: String]
        /// Known attribute values by address, for the stack's checks (`Expr.get()`).
        public var knownValues: [String: [String: Value]]? = nil
        public init(directory: URL, stackName: String, instance: String, variables: [String: String], knownValues: [String: [String: Value]]? = nil) {
            self.knownValues = knownValues
            self.directory = directory
            self.stackName = stackName
            self.instance = instance
            self.variables = variables
        }
    }

    public struct Result: Sendable {
        public var manifest: Manifest
        /// True when the compiled program came from the cache.
        public var cached: Bool
        public var compileSeconds: Double
        public var runSeconds: Double
    }

    public let dsl: DSLLocation
    public let cacheDirectory: URL
    public let swiftc: URL

    public init(dsl: DSLLocation, cacheDirectory: URL, swiftc: URL) {
        self.dsl = dsl
        self.cacheDirectory = cacheDirectory
        self.swiftc = swiftc
    }

    /// The loader for this `strata` binary: the DSL next to it, the cache under
    /// `$XDG_CACHE_HOME/strata` (or `~/.cache/strata`), `swiftc` from `$SWIFTC` or the PATH.
    public static func standard(environment: [String: String] = ProcessInfo.processInfo.environment) throws -> StackLoader {
        let dsl = try DSLLocation.find(environment: environment)
        let cacheRoot: URL
        if let xdg = environment["XDG_CACHE_HOME"], !xdg.isEmpty {
            cacheRoot = URL(fileURLWithPath: xdg)
        } else {
            cacheRoot = URL(fileURLWithPath: environment["HOME"] ?? NSTemporaryDirectory()).appendingPathComponent(".cache")
        }
        guard let swiftc = Executables.find(environment["SWIFTC"] ?? "swiftc", environment: environment) else {
            throw StackLoadError.noCompiler
        }
        return StackLoader(dsl: dsl, cacheDirectory: cacheRoot.appendingPathComponent("strata/stacks"), swiftc: swiftc)
    }

    /// A stack compiled (or found in the cache) once, to be run many times with different
    /// instances and variables: the fleet runs one program for every tenant.
    public struct CompiledStack: Sendable {
        public var directory: URL
        public var stackName: String
        public var binary: URL
        /// True when the program came from the cache.
        public var cached: Bool
        public var compileSeconds: Double
    }

    public func load(_ request: Request) throws -> Result {
        let compiled = try compile(request.directory, stackName: request.stackName)
        return try run(compiled, request)
    }

    /// Compiles the stack in `directory`, unless the cache has it.
    public func compile(_ directory: URL, stackName: String) throws -> CompiledStack {
        let sources = try stackSources(directory)
        let key = try Timings.measure("stack: hash sources") { try cacheKey(sources: sources) }
        let binary = cacheDirectory.appendingPathComponent(key).appendingPathComponent("stack")
        var cached = true
        var compileSeconds = 0.0
        if !FileManager.default.isExecutableFile(atPath: binary.path) {
            cached = false
            let start = Date()
            try compile(sources: sources, stackName: stackName, to: binary)
            compileSeconds = Date().timeIntervalSince(start)
        }
        return CompiledStack(directory: directory, stackName: stackName, binary: binary, cached: cached, compileSeconds: compileSeconds)
    }

    /// Runs a compiled stack for one instance and its variables.
    public func run(_ compiled: CompiledStack, _ request: Request) throws -> Result {
        let start = Date()
        let manifest = try Timings.measure("stack: run + read manifest") { try run(compiled.binary, request) }
        return Result(manifest: manifest, cached: compiled.cached, compileSeconds: compiled.compileSeconds, runSeconds: Date().timeIntervalSince(start))
    }

    func stackSources(_ directory: URL) throws -> [URL] {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: directory.path, isDirectory: &isDirectory), isDirectory.boolValue else {
            throw StackLoadError.notAStack(directory.path, "no such folder")
        }
        guard let walker = FileManager.default.enumerator(at: directory, includingPropertiesForKeys: nil, options: [.skipsHiddenFiles]) else {
            throw StackLoadError.notAStack(directory.path, "cannot list it")
        }
        var files: [URL] = []
        for case let url as URL in walker where url.pathExtension == "swift" {
            files.append(url.standardizedFileURL)
        }
        files.sort { $0.path < $1.path }
        guard files.contains(where: { $0.lastPathComponent == "main.swift" }) else {
            throw StackLoadError.notAStack(directory.path, "a stack folder needs a main.swift (its top-level code declares the resources)")
        }
        return files
    }

    func cacheKey(sources: [URL]) throws -> String {
        var hasher = SHA256Hasher()
        hasher.update("strata-stack-v1\n")
        for file in sources {
            hasher.update(file.path + "\n")
            hasher.update(try Data(contentsOf: file))
        }
        // The DSL build and the compiler: a change to either makes a new program.
        for file in [dsl.library, swiftc.resolvingSymlinksInPath()] {
            let attributes = try? FileManager.default.attributesOfItem(atPath: file.path)
            let size = (attributes?[.size] as? NSNumber)?.intValue ?? 0
            let mtime = (attributes?[.modificationDate] as? Date)?.timeIntervalSince1970 ?? 0
            hasher.update("\(file.path) \(size) \(mtime)\n")
        }
        return String(hasher.finalize().prefix(32))
    }

    func compile(sources: [URL], stackName: String, to binary: URL) throws {
        let folder = binary.deletingLastPathComponent()
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        // A name of its own: two instances of one stack swept at once may both compile it.
        let temporary = folder.appendingPathComponent("stack.\(ProcessInfo.processInfo.processIdentifier)-\(randomHex(bytes: 6)).tmp")
        let moduleName = "StrataStack_" + String(stackName.map { $0.isLetter || $0.isNumber ? $0 : "_" })
        var arguments = [
            "-Onone", "-module-name", moduleName, "-swift-version", "6",
            "-I", dsl.modules.path, "-L", dsl.libraryDirectory.path, "-lStrataDSL",
            "-Xlinker", "-rpath", "-Xlinker", dsl.libraryDirectory.path,
            "-module-cache-path", cacheDirectory.appendingPathComponent("module-cache").path,
            "-o", temporary.path,
        ]
        arguments += sources.map(\.path)
        let result = try Subprocess.run(swiftc, arguments: arguments)
        guard result.status == 0 else {
            try? FileManager.default.removeItem(at: temporary)
            throw StackLoadError.compileFailed(result.stderr + result.stdout)
        }
        // Renamed into place only when whole, so a killed compile never leaves a bad cache entry;
        // rename(2) replaces in one step, so a run reading the cache never finds it missing.
        guard rename(temporary.path, binary.path) == 0 else {
            let reason = String(cString: strerror(errno))
            try? FileManager.default.removeItem(at: temporary)
            throw StackLoadError.compileFailed("cannot put the compiled stack in place at \(binary.path): \(reason)")
        }
    }

    func run(_ binary: URL, _ request: Request) throws -> Manifest {
        let manifestFile = URL(fileURLWithPath: NSTemporaryDirectory())
            .appendingPathComponent("strata-manifest-\(ProcessInfo.processInfo.processIdentifier)-\(randomHex(bytes: 6)).json")
        defer { try? FileManager.default.removeItem(at: manifestFile) }
        struct Context: Encodable {
            var stack: String
            var instance: String
            var variables: [String: String]
            var manifestPath: String
            var valuesPath: String?
        }
        var valuesFile: URL? = nil
        if let known = request.knownValues {
            // Values can hold secrets: a file only this user can read, removed right after.
            let file = URL(fileURLWithPath: NSTemporaryDirectory()).appendingPathComponent("strata-values-\(randomHex(bytes: 8)).json")
            FileManager.default.createFile(atPath: file.path, contents: nil, attributes: [.posixPermissions: 0o600])
            try ValueJSON.data(.map(known.mapValues { .map($0) })).write(to: file)
            valuesFile = file
        }
        defer { if let valuesFile { try? FileManager.default.removeItem(at: valuesFile) } }
        let context = Context(stack: request.stackName, instance: request.instance, variables: request.variables, manifestPath: manifestFile.path, valuesPath: valuesFile?.path)
        let json = String(decoding: try StrataJSON.encode(context), as: UTF8.self)
        let result = try Timings.measure("stack: run program") { try Subprocess.run(binary, arguments: ["--strata-context", json], workingDirectory: request.directory) }
        guard result.status == 0 else {
            throw StackLoadError.programFailed(status: result.status, output: result.stderr)
        }
        guard let data = try? Data(contentsOf: manifestFile) else {
            // A stack that declares nothing never touches the DSL, so it writes no manifest.
            return Manifest(stack: request.stackName, instance: request.instance)
        }
        let manifest: Manifest
        do {
            manifest = try StrataJSON.decode(Manifest.self, from: data)
        } catch {
            throw StackLoadError.badManifest("\(error)")
        }
        guard manifest.version == Manifest.currentVersion else {
            throw StackLoadError.badManifest("manifest version \(manifest.version); this strata reads version \(Manifest.currentVersion). Rebuild the stack with this strata.")
        }
        return manifest
    }
}

/// Where the DSL's modules and library are.
public struct DSLLocation: Sendable {
    public var modules: URL
    public var library: URL
    public var libraryDirectory: URL { library.deletingLastPathComponent() }

    /// `$STRATA_DSL_DIR`, else `<exe dir>/Modules` with `<exe dir>/libStrataDSL.so`,
    /// else an installed layout `<prefix>/lib/strata/`.
    public static func find(environment: [String: String]) throws -> DSLLocation {
        var candidates: [URL] = []
        if let dir = environment["STRATA_DSL_DIR"], !dir.isEmpty { candidates.append(URL(fileURLWithPath: dir)) }
        if let exe = ExecutableLocation.directory {
            candidates.append(exe)
            candidates.append(exe.deletingLastPathComponent().appendingPathComponent("lib/strata"))
        }
        for dir in candidates {
            let modules = dir.appendingPathComponent("Modules")
            let library = dir.appendingPathComponent("libStrataDSL.so")
            if FileManager.default.fileExists(atPath: modules.appendingPathComponent("Strata.swiftmodule").path),
                FileManager.default.fileExists(atPath: library.path)
            {
                return DSLLocation(modules: modules, library: library)
            }
        }
        throw StackLoadError.noDSL(candidates.map(\.path))
    }
}

public enum StackLoadError: Error, Sendable, CustomStringConvertible {
    case notAStack(String, String)
    case noCompiler
    case noDSL([String])
    case compileFailed(String)
    case programFailed(status: Int32, output: String)
    case badManifest(String)

    public var description: String {
        switch self {
        case .notAStack(let path, let why): return "\(path) is not a stack: \(why)"
        case .noCompiler: return "swiftc not found: stacks are Swift programs; put the Swift toolchain on PATH or set SWIFTC"
        case .noDSL(let searched):
            return "the Strata DSL library (Modules/Strata.swiftmodule, libStrataDSL.so) is not next to strata; looked in \(searched.joined(separator: ", ")). Build with `swift build` or set STRATA_DSL_DIR."
        case .compileFailed(let output): return "the stack does not compile:\n\(output)"
        case .programFailed(let status, let output):
            return "the stack program failed (exit status \(status)):\n\(output)"
        case .badManifest(let why): return "the stack program wrote a manifest strata cannot read: \(why)"
        }
    }
}

/// Runs a short-lived program to completion and collects its output.
enum Subprocess {
    struct Output {
        var status: Int32
        var stdout: String
        var stderr: String
    }

    static func run(_ executable: URL, arguments: [String], workingDirectory: URL? = nil) throws -> Output {
        let process = Process()
        process.executableURL = executable
        process.arguments = arguments
        if let workingDirectory { process.currentDirectoryURL = workingDirectory }
        let out = Pipe()
        let err = Pipe()
        process.standardOutput = out
        process.standardError = err
        process.standardInput = FileHandle.nullDevice
        try process.run()
        // Read both pipes at once so neither fills up and blocks the child.
        let group = DispatchGroup()
        nonisolated(unsafe) var outData = Data()
        nonisolated(unsafe) var errData = Data()
        group.enter()
        DispatchQueue.global().async {
            outData = out.fileHandleForReading.readDataToEndOfFile()
            group.leave()
        }
        errData = err.fileHandleForReading.readDataToEndOfFile()
        group.wait()
        process.waitUntilExit()
        return Output(status: process.terminationStatus, stdout: String(decoding: outData, as: UTF8.self), stderr: String(decoding: errData, as: UTF8.self))
    }
}

enum Executables {
    static func find(_ name: String, environment: [String: String]) -> URL? {
        if name.contains("/") { return FileManager.default.isExecutableFile(atPath: name) ? URL(fileURLWithPath: name) : nil }
        for dir in (environment["PATH"] ?? "/usr/bin:/bin").split(separator: ":") {
            let url = URL(fileURLWithPath: String(dir)).appendingPathComponent(name)
            if FileManager.default.isExecutableFile(atPath: url.path) { return url }
        }
        return nil
    }
}
