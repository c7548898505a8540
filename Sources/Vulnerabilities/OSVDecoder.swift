import Foundation
import Yams

/// Reads one OSV record from JSON or YAML and checks it against the OSV schema's
/// rules (see `OSVRejection`); a record that breaks one is refused with the reason.
public enum OSVDecoder {
    public enum Format: Sendable { case json, yaml }

    public static func decode(_ data: Data, format: Format, limits: OSVLimits = .default) throws(OSVRecordError) -> OSVRecord {
        guard data.count <= limits.maxRecordBytes else {
            throw OSVRecordError(.limit, "record of \(data.count) bytes (limit \(limits.maxRecordBytes))")
        }
        let raw: RawRecord
        switch format {
        case .json: raw = try decodeJSON(data)
        case .yaml: raw = try decodeYAML(data, limits: limits)
        }
        return try validate(raw, limits: limits)
    }

    private static func decodeJSON(_ data: Data) throws(OSVRecordError) -> RawRecord {
        do {
            return try JSONDecoder().decode(RawRecord.self, from: data)
        } catch {
            throw OSVRecordError(.malformed, describe(error))
        }
    }

    private static func decodeYAML(_ data: Data, limits: OSVLimits) throws(OSVRecordError) -> RawRecord {
        guard let text = String(data: data, encoding: .utf8) else { throw OSVRecordError(.malformed, "YAML that is not UTF-8") }
        do {
            guard let node = try Yams.compose(yaml: text) else { throw OSVRecordError(.malformed, "empty YAML document") }
            var budget = limits.maxYAMLNodes
            try checkYAML(node, depth: 0, limits: limits, budget: &budget)
            return try YAMLDecoder().decode(RawRecord.self, from: node)
        } catch let error as OSVRecordError {
            throw error
        } catch {
            throw OSVRecordError(.malformed, describe(error))
        }
    }

    /// Bounds a YAML tree (aliases expand into shared nodes that a decoder would walk
    /// again and again) and requires text mapping keys.
    private static func checkYAML(_ node: Node, depth: Int, limits: OSVLimits, budget: inout Int) throws(OSVRecordError) {
        budget -= 1
        guard budget >= 0 else { throw OSVRecordError(.limit, "more than \(limits.maxYAMLNodes) YAML nodes") }
        guard depth <= limits.maxDepth else { throw OSVRecordError(.limit, "YAML nested deeper than \(limits.maxDepth)") }
        switch node {
        case .scalar, .alias: return
        case .sequence(let items):
            for item in items { try checkYAML(item, depth: depth + 1, limits: limits, budget: &budget) }
        case .mapping(let pairs):
            for (key, value) in pairs {
                guard case .scalar = key else { throw OSVRecordError(.malformed, "a YAML mapping key that is not text") }
                try checkYAML(value, depth: depth + 1, limits: limits, budget: &budget)
            }
        }
    }

    /// A short reason from a decoding error (the field's path and what was wrong).
    private static func describe(_ error: any Error) -> String {
        func path(_ keys: [any CodingKey]) -> String {
            keys.map { $0.intValue.map { "[\($0)]" } ?? ".\($0.stringValue)" }.joined()
        }
        switch error {
        case DecodingError.typeMismatch(_, let c), DecodingError.valueNotFound(_, let c),
             DecodingError.keyNotFound(_, let c), DecodingError.dataCorrupted(let c):
            let where_ = path(c.codingPath)
            return (where_.isEmpty ? "" : "\(where_): ") + String(c.debugDescription.prefix(200))
        default:
            return String(String(describing: error).prefix(200))
        }
    }

    // MARK: - Rules

    static let severityTypes: Set<String> = ["CVSS_V2", "CVSS_V3", "CVSS_V4", "Ubuntu"]

