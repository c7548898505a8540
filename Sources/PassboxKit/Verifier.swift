import Attestation
import CryptoIO
import Foundation
import Intake

/// How to verify one delivery.
public struct VerifyOptions: Sendable {
    public var trustStoreDirectory: String
    /// Manifests registered in advance; nil for none.
    public var manifestsDirectory: String?
    /// Extra manifests (`--manifest`), always considered.
    public var manifestFiles: [String] = []
    public var policy: Policy = .builtIn
    /// Validity is judged at this time (keys, certificates, manifests).
    public var at: Date = Date()
    /// Computed for every file: sha256 always, and what `--digests` or the policy's
    /// `digests:` add. An algorithm a manifest names a file by alone is computed too,
    /// in a second pass when the manifest turns up after the bytes (docs/usage.md).
    public var algorithms: [DigestAlgorithm] = [.sha256]

    public init(trustStoreDirectory: String) {
        self.trustStoreDirectory = trustStoreDirectory
    }
}

/// passbox cannot evaluate: the caller exits 2.
public struct EvaluationError: Error, CustomStringConvertible, Sendable {
    public let message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}

public enum Verifier {
    /// Verifies one delivery. Throws only when it cannot evaluate (unreadable
    /// path, malformed trust store); every judgement is a finding in the report.
    public static func verify(path: String, options: VerifyOptions) throws -> Report {
        let contents: TrustStoreContents
        do {
            contents = try TrustStoreContents.read(directory: options.trustStoreDirectory)
        } catch let error as TrustStoreError {
            throw EvaluationError("trust store: \(error)")
        }
        let trustStore = contents.store
        let vendorTrust = contents.vendor
        var detached = DetachedSignatureVerifier(trust: vendorTrust, time: options.at)
        detached.trust.requireCRL = options.policy.requireCRL

        var envelopes: [UnverifiedManifest] = []
        var lists: [UnverifiedChecksumList] = []
        for file in options.manifestFiles {
            if ChecksumList.isListFileName(file) {
                lists.append(try readChecksumList(file, origin: .explicit))
            } else {
                envelopes += manifests(in: try readManifestFile(file), path: file, origin: .explicit)
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
                if isManifestFileName(name) {
                    envelopes += manifests(in: try readManifestFile(file), path: file, origin: .registered)
                } else if ChecksumList.isListFileName(name) {
                    lists.append(try readChecksumList(file, origin: .registered))
                }
            }
        }

        // A single file (a firmware image, an archive) with evidence named after it
        // beside it, as `minisign -V -m FILE`, `cosign verify-blob` and `gpg --verify`
        // users expect: fw.zip.dsse.json, .intoto.json, .intoto.jsonl (they apply, like
        // manifests in a delivery's root) and fw.zip.minisig, .sig, .asc, .gpg, .p7s
        // (checked over the file's bytes once it is read). Nothing else beside it counts.
        var isDirectory: ObjCBool = false
        let singleFile = FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) && !isDirectory.boolValue
        var besideSignatures: [(path: String, bytes: Data)] = []
        if singleFile {
            for suffix in besideManifestSuffixes where FileManager.default.fileExists(atPath: path + suffix) {
                envelopes += manifests(in: try readManifestFile(path + suffix), path: path + suffix, origin: .delivery)
            }
            for signature in ChecksumList.signatureFileNames(for: path) where FileManager.default.fileExists(atPath: signature) {
                besideSignatures.append((signature, try readManifestFile(signature)))
            }
        }

        // Manifests known before the delivery is read are checked while it is read (a
        // 50,000-file statement takes a quarter of a second to parse).
        let verifier = ManifestVerifier(trustStore: trustStore, time: options.at)
        let pending = PendingManifests(envelopes: envelopes, lists: lists)
        envelopes = []
        lists = []
        let early = Background { [detached] in
            // Each manifest's bytes are let go once it is checked (a large one is 17 MB).
            (pending.takeEnvelopes { verifier.check($0) }, pending.takeLists { verifier.check($0, detached: detached) })
        }

