import Foundation
import StrataModel
import StrataPluginKit
import StrataState
import Testing

@testable import StrataEngine

@Suite struct DriftClassificationTests {
    typealias F = Fixture

    static let schema = ResourceSchema(attributes: [
        "value": AttributeSchema(.string, .optional),
        "region": AttributeSchema(.string, .optionalComputed),
        "secret": AttributeSchema(.string, .optional, secret: true),
        "id": AttributeSchema(.string, .computed),
        "result": AttributeSchema(.string, .computed),
    ])

    func recorded(_ outputs: [String: Value]) -> ResourceState {
        ResourceState(address: F.address("a"), provider: "test", id: "id-a", inputs: outputs.filter { $0.key != "id" && $0.key != "result" },
                      outputs: outputs, dependencies: [])
    }

    func declared(_ inputs: [String: Value], ignore: [String] = []) -> ManifestResource {
        ManifestResource(address: F.address("a"), inputs: inputs, options: ResourceOptions(ignoreChanges: ignore))
    }

    func classify(_ state: ResourceState, actual: [String: Value], declared: ManifestResource?, loaded: Bool = true) -> ResourceDrift? {
        DriftClassifier.changed(recorded: state, actual: actual, schema: Self.schema, declared: declared,
                                declaredInputs: declared?.inputs, manifestLoaded: loaded)
    }

    @Test func sameValuesAreNotDrift() {
        let state = recorded(["value": "x", "id": "id-a", "result": "x"])
        #expect(classify(state, actual: ["value": "x", "id": "id-a", "result": "x"], declared: declared(["value": "x"])) == nil)
    }

    @Test func aChangedInputIsDriftAndSaysWhatTheStackDeclares() throws {
        let state = recorded(["value": "x", "id": "id-a"])
        let drift = try #require(classify(state, actual: ["value": "y", "id": "id-a"], declared: declared(["value": "x"])))
        #expect(drift.kind == .changed)
        #expect(drift.address == "test_resource.a")
        #expect(drift.attributes == [AttributeDrift(name: "value", recorded: "x", actual: "y", declared: "x", declaredAgreesWith: .recorded, secret: false)])
        #expect(classify(state, actual: ["value": "y"], declared: declared(["value": "y"]))?.attributes.first?.declaredAgreesWith == .actual)
        #expect(classify(state, actual: ["value": "y"], declared: declared(["value": "z"]))?.attributes.first?.declaredAgreesWith == .neither)
        #expect(classify(state, actual: ["value": "y"], declared: declared(["value": .unknown]))?.attributes.first?.declaredAgreesWith == .unknown)
        #expect(classify(state, actual: ["value": "y"], declared: nil, loaded: true)?.attributes.first?.declaredAgreesWith == .undeclared)
        #expect(classify(state, actual: ["value": "y"], declared: nil, loaded: false)?.attributes.first?.declaredAgreesWith == .unknown)
    }

    @Test func computedIgnoredAndUnreportedAttributesAreNotDrift() {
        let state = recorded(["value": "x", "id": "id-a", "result": "r1"])
        #expect(classify(state, actual: ["value": "x", "result": "r2"], declared: declared(["value": "x"])) == nil, "computed")
        #expect(classify(state, actual: ["value": "y"], declared: declared(["value": "x"], ignore: ["value"])) == nil, "ignoreChanges")
        #expect(classify(state, actual: ["id": "id-a"], declared: declared(["value": "x"])) == nil, "not reported: not known to differ")
        #expect(classify(state, actual: ["region": "eu-west-1"], declared: declared(["value": "x"])) == nil, "optionalComputed left to the provider")
    }

    @Test func anAttributeUnsetOutOfBandIsDrift() throws {
        let state = recorded(["value": "x"])
        let drift = try #require(classify(state, actual: ["value": .null], declared: declared(["value": "x"])))
        #expect(drift.attributes.first?.actual == nil)
        #expect(drift.attributes.first?.recorded == "x")
    }

    @Test func secretsAreComparedButNeverShown() throws {
        let state = recorded(["secret": .secret("old")])
        #expect(classify(state, actual: ["secret": .secret("old")], declared: declared(["secret": .secret("old")])) == nil)
        let drift = try #require(classify(state, actual: ["secret": .secret("new")], declared: declared(["secret": .secret("old")])))
        let attribute = try #require(drift.attributes.first)
        #expect(attribute.secret)
        #expect(attribute.recorded == "(secret)" && attribute.actual == "(secret)" && attribute.declared == "(secret)")
        #expect(attribute.declaredAgreesWith == .recorded)
        let json = String(decoding: try DriftReport(key: InstanceKey(stack: "s", instance: "i"), started: Date(), duration: 0, checked: 1,
                                                    resources: [drift], errors: [], notes: []).json(), as: UTF8.self)
        #expect(!json.contains("old") && !json.contains("new"), "\(json)")
    }

