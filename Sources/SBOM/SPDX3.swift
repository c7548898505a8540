import Foundation

/// Reads SPDX 3 JSON-LD: the `@graph` elements. Every `software_Package`
/// (and its subclasses `ai_AIPackage`, `dataset_DatasetPackage`) is a
/// component; licenses come from `hasConcludedLicense` (else
/// `hasDeclaredLicense`) relationships to license elements:
/// `simplelicensing_LicenseExpression`, listed and custom licenses, license
/// sets, `WITH` and or-later operators, or the NoAssertion/None individuals.
enum SPDX3Reader {
    static let packageTypes: Set<String> = ["software_Package", "ai_AIPackage", "dataset_DatasetPackage"]

    /// The `@graph` of a document whose `@context` is SPDX 3's.
    static func graph(_ root: KeyedDecodingContainer<AnyKey>) throws -> [Element] {
        guard let context = try root.decodeIfPresent(JSONLDContext.self, forKey: AnyKey("@context")),
              context.mentionsSPDX3 else {
            throw SBOMError(.unrecognizedFormat, "JSON-LD @context is not SPDX 3 (https://spdx.org/rdf/3...)", at: "@context")
        }
        return try root.decodeIfPresent([Element].self, forKey: AnyKey("@graph")) ?? []
    }

    static func document(graph: [Element], limits: SBOMLimits) throws(SBOMError) -> SBOMDocument {
        var byID: [String: Int] = [:]
        var specVersions = Set<String>()
        var concluded: [String: [String]] = [:]
        var declared: [String: [String]] = [:]
        // An element repeated with the same content is one element (JSON-LD merges
        // the two); different content under one id is a contradiction.
        var repeated = Set<Int>()
        for (i, element) in graph.enumerated() {
            if let id = element.id {
                if let first = byID[id] {
                    guard graph[first].content == element.content else {
                        throw SBOMError(.malformed, "element id \(quoted(id)) is used twice, with different content",
                                        at: "@graph[\(i)]")
                    }
                    repeated.insert(i)
                    continue
                }
                byID[id] = i
            }
            if let version = element.specVersion { specVersions.insert(version) }
            if element.type == "Relationship", let from = element.from {
                switch element.relationshipType {
                case "hasConcludedLicense": concluded[from, default: []] += element.to
                case "hasDeclaredLicense": declared[from, default: []] += element.to
                default: break
                }
            }
        }
        guard let specVersion = specVersions.sorted().first else {
            throw SBOMError(.malformed, "no CreationInfo with a specVersion")
        }
        guard specVersions.count == 1, specVersion.hasPrefix("3.") else {
            throw SBOMError(.unsupportedVersion, "SPDX \(specVersions.sorted().joined(separator: ", ")) is not SPDX 3")
        }

        let resolver = LicenseResolver(graph: graph, byID: byID, maxDepth: limits.maxElementDepth)
        var components: [Component] = []
        for (i, element) in graph.enumerated() where packageTypes.contains(element.type ?? "") && !repeated.contains(i) {
            let location = "@graph[\(i)]"
            func fail(_ message: String) -> SBOMError { SBOMError(.malformed, message, at: location) }
            guard components.count < limits.maxComponents else {
                throw SBOMError(.limitExceeded, "more than \(limits.maxComponents) packages", at: location)
            }
            guard let name = element.name, !name.trimmed.isEmpty else {
                throw fail("package has no name")
            }
            var hashes: [String: String] = [:]
            for hash in element.verifiedUsing where hash.type == "Hash" {
                guard let algorithm = hash.algorithm, let value = hash.hashValue else {
                    throw fail("Hash without algorithm or hashValue")
                }
                guard let normalized = spdx3HashAlgorithms[algorithm] else {
                    throw fail("unknown hash algorithm \(quoted(algorithm))")
                }
                guard !normalized.isEmpty else { continue }
                try addDigest(value, algorithm: normalized, to: &hashes, fail: fail)
            }
            let identifiers = element.externalIdentifiers
            let purl = element.packageURL ?? identifiers.first { $0.type == "packageUrl" }?.identifier
            if let purl {
                do throws(SBOMSyntaxError) {
                    _ = try PackageURL(purl)
                } catch {
                    throw fail("invalid purl \(quoted(error.text)): \(error.message)")
                }
            }
            let cpe = identifiers.first { $0.type == "cpe23" || $0.type == "cpe22" }?.identifier
            let supplier = element.suppliedBy.flatMap { byID[$0] }.flatMap { graph[$0].name }

            var license: (String?, LicenseMarker?) = (nil, nil)
            if let id = element.id {
                let concludedLicense = try resolver.license(concluded[id] ?? [], at: location)
                license = concludedLicense ?? (nil, nil)
                if concludedLicense == nil || concludedLicense?.1 == .noAssertion,
                   let declaredLicense = try resolver.license(declared[id] ?? [], at: location) {
                    license = declaredLicense
                }
            }
            components.append(Component(
                name: name, version: element.packageVersion, purl: purl, cpe: cpe, supplier: supplier, hashes: hashes,
                licenseExpression: license.0, licenseMarker: license.1, type: element.primaryPurpose, ref: element.id))
        }
        return SBOMDocument(format: .spdx3JSONLD, specVersion: specVersion, components: components)
    }

