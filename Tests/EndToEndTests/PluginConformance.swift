import Foundation

#if canImport(Glibc)
    import Glibc
    private let systemWrite = Glibc.write
#elseif canImport(Darwin)
    import Darwin
    private let systemWrite = Darwin.write
#endif

/// Runs any plugin executable through plugin protocol v1 (docs/plugin-protocol.md) with raw JSON
/// lines — Foundation `Process` + `Pipe`, not the engine's client — and says what it got wrong.
///
/// Valid inputs are derived from the schema the plugin announces: each required attribute gets
/// a sample by kind (string "conformance", number 8, bool true, list [], map {}).
/// Every failure names the check and quotes the raw line received, if any.
struct PluginConformance: Sendable {
    let executable: URL
    /// The plugin's whole environment; the checker adds `STRATA_PLUGIN_PROTOCOL=1`.
    let environment: [String: String]
    /// Resource types that live only in the state (their `read` returns what it is given, and
    /// `delete` forgets), so a read after delete cannot say they are gone.
    let stateOnlyTypes: Set<String>
    /// How long to wait for any one answer.
    let answerTimeout: TimeInterval
    /// By type: inputs to use instead of (over) the samples the schema gives, for types whose
    /// inputs must name something real (a database that exists, a privilege by its name).
    let sampleInputs: [String: [String: ConformanceJSON]]
    /// By type: the in-place attribute to change and its new value, instead of the one the
    /// schema suggests.
    let inPlaceChanges: [String: [String: ConformanceJSON]]

    init(executable: URL, environment: [String: String], stateOnlyTypes: Set<String> = [], answerTimeout: TimeInterval = 15,
         sampleInputs: [String: [String: ConformanceJSON]] = [:], inPlaceChanges: [String: [String: ConformanceJSON]] = [:]) {
        self.executable = executable
        self.environment = environment
        self.stateOnlyTypes = stateOnlyTypes
        self.answerTimeout = answerTimeout
        self.sampleInputs = sampleInputs
        self.inPlaceChanges = inPlaceChanges
    }

    /// The sample inputs of `type`, with the overrides given for it.
    private func samples(_ type: ResourceType) -> [String: ConformanceJSON] {
        type.sampleInputs.merging(sampleInputs[type.name] ?? [:]) { _, given in given }
    }

