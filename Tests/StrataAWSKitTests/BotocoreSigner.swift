import Foundation

/// Signs requests with botocore's own SigV4 signer (the AWS CLI's), to compare with ours.
/// Nil when python3 with botocore is not installed.
enum BotocoreSigner {
    struct Case: Codable {
        var method: String
        var url: String
        var headers: [String: String]
        var body: String
        var service: String
        var region: String
        var accessKey: String
        var secretKey: String
        var sessionToken: String?
        /// `20150830T123600Z`
        var amzDate: String
        var s3: Bool
    }

    struct Signed: Codable {
        var headers: [String: String]
    }

    /// The exact script: botocore.auth.SigV4Auth (S3SigV4Auth for S3) with the clock pinned.
    static let script = #"""
    import datetime, json, sys
    from unittest import mock
    from botocore.auth import SigV4Auth, S3SigV4Auth
    from botocore.awsrequest import AWSRequest
    from botocore.credentials import Credentials

    out = []
    for case in json.load(sys.stdin):
        t = datetime.datetime.strptime(case["amzDate"], "%Y%m%dT%H%M%SZ")
        class Pinned(datetime.datetime):
            @classmethod
            def utcnow(cls): return t
            @classmethod
            def now(cls, tz=None): return t.replace(tzinfo=tz)
        request = AWSRequest(method=case["method"], url=case["url"], headers=case["headers"], data=case["body"].encode())
        credentials = Credentials(case["accessKey"], case["secretKey"], case.get("sessionToken"))
        signer = (S3SigV4Auth if case["s3"] else SigV4Auth)(credentials, case["service"], case["region"])
        with mock.patch("botocore.auth.datetime.datetime", Pinned):
            signer.add_auth(request)
        out.append({"headers": {k: v for k, v in request.headers.items()}})
    json.dump(out, sys.stdout)
    """#

    static func sign(_ cases: [Case]) throws -> [Signed]? {
        let python = Process()
        python.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        python.arguments = ["python3", "-c", script]
        let input = Pipe(), output = Pipe(), errors = Pipe()
        python.standardInput = input
        python.standardOutput = output
        python.standardError = errors
        do { try python.run() } catch { return nil }
        input.fileHandleForWriting.write(try JSONEncoder().encode(cases))
        try input.fileHandleForWriting.close()
        let data = output.fileHandleForReading.readDataToEndOfFile()
        let err = errors.fileHandleForReading.readDataToEndOfFile()
        python.waitUntilExit()
        if python.terminationStatus != 0 {
            let text = String(decoding: err, as: UTF8.self)
            if text.contains("No module named 'botocore'") || text.contains("No such file") { return nil }
            throw BotocoreFailure(message: text)
        }
        return try JSONDecoder().decode([Signed].self, from: data)
    }

    struct BotocoreFailure: Error, CustomStringConvertible {
        var message: String
        var description: String { "botocore signer failed: \(message)" }
    }
}