    /// SPDX 3 `HashAlgorithm` values to passbox's names; "" for values that
    /// are not digests of the content (signature schemes, `other`).
    private static let spdx3HashAlgorithms: [String: String] = [
        "adler32": "adler32", "blake2b256": "blake2b-256", "blake2b384": "blake2b-384", "blake2b512": "blake2b-512",
        "blake3": "blake3", "md2": "md2", "md4": "md4", "md5": "md5", "md6": "md6", "sha1": "sha1",
        "sha224": "sha224", "sha256": "sha256", "sha384": "sha384", "sha512": "sha512", "sha3_224": "sha3-224",
        "sha3_256": "sha3-256", "sha3_384": "sha3-384", "sha3_512": "sha3-512",
        "crystalsDilithium": "", "crystalsKyber": "", "falcon": "", "other": "",
    ]
}

/// Turns license elements into SPDX expression text.
private struct LicenseResolver {
    let graph: [SPDX3Reader.Element]
    let byID: [String: Int]
    let maxDepth: Int

    /// The license of a package's relationship targets (several apply
    /// together); `nil` when there are none.
    func license(_ targets: [String], at location: String) throws(SBOMError) -> (String?, LicenseMarker?)? {
        guard !targets.isEmpty else { return nil }
        let parts = try targets.map { (target) throws(SBOMError) in try expression(target, at: location) }
        return unmarked(joinLicenses(parts, with: "AND"))
    }

    func expression(_ id: String, at location: String, depth: Int = 0) throws(SBOMError) -> String {
        func fail(_ message: String) -> SBOMError { SBOMError(.malformed, message, at: location) }
        guard depth < maxDepth else {
            throw SBOMError(.limitExceeded, "license elements nested deeper than \(maxDepth)", at: location)
        }
        guard let index = byID[id] else {
            if id.hasSuffix("NoAssertionLicense") { return "NOASSERTION" }
            if id.hasSuffix("NoneLicense") { return "NONE" }
            for prefix in ["https://spdx.org/licenses/", "http://spdx.org/licenses/"] where id.hasPrefix(prefix) {
                return String(id.dropFirst(prefix.count))
            }
            throw fail("license \(quoted(id)) is not an element of the document")
        }
        let element = graph[index]
        func sub(_ id: String?) throws(SBOMError) -> String {
            guard let id else { throw fail("\(element.type ?? "license element") '\(element.id ?? "")' is incomplete") }
            return try expression(id, at: location, depth: depth + 1)
        }
        switch element.type {
        case "simplelicensing_LicenseExpression":
            guard let text = element.licenseExpression else { throw fail("LicenseExpression without its expression") }
            return text
        case "expandedlicensing_ListedLicense", "expandedlicensing_ListedLicenseException":
            return lastComponent(id)
        case "expandedlicensing_CustomLicense", "expandedlicensing_CustomLicenseAddition":
            let prefix = element.type == "expandedlicensing_CustomLicense" ? "LicenseRef-" : "AdditionRef-"
            let last = lastComponent(id)
            return last.hasPrefix(prefix) ? last : licenseRef(forName: element.name ?? last)
                .replacingOccurrences(of: "LicenseRef-", with: prefix)
        case "expandedlicensing_ConjunctiveLicenseSet", "expandedlicensing_DisjunctiveLicenseSet":
            guard !element.members.isEmpty else { throw fail("empty license set \(quoted(id))") }
            let parts = try element.members.map { (member) throws(SBOMError) in try sub(member) }
            return joinLicenses(parts, with: element.type == "expandedlicensing_ConjunctiveLicenseSet" ? "AND" : "OR")
        case "expandedlicensing_OrLaterOperator":
            return try sub(element.subjectLicense) + "+"
        case "expandedlicensing_WithAdditionOperator":
            return "\(try sub(element.subjectExtendableLicense)) WITH \(try sub(element.subjectAddition))"
        default:
            throw fail("\(quoted(id)) (\(element.type ?? "no type")) is not a license")
        }
    }

    /// The part after the last `/` or `#`.
    private func lastComponent(_ id: String) -> String {
        String(id.split(whereSeparator: { $0 == "/" || $0 == "#" }).last ?? Substring(id))
    }
}

extension SPDX3Reader {
    /// A graph element, with the properties passbox reads. Keys may be compact
    /// (`type`, `spdxId`) or JSON-LD keywords (`@type`, `@id`).
    struct Element: Decodable {
        struct Hash: Decodable {
            let type: String?
            let algorithm: String?
            let hashValue: String?
        }

        struct Identifier: Decodable {
            let type: String?
            let identifier: String?

            private enum Keys: String, CodingKey { case externalIdentifierType, identifier }

            init(from decoder: any Decoder) throws {
                let c = try decoder.container(keyedBy: Keys.self)
                type = try c.decodeIfPresent(String.self, forKey: .externalIdentifierType)
                identifier = try c.decodeIfPresent(String.self, forKey: .identifier)
            }
        }

