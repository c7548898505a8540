import Foundation

/// One OSV record, reduced to what matching, severity and reporting need (details,
/// references and credits are not kept). Built only by `OSVDecoder`, which checks
/// the OSV schema's rules first.
public struct OSVRecord: Sendable, Equatable {
    public var id: String
    /// RFC 3339 text, as given.
    public var modified: String
    public var published: String?
    /// Set when the record was withdrawn: it is kept, and never matches.
    public var withdrawn: String?
    public var aliases: [String]
    /// `upstream` ids (the records this one was derived from).
    public var upstream: [String]
    public var summary: String?
    public var severity: [OSVSeverity]
    /// `database_specific.severity` of the record (GitHub's "HIGH", "MODERATE", …).
    public var databaseSeverity: String?
    public var affected: [OSVAffected]

    public init(
        id: String, modified: String, published: String? = nil, withdrawn: String? = nil, aliases: [String] = [],
        upstream: [String] = [], summary: String? = nil, severity: [OSVSeverity] = [], databaseSeverity: String? = nil,
        affected: [OSVAffected] = []
    ) {
        self.id = id
        self.modified = modified
        self.published = published
        self.withdrawn = withdrawn
        self.aliases = aliases
        self.upstream = upstream
        self.summary = summary
        self.severity = severity
        self.databaseSeverity = databaseSeverity
        self.affected = affected
    }

    public var isWithdrawn: Bool { withdrawn != nil }
}

public struct OSVSeverity: Sendable, Equatable {
    /// `CVSS_V2`, `CVSS_V3`, `CVSS_V4` or `Ubuntu`.
    public var type: String
    public var score: String
    public init(type: String, score: String) {
        self.type = type
        self.score = score
    }
}

public struct OSVPackage: Sendable, Equatable {
    /// As given, e.g. `PyPI`, `Debian:12`, `Alpine:v3.19`.
    public var ecosystem: String
    public var name: String
    public var purl: String?
    public init(ecosystem: String, name: String, purl: String? = nil) {
        self.ecosystem = ecosystem
        self.name = name
        self.purl = purl
    }
}

public struct OSVAffected: Sendable, Equatable {
    /// Absent for records that name only a repository (GIT ranges).
    public var package: OSVPackage?
    public var severity: [OSVSeverity]
    public var ranges: [OSVRange]
    /// `database_specific.severity` of this entry, or `ecosystem_specific.severity`.
    public var databaseSeverity: String?
    /// The listed versions in one string, each followed by U+001F: one allocation
    /// instead of one per version (PyPI records list ~50 versions each; at 200,000
    /// records the arrays alone took about 200 MB). Versions never hold control
    /// characters (the decoder refuses them).
    private var listed: String

    public init(package: OSVPackage?, severity: [OSVSeverity] = [], ranges: [OSVRange] = [], versions: [String] = [],
                databaseSeverity: String? = nil) {
        self.package = package
        self.severity = severity
        self.ranges = ranges
        self.databaseSeverity = databaseSeverity
        self.listed = Self.join(versions)
    }

    static let separator: UInt8 = 0x1F

    private static func join(_ versions: [String]) -> String {
        var text = ""
        text.reserveCapacity(versions.reduce(0) { $0 + $1.utf8.count + 1 })
        for v in versions {
            text += v
            text += "\u{1F}"
        }
        return text
    }

    /// `versions` as listed, in order.
    public var versions: [String] {
        get { listed.utf8.split(separator: Self.separator).map { String(Substring($0)) } }
        set { listed = Self.join(newValue) }
    }

    public var hasVersions: Bool { !listed.isEmpty }

    /// True when `version` is listed as written.
    func lists(exactly version: String) -> Bool {
        guard !listed.isEmpty else { return false }
        let fast = listed.utf8.withContiguousStorageIfAvailable { haystack in
            version.utf8.withContiguousStorageIfAvailable { needle in Self.find(needle, in: haystack) }
        }
        if let found = fast ?? nil { return found }
        return anyListed { $0 == version }
    }

