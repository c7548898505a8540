import CryptoIO
import Attestation
import Foundation
@_exported import enum Intake.FindingCode
@_exported import enum Intake.ItemKind
@_exported import enum Intake.DeliveryKind

public let reportMediaType = "application/vnd.passbox.report+json;version=1"

/// How much a finding weighs: an error rejects, a warning is reported, info is a note.
public enum Severity: String, Sendable, Codable, Comparable {
    case error, warning, info
    var rank: Int {
        switch self {
        case .error: 0
        case .warning: 1
        case .info: 2
        }
    }
    public static func < (a: Severity, b: Severity) -> Bool { a.rank < b.rank }
}

/// One reason. Codes are the stable finding codes of docs/report.md.
public struct Finding: Sendable, Codable, Equatable {
    public var code: FindingCode
    public var severity: Severity
    public var path: String?
    public var message: String

    public init(code: FindingCode, severity: Severity, path: String?, message: String) {
        self.code = code
        self.severity = severity
        self.path = path
        self.message = message
    }
}

/// The decision on a delivery (docs/report.md).
public enum Verdict: String, Sendable, Codable {
    case accepted, rejected
}

/// A file's status (docs/report.md).
public enum FileStatus: String, Sendable, Codable {
    case verified, covered, unlisted, mismatch, missing, skipped
}

/// A manifest's status in a report: it applies (`verified`), it verified but speaks for
/// other deliveries (`not-applicable`), or it did not verify (`rejected`).
public enum ManifestStatus: String, Sendable, Codable {
    case verified
    case notApplicable = "not-applicable"
    case rejected
}

/// A signature's status in a report (docs/report.md).
public enum SignatureStatus: String, Sendable, Codable {
    /// Verified with a trusted key (or chain), and counted.
    case valid
    /// Names a trusted key but does not verify: the content was changed.
    case invalid
    /// Verifies with no key in the trust store.
    case untrusted
    /// Verified with a trusted key that trust.yaml does not let count here.
    case notCounted = "not-counted"
    case expired, revoked
}

/// The report: what `--format json` prints, key for key (docs/report.md).
public struct Report: Sendable, Codable {
    /// What was checked: a directory, a file or an archive (its own digests when a file).
    public struct Delivery: Sendable, Codable {
        public var path: String
        public var kind: DeliveryKind
        public var format: String?
        public var size: Int64?
        public var digests: Digests?
        public var status: FileStatus?
    }
    /// One file or archive entry with its status.
    public struct File: Sendable, Codable {
        public var path: String
        public var kind: ItemKind
        public var size: Int64
        public var digests: Digests
        public var status: FileStatus
    }
    /// One signature of a manifest, and who made it.
    public struct Signature: Sendable, Codable {
        public var signer: String
        public var status: SignatureStatus
        public var keyid: String?
        public var algorithm: String?
        public var fingerprint: String?
        /// X.509 (CMS): the signing certificate's subject and its chain, leaf first.
        public var subject: String?
        public var chain: [String]?
    }
    /// One manifest passbox found, with its status and signatures (and passbox's predicate when present).
    public struct Manifest: Sendable, Codable {
        public var path: String
        public var format: String
        public var status: ManifestStatus
        public var signatures: [Signature]
        public var subjects: Int?
        /// Symbolic links the manifest records (passbox's predicate), when it records any.
        public var links: Int?
        public var predicateType: String?
        public var vendor: String?
        public var product: String?
        public var version: String?
        public var kind: String?
    }
    /// Where passbox looked for manifests and signatures.
    public struct Evidence: Sendable, Codable {
        public var lookedIn: [String]
    }
    /// The policy the delivery was judged by: a file (with its sha256) or "built-in".
    public struct PolicyReference: Sendable, Codable, Equatable {
        public var source: String
        public var sha256: String?
        public init(source: String, sha256: String?) {
            self.source = source
            self.sha256 = sha256
        }
    }
    /// The trust store the signatures were checked against, with the sha256 over its files.
    public struct TrustStoreReference: Sendable, Codable, Equatable {
        public var path: String
        public var sha256: String?
        public init(path: String, sha256: String?) {
            self.path = path
            self.sha256 = sha256
        }
    }
    /// `admit`: where the delivery went.
    public struct Admitted: Sendable, Codable, Equatable {
        public var folder: String
        public var receipt: String
        public init(folder: String, receipt: String) {
            self.folder = folder
            self.receipt = receipt
        }
    }
    /// Counts: files listed, bytes read from the medium, archives opened, files by status.
    public struct Summary: Sendable, Codable {
        public var files: Int
        public var bytes: Int64
        public var archives: Int
        public var byStatus: [String: Int]
    }

