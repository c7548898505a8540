import Foundation

/// An SPDX license expression: license identifiers (`MIT`, `GPL-2.0+`,
/// `LicenseRef-acme`, `DocumentRef-x:LicenseRef-y`), `WITH` exceptions, `AND`,
/// `OR` and parentheses. `WITH` binds tighter than `AND`, `AND` tighter than
/// `OR`. Operators are matched case-insensitively. Expressions are bounded in
/// length (64 KiB) and parenthesis depth (64).
public indirect enum LicenseExpression: Sendable, Hashable, CustomStringConvertible {
    case license(LicenseTerm)
    case and([LicenseExpression])
    case or([LicenseExpression])

    static let maxLength = 64 << 10
    static let maxDepth = 64

    public init(_ text: String) throws(SBOMSyntaxError) {
        guard text.utf8.count <= Self.maxLength else {
            throw SBOMSyntaxError(String(text.prefix(80)) + "...", "license expression longer than \(Self.maxLength) bytes")
        }
        var parser = LicenseExpressionParser(text: text)
        self = try parser.parseWhole()
    }

    /// Every license term, left to right.
    public var terms: [LicenseTerm] {
        switch self {
        case let .license(term): return [term]
        case let .and(parts), let .or(parts): return parts.flatMap(\.terms)
        }
    }

    /// The canonical text: operators uppercase, parentheses only where needed.
    public var description: String {
        switch self {
        case let .license(term): return term.description
        case let .and(parts):
            return parts.map { part in
                if case .or = part { return "(\(part))" }
                return part.description
            }.joined(separator: " AND ")
        case let .or(parts):
            return parts.map(\.description).joined(separator: " OR ")
        }
    }
}

/// One license of an expression: an identifier, `+` (or any later version),
/// and an optional `WITH` exception or addition.
public struct LicenseTerm: Sendable, Hashable, CustomStringConvertible {
    /// The identifier as written (`GPL-2.0-only`, `LicenseRef-acme`).
    public var id: String
    public var orLater: Bool
    public var exception: String?

    public init(id: String, orLater: Bool = false, exception: String? = nil) {
        self.id = id
        self.orLater = orLater
        self.exception = exception
    }

    /// The identifier with its `+`, without the exception.
    public var license: String { orLater ? id + "+" : id }

    public var description: String {
        guard let exception else { return license }
        return "\(license) WITH \(exception)"
    }
}

private struct LicenseExpressionParser {
    enum Token: Equatable {
        case word(Substring)
        case open, close
        case and, or, with
    }

    let text: String
    private var tokens: [Token] = []
    private var index = 0
    private var depth = 0

    init(text: String) { self.text = text }

    private func fail(_ message: String) -> SBOMSyntaxError { SBOMSyntaxError(text, message) }

    mutating func parseWhole() throws(SBOMSyntaxError) -> LicenseExpression {
        tokens = tokenize()
        guard !tokens.isEmpty else { throw fail("empty license expression") }
        let expression = try parseOr()
        guard index == tokens.count else { throw fail("unexpected \(describe(tokens[index]))") }
        return expression
    }

    private func tokenize() -> [Token] {
        var tokens: [Token] = []
        let utf8 = text.utf8
        var index = utf8.startIndex
        func isSpace(_ byte: UInt8) -> Bool { byte == 0x20 || (0x09...0x0D).contains(byte) }
        while index < utf8.endIndex {
            let byte = utf8[index]
            if isSpace(byte) {
                index = utf8.index(after: index)
            } else if byte == UInt8(ascii: "(") || byte == UInt8(ascii: ")") {
                tokens.append(byte == UInt8(ascii: "(") ? .open : .close)
                index = utf8.index(after: index)
            } else {
                var end = index
                while end < utf8.endIndex, !isSpace(utf8[end]), utf8[end] != UInt8(ascii: "("), utf8[end] != UInt8(ascii: ")") {
                    end = utf8.index(after: end)
                }
                let word = text[index..<end]
                if Self.equalsIgnoringCase(word, "and") {
                    tokens.append(.and)
                } else if Self.equalsIgnoringCase(word, "or") {
                    tokens.append(.or)
                } else if Self.equalsIgnoringCase(word, "with") {
                    tokens.append(.with)
                } else {
                    tokens.append(.word(word))
                }
                index = end
            }
        }
        return tokens
    }

    /// ASCII case-insensitive equality with a lowercase word.
    private static func equalsIgnoringCase(_ word: Substring, _ lowercase: String) -> Bool {
        word.utf8.count == lowercase.utf8.count && zip(word.utf8, lowercase.utf8).allSatisfy { $0 | 0x20 == $1 }
    }

