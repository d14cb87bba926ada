import Foundation
import StrataAWSKit
import StrataModel
import StrataPluginKit

/// `aws_acm_certificate`: a public certificate ACM issues once its DNS validation records
/// exist. RequestCertificate (IdempotencyToken from the engine token, tags) /
/// DescribeCertificate + ListTagsForCertificate / Add/RemoveTagsFromCertificate /
/// DeleteCertificate (waiting while a distribution still lets go of it). The id is the ARN.
struct ACMCertificateResource: AWSResource {
    let type = "aws_acm_certificate"

    var schema: ResourceSchema {
        ResourceSchema(
            description: "An ACM public certificate validated by DNS. Put `domainValidationOptions` in Route 53 records to have it issued. For CloudFront it must be made in us-east-1.",
            attributes: [
                "domainName": .init(.string, .required, forcesReplacement: true),
                "subjectAlternativeNames": .init(.list, .optional, forcesReplacement: true, description: "More names (strings); the domain name itself need not be listed."),
                "validationMethod": .init(.string, .optionalComputed, forcesReplacement: true, description: "DNS (the default) or EMAIL."),
                "tags": CommonAttributes.tags,
                "id": .init(.string, .computed, description: "The ARN."),
                "arn": CommonAttributes.arn,
                "status": .init(.string, .computed, description: "PENDING_VALIDATION, ISSUED, …"),
                "domainValidationOptions": .init(.list, .computed, description: "[{domainName, resourceRecordName, resourceRecordType, resourceRecordValue}]: the records that validate it."),
            ],
            typicalCreateSeconds: 3)
    }

    func check(_ inputs: Inputs) -> [CheckProblem] {
        var problems: [CheckProblem] = []
        if let name = inputs.string("domainName"), let problem = Route53.domainProblem(name, wildcard: true) {
            problems.append(CheckProblem(attribute: "domainName", message: "domainName \(problem)"))
        }
        for name in (inputs.list("subjectAlternativeNames") ?? []).compactMap(\.stringValue) {
            if let problem = Route53.domainProblem(name, wildcard: true) {
                problems.append(CheckProblem(attribute: "subjectAlternativeNames", message: "subjectAlternativeNames: \(problem)"))
            }
        }
        if let method = inputs.string("validationMethod"), method != "DNS", method != "EMAIL" {
            problems.append(CheckProblem(attribute: "validationMethod", message: "validationMethod must be DNS or EMAIL, not '\(method)'"))
        }
        return problems
    }

    func create(_ inputs: Inputs, token: String, tags: [String: String], in context: ResourceContext) async throws -> String {
        let domain = try inputs.require("domainName", for: type)
        var body: [String: Value] = [
            "DomainName": .string(domain),
            "ValidationMethod": .string(inputs.string("validationMethod") ?? "DNS"),
            // At most 32 word characters; the same for every try of this create.
            "IdempotencyToken": .string(String(Digest.sha256Hex(Array("strata:\(token)".utf8)).prefix(32))),
            "Tags": .list(tags.keys.sorted().map { .map(["Key": .string($0), "Value": .string(tags[$0] ?? "")]) }),
        ]
        if let names = inputs.list("subjectAlternativeNames"), !names.isEmpty {
            body["SubjectAlternativeNames"] = .list(([Value.string(domain)] + names).reduce(into: [Value]()) { if !$0.contains($1) { $0.append($1) } })
        }
        context.progress.report("requesting a certificate for \(domain)")
        let answer = try await context.client.json(service: .acm, target: "RequestCertificate", body: body)
        guard let arn = answer["CertificateArn"]?.stringValue else { throw PluginError(.fatal, "RequestCertificate answered without an ARN") }
        return arn
    }