        var type: String?
        var id: String?
        var name: String?
        var packageVersion: String?
        var packageURL: String?
        var primaryPurpose: String?
        var verifiedUsing: [Hash] = []
        var externalIdentifiers: [Identifier] = []
        var suppliedBy: String?
        var relationshipType: String?
        var from: String?
        var to: [String] = []
        var licenseExpression: String?
        var members: [String] = []
        var subjectLicense: String?
        var subjectExtendableLicense: String?
        var subjectAddition: String?
        /// From a CreationInfo element, or an inline `creationInfo` object.
        var specVersion: String?
        /// The whole element as JSON, to tell a repeated element from a contradiction.
        var content: JSONValue = .null

        private struct InlineCreationInfo: Decodable {
            let specVersion: String?
        }

        init(from decoder: any Decoder) throws {
            let c = try decoder.container(keyedBy: AnyKey.self)
            func string(_ key: String) throws -> String? { try c.decodeIfPresent(String.self, forKey: AnyKey(key)) }
            func strings(_ key: String) throws -> [String] {
                try c.decodeIfPresent(OneOrMany.self, forKey: AnyKey(key))?.values ?? []
            }
            content = try decoder.singleValueContainer().decode(JSONValue.self)
            type = try string("type") ?? string("@type")
            if let type, SPDX3Reader.packageTypes.contains(type) {
                try JSONReader.budget(of: decoder).takeComponent(at: decoder.codingPath)
            }
            id = try string("spdxId") ?? string("@id")
            name = try string("name")
            packageVersion = try string("software_packageVersion")
            packageURL = try string("software_packageUrl")
            primaryPurpose = try string("software_primaryPurpose")
            verifiedUsing = try c.decodeIfPresent([Hash].self, forKey: AnyKey("verifiedUsing")) ?? []
            externalIdentifiers = try c.decodeIfPresent([Identifier].self, forKey: AnyKey("externalIdentifier")) ?? []
            suppliedBy = try strings("suppliedBy").first
            relationshipType = try string("relationshipType")
            from = try string("from")
            to = try strings("to")
            licenseExpression = try string("simplelicensing_licenseExpression")
            members = try strings("expandedlicensing_member")
            subjectLicense = try string("expandedlicensing_subjectLicense")
            subjectExtendableLicense = try string("expandedlicensing_subjectExtendableLicense")
            subjectAddition = try string("expandedlicensing_subjectAddition")
            if type == "CreationInfo" {
                specVersion = try string("specVersion")
            } else if c.contains(AnyKey("creationInfo")), (try? string("creationInfo")) == nil {
                specVersion = try c.decode(InlineCreationInfo.self, forKey: AnyKey("creationInfo")).specVersion
            }
        }
    }

    /// A string or an array of strings.
    private struct OneOrMany: Decodable {
        let values: [String]

        init(from decoder: any Decoder) throws {
            let c = try decoder.singleValueContainer()
            if let one = try? c.decode(String.self) {
                values = [one]
            } else {
                values = try c.decode([String].self)
            }
        }
    }

    /// `@context`: a string, an array, or an object; SPDX 3 when an IRI in it
    /// names `spdx.org/rdf/3`.
    private struct JSONLDContext: Decodable {
        let mentionsSPDX3: Bool

        init(from decoder: any Decoder) throws {
            let c = try decoder.singleValueContainer()
            if let text = try? c.decode(String.self) {
                mentionsSPDX3 = Self.isSPDX3(text)
            } else if let list = try? c.decode([OneOrObject].self) {
                mentionsSPDX3 = list.contains { $0.text.map(Self.isSPDX3) ?? false }
            } else {
                mentionsSPDX3 = false
            }
        }

        private static func isSPDX3(_ iri: String) -> Bool {
            iri.contains("spdx.org/rdf/3")
        }

        private struct OneOrObject: Decodable {
            let text: String?
            init(from decoder: any Decoder) throws {
                text = try? decoder.singleValueContainer().decode(String.self)
            }
        }
    }
}

/// A JSON value, compared as JSON-LD compares them (object keys unordered).
indirect enum JSONValue: Decodable, Equatable {
    case null
    case bool(Bool)
    case number(Double)
    case string(String)
    case array([JSONValue])
    case object([String: JSONValue])

    init(from decoder: any Decoder) throws {
        if let object = try? decoder.container(keyedBy: AnyKey.self) {
            var members: [String: JSONValue] = [:]
            for key in object.allKeys { members[key.stringValue] = try object.decode(JSONValue.self, forKey: key) }
            self = .object(members)
        } else if var array = try? decoder.unkeyedContainer() {
            var items: [JSONValue] = []
            while !array.isAtEnd { items.append(try array.decode(JSONValue.self)) }
            self = .array(items)
        } else {
            let value = try decoder.singleValueContainer()
            if value.decodeNil() {
                self = .null
            } else if let bool = try? value.decode(Bool.self) {
                self = .bool(bool)
            } else if let number = try? value.decode(Double.self) {
                self = .number(number)
            } else {
                self = .string(try value.decode(String.self))
            }
        }
    }
}
