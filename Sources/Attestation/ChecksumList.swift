import CryptoIO
import Foundation

/// Largest checksum list passbox reads (`SHA256SUMS` of a million files is ~100 MiB
/// with long names; vendors' lists are far smaller).
public let maxChecksumListBytes = 64 << 20
/// Most lines a checksum list may have (blank lines included).
public let maxChecksumListLines = 1_000_000

/// A checksum list that could not be read. Strict: one bad line rejects the list.
public struct ChecksumListError: Error, CustomStringConvertible, Sendable, Equatable {
    /// 1-based line number, nil for problems of the whole list.
    public let line: Int?
    public let message: String

    public init(line: Int?, _ message: String) {
        self.line = line
        self.message = message
    }

    public var description: String {
        line.map { "line \($0): \(message)" } ?? message
    }
}

/// One line of a checksum list.
public struct ChecksumEntry: Sendable, Equatable {
    /// Normalised like a Statement subject name (`./a//b` is `a/b`).
    public var name: String
    public var algorithm: DigestAlgorithm
    /// Lower-case hex.
    public var hex: String
    /// Where it stood (1-based).
    public var line: Int

    public init(name: String, algorithm: DigestAlgorithm, hex: String, line: Int) {
        self.name = name
        self.algorithm = algorithm
        self.hex = hex
        self.line = line
    }
}

/// A parsed `SHA256SUMS`-style list: GNU (`HASH  name`, `HASH *name`, `\HASH  esc\\aped`)
/// or BSD (`SHA256 (name) = HASH`, as `sha256sum --tag` and BSD `sha256` write it).
///
/// Parsing is strict: every non-blank line must be an entry, MD5 and SHA-1 lists are
/// rejected as weak, a name listed twice with different digests is an error. Parse
/// only bytes whose detached signature verified.
public struct ChecksumList: Sendable, Equatable {
    public enum Style: String, Sendable { case gnu, bsd, mixed }

    /// In file order.
    public var entries: [ChecksumEntry]
    public var style: Style

    /// One subject per distinct name (first-seen order), with every algorithm listed for it:
    /// what a signed checksum list vouches for, in the same shape as a Statement's.
    public var subjects: [Subject] {
        var index: [String: Int] = [:]
        var out: [Subject] = []
        for e in entries {
            if let i = index[e.name] {
                out[i].digests[e.algorithm] = e.hex
            } else {
                index[e.name] = out.count
                out.append(Subject(name: e.name, digests: [e.algorithm: e.hex]))
            }
        }
        return out
    }

    public static func parse(_ data: Data) throws -> ChecksumList {
        guard data.count <= maxChecksumListBytes else {
            throw ChecksumListError(line: nil, "checksum list is \(data.count) bytes; at most \(maxChecksumListBytes) are read")
        }
        return try parse(bytes: [UInt8](data))
    }

    public static func parse(bytes: [UInt8]) throws -> ChecksumList {
        guard bytes.count <= maxChecksumListBytes else {
            throw ChecksumListError(line: nil, "checksum list is \(bytes.count) bytes; at most \(maxChecksumListBytes) are read")
        }
        var entries: [ChecksumEntry] = []
        var seen: [NameAlgorithm: Int] = [:]
        var sawGNU = false, sawBSD = false
        var lineNumber = 0
        var start = 0
        let count = bytes.count
        // A UTF-8 byte-order mark at the very start is not part of the first name.
        if count >= 3, bytes[0] == 0xef, bytes[1] == 0xbb, bytes[2] == 0xbf { start = 3 }
        while start < count {
            var end = start
            while end < count, bytes[end] != 0x0a { end += 1 }
            lineNumber += 1
            guard lineNumber <= maxChecksumListLines else {
                throw ChecksumListError(line: nil, "checksum list has more than \(maxChecksumListLines) lines")
            }
            var lineEnd = end
            if lineEnd > start, bytes[lineEnd - 1] == 0x0d { lineEnd -= 1 }
            defer { start = end + 1 }
            if lineEnd == start { continue }  // blank line
            let line = bytes[start..<lineEnd]
            let parsed = try parseLine(line, number: lineNumber)
            if parsed.bsd { sawBSD = true } else { sawGNU = true }
            let key = NameAlgorithm(name: parsed.name, algorithm: parsed.algorithm)
            if let previous = seen[key] {
                if entries[previous].hex == parsed.hex { continue }
                throw ChecksumListError(line: lineNumber, "\(parsed.algorithm.rawValue) of \(quoted(parsed.name)) is listed twice with different values (first on line \(entries[previous].line))")
            }
            seen[key] = entries.count
            entries.append(ChecksumEntry(name: parsed.name, algorithm: parsed.algorithm, hex: parsed.hex, line: lineNumber))
        }
        guard !entries.isEmpty else { throw ChecksumListError(line: nil, "checksum list has no entries") }
        let style: Style = sawGNU && sawBSD ? .mixed : (sawBSD ? .bsd : .gnu)
        return ChecksumList(entries: entries, style: style)
    }

