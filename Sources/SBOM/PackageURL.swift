import Foundation

/// A package URL, `pkg:type/namespace/name@version?qualifiers#subpath`, parsed
/// as the purl specification says: components percent-decoded, the type
/// lowercased, qualifier keys lowercased and qualifiers without a value dropped,
/// empty, `.` and `..` subpath segments dropped, and the type-specific
/// normalisations applied (lowercase names for `npm`, `pypi`, `deb`, `golang`,
/// `github`, ...; `pypi` names with `-` for runs of `-`, `_`, `.`).
public struct PackageURL: Sendable, Hashable, CustomStringConvertible {
    public var type: String
    /// `/`-separated segments, each decoded; `nil` when absent.
    public var namespace: String?
    public var name: String
    public var version: String?
    /// Keys lowercase; `description` writes them sorted.
    public var qualifiers: [String: String]
    public var subpath: String?

    /// Longest purl accepted, in bytes.
    static let maxLength = 8192

    public init(_ text: String) throws(SBOMSyntaxError) {
        func fail(_ message: String) -> SBOMSyntaxError { SBOMSyntaxError(text, message) }
        guard text.utf8.count <= Self.maxLength else { throw fail("longer than \(Self.maxLength) bytes") }
        // Parsed as bytes: every delimiter is ASCII, so pieces between them are whole
        // UTF-8 sequences of `text`.
        let bytes = Array(text.utf8)
        func piece(_ range: Range<Int>) -> String { String(decoding: bytes[range], as: UTF8.self) }
        func decoded(_ range: Range<Int>) -> String? { percentDecode(bytes, range) }
        func first(_ byte: UInt8, in range: Range<Int>) -> Int? { range.first { bytes[$0] == byte } }
        func pieces(_ range: Range<Int>, on separator: UInt8) -> [Range<Int>] {
            var result: [Range<Int>] = []
            var start = range.lowerBound
            for i in range where bytes[i] == separator {
                if start < i { result.append(start..<i) }
                start = i + 1
            }
            if start < range.upperBound { result.append(start..<range.upperBound) }
            return result
        }
        var rest = 0..<bytes.count

        if let hash = first(UInt8(ascii: "#"), in: rest) {
            var segments: [String] = []
            for segment in pieces(hash + 1..<rest.upperBound, on: UInt8(ascii: "/")) {
                if bytes[segment].elementsEqual([0x2E]) || bytes[segment].elementsEqual([0x2E, 0x2E]) { continue }
                guard let segment = decoded(segment) else { throw fail("invalid percent-encoding in the subpath") }
                segments.append(segment)
            }
            subpath = segments.isEmpty ? nil : segments.joined(separator: "/")
            rest = rest.lowerBound..<hash
        } else {
            subpath = nil
        }

        var qualifiers: [String: String] = [:]
        if let question = first(UInt8(ascii: "?"), in: rest) {
            for pair in pieces(question + 1..<rest.upperBound, on: UInt8(ascii: "&")) {
                guard let equals = first(UInt8(ascii: "="), in: pair) else {
                    throw fail("qualifier '\(piece(pair))' has no '='")
                }
                let key = asciiLowercased(bytes, pair.lowerBound..<equals) ?? piece(pair.lowerBound..<equals).lowercased()
                guard let first = key.utf8.first, !first.isASCIIDigit,
                      key.utf8.allSatisfy({ $0.isASCIILetter || $0.isASCIIDigit || $0 == 0x2E || $0 == 0x2D || $0 == 0x5F })
                else { throw fail("invalid qualifier key '\(key)'") }
                guard let value = decoded(equals + 1..<pair.upperBound) else {
                    throw fail("invalid percent-encoding in qualifier '\(key)'")
                }
                guard qualifiers[key] == nil else { throw fail("qualifier '\(key)' appears twice") }
                if !value.isEmpty { qualifiers[key] = value }
            }
            rest = rest.lowerBound..<question
        }
        self.qualifiers = qualifiers

        guard let colon = first(UInt8(ascii: ":"), in: rest),
              (asciiLowercased(bytes, rest.lowerBound..<colon) ?? piece(rest.lowerBound..<colon).lowercased()) == "pkg" else {
            throw fail("does not start with 'pkg:'")
        }
        rest = colon + 1..<rest.upperBound
        while !rest.isEmpty, bytes[rest.lowerBound] == UInt8(ascii: "/") { rest = rest.dropFirst() }

        guard let slash = first(UInt8(ascii: "/"), in: rest) else { throw fail("no '/' after the type") }
        let typeRange = rest.lowerBound..<slash
        guard let firstByte = typeRange.first.map({ bytes[$0] }), firstByte.isASCIILetter,
              bytes[typeRange].allSatisfy({ $0.isASCIILetter || $0.isASCIIDigit || $0 == 0x2E || $0 == 0x2B || $0 == 0x2D })
        else { throw fail("invalid type '\(piece(typeRange))'") }
        type = asciiLowercased(bytes, typeRange) ?? piece(typeRange)
        rest = slash + 1..<rest.upperBound
        while !rest.isEmpty, bytes[rest.upperBound - 1] == UInt8(ascii: "/") { rest = rest.dropLast() }

        // An '@' that starts a namespace segment is an unencoded npm scope, not the version.
        if let at = rest.last(where: { bytes[$0] == UInt8(ascii: "@") }),
           !((at == rest.lowerBound || bytes[at - 1] == UInt8(ascii: "/"))
               && bytes[at..<rest.upperBound].contains(UInt8(ascii: "/"))) {
            guard let version = decoded(at + 1..<rest.upperBound), !version.isEmpty else {
                throw fail("invalid version")
            }
            self.version = version
            rest = rest.lowerBound..<at
        } else {
            version = nil
        }

        var segments = pieces(rest, on: UInt8(ascii: "/"))
        guard let nameSegment = segments.popLast(), let name = decoded(nameSegment), !name.isEmpty else {
            throw fail("no name")
        }
        var namespace: [String] = []
        for segment in segments {
            guard let decoded = decoded(segment) else { throw fail("invalid percent-encoding in the namespace") }
            namespace.append(decoded)
        }
        self.namespace = namespace.isEmpty ? nil : namespace.joined(separator: "/")
        self.name = name
        normalizeForType()
    }