    /// The failures found; empty means the plugin passes.
    func run() async throws -> [String] {
        // The checks block on pipes; run them on their own thread, not the cooperative pool.
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<[String], any Error>) in
            let thread = Thread {
                continuation.resume(with: Result(catching: { try self.runBlocking() }))
            }
            thread.stackSize = 1 << 22
            thread.start()
        }
    }

    // MARK: - The checks

    private func runBlocking() throws -> [String] {
        signal(SIGPIPE, SIG_IGN)  // a plugin that dies must fail a check, not kill the test
        let workDir = FileManager.default.temporaryDirectory
            .appendingPathComponent("strata-conformance-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: workDir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: workDir) }

        var report = Report()
        checkRunByHand(workDir: workDir, report: &report)

        var env = environment
        env["STRATA_PLUGIN_PROTOCOL"] = "1"
        let plugin: ConformancePluginProcess
        do {
            plugin = try ConformancePluginProcess(executable: executable, environment: env, workingDirectory: workDir)
        } catch {
            report.fail("start", "cannot start \(executable.path): \(error)")
            return report.failures
        }
        defer { plugin.kill() }
        let session = Session(plugin: plugin, timeout: answerTimeout)
        protocolChecks(session, report: &report)
        report.failures += session.lineFailures
        return report.failures.reduce(into: [String]()) { out, f in if !out.contains(f) { out.append(f) } }
    }

    /// Run by hand (no STRATA_PLUGIN_PROTOCOL), a plugin prints what it is and exits 0.
    private func checkRunByHand(workDir: URL, report: inout Report) {
        var env = environment
        env.removeValue(forKey: "STRATA_PLUGIN_PROTOCOL")
        let process = Process()
        process.executableURL = executable
        process.environment = env
        process.currentDirectoryURL = workDir
        let out = Pipe()
        process.standardOutput = out
        process.standardError = FileHandle.nullDevice
        process.standardInput = FileHandle.nullDevice
        do {
            try process.run()
        } catch {
            report.fail("run by hand", "cannot start \(executable.path): \(error)")
            return
        }
        let data = out.fileHandleForReading.readDataToEndOfFile()
        let deadline = Date().addingTimeInterval(5)
        while process.isRunning && Date() < deadline { usleep(10_000) }
        if process.isRunning {
            process.terminate()
            report.fail("run by hand", "without STRATA_PLUGIN_PROTOCOL it did not exit within 5 s")
            return
        }
        let text = String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        if process.terminationReason != .exit || process.terminationStatus != 0 {
            report.fail("run by hand", "without STRATA_PLUGIN_PROTOCOL it exited with status \(process.terminationStatus), not 0; printed: \(text)")
        }
        if text.isEmpty {
            report.fail("run by hand", "without STRATA_PLUGIN_PROTOCOL it printed nothing on stdout (it should say what it is)")
        }
    }

    private func protocolChecks(_ session: Session, report: inout Report) {
        // initialize
        guard let initialize = session.call("initialize", ["protocolVersion": 1, "engineVersion": "conformance"], report: &report, check: "initialize")
        else { return }
        guard let schema = initialize.result else {
            report.fail("initialize", "answered an error, not a schema", initialize.raw)
            return
        }
        if schema["protocolVersion"]?.int != 1 {
            report.fail("initialize", "protocolVersion must be 1", initialize.raw)
        }
        if schema["name"]?.string?.isEmpty ?? true { report.fail("initialize", "no provider name", initialize.raw) }
        if schema["version"]?.string == nil { report.fail("initialize", "no provider version", initialize.raw) }
        if let limit = schema["maxParallelism"], limit != .null, (limit.int ?? 0) < 1 {
            report.fail("initialize", "maxParallelism must be a positive integer or absent", initialize.raw)
        }
        guard let resources = schema["resources"]?.object, !resources.isEmpty else {
            report.fail("initialize", "the schema must list at least one resource type", initialize.raw)
            return
        }
        var types: [ResourceType] = []
        for name in resources.keys.sorted() {
            guard let type = ResourceType(name: name, json: resources[name]!, report: &report, raw: initialize.raw) else { continue }
            types.append(type)
        }
        guard session.alive(&report, during: "initialize") else { return }

        // configure with no settings
        if let reply = session.call("configure", ["config": [:]], report: &report, check: "configure") {
            if let error = reply.error, error.kind != "invalid" {
                report.fail("configure", "configure {} must succeed (or say invalid if settings are required)", reply.raw)
            }
        }

        // unknown method
        if let reply = session.call("conformance/noSuchMethod", [:], report: &report, check: "unknown method") {
            if let error = reply.error {
                if error.kind != "unsupported" { report.fail("unknown method", "data.kind must be \"unsupported\"", reply.raw) }
                if error.code != -32601 { report.fail("unknown method", "code must be -32601 (JSON-RPC method not found)", reply.raw) }
            } else {
                report.fail("unknown method", "an unknown method must get an error", reply.raw)
            }
        }

        // a line that is not JSON: an error with id null, and the plugin keeps going
        session.sendRaw("{ this is not JSON")
        if let reply = session.answerWithoutID() {
            if reply.error == nil { report.fail("malformed line", "must be answered with an error", reply.raw) }
            if reply.message["id"] != .null { report.fail("malformed line", "the error's id must be null", reply.raw) }
        } else {
            report.fail("malformed line", "no error answered \(session.silence)")
        }
        guard session.alive(&report, during: "malformed line") else { return }
        if let reply = session.call("configure", ["config": [:]], report: &report, check: "malformed line"), reply.result == nil, reply.error == nil {
            report.fail("malformed line", "after a malformed line the next request must still be answered", reply.raw)
        }

        // check: sample inputs are fine, an unknown attribute is a problem
        for type in types {
            if let reply = session.call("check", ["type": .string(type.name), "inputs": .object(samples(type))], report: &report, check: "check \(type.name)") {
                if let problems = reply.result?["problems"]?.array {
                    if !problems.isEmpty { report.fail("check \(type.name)", "sample inputs \(ConformanceJSON.object(samples(type)).text) must have no problems", reply.raw) }
                } else {
                    report.fail("check \(type.name)", "the result must have a problems list", reply.raw)
                }
                if reply.result?["inputs"]?.object == nil { report.fail("check \(type.name)", "the result must have the (normalised) inputs", reply.raw) }
            }
            var inputs = samples(type)
            inputs["conformanceNoSuchAttribute"] = "x"
            if let reply = session.call("check", ["type": .string(type.name), "inputs": .object(inputs)], report: &report, check: "check unknown attribute") {
                let problems = reply.result?["problems"]?.array ?? []
                let named = problems.contains {
                    $0["attribute"]?.string == "conformanceNoSuchAttribute"
                        || ($0["message"]?.string ?? "").contains("conformanceNoSuchAttribute")
                }
                if !named { report.fail("check unknown attribute", "\(type.name) with attribute conformanceNoSuchAttribute must report a problem naming it", reply.raw) }
            }
        }
        guard session.alive(&report, during: "check") else { return }

        // the life of one resource of every type
        for type in types {
            lifecycle(type, session, report: &report)
            guard session.alive(&report, during: "\(type.name) lifecycle") else { return }
        }

        // 50 requests in flight before any answer is read
        concurrency(types[0], session, report: &report)
        guard session.alive(&report, during: "50 in flight") else { return }

        // shutdown: answered, then exit 0 within 5 s
        let started = Date()
        let id = session.send("shutdown", [:])
        if let reply = session.answer(to: id, timeout: 5) {
            if reply.result == nil { report.fail("shutdown", "must be answered with a result", reply.raw) }
        } else {
            report.fail("shutdown", "no answer \(session.silence)")
        }
        let remaining = max(0.1, 5 - Date().timeIntervalSince(started))
        if let status = session.plugin.waitForExit(timeout: remaining) {
            if status != 0 { report.fail("shutdown", "the plugin exited with status \(status), not 0\(session.stderrNote)") }
        } else {
            report.fail("shutdown", "the plugin did not exit within 5 s of shutdown")
        }
    }

    private func lifecycle(_ type: ResourceType, _ session: Session, report: inout Report) {
        let name = type.name
        let token = "conformance-" + UUID().uuidString.lowercased()
        let tags: ConformanceJSON = [
            "strata:stack": "conformance", "strata:instance": "default",
            "strata:address": .string("\(name).conformance"), "strata:token": .string(token),
        ]
        var inputs = samples(type)

        // create
        guard let created = session.call("create", ["type": .string(name), "inputs": .object(inputs), "token": .string(token), "tags": tags], report: &report, check: "create \(name)")
        else { return }
        guard let result = created.result, let id = result["id"]?.string, !id.isEmpty, var outputs = result["outputs"]?.object else {
            report.fail("create \(name)", "must answer {id: non-empty string, outputs: object}", created.raw)
            return
        }

        // read: exists, with the id
        if let read = session.call("read", ["type": .string(name), "id": .string(id), "inputs": .object(inputs), "outputs": .object(outputs)], report: &report, check: "read \(name)") {
            if read.result?["exists"] != .bool(true) {
                report.fail("read \(name)", "read right after create must say exists: true", read.raw)
            } else if type.attributes["id"] != nil, read.result?["outputs"]?["id"]?.revealed != .string(id) {
                report.fail("read \(name)", "read's outputs must include the id \(id)", read.raw)
            }
        }

        // recover by the create's token: found (with the same id) or not, never an error
        if let recovered = session.call("recover", ["type": .string(name), "token": .string(token), "inputs": .object(inputs)], report: &report, check: "recover \(name)") {
            if let found = recovered.result?["found"] {
                if found == .bool(true), recovered.result?["id"]?.string != id {
                    report.fail("recover \(name)", "found the create's token but not its id \(id)", recovered.raw)
                } else if found != .bool(true) && found != .bool(false) {
                    report.fail("recover \(name)", "found must be a boolean", recovered.raw)
                }
            } else {
                report.fail("recover \(name)", "must answer {found: bool, id?, outputs?}", recovered.raw)
            }
        }

        // diff, for types that implement it: no change, nothing changed
        if type.customDiff,
            let diff = session.call("diff", ["type": .string(name), "id": .string(id), "priorInputs": .object(inputs), "priorOutputs": .object(outputs), "inputs": .object(inputs)], report: &report, check: "diff \(name)")
        {
            if diff.result?["changed"]?.array != [] || diff.result?["replace"]?.array != [] {
                report.fail("diff \(name)", "the same inputs must diff to {changed: [], replace: []}", diff.raw)
            }
        }

        // update with the same inputs
        if let updated = session.call("update", ["type": .string(name), "id": .string(id), "priorInputs": .object(inputs), "priorOutputs": .object(outputs), "inputs": .object(inputs)], report: &report, check: "update \(name)") {
            if let newOutputs = updated.result?["outputs"]?.object {
                outputs = newOutputs
            } else {
                report.fail("update \(name)", "update with the same inputs must succeed with {outputs: object}", updated.raw)
            }
        }

        // update with one in-place attribute changed
        var inPlace = type.inPlaceAttribute.map { ($0.name, $0.changedSample) }
        if let given = inPlaceChanges[name]?.first { inPlace = (given.key, given.value) }
        if let (attributeName, changedSample) = inPlace {
            let attribute = (name: attributeName, changedSample: changedSample)
            var changed = inputs
            changed[attribute.name] = attribute.changedSample
            if let updated = session.call("update", ["type": .string(name), "id": .string(id), "priorInputs": .object(inputs), "priorOutputs": .object(outputs), "inputs": .object(changed)], report: &report, check: "update \(name).\(attribute.name)") {
                if let newOutputs = updated.result?["outputs"]?.object {
                    if let value = newOutputs[attribute.name], value.revealed != attribute.changedSample {
                        report.fail("update \(name).\(attribute.name)", "outputs must show the new value \(attribute.changedSample.text)", updated.raw)
                    }
                    outputs = newOutputs
                    inputs = changed
                } else {
                    report.fail("update \(name).\(attribute.name)", "changing \(attribute.name) (not forcing replacement) must update in place", updated.raw)
                }
            }
            if let read = session.call("read", ["type": .string(name), "id": .string(id), "inputs": .object(inputs), "outputs": .object(outputs)], report: &report, check: "read \(name) after update") {
                if read.result?["exists"] != .bool(true) {
                    report.fail("read \(name) after update", "must say exists: true", read.raw)
                } else if let value = read.result?["outputs"]?[attribute.name], value.revealed != inputs[attribute.name] {
                    report.fail("read \(name) after update", "must show \(attribute.name) = \(attribute.changedSample.text)", read.raw)
                }
            }
        }

        // import by id: the resource, or `unsupported`
        if let imported = session.call("import", ["type": .string(name), "id": .string(id)], report: &report, check: "import \(name)") {
            if let error = imported.error {
                if error.kind != "unsupported" { report.fail("import \(name)", "import of an existing resource must succeed or say unsupported", imported.raw) }
            } else if imported.result?["inputs"]?.object == nil || imported.result?["outputs"]?.object == nil {
                report.fail("import \(name)", "must answer {inputs: object, outputs: object}", imported.raw)
            }
        }

        // delete, then it is gone
        let deleteParams: ConformanceJSON = ["type": .string(name), "id": .string(id), "inputs": .object(inputs), "outputs": .object(outputs)]
        guard let deleted = session.call("delete", deleteParams, report: &report, check: "delete \(name)") else { return }
        if deleted.result == nil {
            report.fail("delete \(name)", "delete of an existing resource must succeed", deleted.raw)
            return
        }
        if !stateOnlyTypes.contains(name) {
            if let read = session.call("read", ["type": .string(name), "id": .string(id), "inputs": .object(inputs), "outputs": .object(outputs)], report: &report, check: "read \(name) after delete") {
                if let error = read.error {
                    if error.kind != "notFound" { report.fail("read \(name) after delete", "must say exists: false (or an error of kind notFound)", read.raw) }
                } else if read.result?["exists"] != .bool(false) {
                    report.fail("read \(name) after delete", "must say exists: false", read.raw)
                }
            }
            if let again = session.call("delete", deleteParams, report: &report, check: "delete \(name) again"),
                let error = again.error, error.kind != "notFound"
            {
                report.fail("delete \(name) again", "deleting what is gone must succeed or say notFound", again.raw)
            }
        }
    }

    private func concurrency(_ type: ResourceType, _ session: Session, report: inout Report) {
        let params: ConformanceJSON = ["type": .string(type.name), "inputs": .object(samples(type))]
        var batch = ""
        var ids: [Int] = []
        for _ in 0..<50 {
            let id = session.nextID()
            ids.append(id)
            batch += ConformanceJSON.request(id: id, method: "check", params: params) + "\n"
        }
        session.sendRaw(String(batch.dropLast()))
        var missing = 0
        let deadline = Date().addingTimeInterval(answerTimeout)  // for all 50 together
        for id in ids {
            guard let reply = session.answer(to: id, until: deadline) else {
                missing += 1
                continue
            }
            if reply.result == nil { report.fail("50 in flight", "request \(id) got an error", reply.raw) }
        }
        if missing > 0 { report.fail("50 in flight", "\(missing) of 50 requests sent at once got no answer matched by id \(session.silence)") }
        if let extra = session.unclaimed(ids) {
            report.fail("50 in flight", "an answer came twice or with an id never sent", extra)
        }
    }
}