    private struct NameAlgorithm: Hashable {
        var name: String
        var algorithm: DigestAlgorithm
    }

    private struct ParsedLine {
        var name: String
        var algorithm: DigestAlgorithm
        var hex: String
        var bsd: Bool
    }

    private static func parseLine(_ line: ArraySlice<UInt8>, number: Int) throws -> ParsedLine {
        var rest = line
        // GNU coreutils puts a backslash first when the name holds `\`, newline or CR.
        var escaped = false
        if rest.first == UInt8(ascii: "\\") {
            escaped = true
            rest = rest.dropFirst()
        }
        guard let first = rest.first else { throw malformed(number, "empty entry") }
        if isHexDigit(first) {
            // GNU: HEX, one space, then ' ' (text) or '*' (binary), then the name.
            var i = rest.startIndex
            while i < rest.endIndex, isHexDigit(rest[i]) { i += 1 }
            let hexBytes = rest[rest.startIndex..<i]
            // A BSD tag can start with hex letters too ("BLAKE2b (x) = ..."): a GNU line has a space here.
            if i < rest.endIndex, rest[i] == 0x20 {
                guard i + 1 < rest.endIndex, rest[i + 1] == 0x20 || rest[i + 1] == UInt8(ascii: "*") else {
                    throw malformed(number, "expected two spaces or ' *' between the digest and the name")
                }
                let algorithm = try algorithmForHexLength(hexBytes.count, line: number)
                let name = try entryName(rest[(i + 2)...], escaped: escaped, line: number)
                return ParsedLine(name: name, algorithm: algorithm, hex: lowercased(hexBytes), bsd: false)
            }
        }
        // BSD: TAG " (" name ") = " HEX
        guard let open = firstIndex(of: [0x20, 0x28], in: rest) else {
            throw malformed(number, "neither 'HASH  name' (GNU) nor 'ALGO (name) = HASH' (BSD)")
        }
        let tag = String(decoding: rest[rest.startIndex..<open], as: UTF8.self)
        guard let close = lastIndex(of: Array(") = ".utf8), in: rest), close > open + 1 else {
            throw malformed(number, "BSD entry without ') = ' after the name")
        }
        let algorithm = try algorithmForTag(tag, line: number)
        let hexBytes = rest[(close + 4)...]
        guard !hexBytes.isEmpty, hexBytes.allSatisfy(isHexDigit) else {
            throw malformed(number, "\(tag) value is not hexadecimal")
        }
        guard hexBytes.count == algorithm.byteCount * 2 else {
            throw malformed(number, "\(tag) value has \(hexBytes.count) hex digits; \(algorithm.byteCount * 2) expected")
        }
        let name = try entryName(rest[(open + 2)..<close], escaped: escaped, line: number)
        return ParsedLine(name: name, algorithm: algorithm, hex: lowercased(hexBytes), bsd: true)
    }

    private static func algorithmForHexLength(_ n: Int, line: Int) throws -> DigestAlgorithm {
        switch n {
        case 64: return .sha256
        case 96: return .sha384
        case 128: return .sha512
        case 32: throw malformed(line, "a 32-digit digest is MD5, which is too weak to vouch for content; use SHA-256 or stronger")
        case 40: throw malformed(line, "a 40-digit digest is SHA-1, which is too weak to vouch for content; use SHA-256 or stronger")
        case 56: throw malformed(line, "a 56-digit digest (SHA-224) is not accepted; use SHA-256, SHA-384 or SHA-512")
        default: throw malformed(line, "a digest of \(n) hex digits is none of SHA-256 (64), SHA-384 (96), SHA-512 (128)")
        }
    }

