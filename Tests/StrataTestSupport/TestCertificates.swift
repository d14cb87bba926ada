import Foundation

/// Certificates for TLS tests, made with `/usr/bin/openssl` in a folder: two CAs (`ca` and
/// `other`) and a server certificate signed by `ca` for the name `localhost` only (no IP
/// address: NIOSSL accepts an IP entry that matches the address connected to even when a name
/// was given). Paths: `ca.crt`, `other.crt`, `server.crt`, `server.key`.
public struct TestCertificates: Sendable {
    public let directory: URL
    public var ca: String { directory.appendingPathComponent("ca.crt").path }
    public var otherCA: String { directory.appendingPathComponent("other.crt").path }
    public var serverFiles: PostgresServer.TLSFiles {
        .init(certificate: directory.appendingPathComponent("server.crt").path, key: directory.appendingPathComponent("server.key").path)
    }

    public static var isAvailable: Bool { FileManager.default.isExecutableFile(atPath: "/usr/bin/openssl") }

    /// Makes them in a new temporary folder (`remove()` deletes it).
    public static func make() throws -> TestCertificates {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("strata-tls-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let made = TestCertificates(directory: directory)
        for name in ["ca", "other"] {
            try made.openssl(["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
                              "-keyout", "\(name).key", "-out", "\(name).crt", "-days", "2", "-subj", "/CN=Strata test CA \(name)",
                              "-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign,cRLSign"])
        }
        try made.openssl(["req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
                          "-keyout", "server.key", "-out", "server.csr", "-subj", "/CN=strata-test-server"])
        try "subjectAltName=DNS:localhost\nextendedKeyUsage=serverAuth\nbasicConstraints=CA:FALSE\n"
            .write(to: directory.appendingPathComponent("server.ext"), atomically: true, encoding: .utf8)
        try made.openssl(["x509", "-req", "-in", "server.csr", "-CA", "ca.crt", "-CAkey", "ca.key", "-CAcreateserial",
                          "-out", "server.crt", "-days", "2", "-extfile", "server.ext"])
        return made
    }

    public func remove() { try? FileManager.default.removeItem(at: directory) }

    func openssl(_ arguments: [String]) throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/openssl")
        process.arguments = arguments
        process.currentDirectoryURL = directory
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            throw PostgresServer.Failure(message: "openssl \(arguments.joined(separator: " ")) failed (\(process.terminationStatus))")
        }
    }
}
