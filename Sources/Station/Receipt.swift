import Attestation
import CryptoIO
import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

public let verificationSummaryType = "https://slsa.dev/verification_summary/v1"
public let passboxVerifierID = "https://passbox.dev/station/v1"
public let receiptSuffix = ".receipt.dsse.json"

/// What a receipt says about one admission.
public struct ReceiptFacts: Sendable {
    public var folder: String
    public var files: [CopiedFile]
    public var resourceURI: String
    public var deliverySha256: String
    public var policyURI: String
    public var policySha256: String?
    /// Manifests that applied: (uri, sha256 when the file could be read).
    public var attestations: [(uri: String, sha256: String?)]
    public var trustStoreSha256: String
    public var vendor: String?
    public var product: String?
    public var version: String?
    public var time: Date

    public init(folder: String, files: [CopiedFile], resourceURI: String, deliverySha256: String, policyURI: String,
                policySha256: String?, attestations: [(uri: String, sha256: String?)], trustStoreSha256: String,
                vendor: String?, product: String?, version: String?, time: Date) {
        self.folder = folder
        self.files = files
        self.resourceURI = resourceURI
        self.deliverySha256 = deliverySha256
        self.policyURI = policyURI
        self.policySha256 = policySha256
        self.attestations = attestations
        self.trustStoreSha256 = trustStoreSha256
        self.vendor = vendor
        self.product = product
        self.version = version
        self.time = time
    }
}

/// Station receipts: a DSSE envelope with an in-toto Statement and a SLSA Verification Summary.
public enum Receipt {
    /// The in-toto Statement v1 with a SLSA Verification Summary predicate.
    public static func statement(_ facts: ReceiptFacts, version: String) throws -> [UInt8] {
        var policy: [String: Any] = ["uri": facts.policyURI]
        if let p = facts.policySha256 { policy["digest"] = ["sha256": p] }
        var passbox: [String: Any] = [
            "station": stationName(),
            "folder": facts.folder,
            "deliveryDigest": ["sha256": facts.deliverySha256],
            "trustStore": ["digest": ["sha256": facts.trustStoreSha256]],
        ]
        if let v = facts.vendor { passbox["vendor"] = v }
        if let p = facts.product { passbox["product"] = p }
        if let v = facts.version { passbox["version"] = v }
        let predicate: [String: Any] = [
            "verifier": ["id": passboxVerifierID, "version": ["passbox": version]],
            "timeVerified": rfc3339Milliseconds(facts.time),
            "resourceUri": facts.resourceURI,
            "policy": policy,
            "inputAttestations": facts.attestations.map { a -> [String: Any] in
                var o: [String: Any] = ["uri": a.uri]
                if let s = a.sha256 { o["digest"] = ["sha256": s] }
                return o
            },
            "verificationResult": "PASSED",
            "verifiedLevels": ["PASSBOX_MANIFEST_VERIFIED"],
            "passbox": passbox,
        ]
        let statement: [String: Any] = [
            "_type": statementTypeV1,
            "subject": facts.files.map { file in
                var digest = ["sha256": file.sha256]
                if let sha512 = file.sha512 { digest["sha512"] = sha512 }
                if let sha384 = file.sha384 { digest["sha384"] = sha384 }
                return ["name": file.name, "digest": digest] as [String: Any]
            },
            "predicateType": verificationSummaryType,
            "predicate": predicate,
        ]
        return Array(try JSONSerialization.data(withJSONObject: statement, options: [.sortedKeys, .withoutEscapingSlashes]))
    }

    /// Signs the statement into a DSSE envelope (pretty JSON, newline-terminated).
    public static func envelope(_ facts: ReceiptFacts, key: PrivateKey, version: String) throws -> Data {
        let env = try signEnvelope(payloadType: inTotoPayloadType, payload: try statement(facts, version: version), keys: [key])
        let encoder = JSONOutput.encoder()
        return try encoder.encode(env) + Data("\n".utf8)
    }

    /// What `verify` found: who signed, how many subjects, and any problem.
    public struct Check: Sendable {
        public var problems: [String] = []
        public var signers: [String] = []
        public var subjects: Int = 0
        public var valid: Bool { problems.isEmpty }
    }

