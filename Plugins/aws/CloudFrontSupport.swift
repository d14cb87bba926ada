import Foundation
import StrataAWSKit
import StrataModel
import StrataPluginKit

/// What `aws_cloudfront_distribution` shares with nothing else but keeps apart for size: the
/// calls (REST-XML under `/2020-05-31`, ETags), and the distribution config written from the
/// stack's attributes and read back in its spelling.
enum CloudFront {
    static let namespace = "http://cloudfront.amazonaws.com/doc/2020-05-31/"
    static let priceClasses = ["PriceClass_100", "PriceClass_200", "PriceClass_All"]
    static let viewerPolicies = ["allow-all", "https-only", "redirect-to-https"]
    static let originPolicies = ["http-only", "https-only", "match-viewer"]
    static let methods = ["GET", "HEAD", "OPTIONS", "PUT", "POST", "PATCH", "DELETE"]

    /// A call on `/2020-05-31/<path…>`: the XML root and the ETag.
    static func call(_ method: String, _ path: [String], query: [HTTPRequest.QueryItem] = [], headers: [String: String] = [:],
                     body: XMLTree? = nil, operation: String, _ context: ResourceContext) async throws -> (xml: XMLTree?, etag: String?) {
        let data = body.map { XMLWriter.document($0, namespace: namespace) } ?? Data()
        let answer = try await context.client.restXML(
            service: .cloudFront, method: method, bucket: nil, key: [AWSService.cloudFront.apiVersion] + path, query: query,
            headers: headers, body: data, operation: operation)
        let etag = answer.headers.first { $0.key.lowercased() == "etag" }?.value
        return (answer.xml, etag)
    }

    // MARK: Writing the config

    static func element(_ name: String, _ text: String) -> XMLTree { XMLTree(name: name, text: text) }
    static func flag(_ name: String, _ on: Bool) -> XMLTree { XMLTree(name: name, text: on ? "true" : "false") }

    /// `<Name><Quantity>n</Quantity><Items><Item>…</Item></Items></Name>`
    static func list(_ name: String, _ item: String, _ values: [String]) -> XMLTree {
        quantity(name, values.map { element(item, $0) })
    }

    static func quantity(_ name: String, _ items: [XMLTree], extra: [XMLTree] = []) -> XMLTree {
        var children = [element("Quantity", String(items.count))]
        if !items.isEmpty { children.append(XMLTree(name: "Items", children: items)) }
        return XMLTree(name: name, children: children + extra)
    }

    static func strings(_ value: Value?) -> [String] { value?.revealed.listValue?.compactMap(\.stringValue) ?? [] }

    /// The `<DistributionConfig>` the inputs describe.
    static func config(_ inputs: Inputs, callerReference: String) -> XMLTree {
        var children = [element("CallerReference", callerReference), list("Aliases", "CNAME", strings(inputs["aliases"]))]
        children.append(element("DefaultRootObject", inputs.string("defaultRootObject") ?? ""))
        children.append(quantity("Origins", (inputs.list("origins") ?? []).compactMap(\.mapValue).map(origin)))
        children.append(behavior("DefaultCacheBehavior", inputs["defaultCacheBehavior"]?.revealed.mapValue ?? [:]))
        children.append(quantity("CacheBehaviors", (inputs.list("orderedCacheBehaviors") ?? []).compactMap(\.mapValue).map { behavior("CacheBehavior", $0) }))
        children.append(element("Comment", inputs.string("comment") ?? ""))
        children.append(element("PriceClass", inputs.string("priceClass") ?? "PriceClass_All"))
        children.append(flag("Enabled", inputs.bool("enabled") ?? true))
        if let arn = inputs.string("acmCertificateArn") {
            children.append(XMLTree(name: "ViewerCertificate", children: [
                element("ACMCertificateArn", arn), element("SSLSupportMethod", "sni-only"), element("MinimumProtocolVersion", "TLSv1.2_2021"),
            ]))
        } else {
            children.append(XMLTree(name: "ViewerCertificate", children: [flag("CloudFrontDefaultCertificate", true)]))
        }
        children.append(XMLTree(name: "Restrictions", children: [XMLTree(name: "GeoRestriction", children: [element("RestrictionType", "none"), element("Quantity", "0")])]))
        children.append(element("HttpVersion", "http2"))
        children.append(flag("IsIPV6Enabled", true))
        return XMLTree(name: "DistributionConfig", children: children)
    }

