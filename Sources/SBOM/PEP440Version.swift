import Foundation

/// A Python package version as PEP 440 defines and orders it:
/// `[N!]N(.N)*[{a|b|rc}N][.postN][.devN][+local]`, with the normalisations PEP
/// 440 allows (case, `v` prefix, `-`/`_`/`.` separators, `alpha`/`beta`/`c`/
/// `pre`/`preview`, `rev`/`r`, implicit numbers, `1.0-1` as a post-release).
struct PEP440Version: Sendable {
    enum LocalPart: Sendable {
        case number(Numeral)
        case word(String)
    }

    let epoch: Numeral
    /// Release numbers without trailing zeros (`1.0.0` is `[1]`).
    let release: [Numeral]
    /// `a` = 0, `b` = 1, `rc` = 2, and the pre-release number.
    let pre: (rank: Int, number: Numeral)?
    let post: Numeral?
    let dev: Numeral?
    let local: [LocalPart]?

    init?(_ text: String) {
        var scanner = ByteScanner(Array(text.lowercased().trimmed.utf8))
        if scanner.peek == UInt8(ascii: "v") { scanner.advance() }

        guard let first = scanner.digits() else { return nil }
        var epoch = Numeral.zero
        var release = [first]
        if scanner.take(UInt8(ascii: "!")) {
            epoch = first
            guard let number = scanner.digits() else { return nil }
            release = [number]
        }
        while scanner.peek == UInt8(ascii: "."), scanner.peek(1)?.isASCIIDigit == true {
            scanner.advance()
            if let number = scanner.digits() { release.append(number) }
        }
        while release.last?.isZero == true { release.removeLast() }
        self.epoch = epoch
        self.release = release

        pre = Self.labelled(&scanner, labels: Self.preLabels, order: Self.preOrder)
        if scanner.peek == UInt8(ascii: "-"), scanner.peek(1)?.isASCIIDigit == true {
            scanner.advance()
            post = scanner.digits()
        } else {
            post = Self.labelled(&scanner, labels: Self.postLabels, order: Self.postOrder)?.number
        }
        dev = Self.labelled(&scanner, labels: Self.devLabels, order: Self.devOrder)?.number

        if scanner.take(UInt8(ascii: "+")) {
            var parts: [LocalPart] = []
            repeat {
                let word = scanner.run { $0.isASCIIDigit || $0.isASCIILetter }
                guard !word.isEmpty else { return nil }
                let text = String(decoding: word, as: UTF8.self)
                parts.append(word.allSatisfy(\.isASCIIDigit) ? .number(Numeral(text)) : .word(text))
            } while scanner.takeSeparator()
            local = parts
        } else {
            local = nil
        }
        guard scanner.atEnd else { return nil }
    }

    // Built once (as literals at the call they were built for every version parsed).
    private static let preLabels = ["alpha": 0, "a": 0, "beta": 1, "b": 1, "preview": 2, "pre": 2, "c": 2, "rc": 2]
    private static let preOrder = ["alpha", "a", "beta", "b", "preview", "pre", "rc", "c"]
    private static let postLabels = ["post": 0, "rev": 0, "r": 0]
    private static let postOrder = ["post", "rev", "r"]
    private static let devLabels = ["dev": 0]
    private static let devOrder = ["dev"]

    /// `[sep] label [sep] [number]`, restoring the scanner when no label follows.
    private static func labelled(
        _ scanner: inout ByteScanner, labels: [String: Int], order: [String]
    ) -> (rank: Int, number: Numeral)? {
        let start = scanner.position
        _ = scanner.takeSeparator()
        guard let label = order.first(where: { scanner.take(word: $0) }), let rank = labels[label] else {
            scanner.position = start
            return nil
        }
        let afterLabel = scanner.position
        _ = scanner.takeSeparator()
        if let number = scanner.digits() { return (rank, number) }
        scanner.position = afterLabel
        return (rank, .zero)
    }

    func compare(_ other: PEP440Version) -> ComparisonResult {
        epoch.compare(other.epoch)
            .then(Self.compareRelease(release, other.release))
            .then(preKey.compare(other.preKey))
            .then(Key(post, absent: .lowest).compare(Key(other.post, absent: .lowest)))
            .then(Key(dev, absent: .highest).compare(Key(other.dev, absent: .highest)))
            .then(compareLocal(other.local))
    }

