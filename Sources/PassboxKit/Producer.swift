import Attestation
import CryptoIO
import Foundation
import Intake
#if canImport(Glibc)
import Glibc
#endif

/// Writing what passbox checks: key pairs and signed manifests.
public enum Producer {
    /// The files `generateKey` wrote, and the public key's fingerprint.
    public struct KeyFiles: Sendable {
        public var privateKeyPath: String
        public var publicKeyPath: String
        public var fingerprint: String
    }

    /// Writes `NAME.key` (PKCS#8 PEM, mode 0600) and `NAME.pem` (SubjectPublicKeyInfo).
    /// Never overwrites.
    public static func generateKey(_ algorithm: KeyGenAlgorithm, outputBase: String) throws -> KeyFiles {
        let base = outputBase.hasSuffix(".key") || outputBase.hasSuffix(".pem") ? String(outputBase.dropLast(4)) : outputBase
        let privatePath = base + ".key"
        let publicPath = base + ".pem"
        for path in [privatePath, publicPath] where FileManager.default.fileExists(atPath: path) {
            throw EvaluationError("\(path) already exists; passbox never overwrites a key")
        }
        let key = try PrivateKey.generate(algorithm)
        try writeExclusive(privatePath, Data(try key.pem().utf8), mode: 0o600)
        try writeExclusive(publicPath, Data(try key.publicKey.pem().utf8), mode: 0o644)
        return KeyFiles(privateKeyPath: privatePath, publicKeyPath: publicPath, fingerprint: key.publicKey.fingerprint)
    }

