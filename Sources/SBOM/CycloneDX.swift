import Foundation

/// Component fields as CycloneDX JSON or XML states them, before validation.
struct CycloneDXFields {
    var type: String?
    var bomRef: String?
    var group: String?
    var name: String?
    var version: String?
    var purl: String?
    var cpe: String?
    var supplier: String?
    var hashes: [(algorithm: String, content: String)] = []
    var licenses: [CycloneDXLicense] = []
}

/// One entry of a CycloneDX `licenses` list.
struct CycloneDXLicense {
    enum Kind {
        case id(String)
        case name(String)
        case expression(String)
    }

    var kind: Kind
    var acknowledgement: String?
}

/// Turns CycloneDX component fields into `Component`s, checking what passbox
/// relies on: a name, unique non-empty `bom-ref`s, known hash algorithms with
/// well-formed digests, parseable purls, and a license list the spec version
/// allows. Shared by the JSON and XML readers so both judge alike.
struct CycloneDXBuilder {
    /// The minor version: 0 for CycloneDX 1.0, ... 7 for 1.7.
    let minor: Int
    let limits: SBOMLimits
    /// Whether a `licenses` list may mix expressions and licenses: from 1.7, and
    /// in JSON 1.2 to 1.4, whose schemas do not forbid it (XML and JSON 1.5-1.6 do).
    let allowsMixedLicenses: Bool
    private var bomRefs = Set<String>()
    /// The product's (`metadata.component`) bom-ref, and whether a component repeated it.
    private var productRef: String?
    private var productRepeated = false
    private(set) var count = 0

    /// Reads `1.2` ... `1.7` (JSON), `1.0` ... `1.7` (XML: JSON starts at 1.2);
    /// other versions are not supported.
    init(specVersion: String, json: Bool, limits: SBOMLimits, at location: String?) throws(SBOMError) {
        let parts = specVersion.split(separator: ".", omittingEmptySubsequences: false)
        let supported = json ? 2...7 : 0...7
        guard parts.count == 2, parts[0] == "1", let minor = Int(parts[1]), supported.contains(minor) else {
            throw SBOMError(.unsupportedVersion,
                            "CycloneDX \(quoted(specVersion)) is not supported (\(json ? "1.2" : "1.0") to 1.7 are)", at: location)
        }
        self.minor = minor
        self.limits = limits
        allowsMixedLicenses = minor >= 7 || (json && minor <= 4)
    }

    /// `location` is only rendered for an error.
    /// `isProduct`: the `metadata.component` (built before the components).
    mutating func component(
        _ fields: CycloneDXFields, parent: String?, isProduct: Bool = false, at location: @autoclosure () -> String
    ) throws(SBOMError) -> Component {
        func fail(_ message: String) -> SBOMError { SBOMError(.malformed, message, at: location()) }
        count += 1
        guard count <= limits.maxComponents else {
            throw SBOMError(.limitExceeded, "more than \(limits.maxComponents) components", at: location())
        }
        guard let name = fields.name, !isBlank(name) else {
            throw fail("component has no name")
        }
        if let ref = fields.bomRef {
            guard !ref.isEmpty else { throw fail("empty bom-ref") }
            if isProduct { productRef = ref }
            if !isProduct, ref == productRef, !productRepeated {
                // The product listed once more among the components, under its own
                // bom-ref (pip's vendored SBOM does): the same thing named twice, not two
                // things under one name. Any other repeat is ambiguous.
                productRepeated = true
            } else {
                guard bomRefs.insert(ref).inserted else { throw fail("bom-ref \(quoted(ref)) is used twice") }
            }
        }
        var hashes: [String: String] = [:]
        for hash in fields.hashes {
            guard let algorithm = cycloneDXHashAlgorithms[hash.algorithm] else {
                throw fail("unknown hash algorithm \(quoted(hash.algorithm))")
            }
            try addDigest(hash.content, algorithm: algorithm, to: &hashes, fail: fail)
        }
        var parsedPurl: PackageURL?
        if let purl = fields.purl {
            do throws(SBOMSyntaxError) {
                parsedPurl = try PackageURL(purl)
            } catch {
                throw fail("invalid purl \(quoted(error.text)): \(error.message)")
            }
        }
        let (expression, marker) = try licenseExpression(fields.licenses, fail: fail)
        var component = Component(
            name: name, group: fields.group, version: fields.version, purl: fields.purl, cpe: fields.cpe,
            supplier: fields.supplier, hashes: hashes, licenseExpression: expression, licenseMarker: marker,
            type: fields.type, ref: fields.bomRef, parent: parent)
        component.parsedPurl = parsedPurl
        return component
    }