    static func origin(_ fields: [String: Value]) -> XMLTree {
        var children = [
            element("Id", fields["id"]?.stringValue ?? ""), element("DomainName", fields["domainName"]?.stringValue ?? ""),
            element("OriginPath", fields["originPath"]?.stringValue ?? ""),
        ]
        if fields["type"]?.stringValue == "custom" {
            children.append(XMLTree(name: "CustomOriginConfig", children: [
                element("HTTPPort", String(Int(fields["httpPort"]?.numberValue ?? 80))),
                element("HTTPSPort", String(Int(fields["httpsPort"]?.numberValue ?? 443))),
                element("OriginProtocolPolicy", fields["protocolPolicy"]?.stringValue ?? "https-only"),
                list("OriginSslProtocols", "SslProtocol", ["TLSv1.2"]),
            ]))
        } else {
            children.append(XMLTree(name: "S3OriginConfig", children: [element("OriginAccessIdentity", "")]))
        }
        return XMLTree(name: "Origin", children: children)
    }

    static func behavior(_ name: String, _ fields: [String: Value]) -> XMLTree {
        var children: [XMLTree] = []
        if name == "CacheBehavior" { children.append(element("PathPattern", fields["pathPattern"]?.stringValue ?? "")) }
        let allowed = strings(fields["allowedMethods"]).isEmpty ? ["GET", "HEAD"] : strings(fields["allowedMethods"])
        let cached = strings(fields["cachedMethods"]).isEmpty ? ["GET", "HEAD"] : strings(fields["cachedMethods"])
        children += [
            element("TargetOriginId", fields["targetOriginId"]?.stringValue ?? ""),
            XMLTree(name: "TrustedSigners", children: [flag("Enabled", false), element("Quantity", "0")]),
            element("ViewerProtocolPolicy", fields["viewerProtocolPolicy"]?.stringValue ?? "redirect-to-https"),
            quantity("AllowedMethods", allowed.map { element("Method", $0) }, extra: [list("CachedMethods", "Method", cached)]),
            flag("Compress", fields["compress"]?.boolValue ?? true),
        ]
        if let policy = fields["cachePolicyId"]?.stringValue {
            children.append(element("CachePolicyId", policy))
        } else {
            // Without a cache policy CloudFront wants the legacy settings.
            children.append(XMLTree(name: "ForwardedValues", children: [
                flag("QueryString", false), XMLTree(name: "Cookies", children: [element("Forward", "none")]),
            ]))
            children.append(element("MinTTL", "0"))
        }
        return XMLTree(name: name, children: children)
    }

    // MARK: Reading the config

