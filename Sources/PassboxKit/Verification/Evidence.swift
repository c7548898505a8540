import Attestation
import CryptoIO
import Foundation
import Intake

/// Manifests and signatures known before the delivery is read: `--manifest` files,
/// the registered manifests of `--manifests DIR`, and the evidence named after a
/// single-file delivery beside it (`fw.zip.dsse.json`, `fw.zip.minisig`, ...).
struct EvidenceSources {
    var envelopes: [UnverifiedManifest] = []
    var lists: [UnverifiedChecksumList] = []
    /// Detached signatures beside a single-file delivery (checked over its bytes once read).
    var besideSignatures: [(path: String, bytes: Data)] = []
    var path: String
    var singleFile = false
    var manifestsDirectory: String?
    var manifestFiles: [String] = []

    static func gather(path: String, options: VerifyOptions) throws -> EvidenceSources {
        var sources = EvidenceSources(path: path, manifestsDirectory: options.manifestsDirectory, manifestFiles: options.manifestFiles)
        // A file is read once, however it was named (--manifest, the registered
        // directory, beside the delivery): twice, it would be checked and applied twice.
        var read = Set<String>()
        func firstTime(_ file: String) -> Bool {
            read.insert(URL(fileURLWithPath: file).resolvingSymlinksInPath().standardizedFileURL.path).inserted
        }
        for file in options.manifestFiles where firstTime(file) {
            if ChecksumList.isListFileName(file) {
                sources.lists.append(try readChecksumList(file, origin: .explicit))
            } else {
                sources.envelopes += manifests(in: try readManifestFile(file), path: file, origin: .explicit)
            }
        }
        if let dir = options.manifestsDirectory {
            let names: [String]
            do {
                names = try FileManager.default.contentsOfDirectory(atPath: dir).sorted()
            } catch {
                throw EvaluationError("cannot list manifests directory \(dir): \(error.localizedDescription)")
            }
            for name in names {
                let file = (dir as NSString).appendingPathComponent(name)
                guard isManifestFileName(name) || ChecksumList.isListFileName(name), firstTime(file) else { continue }
                if isManifestFileName(name) {
                    sources.envelopes += manifests(in: try readManifestFile(file), path: file, origin: .registered)
                } else if ChecksumList.isListFileName(name) {
                    sources.lists.append(try readChecksumList(file, origin: .registered))
                }
            }
        }
        // A single file (a firmware image, an archive) with evidence named after it
        // beside it, as `minisign -V -m FILE`, `cosign verify-blob` and `gpg --verify`
        // users expect: fw.zip.dsse.json, .intoto.json, .intoto.jsonl (they apply, like
        // manifests in a delivery's root) and fw.zip.minisig, .sig, .asc, .gpg, .p7s
        // (checked over the file's bytes once it is read). Nothing else beside it counts.
        var isDirectory: ObjCBool = false
        sources.singleFile = FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) && !isDirectory.boolValue
        if sources.singleFile {
            for suffix in besideManifestSuffixes where FileManager.default.fileExists(atPath: path + suffix) && firstTime(path + suffix) {
                sources.envelopes += manifests(in: try readManifestFile(path + suffix), path: path + suffix, origin: .delivery)
            }
            for signature in ChecksumList.signatureFileNames(for: path) where FileManager.default.fileExists(atPath: signature) {
                sources.besideSignatures.append((signature, try readManifestFile(signature)))
            }
        }
        return sources
    }

    /// Bytes of the manifests and lists known before the delivery is read (set when
    /// they are handed over to their check).
    private(set) var earlyBytes = 0

    /// Hands the manifests over to their check (nothing else holds their bytes then:
    /// a statement naming 200,000 files is a 30 MB file, freed once it is checked).
    mutating func takeEnvelopes() -> [UnverifiedManifest] {
        defer { envelopes = [] }
        earlyBytes += envelopes.reduce(0) { $0 + $1.bytes.count }
        return envelopes
    }

    mutating func takeLists() -> [UnverifiedChecksumList] {
        defer { lists = [] }
        return lists
    }

    /// Where evidence was looked for (the report's `evidence.lookedIn`; manifest.none says it too).
    func lookedIn(_ inventory: Inventory) -> [String] {
        var out: [String] = []
        switch inventory.deliveryKind {
        case .directory: out.append("\(path) (the delivery root)")
        case .archive: out.append("the root of \(path) (inside the archive)")
        case .file: break
        }
        if singleFile {
            out.append("beside \(path): " + (besideManifestSuffixes + ChecksumList.signatureFileNames(for: "")).joined(separator: " "))
        }
        if let dir = manifestsDirectory { out.append("\(dir) (registered manifests)") }
        for file in manifestFiles { out.append("--manifest \(file)") }
        return out
    }

    /// A checksum list given on the command line or registered in advance, with the
    /// signature files that stand beside it.
    static func readChecksumList(_ file: String, origin: UnverifiedManifest.Origin) throws -> UnverifiedChecksumList {
        let list = try readManifestFile(file)
        var signatures: [(path: String, bytes: Data)] = []
        for candidate in ChecksumList.signatureFileNames(for: file) where FileManager.default.fileExists(atPath: candidate) {
            signatures.append((candidate, try readManifestFile(candidate)))
        }
        return UnverifiedChecksumList(path: file, origin: origin, list: list, signatures: signatures)
    }

    static func readManifestFile(_ path: String) throws -> Data {
        do {
            return try readFile(path, limit: maxManifestBytes)
        } catch {
            throw EvaluationError("manifest \(error)")
        }
    }
}