    public var mediaType = reportMediaType
    public var verdict: Verdict
    /// When the delivery was judged (RFC 3339), by which passbox, on which station.
    public var time: String?
    public var passboxVersion: String?
    public var station: String?
    /// The digest that names the delivery in the audit log and the receipt.
    public var deliveryDigest: [String: String]?
    public var policy: PolicyReference?
    public var trustStore: TrustStoreReference?
    /// The audit record of this decision (absent when it could not be recorded).
    public var auditSeq: Int?
    /// `admit`, accepted: the admitted folder and the receipt.
    public var admitted: Admitted?
    public var delivery: Delivery
    /// Where evidence was looked for (the delivery root, beside a single file,
    /// registered manifests, `--manifest`).
    public var evidence: Evidence?
    public var files: [File]
    public var manifests: [Manifest]
    /// Present when the delivery has an SBOM or the policy requires one.
    public var sbom: SBOMReport?
    /// Present when the components were checked for known vulnerabilities (docs/vulnerabilities.md).
    public var vulnerabilities: VulnerabilityReport?
    /// Errors first, then warnings, then notes; in the order they were found within each.
    /// Change them through `add(_:)` / `setFindings(_:)`, which keep the verdict right.
    public private(set) var findings: [Finding]
    public var summary: Summary
    /// A verified manifest applies and intake read everything (not encoded: the verdict
    /// says it). A report without both is never accepted.
    public var complete = true

    enum CodingKeys: String, CodingKey {
        case mediaType, verdict, time, passboxVersion, station, deliveryDigest, policy, trustStore, auditSeq, admitted
        case delivery, evidence, files, manifests, sbom, vulnerabilities, findings, summary
    }

    public init(verdict: Verdict, delivery: Delivery, evidence: Evidence? = nil, files: [File], manifests: [Manifest],
                sbom: SBOMReport? = nil, findings: [Finding], summary: Summary) {
        self.verdict = verdict
        self.delivery = delivery
        self.evidence = evidence
        self.files = files
        self.manifests = manifests
        self.sbom = sbom
        self.findings = findings
        self.summary = summary
    }

    /// Replaces the findings (sorted: errors first, stable) and recomputes the verdict.
    public mutating func setFindings(_ list: [Finding]) {
        findings = list.enumerated().sorted { a, b in
            a.element.severity != b.element.severity ? a.element.severity < b.element.severity : a.offset < b.offset
        }.map(\.element)
        recomputeVerdict()
    }

    /// Adds a finding found after verification (a station's rollback check, a file
    /// that changed while it was copied): the one place a finding is added afterwards,
    /// so the verdict always follows the findings. An error goes first (it is the last
    /// word on the delivery); anything else goes last.
    public mutating func add(_ finding: Finding) {
        if finding.severity == .error { findings.insert(finding, at: 0) } else { findings.append(finding) }
        recomputeVerdict()
    }

    /// The report without its findings, verdict unchanged: only for the streaming JSON
    /// writer, which encodes the findings into their place itself.
    mutating func removeFindingsForEncoding() { findings = [] }

    /// Fail closed: accepted only with a manifest that applies, a complete read, and no error.
    private mutating func recomputeVerdict() {
        verdict = complete && !findings.contains { $0.severity == .error } ? .accepted : .rejected
    }

    /// The whole report as JSON at once (`ReportJSONWriter` streams it instead).
    public func json() throws -> Data {
        let encoder = JSONOutput.encoder()
        return try encoder.encode(self)
    }
}
