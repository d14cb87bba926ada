import StrataAWSKit
import StrataModel
import StrataPluginKit

/// `aws_lb_listener`: CreateListener / DescribeListeners + DescribeTags / ModifyListener,
/// AddTags, RemoveTags / DeleteListener. The id is the ARN.
struct ListenerResource: AWSResource {
    let type = "aws_lb_listener"
    static let protocols = ["HTTP", "HTTPS", "TCP", "TLS", "UDP", "TCP_UDP"]

    var schema: ResourceSchema {
        ResourceSchema(
            description: "A listener of a load balancer: a port, a protocol and a default action.",
            attributes: [
                "loadBalancerArn": .init(.string, .required, forcesReplacement: true),
                "port": .init(.number, .required, description: "1-65535; changed in place."),
                "protocol": .init(.string, .required, description: "HTTP or HTTPS (application), TCP, TLS, UDP or TCP_UDP (network); changed in place."),
                "certificateArn": .init(.string, .optional, description: "The default certificate (ACM or IAM ARN); required for HTTPS and TLS."),
                "defaultAction": .init(.map, .required, description: "{type: forward, targetGroupArn} | {type: fixed-response, statusCode, contentType?, messageBody?} | {type: redirect, statusCode: HTTP_301|HTTP_302, protocol?, port?, host?, path?, query?}; changed in place."),
                "tags": CommonAttributes.tags,
                "id": .init(.string, .computed, description: "The ARN."),
                "arn": CommonAttributes.arn,
            ],
            typicalCreateSeconds: 2)
    }

    func check(_ inputs: Inputs) -> [CheckProblem] {
        var problems = InputChecks.integer(inputs, "port", in: 1...65535)
        problems += InputChecks.oneOf(inputs, "protocol", Self.protocols)
        problems += LoadBalancerAction.problems(inputs, "defaultAction")
        if let proto = inputs.string("protocol"), inputs.isKnown("certificateArn") {
            let secure = ["HTTPS", "TLS"].contains(proto)
            if secure, inputs["certificateArn"] == nil {
                problems.append(CheckProblem(attribute: "certificateArn", message: "a \(proto) listener needs 'certificateArn'"))
            } else if !secure, inputs["certificateArn"] != nil {
                problems.append(CheckProblem(attribute: "certificateArn", message: "a \(proto) listener takes no certificate; use HTTPS or TLS, or drop 'certificateArn'"))
            }
        }
        return problems
    }

    func create(_ inputs: Inputs, token: String, tags: [String: String], in context: ResourceContext) async throws -> String {
        let lb = try inputs.require("loadBalancerArn", for: type)
        var params = QueryParameters()
        params["LoadBalancerArn"] = lb
        params["Protocol"] = try inputs.require("protocol", for: type)
        if let port = InputChecks.int(inputs, "port") { params.set("Port", port) }
        params["Certificates.member.1.CertificateArn"] = inputs.string("certificateArn")
        try action(inputs).encode("DefaultActions.member.1", into: &params)
        params.tagList("Tags.member", tags)
        context.progress.report("creating listener on port \(params["Port"] ?? "?") of \(lb)")
        let made = try await ELB.call("CreateListener", params, list: "Listeners", client: context.client)
        guard let arn = made.first?.string("ListenerArn") else {
            throw PluginError(.fatal, "CreateListener answered without a ListenerArn")
        }
        return arn
    }

    func read(id: String, recorded: Inputs?, in context: ResourceContext) async throws -> [String: Value]? {
        guard let listener = try await describe(id, context) else { return nil }
        var outputs: [String: Value] = [
            "id": .string(id), "arn": .string(id),
            "loadBalancerArn": listener.string("LoadBalancerArn").map(Value.string) ?? .null,
            "port": listener.string("Port").flatMap(Double.init).map(Value.number) ?? .null,
            "protocol": listener.string("Protocol").map(Value.string) ?? .null,
            "defaultAction": LoadBalancerAction.output(ELB.members(listener, "DefaultActions").first.map(LoadBalancerAction.init(xml:)),
                                                       recorded: recorded?["defaultAction"], attribute: "defaultAction"),
        ]
        if let certificate = ELB.members(listener, "Certificates").first?.string("CertificateArn") {
            outputs["certificateArn"] = .string(certificate)
        }
        let tags = try await ELB.tags([id], client: context.client)[id] ?? [:]
        StrataTags.output(StrataTags.userTags(tags), recorded: recorded, into: &outputs)
        return outputs
    }

    func update(id: String, prior: Inputs, inputs: Inputs, in context: ResourceContext) async throws {
        guard let listener = try await describe(id, context) else {
            throw PluginError(.notFound, "listener \(id) does not exist", providerCode: "ListenerNotFound")
        }
        var params: QueryParameters = ["ListenerArn": id]
        if let port = InputChecks.int(inputs, "port"), String(port) != listener.string("Port") { params.set("Port", port) }
        if let proto = inputs.string("protocol"), proto != listener.string("Protocol") { params["Protocol"] = proto }
        if let certificate = inputs.string("certificateArn"),
            certificate != ELB.members(listener, "Certificates").first?.string("CertificateArn") {
            params["Certificates.member.1.CertificateArn"] = certificate
        }
        let wanted = try action(inputs)
        if ELB.members(listener, "DefaultActions").first.map(LoadBalancerAction.init(xml:))?.normalized != wanted.normalized {
            wanted.encode("DefaultActions.member.1", into: &params)
        }
        if params.values.count > 1 {
            context.progress.report("modifying listener \(id)")
            _ = try await context.client.query(service: .elbv2, action: "ModifyListener", params: params)
        }
        try await ELB.updateTags(arn: id, to: inputs.tags, client: context.client)
    }

    func delete(id: String, in context: ResourceContext) async throws {
        context.progress.report("deleting listener \(id)")
        do {
            _ = try await context.client.query(service: .elbv2, action: "DeleteListener", params: ["ListenerArn": id])
        } catch let error as AWSError where error.kind == .notFound {
            return
        }
    }

    /// Among the listeners of its load balancer, the one carrying the token.
    func find(token: String, inputs: Inputs, in context: ResourceContext) async throws -> String? {
        guard let lb = inputs.string("loadBalancerArn") else { return nil }
        return try await ELB.tagged(try await ELB.listenerARNs(loadBalancer: lb, client: context.client), token: token, client: context.client)
    }

    func discover(tags: [String: String], in context: ResourceContext) async throws -> [DiscoveredResource] {
        try await ELB.discover(self, arns: try await ELB.listenerARNs(client: context.client), tags: tags, in: context)
    }

    private func action(_ inputs: Inputs) throws -> LoadBalancerAction {
        guard let value = inputs["defaultAction"] else { throw PluginError(.invalid, "\(type): 'defaultAction' is required") }
        return try LoadBalancerAction(value, attribute: "defaultAction")
    }

    private func describe(_ arn: String, _ context: ResourceContext) async throws -> XMLTree? {
        try await ELB.describeOne("DescribeListeners", arnParameter: "ListenerArns", arn: arn, list: "Listeners", client: context.client)
    }
}