    /// The namespace segments and the name.
    var path: [String] {
        guard let namespace else { return [name] }
        return namespace.split(separator: "/").map(String.init) + [name]
    }

    /// Namespace and name lowercased for the types where they are case-insensitive
    /// (alpm, apk, bitbucket, composer, deb, github, golang, hex, npm), the name
    /// alone for bitnami, luarocks, oci, pub, pypi.
    private mutating func normalizeForType() {
        switch type {
        case "alpm", "apk", "bitbucket", "composer", "deb", "github", "golang", "hex", "npm":
            namespace = namespace.map(lowercasedIfNeeded)
            name = lowercasedIfNeeded(name)
        case "bitnami", "luarocks", "oci", "pub", "pypi":
            name = lowercasedIfNeeded(name)
        default:
            break
        }
        if type == "pypi" {
            // Unchanged unless it has '_' or '.', '--', or a '-' at either end.
            let utf8 = name.utf8
            var previous: UInt8 = 0
            let changes = utf8.first == 0x2D || utf8.last == 0x2D || utf8.contains { byte in
                defer { previous = byte }
                return byte == 0x5F || byte == 0x2E || (byte == 0x2D && previous == 0x2D)
            }
            if changes {
                name = name.split(whereSeparator: { $0 == "-" || $0 == "_" || $0 == "." }).joined(separator: "-")
            }
        }
    }

    /// The canonical form: components percent-encoded, qualifiers sorted by key.
    public var description: String {
        var result = "pkg:\(type)/"
        if let namespace {
            result += namespace.split(separator: "/").map { percentEncode(String($0), keeping: purlSegmentCharacters) }
                .joined(separator: "/") + "/"
        }
        result += percentEncode(name, keeping: purlSegmentCharacters)
        if let version { result += "@" + percentEncode(version, keeping: purlSegmentCharacters) }
        if !qualifiers.isEmpty {
            result += "?" + qualifiers.sorted { $0.key < $1.key }
                .map { "\($0.key)=\(percentEncode($0.value, keeping: purlQualifierCharacters))" }
                .joined(separator: "&")
        }
        if let subpath {
            result += "#" + subpath.split(separator: "/").map { percentEncode(String($0), keeping: purlSegmentCharacters) }
                .joined(separator: "/")
        }
        return result
    }
}

/// Unreserved URI characters and `:`, which purls never encode.
private let purlSegmentCharacters: Set<UInt8> = Set(
    Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~:".utf8))
/// Qualifier values also keep `/`.
private let purlQualifierCharacters = purlSegmentCharacters.union([UInt8(ascii: "/")])

/// `text.lowercased()`, without building a new string when it is already lowercase ASCII.
private func lowercasedIfNeeded(_ text: String) -> String {
    var copy = text
    let lowercaseASCII = copy.withUTF8 { bytes in
        !bytes.contains { $0 >= 0x80 || ($0 >= UInt8(ascii: "A") && $0 <= UInt8(ascii: "Z")) }
    }
    return lowercaseASCII ? text : text.lowercased()
}

/// The bytes lowercased as a string, or `nil` when they are not all ASCII
/// (then `String.lowercased()` decides).
private func asciiLowercased(_ bytes: [UInt8], _ range: Range<Int>) -> String? {
    if !bytes[range].contains(where: { $0 >= 0x80 || ($0 >= UInt8(ascii: "A") && $0 <= UInt8(ascii: "Z")) }) {
        return String(decoding: bytes[range], as: UTF8.self)
    }
    var lower = [UInt8]()
    lower.reserveCapacity(range.count)
    for byte in bytes[range] {
        guard byte < 0x80 else { return nil }
        lower.append(byte >= UInt8(ascii: "A") && byte <= UInt8(ascii: "Z") ? byte | 0x20 : byte)
    }
    return String(decoding: lower, as: UTF8.self)
}

/// `%XX` escapes of `bytes[range]` decoded; `nil` for a malformed escape or
/// bytes that are not UTF-8.
private func percentDecode(_ bytes: [UInt8], _ range: Range<Int>) -> String? {
    guard bytes[range].contains(UInt8(ascii: "%")) else { return String(decoding: bytes[range], as: UTF8.self) }
    var result: [UInt8] = []
    result.reserveCapacity(range.count)
    var i = range.lowerBound
    while i < range.upperBound {
        let byte = bytes[i]
        i += 1
        guard byte == UInt8(ascii: "%") else {
            result.append(byte)
            continue
        }
        guard i + 1 < range.upperBound, let high = hexValue(bytes[i]), let low = hexValue(bytes[i + 1]) else {
            return nil
        }
        result.append(high << 4 | low)
        i += 2
    }
    return String(bytes: result, encoding: .utf8)
}
