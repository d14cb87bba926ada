extension AWSService {
    /// Elastic Load Balancing v2 (application and network load balancers), Query protocol.
    public static let elbv2 = AWSService(endpointPrefix: "elasticloadbalancing", apiVersion: "2015-12-01", wireProtocol: .query)
    /// EC2 Auto Scaling, Query protocol.
    public static let autoscaling = AWSService(endpointPrefix: "autoscaling", apiVersion: "2011-01-01", wireProtocol: .query)
}
