import Foundation

/// A Semantic Versioning 2.0 version (`1.2.3-rc.1+build.5`), as npm, Cargo and
/// Go order them. A leading `v` or `V` is accepted, and a missing minor or
/// patch number counts as 0 (`5` is `5.0.0`, as in `vers:npm/<5`); build
/// metadata is kept out of the order.
struct SemanticVersion: Sendable {
    enum Identifier: Sendable {
        case numeric(Numeral)
        case alphanumeric(Substring)
    }

    let major: Numeral
    let minor: Numeral
    let patch: Numeral
    let prerelease: [Identifier]

    init?(_ text: String) {
        var rest = Substring(text)
        if rest.first == "v" || rest.first == "V" { rest = rest.dropFirst() }
        if let plus = rest.firstIndex(of: "+") {
            let build = rest[rest.index(after: plus)...]
            guard build.split(separator: ".", omittingEmptySubsequences: false)
                .allSatisfy(Self.isIdentifier) else { return nil }
            rest = rest[..<plus]
        }
        var prerelease: [Identifier] = []
        if let dash = rest.firstIndex(of: "-") {
            for part in rest[rest.index(after: dash)...].split(separator: ".", omittingEmptySubsequences: false) {
                guard Self.isIdentifier(part) else { return nil }
                if part.utf8.allSatisfy(\.isASCIIDigit) {
                    guard Self.hasNoLeadingZero(part) else { return nil }
                    prerelease.append(.numeric(Numeral(part)))
                } else {
                    prerelease.append(.alphanumeric(part))
                }
            }
            rest = rest[..<dash]
        }
        let core = rest.split(separator: ".", omittingEmptySubsequences: false)
        guard (1...3).contains(core.count),
              core.allSatisfy({ !$0.isEmpty && $0.utf8.allSatisfy(\.isASCIIDigit) && Self.hasNoLeadingZero($0) })
        else { return nil }
        major = Numeral(core[0])
        minor = core.count > 1 ? Numeral(core[1]) : .zero
        patch = core.count > 2 ? Numeral(core[2]) : .zero
        self.prerelease = prerelease
    }

    private static func isIdentifier(_ part: Substring) -> Bool {
        !part.isEmpty && part.utf8.allSatisfy { $0.isASCIIDigit || $0.isASCIILetter || $0 == UInt8(ascii: "-") }
    }

    private static func hasNoLeadingZero(_ digits: Substring) -> Bool {
        digits.count == 1 || digits.first != "0"
    }

    func compare(_ other: SemanticVersion) -> ComparisonResult {
        major.compare(other.major)
            .then(minor.compare(other.minor))
            .then(patch.compare(other.patch))
            .then(comparePrerelease(other.prerelease))
    }

    /// A version with a pre-release sorts before the same version without one;
    /// identifiers compare left to right, numbers below words.
    private func comparePrerelease(_ other: [Identifier]) -> ComparisonResult {
        switch (prerelease.isEmpty, other.isEmpty) {
        case (true, true): return .orderedSame
        case (true, false): return .orderedDescending
        case (false, true): return .orderedAscending
        case (false, false): break
        }
        for (a, b) in zip(prerelease, other) {
            let result: ComparisonResult
            switch (a, b) {
            case let (.numeric(x), .numeric(y)): result = x.compare(y)
            case (.numeric, .alphanumeric): result = .orderedAscending
            case (.alphanumeric, .numeric): result = .orderedDescending
            case let (.alphanumeric(x), .alphanumeric(y)): result = compareBytes(x, y)
            }
            if result != .orderedSame { return result }
        }
        return prerelease.count == other.count ? .orderedSame
            : (prerelease.count < other.count ? .orderedAscending : .orderedDescending)
    }
}