/// Evidence found in the delivery once it is read: manifests and checksum lists (with
/// the signatures beside them) in its root, files on the medium with detached
/// signatures beside them, and a single-file delivery's own signatures.
struct DeliveryEvidence {
    /// Items that are evidence, not content (never unlisted).
    var evidence = Set<Int>()
    var envelopes: [UnverifiedManifest] = []
    var lists: [UnverifiedChecksumList] = []
    /// Checked already (signatures over files' bytes).
    var signedFiles: [ManifestCheck] = []
    /// Evidence that could not be read.
    var findings: [Finding] = []

    static func collect(inventory: Inventory, path: String, sources: EvidenceSources, trust: TrustContext) -> DeliveryEvidence {
        var found = DeliveryEvidence()
        found.collectRoot(inventory)
        found.collectMediumSignatures(inventory, path: path, trust: trust)
        if !sources.besideSignatures.isEmpty, let root = inventory.rootItem, root < inventory.items.count {
            found.signedFiles.append(checkSignedFile(inventory.items[root].path, at: path, item: inventory.items[root],
                                                     signatures: sources.besideSignatures, trust: trust))
        }
        return found
    }

    /// Checks what was found (the manifests known before were checked while intake ran).
    func check(trust: TrustContext) -> [ManifestCheck] {
        envelopes.map { trust.manifests.check($0) } + lists.map { trust.manifests.check($0, detached: trust.detached) } + signedFiles
    }

    /// Manifests in the delivery root, and checksum lists with the signatures beside
    /// them, are evidence, not content.
    private mutating func collectRoot(_ inventory: Inventory) {
        var rootFiles: [String: Int] = [:]
        for index in inventory.items.indices where isRootLevel(inventory.items[index], inventory) && inventory.items[index].kind != .directory {
            rootFiles[inventory.items[index].path] = index
        }
        for (name, index) in rootFiles.sorted(by: { $0.key < $1.key }) {
            let item = inventory.items[index]
            if isManifestFileName(name) {
                evidence.insert(index)
                guard let bytes = inventory.captured[index] else { unreadable(item); continue }
                envelopes += manifests(in: bytes, path: item.path, origin: .delivery)
            } else if ChecksumList.isListFileName(name) {
                evidence.insert(index)
                guard let bytes = inventory.captured[index] else { unreadable(item); continue }
                var signatures: [(path: String, bytes: Data)] = []
                for signatureName in ChecksumList.signatureFileNames(for: name) {
                    guard let signatureIndex = rootFiles[signatureName] else { continue }
                    evidence.insert(signatureIndex)
                    if let data = inventory.captured[signatureIndex] { signatures.append((signatureName, data)) }
                }
                lists.append(UnverifiedChecksumList(path: item.path, origin: .delivery, list: bytes, signatures: signatures))
            }
        }
    }

    private mutating func unreadable(_ item: Item) {
        findings.append(Finding(code: .manifestMalformed, severity: .error, path: item.path,
                                message: "manifest could not be read (larger than \(maxManifestBytes >> 20) MiB, more than \(IntakeOptions().captureTotalLimit >> 20) MiB of manifests, signatures and SBOMs in the delivery together, or not a regular file)"))
    }

