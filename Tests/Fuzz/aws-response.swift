// libFuzzer harness: the AWS response parsers. The bytes are a response body: parsed as XML
// (`XMLTree`, EC2/Query/REST-XML answers) and walked as the provider walks it, read as an error
// by each protocol's `AWSErrorParser`, and read as a JSON 1.0/1.1 answer. Run by
// `scripts/fuzz aws-response`.
import Foundation
import StrataModel
@testable import StrataAWSKit

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzAWSResponse(_ bytes: UnsafePointer<UInt8>, _ count: Int) -> CInt {
    let body = Data(bytes: bytes, count: count)
    if let tree = try? XMLTree.parse(body) {
        _ = tree.description
        _ = tree.find("Error")
        _ = tree.items("vpcSet")
        _ = tree.string("RequestId")
        _ = tree.bool("Return")
        _ = tree["Errors", "Error", "Code"]
        _ = XMLWriter.document(tree)
    }
    // Each parser once (XML parsing is the cost); the error's kind for several statuses.
    let response = HTTPResponse(status: 400, body: body)
    let header = HTTPResponse(status: 503, headers: ["x-amzn-ErrorType": String(decoding: body.prefix(64), as: UTF8.self)], body: body)
    for var error in [
        AWSErrorParser.query(response, operation: "ec2 Fuzz"),
        AWSErrorParser.restXML(response, operation: "s3 Fuzz"),
        AWSErrorParser.json(response, operation: "kms Fuzz"),
        AWSErrorParser.json(header, operation: "kms Fuzz"),
    ] {
        for status in [200, 400, 404, 429, 503] {
            error.status = status
            _ = error.kind
            _ = RetryPolicy.isRetryable(error)
        }
        _ = error.description
    }
    _ = try? AWSClient.jsonObject(response, operation: "kms Fuzz")
    do { _ = try AWSClient.parseXML(response, operation: "ec2 Fuzz") } catch let error as AWSError { _ = error.kind } catch {
        fatalError("an XML answer failed with something other than an AWSError: \(error)")
    }
    return 0
}
