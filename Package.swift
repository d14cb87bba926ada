// swift-tools-version: 6.0
import PackageDescription

let package = Package(
    name: "Strata",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "strata", targets: ["strata"]),
        .executable(name: "strata-provider-random", targets: ["strata-provider-random"]),
        .executable(name: "strata-provider-test", targets: ["strata-provider-test"]),
        .executable(name: "strata-provider-aws", targets: ["strata-provider-aws"]),
        .executable(name: "strata-provider-postgresql", targets: ["strata-provider-postgresql"]),
        // The DSL that stack programs link against, as SwiftPM's PackageDescription is:
        // a dynamic library whose modules sit in the build folder next to the CLI.
        .library(
            name: "StrataDSL", type: .dynamic,
            targets: ["StrataModel", "Strata", "StrataRandom", "StrataTestProvider", "StrataAWS", "StrataComponents", "StrataPostgres"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/groue/GRDB.swift", from: "7.0.0"),
        // tenants.yaml (`strata tenants`).
        .package(url: "https://github.com/jpsim/Yams", from: "6.0.0"),
        // The PostgreSQL state backend.
        .package(url: "https://github.com/vapor/postgres-nio", from: "1.33.2"),
    ],
    targets: [
        .target(name: "StrataModel"),
        .target(name: "Strata", dependencies: ["StrataModel"]),
        .target(name: "StrataRandom", dependencies: ["Strata"]),
        .target(name: "StrataTestProvider", dependencies: ["Strata"]),
        .target(name: "StrataAWS", dependencies: ["Strata"]),
        // Reusable groups of AWS resources (a three-tier network, a PostgreSQL cluster, …).
        .target(name: "StrataComponents", dependencies: ["Strata", "StrataAWS", "StrataRandom"], exclude: ["README.md"]),
        .target(name: "StrataPostgres", dependencies: ["Strata"]),
        .target(name: "StrataPluginKit", dependencies: ["StrataModel"]),
        .target(
            name: "StrataState",
            dependencies: ["StrataModel", "CStrataCrypto", .product(name: "GRDB", package: "GRDB.swift")],
            exclude: ["README.md"]),
        // The PostgreSQL state backend (`--state postgres://…`), apart so that StrataState's
        // own tests do not build PostgresNIO. Its `StateBackendOpener` opens every backend.
        .target(
            name: "StrataPostgresState",
            dependencies: ["StrataState", "StrataModel", "StrataStateKMS", "StrataS3State", .product(name: "PostgresNIO", package: "postgres-nio")],
            exclude: ["README.md"]),
        // The S3 state backend (`--state s3://bucket/prefix`): conditional writes on StrataAWSKit.
        .target(
            name: "StrataS3State",
            dependencies: ["StrataState", "StrataModel", "StrataAWSKit"],
            exclude: ["README.md"]),
        // State keys from AWS KMS (envelope encryption, `STRATA_STATE_KMS_KEY`).
        .target(name: "StrataStateKMS", dependencies: ["StrataState", "StrataModel", "StrataAWSKit"]),
        // libcrypto (OpenSSL) for hashing; Debian: libssl-dev.
        .systemLibrary(name: "CStrataCrypto", pkgConfig: "openssl", providers: [.apt(["libssl-dev"])]),
        .target(
            name: "StrataEngine",
            dependencies: [
                "StrataModel", "StrataPluginKit", "StrataState", "StrataPostgresState", "CStrataCrypto",
                .product(name: "Yams", package: "Yams"),
            ]),
        .target(
            name: "StrataCommands",
            dependencies: [
                "StrataEngine", "StrataPostgresState", "StrataStateKMS",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]),
        .executableTarget(name: "strata", dependencies: ["StrataCommands"]),
        .executableTarget(
            name: "strata-provider-random", dependencies: ["StrataPluginKit"], path: "Plugins/random"),
        .executableTarget(
            name: "strata-provider-test", dependencies: ["StrataPluginKit"], path: "Plugins/test"),
        // AWS: SigV4, the wire protocols and the credential chain; the provider on top.
        .target(name: "StrataAWSKit", dependencies: ["StrataModel", "StrataPluginKit", "CStrataCrypto"]),
        .executableTarget(
            name: "strata-provider-aws", dependencies: ["StrataPluginKit", "StrataAWSKit"], path: "Plugins/aws"),
        // PostgreSQL: databases, roles, schemas, grants and extensions on a server.
        .executableTarget(
            name: "strata-provider-postgresql",
            dependencies: ["StrataPluginKit", "CStrataCrypto", .product(name: "PostgresNIO", package: "postgres-nio")], path: "Plugins/postgres"),
        .testTarget(name: "StrataModelTests", dependencies: ["StrataModel"]),
        .testTarget(name: "StrataStateTests", dependencies: ["StrataState"]),
        .testTarget(name: "StrataEngineTests", dependencies: ["StrataEngine"]),
        .testTarget(name: "EndToEndTests", dependencies: ["StrataModel", "StrataTestSupport"]),
        // A PostgreSQL server (Debian's binaries) and an S3 server (moto) started by the tests,
        // for any test target.
        .target(name: "StrataTestSupport", path: "Tests/StrataTestSupport"),
        .testTarget(
            name: "StrataPostgresStateTests",
            dependencies: ["StrataPostgresState", "StrataS3State", "StrataAWSKit", "StrataState", "StrataModel", "StrataTestSupport"]),
        .testTarget(
            name: "StrataS3StateTests",
            dependencies: ["StrataS3State", "StrataState", "StrataModel", "StrataAWSKit", "StrataTestSupport"]),
        .testTarget(name: "StrataAWSKitTests", dependencies: ["StrataAWSKit"]),
    ]
)

for target in package.targets where target.type != .system {
    var settings = target.swiftSettings ?? []
    settings.append(.enableUpcomingFeature("ExistentialAny"))
    target.swiftSettings = settings
}
