import Foundation
import Testing

@testable import StrataEngine

/// The tenants file reader: YAML and JSON alike, values kept as written, mistakes named.
struct TenantsFileTests {
    @Test func yamlAndJSONReadTheSame() throws {
        let yaml = try TenantsFile.parse("""
            tenants:
              - id: acme
                vars: {size: small, region: us-east-1, version: 1.10, enabled: yes}
              - id: globex
                vars:
                  size: "large"
              - id: 42corp
            """, path: "t.yaml")
        #expect(yaml.tenants.map(\.id) == ["acme", "globex", "42corp"])
        // Scalars stay as written: no float or boolean reading.
        #expect(yaml.tenants[0].vars == ["size": "small", "region": "us-east-1", "version": "1.10", "enabled": "yes"])
        #expect(yaml.tenants[1].vars == ["size": "large"])
        #expect(yaml.tenants[2].vars.isEmpty)
        #expect(yaml.tenants[0].instance == "tenant/acme")
        #expect(yaml.tenants[0].variables["tenant"] == "acme")

        let json = try TenantsFile.parse(#"{"tenants": [{"id": "acme", "vars": {"size": "small", "count": 3, "on": true}}]}"#, path: "t.json")
        #expect(json.tenants == [TenantSpec(id: "acme", vars: ["size": "small", "count": "3", "on": "true"])])
        #expect(try TenantsFile.parse("tenants: []\n", path: "t.yaml").tenants.isEmpty)
        #expect(try TenantsFile.parse("tenants:\n", path: "t.yaml").tenants.isEmpty)
    }

    @Test func idsAreCheckedStrictly() {
        for good in ["a", "acme", "0", "a-b-c", "x1", String(repeating: "a", count: 63)] {
            #expect(TenantID.problem(good) == nil, "\(good)")
        }
        for bad in ["", "-a", "A", "acme_1", "a/b", "..", "a.b", "a b", "a'b", "a;b", "ä", "a\u{0}", String(repeating: "a", count: 64), "ａ"] {
            #expect(TenantID.problem(bad) != nil, "\(bad)")
        }
        #expect(TenantID.id(ofInstance: "tenant/acme") == "acme")
        #expect(TenantID.id(ofInstance: "tenant/a/b") == nil)
        #expect(TenantID.id(ofInstance: "default") == nil)
    }

    @Test func mistakesNameTheFileEntryAndLine() {
        func message(_ text: String, _ path: String = "tenants.yaml") -> String {
            do {
                _ = try TenantsFile.parse(text, path: path)
                return "parsed"
            } catch {
                return "\(error)"
            }
        }
        #expect(message("tenants:\n  - id: acme\n  - id: Bad\n") .hasPrefix("tenants.yaml:3: tenant entry 2: tenant id 'Bad' is not valid"))
        #expect(message("tenant:\n  - id: acme\n").contains("unknown key 'tenant'"))
        #expect(message("tenants: {id: acme}\n").contains("must be a list"))
        #expect(message("tenants:\n  - acme\n").contains("tenant entry 1: expected `id:`"))
        #expect(message("tenants:\n  - id: [a]\n").contains("`id` must be a single value"))
        #expect(message("tenants:\n  - id: a\n    vars: {x: {y: 1}}\n").contains("var 'x' must be a single value"))
        #expect(message("tenants:\n  - id: a\n    vars: {x: null}\n").contains("var 'x' must be a single value"))
        #expect(message("tenants: [\n", "t.yaml").contains("not valid YAML"))
        #expect(message(#"{"tenants": [{"id": 3}]}"#, "t.json").contains("t.json: tenant entry 1: \"id\" must be a string"))
        #expect(message(#"{"tenants": [], "extra": 1}"#, "t.json").contains("unknown key 'extra'"))
    }
}
