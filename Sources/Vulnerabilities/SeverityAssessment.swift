import Foundation

/// The severity of a vulnerability: the highest CVSS v3.x/v4.0 base score among its
/// vectors; without a usable vector, the database's own rating
/// (`database_specific.severity`, or an `Ubuntu` severity entry); else unknown
/// (the policy decides what unknown counts as).
public struct SeverityAssessment: Sendable, Equatable, Comparable {
    public enum Source: String, Sendable, Equatable {
        case cvss
        case rating
        case unknown
    }
    public var level: VulnerabilitySeverity?
    public var score: Double?
    public var vector: String?
    public var source: Source

    public init(level: VulnerabilitySeverity?, score: Double? = nil, vector: String? = nil, source: Source) {
        self.level = level
        self.score = score
        self.vector = vector
        self.source = source
    }

    public static let unknown = SeverityAssessment(level: nil, source: .unknown)

    /// The assessment of one record's affected entry: vectors of the entry and the
    /// record (highest score), else the entry's then the record's rating.
    public init(record: OSVRecord, affected: OSVAffected?) {
        var best: SeverityAssessment?
        var rating: VulnerabilitySeverity?
        for entry in (affected?.severity ?? []) + record.severity {
            switch entry.type {
            case "CVSS_V3", "CVSS_V4":
                guard let score = try? CVSSScore(vector: entry.score) else { continue }
                let candidate = SeverityAssessment(level: score.severity, score: score.score, vector: entry.score, source: .cvss)
                if best.map({ candidate.score ?? 0 > $0.score ?? 0 }) ?? true { best = candidate }
            case "Ubuntu":
                if let level = VulnerabilitySeverity(rating: entry.score) { rating = max(rating ?? level, level) }
            default:
                continue  // CVSS v2 is not scored.
            }
        }
        if let best {
            self = best
        } else if let level = affected?.databaseSeverity.flatMap(VulnerabilitySeverity.init(rating:)) ?? record.databaseSeverity.flatMap(VulnerabilitySeverity.init(rating:)) ?? rating {
            self.init(level: level, source: .rating)
        } else {
            self = .unknown
        }
    }

    /// Unknown sorts lowest here; the policy maps unknown to its own level.
    public static func < (lhs: SeverityAssessment, rhs: SeverityAssessment) -> Bool {
        switch (lhs.level, rhs.level) {
        case (nil, nil): return false
        case (nil, _): return true
        case (_, nil): return false
        case let (a?, b?): return a < b || (a == b && (lhs.score ?? 0) < (rhs.score ?? 0))
        }
    }
}
