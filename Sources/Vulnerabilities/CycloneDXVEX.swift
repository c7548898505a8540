import Foundation

/// Reads CycloneDX VEX: `vulnerabilities[].analysis` in an SBOM or in a separate VEX
/// BOM, JSON or XML (`CycloneDXVEXXMLReader`; recognised by a first `<`).
/// `affects[].ref` is resolved to a purl through the document's own components
/// (`bom-ref` -> `purl`, also from a BOM-Link `urn:cdx:…#ref`); a ref that is itself a
/// purl is used as one; any other ref is matched against the SBOM component's
/// `bom-ref`. A target that lists `versions` speaks only of those (`versionStatus`).
///
/// States: `not_affected`, `false_positive` -> not affected; `resolved`,
/// `resolved_with_pedigree` -> fixed; `exploitable` -> affected; `in_triage` ->
/// under investigation. A vulnerability without `analysis.state` says nothing.
public enum CycloneDXVEXReader {
    public static func read(_ data: Data, source: String, limits: VEXLimits = .default) throws(VEXError) -> [VEXStatement] {
        guard data.count <= limits.maxBytes else { throw VEXError(source, "over \(limits.maxBytes) bytes") }
        if isXML(data) { return try statements(CycloneDXVEXXMLReader.read(data, source: source, limits: limits), source: source, limits: limits) }
        let bom: RawBOM
        do {
            bom = try JSONDecoder().decode(RawBOM.self, from: data)
        } catch {
            throw VEXError(source, "not a CycloneDX JSON document: \(String(describing: error).prefix(200))")
        }
        guard bom.bomFormat == "CycloneDX" else { throw VEXError(source, "bomFormat is not CycloneDX") }
        return try statements(bom, source: source, limits: limits)
    }

    /// Whether the document's first character (after a byte order mark and white space) is `<`.
    static func isXML(_ data: Data) -> Bool {
        var i = data.startIndex
        if data.starts(with: [0xEF, 0xBB, 0xBF]) { i += 3 }
        while i < data.endIndex, [0x20, 0x09, 0x0A, 0x0D].contains(data[i]) { i += 1 }
        return i < data.endIndex && data[i] == UInt8(ascii: "<")
    }

    /// The statements of a BOM read from JSON or XML.
    static func statements(_ bom: RawBOM, source: String, limits: VEXLimits) throws(VEXError) -> [VEXStatement] {
        var refs: [String: String] = [:]
        var budget = limits.maxComponents
        try collect(bom.components ?? [], depth: 0, into: &refs, budget: &budget, limits: limits, source: source)
        if let product = bom.metadata?.component { try collect([product], depth: 0, into: &refs, budget: &budget, limits: limits, source: source) }

        let vulnerabilities = bom.vulnerabilities ?? []
        guard vulnerabilities.count <= limits.maxStatements else { throw VEXError(source, "more than \(limits.maxStatements) vulnerabilities") }
        let name = bom.serialNumber ?? source
        var out: [VEXStatement] = []
        for (i, v) in vulnerabilities.enumerated() {
            guard let state = v.analysis?.state else { continue }
            guard let id = v.id, !id.isEmpty, id.utf8.count <= limits.maxStringLength else {
                throw VEXError(source, "vulnerabilities[\(i)]: no id")
            }
            let status: VEXStatus
            var justification = v.analysis?.justification
            switch state {
            case "not_affected": status = .notAffected
            case "false_positive":
                status = .notAffected
                justification = justification ?? "false_positive"
            case "resolved", "resolved_with_pedigree": status = .fixed
            case "exploitable": status = .affected
            case "in_triage": status = .underInvestigation
            default: throw VEXError(source, "vulnerabilities[\(i)]: unknown analysis.state '\(state.prefix(40))'")
            }
            let affects = v.affects ?? []
            guard affects.count <= limits.maxProductsPerStatement else { throw VEXError(source, "vulnerabilities[\(i)]: too many affects") }
            var purls: [String] = []
            var bomRefs: [String] = []
            // Targets that list versions: one statement per listed version or range.
            var versioned: [(product: VEXVersionedProduct, status: VEXStatus, justification: String?)] = []
            var targetsWithVersions = 0
            for affect in affects {
                guard let ref = affect.ref else { continue }
                let local = ref.hasPrefix("urn:cdx:") ? ref.split(separator: "#", maxSplits: 1).dropFirst().first.map(String.init) ?? ref : ref
                let purl = refs[local] ?? (local.hasPrefix("pkg:") ? local : nil)
                if let versions = affect.versions, !versions.isEmpty {
                    targetsWithVersions += 1
                    guard versions.count <= limits.maxProductsPerStatement else { throw VEXError(source, "vulnerabilities[\(i)]: too many versions") }
                    // Versions of a target that is not a purl cannot be compared: it says nothing (fail closed).
                    guard let purl else { continue }
                    for entry in versions {
                        guard let said = try versionStatus(entry, analysis: status, justification: justification, source: source, index: i)
                        else { continue }
                        versioned.append((VEXVersionedProduct(purl: purl, version: entry.version, range: entry.range), said.status, said.justification))
                    }
                } else if let purl {
                    purls.append(purl)
                } else {
                    bomRefs.append(local)
                }
            }
            guard !(purls.isEmpty && bomRefs.isEmpty && targetsWithVersions == 0) else {
                throw VEXError(source, "vulnerabilities[\(i)]: analysis without affects")
            }
            let aliases = (v.references ?? []).compactMap(\.id)
            let timestamp = v.analysis?.lastUpdated ?? v.updated ?? bom.metadata?.timestamp
            if !(purls.isEmpty && bomRefs.isEmpty) {
                out.append(VEXStatement(
                    vulnerability: id, aliases: aliases, products: purls, productRefs: bomRefs,
                    status: status, justification: justification, detail: v.analysis?.detail, timestamp: timestamp, source: name))
            }
            for entry in versioned {
                out.append(VEXStatement(
                    vulnerability: id, aliases: aliases, products: [], versionedProducts: [entry.product],
                    status: entry.status, justification: entry.justification, detail: v.analysis?.detail, timestamp: timestamp, source: name))
            }
        }
        return out
    }

