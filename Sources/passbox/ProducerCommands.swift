import ArgumentParser
import Attestation
import CryptoIO
import Foundation
import PassboxKit
import SafeText

struct ManifestCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "manifest", abstract: "Produce signed manifests.", subcommands: [Create.self])

    struct Create: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Write a DSSE envelope with an in-toto Statement listing PATH's files by digest.")

        @Argument(help: "The delivery: a directory, a file or an archive.")
        var path: String

        @Option(name: .long, help: "Private key (PEM) to sign with; repeat for several signers.")
        var key: [String]

        @Option(name: .long, help: "The vendor, recorded in the delivery predicate (trust.yaml scopes signers by it).")
        var vendor: String?
        @Option(name: .long, help: "The product, recorded in the delivery predicate (rollback is judged per vendor and product).")
        var product: String?
        @Option(name: .long, help: "The delivery's version, recorded in the delivery predicate (e.g. 2.4.1).")
        var version: String?
        @Option(name: .long, help: "firmware, recipe or tool.") var kind: DeliveryKindOption?
        @Option(name: .long, help: "An SBOM of the delivery (a path inside PATH) to name by digest in the predicate (repeatable).")
        var sbom: [String] = []

        @Option(name: .shortAndLong, help: "Where to write the envelope (e.g. delivery.dsse.json).")
        var output: String

        @Option(name: .long, help: "Digests each subject carries, comma-separated (default: sha256; e.g. sha256,sha512).")
        var digests: String = "sha256"

        func run() throws {
            guard !key.isEmpty else { throw CannotEvaluate("--key is required") }
            let keys = try key.map { try Producer.loadPrivateKey($0) }
            let predicate = DeliveryPredicate(vendor: vendor, product: product, version: version, kind: kind?.rawValue)
            var algorithms: [DigestAlgorithm] = []
            for name in digests.split(separator: ",") {
                guard let algorithm = DigestAlgorithm(rawValue: name.trimmingCharacters(in: .whitespaces).lowercased()) else {
                    throw CannotEvaluate("--digests: unknown algorithm \(name) (sha256, sha384, sha512)")
                }
                if !algorithms.contains(algorithm) { algorithms.append(algorithm) }
            }
            let result = try Producer.createManifest(path: path, keys: keys, predicate: predicate, sboms: sbom, excluding: output,
                                                     algorithms: algorithms)
            if FileManager.default.fileExists(atPath: output) {
                throw CannotEvaluate("\(output) already exists; remove it first")
            }
            guard FileManager.default.createFile(atPath: output, contents: result.envelope + Data("\n".utf8)) else {
                throw CannotEvaluate("cannot write \(output)")
            }
            for s in result.skipped {
                complain("passbox: not listed (not a regular file): \(s)")
            }
            for s in result.rejectedAnyway {
                complain("passbox: warning: under the built-in policy, verify rejects this whatever the manifest says: \(s)")
            }
            let links = result.links > 0 ? ", \(result.links) symbolic link(s)" : ""
            say("wrote \(output): \(result.subjects.count) subject(s)\(links), signed by \(keys.map { String($0.publicKey.fingerprint.prefix(16)) }.joined(separator: ", "))")
        }
    }
}

enum DeliveryKindOption: String, ExpressibleByArgument, CaseIterable {
    case firmware, recipe, tool
}

struct Keygen: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Make a signing key pair: NAME.key (private, mode 0600) and NAME.pem (public, for TrustStore/keys/).")

    @Option(name: .long, help: "ed25519, ecdsa-p256 or rsa-3072.")
    var algorithm: KeyAlgorithmOption = .ed25519

    @Option(name: .shortAndLong, help: "Base name of the key files.")
    var output: String

    func run() throws {
        let files = try Producer.generateKey(algorithm.value, outputBase: output)
        say("private key \(files.privateKeyPath) (keep it secret; mode 0600)")
        say("public key  \(files.publicKeyPath) (copy into TrustStore/keys/ to trust it)")
        say("fingerprint \(files.fingerprint)")
    }
}

enum KeyAlgorithmOption: String, ExpressibleByArgument, CaseIterable {
    case ed25519
    case ecdsaP256 = "ecdsa-p256"
    case rsa3072 = "rsa-3072"
    var value: KeyGenAlgorithm {
        switch self {
        case .ed25519: .ed25519
        case .ecdsaP256: .ecdsaP256
        case .rsa3072: .rsa3072
        }
    }
}

