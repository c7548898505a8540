import Foundation
import SBOM

/// How versions of an OSV ecosystem are ordered: one of passbox's `VersionScheme`s
/// (SBOM module), or RPM's order, which that module does not have (written here).
public enum VersionOrder: Sendable, Hashable {
    case scheme(VersionScheme)
    /// `rpmvercmp` on `[epoch:]version[-release]`: epochs numerically (0 when absent),
    /// then version, then release (when both have one).
    case rpm
    /// Alpine's apk order on `1.2.3[letter][_suffix[N]]…[~hash][-rN]`.
    case apk

    public static let generic = VersionOrder.scheme(.generic)
    public static let semver = VersionOrder.scheme(.semver)
    public static let npm = VersionOrder.scheme(.npm)
    public static let cargo = VersionOrder.scheme(.cargo)
    public static let golang = VersionOrder.scheme(.golang)
    public static let pypi = VersionOrder.scheme(.pypi)
    public static let maven = VersionOrder.scheme(.maven)
    public static let deb = VersionOrder.scheme(.deb)

    /// Orders two versions; nil when either is not a version of this order.
    public func compare(_ lhs: String, _ rhs: String) -> ComparisonResult? {
        switch self {
        case .scheme(let scheme): return scheme.compare(lhs, rhs)
        case .rpm: return RPMVersion.compare(lhs, rhs)
        case .apk:
            guard let a = APKVersion(lhs), let b = APKVersion(rhs) else { return nil }
            return a.compare(b)
        }
    }
}

/// RPM's version comparison (rpm's `rpmvercmp` and EVR order).
enum RPMVersion {
    static let maxLength = 256

    static func compare(_ a: String, _ b: String) -> ComparisonResult? {
        guard !a.isEmpty, !b.isEmpty, a.utf8.count <= maxLength, b.utf8.count <= maxLength else { return nil }
        let x = split(Array(a.utf8)), y = split(Array(b.utf8))
        let epoch = compareNumbers(x.epoch, y.epoch)
        if epoch != .orderedSame { return epoch }
        let version = vercmp(x.version, y.version)
        if version != .orderedSame { return version }
        guard let r1 = x.release, let r2 = y.release else { return .orderedSame }
        return vercmp(r1, r2)
    }

    /// `[epoch:]version[-release]`; the epoch only when it is all digits.
    static func split(_ text: [UInt8]) -> (epoch: ArraySlice<UInt8>, version: ArraySlice<UInt8>, release: ArraySlice<UInt8>?) {
        var rest = text[...]
        var epoch: ArraySlice<UInt8> = []
        if let colon = rest.firstIndex(of: UInt8(ascii: ":")), colon > rest.startIndex, rest[..<colon].allSatisfy(\.isDigit) {
            epoch = rest[..<colon]
            rest = rest[(colon + 1)...]
        }
        if let dash = rest.lastIndex(of: UInt8(ascii: "-")) {
            return (epoch, rest[..<dash], rest[(dash + 1)...])
        }
        return (epoch, rest, nil)
    }

    /// rpmvercmp: runs of digits compare numerically, runs of letters by bytes, other
    /// characters separate; `~` sorts before everything (even the end), `^` after the
    /// end but before anything else; a digit run is newer than a letter run; with equal
    /// runs, the string with more left is newer.
    static func vercmp(_ a: ArraySlice<UInt8>, _ b: ArraySlice<UInt8>) -> ComparisonResult {
        if a.elementsEqual(b) { return .orderedSame }
        var i = a.startIndex, j = b.startIndex
        func separator(_ c: UInt8) -> Bool { !c.isDigit && !c.isLetter && c != UInt8(ascii: "~") && c != UInt8(ascii: "^") }
        while i < a.endIndex || j < b.endIndex {
            while i < a.endIndex && separator(a[i]) { i += 1 }
            while j < b.endIndex && separator(b[j]) { j += 1 }
            let ca: UInt8? = i < a.endIndex ? a[i] : nil, cb: UInt8? = j < b.endIndex ? b[j] : nil
            if ca == UInt8(ascii: "~") || cb == UInt8(ascii: "~") {
                if ca != UInt8(ascii: "~") { return .orderedDescending }
                if cb != UInt8(ascii: "~") { return .orderedAscending }
                i += 1; j += 1
                continue
            }
            if ca == UInt8(ascii: "^") || cb == UInt8(ascii: "^") {
                if ca == nil { return .orderedAscending }
                if cb == nil { return .orderedDescending }
                if ca != UInt8(ascii: "^") { return .orderedDescending }
                if cb != UInt8(ascii: "^") { return .orderedAscending }
                i += 1; j += 1
                continue
            }
            guard let first = ca, cb != nil else { break }
            let numeric = first.isDigit
            let startA = i, startB = j
            while i < a.endIndex && (numeric ? a[i].isDigit : a[i].isLetter) { i += 1 }
            while j < b.endIndex && (numeric ? b[j].isDigit : b[j].isLetter) { j += 1 }
            let segA = a[startA..<i], segB = b[startB..<j]
            // The other run is of the other kind: a number is newer than letters.
            if segB.isEmpty { return numeric ? .orderedDescending : .orderedAscending }
            let c = numeric ? compareNumbers(segA, segB) : compareBytes(segA, segB)
            if c != .orderedSame { return c }
        }
        let restA = i < a.endIndex, restB = j < b.endIndex
        if !restA && !restB { return .orderedSame }
        return restA ? .orderedDescending : .orderedAscending
    }

