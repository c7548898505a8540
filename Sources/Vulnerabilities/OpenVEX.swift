import Foundation

/// Reads OpenVEX documents (0.2.0; the 0.0.x forms with a text `vulnerability` and
/// text products are read too).
public enum OpenVEXReader {
    public static func read(_ data: Data, source: String, limits: VEXLimits = .default) throws(VEXError) -> [VEXStatement] {
        guard data.count <= limits.maxBytes else { throw VEXError(source, "over \(limits.maxBytes) bytes") }
        let document: RawDocument
        do {
            document = try JSONDecoder().decode(RawDocument.self, from: data)
        } catch {
            throw VEXError(source, "not an OpenVEX document: \(String(describing: error).prefix(200))")
        }
        guard let context = document.context, context.hasPrefix("https://openvex.dev/ns") else {
            throw VEXError(source, "@context is not https://openvex.dev/ns…")
        }
        let statements = document.statements ?? []
        guard statements.count <= limits.maxStatements else { throw VEXError(source, "more than \(limits.maxStatements) statements") }
        let name = document.id ?? source
        var out: [VEXStatement] = []
        for (i, raw) in statements.enumerated() {
            let at = "statements[\(i)]"
            guard let vulnerability = raw.vulnerability, let id = vulnerability.name ?? vulnerability.id, !id.isEmpty,
                  id.utf8.count <= limits.maxStringLength else {
                throw VEXError(source, "\(at): no vulnerability name")
            }
            guard let statusText = raw.status, let status = VEXStatus(rawValue: statusText) else {
                throw VEXError(source, "\(at): status '\((raw.status ?? "").prefix(40))' is not not_affected, affected, fixed or under_investigation")
            }
            if status == .notAffected && (raw.justification ?? "").isEmpty && (raw.impact_statement ?? "").isEmpty {
                throw VEXError(source, "\(at): not_affected needs a justification or an impact_statement")
            }
            if let j = raw.justification, !justifications.contains(j) {
                throw VEXError(source, "\(at): unknown justification '\(j.prefix(60))'")
            }
            let products = raw.products ?? []
            guard products.count <= limits.maxProductsPerStatement else { throw VEXError(source, "\(at): too many products") }
            // A product with subcomponents speaks of those subcomponents in it.
            var purls: [String] = []
            for product in products {
                let subcomponents = product.subcomponents ?? []
                guard subcomponents.count <= limits.maxProductsPerStatement else { throw VEXError(source, "\(at): too many subcomponents") }
                for item in subcomponents.isEmpty ? [product] : subcomponents {
                    if let purl = item.purl { purls.append(purl) }
                }
            }
            guard !purls.isEmpty else { throw VEXError(source, "\(at): no product named by a purl") }
            out.append(VEXStatement(
                vulnerability: id, aliases: (vulnerability.aliases ?? []) + (vulnerability.id.map { [$0] } ?? []),
                products: purls, status: status, justification: raw.justification,
                detail: raw.impact_statement ?? raw.status_notes, timestamp: raw.timestamp ?? document.timestamp,
                source: name))
        }
        return out
    }

    static let justifications: Set<String> = [
        "component_not_present", "vulnerable_code_not_present", "vulnerable_code_not_in_execute_path",
        "vulnerable_code_cannot_be_controlled_by_adversary", "inline_mitigations_already_exist",
    ]

    struct RawDocument: Decodable {
        var context: String?
        var id: String?
        var timestamp: String?
        var statements: [RawStatement]?
        enum CodingKeys: String, CodingKey {
            case context = "@context", id = "@id", timestamp, statements
        }
    }

    struct RawStatement: Decodable {
        var vulnerability: RawVulnerability?
        var products: [RawProduct]?
        var status: String?
        var justification: String?
        var impact_statement: String?
        var status_notes: String?
        var timestamp: String?
    }

    /// `{"name": "CVE-…", "@id": "…", "aliases": […]}`, or (0.0.x) just the name.
    struct RawVulnerability: Decodable {
        var name: String?
        var id: String?
        var aliases: [String]?
        enum CodingKeys: String, CodingKey { case name, id = "@id", aliases }
        init(from decoder: any Decoder) throws {
            if let text = try? decoder.singleValueContainer().decode(String.self) {
                name = text
                return
            }
            let c = try decoder.container(keyedBy: CodingKeys.self)
            name = try c.decodeIfPresent(String.self, forKey: .name)
            id = try c.decodeIfPresent(String.self, forKey: .id)
            aliases = try c.decodeIfPresent([String].self, forKey: .aliases)
        }
    }

    /// `{"@id": "pkg:…", "identifiers": {"purl": "pkg:…"}, "subcomponents": […]}`, or (0.0.x) the purl.
    struct RawProduct: Decodable {
        var id: String?
        var identifierPurl: String?
        var subcomponents: [RawProduct]?
        enum CodingKeys: String, CodingKey { case id = "@id", identifiers, subcomponents }
        enum IdentifierKeys: String, CodingKey { case purl }
        init(from decoder: any Decoder) throws {
            if let text = try? decoder.singleValueContainer().decode(String.self) {
                id = text
                return
            }
            let c = try decoder.container(keyedBy: CodingKeys.self)
            id = try c.decodeIfPresent(String.self, forKey: .id)
            if c.contains(.identifiers) {
                let identifiers = try c.nestedContainer(keyedBy: IdentifierKeys.self, forKey: .identifiers)
                identifierPurl = try identifiers.decodeIfPresent(String.self, forKey: .purl)
            }
            subcomponents = try c.decodeIfPresent([RawProduct].self, forKey: .subcomponents)
        }
        /// The purl: `identifiers.purl`, else an `@id` that is a purl.
        var purl: String? { identifierPurl ?? (id?.hasPrefix("pkg:") == true ? id : nil) }
    }
}
