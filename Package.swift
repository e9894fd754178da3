// swift-tools-version:6.2
import PackageDescription

let package = Package(
    name: "envshed-rotator",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "envshed-rotator", targets: ["EnvshedRotatorCLI"]),
        .executable(name: "envshed-rotator-bench", targets: ["RotatorBenchmark"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/jpsim/Yams", from: "6.2.2"),
        .package(url: "https://github.com/groue/GRDB.swift", from: "7.10.0"),
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1"),
        .package(url: "https://github.com/apple/swift-crypto", from: "3.12.3"),
    ],
    targets: [
        // libsodium from the system (Debian: libsodium-dev): sealed boxes for GitHub secrets, SHA-256.
        .systemLibrary(
            name: "CSodium",
            pkgConfig: "libsodium",
            providers: [.apt(["libsodium-dev"])]
        ),
        // libcurl from the system (Debian: libcurl4-openssl-dev): the HTTP client under `CurlTransport`.
        .systemLibrary(
            name: "CCurl",
            pkgConfig: "libcurl",
            providers: [.apt(["libcurl4-openssl-dev"])]
        ),
        // The command line: parses arguments and hands off to RotatorCore. The only ArgumentParser importer.
        .executableTarget(
            name: "EnvshedRotatorCLI",
            dependencies: [
                "RotatorCore",
                "RotatorDemo",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        // All behaviour: plan, planner, executor, Envshed client, targets, transport, state, logs.
        // swift-crypto's _CryptoExtras signs the GitHub App JWT (RS256).
        .target(
            name: "RotatorCore",
            dependencies: [
                "CCurl",
                "CSodium",
                .product(name: "_CryptoExtras", package: "swift-crypto"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Yams", package: "Yams"),
                .product(name: "GRDB", package: "GRDB.swift"),
            ]
        ),
        // Loopback emulators of the services the rotator talks to; used by `demo` and the tests.
        .target(
            name: "RotatorEmulators",
            dependencies: [
                "CSodium",
                .product(name: "_CryptoExtras", package: "swift-crypto"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        // `envshed-rotator demo`: the emulators plus a throw-away plan, driven through RotatorCore.
        .target(
            name: "RotatorDemo",
            dependencies: [
                "RotatorCore",
                "RotatorEmulators",
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        // `scripts/bench`: the real binary against latency-injected emulators, with the ideal and the
        // sequential baseline measured in the same run.
        .executableTarget(
            name: "RotatorBenchmark",
            dependencies: ["RotatorEmulators"],
            path: "Benchmarks/RotatorBenchmark"
        ),
        .testTarget(
            name: "RotatorCoreTests",
            dependencies: [
                "RotatorCore",
                // The model-based safety test drives whole runs in-process against the emulators.
                "RotatorEmulators",
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "_CryptoExtras", package: "swift-crypto"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .testTarget(
            name: "RotatorIntegrationTests",
            dependencies: [
                "EnvshedRotatorCLI",
                "CSodium",
                "RotatorCore",
                "RotatorEmulators",
                .product(name: "_CryptoExtras", package: "swift-crypto"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Logging", package: "swift-log"),
                // KubernetesManifestTests parses deploy/kubernetes/*.yaml.
                .product(name: "Yams", package: "Yams"),
            ]
        ),
    ]
)

for target in package.targets where target.type != .system {
    var settings = target.swiftSettings ?? []
    settings.append(.enableUpcomingFeature("ExistentialAny"))
    settings.append(.enableUpcomingFeature("MemberImportVisibility"))
    target.swiftSettings = settings
}