    func read(id: String, recorded: Inputs?, in context: ResourceContext) async throws -> [String: Value]? {
        let certificate: [String: Value]
        do {
            let answer = try await context.client.json(service: .acm, target: "DescribeCertificate", body: ["CertificateArn": .string(id)])
            guard let found = answer["Certificate"]?.mapValue else { return nil }
            certificate = found
        } catch let error as AWSError where error.kind == .notFound {
            return nil
        }
        let domain = certificate["DomainName"]?.stringValue ?? ""
        var outputs: [String: Value] = [
            "id": .string(id),
            "arn": .string(id),
            "domainName": .string(Route53.spelled(domain, recorded: recorded?.string("domainName"))),
            "status": certificate["Status"] ?? .null,
            "validationMethod": .string(certificate["DomainValidationOptions"]?.listValue?.first?.mapValue?["ValidationMethod"]?.stringValue
                ?? recorded?.string("validationMethod") ?? "DNS"),
        ]
        // ACM lists the domain name among the alternative names; the stack need not.
        let alternatives = (certificate["SubjectAlternativeNames"]?.listValue ?? []).compactMap(\.stringValue)
        let declared = recorded?.list("subjectAlternativeNames")?.compactMap(\.stringValue)
        if let declared, Set(declared.map(Route53.normalized) + [Route53.normalized(domain)]) == Set(alternatives.map(Route53.normalized)) {
            outputs["subjectAlternativeNames"] = .list(declared.map(Value.string))
        } else {
            let others = alternatives.filter { Route53.normalized($0) != Route53.normalized(domain) }
            if !others.isEmpty || declared != nil { outputs["subjectAlternativeNames"] = .list(others.map(Value.string)) }
        }
        outputs["domainValidationOptions"] = .list((certificate["DomainValidationOptions"]?.listValue ?? []).compactMap { option in
            guard let fields = option.mapValue else { return nil }
            let record = fields["ResourceRecord"]?.mapValue ?? [:]
            return .map([
                "domainName": fields["DomainName"] ?? .null,
                "resourceRecordName": record["Name"] ?? .null,
                "resourceRecordType": record["Type"] ?? .null,
                "resourceRecordValue": record["Value"] ?? .null,
            ])
        })
        StrataTags.output(StrataTags.userTags(try await tags(id, context)), recorded: recorded, into: &outputs)
        return outputs
    }

    func update(id: String, prior: Inputs, inputs: Inputs, in context: ResourceContext) async throws {
        let current = StrataTags.userTags(try await tags(id, context)), wanted = StrataTags.userTags(inputs.tags)
        let removed = current.filter { wanted[$0.key] == nil }
        let changed = wanted.filter { current[$0.key] != $0.value }
        if !removed.isEmpty {
            _ = try await context.client.json(service: .acm, target: "RemoveTagsFromCertificate", body: [
                "CertificateArn": .string(id),
                "Tags": .list(removed.keys.sorted().map { .map(["Key": .string($0), "Value": .string(removed[$0] ?? "")]) }),
            ])
        }
        if !changed.isEmpty {
            _ = try await context.client.json(service: .acm, target: "AddTagsToCertificate", body: [
                "CertificateArn": .string(id),
                "Tags": .list(changed.keys.sorted().map { .map(["Key": .string($0), "Value": .string(changed[$0] ?? "")]) }),
            ])
        }
    }

    /// A certificate a distribution just let go of stays in use for a while: waits it out.
    func delete(id: String, in context: ResourceContext) async throws {
        context.progress.report("deleting certificate \(id)")
        try await Waiter("certificate \(id) to be free to delete", timeout: 600, minDelay: 2, maxDelay: 20)
            .wait(progress: context.progress.report) { () async throws -> WaitState<Void> in
                do {
                    _ = try await context.client.json(service: .acm, target: "DeleteCertificate", body: ["CertificateArn": .string(id)])
                    return .done(())
                } catch let error as AWSError where error.kind == .notFound {
                    return .done(())
                } catch let error as AWSError where error.code == "ResourceInUseException" {
                    return .pending("still in use (\(error.message))")
                }
            }
    }

    func find(token: String, inputs: Inputs, in context: ResourceContext) async throws -> String? {
        for arn in try await arns(context) where try await tags(arn, context)[StrataTags.token] == token {
            return arn
        }
        return nil
    }

    func discover(tags wanted: [String: String], in context: ResourceContext) async throws -> [DiscoveredResource] {
        var candidates: [(id: String, tags: [String: String])] = []
        for arn in try await arns(context) {
            let certificateTags = try await tags(arn, context)
            if Discovery.matches(certificateTags, wanted) { candidates.append((arn, certificateTags)) }
        }
        return try await Discovery.read(self, candidates, in: context)
    }

    private func arns(_ context: ResourceContext) async throws -> [String] {
        let listed = try await context.client.jsonPages(service: .acm, target: "ListCertificates", body: [:], listKey: "CertificateSummaryList")
        return listed.compactMap { $0.mapValue?["CertificateArn"]?.stringValue }
    }

    private func tags(_ arn: String, _ context: ResourceContext) async throws -> [String: String] {
        let answer = try await context.client.json(service: .acm, target: "ListTagsForCertificate", body: ["CertificateArn": .string(arn)])
        var tags: [String: String] = [:]
        for tag in answer["Tags"]?.listValue ?? [] {
            if let key = tag.mapValue?["Key"]?.stringValue { tags[key] = tag.mapValue?["Value"]?.stringValue ?? "" }
        }
        return tags
    }
}
