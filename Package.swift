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
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1"),
        // Hummingbird's own dependencies, named because the kiosk imports them directly.
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-http-types", from: "1.8.0"),
        .package(url: "https://github.com/apple/swift-nio-ssl", from: "2.37.6"),
        // The inventory (docs/inventory.md) and the offline vulnerability database
        // (docs/vulnerabilities.md): SQLite through GRDB; PostgreSQL for a plant.
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
        // Intel ISA-L: gzip inflated at about twice zlib's speed (igzip).
        .systemLibrary(
            name: "CISAL", pkgConfig: "libisal",
            providers: [.apt(["libisal-dev"])]),
        // static inline wrappers for OpenSSL macros that Swift cannot import.
        .target(name: "CLibCryptoShims", dependencies: ["CLibCrypto"]),

        // The only Swift that touches C.
        .target(name: "InflateIO", dependencies: ["CISAL"]),
        .target(name: "ArchiveIO", dependencies: ["CLibArchive", "InflateIO"]),
        .target(name: "CryptoIO", dependencies: ["CLibCrypto", "CLibCryptoShims"]),

        // Escaping of delivery text for terminals and logs; compact storage of many names (pure Swift).
        .target(name: "SafeText"),

        // Domain modules.
        .target(name: "Intake", dependencies: ["ArchiveIO", "CryptoIO", "SafeText"]),
        .target(name: "Attestation", dependencies: ["CryptoIO", "SafeText", .product(name: "Yams", package: "Yams")],
                exclude: ["VENDOR-FORMATS.md"]),
        .target(name: "PassboxKit", dependencies: [
            "Intake", "Attestation", "CryptoIO", "SBOM", "SafeText", "Vulnerabilities",
        ]),
        .target(name: "Station", dependencies: [
            "PassboxKit", "Intake", "ArchiveIO", "Attestation", "CryptoIO", "SBOM", "SafeText",
        ]),
        // The transfer-media kiosk: web UI for operators, HTTP API for pipelines.
        .target(name: "Kiosk", dependencies: [
            "PassboxKit", "Station", "InventoryStore", "Intake", "Attestation", "CryptoIO", "SafeText", "Vulnerabilities",
            "VulnerabilityStore",
            .product(name: "Hummingbird", package: "hummingbird"),
            .product(name: "HummingbirdTLS", package: "hummingbird"),
            .product(name: "Logging", package: "swift-log"),
            .product(name: "HTTPTypes", package: "swift-http-types"),
            .product(name: "NIOSSL", package: "swift-nio-ssl"),
            // InventoryStore's interface imports GRDB: its module (GRDBSQLite) must be visible.
            .product(name: "GRDB", package: "GRDB.swift"),
        ]),
        // What entered the zone, queryable: SQLite (GRDB) and PostgreSQL (postgres-nio).
        .target(name: "InventoryStore", dependencies: [
            "Station", "PassboxKit", "SBOM", "Attestation", "Vulnerabilities", "VulnerabilityStore",
            .product(name: "GRDB", package: "GRDB.swift"),
            .product(name: "PostgresNIO", package: "postgres-nio"),
        ]),
        // Benchmarks/inventory.sh: the inventory filled and queried (docs/benchmarks.md).
        .executableTarget(name: "inventory-bench", dependencies: ["InventoryStore", "PassboxKit", "Station"],
                          path: "Benchmarks/InventoryBench"),
        .executableTarget(name: "passbox", dependencies: [
            "PassboxKit", "Station", "InventoryStore", "Intake", "Attestation", "CryptoIO", "SafeText", "Kiosk", "SBOM",
            "VulnerabilityStore", "Vulnerabilities",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
        ]),

        .testTarget(name: "PassboxTests", dependencies: ["PassboxKit", "Intake", "Attestation", "CryptoIO", "ArchiveIO", "InflateIO", "SafeText"]),
        .testTarget(name: "CLITests", dependencies: ["passbox", "Station", "CryptoIO", "Attestation"]),
        // Yams only for SPDX 2 YAML (SPDX2YAML.swift); everything else is Foundation.
        .target(name: "SBOM", dependencies: [.product(name: "Yams", package: "Yams")], exclude: ["README.md"]),
        .testTarget(name: "SBOMTests", dependencies: ["SBOM"]),
        .testTarget(name: "VendorFormatTests", dependencies: ["Attestation", "CryptoIO"]),
        .testTarget(name: "KioskTests", dependencies: [
            "Kiosk", "PassboxKit", "Station", "InventoryStore", "Attestation", "CryptoIO", "VulnerabilityStore",
            .product(name: "Hummingbird", package: "hummingbird"),
            .product(name: "HummingbirdTesting", package: "hummingbird"),
        ]),
        .testTarget(name: "InventoryTests", dependencies: ["InventoryStore", "Station", "PassboxKit", "SBOM", "CryptoIO",
                                                         "Vulnerabilities", "VulnerabilityStore"]),
        .testTarget(name: "LibraryTests", dependencies: ["PassboxKit", "Station", "Attestation", "CryptoIO"]),
        .target(name: "Vulnerabilities", dependencies: ["SBOM", "ArchiveIO", "CryptoIO", .product(name: "Yams", package: "Yams")]),
        .testTarget(name: "VulnerabilityTests", dependencies: ["Vulnerabilities", "VulnerabilityStore", "InventoryStore", "SBOM",
                                                             .product(name: "Yams", package: "Yams")]),
        // What the offline vulnerability database hands its callers (OSV JSON as stored, import
        // and status values). The database itself lives in the inventory store (module
        // InventoryStore: VulnerabilityDatabase, StationVulnerabilities; docs/vulnerabilities.md section 7).
        .target(name: "VulnerabilityStore", dependencies: ["Vulnerabilities"]),
        // Times import and matching for Benchmarks/vulns.sh (not shipped).
        .executableTarget(name: "vulnbench", dependencies: ["Vulnerabilities", "SBOM"], path: "Benchmarks/vulnbench"),
    ],
    swiftLanguageModes: [.v6]
)
