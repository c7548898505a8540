import Foundation

/// A version range in the `vers` notation: `vers:<type>/<constraints>`, for
/// example `vers:npm/>=4.17.21|<5.0.0` or `vers:deb/*`.
///
/// Constraints are `|`-separated, each a comparator (`<`, `<=`, `>`, `>=`,
/// `!=`, `=` or none for equality) and a percent-encoded version, or `*` alone
/// for every version. As the `vers` specification requires, constraints must be
/// sorted by version, each version may appear once, and (ignoring `!=` and
/// equalities) lower and upper bounds must alternate; anything else is
/// rejected, never corrected. The type selects the `VersionScheme`; types this
/// module cannot order are rejected.
public struct VersRange: Sendable, Equatable, CustomStringConvertible {
    public enum Comparator: String, Sendable {
        case equal = ""
        case notEqual = "!="
        case less = "<"
        case lessOrEqual = "<="
        case greater = ">"
        case greaterOrEqual = ">="

        var isLowerBound: Bool { self == .greater || self == .greaterOrEqual }
        var isUpperBound: Bool { self == .less || self == .lessOrEqual }
    }

    public struct Constraint: Sendable, Equatable {
        public var comparator: Comparator
        /// Percent-decoded.
        public var version: String
    }

    public let scheme: VersionScheme
    /// Empty for `*` (every version).
    public let constraints: [Constraint]
    private let parsed: [ParsedVersion]

    /// Longest range accepted, in bytes.
    static let maxLength = 4096

    public init(_ text: String) throws(SBOMSyntaxError) {
        func fail(_ message: String) -> SBOMSyntaxError { SBOMSyntaxError(text, message) }
        guard text.utf8.count <= Self.maxLength else { throw fail("longer than \(Self.maxLength) bytes") }
        guard !text.contains(where: \.isWhitespace) else { throw fail("whitespace is not allowed") }
        guard let colon = text.firstIndex(of: ":"), text[..<colon] == "vers" else {
            throw fail("does not start with 'vers:'")
        }
        let specifier = text[text.index(after: colon)...]
        guard let slash = specifier.firstIndex(of: "/") else { throw fail("no '/' after the versioning type") }
        let type = String(specifier[..<slash])
        guard type == type.lowercased(), let scheme = VersionScheme(versType: type) else {
            let known = VersionScheme.allCases.map(\.rawValue).joined(separator: ", ")
            throw fail("unsupported versioning type '\(type)' (supported: \(known))")
        }
        self.scheme = scheme
        let body = specifier[specifier.index(after: slash)...]
        guard !body.isEmpty else { throw fail("no constraints") }
        if body == "*" {
            constraints = []
            parsed = []
            return
        }

        var constraints: [Constraint] = []
        var parsed: [ParsedVersion] = []
        for part in body.split(separator: "|", omittingEmptySubsequences: false) {
            guard !part.isEmpty else { throw fail("empty constraint (leading, trailing or doubled '|')") }
            guard part != "*" else { throw fail("'*' must stand alone") }
            let comparator: Comparator
            var versionText = part
            if let two = [Comparator.lessOrEqual, .greaterOrEqual, .notEqual].first(where: { part.hasPrefix($0.rawValue) }) {
                comparator = two
                versionText = part.dropFirst(2)
            } else if let one = [Comparator.less, .greater].first(where: { part.hasPrefix($0.rawValue) }) {
                comparator = one
                versionText = part.dropFirst(1)
            } else {
                comparator = .equal
                if part.hasPrefix("=") { versionText = part.dropFirst() }
            }
            guard let version = percentDecode(versionText), !version.isEmpty else {
                throw fail("invalid version in constraint '\(part)'")
            }
            guard let value = scheme.parse(version) else {
                throw fail("'\(version)' is not a valid \(scheme.rawValue) version")
            }
            if let previous = parsed.last {
                switch previous.compare(value) {
                case .orderedAscending?: break
                case .orderedSame?: throw fail("version '\(version)' appears twice")
                default: throw fail("constraints are not sorted by version ('\(version)' comes after a greater one)")
                }
            }
            constraints.append(Constraint(comparator: comparator, version: version))
            parsed.append(value)
        }
        try Self.validateSequence(constraints, fail: fail)
        self.constraints = constraints
        self.parsed = parsed
    }

    /// The `vers` rules for neighbouring comparators.
    private static func validateSequence(
        _ constraints: [Constraint], fail: (String) -> SBOMSyntaxError
    ) throws(SBOMSyntaxError) {
        let withoutNotEqual = constraints.map(\.comparator).filter { $0 != .notEqual }
        for (current, next) in zip(withoutNotEqual, withoutNotEqual.dropFirst())
        where current == .equal && next.isUpperBound {
            throw fail("an equality is followed by an upper bound ('\(next.rawValue)'), which already includes it")
        }
        let bounds = withoutNotEqual.filter { $0 != .equal }
        for (current, next) in zip(bounds, bounds.dropFirst())
        where current.isLowerBound == next.isLowerBound {
            throw fail("two \(current.isLowerBound ? "lower" : "upper") bounds in a row ('\(current.rawValue)' then '\(next.rawValue)')")
        }
    }

    /// Whether `version` is in the range; `nil` when it is not a valid version
    /// of the range's scheme.
    public func contains(_ version: String) -> Bool? {
        if constraints.isEmpty { return true }
        guard let tested = scheme.parse(version) else { return nil }
        return contains(tested)
    }

    func contains(_ tested: ParsedVersion) -> Bool? {
        if constraints.isEmpty { return true }
        var order: [ComparisonResult] = []
        order.reserveCapacity(parsed.count)
        for bound in parsed {
            guard let result = tested.compare(bound) else { return nil }
            order.append(result)
        }
        for (constraint, result) in zip(constraints, order) where result == .orderedSame {
            switch constraint.comparator {
            case .equal, .lessOrEqual, .greaterOrEqual: return true
            case .notEqual: return false
            case .less, .greater: break
            }
        }
        let bounds = zip(constraints, order).filter { $0.0.comparator.isLowerBound || $0.0.comparator.isUpperBound }
        guard let first = bounds.first, let last = bounds.last else { return false }
        if first.0.comparator.isUpperBound, first.1 == .orderedAscending { return true }
        if last.0.comparator.isLowerBound, last.1 == .orderedDescending { return true }
        for (current, next) in zip(bounds, bounds.dropFirst())
        where current.0.comparator.isLowerBound && next.0.comparator.isUpperBound
            && current.1 == .orderedDescending && next.1 == .orderedAscending {
            return true
        }
        return false
    }

    public var description: String {
        guard !constraints.isEmpty else { return "vers:\(scheme.rawValue)/*" }
        let parts = constraints.map { $0.comparator.rawValue + percentEncode($0.version, keeping: versVersionCharacters) }
        return "vers:\(scheme.rawValue)/" + parts.joined(separator: "|")
    }

    public static func == (lhs: VersRange, rhs: VersRange) -> Bool {
        lhs.scheme == rhs.scheme && lhs.constraints == rhs.constraints
    }
}

/// Characters a `vers` version keeps unencoded: printable ASCII except
/// `> < = ! * | %` and space.
private let versVersionCharacters: Set<UInt8> = Set((0x21...0x7E).map(UInt8.init)).subtracting(Array("><=!*|%".utf8))
