import Foundation

/// Package fields as SPDX 2 JSON or tag-value states them, before validation.
struct SPDX2Package {
    var spdxID: String?
    var name: String?
    var version: String?
    var supplier: String?
    var checksums: [(algorithm: String, value: String)] = []
    var licenseConcluded: String?
    var licenseDeclared: String?
    /// `(category, type, locator)`.
    var externalRefs: [(category: String, type: String, locator: String)] = []
    var primaryPurpose: String?
}

/// Reads SPDX 2.x documents (JSON and tag-value) into components: every
/// package is a component.
enum SPDX2Reader {
    /// `SPDX-2.3` -> `2.3`; SPDX 2.0 to 2.3 are read.
    static func specVersion(_ text: String, at location: String?) throws(SBOMError) -> String {
        let trimmed = text.trimmed
        guard trimmed.hasPrefix("SPDX-") else {
            throw SBOMError(.unrecognizedFormat, "spdxVersion \(quoted(text)) does not start with 'SPDX-'", at: location)
        }
        let version = String(trimmed.dropFirst(5))
        guard ["2.0", "2.1", "2.2", "2.3"].contains(version) else {
            throw SBOMError(.unsupportedVersion, "SPDX \(quoted(version)) is not supported here (SPDX 2.0 to 2.3 are; SPDX 3 is read as JSON-LD)",
                            at: location)
        }
        return version
    }

    /// Checks and converts one package. The concluded license is used unless
    /// it is NOASSERTION (or absent); then the declared one.
    static func component(
        _ package: SPDX2Package, ids: inout Set<String>, limits: SBOMLimits, count: Int,
        at location: @autoclosure () -> String
    ) throws(SBOMError) -> Component {
        func fail(_ message: String) -> SBOMError { SBOMError(.malformed, message, at: location()) }
        guard count <= limits.maxComponents else {
            throw SBOMError(.limitExceeded, "more than \(limits.maxComponents) packages", at: location())
        }
        guard let name = package.name, !name.trimmed.isEmpty else {
            throw fail("package has no name")
        }
        guard let id = package.spdxID, !id.isEmpty else { throw fail("package \(quoted(name)) has no SPDXID") }
        guard ids.insert(id).inserted else { throw fail("SPDXID \(quoted(id)) is used twice") }

        var hashes: [String: String] = [:]
        for checksum in package.checksums {
            guard let algorithm = spdxHashAlgorithm(checksum.algorithm) else {
                throw fail("unknown checksum algorithm \(quoted(checksum.algorithm))")
            }
            try addDigest(checksum.value, algorithm: algorithm, to: &hashes, fail: fail)
        }

        var purl: String?
        var parsedPurl: PackageURL?
        var cpe: String?
        for ref in package.externalRefs {
            let category = ref.category.uppercased().replacingOccurrences(of: "_", with: "-")
            if category == "PACKAGE-MANAGER", ref.type == "purl", purl == nil {
                do throws(SBOMSyntaxError) {
                    parsedPurl = try PackageURL(ref.locator)
                } catch {
                    throw fail("invalid purl \(quoted(error.text)): \(error.message)")
                }
                purl = ref.locator
            } else if ref.type == "cpe23Type" || ref.type == "cpe22Type", cpe == nil {
                cpe = ref.locator
            }
        }

        var license = unmarked(package.licenseConcluded ?? "NOASSERTION")
        if license.0 == nil, license.1 == .noAssertion, let declared = package.licenseDeclared {
            license = unmarked(declared)
        }
        if package.licenseConcluded == nil, package.licenseDeclared == nil { license = (nil, nil) }

        var component = Component(
            name: name, version: package.version, purl: purl, cpe: cpe, supplier: supplierName(package.supplier),
            hashes: hashes, licenseExpression: license.0, licenseMarker: license.1,
            type: package.primaryPurpose?.lowercased(), ref: id)
        component.parsedPurl = parsedPurl
        return component
    }

    /// `Organization: Acme (x@acme.example)` -> `Acme`; NOASSERTION -> nil.
    private static func supplierName(_ text: String?) -> String? {
        guard var name = text?.trimmed, name != "NOASSERTION", !name.isEmpty else { return nil }
        for prefix in ["Organization:", "Person:", "Tool:"] where name.hasPrefix(prefix) {
            name = name.dropFirst(prefix.count).trimmed
        }
        if name.hasSuffix(")"), let open = name.lastIndex(of: "(") {
            name = name[..<open].trimmed
        }
        return name.isEmpty ? nil : name
    }

