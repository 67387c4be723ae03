// swift-tools-version:6.0
import PackageDescription

// libFuzzer targets, a package of their own so that the main package's
// `swift build` and `swift test` never see them. Built by scripts/fuzz.sh
// with `-sanitize=fuzzer,address`, which supplies `main`.
let fuzzer: [SwiftSetting] = [.unsafeFlags(["-parse-as-library"])]

let package = Package(
    name: "wrpc-gateway-fuzz",
    dependencies: [.package(name: "wrpc-gateway", path: "..")],
    targets: [
        .target(name: "FuzzSupport"),
        .executableTarget(name: "FuzzWIT", dependencies: ["FuzzSupport", .product(name: "WIT", package: "wrpc-gateway")],
                          swiftSettings: fuzzer),
        .executableTarget(name: "FuzzJSON",
                          dependencies: ["FuzzSupport", .product(name: "ComponentValues", package: "wrpc-gateway")],
                          swiftSettings: fuzzer),
        .executableTarget(name: "FuzzValues",
                          dependencies: [
                              "FuzzSupport",
                              .product(name: "WIT", package: "wrpc-gateway"),
                              .product(name: "ComponentValues", package: "wrpc-gateway"),
                          ],
                          swiftSettings: fuzzer),
        .executableTarget(name: "FuzzFrames",
                          dependencies: ["FuzzSupport", .product(name: "WRPCTransport", package: "wrpc-gateway")],
                          swiftSettings: fuzzer),
        .executableTarget(name: "FuzzHead",
                          dependencies: ["FuzzSupport", .product(name: "HTTPHead", package: "wrpc-gateway")],
                          swiftSettings: fuzzer),
    ],
    swiftLanguageModes: [.v6]
)