    /// Checks a receipt against a trust store, and optionally the admitted content.
    /// Throws (exit 2) only when the receipt is not a DSSE envelope at all.
    public static func verify(_ data: Data, path: String, trustStore: TrustStore, content: String?) throws -> Check {
        do {
            _ = try DSSEEnvelope.parse(data)
        } catch {
            throw StationError("\(path): \(error)")
        }
        var check = Check()
        let result = ManifestVerifier(trustStore: trustStore).check(UnverifiedManifest(path: path, origin: .explicit, bytes: data))
        guard let verified = result.verified else {
            for p in result.problems {
                switch p {
                case .malformed(let m): check.problems.append("malformed: \(m)")
                case .invalidSignature(let m): check.problems.append("invalid signature: \(m)")
                case .untrusted(let m): check.problems.append("untrusted: \(m)")
                case .threshold(let m): check.problems.append("threshold: \(m)")
                case .expired(let m): check.problems.append("expired: \(m)")
                case .revoked(let m): check.problems.append("revoked: \(m)")
                case .outOfScope(let m): check.problems.append("out of scope: \(m)")
                }
            }
            if check.problems.isEmpty { check.problems.append("no valid trusted signature") }
            return check
        }
        check.signers = verified.signerNames
        check.subjects = verified.statement.subjects.count
        guard verified.statement.predicateType == verificationSummaryType else {
            check.problems.append("predicateType is \(verified.statement.predicateType ?? "absent"), not \(verificationSummaryType)")
            return check
        }
        if let content {
            check.problems += compare(subjects: verified.statement.subjects, with: content)
        }
        return check
    }

    /// Every subject present with the same digests, and no other file.
    static func compare(subjects: SubjectList, with dir: String) -> [String] {
        var problems: [String] = []
        let onDisk: [String: String]  // relative path -> "" for regular files, else a reason
        do {
            onDisk = try listTree(dir)
        } catch {
            return ["cannot read --content \(dir): \(error)"]
        }
        var named = Set<String>()
        for subject in subjects {
            named.insert(subject.name)
            guard let kind = onDisk[subject.name] else {
                problems.append("\(subject.name): missing from \(dir)")
                continue
            }
            guard kind.isEmpty else {
                problems.append("\(subject.name): \(kind)")
                continue
            }
            let digests = hashFile(dir + "/" + subject.name)
            for (algorithm, want) in subject.digests {
                guard let got = digests[algorithm] else {
                    problems.append("\(subject.name): cannot read")
                    break
                }
                if got != want.lowercased() {
                    problems.append("\(subject.name): \(algorithm.rawValue) differs from the receipt")
                    break
                }
            }
        }
        for (name, kind) in onDisk.sorted(by: { $0.key < $1.key }) where !named.contains(name) && kind != "directory" {
            problems.append("\(name): not named by the receipt (extra file)")
        }
        return problems
    }

    /// Relative paths under `dir`: "" for a regular file, "directory", or why it is not content.
    static func listTree(_ dir: String) throws -> [String: String] {
        var out: [String: String] = [:]
        let fm = FileManager.default
        var pending = [""]
        while let rel = pending.popLast() {
            let full = rel.isEmpty ? dir : dir + "/" + rel
            for name in try fm.contentsOfDirectory(atPath: full) {
                let child = rel.isEmpty ? name : rel + "/" + name
                var st = stat()
                guard lstat(dir + "/" + child, &st) == 0 else { out[child] = "cannot stat"; continue }
                switch st.st_mode & S_IFMT {
                case S_IFREG: out[child] = ""
                case S_IFDIR: out[child] = "directory"; pending.append(child)
                case S_IFLNK: out[child] = "a symbolic link, not a regular file"
                default: out[child] = "not a regular file"
                }
            }
        }
        return out
    }

    static func hashFile(_ path: String) -> [DigestAlgorithm: String] {
        let fd = open(path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC)
        guard fd >= 0 else { return [:] }
        defer { close(fd) }
        let hashers = DigestAlgorithm.allCases.map { Hasher($0) }
        var buffer = [UInt8](repeating: 0, count: 1 << 20)
        while true {
            let n = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if n < 0 && errno == EINTR { continue }
            guard n >= 0 else { return [:] }
            if n == 0 { break }
            buffer.withUnsafeBytes { raw in
                for h in hashers { h.update(UnsafeRawBufferPointer(rebasing: raw[0..<n])) }
            }
        }
        var out: [DigestAlgorithm: String] = [:]
        for h in hashers { out[h.algorithm] = Hex.encode(h.finalize()) }
        return out
    }

    /// sha256 over the trust store's files: `<sha256>  <relative path>\n` each, sorted.
    public static func trustStoreDigest(_ dir: String) -> String {
        let tree = (try? listTree(dir)) ?? [:]
        let lines = tree.filter { $0.value.isEmpty }.keys
            .sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) }
            .map { "\(hashFile(dir + "/" + $0)[.sha256] ?? "unreadable")  \($0)\n" }
            .joined()
        return Hex.encode(Hasher.digest(.sha256, Data(lines.utf8)))
    }

    /// The file's sha256, or nil when it cannot be read.
    public static func sha256(ofFile path: String) -> String? {
        hashFile(path)[.sha256]
    }
}