    static func writeExclusive(_ path: String, _ data: Data, mode: mode_t) throws {
        let fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, mode)
        guard fd >= 0 else { throw EvaluationError("cannot create \(path): \(String(cString: strerror(errno)))") }
        defer { close(fd) }
        _ = fchmod(fd, mode)
        try data.withUnsafeBytes { raw in
            var offset = 0
            while offset < raw.count {
                let n = write(fd, raw.baseAddress?.advanced(by: offset), raw.count - offset)
                guard n > 0 else { throw EvaluationError("cannot write \(path): \(String(cString: strerror(errno)))") }
                offset += n
            }
        }
        guard fsync(fd) == 0 else { throw EvaluationError("cannot sync \(path)") }
    }

    /// Reads a PEM private key (a station key, a signing key); throws `EvaluationError`.
    public static func loadPrivateKey(_ path: String) throws -> PrivateKey {
        do {
            return try PrivateKey.load(pem: try readFile(path, limit: maxKeyFileBytes))
        } catch {
            throw EvaluationError("\(path): \(error)")
        }
    }

    /// What `createManifest` signed, and what it left out or warns about.
    public struct ManifestResult: Sendable {
        public var envelope: Data
        public var subjects: [Subject]
        /// Symbolic links recorded in the predicate.
        public var links: Int = 0
        public var skipped: [String]
        /// What `passbox verify` will reject whatever the manifest says (a link that
        /// leaves the tree, an unsafe name, a special file; a setuid bit under the built-in
        /// policy), as "path: code: message".
        public var rejectedAnyway: [String] = []
    }

    /// Lists PATH's files (a directory's regular files and archives, or a single
    /// file by its name) with their digests, and signs the statement.
    /// `maxEnvelopeBytes`: the largest envelope `passbox verify` reads; a larger one
    /// is refused here rather than written and then refused at the gate.
    public static func createManifest(path: String, keys: [PrivateKey], predicate: DeliveryPredicate?,
                                      sboms: [String] = [], excluding: String? = nil,
                                      algorithms: [DigestAlgorithm] = [.sha256],
                                      maxEnvelopeBytes: Int = maxManifestBytes) throws -> ManifestResult {
        var options = IntakeOptions()
        options.openArchives = false // subjects are the files themselves
        // sha256 by default; `--digests sha256,sha512` adds more (`--digests sha512`
        // writes sha512 alone, as a vendor's own tools may).
        options.algorithms = algorithms.isEmpty ? [.sha256] : algorithms
        let inventory: Inventory
        do {
            inventory = try Intake.run(path: path, options: options)
        } catch let error as IntakeError {
            throw EvaluationError(error.message)
        }
        let excludedPath = excluding.map { URL(fileURLWithPath: $0).standardizedFileURL.path }
        let rootURL = URL(fileURLWithPath: path).standardizedFileURL
        var subjects: [Subject] = []
        var links: [DeliveryPredicate.Link] = []
        var skipped: [String] = []
        for (i, item) in inventory.items.enumerated() {
            let onMedium = item.container == nil
            guard onMedium || i == inventory.rootItem else { continue }
            if item.kind == .directory { continue }
            if inventory.deliveryKind == .directory {
                if !item.path.utf8.contains(UInt8(ascii: "/")), isManifestFileName(item.path) { continue }
                if let excludedPath, rootURL.appendingPathComponent(item.path).standardizedFileURL.path == excludedPath { continue }
            }
            if item.kind == .symlink, onMedium, let target = item.linkTarget {
                links.append(DeliveryPredicate.Link(name: item.path, target: target))
                continue
            }
            guard item.kind == .regular || item.kind == .archive, item.complete, !item.digests.isEmpty else {
                skipped.append("\(item.path) (\(item.kind.rawValue))")
                continue
            }
            subjects.append(Subject(name: item.path, digests: item.digests))
        }
        guard !subjects.isEmpty else { throw EvaluationError("\(path) has no files to list") }
        var predicate = predicate ?? DeliveryPredicate()
        if !links.isEmpty { predicate.links = links }
        for name in sboms {
            let wanted = normalizeSubjectName(name)
            guard let subject = subjects.first(where: { $0.name == wanted }) else {
                throw EvaluationError("--sbom \(name) is not a file of \(path)")
            }
            var digest: [String: String] = [:]
            for (algorithm, hex) in subject.digests { digest[algorithm.rawValue] = hex }
            predicate.sbom = (predicate.sbom ?? []) + [DeliveryPredicate.SBOMReference(name: subject.name, digest: digest)]
        }
        let payload = try statementJSON(subjects: subjects, predicate: predicate)
        let envelope = try signEnvelope(payloadType: inTotoPayloadType, payload: payload, keys: keys)
        let encoder = JSONOutput.encoder()
        let encoded = try encoder.encode(envelope)
        guard encoded.count < maxEnvelopeBytes else {
            throw EvaluationError("the manifest of \(subjects.count) files would be \(encoded.count) bytes, more than the \(maxEnvelopeBytes) bytes passbox verify reads (about 190,000 files): sign archives of the files (an archive is one subject, its entries are covered), or make several manifests of parts of the delivery")
        }
        let rejectedAnyway = inventory.findings.filter { $0.advisory != .nameCollision }.map { "\($0.path): \($0.code.rawValue): \($0.message)" }
        return ManifestResult(envelope: encoded, subjects: subjects, links: links.count, skipped: skipped, rejectedAnyway: rejectedAnyway)
    }

    private struct StatementOut: Encodable {
        struct SubjectOut: Encodable {
            var name: String
            var digest: [String: String]
        }
        var _type = statementTypeV1
        var subject: [SubjectOut]
        var predicateType: String
        var predicate: DeliveryPredicate
    }

    static func statementJSON(subjects: [Subject], predicate: DeliveryPredicate?) throws -> [UInt8] {
        let out = StatementOut(
            subject: subjects.map { s in
                var digest: [String: String] = [:]
                for (algorithm, hex) in s.digests { digest[algorithm.rawValue] = hex }
                return .init(name: s.name, digest: digest)
            },
            predicateType: deliveryPredicateType,
            predicate: predicate ?? DeliveryPredicate())
        let encoder = JSONOutput.encoder(compact: true)
        return Array(try encoder.encode(out))
    }
}
