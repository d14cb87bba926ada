import Foundation
import StrataAWSKit
import StrataModel
import StrataPluginKit

/// `strata-provider-aws`: AWS resources through the real AWS APIs (SigV4, EC2/Query,
/// REST-XML, JSON), configured like the AWS CLI.
struct AWSProvider: Provider {
    let name = "aws"
    let version = "0.1.0"
    let store = ClientStore()
    let types: [String: any AWSResource]

    init() {
        let all: [any AWSResource] = [
            VPCResource(), SubnetResource(), SecurityGroupResource(), S3BucketResource(), SecretsManagerSecretResource(),
            InternetGatewayResource(), RouteTableResource(), RouteTableAssociationResource(),
            DBSubnetGroupResource(), DBParameterGroupResource(), DBInstanceResource(),
            ElastiCacheSubnetGroupResource(), ElastiCacheReplicationGroupResource(),
            KMSKeyResource(), KMSAliasResource(),
            IAMRoleResource(), IAMPolicyResource(), IAMRolePolicyAttachmentResource(), IAMInstanceProfileResource(),
            Route53ZoneResource(), Route53RecordResource(),
            ACMCertificateResource(), CloudFrontDistributionResource(),
            WAFv2WebACLResource(), WAFv2WebACLAssociationResource(),
            LoadBalancerResource(), TargetGroupResource(), ListenerResource(), ListenerRuleResource(),
            ElasticIPResource(), NATGatewayResource(), VPCEndpointResource(),
            LaunchTemplateResource(), AutoScalingGroupResource(),
            LambdaFunctionResource(), LambdaAliasResource(), LambdaPermissionResource(),
            SQSQueueResource(), SNSTopicResource(), SNSSubscriptionResource(),
            CloudWatchMetricAlarmResource(), CloudWatchLogGroupResource(),
            APIGatewayV2APIResource(), APIGatewayV2StageResource(), APIGatewayV2IntegrationResource(), APIGatewayV2RouteResource(),
            APIGatewayV2DomainNameResource(), APIGatewayV2APIMappingResource(),
            CognitoUserPoolResource(), CognitoUserPoolClientResource(), CognitoUserPoolDomainResource(),
            EFSFileSystemResource(), EFSMountTargetResource(), EFSAccessPointResource(),
            BackupVaultResource(), BackupPlanResource(), BackupSelectionResource(),
            S3BucketReplicationResource(),
            LambdaEventSourceMappingResource(),
            APIGatewayV2AuthorizerResource(),
        ]
        types = Dictionary(uniqueKeysWithValues: all.map { ($0.type, $0) })
    }

    var resources: [String: ResourceSchema] { types.mapValues(\.schema) }
    var maxParallelism: Int? { 16 }

    func configure(_ request: ConfigureRequest) async throws {
        try store.configure(request.config)
    }

    var dataSources: [String: ResourceSchema] { AWSDataSources.schemas }

    func lookup(_ request: LookupRequest) async throws -> LookupResponse {
        try await calling {
            LookupResponse(outputs: try await AWSDataSources.lookup(request, client: try store.get()))
        }
    }

    func check(_ request: CheckRequest) async throws -> CheckResponse {
        let resource = try type(request.type)
        let problems = SchemaCheck.problems(request.inputs, schema: resource.schema) + resource.check(Inputs(request.inputs))
        return CheckResponse(inputs: request.inputs, problems: problems, estimatedSeconds: resource.schema.typicalCreateSeconds)
    }

    func create(_ request: CreateRequest, progress: ProgressReporter) async throws -> CreateResponse {
        try await calling {
            let (resource, context) = try prepare(request.type, progress)
            let inputs = Inputs(request.inputs)
            // Idempotent by token: a create that already happened is found by its tag.
            let id: String
            if let found = try await resource.find(token: request.token, inputs: inputs, in: context) {
                progress.report("found \(found), made by an earlier try of this create")
                id = found
            } else {
                id = try await resource.create(inputs, token: request.token, tags: StrataTags.forCreate(inputs, request.tags, token: request.token), in: context)
            }
            let outputs = try await readAfterWrite(resource, id: id, recorded: inputs, context)
            return CreateResponse(id: id, outputs: outputs)
        }
    }