    /// What a target's listed version (or range) says, given the analysis:
    /// `unaffected` -> not affected (fixed when the analysis is `resolved`); `affected` (the
    /// schema's default) -> the analysis, except that `resolved` cannot suppress a version
    /// the document itself lists as affected (-> affected); `unknown` -> nothing.
    static func versionStatus(_ entry: RawAffectedVersion, analysis: VEXStatus, justification: String?, source: String,
                              index: Int) throws(VEXError) -> (status: VEXStatus, justification: String?)? {
        guard (entry.version == nil) != (entry.range == nil) else {
            throw VEXError(source, "vulnerabilities[\(index)]: a listed version needs exactly one of version and range")
        }
        switch entry.status ?? "affected" {
        case "unaffected":
            return analysis == .fixed ? (.fixed, justification) : (.notAffected, analysis == .notAffected ? justification : "unaffected")
        case "affected":
            return (analysis == .fixed ? .affected : analysis, justification)
        case "unknown":
            return nil
        case let other:
            throw VEXError(source, "vulnerabilities[\(index)]: unknown affects version status '\(other.prefix(40))'")
        }
    }

    private static func collect(_ components: [RawComponent], depth: Int, into refs: inout [String: String], budget: inout Int,
                                limits: VEXLimits, source: String) throws(VEXError) {
        guard depth <= limits.maxDepth else { throw VEXError(source, "components nested deeper than \(limits.maxDepth)") }
        for c in components {
            budget -= 1
            guard budget >= 0 else { throw VEXError(source, "more than \(limits.maxComponents) components") }
            if let ref = c.bomRef, let purl = c.purl { refs[ref] = purl }
            try collect(c.components ?? [], depth: depth + 1, into: &refs, budget: &budget, limits: limits, source: source)
        }
    }

    struct RawBOM: Decodable {
        var bomFormat: String?
        var serialNumber: String?
        var metadata: RawMetadata?
        var components: [RawComponent]?
        var vulnerabilities: [RawVulnerability]?
    }
    struct RawMetadata: Decodable {
        var timestamp: String?
        var component: RawComponent?
    }
    struct RawComponent: Decodable {
        var bomRef: String?
        var purl: String?
        var components: [RawComponent]?
        enum CodingKeys: String, CodingKey { case bomRef = "bom-ref", purl, components }
    }
    struct RawVulnerability: Decodable {
        var id: String?
        var references: [RawReference]?
        var analysis: RawAnalysis?
        var affects: [RawAffect]?
        var updated: String?
    }
    struct RawReference: Decodable { var id: String? }
    struct RawAnalysis: Decodable {
        var state: String?
        var justification: String?
        var detail: String?
        var lastUpdated: String?
    }
    struct RawAffect: Decodable {
        var ref: String?
        var versions: [RawAffectedVersion]?
    }
    struct RawAffectedVersion: Decodable {
        var version: String?
        var range: String?
        var status: String?
    }
}
