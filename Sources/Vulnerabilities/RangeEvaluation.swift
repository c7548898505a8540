import Foundation
import SBOM

/// Whether a version lies in an OSV range.
public enum RangeOutcome: Sendable, Equatable {
    case affected
    case notAffected
    /// GIT ranges (commit graphs are not evaluated).
    case notEvaluatedGit
    /// A version of the range or the component's version is not a version of the
    /// ecosystem's order: the range says nothing either way.
    case notEvaluatedVersion(String)
}

/// The OSV schema's evaluation pseudocode ("Evaluation", `IsVulnerable`), with
/// passbox's version orders.
public enum RangeEvaluator {
    /// `IncludedInRanges` for one range: before a `limit` (or no limit given), and
    /// after the events sorted by version: `introduced` <= v sets affected,
    /// `fixed` <= v or `last_affected` < v clears it. `introduced: "0"` is before
    /// every version; `limit: "*"` after every version.
    public static func evaluate(_ version: String, in range: OSVRange, scheme: VersionOrder) -> RangeOutcome {
        if range.type == .git { return .notEvaluatedGit }
        guard scheme.compare(version, version) != nil else { return .notEvaluatedVersion(version) }

        /// `v` against an event's version; nil when the event's version is not a version.
        func compare(_ event: OSVEvent) -> ComparisonResult? {
            switch event {
            case .introduced("0"): return .orderedDescending
            case .limit("*"): return .orderedAscending
            default: return scheme.compare(version, event.version)
            }
        }

        // BeforeLimits.
        let limits = range.events.filter { if case .limit = $0 { return true } else { return false } }
        if !limits.isEmpty {
            var before = false
            for limit in limits {
                guard let c = compare(limit) else { return .notEvaluatedVersion(limit.version) }
                if c == .orderedAscending { before = true }
            }
            if !before { return .notAffected }
        }

        let sorted: [OSVEvent]
        do {
            sorted = try sortEvents(range.events.filter { if case .limit = $0 { return false } else { return true } }, scheme: scheme)
        } catch {
            return .notEvaluatedVersion(error.version)
        }
        var vulnerable = false
        for event in sorted {
            guard let c = compare(event) else { return .notEvaluatedVersion(event.version) }
            switch event {
            case .introduced where c != .orderedAscending: vulnerable = true
            case .fixed where c != .orderedAscending: vulnerable = false
            case .lastAffected where c == .orderedDescending: vulnerable = false
            default: break
            }
        }
        return vulnerable ? .affected : .notAffected
    }

    struct Unorderable: Error { var version: String }

    /// Events in version order (`introduced: "0"` first); equal versions keep the
    /// record's order. Throws when a version is not of the scheme.
    static func sortEvents(_ events: [OSVEvent], scheme: VersionOrder) throws(Unorderable) -> [OSVEvent] {
        for event in events where !(event == .introduced("0")) {
            guard scheme.compare(event.version, event.version) != nil else { throw Unorderable(version: event.version) }
        }
        func isZero(_ e: OSVEvent) -> Bool { e == .introduced("0") }
        return events.enumerated().sorted { a, b in
            if isZero(a.element) != isZero(b.element) { return isZero(a.element) }
            if isZero(a.element) { return a.offset < b.offset }
            switch scheme.compare(a.element.version, b.element.version) {
            case .orderedAscending: return true
            case .orderedDescending: return false
            default: return a.offset < b.offset
            }
        }.map(\.element)
    }

    /// `IncludedInVersions`: the version is listed, as written (the pseudocode's
    /// `v == version`; the versions OSV lists are the ecosystem's published strings).
    public static func listed(_ version: String, in affected: OSVAffected) -> Bool {
        affected.hasVersions && affected.lists(exactly: version)
    }

    /// The fixed versions after `version` in the ranges (for "upgrade to …").
    static func fixedVersions(after version: String, in ranges: [OSVRange], scheme: (OSVRange) -> VersionOrder) -> [String] {
        var out: [String] = []
        for range in ranges where range.type != .git {
            for case .fixed(let fixed) in range.events where scheme(range).compare(fixed, version) == .orderedDescending {
                if !out.contains(fixed) { out.append(fixed) }
            }
        }
        return out
    }
}