    /// SPDX 2 checksum algorithm names (`SHA256`, `SHA3-256`, `BLAKE2b-256`, ...)
    /// to passbox's names.
    static func spdxHashAlgorithm(_ name: String) -> String? {
        let upper = name.uppercased()
        let known: [String: String] = [
            "MD2": "md2", "MD4": "md4", "MD5": "md5", "MD6": "md6", "SHA1": "sha1", "SHA224": "sha224",
            "SHA256": "sha256", "SHA384": "sha384", "SHA512": "sha512", "SHA3-256": "sha3-256",
            "SHA3-384": "sha3-384", "SHA3-512": "sha3-512", "BLAKE2B-256": "blake2b-256",
            "BLAKE2B-384": "blake2b-384", "BLAKE2B-512": "blake2b-512", "BLAKE3": "blake3", "ADLER32": "adler32",
        ]
        return known[upper]
    }

    // MARK: JSON

    static func jsonPackages(_ root: KeyedDecodingContainer<AnyKey>) throws -> [SPDX2Package] {
        try (root.decodeIfPresent([JSONPackage].self, forKey: AnyKey("packages")) ?? []).map(\.fields)
    }

    /// Converts every package; `location(i)` names package `i` in errors.
    static func document(
        format: SBOMFormat, specVersion: String, packages: [SPDX2Package], limits: SBOMLimits,
        location: (Int) -> String
    ) throws(SBOMError) -> SBOMDocument {
        var ids = Set<String>()
        var components: [Component] = []
        components.reserveCapacity(packages.count)
        for (i, package) in packages.enumerated() {
            components.append(try component(package, ids: &ids, limits: limits, count: i + 1, at: location(i)))
        }
        return SBOMDocument(format: format, specVersion: specVersion, components: components)
    }

    private struct JSONPackage: Decodable {
        let fields: SPDX2Package

        private enum Keys: String, CodingKey {
            case SPDXID, name, versionInfo, supplier, checksums, licenseConcluded, licenseDeclared, externalRefs
            case primaryPackagePurpose
        }

        private struct Checksum: Decodable {
            let algorithm: String
            let checksumValue: String
        }

        private struct ExternalRef: Decodable {
            let referenceCategory: String
            let referenceType: String
            let referenceLocator: String
        }

        init(from decoder: any Decoder) throws {
            try JSONReader.budget(of: decoder).takeComponent(at: decoder.codingPath)
            let c = try decoder.container(keyedBy: Keys.self)
            var fields = SPDX2Package()
            fields.spdxID = try c.decodeIfPresent(String.self, forKey: .SPDXID)
            fields.name = try c.decodeIfPresent(String.self, forKey: .name)
            fields.version = try c.decodeIfPresent(String.self, forKey: .versionInfo)
            fields.supplier = try c.decodeIfPresent(String.self, forKey: .supplier)
            fields.checksums = try (c.decodeIfPresent([Checksum].self, forKey: .checksums) ?? [])
                .map { ($0.algorithm, $0.checksumValue) }
            fields.licenseConcluded = try c.decodeIfPresent(String.self, forKey: .licenseConcluded)
            fields.licenseDeclared = try c.decodeIfPresent(String.self, forKey: .licenseDeclared)
            fields.externalRefs = try (c.decodeIfPresent([ExternalRef].self, forKey: .externalRefs) ?? [])
                .map { ($0.referenceCategory, $0.referenceType, $0.referenceLocator) }
            fields.primaryPurpose = try c.decodeIfPresent(String.self, forKey: .primaryPackagePurpose)
            self.fields = fields
        }
    }

    // MARK: Tag-value

    /// Whether the text has an `SPDXVersion:` tag line.
    static func looksLikeTagValue(_ text: String) -> Bool {
        let tag = Array("SPDXVersion:".utf8)
        var lines = LineIterator(text)
        while let line = lines.next() {
            if line.utf8.drop(while: { $0 == 0x20 || $0 == 0x09 }).starts(with: tag) { return true }
        }
        return false
    }

