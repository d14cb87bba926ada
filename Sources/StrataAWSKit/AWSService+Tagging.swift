extension AWSService {
    /// The Resource Groups Tagging API (`GetResources`): the resources of a region that carry
    /// given tags, in one paginated listing whatever the service.
    public static let resourceGroupsTagging = AWSService(
        endpointPrefix: "tagging", apiVersion: "2017-01-26", wireProtocol: .json,
        jsonVersion: "1.1", targetPrefix: "ResourceGroupsTaggingAPI_20170126")
}
