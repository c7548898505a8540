import Foundation

/// A qualitative severity: CVSS's rating scale, also used for ecosystems' own
/// ratings and for policy thresholds. Ordered from `none` to `critical`.
public enum VulnerabilitySeverity: String, Sendable, Codable, CaseIterable, Comparable {
    case none, low, medium, high, critical

    /// CVSS v3.x / v4.0 rating of a score (0.0 none, 0.1–3.9 low, 4.0–6.9 medium,
    /// 7.0–8.9 high, 9.0–10.0 critical).
    public init(score: Double) {
        switch score {
        case ..<0.05: self = .none
        case ..<3.95: self = .low
        case ..<6.95: self = .medium
        case ..<8.95: self = .high
        default: self = .critical
        }
    }

    /// An ecosystem's own word for a severity (GitHub's `database_specific.severity`
    /// "CRITICAL/HIGH/MODERATE/LOW", and similar), case-insensitively; `nil` when unknown.
    public init?(rating text: String) {
        switch text.lowercased() {
        case "critical": self = .critical
        case "high", "important": self = .high
        case "medium", "moderate": self = .medium
        case "low", "negligible", "minor": self = .low
        case "none": self = .none
        default: return nil
        }
    }

    private var rank: Int {
        switch self {
        case .none: 0
        case .low: 1
        case .medium: 2
        case .high: 3
        case .critical: 4
        }
    }

    public static func < (lhs: VulnerabilitySeverity, rhs: VulnerabilitySeverity) -> Bool { lhs.rank < rhs.rank }
}

/// Why a CVSS vector was refused.
public struct CVSSError: Error, Sendable, Equatable, CustomStringConvertible {
    public var vector: String
    public var message: String
    public init(_ vector: String, _ message: String) {
        self.vector = vector
        self.message = message
    }
    public var description: String { "CVSS vector '\(vector.prefix(120))': \(message)" }
}

/// A CVSS base score computed from a vector string.
public struct CVSSScore: Sendable, Equatable {
    public enum Version: String, Sendable, Equatable { case v3_0 = "3.0", v3_1 = "3.1", v4_0 = "4.0" }
    public var version: Version
    /// The score, 0.0–10.0, one decimal.
    public var score: Double
    public var severity: VulnerabilitySeverity { VulnerabilitySeverity(score: score) }

    /// Parses and scores a `CVSS:3.0/…`, `CVSS:3.1/…` or `CVSS:4.0/…` vector. v3.x:
    /// the base score (temporal and environmental metrics are checked, not used).
    /// v4.0: the score of every metric given (CVSS-B for a base-only vector, CVSS-BT
    /// or CVSS-BTE when threat or environmental metrics are present), as the
    /// specification defines it.
    public init(vector: String) throws(CVSSError) {
        if vector.hasPrefix("CVSS:3.0/") {
            self.init(version: .v3_0, score: try CVSS3(vector).baseScore)
        } else if vector.hasPrefix("CVSS:3.1/") {
            self.init(version: .v3_1, score: try CVSS3(vector).baseScore)
        } else if vector.hasPrefix("CVSS:4.0/") {
            self.init(version: .v4_0, score: try CVSS4(vector).score)
        } else {
            throw CVSSError(vector, "not a CVSS v3.0, v3.1 or v4.0 vector (must start with CVSS:3.0/, CVSS:3.1/ or CVSS:4.0/)")
        }
    }

    public init(version: Version, score: Double) {
        self.version = version
        self.score = score
    }
}

/// Longest vector accepted (a full v4.0 vector with every metric is about 250 characters).
let maxVectorLength = 512

/// Splits `PREFIX/K:V/K:V…` into metric values, refusing unknown metrics, values not
/// allowed for their metric, duplicates, empty parts and missing mandatory metrics.
func parseMetrics(
    _ vector: String, prefix: String, allowed: [String: Set<String>], mandatory: [String]
) throws(CVSSError) -> [String: String] {
    guard vector.utf8.count <= maxVectorLength else { throw CVSSError(vector, "longer than \(maxVectorLength) characters") }
    guard vector.hasPrefix(prefix) else { throw CVSSError(vector, "does not start with \(prefix)") }
    let body = vector.dropFirst(prefix.count)
    var values: [String: String] = [:]
    for part in body.split(separator: "/", omittingEmptySubsequences: false) {
        let pieces = part.split(separator: ":", omittingEmptySubsequences: false)
        guard pieces.count == 2, !pieces[0].isEmpty, !pieces[1].isEmpty else {
            throw CVSSError(vector, "'\(part.prefix(40))' is not METRIC:VALUE")
        }
        let key = String(pieces[0]), value = String(pieces[1])
        guard let values_ = allowed[key] else { throw CVSSError(vector, "unknown metric '\(key.prefix(40))'") }
        guard values_.contains(value) else { throw CVSSError(vector, "'\(value.prefix(40))' is not a value of \(key)") }
        guard values[key] == nil else { throw CVSSError(vector, "metric \(key) given twice") }
        values[key] = value
    }
    for key in mandatory where values[key] == nil {
        throw CVSSError(vector, "mandatory metric \(key) missing")
    }
    return values
}
