// libFuzzer harness: the CIDR, ARN and name parsers the AWS provider checks input with before
// any call (`NameRules`, `ARN`). Run by `scripts/fuzz cidr-arn`.
import Foundation
import StrataAWSKit

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzCIDRAndARN(_ bytes: UnsafePointer<UInt8>, _ count: Int) -> CInt {
    let text = String(decoding: UnsafeBufferPointer(start: bytes, count: count), as: UTF8.self)
    if let cidr = NameRules.IPv4CIDR(text) {
        // What it reads, it writes so that it reads back the same.
        guard NameRules.IPv4CIDR(cidr.description) == cidr else { fatalError("CIDR round trip changed \(text)") }
        _ = cidr.mask
        _ = cidr.hasHostBits
        _ = cidr.contains(cidr)
    }
    _ = NameRules.vpcCIDRProblem(text)
    _ = NameRules.bucketNameProblem(text)
    _ = NameRules.secretNameProblem(text)
    if let arn = ARN(text) {
        guard arn.description == text, ARN(arn.description) == arn else { fatalError("ARN round trip changed \(text)") }
    }
    _ = ARN.webACL(text)
    _ = ARN.listener(ofRule: text)
    _ = AWSErrorParser.normalizeJSONCode(text)
    return 0
}
