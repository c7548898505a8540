import Foundation

/// A Debian package version, `[epoch:]upstream[-revision]`, ordered like dpkg:
/// epochs numerically, then upstream and revision with dpkg's algorithm, in
/// which `~` sorts before everything, even the end of the string (`1.0~rc1 <
/// 1.0`), and letters sort before other punctuation.
struct DebianVersion: Sendable {
    let epoch: Numeral
    let upstream: [UInt8]
    let revision: [UInt8]

    init?(_ text: String) {
        var rest = Substring(text)
        if let colon = rest.firstIndex(of: ":") {
            let epoch = rest[..<colon]
            guard !epoch.isEmpty, epoch.utf8.allSatisfy(\.isASCIIDigit) else { return nil }
            self.epoch = Numeral(epoch)
            rest = rest[rest.index(after: colon)...]
        } else {
            epoch = .zero
        }
        if let dash = rest.lastIndex(of: "-") {
            revision = Array(rest[rest.index(after: dash)...].utf8)
            rest = rest[..<dash]
            guard !revision.isEmpty else { return nil }
        } else {
            revision = []
        }
        upstream = Array(rest.utf8)
        guard let first = upstream.first, first.isASCIIDigit else { return nil }
        let punctuation = Array(".+~-:".utf8)
        let allowed: (UInt8) -> Bool = { $0.isASCIIDigit || $0.isASCIILetter || punctuation.contains($0) }
        guard upstream.allSatisfy(allowed), revision.allSatisfy(allowed) else { return nil }
    }

    func compare(_ other: DebianVersion) -> ComparisonResult {
        epoch.compare(other.epoch)
            .then(Self.compareFragment(upstream, other.upstream))
            .then(Self.compareFragment(revision, other.revision))
    }

    /// dpkg's weight of a non-digit byte (`nil`: the end of the string).
    private static func order(_ byte: UInt8?) -> Int {
        guard let byte else { return 0 }
        if byte.isASCIIDigit { return 0 }
        if byte.isASCIILetter { return Int(byte) }
        if byte == UInt8(ascii: "~") { return -1 }
        return Int(byte) + 256
    }

    /// dpkg's `verrevcmp`: alternately compare non-digit runs by `order` and
    /// digit runs numerically.
    private static func compareFragment(_ a: [UInt8], _ b: [UInt8]) -> ComparisonResult {
        var i = 0
        var j = 0
        func at(_ bytes: [UInt8], _ index: Int) -> UInt8? { index < bytes.count ? bytes[index] : nil }

        while i < a.count || j < b.count {
            // Non-digit prefix.
            while (at(a, i).map { !$0.isASCIIDigit } ?? false) || (at(b, j).map { !$0.isASCIIDigit } ?? false) {
                let ac = order(at(a, i))
                let bc = order(at(b, j))
                if ac != bc { return ac < bc ? .orderedAscending : .orderedDescending }
                i += 1
                j += 1
            }
            // Digit run, leading zeros skipped.
            while at(a, i) == UInt8(ascii: "0") { i += 1 }
            while at(b, j) == UInt8(ascii: "0") { j += 1 }
            var firstDifference = 0
            while let x = at(a, i), let y = at(b, j), x.isASCIIDigit, y.isASCIIDigit {
                if firstDifference == 0 { firstDifference = Int(x) - Int(y) }
                i += 1
                j += 1
            }
            if at(a, i)?.isASCIIDigit == true { return .orderedDescending }
            if at(b, j)?.isASCIIDigit == true { return .orderedAscending }
            if firstDifference != 0 { return firstDifference < 0 ? .orderedAscending : .orderedDescending }
        }
        return .orderedSame
    }
}
