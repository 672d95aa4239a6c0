// swift-tools-version:6.0
import PackageDescription

// No unsafeFlags anywhere: the library products must stay usable as a dependency of other
// packages. SIMD code picks its instruction set per function (target attributes + runtime dispatch).
let swiftSettings: [SwiftSetting] = []

let package = Package(
    name: "Swiftlet",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "swiftlet", targets: ["swiftlet"]),
        .library(name: "SwiftletGGUF", targets: ["GGUF"]),
        .library(name: "SwiftletKernels", targets: ["Kernels"]),
        .library(name: "SwiftletTokenizer", targets: ["Tokenizer", "Jinja"]),
        .library(name: "SwiftletModels", targets: ["Models"]),
        .library(name: "Swiftlet", targets: ["Engine"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/apple/swift-log", from: "1.6.0"),
        .package(url: "https://github.com/apple/swift-metrics", from: "2.5.0"),
    ],
    targets: [
        // OpenBLAS through its C interface (cblas.h); large-batch matmuls go through cblas_sgemm.
        .systemLibrary(name: "CBLAS", path: "Sources/CBLAS", pkgConfig: "openblas",
                       providers: [.apt(["libopenblas-dev"])]),
        // Small C target for SIMD intrinsics where Swift's codegen falls short.
        .target(name: "CKernels", path: "Sources/CKernels"),
        .target(name: "GGUF", swiftSettings: swiftSettings),
        .target(name: "Kernels", dependencies: ["GGUF", "CKernels", "CBLAS"], swiftSettings: swiftSettings),
        .target(name: "Jinja", swiftSettings: swiftSettings),
        .target(name: "Tokenizer", dependencies: ["GGUF", "Jinja"], swiftSettings: swiftSettings),
        .target(name: "Models", dependencies: ["GGUF", "Kernels", "Tokenizer"], swiftSettings: swiftSettings),
        .target(name: "Engine", dependencies: [
            "Models", "Tokenizer", .product(name: "Logging", package: "swift-log"),
            .product(name: "Metrics", package: "swift-metrics"),
        ], swiftSettings: swiftSettings),
        .executableTarget(name: "swiftlet", dependencies: [
            "GGUF", "Kernels", "Jinja", "Tokenizer", "Models", "Engine",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
            .product(name: "Logging", package: "swift-log"),
        ], swiftSettings: swiftSettings),
        .testTarget(name: "GGUFTests", dependencies: ["GGUF"]),
        // Vectors/ holds reference JSON the tests read through #filePath, not bundled resources.
        .testTarget(name: "KernelsTests", dependencies: ["Kernels", "GGUF", "CBLAS"], exclude: ["Vectors"]),
        .testTarget(name: "JinjaTests", dependencies: ["Jinja"]),
        .testTarget(name: "TokenizerTests", dependencies: ["Tokenizer", "GGUF", "Jinja"]),
        .testTarget(name: "ModelsTests", dependencies: ["Models", "Tokenizer", "GGUF", "Kernels"], exclude: ["Vectors"]),
        .testTarget(name: "EngineTests", dependencies: [
            "Engine", "Models", .product(name: "MetricsTestKit", package: "swift-metrics"),
        ]),
    ],
    swiftLanguageModes: [.v6]
)
