import Foundation
import SBOM

/// The versions that a package's ranges mention, sorted once in one version order,
/// so that matching compares integers: a component's version is placed among them
/// by binary search (a handful of comparisons) instead of being compared with every
/// event of every record (a PEP 440 comparison parses both versions: ~2.6 µs; a
/// popular package has hundreds of records).
struct VersionLadder: Sendable {
    let scheme: VersionOrder
    /// One representative version per rank, ascending; versions equal in the order
    /// share a rank.
    let rungs: [String]

    /// Where a version stands: equal to rung `rank`, or just below rung `rank`
    /// (above rung `rank - 1`; `rank == rungs.count` is above all).
    enum Position: Equatable {
        case at(Int32)
        case below(Int32)
    }

    /// Sorts `versions` (each a valid version of `scheme`) and gives each its rank.
    static func build(_ versions: Set<String>, scheme: VersionOrder) -> (ladder: VersionLadder, ranks: [String: Int32]) {
        let sorted = versions.sorted { scheme.compare($0, $1) == .orderedAscending }
        var rungs: [String] = []
        var ranks: [String: Int32] = [:]
        for version in sorted {
            if let last = rungs.last, scheme.compare(last, version) == .orderedSame {
                ranks[version] = Int32(rungs.count - 1)
            } else {
                rungs.append(version)
                ranks[version] = Int32(rungs.count - 1)
            }
        }
        return (VersionLadder(scheme: scheme, rungs: rungs), ranks)
    }

    /// The version's position; nil when it is not a version of the scheme.
    func position(of version: String) -> Position? {
        var low = 0, high = rungs.count
        while low < high {
            let mid = (low + high) / 2
            guard let c = scheme.compare(version, rungs[mid]) else { return nil }
            switch c {
            case .orderedSame: return .at(Int32(mid))
            case .orderedAscending: high = mid
            case .orderedDescending: low = mid + 1
            }
        }
        // No rung to compare with: still refuse a version that is not one.
        if rungs.isEmpty && scheme.compare(version, version) == nil { return nil }
        return .below(Int32(low))
    }
}

/// One range with its events as ranks on a ladder, sorted as the OSV pseudocode sorts them.
struct CompiledRange: Sendable {
    enum Kind: UInt8, Sendable { case introduced, fixed, lastAffected, limit }
    /// Rank of `introduced: "0"` (before everything) and `limit: "*"` (after everything).
    static let bottom = Int32(-1)
    static let top = Int32.max

    /// (kind, rank) of the non-limit events in evaluation order.
    var events: [(kind: Kind, rank: Int32)]
    var limits: [Int32]
    /// Which ladder of the package (by scheme).
    var scheme: VersionOrder
    /// GIT range: not evaluated.
    var isGit: Bool
    /// An event version that is not a version of the scheme: not evaluated.
    var unorderable: String?

    /// `v` against rank `r`: the sign of v - r.
    static func compare(_ position: VersionLadder.Position, _ rank: Int32) -> ComparisonResult {
        switch position {
        case .at(let k): return k < rank ? .orderedAscending : k > rank ? .orderedDescending : .orderedSame
        case .below(let k): return rank >= k ? .orderedAscending : .orderedDescending
        }
    }

    /// The OSV evaluation (see `RangeEvaluator.evaluate`) on ranks.
    func evaluate(_ position: VersionLadder.Position) -> RangeOutcome {
        if isGit { return .notEvaluatedGit }
        if let unorderable { return .notEvaluatedVersion(unorderable) }
        if !limits.isEmpty && !limits.contains(where: { Self.compare(position, $0) == .orderedAscending }) {
            return .notAffected
        }
        var vulnerable = false
        for event in events {
            let c = Self.compare(position, event.rank)
            switch event.kind {
            case .introduced where c != .orderedAscending: vulnerable = true
            case .fixed where c != .orderedAscending: vulnerable = false
            case .lastAffected where c == .orderedDescending: vulnerable = false
            default: break
            }
        }
        return vulnerable ? .affected : .notAffected
    }

    /// Ranks of `fixed` events above the position.
    func fixedAbove(_ position: VersionLadder.Position) -> [Int32] {
        events.filter { $0.kind == .fixed && Self.compare(position, $0.rank) == .orderedAscending }.map(\.rank)
    }

    /// Compiles a range on `ranks` (versions of the package in `scheme` -> rank).
    init(_ range: OSVRange, scheme: VersionOrder, ranks: [String: Int32]) {
        self.scheme = scheme
        isGit = range.type == .git
        events = []
        limits = []
        guard !isGit else { return }
        var compiled: [(kind: Kind, rank: Int32, order: Int)] = []
        for (order, event) in range.events.enumerated() {
            let rank: Int32
            switch event {
            case .introduced("0"): rank = Self.bottom
            case .limit("*"): rank = Self.top
            default:
                guard let r = ranks[event.version] else {
                    unorderable = event.version
                    return
                }
                rank = r
            }
            switch event {
            case .introduced: compiled.append((.introduced, rank, order))
            case .fixed: compiled.append((.fixed, rank, order))
            case .lastAffected: compiled.append((.lastAffected, rank, order))
            case .limit: limits.append(rank)
            }
        }
        compiled.sort { $0.rank != $1.rank ? $0.rank < $1.rank : $0.order < $1.order }
        events = compiled.map { ($0.kind, $0.rank) }
    }
}

/// Everything matching needs for one package key, made once by `VulnerabilityIndex.finish()`.
struct CompiledPackage: Sendable {
    var ladders: [VersionOrder: VersionLadder]
    /// Per entry of the key (same order as the index's entries), its ranges compiled.
    var ranges: [[CompiledRange]]
    /// Per entry, its severity (CVSS vectors scored once here, not per match).
    var severities: [SeverityAssessment]

    init(key: PackageKey, affected: [OSVAffected], severities: [SeverityAssessment]) {
        self.severities = severities
        // Versions each scheme's ranges mention, valid ones only.
        var versions: [VersionOrder: Set<String>] = [:]
        for entry in affected {
            for range in entry.ranges where range.type != .git {
                let scheme = Ecosystems.scheme(for: range.type, ecosystem: key.ecosystem)
                for event in range.events where event != .introduced("0") && event != .limit("*") {
                    versions[scheme, default: []].insert(event.version)
                }
            }
        }
        var ladders: [VersionOrder: VersionLadder] = [:]
        var ranks: [VersionOrder: [String: Int32]] = [:]
        for (scheme, set) in versions {
            let valid = set.filter { scheme.compare($0, $0) != nil }
            let built = VersionLadder.build(valid, scheme: scheme)
            ladders[scheme] = built.ladder
            ranks[scheme] = built.ranks
        }
        self.ladders = ladders
        ranges = affected.map { entry in
            entry.ranges.map { range in
                let scheme = Ecosystems.scheme(for: range.type, ecosystem: key.ecosystem)
                return CompiledRange(range, scheme: scheme, ranks: ranks[scheme] ?? [:])
            }
        }
    }
}
