import Foundation
import SBOM
import Testing

/// A large SBOM in both CycloneDX forms, for checking nothing is quadratic.
enum LargeSBOM {
    static let count = 20_000

    static func version(_ i: Int) -> String { "\(i % 7).\(i % 100).\(i % 13)" }
    static func digest(_ i: Int) -> String { String(repeating: String(format: "%08x", i), count: 8) }

    static func json() -> Data {
        var text = #"{"bomFormat": "CycloneDX", "specVersion": "1.6", "metadata": {"component": {"type": "firmware", "name": "product"}}, "components": ["#
        for i in 0..<count {
            if i > 0 { text += "," }
            text += #"{"type": "library", "bom-ref": "c\#(i)", "name": "pkg\#(i)", "version": "\#(version(i))", "#
                + #""purl": "pkg:npm/pkg\#(i)@\#(version(i))", "hashes": [{"alg": "SHA-256", "content": "\#(digest(i))"}], "#
                + #""licenses": [{"license": {"id": "\#(i % 10 == 0 ? "GPL-3.0-only" : "MIT")"}}]}"#
        }
        return Data((text + "]}").utf8)
    }

    static func xml() -> Data {
        var text = #"<?xml version="1.0"?><bom xmlns="http://cyclonedx.org/schema/bom/1.6"><metadata><component type="firmware"><name>product</name></component></metadata><components>"#
        for i in 0..<count {
            text += #"<component type="library" bom-ref="c\#(i)"><name>pkg\#(i)</name><version>\#(version(i))</version>"#
                + #"<hashes><hash alg="SHA-256">\#(digest(i))</hash></hashes>"#
                + #"<licenses><license><id>\#(i % 10 == 0 ? "GPL-3.0-only" : "MIT")</id></license></licenses>"#
                + #"<purl>pkg:npm/pkg\#(i)@\#(version(i))</purl></component>"#
        }
        return Data((text + "</components></bom>").utf8)
    }

    static func rules() throws -> SBOMRules {
        try SBOMRules(
            allow: ["pkg:npm/pkg1*", "pkg:npm/pkg2*@vers:npm/>=1.0.0|<5.0.0"] + (0..<50).map { "pkg:maven/org.example/lib\($0)" },
            deny: ["pkg:npm/pkg3*@vers:npm/<2.0.0"] + (0..<50).map { "pkg:npm/evil\($0)" },
            licenseAllow: ["MIT", "Apache-2.0"], licenseDeny: ["AGPL-3.0-only"])
    }
}

@Suite struct ScaleTests {
    @Test func largeCycloneDXJSONAndXMLGiveTheSameVerdicts() throws {
        let fromJSON = try SBOMDocument(data: LargeSBOM.json())
        let fromXML = try SBOMDocument(data: LargeSBOM.xml())
        #expect(fromJSON.components.count == LargeSBOM.count)
        #expect(fromJSON.components == fromXML.components)
        let rules = try LargeSBOM.rules()
        var counts: [ComponentVerdict.Status: Int] = [:]
        for component in fromJSON.components {
            counts[evaluate(component, rules: rules).status, default: 0] += 1
        }
        #expect(counts.values.reduce(0, +) == LargeSBOM.count)
        #expect((counts[.licenseDenied] ?? 0) > LargeSBOM.count / 20)
        #expect((counts[.approved] ?? 0) > 10_000)
        #expect((counts[.denied] ?? 0) > 0)
        #expect((counts[.unapproved] ?? 0) > 0)
    }
}

@Suite struct HostileInputTests {
    /// A small deterministic generator (xorshift), so failures reproduce.
    struct Generator {
        var state: UInt64
        mutating func next(_ bound: Int) -> Int {
            state ^= state << 13
            state ^= state >> 7
            state ^= state << 17
            return Int(state % UInt64(bound))
        }
    }

    /// Truncated and byte-flipped corpus files must end in an SBOMError or a
    /// parse, never a crash or a hang.
    @Test(.enabled(if: corpusAvailable)) func mutatedCorpusFilesNeverCrash() throws {
        let files = try corpusFiles("cyclonedx-1.6", prefix: "valid-") + corpusFiles("spdx-2.2", prefix: "SPDX")
        var generator = Generator(state: 0x9E37_79B9_7F4A_7C15)
        var outcomes = (parsed: 0, rejected: 0)
        for file in files {
            let original = try Data(contentsOf: file)
            guard !original.isEmpty else { continue }
            for round in 0..<6 {
                var data = original
                if round % 2 == 0 {
                    data = data.prefix(generator.next(data.count))
                } else {
                    for _ in 0..<(1 + generator.next(8)) {
                        let index = generator.next(data.count)
                        data[index] = UInt8(truncatingIfNeeded: generator.next(256))
                    }
                }
                do throws(SBOMError) {
                    _ = try SBOMDocument(data: data)
                    outcomes.parsed += 1
                } catch {
                    outcomes.rejected += 1
                }
            }
        }
        #expect(outcomes.parsed + outcomes.rejected == files.count * 6)
        #expect(outcomes.rejected > 0)
    }

    @Test func deeplyNestedJSONIsRejected() {
        let arrays = #"{"bomFormat": "CycloneDX", "specVersion": "1.6", "x": "# + String(repeating: "[", count: 100_000)
            + String(repeating: "]", count: 100_000) + "}"
        expectError(arrays, .malformed)
        let objects = #"{"spdxVersion": "SPDX-2.3", "packages": [{"SPDXID": "SPDXRef-a", "name": "a", "x": "#
            + String(repeating: #"{"a":"#, count: 100_000) + "1" + String(repeating: "}", count: 100_000) + "}]}"
        expectError(objects, .malformed)
    }

    @Test func hugeValuesAreHandled() throws {
        let longName = String(repeating: "n", count: 1 << 20)
        let document = try parse(cycloneDXJSON(components: #"{"name": "\#(longName)", "licenses": [{"expression": "\#(Array(repeating: "MIT", count: 30_000).joined(separator: " AND "))"}]}"#))
        let verdict = evaluate(document.components[0], rules: try SBOMRules(licenseDeny: ["GPL-3.0-only"]))
        #expect(verdict.status == .licenseDenied)
        #expect(verdict.reason.contains("longer than"))
        let longVersion = String(repeating: "1.", count: 2_000) + "1"
        let ranged = try SBOMRules(deny: ["pkg:npm/x@vers:npm/<2.0.0"])
        #expect(evaluate(Component(name: "x", purl: "pkg:npm/x@\(longVersion)"), rules: ranged).status == .denied)
    }

    @Test func invalidUTF8IsRejectedOrReplaced() {
        var data = Data("SPDXVersion: SPDX-2.3\nPackageName: caf".utf8)
        data.append(contentsOf: [0xC3, 0x28, 0x0A])
        data.append(contentsOf: Data("SPDXID: SPDXRef-x\n".utf8))
        #expect((try? SBOMDocument(data: data))?.components.first?.name == "caf\u{FFFD}(")
        var json = Data(#"{"bomFormat": "CycloneDX", "specVersion": "1.6", "components": [{"name": ""#.utf8)
        json.append(contentsOf: [0xFF, 0xFE])
        json.append(contentsOf: Data(#""}]}"#.utf8))
        #expect(throws: SBOMError.self) { try SBOMDocument(data: json) }
    }
}
