// swift-tools-version:6.0
import PackageDescription

let strict: [SwiftSetting] = [.enableUpcomingFeature("ExistentialAny")]

// The executable runs on jemalloc (see Sources/wrpc-gateway/ProcessAllocator.swift)
// unless WRPC_GATEWAY_MALLOC=system: the sanitizer scripts set it, since
// their runtime replaces malloc.
let jemalloc: [Target.Dependency] = Context.environment["WRPC_GATEWAY_MALLOC"] == "system" ? [] : ["CJemalloc"]

let package = Package(
    name: "wrpc-gateway",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "wrpc-gateway", targets: ["wrpc-gateway"]),
        .library(name: "WIT", targets: ["WIT"]),
        // For the fuzz targets in fuzz/, a package of their own.
        .library(name: "ComponentValues", targets: ["ComponentValues"]),
        .library(name: "WRPCTransport", targets: ["WRPCTransport"]),
        .library(name: "HTTPHead", targets: ["HTTPHead"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/apple/swift-collections", from: "1.1.0"),
        .package(url: "https://github.com/apple/swift-crypto", from: "4.0.0"),
        .package(url: "https://github.com/x-sheep/swift-property-based", from: "2.0.0"),
        .package(url: "https://github.com/apple/swift-log", from: "1.6.0"),
        .package(url: "https://github.com/apple/swift-metrics", from: "2.5.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.0.0"),
        .package(url: "https://github.com/vapor/jwt-kit", from: "5.7.1"),
    ],
    targets: [
        .target(name: "WIT", swiftSettings: strict),
        .target(name: "ComponentValues", dependencies: ["WIT"], swiftSettings: strict),
        // The request-head rules over plain bytes, apart from libmicrohttpd
        // so that the fuzz targets can drive them.
        .target(name: "HTTPHead", swiftSettings: strict),
        .target(
            name: "Console",
            resources: ["index.html", "app.js", "app.css", "favicon.svg"].map { .embedInCode("Assets/\($0)") },
            swiftSettings: strict
        ),
        .systemLibrary(name: "CSystemShims", path: "Sources/CSystemShims"),
        .systemLibrary(name: "CTSanAnnotations", path: "Sources/CTSanAnnotations"),
        .target(name: "Locking", dependencies: ["CTSanAnnotations"], swiftSettings: strict),
        .target(
            name: "EventLoops",
            dependencies: ["Locking", "CSystemShims", .product(name: "DequeModule", package: "swift-collections")],
            swiftSettings: strict
        ),
        .systemLibrary(
            name: "CMicroHTTPD",
            path: "Sources/CMicroHTTPD",
            pkgConfig: "libmicrohttpd",
            providers: [.apt(["libmicrohttpd-dev"])]
        ),
        .systemLibrary(
            name: "CJemalloc",
            path: "Sources/CJemalloc",
            pkgConfig: "jemalloc",
            providers: [.apt(["libjemalloc-dev"])]
        ),
        .systemLibrary(
            name: "CCurl",
            path: "Sources/CCurl",
            pkgConfig: "libcurl",
            providers: [.apt(["libcurl4-openssl-dev"])]
        ),
        .target(
            name: "WRPCTransport",
            dependencies: ["Locking", "ComponentValues", "WIT", "CSystemShims", "EventLoops", .product(name: "Logging", package: "swift-log")],
            swiftSettings: strict
        ),
        .target(
            name: "BackendPool",
            dependencies: [
                "Locking", "WRPCTransport", "EventLoops",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
            ],
            swiftSettings: strict
        ),
        .target(name: "WasiHTTP", dependencies: ["WIT", "ComponentValues"], swiftSettings: strict),
        .target(
            name: "CurlClient",
            dependencies: ["Locking", "CCurl", "EventLoops", "HTTPHead"],
            swiftSettings: strict
        ),
        .target(
            name: "Egress",
            dependencies: [
                "Locking", "WasiHTTP", "CurlClient", "WRPCTransport", "EventLoops", "ComponentValues", "HTTPHead",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
            ],
            swiftSettings: strict
        ),
        .target(
            name: "DemoBackend",
            dependencies: [
                "Locking", "WRPCTransport", "ComponentValues", "WIT", "WasiHTTP",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strict
        ),
        .target(
            name: "EdgePolicy",
            dependencies: [
                "Locking", .product(name: "JWTKit", package: "jwt-kit"),
                .product(name: "Crypto", package: "swift-crypto"),
            ],
            swiftSettings: strict
        ),
        .target(
            name: "Gateway",
            dependencies: [
                "Locking", "EventLoops", "WRPCTransport", "BackendPool", "ComponentValues", "WIT", "WasiHTTP", "CMicroHTTPD", "CSystemShims", "CurlClient", "Console", "EdgePolicy", "HTTPHead",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "Crypto", package: "swift-crypto"),
            ],
            swiftSettings: strict
        ),
        .executableTarget(
            name: "wrpc-gateway",
            dependencies: [
                "Gateway", "DemoBackend", "WRPCTransport", "EventLoops", "Egress", "WasiHTTP", "EdgePolicy", "CurlClient",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                "WIT",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ] + jemalloc,
            swiftSettings: strict
        ),
        .executableTarget(
            name: "wrpc-gateway-bench",
            dependencies: [
                "Locking", "EventLoops", "WIT", "ComponentValues", "WRPCTransport", "BackendPool", "DemoBackend", "Gateway", "WasiHTTP", "TestSupport",
                "CSystemShims", .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strict
        ),
        .target(
            name: "TestSupport",
            dependencies: [
                "Locking", "CSystemShims", "ComponentValues", "WIT", "EventLoops", "WRPCTransport", "DemoBackend",
                .product(name: "JWTKit", package: "jwt-kit"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "CryptoExtras", package: "swift-crypto"),
            ],
            path: "Tests/TestSupport",
            swiftSettings: strict
        ),
        .testTarget(name: "WITTests", dependencies: ["WIT", "TestSupport"], swiftSettings: strict),
        .testTarget(name: "EventLoopsTests", dependencies: ["Locking", "EventLoops", "TestSupport"], swiftSettings: strict),
        .testTarget(
            name: "EdgePolicyTests",
            dependencies: ["EdgePolicy", "TestSupport", .product(name: "JWTKit", package: "jwt-kit")],
            swiftSettings: strict
        ),
        .testTarget(name: "WasiHTTPTests", dependencies: ["WasiHTTP", "WIT", "TestSupport"], swiftSettings: strict),
        .testTarget(
            name: "GatewayTests",
            dependencies: [
                "Locking", "Gateway", "BackendPool", "CurlClient", "EventLoops", "TestSupport", "Egress", "WasiHTTP", "DemoBackend", "WRPCTransport", "ComponentValues", "WIT",
                "EdgePolicy", "HTTPHead",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "JWTKit", package: "jwt-kit"),
            ],
            swiftSettings: strict
        ),
        .testTarget(
            name: "BackendPoolTests",
            dependencies: [
                "Locking", "BackendPool", "WRPCTransport", "EventLoops", "DemoBackend", "ComponentValues", "WIT", "TestSupport",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
            ],
            swiftSettings: strict
        ),
        .testTarget(
            name: "WRPCTransportTests",
            dependencies: [
                "Locking", "WRPCTransport", "DemoBackend", "ComponentValues", "WIT", "TestSupport",
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strict
        ),
        .testTarget(
            name: "ComponentValuesTests",
            dependencies: [
                "ComponentValues", "WIT", "TestSupport",
                .product(name: "PropertyBased", package: "swift-property-based"),
            ],
            swiftSettings: strict
        ),
    ],
    swiftLanguageModes: [.v6]
)