    static func compareNumbers(_ a: ArraySlice<UInt8>, _ b: ArraySlice<UInt8>) -> ComparisonResult {
        let x = a.drop { $0 == UInt8(ascii: "0") }, y = b.drop { $0 == UInt8(ascii: "0") }
        if x.count != y.count { return x.count < y.count ? .orderedAscending : .orderedDescending }
        return compareBytes(x, y)
    }

    static func compareBytes(_ a: ArraySlice<UInt8>, _ b: ArraySlice<UInt8>) -> ComparisonResult {
        for (p, q) in zip(a, b) where p != q { return p < q ? .orderedAscending : .orderedDescending }
        return a.count == b.count ? .orderedSame : a.count < b.count ? .orderedAscending : .orderedDescending
    }
}

/// An Alpine package version, as apk-tools orders them: the numbers (missing ones
/// are older: 1.2 < 1.2.1), then the letter (none < a < z), then the suffixes in turn
/// (`_alpha` < `_beta` < `_pre` < `_rc` < none < `_cvs` < `_svn` < `_git` < `_hg` <
/// `_p`, then their numbers), then the revision (`-rN`, 0 when absent). A `~hash`
/// does not order. Numbers are compared as integers (apk compares a part with a
/// leading zero as a fraction; such versions are rare and ordered as integers here).
struct APKVersion {
    var numbers: [ArraySlice<UInt8>]
    var letter: UInt8
    var suffixes: [(rank: Int, number: ArraySlice<UInt8>)]
    var revision: ArraySlice<UInt8>

    static let suffixRanks: [String: Int] = ["alpha": 0, "beta": 1, "pre": 2, "rc": 3, "cvs": 5, "svn": 6, "git": 7, "hg": 8, "p": 9]
    static let noSuffix = 4

    init?(_ text: String) {
        guard !text.isEmpty, text.utf8.count <= RPMVersion.maxLength else { return nil }
        let b = Array(text.utf8)
        var i = 0
        func digits() -> ArraySlice<UInt8> {
            let start = i
            while i < b.count && b[i].isDigit { i += 1 }
            return b[start..<i]
        }
        numbers = []
        repeat {
            if !numbers.isEmpty { i += 1 }  // the '.'
            let n = digits()
            guard !n.isEmpty else { return nil }
            numbers.append(n)
        } while i < b.count && b[i] == UInt8(ascii: ".")
        letter = 0
        if i < b.count, b[i] >= UInt8(ascii: "a"), b[i] <= UInt8(ascii: "z") {
            letter = b[i]
            i += 1
        }
        suffixes = []
        while i < b.count, b[i] == UInt8(ascii: "_") {
            i += 1
            let start = i
            while i < b.count && b[i] >= UInt8(ascii: "a") && b[i] <= UInt8(ascii: "z") { i += 1 }
            guard let rank = Self.suffixRanks[String(decoding: b[start..<i], as: UTF8.self)] else { return nil }
            suffixes.append((rank, digits()))
        }
        if i < b.count, b[i] == UInt8(ascii: "~") {
            i += 1
            let start = i
            while i < b.count && (b[i].isDigit || (b[i] >= UInt8(ascii: "a") && b[i] <= UInt8(ascii: "f"))) { i += 1 }
            guard i > start else { return nil }
        }
        revision = []
        if i < b.count {
            guard b.count - i >= 3, b[i] == UInt8(ascii: "-"), b[i + 1] == UInt8(ascii: "r") else { return nil }
            i += 2
            revision = digits()
            guard !revision.isEmpty, i == b.count else { return nil }
        }
    }

    func compare(_ other: APKVersion) -> ComparisonResult {
        for (x, y) in zip(numbers, other.numbers) {
            let c = RPMVersion.compareNumbers(x, y)
            if c != .orderedSame { return c }
        }
        if numbers.count != other.numbers.count { return numbers.count < other.numbers.count ? .orderedAscending : .orderedDescending }
        if letter != other.letter { return letter < other.letter ? .orderedAscending : .orderedDescending }
        for k in 0..<max(suffixes.count, other.suffixes.count) {
            let x: (rank: Int, number: ArraySlice<UInt8>) = k < suffixes.count ? suffixes[k] : (Self.noSuffix, [])
            let y: (rank: Int, number: ArraySlice<UInt8>) = k < other.suffixes.count ? other.suffixes[k] : (Self.noSuffix, [])
            if x.rank != y.rank { return x.rank < y.rank ? .orderedAscending : .orderedDescending }
            let c = RPMVersion.compareNumbers(x.number, y.number)
            if c != .orderedSame { return c }
        }
        return RPMVersion.compareNumbers(revision, other.revision)
    }
}

private extension UInt8 {
    var isDigit: Bool { self >= 0x30 && self <= 0x39 }
    var isLetter: Bool { (self | 0x20) >= 0x61 && (self | 0x20) <= 0x7A }
}