    /// A file on the medium with detached signatures beside it (fw.bin + fw.bin.sig).
    private mutating func collectMediumSignatures(_ inventory: Inventory, path: String, trust: TrustContext) {
        // (Looked for only when the medium holds a signature file at all: most hold
        // none, and listing and sorting every file for it took 5% of a 50,000-file run.)
        guard inventory.deliveryKind == .directory,
              inventory.items.contains(where: { $0.container == nil && $0.kind != .directory && isSignatureFileName($0.path) }) else { return }
        var mediumFiles: [String: Int] = [:]
        for index in inventory.items.indices where inventory.items[index].container == nil && inventory.items[index].kind != .directory {
            mediumFiles[inventory.items[index].path] = index
        }
        for (name, index) in mediumFiles.sorted(by: { $0.key < $1.key }) where !evidence.contains(index) {
            let item = inventory.items[index]
            guard item.kind == .regular || item.kind == .archive, item.complete, !isSignatureFileName(name) else { continue }
            var signatures: [(path: String, bytes: Data)] = []
            for signatureName in ChecksumList.signatureFileNames(for: name) {
                guard let signatureIndex = mediumFiles[signatureName], !evidence.contains(signatureIndex),
                      let data = inventory.captured[signatureIndex] else { continue }
                evidence.insert(signatureIndex)
                signatures.append((signatureName, data))
            }
            guard !signatures.isEmpty else { continue }
            signedFiles.append(Self.checkSignedFile(name, at: (path as NSString).appendingPathComponent(name), item: item,
                                                    signatures: signatures, trust: trust))
        }
    }

    /// A file with detached signatures: they are checked over its bytes, read again (up
    /// to 256 MiB) and compared with the digests intake computed, so what was signed is
    /// what was hashed.
    static func checkSignedFile(_ name: String, at file: String, item: Item, signatures: [(path: String, bytes: Data)],
                                trust: TrustContext) -> ManifestCheck {
        guard item.size <= Int64(maxSignedFileBytes), let content = try? readFile(file, limit: maxSignedFileBytes),
              Hex.encode(Hasher.digest(.sha256, content)) == item.digests.sha256 else {
            var check = ManifestCheck(path: signatures.map(\.path).joined(separator: ", "), origin: .delivery)
            check.format = "detached"
            check.problems.append(.malformed(item.size > Int64(maxSignedFileBytes)
                ? "\(name) is larger than \(maxSignedFileBytes) bytes: sign a checksum list that names it instead"
                : "\(name) changed on the medium while it was being checked"))
            return check
        }
        return trust.manifests.check(signedFile: name, content: content, digests: item.digests, signatures: signatures, detached: trust.detached)
    }
}

/// Manifests named after a single-file delivery, beside it (`fw.zip.dsse.json`).
let besideManifestSuffixes = [".dsse.json", ".intoto.json", ".intoto.jsonl"]

/// Largest single file whose detached signature passbox checks (it is read into memory).
let maxSignedFileBytes = 256 << 20

/// A detached signature file's name (`.minisig .sig .asc .gpg .p7s`); its format is told by content.
/// (Compared byte by byte, ASCII letters folded: it is asked of every file on the
/// medium, and `lowercased()` made a new string each time.)
func isSignatureFileName(_ name: String) -> Bool {
    let bytes = name.utf8
    return signatureSuffixes.contains { suffix in
        bytes.count >= suffix.count && zip(bytes.suffix(suffix.count), suffix).allSatisfy { byte, expected in
            (0x41...0x5a).contains(byte) ? byte | 0x20 == expected : byte == expected
        }
    }
}

private let signatureSuffixes: [[UInt8]] = [".minisig", ".sig", ".asc", ".gpg", ".p7s"].map { Array($0.utf8) }

/// Is the item on the delivery root's own level (not in a subfolder, not inside a nested archive)?
func isRootLevel(_ item: Item, _ inventory: Inventory) -> Bool {
    switch inventory.deliveryKind {
    case .directory: return item.container == nil && !item.path.utf8.contains(UInt8(ascii: "/"))
    case .archive: return item.container == inventory.rootItem && !item.path.utf8.contains(UInt8(ascii: "/"))
    case .file: return false
    }
}
