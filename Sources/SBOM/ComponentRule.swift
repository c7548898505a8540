import Foundation

/// One `allow` or `deny` entry of an SBOM policy.
///
/// Three kinds, told apart by their text:
///
/// - **purl pattern** `pkg:type/namespace/name[@version][?qualifiers][#subpath]`.
///   In the namespace and name, `*` matches any characters within a segment
///   and a `**` segment matches any number of segments (`pkg:maven/**`,
///   `pkg:generic/acme/*`). The version is an exact version or a `vers` range
///   (`pkg:npm/lodash@vers:npm/>=4.17.21|<5.0.0`); without one, every version
///   matches. Qualifiers in the pattern must be present with the same value;
///   a subpath must be equal. Matches components that have a purl.
/// - **CPE pattern** `cpe:2.3:...` or `cpe:/...`: compared field by field with
///   `*` wildcards; fields left out match anything (a prefix). Matches
///   components that have a CPE.
/// - **name rule** `name[@version]`, the version exact or a `vers` range
///   (`zlib@vers:generic/>=1.3`): `*` wildcards in the name. Matches only
///   components without a purl.
///
/// Exact versions compare by the ecosystem's order where the purl type has one
/// and the version is valid in it (`pkg:pypi/x@1.0` matches `1.0.0`),
/// otherwise as strings. A component whose
/// version is missing or not valid for the range's scheme matches a deny rule
/// with a version (fail closed) and no allow rule with one.
public struct ComponentRule: Sendable, Equatable, CustomStringConvertible {
    enum VersionMatch: Sendable {
        case exact(String, VersionScheme?)
        case range(VersRange)
    }

    /// A purl pattern, compiled. A class so that matching does not copy it.
    final class PurlPattern: Sendable {
        let type: String
        let path: [Glob]
        let version: VersionMatch?
        let qualifiers: [String: String]
        let subpath: String?

        init(type: String, path: [Glob], version: VersionMatch?, qualifiers: [String: String], subpath: String?) {
            self.type = type
            self.path = path
            self.version = version
            self.qualifiers = qualifiers
            self.subpath = subpath
        }
    }

    enum Matcher: Sendable {
        case purl(PurlPattern)
        case cpe([Glob])
        case name(Glob, version: VersionMatch?)
    }

    /// One allocation per rule: rules are copied while components are judged.
    private final class Storage: Sendable {
        let text: String
        let matcher: Matcher

        init(text: String, matcher: Matcher) {
            self.text = text
            self.matcher = matcher
        }
    }

    private let storage: Storage

    /// The rule as written.
    public var text: String { storage.text }
    var matcher: Matcher { storage.matcher }

    public var description: String { text }

    /// Rules are equal when written alike (the text determines the rule).
    public static func == (lhs: ComponentRule, rhs: ComponentRule) -> Bool { lhs.text == rhs.text }

    /// Parses `pkg:...`, `cpe:...` or `name[@version]`.
    public init(_ text: String) throws(SBOMSyntaxError) {
        let trimmed = text.trimmed
        guard !trimmed.isEmpty else { throw SBOMSyntaxError(text, "empty rule") }
        let matcher: Matcher
        if trimmed.lowercased().hasPrefix("pkg:") {
            matcher = try Self.purlMatcher(trimmed)
        } else if trimmed.lowercased().hasPrefix("cpe:") {
            guard let fields = parseCPEFields(trimmed) else {
                throw SBOMSyntaxError(text, "not a CPE 2.3 formatted string (cpe:2.3:...) or CPE 2.2 URI (cpe:/...)")
            }
            matcher = .cpe(fields.map(Glob.init))
        } else {
            var name = Substring(trimmed)
            var version: VersionMatch?
            if let at = trimmed.lastIndex(of: "@"), at != trimmed.startIndex {
                name = trimmed[..<at]
                version = try Self.versionMatch(String(trimmed[trimmed.index(after: at)...]), scheme: nil, rule: text)
            }
            matcher = .name(Glob(String(name)), version: version)
        }
        storage = Storage(text: text, matcher: matcher)
    }

