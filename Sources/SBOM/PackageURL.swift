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

        if let hash = rest.firstIndex(of: "#") {
            let segments = try rest[rest.index(after: hash)...].split(separator: "/")
                .filter { $0 != "." && $0 != ".." }
                .map { (segment) throws(SBOMSyntaxError) -> String in
                    guard let decoded = percentDecode(segment) else { throw fail("invalid percent-encoding in the subpath") }
                    return decoded
                }
            subpath = segments.isEmpty ? nil : segments.joined(separator: "/")
            rest = rest[..<hash]
        } else {
            subpath = nil
        }

        var qualifiers: [String: String] = [:]
        if let question = rest.firstIndex(of: "?") {
            for pair in rest[rest.index(after: question)...].split(separator: "&") {
                guard let equals = pair.firstIndex(of: "=") else { throw fail("qualifier '\(pair)' has no '='") }
                let key = pair[..<equals].lowercased()
                guard let first = key.utf8.first, !first.isASCIIDigit,
                      key.utf8.allSatisfy({ $0.isASCIILetter || $0.isASCIIDigit || Array(".-_".utf8).contains($0) })
                else { throw fail("invalid qualifier key '\(key)'") }
                guard let value = percentDecode(pair[pair.index(after: equals)...]) else {
                    throw fail("invalid percent-encoding in qualifier '\(key)'")
                }
                guard qualifiers[key] == nil else { throw fail("qualifier '\(key)' appears twice") }
                if !value.isEmpty { qualifiers[key] = value }
            }
            rest = rest[..<question]
        }
        self.qualifiers = qualifiers

        guard let colon = rest.firstIndex(of: ":"), rest[..<colon].lowercased() == "pkg" else {
            throw fail("does not start with 'pkg:'")
        }
        rest = rest[rest.index(after: colon)...].drop(while: { $0 == "/" })

        guard let slash = rest.firstIndex(of: "/") else { throw fail("no '/' after the type") }
        let type = rest[..<slash].lowercased()
        guard let first = type.utf8.first, first.isASCIILetter,
              type.utf8.allSatisfy({ $0.isASCIILetter || $0.isASCIIDigit || Array(".+-".utf8).contains($0) })
        else { throw fail("invalid type '\(type)'") }
        self.type = type
        rest = rest[rest.index(after: slash)...]
        while rest.last == "/" { rest = rest.dropLast() }

        // An '@' that starts a namespace segment is an unencoded npm scope, not the version.
        if let at = rest.lastIndex(of: "@"),
           !((at == rest.startIndex || rest[rest.index(before: at)] == "/") && rest[at...].contains("/")) {
            guard let version = percentDecode(rest[rest.index(after: at)...]), !version.isEmpty else {
                throw fail("invalid version")
            }
            self.version = version
            rest = rest[..<at]
        } else {
            version = nil
        }

        var segments = rest.split(separator: "/")
        guard let nameSegment = segments.popLast(), let name = percentDecode(nameSegment), !name.isEmpty else {
            throw fail("no name")
        }
        let namespace = try segments.map { (segment) throws(SBOMSyntaxError) -> String in
            guard let decoded = percentDecode(segment) else { throw fail("invalid percent-encoding in the namespace") }
            return decoded
        }
        self.namespace = namespace.isEmpty ? nil : namespace.joined(separator: "/")
        self.name = name
        normalizeForType()
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

/// Unreserved URI characters and `:`, which purls never encode.
private let purlSegmentCharacters: Set<UInt8> = Set(
    Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~:".utf8))
/// Qualifier values also keep `/`.
private let purlQualifierCharacters = purlSegmentCharacters.union([UInt8(ascii: "/")])
