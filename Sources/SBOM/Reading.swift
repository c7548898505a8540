import Foundation

extension SBOMDocument {
    /// Parses an SBOM, recognising the format by content (never by file name):
    /// JSON with `bomFormat` (CycloneDX 1.2-1.7), `spdxVersion` (SPDX 2.x) or an
    /// SPDX 3 `@context`; XML with a CycloneDX `<bom>` (1.0-1.7) or SPDX 2
    /// RDF/XML (the RDF and `spdx.org/rdf/terms` namespaces); text with an
    /// `SPDXVersion:` line (SPDX 2.x tag-value) or a top-level `spdxVersion:`
    /// key (SPDX 2.x YAML).
    ///
    /// Throws `SBOMError` for anything else, for a malformed document (with the
    /// JSON key path or line), and for documents over `limits`.
    public init(data: Data, limits: SBOMLimits = .default) throws(SBOMError) {
        guard data.count <= limits.maxBytes else {
            throw SBOMError(.limitExceeded, "SBOM is larger than the limit of \(limits.maxBytes) bytes")
        }
        if let encoding = Self.utf16Or32(data) {
            // Decision: not decoded. CycloneDX and SPDX documents are UTF-8 (JSON for
            // exchange is, RFC 8259); a UTF-16 file is named, not guessed at.
            throw SBOMError(.malformed, "\(encoding) text: SBOMs must be UTF-8 (convert it, e.g. iconv -f \(encoding) -t UTF-8)")
        }
        var start = data.startIndex
        if data.starts(with: [0xEF, 0xBB, 0xBF]) { start += 3 }
        while start < data.endIndex, [0x20, 0x09, 0x0A, 0x0D].contains(data[start]) { start += 1 }
        guard start < data.endIndex else { throw SBOMError(.unrecognizedFormat, "empty document") }

        switch data[start] {
        case UInt8(ascii: "{"):
            self = try JSONReader.read(data, limits: limits)
        case UInt8(ascii: "<"):
            if SPDXRDFReader.looksLikeRDF(data) {
                self = try SPDXRDFReader.read(data, limits: limits)
            } else {
                self = try CycloneDXXMLReader.read(data, limits: limits)
            }
        default:
            let text = String(decoding: data, as: UTF8.self)
            if SPDX2Reader.looksLikeTagValue(text) {
                self = try SPDX2Reader.tagValue(text, limits: limits)
            } else if SPDX2YAMLReader.looksLikeYAML(text) {
                self = try SPDX2YAMLReader.read(text, limits: limits)
            } else {
                throw SBOMError(.unrecognizedFormat,
                                "not a CycloneDX (JSON, XML) or SPDX (JSON, tag-value, YAML, RDF/XML, JSON-LD) document")
            }
        }
    }

    /// `UTF-16`/`UTF-32` when the data starts with that byte order mark, or
    /// (without one) with ASCII characters and NUL bytes beside them.
    private static func utf16Or32(_ data: Data) -> String? {
        let head = Array(data.prefix(4))
        if head.starts(with: [0xFF, 0xFE, 0, 0]) || head.starts(with: [0, 0, 0xFE, 0xFF]) { return "UTF-32" }
        if head.starts(with: [0xFF, 0xFE]) || head.starts(with: [0xFE, 0xFF]) { return "UTF-16" }
        guard head.count == 4 else { return nil }
        if head[0] != 0, head[1] == 0, head[2] == 0, head[3] == 0 { return "UTF-32" }
        if head[0] == 0, head[1] == 0, head[2] == 0, head[3] != 0 { return "UTF-32" }
        if (head[0] != 0 && head[1] == 0 && head[2] != 0 && head[3] == 0)
            || (head[0] == 0 && head[1] != 0 && head[2] == 0 && head[3] != 0) { return "UTF-16" }
        return nil
    }

    /// Reads and parses a file, reading no more than `limits.maxBytes` + 1 bytes.
    public init(contentsOf url: URL, limits: SBOMLimits = .default) throws(SBOMError) {
        let data: Data
        do {
            let handle = try FileHandle(forReadingFrom: url)
            defer { try? handle.close() }
            data = try handle.read(upToCount: limits.maxBytes + 1) ?? Data()
        } catch {
            throw SBOMError(.unreadable, "cannot read \(url.path): \(error.localizedDescription)")
        }
        try self.init(data: data, limits: limits)
    }
}
