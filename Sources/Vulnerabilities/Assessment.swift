import Foundation
import SBOM

/// Stable finding codes of the vulnerability gate.
public enum VulnerabilityFindingCode: String, Sendable, Equatable, Codable, CaseIterable {
    /// A component is affected: error at or above `failOn`, warning below.
    case affected = "vuln.affected"
    /// A match suppressed by VEX (`not_affected`, `fixed`) or by a policy ignore: info.
    case suppressed = "vuln.suppressed"
    /// The database is older than `maxDatabaseAge`: warning.
    case databaseStale = "vuln.database-stale"
    /// No database: error with `requireDatabase`, else warning.
    case databaseMissing = "vuln.database-missing"
}

/// The level of a finding (the same three levels as passbox's report).
public enum FindingLevel: String, Sendable, Equatable, Codable {
    case error, warning, info
}

public struct VulnerabilityFinding: Sendable, Equatable, Codable {
    public var code: VulnerabilityFindingCode
    public var level: FindingLevel
    /// Display name of the component (nil for database findings).
    public var component: String?
    public var purl: String?
    public var version: String?
    /// Primary id first, then every alias.
    public var ids: [String]
    /// The vulnerability's severity (nil when unknown); `effectiveSeverity` is what the
    /// policy counted it as.
    public var severity: VulnerabilitySeverity?
    public var effectiveSeverity: VulnerabilitySeverity?
    public var score: Double?
    /// Lowest fixed version above the component's, when known.
    public var fixedVersion: String?
    /// VEX justification / detail, or the ignore's reason (suppressed findings).
    public var justification: String?
    public var message: String
}

/// The state of the offline database for an assessment.
public struct DatabaseState: Sendable, Equatable {
    /// When the newest import was made; nil when there is no database.
    public var importedAt: Date?
    public init(importedAt: Date?) { self.importedAt = importedAt }
    public static let missing = DatabaseState(importedAt: nil)
}

/// Turns matches, VEX statements, the policy and the database's age into findings.
public enum VulnerabilityAssessor {
    public static func assess(
        _ report: MatchReport, vex: VEXStatements = VEXStatements(), policy: VulnerabilityPolicy = .default,
        database: DatabaseState, now: Date = Date()
    ) -> [VulnerabilityFinding] {
        var findings: [VulnerabilityFinding] = []
        guard let importedAt = database.importedAt else {
            findings.append(VulnerabilityFinding(
                code: .databaseMissing, level: policy.requireDatabase ? .error : .warning, ids: [],
                message: "no vulnerability database: components were not checked for known vulnerabilities (passbox vulndb import)"))
            return findings
        }
        let age = now.timeIntervalSince(importedAt)
        if age > policy.maxDatabaseAge {
            let days = Int(age / 86_400)
            findings.append(VulnerabilityFinding(
                code: .databaseStale, level: .warning, ids: [],
                message: "the vulnerability database is \(days) day\(days == 1 ? "" : "s") old (policy maxDatabaseAge: \(Int(policy.maxDatabaseAge / 86_400)) days)"))
        }
        for match in report.matches {
            findings.append(assess(match, vex: vex, policy: policy, now: now))
        }
        return findings
    }

    static func assess(_ match: VulnerabilityMatch, vex: VEXStatements, policy: VulnerabilityPolicy, now: Date) -> VulnerabilityFinding {
        let component = match.component.displayName
        let effective = match.severity.level ?? policy.unknownSeverity
        let severityText: String
        if let level = match.severity.level {
            severityText = level.rawValue + (match.severity.score.map { " (\(String(format: "%.1f", $0)))" } ?? "")
        } else {
            severityText = "unknown severity (counted as \(policy.unknownSeverity.rawValue))"
        }
        var finding = VulnerabilityFinding(
            code: .affected, level: .error, component: component, purl: match.component.purl, version: match.version,
            ids: match.ids, severity: match.severity.level, effectiveSeverity: effective, score: match.severity.score,
            fixedVersion: match.fixedVersions.first, justification: nil, message: "")
        let idList = match.ids.joined(separator: ", ")

        if let ignore = policy.ignore.first(where: { rule in match.ids.contains(rule.id) && (rule.until.map { now <= $0 } ?? true) }) {
            finding.code = .suppressed
            finding.level = .info
            finding.justification = ignore.reason
            finding.message = "\(component) \(match.version): \(idList) (\(severityText)) ignored by policy: \(ignore.reason)"
            return finding
        }
        let purl = match.component.purl.flatMap { try? PackageURL($0) }
        let statement = vex.statement(for: match.ids, component: match.component, purl: purl)
        if let statement, statement.status.suppresses {
            finding.code = .suppressed
            finding.level = .info
            finding.justification = statement.explanation.isEmpty ? statement.status.rawValue : statement.explanation
            finding.message = "\(component) \(match.version): \(idList) (\(severityText)) is \(statement.status.rawValue) per VEX \(statement.source)"
                + (statement.explanation.isEmpty ? "" : ": \(statement.explanation)")
            return finding
        }
        finding.level = policy.failOn.isMet(by: effective) ? .error : .warning
        var message = "\(component) \(match.version) is affected by \(idList): \(severityText)"
        if let fixed = match.fixedVersions.first { message += "; fixed in \(fixed)" } else { message += "; no fixed version known" }
        if let statement { message += "; VEX \(statement.source) says \(statement.status.rawValue)" + (statement.explanation.isEmpty ? "" : ": \(statement.explanation)") }
        if let summary = match.summary, !summary.isEmpty { message += " — \(summary)" }
        finding.message = message
        return finding
    }
}
