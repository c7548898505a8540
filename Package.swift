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
        // The inventory (docs/inventory.md): SQLite on each station, PostgreSQL for a plant.
        .package(url: "https://github.com/groue/GRDB.swift", from: "7.10.0"),
        .package(url: "https://github.com/vapor/postgres-nio", from: "1.33.2"),
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

        // Escaping of delivery text for terminals and logs (pure Swift).
        .target(name: "SafeText"),

        // Domain modules.
        .target(name: "Intake", dependencies: ["ArchiveIO", "CryptoIO", "SafeText"]),
        .target(name: "Attestation", dependencies: ["CryptoIO", .product(name: "Yams", package: "Yams")],
                exclude: ["VENDOR-FORMATS.md"]),
        .target(name: "PassboxKit", dependencies: [
            "Intake", "Attestation", "CryptoIO", "SBOM", "SafeText",
        ]),
        .target(name: "Station", dependencies: [
            "PassboxKit", "Intake", "ArchiveIO", "Attestation", "CryptoIO", "SBOM", "SafeText",
        ]),
        // What entered the zone, queryable: SQLite (GRDB) and PostgreSQL (postgres-nio).
        .target(name: "InventoryStore", dependencies: [
            "Station", "PassboxKit", "SBOM", "Attestation",
            .product(name: "GRDB", package: "GRDB.swift"),
            .product(name: "PostgresNIO", package: "postgres-nio"),
        ]),
        // Benchmarks/inventory.sh: the inventory filled and queried (docs/benchmarks.md).
        .executableTarget(name: "inventory-bench", dependencies: ["InventoryStore", "PassboxKit", "Station"],
                          path: "Benchmarks/InventoryBench"),
        .executableTarget(name: "passbox", dependencies: [
            "PassboxKit", "Station", "InventoryStore", "Intake", "Attestation", "CryptoIO", "SafeText",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
        ]),

        .testTarget(name: "PassboxTests", dependencies: ["PassboxKit", "Intake", "Attestation", "CryptoIO", "ArchiveIO", "SafeText"]),
        .testTarget(name: "CLITests", dependencies: ["passbox", "Station", "CryptoIO", "Attestation"]),
        .target(name: "SBOM", exclude: ["README.md"]),
        .testTarget(name: "SBOMTests", dependencies: ["SBOM"]),
        .testTarget(name: "VendorFormatTests", dependencies: ["Attestation", "CryptoIO"]),
        .testTarget(name: "InventoryTests", dependencies: ["InventoryStore", "Station", "PassboxKit", "SBOM", "CryptoIO"]),
        .testTarget(name: "LibraryTests", dependencies: ["PassboxKit", "Station", "Attestation", "CryptoIO"]),
    ],
    swiftLanguageModes: [.v6]
)
