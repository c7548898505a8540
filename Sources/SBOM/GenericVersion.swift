import Foundation

/// The fallback order of `VersionScheme.generic`: runs of digits compare
/// numerically and runs of letters case-insensitively; everything else only
/// separates runs. See `VersionScheme` for how missing parts compare.
struct GenericVersion: Sendable {
    enum Part: Sendable {
        case number(Numeral)
        case word(String)
    }

    let parts: [Part]

    init(_ text: String) {
        var parts: [Part] = []
        var scanner = ByteScanner(Array(text.lowercased().utf8))
        while !scanner.atEnd {
            if let number = scanner.digits() {
                parts.append(.number(number))
                continue
            }
            let word = scanner.run(while: \.isASCIILetter)
            if word.isEmpty {
                scanner.advance()
            } else {
                parts.append(.word(String(decoding: word, as: UTF8.self)))
            }
        }
        self.parts = parts
    }

    func compare(_ other: GenericVersion) -> ComparisonResult {
        for i in 0..<max(parts.count, other.parts.count) {
            let result = Self.compare(i < parts.count ? parts[i] : nil, i < other.parts.count ? other.parts[i] : nil)
            if result != .orderedSame { return result }
        }
        return .orderedSame
    }

    private static func compare(_ a: Part?, _ b: Part?) -> ComparisonResult {
        switch (a, b) {
        case (nil, nil): return .orderedSame
        case let (.number(m)?, .number(n)?): return m.compare(n)
        case let (.word(m)?, .word(n)?): return compareBytes(m, n)
        case (.number?, .word?): return .orderedDescending
        case (.word?, .number?): return .orderedAscending
        case let (nil, .number(n)?): return Numeral.zero.compare(n)
        case let (.number(m)?, nil): return m.compare(.zero)
        case (nil, .word?): return .orderedDescending
        case (.word?, nil): return .orderedAscending
        }
    }
}