    /// Builds a rule from a YAML mapping: `{purl: ...}`, `{name: ..., version: ...}`
    /// or `{cpe: ...}`; `version` (exact or `vers:`) also goes with a purl
    /// pattern that has none.
    public init(fields: [String: String]) throws(SBOMSyntaxError) {
        let shown = "{" + fields.sorted { $0.key < $1.key }.map { "\($0.key): \($0.value)" }.joined(separator: ", ") + "}"
        let unknown = Set(fields.keys).subtracting(["purl", "name", "version", "cpe"])
        guard unknown.isEmpty else {
            throw SBOMSyntaxError(shown, "unknown key(s) \(unknown.sorted().joined(separator: ", ")) (known: purl, name, version, cpe)")
        }
        let identities = ["purl", "name", "cpe"].filter { fields[$0] != nil }
        guard identities.count == 1, let kind = identities.first, let value = fields[kind] else {
            throw SBOMSyntaxError(shown, "give exactly one of purl, name or cpe")
        }
        switch kind {
        case "cpe":
            guard fields["version"] == nil else { throw SBOMSyntaxError(shown, "a CPE rule has no separate version") }
            guard value.lowercased().hasPrefix("cpe:") else { throw SBOMSyntaxError(shown, "cpe must start with 'cpe:'") }
            self = try ComponentRule(value)
        case "purl":
            guard value.lowercased().hasPrefix("pkg:") else { throw SBOMSyntaxError(shown, "purl must start with 'pkg:'") }
            let rule = try ComponentRule(value)
            guard let version = fields["version"] else {
                self = rule
                return
            }
            guard case let .purl(pattern) = rule.matcher, pattern.version == nil else {
                throw SBOMSyntaxError(shown, "version given twice")
            }
            storage = Storage(text: shown, matcher: .purl(PurlPattern(
                type: pattern.type, path: pattern.path,
                version: try Self.versionMatch(version, scheme: VersionScheme(purlType: pattern.type), rule: shown,
                                               purlType: pattern.type),
                qualifiers: pattern.qualifiers, subpath: pattern.subpath)))
        default:
            guard !value.isEmpty else { throw SBOMSyntaxError(shown, "empty name") }
            storage = Storage(text: shown, matcher: .name(Glob(value), version: try fields["version"].map {
                (version) throws(SBOMSyntaxError) in try Self.versionMatch(version, scheme: nil, rule: shown)
            }))
        }
    }

    private static func purlMatcher(_ text: String) throws(SBOMSyntaxError) -> Matcher {
        // A vers range holds '/', '|', '<', ...: cut it out before parsing the purl.
        var purlText = text
        var versText: String?
        if let range = text.range(of: "@vers:", options: [.caseInsensitive, .backwards]) {
            let tail = text[range.upperBound...]
            let end = tail.firstIndex(where: { $0 == "?" || $0 == "#" }) ?? tail.endIndex
            versText = "vers:" + tail[..<end]
            purlText = String(text[..<range.lowerBound] + tail[end...])
        }
        let purl: PackageURL
        do throws(SBOMSyntaxError) {
            purl = try PackageURL(purlText)
        } catch {
            throw SBOMSyntaxError(text, error.message)
        }
        let scheme = VersionScheme(purlType: purl.type)
        let version = try (versText ?? purl.version).map { (version) throws(SBOMSyntaxError) in
            try versionMatch(version, scheme: scheme, rule: text, purlType: purl.type)
        }
        return .purl(PurlPattern(type: purl.type, path: purl.path.map(Glob.init), version: version,
                                 qualifiers: purl.qualifiers, subpath: purl.subpath))
    }

    /// `vers:...` or an exact version, checked against the scheme it will be compared with.
    private static func versionMatch(
        _ text: String, scheme: VersionScheme?, rule: String, purlType: String? = nil
    ) throws(SBOMSyntaxError) -> VersionMatch {
        guard !text.isEmpty else { throw SBOMSyntaxError(rule, "empty version") }
        guard text.lowercased().hasPrefix("vers:") else {
            // A version the ecosystem cannot order (a Go commit id, say) is compared as text.
            return .exact(text, scheme.flatMap { $0.parse(text) == nil ? nil : $0 })
        }
        let range: VersRange
        do throws(SBOMSyntaxError) {
            range = try VersRange(text)
        } catch {
            throw SBOMSyntaxError(rule, "\(error)")
        }
        if let purlType, ![.generic, .semver].contains(range.scheme), VersionScheme(purlType: purlType) != range.scheme {
            throw SBOMSyntaxError(rule, "vers type '\(range.scheme.rawValue)' does not fit purl type '\(purlType)' (use the purl's type, semver or generic)")
        }
        return .range(range)
    }

    func matches(_ subject: RuleSubject, versionUnknownMatches: Bool) -> Bool {
        switch matcher {
        case let .purl(pattern):
            guard let purl = subject.purl, purl.type == pattern.type,
                  matchSegments(pattern.path, subject.purlPath),
                  pattern.qualifiers.allSatisfy({ purl.qualifiers[$0.key] == $0.value }),
                  pattern.subpath == nil || pattern.subpath == purl.subpath
            else { return false }
            guard let version = pattern.version else { return true }
            return Self.matches(version, purl.version ?? subject.component.version, unknown: versionUnknownMatches)
        case let .cpe(pattern):
            guard let fields = subject.cpeFields else { return false }
            for (index, wanted) in pattern.enumerated() where !wanted.matchesEverything {
                let actual = index < fields.count ? fields[index] : "*"
                if index == 3, actual == "*" || actual == "-" || actual.isEmpty {
                    if versionUnknownMatches { continue }
                    return false
                }
                if !wanted.matches(actual) { return false }
            }
            return true
        case let .name(name, version):
            guard subject.component.purl == nil, name.matches(subject.component.name) else { return false }
            guard let version else { return true }
            return Self.matches(version, subject.component.version, unknown: versionUnknownMatches)
        }
    }