// MARK: - What the schema says

private struct ResourceType {
    struct Attribute {
        var name: String
        var kind: String
        var mode: String
        var forcesReplacement: Bool
        var secret: Bool

        var sample: ConformanceJSON {
            switch kind {
            case "number": return 8
            case "bool": return true
            case "list": return []
            case "map": return [:]
            default: return "conformance"
            }
        }

        var changedSample: ConformanceJSON {
            switch kind {
            case "number": return 9
            case "bool": return false
            case "list": return ["conformance"]
            case "map": return ["conformance": "yes"]
            default: return "conformance-2"
            }
        }
    }

    var name: String
    var attributes: [String: Attribute]
    var customDiff: Bool

    init?(name: String, json: ConformanceJSON, report: inout Report, raw: String) {
        self.name = name
        guard let attributes = json["attributes"]?.object else {
            report.fail("initialize", "resource type \(name) has no attributes object", raw)
            return nil
        }
        var parsed: [String: Attribute] = [:]
        for (key, value) in attributes {
            let kind = value["kind"]?.string ?? ""
            let mode = value["mode"]?.string ?? ""
            if !["string", "number", "bool", "list", "map", "any"].contains(kind) {
                report.fail("initialize", "\(name).\(key): kind must be string, number, bool, list, map or any", raw)
            }
            if !["required", "optional", "computed", "optionalComputed"].contains(mode) {
                report.fail("initialize", "\(name).\(key): mode must be required, optional, computed or optionalComputed", raw)
            }
            for flag in ["forcesReplacement", "secret"] {
                if let v = value[flag], v != .null, v != .bool(true), v != .bool(false) {
                    report.fail("initialize", "\(name).\(key).\(flag) must be a boolean", raw)
                }
            }
            parsed[key] = Attribute(
                name: key, kind: kind, mode: mode,
                forcesReplacement: value["forcesReplacement"] == .bool(true), secret: value["secret"] == .bool(true))
        }
        if let seconds = json["typicalCreateSeconds"], seconds != .null, seconds.number == nil {
            report.fail("initialize", "\(name).typicalCreateSeconds must be a number", raw)
        }
        self.attributes = parsed
        self.customDiff = json["customDiff"] == .bool(true)
    }