    @Test func unmanagedAreTaggedResourcesTheStateDoesNotKnow() {
        let snapshot = StateSnapshot(key: InstanceKey(stack: "s", instance: "default"), serial: 3, lineage: "l",
                                     resources: [F.state("a"), F.state("b", deposed: true)], outputs: [:])
        let tags = ["strata:stack": "s", "strata:instance": "default"]
        let found = [
            DiscoveredResource(id: "id-a", outputs: [:], tags: tags),
            DiscoveredResource(id: "id-b", outputs: [:], tags: tags),
            DiscoveredResource(id: "orphan", outputs: [:], tags: tags.merging(["strata:token": "tok", "strata:address": "test_resource.c"]) { a, _ in a }),
            DiscoveredResource(id: "by-hand", outputs: [:], tags: tags),
        ]
        let intent = Intent(token: "tok", address: F.address("c"), provider: "test", inputs: [:])
        let unmanaged = DriftClassifier.unmanaged(found, type: "test_resource", provider: "test", snapshot: snapshot, intents: [intent])
        #expect(unmanaged.map(\.id) == ["orphan", "by-hand"])
        #expect(unmanaged.allSatisfy { $0.kind == .unmanaged })
        #expect(unmanaged[0].address == "test_resource.c")
        #expect(unmanaged[0].note?.contains("interrupted create of test_resource.c") == true)
        #expect(unmanaged[1].address == nil)
    }

    @Test func theReportCountsSortsAndPicksAStatus() throws {
        let key = InstanceKey(stack: "s", instance: "default")
        let deleted = DriftClassifier.deleted(F.state("z"), declared: true)
        let changed = ResourceDrift(kind: .changed, address: "test_resource.y", type: "test_resource", provider: "test", id: "id-y",
                                    attributes: [], tags: nil, note: nil)
        var report = DriftReport(key: key, started: Date(), duration: 0.5, checked: 2, resources: [deleted, changed], errors: [], notes: [])
        #expect(report.status == .drift)
        #expect(report.resources.map(\.kind) == [.changed, .deleted])
        #expect(report.summary == DriftSummary(checked: 2, changed: 1, deleted: 1, unmanaged: 0, errors: 0))
        report.errors.append(DriftProblem(address: nil, provider: "test", message: "boom"))
        report.recount()
        #expect(report.status == .error, "an error wins over drift")
        #expect(DriftReport(key: key, started: Date(), duration: 0, checked: 3, resources: [], errors: [], notes: []).status == .clean)

        let decoded = try DriftReport.decode(try report.json())
        #expect(decoded == report)
        let record = try report.record()
        #expect(record.status == "error" && record.changed == 1 && record.deleted == 1 && record.errors == 1 && record.action == "none")
    }

    @Test func hmacMatchesTheRFC4231Vector() {
        // RFC 4231, test case 2.
        let mac = hmacSHA256Hex(key: Data("Jefe".utf8), message: Data("what do ya want for nothing?".utf8))
        #expect(mac == "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843")
        #expect(Webhook.signature(body: Data("{}".utf8), secret: "s").hasPrefix("sha256="))
    }

    @Test func metricsAreValidPrometheusText() throws {
        let metrics = DriftMetrics()
        let key = InstanceKey(stack: "web", instance: "prod")
        let drift = DriftClassifier.deleted(F.state("z"), declared: true)
        metrics.record(DriftReport(key: key, started: Date(), duration: 0.3, checked: 1, resources: [drift], errors: [], notes: []))
        metrics.record(DriftReport(key: key, started: Date(), duration: 0.2, checked: 1, resources: [], errors: [], notes: []))
        let text = metrics.render()
        #expect(text.contains("strata_drift_sweeps_total{stack=\"web\",instance=\"prod\",status=\"drift\"} 1"))
        #expect(text.contains("strata_drift_sweeps_total{stack=\"web\",instance=\"prod\",status=\"clean\"} 1"))
        #expect(text.contains("strata_drift_drifted_resources{stack=\"web\",instance=\"prod\",type=\"test_resource\"} 0"), "back to 0, not gone")
        #expect(text.contains("strata_drift_sweep_duration_seconds_bucket{stack=\"web\",instance=\"prod\",le=\"0.25\"} 1"))
        #expect(text.contains("strata_drift_sweep_duration_seconds_count{stack=\"web\",instance=\"prod\"} 2"))
        #expect(text.contains("strata_drift_last_success_timestamp_seconds{stack=\"web\",instance=\"prod\"} "))
        let any = try MetricsServer.parseAddress(":9464")
        #expect(any.host == "0.0.0.0" && any.port == 9464)
        #expect(throws: MetricsServerError.self) { try MetricsServer.parseAddress("nohost") }
    }
}