    private static func matches(_ match: VersionMatch, _ version: String?, unknown: Bool) -> Bool {
        guard let version else { return unknown }
        switch match {
        case let .exact(wanted, scheme?):
            guard let result = scheme.compare(version, wanted) else { return unknown }
            return result == .orderedSame
        case let .exact(wanted, nil):
            return version == wanted
        case let .range(range):
            return range.contains(version) ?? unknown
        }
    }
}

/// A component prepared for matching: its purl and CPE parsed once.
struct RuleSubject {
    let component: Component
    let purl: PackageURL?
    /// Set when the component has a purl that does not parse.
    let purlError: SBOMSyntaxError?
    let purlPath: [String]
    let cpeFields: [String]?

    init(_ component: Component) {
        self.component = component
        var purl: PackageURL?
        var purlError: SBOMSyntaxError?
        if let parsed = component.parsedPurl {
            purl = parsed
        } else if let text = component.purl {
            do throws(SBOMSyntaxError) {
                purl = try PackageURL(text)
            } catch {
                purlError = error
            }
        }
        self.purl = purl
        self.purlError = purlError
        purlPath = purl?.path ?? []
        cpeFields = component.cpe.flatMap(parseCPEFields)
    }
}

/// The fields of a CPE (lowercased, unescaped): part, vendor, product,
/// version, update, edition, language, ... `nil` when not a CPE.
func parseCPEFields(_ text: String) -> [String]? {
    let lower = text.lowercased()
    if lower.hasPrefix("cpe:2.3:") {
        var fields: [String] = []
        var current = ""
        var escaped = false
        for character in lower.dropFirst(8) {
            if escaped {
                current.append(character)
                escaped = false
            } else if character == "\\" {
                escaped = true
            } else if character == ":" {
                fields.append(current)
                current = ""
            } else {
                current.append(character)
            }
        }
        fields.append(current)
        return fields.first?.isEmpty == false ? fields : nil
    }
    if lower.hasPrefix("cpe:/") {
        let fields = lower.dropFirst(5).split(separator: ":", omittingEmptySubsequences: false).map {
            percentDecode($0) ?? String($0)
        }
        return fields.first?.isEmpty == false ? fields : nil
    }
    return nil
}

/// A pattern where `*` stands for any run of characters (compared as UTF-8).
struct Glob: Sendable {
    let pattern: [UInt8]
    /// The pattern itself when it has no `*` (matched by equality).
    let literal: String?
    /// `**`: any number of purl path segments.
    let isAnyDepth: Bool

    init(_ pattern: String) {
        self.pattern = Array(pattern.utf8)
        literal = pattern.utf8.contains(UInt8(ascii: "*")) ? nil : pattern
        isAnyDepth = pattern == "**"
    }

    /// `*` or empty: CPE fields that match any value.
    var matchesEverything: Bool { pattern.isEmpty || pattern == [UInt8(ascii: "*")] }

    func matches(_ text: String) -> Bool {
        if let literal { return literal == text }
        var text = text
        return text.withUTF8 { globMatch(pattern, $0) }
    }
}

/// Glob matching with backtracking to the last `*` only: linear in practice.
private func globMatch(_ p: [UInt8], _ t: UnsafeBufferPointer<UInt8>) -> Bool {
    let star = UInt8(ascii: "*")
    return wildcardMatch(patternCount: p.count, textCount: t.count, isStar: { p[$0] == star }, matches: { p[$0] == t[$1] })
}

/// Segment-wise glob: each pattern segment matches one segment, and a `**`
/// segment matches any number of segments.
func matchSegments(_ pattern: [Glob], _ segments: [String]) -> Bool {
    wildcardMatch(patternCount: pattern.count, textCount: segments.count,
                  isStar: { pattern[$0].isAnyDepth }, matches: { pattern[$0].matches(segments[$1]) })
}

/// The one backtracking matcher both globs use: pattern element `i` is either a
/// star (any run of text elements, backtracking to the last star only) or must match
/// text element `j`.
private func wildcardMatch(patternCount: Int, textCount: Int, isStar: (Int) -> Bool, matches: (Int, Int) -> Bool) -> Bool {
    var i = 0
    var j = 0
    var lastStar: Int?
    var resume = 0
    while j < textCount {
        if i < patternCount, !isStar(i), matches(i, j) {
            i += 1
            j += 1
        } else if i < patternCount, isStar(i) {
            lastStar = i
            resume = j
            i += 1
        } else if let lastStar {
            i = lastStar + 1
            resume += 1
            j = resume
        } else {
            return false
        }
    }
    while i < patternCount, isStar(i) { i += 1 }
    return i == patternCount
}