    private func describe(_ token: Token) -> String {
        switch token {
        case let .word(word): return "'\(word)'"
        case .open: return "'('"
        case .close: return "')'"
        case .and: return "AND"
        case .or: return "OR"
        case .with: return "WITH"
        }
    }

    private mutating func next() -> Token? {
        guard index < tokens.count else { return nil }
        defer { index += 1 }
        return tokens[index]
    }

    private var peek: Token? { index < tokens.count ? tokens[index] : nil }

    private mutating func parseOr() throws(SBOMSyntaxError) -> LicenseExpression {
        var parts = [try parseAnd()]
        while peek == .or {
            index += 1
            parts.append(try parseAnd())
        }
        return parts.count == 1 ? parts[0] : .or(parts)
    }

    private mutating func parseAnd() throws(SBOMSyntaxError) -> LicenseExpression {
        var parts = [try parsePrimary()]
        while peek == .and {
            index += 1
            parts.append(try parsePrimary())
        }
        return parts.count == 1 ? parts[0] : .and(parts)
    }

    private mutating func parsePrimary() throws(SBOMSyntaxError) -> LicenseExpression {
        switch next() {
        case .open?:
            depth += 1
            guard depth <= LicenseExpression.maxDepth else {
                throw fail("parentheses nested deeper than \(LicenseExpression.maxDepth)")
            }
            let inner = try parseOr()
            guard next() == .close else { throw fail("missing ')'") }
            depth -= 1
            if peek == .with { throw fail("WITH must follow a single license, not a parenthesised expression") }
            return inner
        case let .word(word)?:
            var term = try licenseTerm(word)
            if peek == .with {
                index += 1
                guard case let .word(exception)? = next() else { throw fail("WITH must be followed by an exception identifier") }
                guard Self.isReference(exception, prefix: "AdditionRef-") || Self.isIdString(exception) else {
                    throw fail("invalid exception identifier '\(exception)'")
                }
                term.exception = String(exception)
            }
            return .license(term)
        case let token?:
            throw fail("expected a license, found \(describe(token))")
        case nil:
            throw fail("expression ends where a license was expected")
        }
    }

    private func licenseTerm(_ word: Substring) throws(SBOMSyntaxError) -> LicenseTerm {
        var id = word
        let orLater = id.hasSuffix("+")
        if orLater { id = id.dropLast() }
        if Self.isReference(id, prefix: "LicenseRef-") {
            guard !orLater else { throw fail("'+' cannot follow a LicenseRef") }
        } else if !Self.isIdString(id) {
            throw fail("invalid license identifier '\(word)'")
        }
        return LicenseTerm(id: String(id), orLater: orLater)
    }

    /// `idstring = 1*(ALPHA / DIGIT / "-" / ".")`
    fileprivate static func isIdString<S: StringProtocol>(_ text: S) -> Bool {
        !text.isEmpty && text.utf8.allSatisfy { $0.isASCIILetter || $0.isASCIIDigit || $0 == UInt8(ascii: "-") || $0 == UInt8(ascii: ".") }
    }

    /// `["DocumentRef-" idstring ":"] prefix idstring`, prefix matched case-insensitively.
    fileprivate static func isReference<S: StringProtocol>(_ text: S, prefix: String) -> Bool {
        var rest = Substring(text)
        if rest.lowercased().hasPrefix("documentref-"), let colon = rest.firstIndex(of: ":") {
            guard isIdString(rest[rest.index(rest.startIndex, offsetBy: 12)..<colon]) else { return false }
            rest = rest[rest.index(after: colon)...]
        }
        guard rest.lowercased().hasPrefix(prefix.lowercased()) else { return false }
        return isIdString(rest.dropFirst(prefix.count))
    }
}

/// Whether `text` is one license identifier (`MIT`, `LicenseRef-x`,
/// `DocumentRef-d:LicenseRef-x`), without `+` or `WITH`.
func isLicenseIdentifier(_ text: String) -> Bool {
    LicenseExpressionParser.isIdString(text) || LicenseExpressionParser.isReference(text, prefix: "LicenseRef-")
}

/// Expressions joined with `operator` (`AND`, `OR`), each in parentheses
/// unless it is a single identifier.
func joinLicenses(_ expressions: [String], with operator: String) -> String {
    guard expressions.count > 1 else { return expressions.first ?? "" }
    return expressions.map { isLicenseIdentifier($0) ? $0 : "(\($0))" }.joined(separator: " \(`operator`) ")
}