    /// One expression for the whole list. In XML and JSON 1.5-1.6 the list is
    /// either licenses (ids or names) or a single expression; 1.7 and JSON
    /// 1.2-1.4 allow any mix. When some entries are acknowledged as `concluded`, only those
    /// count; several entries all apply (joined with AND). A name that is a
    /// valid license identifier is used as one; other names become
    /// `LicenseRef-<name>` with every character outside `A-Za-z0-9.-` as `-`.
    private func licenseExpression(
        _ licenses: [CycloneDXLicense], fail: (String) -> SBOMError
    ) throws(SBOMError) -> (String?, LicenseMarker?) {
        guard !licenses.isEmpty else { return (nil, nil) }
        // The common case: one license id, no acknowledgement.
        if licenses.count == 1, licenses[0].acknowledgement == nil, case let .id(id) = licenses[0].kind {
            return unmarked(licenseIdentifier(fromID: id))
        }
        if !allowsMixedLicenses, licenses.count > 1, licenses.contains(where: { if case .expression = $0.kind { true } else { false } }) {
            throw fail("licenses mixes an expression with other entries (allowed from CycloneDX 1.7, and in JSON 1.2 to 1.4)")
        }
        for license in licenses {
            if let acknowledgement = license.acknowledgement, !["declared", "concluded"].contains(acknowledgement) {
                throw fail("license acknowledgement \(quoted(acknowledgement)) is not 'declared' or 'concluded'")
            }
        }
        let concluded = licenses.filter { $0.acknowledgement == "concluded" }
        let chosen = concluded.isEmpty ? licenses : concluded
        var parts: [String] = []
        for license in chosen {
            switch license.kind {
            case let .id(id):
                parts.append(licenseIdentifier(fromID: id))
            case let .name(name):
                if case let .license(term)? = try? LicenseExpression(name) {
                    parts.append(term.description)
                } else {
                    parts.append(licenseRef(forName: name))
                }
            case let .expression(text):
                let trimmed = text.trimmed
                guard !trimmed.isEmpty else { throw fail("empty license expression") }
                parts.append(trimmed)
            }
        }
        return unmarked(joinLicenses(parts, with: "AND"))
    }
}

/// A CycloneDX `license.id` as one license of an expression. The schemas'
/// SPDX enumeration has ids with `+` (`GPL-2.0+`, `LGPL-2.1+`, ...): they are
/// the expression `X+`. An id that is not an SPDX identifier at all (`GPL 2`)
/// is read like a license name (`LicenseRef-GPL-2`): it then matches no allow
/// entry, but does not make the whole SBOM unreadable.
func licenseIdentifier(fromID id: String) -> String {
    let trimmed = id.trimmed
    if isLicenseIdentifier(trimmed) { return trimmed }
    // `X+` for a plain id X (not a LicenseRef, which cannot take '+').
    let base = trimmed.dropLast()
    if trimmed.hasSuffix("+"), !base.isEmpty,
       base.utf8.allSatisfy({ $0.isASCIILetter || $0.isASCIIDigit || $0 == UInt8(ascii: "-") || $0 == UInt8(ascii: ".") }),
       !base.lowercased().hasPrefix("licenseref-") {
        return trimmed
    }
    return licenseRef(forName: trimmed)
}