    /// Each required attribute with a sample of its kind.
    var sampleInputs: [String: ConformanceJSON] {
        attributes.values.filter { $0.mode == "required" }.reduce(into: [:]) { $0[$1.name] = $1.sample }
    }

    /// An input that changes in place (required first, plain strings first), if any.
    var inPlaceAttribute: Attribute? {
        attributes.values
            .filter { ($0.mode == "required" || $0.mode == "optional") && !$0.forcesReplacement }
            .min { a, b in
                let ka = (a.mode == "required" ? 0 : 1, a.kind == "string" ? 0 : 1, a.secret ? 1 : 0, a.name)
                let kb = (b.mode == "required" ? 0 : 1, b.kind == "string" ? 0 : 1, b.secret ? 1 : 0, b.name)
                return ka < kb
            }
    }
}

private struct Report {
    var failures: [String] = []

    mutating func fail(_ check: String, _ detail: String, _ raw: String? = nil) {
        var line = "[\(check)] \(detail)"
        if let raw { line += "\n    received: \(raw)" }
        failures.append(line)
    }
}

// MARK: - The conversation

private struct Reply {
    var raw: String
    var message: ConformanceJSON
    var result: ConformanceJSON? { message["result"] }
    var error: (code: Int?, kind: String?)? {
        guard let error = message["error"], error != .null else { return nil }
        return (error["code"]?.int, error["data"]?["kind"]?.string)
    }
}