    /// Each listed version, until `body` returns true; true when it did.
    func anyListed(_ body: (Substring) -> Bool) -> Bool {
        for part in listed.utf8.split(separator: Self.separator) where body(Substring(part)) { return true }
        return false
    }

    /// Finds `needle` as one whole item of the U+001F-terminated list `haystack`.
    private static func find(_ needle: UnsafeBufferPointer<UInt8>, in haystack: UnsafeBufferPointer<UInt8>) -> Bool {
        var start = 0
        while start < haystack.count {
            var end = start
            while end < haystack.count && haystack[end] != separator { end += 1 }
            if end - start == needle.count {
                var same = true
                for i in 0..<needle.count where haystack[start + i] != needle[i] {
                    same = false
                    break
                }
                if same { return true }
            }
            start = end + 1
        }
        return false
    }
}

public struct OSVRange: Sendable, Equatable {
    public enum Kind: String, Sendable { case git = "GIT", semver = "SEMVER", ecosystem = "ECOSYSTEM" }
    public var type: Kind
    public var repo: String?
    public var events: [OSVEvent]
    public init(type: Kind, repo: String? = nil, events: [OSVEvent]) {
        self.type = type
        self.repo = repo
        self.events = events
    }
}

public enum OSVEvent: Sendable, Equatable {
    case introduced(String)
    case fixed(String)
    case lastAffected(String)
    case limit(String)

    public var version: String {
        switch self {
        case .introduced(let v), .fixed(let v), .lastAffected(let v), .limit(let v): v
        }
    }
}

/// Bounds on one record (all OSV input is untrusted).
public struct OSVLimits: Sendable, Equatable {
    public var maxRecordBytes = 4 << 20
    public var maxAffected = 10_000
    public var maxRangesPerAffected = 1_000
    public var maxEventsPerRange = 10_000
    public var maxVersionsPerAffected = 200_000
    public var maxAliases = 1_000
    public var maxSeverities = 100
    /// Ids, names, versions, ecosystems, purls, timestamps, scores.
    public var maxStringLength = 4_096
    /// Longer summaries are cut to this many characters.
    public var maxSummaryLength = 1_024
    /// YAML nodes per document (aliases expand: "billion laughs").
    public var maxYAMLNodes = 2_000_000
    public var maxDepth = 64
    public init() {}
    public static let `default` = OSVLimits()
}

/// Why a record was skipped (counted per reason by an import).
public enum OSVRejection: String, Sendable, CaseIterable, Codable {
    /// Not JSON/YAML, or a field of the wrong type.
    case malformed
    /// Over a size or count bound.
    case limit
    /// `id` missing or not of the form `PREFIX-ENTRY`.
    case id
    /// `modified` missing or not an RFC 3339 timestamp (also `published`, `withdrawn`).
    case timestamp
    /// `affected[].package` without ecosystem or name.
    case package
    /// A range type other than GIT, SEMVER, ECOSYSTEM; a GIT range without `repo`.
    case range
    /// An event without exactly one of introduced, fixed, last_affected, limit; or empty events.
    case event
    /// A range with no `introduced` event.
    case noIntroduced
    /// A range with both `fixed` and `last_affected` events.
    case fixedAndLastAffected
    /// A severity type other than CVSS_V2, CVSS_V3, CVSS_V4, Ubuntu.
    case severity
    /// A record file of a directory that could not be read.
    case unreadable
}

public struct OSVRecordError: Error, Sendable, Equatable, CustomStringConvertible {
    public var reason: OSVRejection
    public var message: String
    /// The record's id when it was read before the error.
    public var id: String?
    public init(_ reason: OSVRejection, _ message: String, id: String? = nil) {
        self.reason = reason
        self.message = message
        self.id = id
    }
    public var description: String { (id.map { "\($0): " } ?? "") + "\(reason.rawValue): \(message)" }
}