    /// Reads `Tag: value` lines; `<text>...</text>` values may span lines.
    /// A package starts at `PackageName:` and ends at the next package, file,
    /// snippet or extracted-license section.
    static func tagValue(_ text: String, limits: SBOMLimits) throws(SBOMError) -> SBOMDocument {
        var version: String?
        var packages: [(package: SPDX2Package, line: Int)] = []
        var inPackage = false

        // Lines end with LF, CR LF or CR alone (old Mac tools; spdx-tools reads those too).
        var lines = LineIterator(text)
        var lineNumber = 0
        var sawTag = false
        while let rawLine = lines.next() {
            lineNumber += 1
            let line = rawLine.trimmed
            if line.isEmpty || line.utf8.first == UInt8(ascii: "#") { continue }
            let colon = line.utf8.firstIndex(of: UInt8(ascii: ":"))
            let tag = colon.map { line[..<$0].trimmed } ?? ""
            guard let colon, sawTag || !tag.isEmpty && !tag.utf8.contains(where: { $0 == 0x20 || $0 == 0x09 }) else {
                // Text before any tag is not tag-value at all (documentation quoting an
                // SPDXVersion line); after tags, a broken document.
                throw SBOMError(sawTag ? .malformed : .unrecognizedFormat, "expected 'Tag: value'", at: "line \(lineNumber)")
            }
            sawTag = true
            var value = line[line.utf8.index(after: colon)...].trimmed
            if value.hasPrefix("<text>") {
                let start = lineNumber
                var body = String(value.dropFirst(6))
                var closed = body.contains("</text>")
                while !closed {
                    guard let next = lines.next() else {
                        throw SBOMError(.malformed, "<text> is not closed by </text>", at: "line \(start)")
                    }
                    lineNumber += 1
                    closed = next.contains("</text>")
                    body += "\n" + next
                }
                value = body.components(separatedBy: "</text>")[0]
            }

            switch tag {
            case "SPDXVersion":
                if version == nil { version = try specVersion(value, at: "line \(lineNumber)") }
            case "PackageName":
                packages.append((SPDX2Package(name: value), lineNumber))
                inPackage = true
            case "FileName", "SnippetSPDXID", "LicenseID":
                inPackage = false
            default:
                guard inPackage, let last = packages.indices.last else { continue }
                try apply(tag: tag, value: value, to: &packages[last].package, line: lineNumber)
            }
        }
        guard let version else {
            throw SBOMError(.unrecognizedFormat, "no SPDXVersion line")
        }
        return try document(format: .spdxTagValue, specVersion: version, packages: packages.map(\.package),
                            limits: limits, location: { "line \(packages[$0].line)" })
    }

    private static func apply(tag: String, value: String, to package: inout SPDX2Package, line: Int) throws(SBOMError) {
        switch tag {
        case "SPDXID":
            if package.spdxID == nil { package.spdxID = value }
        case "PackageVersion": package.version = value
        case "PackageSupplier": package.supplier = value
        case "PackageLicenseConcluded": package.licenseConcluded = value
        case "PackageLicenseDeclared": package.licenseDeclared = value
        case "PrimaryPackagePurpose": package.primaryPurpose = value
        case "PackageChecksum":
            guard let colon = value.firstIndex(of: ":") else {
                throw SBOMError(.malformed, "PackageChecksum is not 'ALGORITHM: digest'", at: "line \(line)")
            }
            package.checksums.append((value[..<colon].trimmed,
                                      value[value.index(after: colon)...].trimmed))
        case "ExternalRef":
            let parts = value.split(whereSeparator: \.isWhitespace)
            guard parts.count == 3 else {
                throw SBOMError(.malformed, "ExternalRef is not 'CATEGORY TYPE LOCATOR'", at: "line \(line)")
            }
            package.externalRefs.append((String(parts[0]), String(parts[1]), String(parts[2])))
        default:
            break
        }
    }
}

/// The lines of a text, each without its line break: LF, CR LF, or a CR alone.
struct LineIterator: IteratorProtocol {
    private let text: String
    private var index: String.Index
    private var done = false

    init(_ text: String) {
        self.text = text
        index = text.startIndex
    }

    mutating func next() -> Substring? {
        guard !done else { return nil }
        let utf8 = text.utf8
        var end = index
        while end < utf8.endIndex, utf8[end] != 0x0A, utf8[end] != 0x0D { end = utf8.index(after: end) }
        let line = text[index..<end]
        if end == utf8.endIndex {
            done = true
        } else {
            var after = utf8.index(after: end)
            if utf8[end] == 0x0D, after < utf8.endIndex, utf8[after] == 0x0A { after = utf8.index(after: after) }
            index = after
        }
        return line
    }
}