    static func validate(_ raw: RawRecord, limits: OSVLimits) throws(OSVRecordError) -> OSVRecord {
        guard let id = raw.id, !id.isEmpty else { throw OSVRecordError(.id, "no id") }
        guard id.utf8.count <= limits.maxStringLength, isValidID(id) else {
            throw OSVRecordError(.id, "id '\(id.prefix(80))' is not PREFIX-ENTRY (letters, digits, '-', '_', '.', ':')")
        }
        func fail(_ reason: OSVRejection, _ message: String) -> OSVRecordError { OSVRecordError(reason, message, id: id) }
        func text(_ value: String?, _ field: String) throws(OSVRecordError) -> String? {
            if let value, value.utf8.count > limits.maxStringLength {
                throw fail(.limit, "\(field) longer than \(limits.maxStringLength) bytes")
            }
            return value
        }
        func timestamp(_ value: String?, _ field: String) throws(OSVRecordError) -> String? {
            guard let value else { return nil }
            guard value.utf8.count <= 64, isRFC3339(value) else { throw fail(.timestamp, "\(field) '\(value.prefix(64))' is not an RFC 3339 timestamp") }
            return value
        }
        guard let modified = try timestamp(raw.modified, "modified") else { throw fail(.timestamp, "no modified timestamp") }
        let published = try timestamp(raw.published, "published")
        let withdrawn = try timestamp(raw.withdrawn, "withdrawn")

        let aliases = raw.aliases ?? []
        let upstream = raw.upstream ?? []
        guard aliases.count <= limits.maxAliases, upstream.count <= limits.maxAliases else {
            throw fail(.limit, "more than \(limits.maxAliases) aliases or upstream ids")
        }
        for alias in aliases + upstream {
            guard !alias.isEmpty else { throw fail(.id, "an empty alias") }
            _ = try text(alias, "alias")
        }
        let severity = try severities(raw.severity, limits: limits, fail: fail)
        guard (raw.affected?.count ?? 0) <= limits.maxAffected else { throw fail(.limit, "more than \(limits.maxAffected) affected entries") }

        var affected: [OSVAffected] = []
        for (index, entry) in (raw.affected ?? []).enumerated() {
            let at = "affected[\(index)]"
            var package: OSVPackage?
            if let p = entry.package {
                guard let ecosystem = try text(p.ecosystem, "\(at).package.ecosystem"), !ecosystem.isEmpty,
                      let name = try text(p.name, "\(at).package.name"), !name.isEmpty else {
                    throw fail(.package, "\(at).package needs an ecosystem and a name")
                }
                package = OSVPackage(ecosystem: ecosystem, name: name, purl: try text(p.purl, "\(at).package.purl"))
            }
            let rawRanges = entry.ranges ?? []
            guard rawRanges.count <= limits.maxRangesPerAffected else { throw fail(.limit, "\(at): more than \(limits.maxRangesPerAffected) ranges") }
            var ranges: [OSVRange] = []
            for (r, range) in rawRanges.enumerated() {
                ranges.append(try validateRange(range, at: "\(at).ranges[\(r)]", limits: limits, fail: fail))
            }
            let versions = entry.versions ?? []
            guard versions.count <= limits.maxVersionsPerAffected else { throw fail(.limit, "\(at): more than \(limits.maxVersionsPerAffected) versions") }
            for version in versions {
                _ = try text(version, "\(at).versions")
                guard !version.isEmpty, !version.utf8.contains(where: { $0 < 0x20 || $0 == 0x7F }) else {
                    throw fail(.malformed, "\(at).versions: an empty version or one with a control character")
                }
            }
            affected.append(OSVAffected(
                package: package, severity: try severities(entry.severity, limits: limits, fail: fail), ranges: ranges,
                versions: versions,
                databaseSeverity: try text(entry.database_specific?.severity ?? entry.ecosystem_specific?.severity, "\(at) severity")))
        }
        var summary = raw.summary
        if let s = summary, s.count > limits.maxSummaryLength { summary = String(s.prefix(limits.maxSummaryLength)) + "…" }
        return OSVRecord(
            id: id, modified: modified, published: published, withdrawn: withdrawn, aliases: aliases, upstream: upstream,
            summary: summary, severity: severity,
            databaseSeverity: try text(raw.database_specific?.severity, "database_specific.severity"), affected: affected)
    }

