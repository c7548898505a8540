// swift-tools-version:6.0
// libFuzzer targets for passbox's parsers of untrusted input. Not part of the main
// build: Fuzz/run.sh builds them with -sanitize=fuzzer,address.
import PackageDescription

let package = Package(
    name: "PassboxFuzz",
    dependencies: [.package(name: "passbox", path: "..")],
    targets: [
        .target(name: "FuzzSupport"),
        .executableTarget(name: "FuzzIntake", dependencies: [
            "FuzzSupport", .product(name: "Intake", package: "passbox"),
        ]),
        .executableTarget(name: "FuzzManifest", dependencies: [
            "FuzzSupport", .product(name: "Attestation", package: "passbox"),
        ]),
        .executableTarget(name: "FuzzVendor", dependencies: [
            "FuzzSupport", .product(name: "Attestation", package: "passbox"),
        ]),
        .executableTarget(name: "FuzzPolicy", dependencies: [
            "FuzzSupport", .product(name: "PassboxKit", package: "passbox"),
            .product(name: "Attestation", package: "passbox"),
        ]),
    ],
    swiftLanguageModes: [.v6]
)