    func read(_ request: ReadRequest) async throws -> ReadResponse {
        try await calling {
            let (resource, context) = try prepare(request.type, .none)
            guard let outputs = try await resource.read(id: request.id, recorded: Inputs(request.inputs), in: context) else {
                return ReadResponse(exists: false)
            }
            return ReadResponse(exists: true, outputs: outputs)
        }
    }

    func update(_ request: UpdateRequest, progress: ProgressReporter) async throws -> UpdateResponse {
        try await calling {
            let (resource, context) = try prepare(request.type, progress)
            let inputs = Inputs(request.inputs)
            try await resource.update(id: request.id, prior: Inputs(request.priorInputs), inputs: inputs, in: context)
            return UpdateResponse(outputs: try await readAfterWrite(resource, id: request.id, recorded: inputs, context))
        }
    }

    func delete(_ request: DeleteRequest, progress: ProgressReporter) async throws {
        try await calling {
            let (resource, context) = try prepare(request.type, progress)
            try await resource.delete(id: request.id, inputs: Inputs(request.inputs), in: context)
        }
    }

    func importResource(_ request: ImportRequest) async throws -> ImportResponse {
        try await calling {
            let (resource, context) = try prepare(request.type, .none)
            guard let outputs = try await resource.read(id: request.id, recorded: nil, in: context) else {
                throw PluginError(.notFound, "\(request.type) \(request.id) does not exist in \(context.region)")
            }
            let inputs = outputs.filter { resource.schema.attributes[$0.key]?.isInput == true && $0.value != .null }
            return ImportResponse(inputs: inputs, outputs: outputs)
        }
    }

    func recover(_ request: RecoverRequest) async throws -> RecoverResponse {
        try await calling {
            let (resource, context) = try prepare(request.type, .none)
            let inputs = Inputs(request.inputs)
            guard let id = try await resource.find(token: request.token, inputs: inputs, in: context),
                let outputs = try await resource.read(id: id, recorded: inputs, in: context)
            else { return RecoverResponse(found: false) }
            return RecoverResponse(found: true, id: id, outputs: outputs)
        }
    }

    func discover(_ request: DiscoverRequest) async throws -> DiscoverResponse {
        try await calling {
            let (resource, context) = try prepare(request.type, .none)
            let found = try await resource.discover(tags: request.tags, in: context)
            return DiscoverResponse(resources: found.sorted { $0.id < $1.id })
        }
    }

    // MARK: Helpers

    private func type(_ name: String) throws -> any AWSResource {
        guard let resource = types[name] else {
            throw PluginError(.invalid, "aws has no resource type '\(name)' (known: \(types.keys.sorted().joined(separator: ", ")))")
        }
        return resource
    }

    private func prepare(_ name: String, _ progress: ProgressReporter) throws -> (any AWSResource, ResourceContext) {
        (try type(name), ResourceContext(client: try store.get(), progress: progress))
    }

    /// AWS is eventually consistent: a resource just made may not be visible for a moment.
    private func readAfterWrite(_ resource: any AWSResource, id: String, recorded: Inputs, _ context: ResourceContext) async throws -> [String: Value] {
        try await Waiter("\(resource.type) \(id) to be visible", timeout: 60, minDelay: 0.5, maxDelay: 5)
            .wait(progress: context.progress.report) { () async throws -> WaitState<[String: Value]> in
                if let outputs = try await resource.read(id: id, recorded: recorded, in: context) { return .done(outputs) }
                return .pending("not visible yet")
            }
    }

    /// AWS, network and waiter errors in the protocol's words.
    private func calling<T>(_ body: () async throws -> T) async throws -> T {
        do {
            return try await body()
        } catch let error as PluginError {
            throw error
        } catch let error as AWSError {
            throw error.pluginError
        } catch let error as TransportError {
            throw PluginError(error.retryable ? .retryable : .fatal, error.message)
        } catch let error as WaiterError {
            throw PluginError(.retryable, error.description)
        } catch let error as AWSConfigurationError {
            throw PluginError(.invalid, error.message)
        }
    }
}