/// Requests out, answers matched by id; every line the plugin writes is checked on the way.
private final class Session {
    let plugin: ConformancePluginProcess
    let timeout: TimeInterval
    private var id = 0
    private var byID: [Int: [Reply]] = [:]
    private var idless: [Reply] = []
    private(set) var lineFailures: [String] = []
    private var reportedExit = false

    init(plugin: ConformancePluginProcess, timeout: TimeInterval) {
        self.plugin = plugin
        self.timeout = timeout
    }

    func nextID() -> Int {
        id += 1
        return id
    }

    var stderrNote: String {
        let tail = plugin.stderrTail
        return tail.isEmpty ? "" : "; plugin stderr: " + tail.suffix(5).joined(separator: " | ")
    }

    /// Why an answer did not come: the plugin closed its stdout, or the time ran out.
    var silence: String {
        if plugin.stdoutClosed {
            let status = plugin.waitForExit(timeout: 2).map { "exit status \($0)" } ?? "still running"
            return "(the plugin closed its stdout: \(status))\(stderrNote)"
        }
        return "within \(Int(timeout)) s\(stderrNote)"
    }

    func sendRaw(_ line: String) { plugin.write(line + "\n") }

    func send(_ method: String, _ params: ConformanceJSON) -> Int {
        let id = nextID()
        sendRaw(ConformanceJSON.request(id: id, method: method, params: params))
        return id
    }