        var intakeOptions = IntakeOptions()
        intakeOptions.limits = options.policy.limits
        intakeOptions.algorithms = options.algorithms
        intakeOptions.captureRootFile = { isManifestFileName($0) || ChecksumList.isListFileName($0) || isSignatureFileName($0) }
        intakeOptions.captureMediumFile = { isSignatureFileName($0) }
        intakeOptions.captureLimit = maxManifestBytes
        intakeOptions.captureContent = { looksLikeSBOM($0) }
        intakeOptions.captureNamed = { isSBOMFileName($0) }
        var inventory: Inventory
        do {
            inventory = try Intake.run(path: path, options: intakeOptions)
        } catch let error as IntakeError {
            _ = early.wait()
            throw EvaluationError(error.message)
        }

        // Manifests in the delivery root, and checksum lists with the signatures
        // beside them, are evidence, not content.
        var evidence = Set<Int>()
        var findings: [Finding] = []
        var rootFiles: [String: Int] = [:]
        for index in inventory.items.indices where isRootLevel(inventory.items[index], inventory) && inventory.items[index].kind != .directory {
            rootFiles[inventory.items[index].path] = index
        }
        func unreadable(_ item: Item) {
            findings.append(Finding(code: "manifest.malformed", severity: .error, path: item.path,
                                    message: "manifest could not be read (larger than \(maxManifestBytes >> 20) MiB, more than \(IntakeOptions().captureTotalLimit >> 20) MiB of manifests, signatures and SBOMs in the delivery together, or not a regular file)"))
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

        // A file on the medium with detached signatures beside it (fw.bin + fw.bin.sig):
        // the signatures are checked over the file's bytes, read again and compared
        // with the digests intake computed (so what was signed is what was hashed).
        var signedFiles: [ManifestCheck] = []
        // (Looked for only when the medium holds a signature file at all: most hold
        // none, and listing and sorting every file for it took 5% of a 50,000-file run.)
        if inventory.deliveryKind == .directory,
           inventory.items.contains(where: { $0.container == nil && $0.kind != .directory && isSignatureFileName($0.path) }) {
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
                signedFiles.append(checkSignedFile(name, at: (path as NSString).appendingPathComponent(name), item: item,
                                                   signatures: signatures, trustStore: trustStore, detached: detached, time: options.at))
            }
        }

        // The single file's detached signatures beside it, over its bytes.
        if !besideSignatures.isEmpty, let root = inventory.rootItem, root < inventory.items.count {
            signedFiles.append(checkSignedFile(inventory.items[root].path, at: path, item: inventory.items[root],
                                               signatures: besideSignatures, trustStore: trustStore, detached: detached, time: options.at))
        }

        // Where evidence was looked for (the report says it; so does manifest.none).
        var lookedIn: [String] = []
        switch inventory.deliveryKind {
        case .directory: lookedIn.append("\(path) (the delivery root)")
        case .archive: lookedIn.append("the root of \(path) (inside the archive)")
        case .file: break
        }
        if singleFile {
            lookedIn.append("beside \(path): " + (besideManifestSuffixes + ChecksumList.signatureFileNames(for: "")).joined(separator: " "))
        }
        if let dir = options.manifestsDirectory { lookedIn.append("\(dir) (registered manifests)") }
        for file in options.manifestFiles { lookedIn.append("--manifest \(file)") }

        let (earlyEnvelopes, earlyLists) = early.wait()
        let checks = earlyEnvelopes + envelopes.map { verifier.check($0) }
            + earlyLists + lists.map { verifier.check($0, detached: detached) } + signedFiles

        // A trusted manifest that names files by digests this run did not compute (a
        // sha512-only subject): those are computed in a second pass over the delivery,
        // never left unchecked (the manifest may turn up only after the bytes it names,
        // in the root of an archive delivery).

