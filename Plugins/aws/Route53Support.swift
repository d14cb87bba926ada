import Foundation
import StrataAWSKit
import StrataModel
import StrataPluginKit

/// What the Route 53 resources share: REST-XML calls under `/2013-04-01`, DNS names, changes.
enum Route53 {
    static let namespace = "https://route53.amazonaws.com/doc/2013-04-01/"
    /// The hosted zone of every CloudFront distribution, for alias records.
    static let cloudFrontZoneId = "Z2FDTNDATAQYW2"
    static let recordTypes = ["A", "AAAA", "CAA", "CNAME", "DS", "HTTPS", "MX", "NAPTR", "NS", "PTR", "SOA", "SPF", "SRV", "SSHFP", "SVCB", "TLSA", "TXT"]

    /// A call on `/2013-04-01/<path…>`; the answer's XML root.
    static func call(_ method: String, _ path: [String], query: [HTTPRequest.QueryItem] = [], body: XMLTree? = nil,
                     operation: String, _ context: ResourceContext) async throws -> XMLTree? {
        let data = body.map { XMLWriter.document($0, namespace: namespace) } ?? Data()
        return try await context.client.restXML(
            service: .route53, method: method, bucket: nil, key: [AWSService.route53.apiVersion] + path, query: query,
            body: data, operation: operation).xml
    }

    /// `/hostedzone/Z123` → `Z123`.
    static func bareId(_ id: String) -> String {
        id.hasPrefix("/hostedzone/") ? String(id.dropFirst("/hostedzone/".count)) : id
    }

    /// A DNS name as Route 53 keeps it: lower case, `*` unescaped, no final dot.
    static func normalized(_ name: String) -> String {
        var n = name.lowercased().replacingOccurrences(of: "\\052", with: "*")
        while n.hasSuffix(".") { n.removeLast() }
        return n
    }

    /// The stack's spelling when it names the same thing, else AWS's (without the final dot).
    static func spelled(_ actual: String, recorded: String?) -> String {
        if let recorded, normalized(recorded) == normalized(actual) { return recorded }
        return normalized(actual)
    }

    /// Why `name` is not a DNS name, or nil.
    static func domainProblem(_ name: String, wildcard: Bool = false) -> String? {
        var n = name
        if n.hasSuffix(".") { n.removeLast() }
        if n.isEmpty || n.count > 253 { return "'\(name)' is not a domain name (1 to 253 characters)" }
        for (index, label) in n.split(separator: ".", omittingEmptySubsequences: false).enumerated() {
            if label.isEmpty || label.count > 63 { return "'\(name)' is not a domain name: every label must be 1 to 63 characters" }
            if wildcard && index == 0 && label == "*" { continue }
            let ok = label.unicodeScalars.allSatisfy { $0.isASCII && (CharacterSet.alphanumerics.contains($0) || $0 == "-" || $0 == "_") }
            if !ok || label.hasPrefix("-") || label.hasSuffix("-") {
                return "'\(name)' is not a domain name: labels hold letters, digits and inner hyphens\(wildcard ? " (a first label may be *)" : "")"
            }
        }
        return nil
    }

    /// Waits until a change (`/change/C…`) is INSYNC.
    static func waitForChange(_ answer: XMLTree?, _ context: ResourceContext) async throws {
        guard let change = answer?.find("ChangeInfo"), let id = change.string("Id"), change.string("Status") != "INSYNC" else { return }
        let bare = id.hasPrefix("/change/") ? String(id.dropFirst("/change/".count)) : id
        try await Waiter("Route 53 change \(bare) to be in sync", timeout: 600, minDelay: 1, maxDelay: 10)
            .wait(progress: context.progress.report) { () async throws -> WaitState<Void> in
                let status = try await call("GET", ["change", bare], operation: "GetChange", context)?.string("ChangeInfo", "Status")
                return status == "INSYNC" ? .done(()) : .pending(status ?? "PENDING")
            }
    }

    /// Every record set of a zone.
    static func recordSets(_ zoneId: String, _ context: ResourceContext) async throws -> [XMLTree] {
        var all: [XMLTree] = []
        var next: (name: String, type: String)?
        for _ in 0..<10_000 {
            var query: [HTTPRequest.QueryItem] = []
            if let next { query += [.init("name", next.name), .init("type", next.type)] }
            guard let page = try await call("GET", ["hostedzone", zoneId, "rrset"], query: query, operation: "ListResourceRecordSets", context) else { break }
            all += page.child("ResourceRecordSets")?.all("ResourceRecordSet") ?? []
            guard page.bool("IsTruncated") == true, let name = page.string("NextRecordName"), let type = page.string("NextRecordType") else { break }
            next = (name, type)
        }
        return all
    }

    /// A `<Change>` of one record set.
    static func change(_ action: String, _ recordSet: XMLTree) -> XMLTree {
        XMLTree(name: "Change", children: [XMLTree(name: "Action", text: action), recordSet])
    }

    /// ChangeResourceRecordSets, then waits for it.
    static func changeRecordSets(_ zoneId: String, _ changes: [XMLTree], comment: String? = nil, _ context: ResourceContext) async throws {
        guard !changes.isEmpty else { return }
        var batch: [XMLTree] = []
        if let comment { batch.append(XMLTree(name: "Comment", text: comment)) }
        batch.append(XMLTree(name: "Changes", children: changes))
        let body = XMLTree(name: "ChangeResourceRecordSetsRequest", children: [XMLTree(name: "ChangeBatch", children: batch)])
        let answer = try await call("POST", ["hostedzone", zoneId, "rrset"], body: body, operation: "ChangeResourceRecordSets", context)
        try await waitForChange(answer, context)
    }
}
