import CryptoIO
import Foundation

public let reportMediaType = "application/vnd.passbox.report+json;version=1"

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
    public var code: String
    public var severity: Severity
    public var path: String?
    public var message: String

    public init(code: String, severity: Severity, path: String?, message: String) {
        self.code = code
        self.severity = severity
        self.path = path
        self.message = message
    }
}

public enum Verdict: String, Sendable, Codable {
    case accepted, rejected
}

public enum FileStatus: String, Sendable, Codable {
    case verified, covered, unlisted, mismatch, missing, skipped
}

/// The report: what `--format json` prints, key for key (docs/report.md).
public struct Report: Sendable, Codable {
    public struct Delivery: Sendable, Codable {
        public var path: String
        public var kind: String
        public var format: String?
        public var size: Int64?
        public var digests: Digests?
        public var status: FileStatus?
    }
    public struct File: Sendable, Codable {
        public var path: String
        public var kind: String
        public var size: Int64
        public var digests: Digests
        public var status: FileStatus
    }
    public struct Signature: Sendable, Codable {
        public var signer: String
        public var status: String
        public var keyid: String?
        public var algorithm: String?
        public var fingerprint: String?
        /// X.509 (CMS): the signing certificate's subject and its chain, leaf first.
        public var subject: String?
        public var chain: [String]?
    }
    public struct Manifest: Sendable, Codable {
        public var path: String
        public var format: String
        /// verified | not-applicable | rejected
        public var status: String
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
    public struct Summary: Sendable, Codable {
        public var files: Int
        public var bytes: Int64
        public var archives: Int
        public var byStatus: [String: Int]
    }

    public var mediaType = reportMediaType
    public var verdict: Verdict
    public var delivery: Delivery
    /// Where evidence was looked for (the delivery root, beside a single file,
    /// registered manifests, `--manifest`).
    public var evidence: Evidence?
    public var files: [File]
    public var manifests: [Manifest]
    /// Present when the delivery has an SBOM or the policy requires one.
    public var sbom: SBOMReport?
    public var findings: [Finding]
    public var summary: Summary

    public func json() throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        return try encoder.encode(self)
    }
}
