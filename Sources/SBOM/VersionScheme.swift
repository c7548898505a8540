import Foundation

/// How versions of an ecosystem are ordered.
///
/// | scheme | ordering |
/// | --- | --- |
/// | `semver`, `npm`, `cargo`, `golang` | Semantic Versioning 2.0 (a leading `v` is accepted, `5` means `5.0.0`; build metadata is ignored) |
/// | `pypi` | PEP 440 (epochs, pre-, post- and dev-releases, local versions) |
/// | `maven` | Maven's `ComparableVersion` |
/// | `deb` | dpkg (`epoch:upstream-revision`, `~` sorts before everything) |
/// | `generic` | numbers numerically, letters alphabetically, see below |
///
/// `generic` splits a version into runs of digits and runs of letters (any other
/// character separates): numbers compare numerically, words case-insensitively,
/// a number is greater than a word, a missing part counts as `0` against a
/// number and is greater than a word (so `1.0` equals `1.0.0`, and `1.0rc1` and
/// `1.0-beta` come before `1.0`).
public enum VersionScheme: String, Sendable, CaseIterable {
    case generic, semver, npm, cargo, golang, pypi, maven, deb

    /// The scheme named by a `vers` type (`vers:npm/...`), if supported.
    public init?(versType: String) {
        self.init(rawValue: versType.lowercased())
    }

    /// The scheme for versions of a purl type: the ecosystem's own ordering where
    /// this module knows it, `nil` otherwise.
    public init?(purlType: String) {
        switch purlType.lowercased() {
        case "npm": self = .npm
        case "cargo": self = .cargo
        case "golang": self = .golang
        case "pypi": self = .pypi
        case "maven": self = .maven
        case "deb": self = .deb
        default: return nil
        }
    }

    /// Orders two versions; `nil` when either is not a valid version of this scheme.
    public func compare(_ lhs: String, _ rhs: String) -> ComparisonResult? {
        guard let a = parse(lhs), let b = parse(rhs) else { return nil }
        return a.compare(b)
    }

    /// Longest version string considered; longer ones are invalid in every scheme.
    static let maxVersionLength = 256

    func parse(_ text: String) -> ParsedVersion? {
        guard !text.isEmpty, text.utf8.count <= Self.maxVersionLength else { return nil }
        switch self {
        case .semver, .npm, .cargo, .golang: return SemanticVersion(text).map(ParsedVersion.semantic)
        case .pypi: return PEP440Version(text).map(ParsedVersion.pep440)
        case .maven: return .maven(MavenVersion(text))
        case .deb: return DebianVersion(text).map(ParsedVersion.debian)
        case .generic: return .generic(GenericVersion(text))
        }
    }
}

/// A version parsed by one scheme. Only versions of the same scheme are compared.
enum ParsedVersion: Sendable {
    case semantic(SemanticVersion)
    case pep440(PEP440Version)
    case maven(MavenVersion)
    case debian(DebianVersion)
    case generic(GenericVersion)

    /// `nil` only for versions of different schemes, which have no order.
    func compare(_ other: ParsedVersion) -> ComparisonResult? {
        switch (self, other) {
        case let (.semantic(a), .semantic(b)): return a.compare(b)
        case let (.pep440(a), .pep440(b)): return a.compare(b)
        case let (.maven(a), .maven(b)): return a.compare(b)
        case let (.debian(a), .debian(b)): return a.compare(b)
        case let (.generic(a), .generic(b)): return a.compare(b)
        default: return nil
        }
    }
}

/// A non-negative integer of any size, kept as its decimal digits.
struct Numeral: Sendable, Equatable {
    /// Digits without leading zeros ("" for zero).
    let digits: Substring

    init<S: StringProtocol>(_ text: S) {
        let s = Substring(text)
        digits = s.drop(while: { $0 == "0" })
    }

    static let zero = Numeral("")

    var isZero: Bool { digits.isEmpty }

    func compare(_ other: Numeral) -> ComparisonResult {
        if digits.utf8.count != other.digits.utf8.count {
            return digits.utf8.count < other.digits.utf8.count ? .orderedAscending : .orderedDescending
        }
        return compareBytes(digits, other.digits)
    }
}

/// Orders two strings by their UTF-8 bytes (ASCII order for ASCII text).
func compareBytes<A: StringProtocol, B: StringProtocol>(_ a: A, _ b: B) -> ComparisonResult {
    var ia = a.utf8.makeIterator()
    var ib = b.utf8.makeIterator()
    while true {
        switch (ia.next(), ib.next()) {
        case (nil, nil): return .orderedSame
        case (nil, _): return .orderedAscending
        case (_, nil): return .orderedDescending
        case let (x?, y?):
            if x != y { return x < y ? .orderedAscending : .orderedDescending }
        }
    }
}

extension ComparisonResult {
    /// `self`, or `next()` when `self` is `.orderedSame`.
    func then(_ next: @autoclosure () -> ComparisonResult) -> ComparisonResult {
        self == .orderedSame ? next() : self
    }
}

extension UInt8 {
    var isASCIIDigit: Bool { self >= 0x30 && self <= 0x39 }
    var isASCIILetter: Bool { (self | 0x20) >= 0x61 && (self | 0x20) <= 0x7A }
}
