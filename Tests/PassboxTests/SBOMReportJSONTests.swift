import Foundation
@testable import PassboxKit
import Testing

/// `passbox sbom --format json` writes its report without JSONEncoder (for speed);
/// the bytes must be JSONEncoder's.
@Suite struct SBOMReportJSONTests {
    static func entry(_ i: Int, _ text: String) -> SBOMReport.Entry {
        SBOMReport.Entry(
            name: text, version: i % 2 == 0 ? "1.\(i)" : nil, purl: i % 3 == 0 ? "pkg:npm/x@\(i)" : nil,
            cpe: i % 4 == 0 ? "cpe:2.3:a:x:y:\(i):*:*:*:*:*:*:*" : nil, license: i % 5 == 0 ? nil : "MIT OR (GPL-2.0+ WITH X)",
            status: "approved", rule: i % 2 == 1 ? "pkg:npm/**" : nil, reason: "because \(text)", document: "dir/sbom \(i).json")
    }

    @Test func writesWhatJSONEncoderWrites() throws {
        let texts = ["plain", "quote \" and \\ backslash", "slash / é 𝄞 ünïcode", "tab\tnew\nline\r\u{1}\u{1F}\u{7F}", "", "</script>"]
        let entries = texts.enumerated().map { Self.entry($0.offset, $0.element) } + (0..<20).map { Self.entry($0, "n\($0)") }
        let documents = [
            SBOMReport.Document(path: "a/b.json", format: "cyclonedx-json", specVersion: "1.6", signed: nil, product: nil, components: 3),
            SBOMReport.Document(path: "c \"d\".spdx", format: "spdx-tag-value", specVersion: "2.3", signed: true, product: "etcher 2", components: 0),
            SBOMReport.Document(path: "e", format: "x", specVersion: "3.0.1", signed: false, product: nil, components: 12),
        ]
        for output in [
            SBOMCommand.Output(verdict: "not-approved", sbom: SBOMReport(documents: documents, components: entries)),
            SBOMCommand.Output(verdict: "approved", sbom: SBOMReport(documents: [documents[0]], components: [entries[0]])),
            SBOMCommand.Output(verdict: "approved", sbom: SBOMReport(documents: documents, components: [])),
            SBOMCommand.Output(verdict: "approved", sbom: SBOMReport(documents: [], components: [])),
        ] {
            let expected = try SBOMCommand.Output.encoder.encode(output)
            let written = try output.prettyJSON()
            #expect(String(decoding: written, as: UTF8.self) == String(decoding: expected, as: UTF8.self))
        }
    }
}