        let needed = algorithmsNeeded(by: checks, computed: intakeOptions.algorithms)
        if !needed.isEmpty {
            var again = intakeOptions
            again.algorithms = intakeOptions.algorithms + needed
            let second: Inventory
            do {
                second = try Intake.run(path: path, options: again)
            } catch let error as IntakeError {
                throw EvaluationError("second pass for \(needed.map(\.rawValue).joined(separator: ", ")): \(error.message)")
            }
            if let changed = changedBetweenPasses(inventory, second) {
                findings.append(Finding(code: "archive.corrupt", severity: .error, path: changed,
                                        message: "the content changed between the first read and the second (for \(needed.map(\.rawValue).joined(separator: ", ")) digests): the medium is being modified"))
            } else {
                inventory = second
            }
        }
        // Evidence the operator named (`--manifest`) that does not parse cannot be
        // evaluated: exit 2, as for an unreadable one (docs/usage.md).
        for check in checks where check.origin == .explicit {
            for case .malformed(let message) in check.problems {
                throw EvaluationError("--manifest \(check.path): \(message)")
            }
        }
        var matcher = Matcher(inventory: inventory, evidence: evidence, checks: checks, policy: options.policy,
                              trustStore: trustStore, initialFindings: findings)
        matcher.trustedKeys = contents.keyCount
        matcher.lookedIn = lookedIn
        matcher.trustedRoots = contents.roots.count
        return matcher.report()
    }

    /// A file with detached signatures: they are checked over its bytes, read again (up
    /// to 256 MiB) and compared with the digests intake computed, so what was signed is
    /// what was hashed.
    private static func checkSignedFile(_ name: String, at file: String, item: Item, signatures: [(path: String, bytes: Data)],
                                        trustStore: TrustStore, detached: DetachedSignatureVerifier, time: Date) -> ManifestCheck {
        guard item.size <= Int64(maxSignedFileBytes), let content = try? readFile(file, limit: maxSignedFileBytes),
              Hex.encode(Hasher.digest(.sha256, content)) == item.digests.sha256 else {
            var check = ManifestCheck(path: signatures.map(\.path).joined(separator: ", "), origin: .delivery)
            check.format = "detached"
            check.problems.append(.malformed(item.size > Int64(maxSignedFileBytes)
                ? "\(name) is larger than \(maxSignedFileBytes) bytes: sign a checksum list that names it instead"
                : "\(name) changed on the medium while it was being checked"))
            return check
        }
        return ManifestVerifier(trustStore: trustStore, time: time)
            .check(signedFile: name, content: content, digests: item.digests, signatures: signatures, detached: detached)
    }

    /// A checksum list given on the command line or registered in advance, with the
    /// signature files that stand beside it.
    private static func readChecksumList(_ file: String, origin: UnverifiedManifest.Origin) throws -> UnverifiedChecksumList {
        let list = try readManifestFile(file)
        var signatures: [(path: String, bytes: Data)] = []
        for candidate in ChecksumList.signatureFileNames(for: file) where FileManager.default.fileExists(atPath: candidate) {
            signatures.append((candidate, try readManifestFile(candidate)))
        }
        return UnverifiedChecksumList(path: file, origin: origin, list: list, signatures: signatures)
    }

    private static func readManifestFile(_ path: String) throws -> Data {
        do {
            return try readFile(path, limit: maxManifestBytes)
        } catch {
            throw EvaluationError("manifest \(error)")
        }
    }
}

/// Algorithms that verified manifests name some subject by and that were not
/// computed, for subjects that share no computed algorithm (sha256 is computed always,
/// so in practice: sha384- or sha512-only subjects).
func algorithmsNeeded(by checks: [ManifestCheck], computed: [DigestAlgorithm]) -> [DigestAlgorithm] {
    var needed = Set<DigestAlgorithm>()
    for check in checks {
        guard let manifest = check.verified else { continue }
        for subject in manifest.statement.subjects where !computed.contains(where: { subject.digests.has($0) }) {
            for (algorithm, _) in subject.digests where !computed.contains(algorithm) { needed.insert(algorithm) }
        }
    }
    return DigestAlgorithm.allCases.filter { needed.contains($0) }
}

