import Foundation

extension SBOMCommand.Output {
    /// The report as `JSONEncoder` writes it with `[.prettyPrinted, .sortedKeys,
    /// .withoutEscapingSlashes]`, byte for byte, written directly: for a
    /// 50,000-component SBOM the generic encoder took longer than parsing the SBOM.
    /// Strings that need escapes, and the rare shapes this writer does not spell out
    /// (no documents or no components), are left to `JSONEncoder` itself.
    public func prettyJSON() throws -> Data {
        guard !sbom.components.isEmpty, !sbom.documents.isEmpty, vulnerabilities == nil else { return try Self.encoder.encode(self) }
        var out = JSONOut()
        out.bytes.reserveCapacity(256 * sbom.components.count + 4096)
        out.raw("{\n")
        out.member("mediaType", mediaType, indent: 1, last: false)
        out.raw("  \"sbom\" : {\n    \"components\" : [\n")
        let lastIndex = sbom.components.count - 1
        for i in 0...lastIndex {
            let entry = sbom.components[i]
            out.raw("      {\n")
            // Sorted keys; `status` is last unless there is a version.
            if let cpe = entry.cpe { out.member("cpe", cpe, indent: 4, last: false) }
            out.member("document", entry.document, indent: 4, last: false)
            if let license = entry.license { out.member("license", license, indent: 4, last: false) }
            out.member("name", entry.name, indent: 4, last: false)
            if let purl = entry.purl { out.member("purl", purl, indent: 4, last: false) }
            out.member("reason", entry.reason, indent: 4, last: false)
            if let rule = entry.rule { out.member("rule", rule, indent: 4, last: false) }
            out.member("status", entry.status, indent: 4, last: entry.version == nil)
            if let version = entry.version { out.member("version", version, indent: 4, last: true) }
            out.raw(i == lastIndex ? "      }\n" : "      },\n")
        }
        out.raw("    ],\n    \"documents\" : [\n")
        for (i, document) in sbom.documents.enumerated() {
            out.raw("      {\n")
            out.raw("        \"components\" : \(document.components),\n")
            out.member("format", document.format, indent: 4, last: false)
            out.member("path", document.path, indent: 4, last: false)
            if let product = document.product { out.member("product", product, indent: 4, last: false) }
            if let signed = document.signed { out.raw("        \"signed\" : \(signed),\n") }
            out.member("specVersion", document.specVersion, indent: 4, last: true)
            out.raw(i == sbom.documents.count - 1 ? "      }\n" : "      },\n")
        }
        out.raw("    ]\n  },\n")
        out.member("verdict", verdict, indent: 1, last: true)
        out.raw("}")
        return Data(out.bytes)
    }

    static var encoder: JSONEncoder {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        return encoder
    }
}

private struct JSONOut {
    var bytes: [UInt8] = []

    mutating func raw(_ text: String) {
        var text = text
        text.withUTF8 { bytes.append(contentsOf: $0) }
    }

    /// `"key" : "value"` at `indent` levels (two spaces each) below the enclosing object.
    mutating func member(_ key: StaticString, _ value: String, indent: Int, last: Bool) {
        for _ in 0..<(2 * indent) { bytes.append(0x20) }
        // Keys are this file's constants: no escapes.
        bytes.append(UInt8(ascii: "\""))
        bytes.append(contentsOf: UnsafeBufferPointer(start: key.utf8Start, count: key.utf8CodeUnitCount))
        bytes.append(contentsOf: "\" : ".utf8)
        string(value)
        if !last { bytes.append(UInt8(ascii: ",")) }
        bytes.append(0x0A)
    }

    mutating func string(_ text: String) {
        // Over the contiguous UTF-8 (String.UTF8View goes byte by byte).
        var text = text
        let plain = text.withUTF8 { utf8 -> Bool in
            // Whether any byte is a control character, a quote or a backslash, without a branch per byte.
            var special: UInt8 = 0
            for byte in utf8 {
                special |= (byte < 0x20 ? 1 : 0) | (byte == UInt8(ascii: "\"") ? 1 : 0) | (byte == UInt8(ascii: "\\") ? 1 : 0)
            }
            if special != 0 { return false }
            bytes.append(UInt8(ascii: "\""))
            bytes.append(contentsOf: utf8)
            bytes.append(UInt8(ascii: "\""))
            return true
        }
        if plain {
            return
        } else if let encoded = try? SBOMCommand.Output.encoder.encode(text) {
            // JSONEncoder's own escapes, so that the two writers cannot differ.
            bytes.append(contentsOf: encoded)
        } else {
            bytes.append(contentsOf: "\"\"".utf8)
        }
    }
}
