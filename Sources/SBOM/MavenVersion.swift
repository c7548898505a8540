import Foundation

/// A Maven version ordered like Maven's `ComparableVersion`: dots and hyphens
/// separate items, a switch between digits and letters starts a new sub-list,
/// and qualifiers order `alpha < beta < milestone < rc = cr < snapshot <
/// "" = ga = final = release < sp`, unknown qualifiers after those
/// (alphabetically). `a1`, `b1`, `m1` mean `alpha-1`, `beta-1`, `milestone-1`.
/// Trailing "null" items (`0`, `ga`, ...) are dropped, so `1.0.0 = 1`.
struct MavenVersion: Sendable {
    indirect enum Item: Sendable {
        case number(Numeral)
        case qualifier(String)
        case list([Item])
    }

    let items: [Item]

    init(_ text: String) {
        let version = Array(text.lowercased().utf8)
        // Every new sub-list becomes the last item of the list before it and
        // takes all later items, so the lists form a chain, folded at the end.
        var chain: [[Item]] = [[]]
        var isDigit = false
        var start = 0

        func item(_ range: Range<Int>, digits: Bool) -> Item {
            let text = String(decoding: version[range], as: UTF8.self)
            return digits ? .number(Numeral(text)) : Self.qualifier(text, followedByDigit: false)
        }

        for (i, byte) in version.enumerated() {
            if byte == UInt8(ascii: ".") || byte == UInt8(ascii: "-") {
                chain[chain.count - 1].append(i == start ? .number(.zero) : item(start..<i, digits: isDigit))
                start = i + 1
                if byte == UInt8(ascii: "-") { chain.append([]) }
            } else if byte.isASCIIDigit {
                if !isDigit, i > start {
                    let text = String(decoding: version[start..<i], as: UTF8.self)
                    chain[chain.count - 1].append(Self.qualifier(text, followedByDigit: true))
                    start = i
                    chain.append([])
                }
                isDigit = true
            } else {
                if isDigit, i > start {
                    chain[chain.count - 1].append(item(start..<i, digits: true))
                    start = i
                    chain.append([])
                }
                isDigit = false
            }
        }
        if version.count > start {
            chain[chain.count - 1].append(item(start..<version.count, digits: isDigit))
        }

        var folded = Self.normalized(chain.removeLast())
        while var list = chain.popLast() {
            list.append(.list(folded))
            folded = Self.normalized(list)
        }
        items = folded
    }

    private static let qualifierOrder = ["alpha", "beta", "milestone", "rc", "snapshot", "", "sp"]
    private static let releaseRank = "5"

    private static func qualifier(_ text: String, followedByDigit: Bool) -> Item {
        var value = text
        if followedByDigit, value.count == 1 {
            switch value {
            case "a": value = "alpha"
            case "b": value = "beta"
            case "m": value = "milestone"
            default: break
            }
        }
        switch value {
        case "ga", "final", "release": value = ""
        case "cr": value = "rc"
        default: break
        }
        return .qualifier(value)
    }

    /// The string Maven sorts qualifiers by: the rank of a known qualifier, or
    /// `7-<qualifier>` for an unknown one.
    private static func comparable(_ qualifier: String) -> String {
        if let rank = qualifierOrder.firstIndex(of: qualifier) { return String(rank) }
        return "\(qualifierOrder.count)-\(qualifier)"
    }

    private static func isNull(_ item: Item) -> Bool {
        switch item {
        case let .number(n): return n.isZero
        case let .qualifier(q): return comparable(q) == releaseRank
        case let .list(items): return items.isEmpty
        }
    }

    /// Drops trailing null items, looking past non-null sub-lists.
    private static func normalized(_ list: [Item]) -> [Item] {
        var list = list
        var i = list.count - 1
        while i >= 0 {
            if isNull(list[i]) {
                list.remove(at: i)
            } else if case .list = list[i] {
                // keep looking left of a sub-list
            } else {
                break
            }
            i -= 1
        }
        return list
    }

    func compare(_ other: MavenVersion) -> ComparisonResult {
        Self.compare(.list(items), .list(other.items))
    }

    /// `rhs == nil` stands for a missing item (the shorter list's padding).
    private static func compare(_ lhs: Item, _ rhs: Item?) -> ComparisonResult {
        switch lhs {
        case let .number(n):
            switch rhs {
            case nil: return n.isZero ? .orderedSame : .orderedDescending
            case let .number(m)?: return n.compare(m)
            case .qualifier?, .list?: return .orderedDescending
            }
        case let .qualifier(q):
            switch rhs {
            case nil: return compareBytes(comparable(q), releaseRank)
            case .number?: return .orderedAscending
            case let .qualifier(r)?: return compareBytes(comparable(q), comparable(r))
            case .list?: return .orderedAscending
            }
        case let .list(items):
            switch rhs {
            case nil:
                guard let first = items.first else { return .orderedSame }
                return compare(first, nil)
            case .number?: return .orderedAscending
            case .qualifier?: return .orderedDescending
            case let .list(others)?:
                for i in 0..<max(items.count, others.count) {
                    let l = i < items.count ? items[i] : nil
                    let r = i < others.count ? others[i] : nil
                    let result: ComparisonResult
                    if let l {
                        result = compare(l, r)
                    } else if let r {
                        result = invert(compare(r, nil))
                    } else {
                        result = .orderedSame
                    }
                    if result != .orderedSame { return result }
                }
                return .orderedSame
            }
        }
    }

    private static func invert(_ result: ComparisonResult) -> ComparisonResult {
        switch result {
        case .orderedAscending: return .orderedDescending
        case .orderedDescending: return .orderedAscending
        case .orderedSame: return .orderedSame
        }
    }
}