    /// The attributes a `<DistributionConfig>` holds, in the stack's spelling where it means the same.
    static func attributes(_ config: XMLTree, recorded: Inputs?) -> [String: Value] {
        var out: [String: Value] = [:]
        let aliases = config.child("Aliases")?.child("Items")?.all("CNAME").map(\.text) ?? []
        if !aliases.isEmpty || recorded?["aliases"] != nil { out["aliases"] = .list(sameSet(aliases, strings(recorded?["aliases"])).map(Value.string)) }
        let root = config.string("DefaultRootObject") ?? ""
        if !root.isEmpty || recorded?["defaultRootObject"] != nil { out["defaultRootObject"] = .string(root) }
        let declaredOrigins = recorded?.list("origins")?.compactMap(\.mapValue) ?? []
        out["origins"] = .list((config.child("Origins")?.child("Items")?.all("Origin") ?? []).enumerated().map { index, origin in
            let declared = declaredOrigins.first { $0["id"]?.stringValue == origin.string("Id") } ?? (index < declaredOrigins.count ? declaredOrigins[index] : [:])
            var map: [String: Value] = ["id": .string(origin.string("Id") ?? ""), "domainName": .string(origin.string("DomainName") ?? "")]
            let custom = origin.child("CustomOriginConfig")
            keep(&map, "type", .string(custom == nil ? "s3" : "custom"), default: .string("s3"), declared)
            keep(&map, "originPath", .string(origin.string("OriginPath") ?? ""), default: .string(""), declared)
            if let custom {
                keep(&map, "protocolPolicy", .string(custom.string("OriginProtocolPolicy") ?? ""), default: .string("https-only"), declared)
                keep(&map, "httpPort", .number(Double(custom.string("HTTPPort") ?? "") ?? 80), default: .number(80), declared)
                keep(&map, "httpsPort", .number(Double(custom.string("HTTPSPort") ?? "") ?? 443), default: .number(443), declared)
            }
            return .map(map)
        })
        if let behavior = config.child("DefaultCacheBehavior") {
            out["defaultCacheBehavior"] = .map(attributes(behavior, declared: recorded?["defaultCacheBehavior"]?.revealed.mapValue ?? [:]))
        }
        let declaredBehaviors = recorded?.list("orderedCacheBehaviors")?.compactMap(\.mapValue) ?? []
        let behaviors = config.child("CacheBehaviors")?.child("Items")?.all("CacheBehavior") ?? []
        if !behaviors.isEmpty || recorded?["orderedCacheBehaviors"] != nil {
            out["orderedCacheBehaviors"] = .list(behaviors.enumerated().map { index, behavior in
                var map = attributes(behavior, declared: index < declaredBehaviors.count ? declaredBehaviors[index] : [:])
                map["pathPattern"] = .string(behavior.string("PathPattern") ?? "")
                return .map(map)
            })
        }
        let comment = config.string("Comment") ?? ""
        if !comment.isEmpty || recorded?["comment"] != nil { out["comment"] = .string(comment) }
        out["priceClass"] = .string(config.string("PriceClass") ?? "PriceClass_All")
        out["enabled"] = .bool(config.bool("Enabled") ?? true)
        let certificate = config.string("ViewerCertificate", "ACMCertificateArn") ?? ""
        if !certificate.isEmpty || recorded?["acmCertificateArn"] != nil {
            out["acmCertificateArn"] = certificate.isEmpty ? .null : .string(certificate)
        }
        return out
    }

    static func attributes(_ behavior: XMLTree, declared: [String: Value]) -> [String: Value] {
        var map: [String: Value] = ["targetOriginId": .string(behavior.string("TargetOriginId") ?? "")]
        keep(&map, "viewerProtocolPolicy", .string(behavior.string("ViewerProtocolPolicy") ?? ""), default: .string("redirect-to-https"), declared)
        let allowed = behavior.child("AllowedMethods")?.child("Items")?.all("Method").map(\.text) ?? ["GET", "HEAD"]
        let cached = behavior.child("AllowedMethods")?.child("CachedMethods")?.child("Items")?.all("Method").map(\.text) ?? ["GET", "HEAD"]
        keep(&map, "allowedMethods", .list(sameSet(allowed, strings(declared["allowedMethods"]), fallback: ["GET", "HEAD"]).map(Value.string)),
             default: .list(["GET", "HEAD"]), declared)
        keep(&map, "cachedMethods", .list(sameSet(cached, strings(declared["cachedMethods"]), fallback: ["GET", "HEAD"]).map(Value.string)),
             default: .list(["GET", "HEAD"]), declared)
        keep(&map, "compress", .bool(behavior.bool("Compress") ?? true), default: .bool(true), declared)
        let policy = behavior.string("CachePolicyId") ?? ""
        if !policy.isEmpty || declared["cachePolicyId"] != nil { map["cachePolicyId"] = .string(policy) }
        return map
    }

    /// Reports `value` when the stack declared the key or it is not the default.
    static func keep(_ map: inout [String: Value], _ key: String, _ value: Value, default fallback: Value, _ declared: [String: Value]) {
        if declared[key] != nil || value != fallback { map[key] = value }
    }

    /// The declared order when it holds the same values (AWS may sort them).
    static func sameSet(_ actual: [String], _ declared: [String], fallback: [String]? = nil) -> [String] {
        if !declared.isEmpty, Set(declared) == Set(actual), declared.count == actual.count { return declared }
        if declared.isEmpty, let fallback, Set(fallback) == Set(actual) { return fallback }
        return actual
    }
}
