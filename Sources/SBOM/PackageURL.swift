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
        var rest = Substring(text)

        if let hash = rest.utf8.firstIndex(of: UInt8(ascii: "#")) {
            var segments: [String] = []
            for segment in split(rest[rest.utf8.index(after: hash)...], on: "/") where segment != "." && segment != ".." {
                guard let decoded = percentDecode(segment) else { throw fail("invalid percent-encoding in the subpath") }
                segments.append(decoded)
            }
            subpath = segments.isEmpty ? nil : segments.joined(separator: "/")
            rest = rest[..<hash]
        } else {
            subpath = nil
        }

        var qualifiers: [String: String] = [:]
        if let question = rest.utf8.firstIndex(of: UInt8(ascii: "?")) {
            for pair in split(rest[rest.utf8.index(after: question)...], on: "&") {
                guard let equals = pair.utf8.firstIndex(of: UInt8(ascii: "=")) else {
                    throw fail("qualifier '\(pair)' has no '='")
                }
                let key = pair[..<equals].lowercased()
                guard let first = key.utf8.first, !first.isASCIIDigit,
                      key.utf8.allSatisfy({ $0.isASCIILetter || $0.isASCIIDigit || $0 == 0x2E || $0 == 0x2D || $0 == 0x5F })
                else { throw fail("invalid qualifier key '\(key)'") }
                guard let value = percentDecode(pair[pair.utf8.index(after: equals)...]) else {
                    throw fail("invalid percent-encoding in qualifier '\(key)'")
                }
                guard qualifiers[key] == nil else { throw fail("qualifier '\(key)' appears twice") }
                if !value.isEmpty { qualifiers[key] = value }
            }
            rest = rest[..<question]
        }
        self.qualifiers = qualifiers

        guard let colon = rest.utf8.firstIndex(of: UInt8(ascii: ":")), rest[..<colon].lowercased() == "pkg" else {
            throw fail("does not start with 'pkg:'")
        }
        rest = rest[rest.utf8.index(after: colon)...]
        while rest.utf8.first == UInt8(ascii: "/") { rest = rest.dropFirst() }

        guard let slash = rest.utf8.firstIndex(of: UInt8(ascii: "/")) else { throw fail("no '/' after the type") }
        let typeText = rest[..<slash]
        guard let first = typeText.utf8.first, first.isASCIILetter,
              typeText.utf8.allSatisfy({ $0.isASCIILetter || $0.isASCIIDigit || $0 == 0x2E || $0 == 0x2B || $0 == 0x2D })
        else { throw fail("invalid type '\(typeText)'") }
        type = typeText.utf8.contains(where: { $0 >= UInt8(ascii: "A") && $0 <= UInt8(ascii: "Z") })
            ? typeText.lowercased() : String(typeText)
        rest = rest[rest.utf8.index(after: slash)...]
        while rest.utf8.last == UInt8(ascii: "/") { rest = rest.dropLast() }

        // An '@' that starts a namespace segment is an unencoded npm scope, not the version.
        if let at = rest.utf8.lastIndex(of: UInt8(ascii: "@")),
           !((at == rest.startIndex || rest.utf8[rest.utf8.index(before: at)] == UInt8(ascii: "/"))
               && rest[at...].utf8.contains(UInt8(ascii: "/"))) {
            guard let version = percentDecode(rest[rest.utf8.index(after: at)...]), !version.isEmpty else {
                throw fail("invalid version")
            }
            self.version = version
            rest = rest[..<at]
        } else {
            version = nil
        }

        var segments = split(rest, on: "/")
        guard let nameSegment = segments.popLast(), let name = percentDecode(nameSegment), !name.isEmpty else {
            throw fail("no name")
        }
        var namespace: [String] = []
        for segment in segments {
            guard let decoded = percentDecode(segment) else { throw fail("invalid percent-encoding in the namespace") }
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

    /// Types whose namespace and name are case-insensitive (lowercased).
    private static let lowercaseNamespaceAndName: Set<String> = [
        "alpm", "apk", "bitbucket", "composer", "deb", "github", "golang", "hex", "npm",
    ]
    /// Types whose name alone is case-insensitive (lowercased).
    private static let lowercaseName: Set<String> = ["bitnami", "luarocks", "oci", "pub", "pypi"]

    private mutating func normalizeForType() {
        if Self.lowercaseNamespaceAndName.contains(type) {
            namespace = namespace?.lowercased()
            name = name.lowercased()
        } else if Self.lowercaseName.contains(type) {
            name = name.lowercased()
        }
        if type == "pypi" {
            name = name.split(whereSeparator: { $0 == "-" || $0 == "_" || $0 == "." }).joined(separator: "-")
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

/// The non-empty pieces of `text` between `separator` bytes.
private func split(_ text: Substring, on separator: Unicode.Scalar) -> [Substring] {
    let byte = UInt8(ascii: separator)
    var pieces: [Substring] = []
    var start = text.startIndex
    var index = text.startIndex
    while index < text.endIndex {
        if text.utf8[index] == byte {
            if start < index { pieces.append(text[start..<index]) }
            start = text.utf8.index(after: index)
        }
        index = text.utf8.index(after: index)
    }
    if start < text.endIndex { pieces.append(text[start...]) }
    return pieces
}

/// Unreserved URI characters and `:`, which purls never encode.
private let purlSegmentCharacters: Set<UInt8> = Set(
    Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~:".utf8))
/// Qualifier values also keep `/`.
private let purlQualifierCharacters = purlSegmentCharacters.union([UInt8(ascii: "/")])