    /// Sends a request and waits for its answer; a missing answer is a failure.
    func call(_ method: String, _ params: ConformanceJSON, report: inout Report, check: String) -> Reply? {
        let id = send(method, params)
        guard let reply = answer(to: id) else {
            report.fail(check, "no answer to \(method) (id \(id)) \(silence)")
            return nil
        }
        if reply.result == nil && reply.error == nil {
            report.fail(check, "an answer must have a result or an error", reply.raw)
        }
        return reply
    }

    func answer(to id: Int, timeout: TimeInterval? = nil) -> Reply? {
        answer(to: id, until: Date().addingTimeInterval(timeout ?? self.timeout))
    }

    func answer(to id: Int, until deadline: Date) -> Reply? {
        while true {
            if var replies = byID[id], !replies.isEmpty {
                let reply = replies.removeFirst()
                byID[id] = replies
                return reply
            }
            guard let line = plugin.nextLine(until: deadline) else { return nil }
            take(line)
        }
    }

    /// The next answer whose id is null (or missing).
    func answerWithoutID() -> Reply? {
        let deadline = Date().addingTimeInterval(timeout)
        while true {
            if !idless.isEmpty { return idless.removeFirst() }
            guard let line = plugin.nextLine(until: deadline) else { return nil }
            take(line)
        }
    }

    /// A raw answer to none of `ids` still waiting, if any (duplicates, invented ids).
    func unclaimed(_ ids: [Int]) -> String? {
        for id in ids { if let extra = byID[id]?.first { return extra.raw } }
        return nil
    }

    private func take(_ raw: String) {
        guard let message = ConformanceJSON.parse(raw), message.object != nil else {
            lineFailures.append("[wire] the plugin wrote a line that is not a JSON object (stdout is only for protocol messages; log to stderr)\n    received: \(raw)")
            return
        }
        if message["jsonrpc"] != "2.0" {
            lineFailures.append("[wire] every message must have \"jsonrpc\": \"2.0\"\n    received: \(raw)")
        }
        if let method = message["method"] {
            // A notification from the plugin: only `progress` exists.
            if method != "progress" {
                lineFailures.append("[wire] the only message a plugin may send unasked is the progress notification\n    received: \(raw)")
            } else if message["id"] != nil && message["id"] != .null {
                lineFailures.append("[progress] a notification has no id of its own (params.id names the request)\n    received: \(raw)")
            } else if message["params"]?["id"]?.int == nil || message["params"]?["message"]?.string == nil {
                lineFailures.append("[progress] params must be {id: the request's id, message: string}\n    received: \(raw)")
            }
            return
        }
        let reply = Reply(raw: raw, message: message)
        if (message["result"] == nil) == (message["error"] == nil) {
            lineFailures.append("[wire] an answer has exactly one of result and error\n    received: \(raw)")
        }
        if let error = message["error"], error != .null {
            if error["code"]?.int == nil || error["message"]?.string == nil {
                lineFailures.append("[wire] an error object needs an integer code and a message\n    received: \(raw)")
            }
            let kinds = ["notFound", "conflict", "throttled", "retryable", "invalid", "unsupported", "fatal"]
            if let kind = error["data"]?["kind"], !kinds.contains(kind.string ?? "") {
                lineFailures.append("[wire] error data.kind must be one of \(kinds.joined(separator: ", "))\n    received: \(raw)")
            }
        }
        if let id = message["id"]?.int {
            byID[id, default: []].append(reply)
        } else {
            idless.append(reply)
        }
    }