    private static func algorithmForTag(_ tag: String, line: Int) throws -> DigestAlgorithm {
        switch tag.uppercased() {
        case "SHA256", "SHA2-256", "SHA-256": return .sha256
        case "SHA384", "SHA2-384", "SHA-384": return .sha384
        case "SHA512", "SHA2-512", "SHA-512": return .sha512
        case "MD5": throw malformed(line, "MD5 is too weak to vouch for content; use SHA-256 or stronger")
        case "SHA1", "SHA-1": throw malformed(line, "SHA-1 is too weak to vouch for content; use SHA-256 or stronger")
        default: throw malformed(line, "unsupported digest '\(tag.prefix(40))' (SHA256, SHA384 and SHA512 are accepted)")
        }
    }

    /// Unescapes (GNU `\\`, `\n`, `\r`), checks UTF-8 and the path, normalises.
    private static func entryName(_ raw: ArraySlice<UInt8>, escaped: Bool, line: Int) throws -> String {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(raw.count)
        if escaped {
            var i = raw.startIndex
            while i < raw.endIndex {
                let b = raw[i]
                if b == UInt8(ascii: "\\") {
                    guard i + 1 < raw.endIndex else { throw malformed(line, "name ends in a lone backslash") }
                    switch raw[i + 1] {
                    case UInt8(ascii: "\\"): bytes.append(UInt8(ascii: "\\"))
                    case UInt8(ascii: "n"): bytes.append(0x0a)
                    case UInt8(ascii: "r"): bytes.append(0x0d)
                    default: throw malformed(line, "unknown escape '\\\(Character(Unicode.Scalar(raw[i + 1])))' in the name")
                    }
                    i += 2
                } else {
                    bytes.append(b)
                    i += 1
                }
            }
        } else {
            bytes.append(contentsOf: raw)
        }
        guard !bytes.isEmpty else { throw malformed(line, "empty file name") }
        guard !bytes.contains(0) else { throw malformed(line, "file name contains a NUL byte") }
        guard let text = String(validating: bytes, as: UTF8.self) else {
            throw malformed(line, "file name is not UTF-8")
        }
        guard !text.hasPrefix("/") else {
            throw malformed(line, "absolute file name \(quoted(text)): names are relative to the list's directory")
        }
        let name = normalizeSubjectName(text)
        guard !name.isEmpty else { throw malformed(line, "file name \(quoted(text)) names no file") }
        guard !name.split(separator: "/").contains("..") else {
            throw malformed(line, "file name \(quoted(text)) climbs out of the list's directory")
        }
        return name
    }

    private static func malformed(_ line: Int, _ message: String) -> ChecksumListError {
        ChecksumListError(line: line, message)
    }
}

private func quoted(_ s: String) -> String {
    "'\(s.prefix(200))'"
}

@inline(__always)
private func isHexDigit(_ c: UInt8) -> Bool {
    (c >= 0x30 && c <= 0x39) || (c >= 0x61 && c <= 0x66) || (c >= 0x41 && c <= 0x46)
}

private func lowercased(_ hex: ArraySlice<UInt8>) -> String {
    String(decoding: hex.map { ($0 >= 0x41 && $0 <= 0x46) ? $0 + 0x20 : $0 }, as: UTF8.self)
}

private func firstIndex(of needle: [UInt8], in hay: ArraySlice<UInt8>) -> Int? {
    guard hay.count >= needle.count else { return nil }
    var i = hay.startIndex
    while i + needle.count <= hay.endIndex {
        if hay[i..<(i + needle.count)].elementsEqual(needle) { return i }
        i += 1
    }
    return nil
}

private func lastIndex(of needle: [UInt8], in hay: ArraySlice<UInt8>) -> Int? {
    guard hay.count >= needle.count else { return nil }
    var i = hay.endIndex - needle.count
    while i >= hay.startIndex {
        if hay[i..<(i + needle.count)].elementsEqual(needle) { return i }
        i -= 1
    }
    return nil
}