/// The first item whose content differs between two reads of the same delivery
/// (by sha256, or a different list of items), or nil when they agree.
func changedBetweenPasses(_ first: Inventory, _ second: Inventory) -> String? {
    guard first.items.count == second.items.count else { return first.deliveryPath }
    for i in first.items.indices {
        let a = first.items[i], b = second.items[i]
        if a.path != b.path || a.size != b.size || a.digests.sha256 != b.digests.sha256 { return a.path }
    }
    return nil
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

/// The applied manifests' subjects by name: one table entry per name, and a list
/// only for the rare name that several subjects share (a manifest of 50,000 files
/// would otherwise make 50,000 one-element arrays).
struct SubjectIndex {
    /// A subject and the manifest it comes from (an index into the checks).
    typealias Named = (subject: Subject, manifest: Int)
    private var slots: [String: Int] = [:]
    private var firsts: [Named] = []
    private var present: [Bool] = []
    private var others: [Int: [Named]] = [:]

    mutating func add(_ subject: Subject, from manifest: Int) {
        if let slot = slots[subject.name] {
            others[slot, default: []].append((subject, manifest))
        } else {
            slots[subject.name] = firsts.count
            firsts.append((subject, manifest))
            present.append(false)
        }
    }

    /// The delivery has an item of this name (a name no subject has is ignored).
    mutating func markPresent(_ name: String) {
        guard !firsts.isEmpty, let slot = slots[name] else { return }
        present[slot] = true
    }

    func subjects(named name: String) -> (first: Named, others: [Named])? {
        guard !firsts.isEmpty, let slot = slots[name] else { return nil }
        return (firsts[slot], others[slot] ?? [])
    }

    /// Names of subjects no item of the delivery has, in no particular order.
    func namesNotPresent() -> [String] {
        firsts.indices.filter { !present[$0] }.map { firsts[$0].subject.name }
    }
}

/// Decides every file's status against the verified manifests.
struct Matcher {
    let inventory: Inventory
    let evidence: Set<Int>
    let checks: [ManifestCheck]
    let policy: Policy
    let trustStore: TrustStore
    var findings: [Finding]
    /// What the trust store holds (`TrustStoreContents`: the one count every message uses).
    var trustedKeys = 0
    var trustedRoots = 0
    /// Where evidence was looked for.
    var lookedIn: [String] = []

    init(inventory: Inventory, evidence: Set<Int>, checks: [ManifestCheck], policy: Policy, trustStore: TrustStore, initialFindings: [Finding]) {
        self.inventory = inventory
        self.evidence = evidence
        self.checks = checks
        self.policy = policy
        self.trustStore = trustStore
        self.findings = initialFindings
    }

    /// true: every digest both sides have is equal (at least one); false: one differs;
    /// nil: no algorithm in common.
    static func digestsMatch(_ item: Item, _ subject: Subject) -> Bool? {
        subject.digests.agrees(with: item.digests)
    }

    /// The file a symbolic link leads to inside the delivery (following link chains,
    /// at most 40 hops, as the kernel does), or nil when it leaves the delivery or its
    /// container archive, is dangling, loops, or is not a file. Paths inside archives
    /// resolve within the same archive (`tools.tar!/lib/x.so -> x.so.1`).
    func resolvedLinkTarget(_ link: Int, paths: inout [String: Int]?) -> Int? {
        let items = inventory.items
        if paths == nil {
            var map: [String: Int] = [:]
            for i in items.indices where items[i].kind != .directory && !evidence.contains(i) {
                if map[items[i].path] == nil { map[items[i].path] = i }
            }
            paths = map
        }
        var current = link
        for _ in 0..<40 {
            guard items[current].kind == .symlink, let target = items[current].linkTarget, !target.isEmpty,
                  !target.hasPrefix("/") else {
                return items[current].kind == .regular || items[current].kind == .archive || items[current].kind == .hardlink
                    ? current : nil
            }
            let path = items[current].path
            // The container prefix ("outer.tar!/") stays; the rest is resolved like a path.
            var prefix = ""
            var inner = Substring(path)
            if let bang = path.range(of: "!/", options: .backwards) {
                prefix = String(path[..<bang.upperBound])
                inner = path[bang.upperBound...]
            }
            var parts = inner.split(separator: "/", omittingEmptySubsequences: true).dropLast().map(String.init)
            for component in target.split(separator: "/", omittingEmptySubsequences: true) {
                if component == "." { continue }
                if component == ".." {
                    guard !parts.isEmpty else { return nil } // leaves its root
                    parts.removeLast()
                } else {
                    parts.append(String(component))
                }
            }
            guard let next = paths?[prefix + parts.joined(separator: "/")] else { return nil }
            current = next
        }
        return nil
    }

    mutating func report() -> Report {
        let items = inventory.items
        // First item of each path (a second one is a duplicate entry, reported by intake);
        // built only when a registered manifest has to be matched by name.
        var byPath: [String: Int] = [:]
        if checks.contains(where: { $0.verified?.origin == .registered }) {
            byPath.reserveCapacity(items.count)
            for i in items.indices where items[i].kind != .directory && !evidence.contains(i) {
                if byPath[items[i].path] == nil { byPath[items[i].path] = i }
            }
        }

        // Which verified manifests speak for this delivery.
        var applied: [Int] = []
        var candidates: [(index: Int, matched: [Int])] = []
        for (index, check) in checks.enumerated() {
            guard let manifest = check.verified else { continue }
            switch manifest.origin {
            case .delivery, .explicit:
                applied.append(index)
            case .registered:
                // A candidate when it names some of the delivery's files with their content.
                var matched: [Int] = []
                for subject in manifest.statement.subjects {
                    if let i = byPath[subject.name], Self.digestsMatch(items[i], subject) == true { matched.append(i) }
                }
                if !matched.isEmpty { candidates.append((index, matched)) }
            }
        }
        // Registered candidates, those matching the most files first, each only when it
        // covers a file that no manifest applied so far names: another release's or
        // product's manifest that shares identical files (a licence text) with this
        // delivery does not apply, and does not report its other files as missing or
        // different; two products delivered together each bring their own manifest.
        // Files of two releases combined (mix-and-match) bring both releases' manifests,
        // and every file that one of them names otherwise is a mismatch (below).
        if !candidates.isEmpty {
            var covered = Set<Int>()
            for index in applied {
                for subject in checks[index].verified?.statement.subjects ?? [] {
                    if let i = byPath[subject.name] { covered.insert(i) }
                }
            }
            candidates.sort { ($0.matched.count, $1.index) > ($1.matched.count, $0.index) }
            for candidate in candidates where candidate.matched.contains(where: { !covered.contains($0) }) {
                applied.append(candidate.index)
                covered.formUnion(candidate.matched)
            }
            applied.sort()
        }
        var subjectsByName = SubjectIndex()
        // Symbolic links the applied manifests record (passbox's predicate), by name.
        var linksByName: [String: [(target: String, manifest: Int)]] = [:]
        for index in applied {
            for subject in checks[index].verified?.statement.subjects ?? [] {
                subjectsByName.add(subject, from: index)
            }
            for link in checks[index].verified?.statement.delivery?.links ?? [] {
                linksByName[link.name, default: []].append((link.target, index))
            }
        }
        var linksSeen = Set<String>()
        // Path -> item, built on the first symbolic link that a subject names.
        var pathIndex: [String: Int]? = nil

        // Manifest problems: errors for manifests that speak for this delivery,
        // warnings for registered ones that may belong to another delivery.
        for check in checks {
            let severity: Severity = check.origin == .registered ? .warning : .error
            for problem in check.problems {
                switch problem {
                case .malformed(let m): findings.append(Finding(code: "manifest.malformed", severity: severity, path: check.path, message: m))
                case .invalidSignature(let m): findings.append(Finding(code: "signature.invalid", severity: severity, path: check.path, message: m))
                case .untrusted(let m): findings.append(Finding(code: "signature.untrusted", severity: severity, path: check.path, message: m))
                case .threshold(let m): findings.append(Finding(code: "signature.threshold", severity: severity, path: check.path, message: m))
                case .expired(let m): findings.append(Finding(code: "signature.expired", severity: severity, path: check.path, message: m))
                case .revoked(let m): findings.append(Finding(code: "signature.revoked", severity: severity, path: check.path, message: m))
                case .outOfScope(let m): findings.append(Finding(code: "signature.out-of-scope", severity: severity, path: check.path, message: m))
                }
            }
            if check.verified != nil {
                for s in check.signatures where s.status == .invalid {
                    findings.append(Finding(code: "signature.invalid", severity: .warning, path: check.path,
                                            message: "one signature (keyid \(s.keyid ?? "none")) does not verify; the manifest stands on its other signatures"))
                }
            }
        }
        if applied.isEmpty {
            let verifiedElsewhere = checks.filter { $0.verified != nil }.count
            var message = "no manifest signed by a trusted key covers this delivery"
            message += " (\(checks.count) manifest(s) checked, \(verifiedElsewhere) verified; the trust store holds \(trustedKeys) trusted key(s)"
                + (trustedRoots > 0 ? " and \(trustedRoots) root certificate(s))" : ")")
            if !lookedIn.isEmpty { message += "; looked in: " + lookedIn.joined(separator: "; ") }
            findings.append(Finding(code: "manifest.none", severity: .error, path: nil, message: message))
        }

        for finding in inventory.findings {
            var severity = Severity.error
            if let advisory = finding.advisory {
                let action: Policy.Action
                switch advisory {
                case .nameCollision: action = policy.nameCollisions
                case .setuid: action = policy.setuid
                case .symlinkOutside: action = policy.symlinksOutside
                }
                severity = action == .reject ? .error : .warning
            }
            findings.append(Finding(code: finding.code.rawValue, severity: severity, path: finding.path, message: finding.message))
        }

        // Every item's status, containers before their entries.
        var status = [FileStatus?](repeating: nil, count: items.count)
        var trustedContainers = Set<Int>()
        let unlistedSeverity: Severity = policy.unlisted == .reject ? .error : .warning
        let intakeFlagged = Set(inventory.findings.filter { !$0.isAdvisory }.map(\.path))
        for i in items.indices where items[i].kind != .directory && !evidence.contains(i) {
            // Subject names some item of the delivery has (the others are missing).
            subjectsByName.markPresent(items[i].path)
            if items[i].kind == .symlink, linksByName[items[i].path] != nil { linksSeen.insert(items[i].path) }
            if let c = items[i].container, trustedContainers.contains(c) {
                status[i] = .covered
                if items[i].kind == .archive { trustedContainers.insert(i) }
                continue
            }
            if !items[i].complete {
                status[i] = .skipped
                if !intakeFlagged.contains(items[i].path) && !inventory.stoppedEarly {
                    findings.append(Finding(code: "archive.corrupt", severity: .error, path: items[i].path, message: "content could not be read to the end"))
                }
                continue
            }
            switch items[i].kind {
            case .special:
                status[i] = .skipped
                continue
            case .symlink:
                // A link is its target path: verified when every applied manifest that
                // records it (passbox's predicate) records that target.
                let target = items[i].linkTarget ?? ""
                guard let listed = linksByName[items[i].path] else {
                    // in-toto's convention (in-toto-run, `sha256sum *`): a subject names the
                    // link with its target's content digest. Verified when the link
                    // resolves to a file inside the delivery whose content every subject
                    // of that name agrees with.
                    if let named = subjectsByName.subjects(named: items[i].path) {
                        let subjects = [named.first] + named.others
                        if let t = resolvedLinkTarget(i, paths: &pathIndex),
                           subjects.allSatisfy({ Self.digestsMatch(items[t], $0.subject) == true }) {
                            status[i] = .verified
                        } else {
                            status[i] = .mismatch
                            findings.append(Finding(code: "file.mismatch", severity: .error, path: items[i].path,
                                                    message: "symbolic link to \(target), named by a trusted manifest with a digest, but "
                                                        + (resolvedLinkTarget(i, paths: &pathIndex) == nil
                                                            ? "it does not lead to a file inside the delivery"
                                                            : "the content it leads to differs from the manifest")))
                        }
                        continue
                    }
                    status[i] = .unlisted
                    findings.append(Finding(code: "file.unlisted", severity: unlistedSeverity, path: items[i].path,
                                            message: "symbolic link to \(target), recorded by no trusted manifest (`passbox manifest create` records a tree's links)"))
                    continue
                }
                if let other = listed.first(where: { $0.target != target }) {
                    status[i] = .mismatch
                    findings.append(Finding(code: "file.mismatch", severity: .error, path: items[i].path,
                                            message: "symbolic link to \(target); \(checks[other.manifest].path) records it as a link to \(other.target)"))
                } else {
                    status[i] = .verified
                }
                continue
            case .hardlink:
                break // its content (the file it names, or its own data: see intake) is judged like a file's
            default:
                break
            }
            guard let (first, others) = subjectsByName.subjects(named: items[i].path) else {
                if i == inventory.rootItem && inventory.deliveryKind == .archive {
                    continue // the delivery itself: its entries are judged one by one
                }
                status[i] = .unlisted
                if !applied.isEmpty {
                    findings.append(Finding(code: "file.unlisted", severity: unlistedSeverity, path: items[i].path,
                                            message: "present in the delivery, named by no trusted manifest"))
                }
                continue
            }
            // Verified when every subject of that name agrees: manifests that speak for
            // this delivery and disagree about a file leave it unverified (fail closed).
            var differing: SubjectIndex.Named?
            var uncompared = false
            for k in -1..<others.count {
                let named = k < 0 ? first : others[k]
                switch Self.digestsMatch(items[i], named.subject) {
                case true?: break
                case false?: differing = differing ?? named
                case nil: uncompared = true
                }
            }
            if differing == nil && !uncompared {
                status[i] = .verified
                if items[i].kind == .archive { trustedContainers.insert(i) }
            } else {
                status[i] = .mismatch
                var message: String
                if let differing {
                    message = "content differs from the manifest"
                    if let (algorithm, hex) = Array(differing.subject.digests).first(where: { items[i].digests.has($0.algorithm) }) {
                        message += ": \(algorithm.rawValue) expected \(hex.prefix(16))…, found \(items[i].digests[algorithm]?.prefix(16) ?? "not computed")…"
                    }
                } else {
                    message = "the manifest's digests use no algorithm passbox computed"
                }
                if !others.isEmpty {
                    // Several manifests name this file: say which one it differs from.
                    let which = differing.map { " (\(checks[$0.manifest].path) says otherwise)" } ?? ""
                    message += "\(which); \(others.count + 1) subjects of trusted manifests name this file, and each must agree with it"
                }
                findings.append(Finding(code: "file.mismatch", severity: .error, path: items[i].path, message: message))
            }
        }

        // File types the policy does not accept here (files.deny), wherever they are.
        if !policy.deniedFileTypes.isEmpty {
            let denied = Set(policy.deniedFileTypes)
            for (i, item) in items.enumerated() where !evidence.contains(i) && (item.kind == .regular || item.kind == .archive) {
                var types: [String] = []
                if let program = item.program { types.append(program.rawValue) }
                if item.program != nil || (item.mode ?? 0) & 0o111 != 0 { types.append("executable") }
                if item.kind == .archive { types.append("archive") }
                guard let type = types.first(where: { denied.contains($0) }) else { continue }
                let what = item.program.map { "\($0.rawValue) program" } ?? (item.kind == .archive ? "archive" : "file with an execute bit")
                findings.append(Finding(code: "file.denied-type", severity: .error, path: item.path,
                                        message: "\(what): the policy denies '\(type)' files (files.deny)"))
            }
        }

        // Named by a manifest, absent from the delivery.
        let missingSeverity: Severity = policy.missing == .reject ? .error : .warning
        var missing: [Report.File] = []
        for name in subjectsByName.namesNotPresent().sorted() {
            missing.append(Report.File(path: name, kind: "regular", size: 0, digests: Digests(), status: .missing))
            findings.append(Finding(code: "file.missing", severity: missingSeverity, path: name,
                                    message: "named by a trusted manifest, absent from the delivery"))
        }
        for name in linksByName.keys.filter({ !linksSeen.contains($0) }).sorted() {
            missing.append(Report.File(path: name, kind: "symlink", size: 0, digests: Digests(), status: .missing))
            findings.append(Finding(code: "file.missing", severity: missingSeverity, path: name,
                                    message: "a symbolic link to \(linksByName[name]?.first?.target ?? "?") recorded by a trusted manifest, absent from the delivery (or no longer a link)"))
        }

        var files: [Report.File] = []
        var byStatus: [String: Int] = [:]
        var bytes: Int64 = 0
        var counts = [FileStatus: Int]()
        var archives = 0
        files.reserveCapacity(items.count)
        // By index and field: copying whole items (five strings each) cost more than the rest.
        for i in items.indices {
            if items[i].container == nil { bytes += items[i].size }
            if items[i].kind == .archive { archives += 1 }
            guard let s = status[i] else { continue }
            if i == inventory.rootItem && inventory.deliveryKind == .archive { continue }
            files.append(Report.File(path: items[i].path, kind: items[i].kind.rawValue, size: items[i].size,
                                     digests: items[i].digests, status: s))
            counts[s, default: 0] += 1
        }
        for (s, n) in counts { byStatus[s.rawValue] = n }
        files += missing
        if !missing.isEmpty { byStatus[FileStatus.missing.rawValue] = missing.count }

        var delivery = Report.Delivery(path: inventory.deliveryPath, kind: inventory.deliveryKind.rawValue)
        if let root = inventory.rootItem, root < items.count {
            delivery.format = items[root].format
            delivery.size = items[root].size
            delivery.digests = items[root].digests
            delivery.status = status[root] ?? (inventory.deliveryKind == .archive ? nil : .unlisted)
        }

        let manifests = checks.enumerated().map { index, check -> Report.Manifest in
            let manifestStatus: String
            if check.verified == nil { manifestStatus = "rejected" }
            else { manifestStatus = applied.contains(index) ? "verified" : "not-applicable" }
            let predicate = check.verified?.statement.delivery
            return Report.Manifest(
                path: check.path, format: check.format, status: manifestStatus,
                signatures: check.signatures.map { s in
                    Report.Signature(signer: s.signer?.name ?? "unknown", status: s.status.rawValue, keyid: s.keyid,
                                     algorithm: s.signer?.key.algorithm.description, fingerprint: s.signer?.fingerprint)
                } + check.detached.map { d in
                    Report.Signature(signer: d.signer?.name ?? "unknown", status: d.status.rawValue, keyid: d.signer?.keyID,
                                     algorithm: d.signer.map { "\(d.format.rawValue) \($0.algorithm)" } ?? d.format.rawValue,
                                     fingerprint: d.signer?.fingerprint, subject: d.certificate?.subject,
                                     chain: d.chain.isEmpty ? nil : d.chain.map(\.subject))
                },
                subjects: check.verified?.statement.subjects.count,
                links: predicate?.links.flatMap { $0.isEmpty ? nil : $0.count },
                predicateType: check.verified?.statement.predicateType,
                vendor: predicate?.vendor, product: predicate?.product, version: predicate?.version, kind: predicate?.kind)
        }

        let sbom = SBOMCheck(inventory: inventory, statuses: status,
                             applied: applied.compactMap { checks[$0].verified }, policy: policy, evidence: evidence).run()
        findings += sbom.findings

        let ordered = findings.enumerated().sorted { a, b in
            a.element.severity != b.element.severity ? a.element.severity < b.element.severity : a.offset < b.offset
        }.map(\.element)
        // Fail closed: accepted only with a manifest that applies, no error, and a complete read.
        let accepted = !applied.isEmpty && !ordered.contains { $0.severity == .error } && !inventory.stoppedEarly
        return Report(
            verdict: accepted ? .accepted : .rejected,
            delivery: delivery, evidence: lookedIn.isEmpty ? nil : Report.Evidence(lookedIn: lookedIn),
            files: files, manifests: manifests, sbom: sbom.report, findings: ordered,
            summary: Report.Summary(files: files.count, bytes: bytes,
                                    archives: archives, byStatus: byStatus))
    }
}

/// Manifests handed to the early check: taken out one at a time, so that each one's
/// bytes are freed as soon as it is checked (nothing else holds them).
final class PendingManifests: @unchecked Sendable {
    private var envelopes: [UnverifiedManifest]
    private var lists: [UnverifiedChecksumList]

    init(envelopes: [UnverifiedManifest], lists: [UnverifiedChecksumList]) {
        self.envelopes = envelopes
        self.lists = lists
    }

    /// Used by one thread only (the early check's).
    func takeEnvelopes(_ check: (consuming UnverifiedManifest) -> ManifestCheck) -> [ManifestCheck] {
        var out: [ManifestCheck] = []
        envelopes.reverse()
        while let next = envelopes.popLast() { out.append(check(next)) }
        return out
    }

    func takeLists(_ check: (UnverifiedChecksumList) -> ManifestCheck) -> [ManifestCheck] {
        var out: [ManifestCheck] = []
        lists.reverse()
        while let next = lists.popLast() { out.append(check(next)) }
        return out
    }
}

/// Work started on another thread; `wait` returns its result.
final class Background<Value: Sendable>: @unchecked Sendable {
    private let done = DispatchSemaphore(value: 0)
    private var value: Value?

    init(_ work: @escaping @Sendable () -> Value) {
        let thread = Thread { [self] in
            value = work()
            done.signal()
        }
        thread.stackSize = 8 << 20
        thread.start()
    }

    /// Blocks until the work is done (call once).
    func wait() -> Value {
        done.wait()
        guard let value else { preconditionFailure("Background work finished without a value") }
        return value
    }
}
