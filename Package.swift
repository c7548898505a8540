// swift-tools-version:6.0
import PackageDescription

let package = Package(
    name: "passbox",
    platforms: [.macOS(.v13)],
    products: [
        .executable(name: "passbox", targets: ["passbox"]),
        .library(name: "PassboxKit", targets: ["PassboxKit"]),
        // The parsers on their own, for the fuzz targets in Fuzz/.
        .library(name: "Intake", targets: ["Intake"]),
        .library(name: "Attestation", targets: ["Attestation"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/jpsim/Yams", from: "6.0.0"),
    ],
    targets: [
        // C libraries from the system, found through pkg-config.
        .systemLibrary(
            name: "CLibArchive", pkgConfig: "libarchive",
            providers: [.apt(["libarchive-dev"])]),
        .systemLibrary(
            name: "CLibCrypto", pkgConfig: "libcrypto",
            providers: [.apt(["libssl-dev"])]),
        // static inline wrappers for OpenSSL macros that Swift cannot import.
        .target(name: "CLibCryptoShims", dependencies: ["CLibCrypto"]),

        // The only Swift that touches C.
        .target(name: "ArchiveIO", dependencies: ["CLibArchive"]),
        .target(name: "CryptoIO", dependencies: ["CLibCrypto", "CLibCryptoShims"]),

        // Domain modules.
        .target(name: "Intake", dependencies: ["ArchiveIO", "CryptoIO"]),
        .target(name: "Attestation", dependencies: ["CryptoIO", .product(name: "Yams", package: "Yams")],
                exclude: ["VENDOR-FORMATS.md"]),
        .target(name: "PassboxKit", dependencies: [
            "Intake", "Attestation", "CryptoIO", "SBOM",
        ]),
        .target(name: "Station", dependencies: ["PassboxKit", "Attestation", "CryptoIO", "SBOM"]),
        .executableTarget(name: "passbox", dependencies: [
            "PassboxKit", "Station", "Intake", .product(name: "ArgumentParser", package: "swift-argument-parser"),
        ]),

        .testTarget(name: "PassboxTests", dependencies: ["PassboxKit", "Intake", "Attestation", "CryptoIO", "ArchiveIO"]),
        .testTarget(name: "CLITests", dependencies: ["passbox", "Station"]),
        .target(name: "SBOM", exclude: ["README.md"]),
        .testTarget(name: "SBOMTests", dependencies: ["SBOM"]),
        .testTarget(name: "VendorFormatTests", dependencies: ["Attestation", "CryptoIO"]),
        .target(name: "Vulnerabilities", dependencies: ["SBOM", "ArchiveIO", "CryptoIO", .product(name: "Yams", package: "Yams")]),
        .testTarget(name: "VulnerabilityTests", dependencies: ["Vulnerabilities", "SBOM", .product(name: "Yams", package: "Yams")]),
        // Times import and matching for Benchmarks/vulns.sh (not shipped).
        .executableTarget(name: "vulnbench", dependencies: ["Vulnerabilities", "SBOM"], path: "Benchmarks/vulnbench"),
    ],
    swiftLanguageModes: [.v6]
)