    private static func severities(
        _ raw: [RawSeverity]?, limits: OSVLimits, fail: (OSVRejection, String) -> OSVRecordError
    ) throws(OSVRecordError) -> [OSVSeverity] {
        guard let raw else { return [] }
        guard raw.count <= limits.maxSeverities else { throw fail(.limit, "more than \(limits.maxSeverities) severities") }
        var out: [OSVSeverity] = []
        for entry in raw {
            guard let type = entry.type, severityTypes.contains(type) else {
                throw fail(.severity, "severity type '\((entry.type ?? "").prefix(40))' is not CVSS_V2, CVSS_V3, CVSS_V4 or Ubuntu")
            }
            guard let score = entry.score, !score.isEmpty, score.utf8.count <= limits.maxStringLength else {
                throw fail(.severity, "severity \(type) without a score")
            }
            out.append(OSVSeverity(type: type, score: score))
        }
        return out
    }

    private static func validateRange(
        _ raw: RawRange, at: String, limits: OSVLimits, fail: (OSVRejection, String) -> OSVRecordError
    ) throws(OSVRecordError) -> OSVRange {
        guard let typeName = raw.type, let type = OSVRange.Kind(rawValue: typeName) else {
            throw fail(.range, "\(at): type '\((raw.type ?? "").prefix(40))' is not GIT, SEMVER or ECOSYSTEM")
        }
        if type == .git && (raw.repo ?? "").isEmpty { throw fail(.range, "\(at): a GIT range needs a repo") }
        if let repo = raw.repo, repo.utf8.count > limits.maxStringLength { throw fail(.limit, "\(at).repo too long") }
        guard let rawEvents = raw.events, !rawEvents.isEmpty else { throw fail(.event, "\(at): no events") }
        guard rawEvents.count <= limits.maxEventsPerRange else { throw fail(.limit, "\(at): more than \(limits.maxEventsPerRange) events") }
        var events: [OSVEvent] = []
        var introduced = false, fixed = false, lastAffected = false
        for (e, event) in rawEvents.enumerated() {
            guard event.fields.count == 1, let (key, value) = event.fields.first else {
                throw fail(.event, "\(at).events[\(e)] has \(event.fields.count) keys, needs exactly one of introduced, fixed, last_affected, limit")
            }
            guard !value.isEmpty, value.utf8.count <= limits.maxStringLength else {
                throw fail(.event, "\(at).events[\(e)].\(key): empty or longer than \(limits.maxStringLength) bytes")
            }
            switch key {
            case "introduced": introduced = true; events.append(.introduced(value))
            case "fixed": fixed = true; events.append(.fixed(value))
            case "last_affected": lastAffected = true; events.append(.lastAffected(value))
            case "limit": events.append(.limit(value))
            default: throw fail(.event, "\(at).events[\(e)]: unknown event '\(key.prefix(40))'")
            }
        }
        guard introduced else { throw fail(.noIntroduced, "\(at): no introduced event") }
        guard !(fixed && lastAffected) else { throw fail(.fixedAndLastAffected, "\(at): fixed and last_affected together") }
        return OSVRange(type: type, repo: raw.repo, events: events)
    }

    /// `PREFIX-ENTRY`: starts with a letter or digit, then letters, digits, `-`, `_`,
    /// `.`, `:`, with a `-` after a non-empty prefix. (The schema's list of known
    /// prefixes is not enforced: private databases use their own.)
    static func isValidID(_ id: String) -> Bool {
        let bytes = Array(id.utf8)
        guard let first = bytes.first, isAlnum(first) else { return false }
        guard let dash = bytes.firstIndex(of: UInt8(ascii: "-")), dash > 0, dash < bytes.count - 1 else { return false }
        return bytes.allSatisfy { isAlnum($0) || $0 == UInt8(ascii: "-") || $0 == UInt8(ascii: "_") || $0 == UInt8(ascii: ".") || $0 == UInt8(ascii: ":") }
    }

