import Foundation
import Testing

/// `--refresh=changed`: a plan reads only the resources whose declared inputs differ from the
/// recorded ones (and what depends on them), and says how many it read.
@Suite(.serialized) struct RefreshChangedTests {
    /// The id of the stored test resource whose `value` output is `value`.
    func storedID(_ cli: StrataCLI, value: String) throws -> String {
        for id in cli.storedIDs() {
            let data = try Data(contentsOf: cli.store.appendingPathComponent(id + ".json"))
            let record = try JSONSerialization.jsonObject(with: data) as? [String: Any]
            if (record?["outputs"] as? [String: Any])?["value"] as? String == value { return id }
        }
        throw CocoaError(.fileNoSuchFile)
    }

    /// Changes a stored resource's `value` behind Strata's back.
    func drift(_ cli: StrataCLI, id: String, value: String) throws {
        let url = cli.store.appendingPathComponent(id + ".json")
        var record = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: url)) as? [String: Any])
        var outputs = try #require(record["outputs"] as? [String: Any])
        outputs["value"] = value
        record["outputs"] = outputs
        try JSONSerialization.data(withJSONObject: record).write(to: url)
    }

    func stack(aValue: String) -> String {
        """
        import Strata
        import StrataTestProvider

        let a = TestResource("a", value: "\(aValue)")
        TestResource("b", value: "b-value", inputs: [a.id])
        TestResource("c", value: "c-value")
        TestResource("d", value: "d-value")
        """
    }

    @Test func onlyChangedResourcesAndTheirDependentsAreRead() throws {
        let cli = try StrataCLI()
        defer { cli.remove() }
        let dir = try cli.writeStack("Incremental", ["main.swift": stack(aValue: "a-value")])
        let apply = try cli.run(["apply", dir, "--auto-approve"])
        #expect(apply.status == 0, "\(apply.output)")

        // Out of band: c is deleted, and a's value drifts.
        let c = try storedID(cli, value: "c-value")
        try FileManager.default.removeItem(at: cli.store.appendingPathComponent(c + ".json"))
        let a = try storedID(cli, value: "a-value")
        try drift(cli, id: a, value: "drifted")

        // Nothing declared changed: changed reads nothing, so sees neither.
        let none = try cli.run(["plan", dir, "--refresh=changed", "--detailed-exitcode"])
        #expect(none.status == 0, "\(none.output)")
        #expect(none.stdout.contains("refreshed 0 of 4 resources (--refresh=changed)"), "\(none.output)")

        // a's declared value changes: a and b (which depends on it) are read; c is not.
        try cli.writeStack("Incremental", ["main.swift": stack(aValue: "a-new")])
        let changed = try cli.run(["plan", dir, "--refresh=changed"])
        #expect(changed.status == 0, "\(changed.output)")
        #expect(changed.stdout.contains("refreshed 2 of 4 resources (--refresh=changed)"), "\(changed.output)")
        #expect(changed.stdout.contains("\"drifted\" -> \"a-new\""), "a was refreshed: \(changed.output)")
        #expect(!changed.stdout.contains("deleted outside Strata"), "c was not read: \(changed.output)")
        #expect(changed.stdout.contains("Plan: 0 to create, 1 to update"), "\(changed.output)")

        // Without refresh a's recorded value is the before; with a full refresh c is seen gone.
        let stale = try cli.run(["plan", dir, "--refresh=false"])
        #expect(stale.stdout.contains("\"a-value\" -> \"a-new\""), "\(stale.output)")
        #expect(!stale.stdout.contains("refreshed"), "\(stale.output)")
        let full = try cli.run(["plan", dir, "--refresh=true"])
        #expect(full.status == 0, "\(full.output)")
        #expect(full.stdout.contains("test_resource.c — it was deleted outside Strata"), "\(full.output)")
        #expect(full.stdout.contains("\"drifted\" -> \"a-new\""), "\(full.output)")
        #expect(!full.stdout.contains("(--refresh=changed)"), "\(full.output)")

        let bad = try cli.run(["plan", dir, "--refresh=sometimes"])
        #expect(bad.status != 0)
        #expect(bad.stderr.contains("true") && bad.stderr.contains("changed"), "\(bad.output)")
    }
}