    /// False (with a failure) once the plugin has exited.
    func alive(_ report: inout Report, during phase: String) -> Bool {
        if plugin.stdoutClosed || plugin.exitStatus != nil {
            let status = plugin.waitForExit(timeout: 2).map(String.init) ?? "none yet"
            if !reportedExit {
                report.fail(phase, "the plugin closed its stdout or exited (status \(status)) before shutdown\(stderrNote)")
                reportedExit = true
            }
            return false
        }
        return true
    }
}

/// The plugin process: lines from its stdout as they come, the tail of its stderr.
private final class ConformancePluginProcess: @unchecked Sendable {
    private let process = Process()
    private let input: FileHandle
    private let condition = NSCondition()
    private var lines: [String] = []
    private var closed = false
    private var errorLines: [String] = []

    init(executable: URL, environment: [String: String], workingDirectory: URL) throws {
        process.executableURL = executable
        process.environment = environment
        process.currentDirectoryURL = workingDirectory
        let stdin = Pipe(), stdout = Pipe(), stderr = Pipe()
        process.standardInput = stdin
        process.standardOutput = stdout
        process.standardError = stderr
        input = stdin.fileHandleForWriting
        try process.run()
        let outFD = stdout.fileHandleForReading, errFD = stderr.fileHandleForReading
        Thread { [self] in self.readLines(outFD, stderr: false) }.start()
        Thread { [self] in self.readLines(errFD, stderr: true) }.start()
    }

    private func readLines(_ handle: FileHandle, stderr: Bool) {
        let fd = handle.fileDescriptor
        var buffer: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 65536)
        while true {
            let n = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if n < 0 && errno == EINTR { continue }
            if n <= 0 { break }
            buffer.append(contentsOf: chunk[0..<n])
            var complete: [String] = []
            while let newline = buffer.firstIndex(of: 0x0A) {
                complete.append(String(decoding: buffer[..<newline], as: UTF8.self))
                buffer.removeSubrange(...newline)
            }
            if !complete.isEmpty { deliver(complete, stderr: stderr) }
        }
        if !buffer.isEmpty { deliver([String(decoding: buffer, as: UTF8.self)], stderr: stderr) }
        if !stderr {
            condition.lock()
            closed = true
            condition.broadcast()
            condition.unlock()
        }
    }

    private func deliver(_ new: [String], stderr: Bool) {
        condition.lock()
        if stderr {
            errorLines += new
            if errorLines.count > 50 { errorLines.removeFirst(errorLines.count - 50) }
        } else {
            lines += new.filter { !$0.trimmingCharacters(in: .whitespaces).isEmpty }
        }
        condition.broadcast()
        condition.unlock()
    }

    /// The next line of stdout; nil at the deadline or when stdout is closed.
    func nextLine(until deadline: Date) -> String? {
        condition.lock()
        defer { condition.unlock() }
        while lines.isEmpty {
            if closed || !condition.wait(until: deadline) { return lines.isEmpty ? nil : lines.removeFirst() }
        }
        return lines.removeFirst()
    }

    var stdoutClosed: Bool {
        condition.lock()
        defer { condition.unlock() }
        return closed && lines.isEmpty
    }

    var stderrTail: [String] {
        condition.lock()
        defer { condition.unlock() }
        return errorLines
    }

    func write(_ text: String) {
        let data = Array(text.utf8)
        let fd = input.fileDescriptor
        data.withUnsafeBytes { raw in
            var offset = 0
            while offset < raw.count {
                let n = systemWrite(fd, raw.baseAddress! + offset, raw.count - offset)
                if n < 0 && errno == EINTR { continue }
                if n <= 0 { return }  // the plugin is gone; the missing answer is the failure
                offset += n
            }
        }
    }

    var exitStatus: Int32? { process.isRunning ? nil : process.terminationStatus }

    func waitForExit(timeout: TimeInterval) -> Int32? {
        let deadline = Date().addingTimeInterval(timeout)
        while process.isRunning && Date() < deadline { usleep(10_000) }
        return exitStatus
    }

    func kill() {
        try? input.close()
        if process.isRunning {
            process.terminate()
            _ = waitForExit(timeout: 2)
        }
    }
}

// MARK: - JSON, as raw as it comes