    private static func compareRelease(_ a: [Numeral], _ b: [Numeral]) -> ComparisonResult {
        for (x, y) in zip(a, b) {
            let result = x.compare(y)
            if result != .orderedSame { return result }
        }
        return a.count == b.count ? .orderedSame : (a.count < b.count ? .orderedAscending : .orderedDescending)
    }

    /// A dev-release of a final version sorts before its pre-releases
    /// (`1.0.dev0 < 1.0a0`); a final or post-release sorts after them.
    private var preKey: Key {
        if let pre { return Key(.value(pre.rank, pre.number)) }
        if post == nil, dev != nil { return Key(.lowest) }
        return Key(.highest)
    }

    /// No local part sorts first; numeric parts sort after words.
    private func compareLocal(_ other: [LocalPart]?) -> ComparisonResult {
        switch (local, other) {
        case (nil, nil): return .orderedSame
        case (nil, _): return .orderedAscending
        case (_, nil): return .orderedDescending
        case let (a?, b?):
            for (x, y) in zip(a, b) {
                let result: ComparisonResult
                switch (x, y) {
                case let (.number(m), .number(n)): result = m.compare(n)
                case (.number, .word): result = .orderedDescending
                case (.word, .number): result = .orderedAscending
                case let (.word(m), .word(n)): result = compareBytes(m, n)
                }
                if result != .orderedSame { return result }
            }
            return a.count == b.count ? .orderedSame : (a.count < b.count ? .orderedAscending : .orderedDescending)
        }
    }

    /// A sort key with the infinities PEP 440's ordering needs.
    private struct Key {
        enum Middle {
            case lowest
            case value(Int, Numeral)
            case highest
        }

        let value: Middle

        init(_ value: Middle) { self.value = value }

        /// A number, or `absent` when there is none.
        init(_ number: Numeral?, absent: Middle) {
            value = number.map { .value(0, $0) } ?? absent
        }

        func compare(_ other: Key) -> ComparisonResult {
            switch (value, other.value) {
            case (.lowest, .lowest), (.highest, .highest): return .orderedSame
            case (.lowest, _), (_, .highest): return .orderedAscending
            case (_, .lowest), (.highest, _): return .orderedDescending
            case let (.value(r, m), .value(s, n)):
                return r == s ? m.compare(n) : (r < s ? .orderedAscending : .orderedDescending)
            }
        }
    }
}

/// Reads ASCII input byte by byte.
struct ByteScanner {
    let bytes: [UInt8]
    var position = 0

    init(_ bytes: [UInt8]) { self.bytes = bytes }

    var atEnd: Bool { position >= bytes.count }
    var peek: UInt8? { peek(0) }

    func peek(_ offset: Int) -> UInt8? {
        position + offset < bytes.count ? bytes[position + offset] : nil
    }

    mutating func advance() { position += 1 }

    mutating func take(_ byte: UInt8) -> Bool {
        guard peek == byte else { return false }
        position += 1
        return true
    }

    /// Consumes `word` (lowercase ASCII) when the input continues with it.
    mutating func take(word: String) -> Bool {
        let utf8 = word.utf8
        guard position + utf8.count <= bytes.count,
              bytes[position..<(position + utf8.count)].elementsEqual(utf8) else { return false }
        position += utf8.count
        return true
    }

    /// One of `-`, `_`, `.`.
    mutating func takeSeparator() -> Bool {
        guard let byte = peek, byte == UInt8(ascii: "-") || byte == UInt8(ascii: "_") || byte == UInt8(ascii: ".")
        else { return false }
        position += 1
        return true
    }

    /// The longest run of bytes satisfying `predicate` (possibly empty).
    mutating func run(while predicate: (UInt8) -> Bool) -> ArraySlice<UInt8> {
        let start = position
        while let byte = peek, predicate(byte) { position += 1 }
        return bytes[start..<position]
    }

    /// One or more ASCII digits.
    mutating func digits() -> Numeral? {
        let run = run(while: \.isASCIIDigit)
        return run.isEmpty ? nil : Numeral(String(decoding: run, as: UTF8.self))
    }
}
