import Foundation
import Testing

/// The plugin on its own, for the network, load balancing and compute types: a create is
/// idempotent (found again by its `strata:token`), recover finds it and only it, import reads
/// it back, discover finds it by the stack's tags and not by another stack's, delete then read
/// says gone.
@Suite(.serialized) struct AWSNewTypesProtocolTests {
    @Test(.enabled(if: AWSProviderTests.toolsMissing == nil, "needs moto_server"))
    func recoverImportDiscoverAndDeleteOfTheNewTypes() throws {
        let server = try MotoServer.start(try #require(AWSProviderTests.moto))
        defer { server.stop() }
        let plugin = try PluginPipe(StrataCLI.buildDirectory.appendingPathComponent("strata-provider-aws"), environment: [
            "AWS_ENDPOINT_URL": server.endpoint, "AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing",
            "AWS_REGION": "us-east-1", "AWS_CONFIG_FILE": "/nonexistent", "AWS_SHARED_CREDENTIALS_FILE": "/nonexistent",
        ])
        defer { plugin.close() }
        _ = try plugin.call("initialize", #"{"protocolVersion":1,"engineVersion":"test"}"#)
        _ = try plugin.call("configure", #"{"config":{}}"#)
        func result(_ answer: [String: Any]) -> [String: Any] { answer["result"] as? [String: Any] ?? [:] }
        var made: [(type: String, id: String)] = []
        func create(_ type: String, _ inputs: String, _ token: String) throws -> String {
            let tags = #"{"strata:stack":"newtypes","strata:instance":"default","strata:address":"\#(type).x","strata:token":"\#(token)"}"#
            let request = #"{"type":"\#(type)","inputs":\#(inputs),"token":"\#(token)","tags":\#(tags)}"#
            let first = try plugin.call("create", request)
            let id = try #require(result(first)["id"] as? String, "\(type): \(first)")
            #expect(result(try plugin.call("create", request))["id"] as? String == id, "create is idempotent: \(type)")
            let recovered = result(try plugin.call("recover", #"{"type":"\#(type)","token":"\#(token)","inputs":\#(inputs)}"#))
            #expect(recovered["found"] as? Bool == true && recovered["id"] as? String == id, "\(type): \(recovered)")
            let other = result(try plugin.call("recover", #"{"type":"\#(type)","token":"other","inputs":\#(inputs)}"#))
            #expect(other["found"] as? Bool == false, "another token finds nothing: \(type): \(other)")
            let imported = result(try plugin.call("import", #"{"type":"\#(type)","id":"\#(id)"}"#))
            #expect((imported["outputs"] as? [String: Any])?["id"] as? String == id, "\(type): \(imported)")
            made.append((type, id))
            return id
        }
        let vpc = try create("aws_vpc", #"{"cidrBlock":"10.11.0.0/16"}"#, "tokvpc")
        let a = try create("aws_subnet", #"{"vpcId":"\#(vpc)","cidrBlock":"10.11.1.0/24","availabilityZone":"us-east-1a"}"#, "toka")
        let b = try create("aws_subnet", #"{"vpcId":"\#(vpc)","cidrBlock":"10.11.2.0/24","availabilityZone":"us-east-1b"}"#, "tokb")
        let eip = try create("aws_eip", "{}", "tokeip")
        let nat = try create("aws_nat_gateway", #"{"subnetId":"\#(a)","allocationId":"\#(eip)"}"#, "toknat")
        let table = try create("aws_route_table", #"{"vpcId":"\#(vpc)","routes":[{"destinationCidrBlock":"0.0.0.0/0","natGatewayId":"\#(nat)"}]}"#, "toktable")
        _ = try create("aws_vpc_endpoint", #"{"vpcId":"\#(vpc)","serviceName":"com.amazonaws.us-east-1.s3","routeTableIds":["\#(table)"]}"#, "tokvpce")
        let group = try create("aws_lb_target_group", #"{"name":"tg-newtypes","port":80,"protocol":"HTTP","vpcId":"\#(vpc)"}"#, "toktg")
        let lb = try create("aws_lb", #"{"name":"lb-newtypes","subnets":["\#(a)","\#(b)"]}"#, "toklb")
        let forward = #"{"type":"forward","targetGroupArn":"\#(group)"}"#
        let listener = try create("aws_lb_listener", #"{"loadBalancerArn":"\#(lb)","port":80,"protocol":"HTTP","defaultAction":\#(forward)}"#, "toklistener")
        _ = try create("aws_lb_listener_rule", #"{"listenerArn":"\#(listener)","priority":5,"pathPatterns":["/x/*"],"action":\#(forward)}"#, "tokrule")
        let template = try create("aws_launch_template", #"{"name":"lt-newtypes","imageId":"ami-12c6146b","instanceType":"t3.micro"}"#, "toklt")
        _ = try create("aws_autoscaling_group", #"{"name":"asg-newtypes","minSize":0,"maxSize":1,"desiredCapacity":0,"subnets":["\#(a)"],"launchTemplateId":"\#(template)","targetGroupArns":["\#(group)"]}"#, "tokasg")

        for (type, id) in made where !["aws_vpc", "aws_subnet", "aws_route_table"].contains(type) {
            let found = result(try plugin.call("discover", #"{"type":"\#(type)","tags":{"strata:stack":"newtypes"}}"#))
            #expect((found["resources"] as? [[String: Any]] ?? []).compactMap { $0["id"] as? String } == [id], "\(type): \(found)")
            let none = result(try plugin.call("discover", #"{"type":"\#(type)","tags":{"strata:stack":"other"}}"#))
            #expect((none["resources"] as? [[String: Any]] ?? []).isEmpty, "\(type): \(none)")
        }
        for (type, id) in made.reversed() {
            let deleted = try plugin.call("delete", #"{"type":"\#(type)","id":"\#(id)","inputs":{},"outputs":{}}"#)
            #expect(deleted["error"] == nil, "\(type): \(deleted)")
            let read = result(try plugin.call("read", #"{"type":"\#(type)","id":"\#(id)","inputs":{},"outputs":{}}"#))
            #expect(read["exists"] as? Bool == false, "\(type): \(read)")
        }
    }
}