    private static func isAlnum(_ b: UInt8) -> Bool {
        (b >= 0x30 && b <= 0x39) || ((b | 0x20) >= 0x61 && (b | 0x20) <= 0x7A)
    }

    /// `YYYY-MM-DDTHH:MM:SS[.fraction](Z|±HH:MM)` (RFC 3339; `t`/`z` accepted).
    static func isRFC3339(_ text: String) -> Bool {
        let b = Array(text.utf8)
        func digits(_ range: Range<Int>) -> Bool { range.upperBound <= b.count && range.allSatisfy { b[$0] >= 0x30 && b[$0] <= 0x39 } }
        guard b.count >= 20, digits(0..<4), b[4] == UInt8(ascii: "-"), digits(5..<7), b[7] == UInt8(ascii: "-"), digits(8..<10),
              b[10] | 0x20 == UInt8(ascii: "t"), digits(11..<13), b[13] == UInt8(ascii: ":"), digits(14..<16),
              b[16] == UInt8(ascii: ":"), digits(17..<19) else { return false }
        var i = 19
        if b[i] == UInt8(ascii: ".") {
            i += 1
            let start = i
            while i < b.count, b[i] >= 0x30 && b[i] <= 0x39 { i += 1 }
            guard i > start else { return false }
        }
        guard i < b.count else { return false }
        if b[i] | 0x20 == UInt8(ascii: "z") { return i == b.count - 1 }
        guard b[i] == UInt8(ascii: "+") || b[i] == UInt8(ascii: "-"), b.count == i + 6 else { return false }
        return digits((i + 1)..<(i + 3)) && b[i + 3] == UInt8(ascii: ":") && digits((i + 4)..<(i + 6))
    }
}

// MARK: - Raw shapes (what the schema allows, all optional; the rules are checked above)

struct RawRecord: Decodable {
    var id: String?
    var modified: String?
    var published: String?
    var withdrawn: String?
    var aliases: [String]?
    var upstream: [String]?
    var summary: String?
    var severity: [RawSeverity]?
    var database_specific: RawSpecific?
    var affected: [RawAffected]?
}

struct RawSeverity: Decodable {
    var type: String?
    var score: String?
}

/// `database_specific` / `ecosystem_specific`: free-form objects; only a text `severity` is read.
struct RawSpecific: Decodable {
    var severity: String?
    enum Keys: String, CodingKey { case severity }
    init(from decoder: any Decoder) throws {
        let container = try? decoder.container(keyedBy: Keys.self)
        severity = (try? container?.decodeIfPresent(String.self, forKey: .severity)) ?? nil
    }
}

struct RawAffected: Decodable {
    var package: RawPackage?
    var severity: [RawSeverity]?
    var ranges: [RawRange]?
    var versions: [String]?
    var database_specific: RawSpecific?
    var ecosystem_specific: RawSpecific?
}

struct RawPackage: Decodable {
    var ecosystem: String?
    var name: String?
    var purl: String?
}

struct RawRange: Decodable {
    var type: String?
    var repo: String?
    var events: [RawEvent]?
}

/// An event object's keys and text values, all of them (the rule is "exactly one").
struct RawEvent: Decodable {
    var fields: [(String, String)]
    struct AnyKey: CodingKey {
        var stringValue: String
        var intValue: Int? { nil }
        init(stringValue: String) { self.stringValue = stringValue }
        init?(intValue: Int) { return nil }
    }
    init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: AnyKey.self)
        fields = []
        for key in container.allKeys.prefix(8) {
            fields.append((key.stringValue, try container.decode(String.self, forKey: key)))
        }
        if container.allKeys.count > 8 { fields.append(("…", "")) }
    }
}