/// Whether the text is empty or only ASCII whitespace (without building a trimmed copy).
func isBlank(_ text: String) -> Bool {
    text.utf8.allSatisfy { $0 == 0x20 || (0x09...0x0D).contains($0) }
}

/// `text` in quotes, cut to 80 characters: error messages never echo large
/// parts of the input.
func quoted<S: StringProtocol>(_ text: S) -> String {
    let limit = 80
    guard text.utf8.count > limit else { return "'\(text)'" }
    return "'\(text.prefix(limit))...' (\(text.utf8.count) bytes)"
}

/// `LicenseRef-` and the name with every character outside `A-Za-z0-9.-` as `-`.
func licenseRef(forName name: String) -> String {
    let safe = String(name.unicodeScalars.map { scalar -> Character in
        let ok = scalar.isASCII && (CharacterSet.alphanumerics.contains(scalar) || scalar == "." || scalar == "-")
        return ok ? Character(scalar) : "-"
    })
    return "LicenseRef-" + (safe.isEmpty ? "unnamed" : safe)
}

/// `NONE` and `NOASSERTION` as markers, anything else as the expression.
func unmarked(_ expression: String) -> (String?, LicenseMarker?) {
    switch expression.trimmed {
    case "NONE": return (nil, .noLicense)
    case "NOASSERTION": return (nil, .noAssertion)
    case let other: return (other, nil)
    }
}

/// CycloneDX hash algorithm names (1.2 to 1.7) to passbox's names.
let cycloneDXHashAlgorithms: [String: String] = [
    "MD5": "md5", "SHA-1": "sha1", "SHA-256": "sha256", "SHA-384": "sha384", "SHA-512": "sha512",
    "SHA3-256": "sha3-256", "SHA3-384": "sha3-384", "SHA3-512": "sha3-512",
    "BLAKE2b-256": "blake2b-256", "BLAKE2b-384": "blake2b-384", "BLAKE2b-512": "blake2b-512",
    "BLAKE3": "blake3", "Streebog-256": "streebog-256", "Streebog-512": "streebog-512",
]

/// Hex digits each algorithm's digest has (absent: any even length from 32).
private let digestLengths: [String: Int] = [
    "md2": 32, "md4": 32, "md5": 32, "sha1": 40, "sha224": 56, "sha256": 64, "sha384": 96, "sha512": 128,
    "sha3-224": 56, "sha3-256": 64, "sha3-384": 96, "sha3-512": 128,
    "blake2b-256": 64, "blake2b-384": 96, "blake2b-512": 128,
    "streebog-256": 64, "streebog-512": 128, "adler32": 8,
]

/// Checks a digest's hex and length, lowercases it and adds it; the same
/// algorithm twice with different digests is a contradiction.
func addDigest(
    _ content: String, algorithm: String, to hashes: inout [String: String], fail: (String) -> SBOMError
) throws(SBOMError) {
    let digits = content.utf8.count
    // One pass over contiguous bytes: digests are most of an SBOM's text.
    var text = content
    let (isHex, hasUppercase) = text.withUTF8 { bytes -> (Bool, Bool) in
        var upper = false
        for byte in bytes {
            switch byte {
            case UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "a")...UInt8(ascii: "f"): continue
            case UInt8(ascii: "A")...UInt8(ascii: "F"): upper = true
            default: return (false, upper)
            }
        }
        return (true, upper)
    }
    guard digits > 0, isHex else {
        throw fail("\(algorithm) digest \(quoted(content)) is not hexadecimal")
    }
    if let length = digestLengths[algorithm] {
        guard digits == length else { throw fail("\(algorithm) digest has \(digits) hex digits, not \(length)") }
    } else if digits < 32 || digits % 2 != 0 {
        throw fail("\(algorithm) digest has \(digits) hex digits")
    }
    let hex = hasUppercase ? content.lowercased() : content
    if let previous = hashes[algorithm], previous != hex {
        throw fail("two different \(algorithm) digests")
    }
    hashes[algorithm] = hex
}