/// A JSON value, to build requests and read answers without the engine's types.
enum ConformanceJSON: Sendable, Hashable, Codable, ExpressibleByStringLiteral, ExpressibleByIntegerLiteral,
    ExpressibleByBooleanLiteral, ExpressibleByArrayLiteral, ExpressibleByDictionaryLiteral
{
    case null
    case bool(Bool)
    case number(Double)
    case string(String)
    case array([ConformanceJSON])
    case object([String: ConformanceJSON])

    init(stringLiteral value: String) { self = .string(value) }
    init(integerLiteral value: Int) { self = .number(Double(value)) }
    init(booleanLiteral value: Bool) { self = .bool(value) }
    init(arrayLiteral elements: ConformanceJSON...) { self = .array(elements) }
    init(dictionaryLiteral elements: (String, ConformanceJSON)...) {
        self = .object(Dictionary(elements, uniquingKeysWith: { $1 }))
    }

    subscript(key: String) -> ConformanceJSON? {
        if case .object(let fields) = self { return fields[key] }
        return nil
    }

    var string: String? { if case .string(let s) = self { return s } else { return nil } }
    var number: Double? { if case .number(let n) = self { return n } else { return nil } }
    var int: Int? {
        if case .number(let n) = self, n.rounded() == n, abs(n) < 9e15 { return Int(n) }
        return nil
    }
    var array: [ConformanceJSON]? { if case .array(let a) = self { return a } else { return nil } }
    var object: [String: ConformanceJSON]? { if case .object(let o) = self { return o } else { return nil } }

    /// Without `{"$secret": v}` markers.
    var revealed: ConformanceJSON {
        switch self {
        case .object(let fields):
            if fields.count == 1, let inner = fields["$secret"] { return inner.revealed }
            return .object(fields.mapValues(\.revealed))
        case .array(let items): return .array(items.map(\.revealed))
        default: return self
        }
    }

    static func parse(_ line: String) -> ConformanceJSON? {
        try? JSONDecoder().decode(ConformanceJSON.self, from: Data(line.utf8))
    }

    static func request(id: Int, method: String, params: ConformanceJSON) -> String {
        ConformanceJSON.object(["jsonrpc": "2.0", "id": .number(Double(id)), "method": .string(method), "params": params]).text
    }

    /// Compact JSON on one line.
    var text: String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return String(decoding: (try? encoder.encode(self)) ?? Data("null".utf8), as: UTF8.self)
    }

    private struct FieldKey: CodingKey {
        var stringValue: String
        var intValue: Int? { nil }
        init(_ s: String) { stringValue = s }
        init?(stringValue: String) { self.stringValue = stringValue }
        init?(intValue: Int) { nil }
    }

    init(from decoder: any Decoder) throws {
        if let keyed = try? decoder.container(keyedBy: FieldKey.self) {
            var fields: [String: ConformanceJSON] = [:]
            for key in keyed.allKeys { fields[key.stringValue] = try keyed.decode(ConformanceJSON.self, forKey: key) }
            self = .object(fields)
            return
        }
        if var unkeyed = try? decoder.unkeyedContainer() {
            var items: [ConformanceJSON] = []
            while !unkeyed.isAtEnd { items.append(try unkeyed.decode(ConformanceJSON.self)) }
            self = .array(items)
            return
        }
        let single = try decoder.singleValueContainer()
        if single.decodeNil() { self = .null; return }
        if let b = try? single.decode(Bool.self) { self = .bool(b); return }
        if let n = try? single.decode(Double.self) { self = .number(n); return }
        self = .string(try single.decode(String.self))
    }

    func encode(to encoder: any Encoder) throws {
        switch self {
        case .null:
            var c = encoder.singleValueContainer()
            try c.encodeNil()
        case .bool(let b):
            var c = encoder.singleValueContainer()
            try c.encode(b)
        case .number(let n):
            var c = encoder.singleValueContainer()
            if n.rounded() == n, abs(n) < 9e15 { try c.encode(Int64(n)) } else { try c.encode(n) }
        case .string(let s):
            var c = encoder.singleValueContainer()
            try c.encode(s)
        case .array(let items):
            var c = encoder.unkeyedContainer()
            for item in items { try c.encode(item) }
        case .object(let fields):
            var c = encoder.container(keyedBy: FieldKey.self)
            for (k, v) in fields { try c.encode(v, forKey: FieldKey(k)) }
        }
    }
}
