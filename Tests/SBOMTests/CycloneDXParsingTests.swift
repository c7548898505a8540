import Foundation
import SBOM
import Testing

func parse(_ text: String, limits: SBOMLimits = .default) throws(SBOMError) -> SBOMDocument {
    try SBOMDocument(data: Data(text.utf8), limits: limits)
}

/// Expects parsing to fail with `kind`, at `location` when given, with a
/// message containing `message`.
func expectError(
    _ text: String, _ kind: SBOMError.Kind, at location: String? = nil, containing message: String = "",
    limits: SBOMLimits = .default, sourceLocation: SourceLocation = #_sourceLocation
) {
    do {
        let document = try parse(text, limits: limits)
        Issue.record("parsed as \(document.format) with \(document.components.count) components", sourceLocation: sourceLocation)
    } catch {
        #expect(error.kind == kind, "\(error)", sourceLocation: sourceLocation)
        if let location { #expect(error.location == location, "\(error)", sourceLocation: sourceLocation) }
        #expect(message.isEmpty || error.message.contains(message), "\(error)", sourceLocation: sourceLocation)
    }
}

func cycloneDXJSON(_ version: String = "1.6", components: String, metadata: String = "{}") -> String {
    #"{"bomFormat": "CycloneDX", "specVersion": "\#(version)", "metadata": \#(metadata), "components": [\#(components)]}"#
}

@Suite struct CycloneDXJSONTests {
    @Test func productIsNotAComponentButItsChildrenAre() throws {
        let document = try parse(cycloneDXJSON(
            components: #"""
            {"type": "library", "name": "a", "bom-ref": "a",
             "pedigree": {"ancestors": [{"type": "library", "name": "upstream-a"}]},
             "components": [{"type": "library", "name": "a1", "components": [{"type": "file", "name": "a1x"}]}]},
            {"type": "library", "name": "b"}
            """#,
            metadata: #"""
                {"component": {"type": "firmware", "name": "etcher", "version": "2.4", "bom-ref": "product",
                               "components": [{"type": "library", "name": "bundled"}]}}
                """#))
        #expect(document.product?.name == "etcher")
        #expect(document.components.map(\.name) == ["bundled", "a", "a1", "a1x", "b"])
        #expect(document.components.map(\.parent) == ["product", nil, "a", nil, nil])
    }

    @Test func everySupportedSpecVersionIsRead() throws {
        for minor in 2...7 {
            #expect(try parse(cycloneDXJSON("1.\(minor)", components: #"{"type": "library", "name": "x"}"#)).specVersion == "1.\(minor)")
        }
        for version in ["1.1", "1.8", "2.0", "one"] {
            expectError(cycloneDXJSON(version, components: ""), .unsupportedVersion, at: "specVersion")
        }
    }

    @Test func licensesBecomeOneExpression() throws {
        let document = try parse(cycloneDXJSON(components: #"""
            {"type": "library", "name": "ids", "licenses": [{"license": {"id": "MIT"}}, {"license": {"id": "Apache-2.0"}}]},
            {"type": "library", "name": "named", "licenses": [{"license": {"name": "Acme Proprietary License v2"}}]},
            {"type": "library", "name": "name-is-id", "licenses": [{"license": {"name": "BSD-3-Clause"}}]},
            {"type": "library", "name": "expression", "licenses": [{"expression": "MIT OR (GPL-2.0-only WITH Classpath-exception-2.0)"}]},
            {"type": "library", "name": "noassertion", "licenses": [{"expression": "NOASSERTION"}]},
            {"type": "library", "name": "none", "licenses": []}
            """#))
        #expect(document.components.map(\.licenseExpression) == [
            "MIT AND Apache-2.0", "LicenseRef-Acme-Proprietary-License-v2", "BSD-3-Clause",
            "MIT OR (GPL-2.0-only WITH Classpath-exception-2.0)", nil, nil,
        ])
        #expect(document.components.map(\.licenseMarker) == [nil, nil, nil, nil, .noAssertion, nil])
    }

    @Test func cycloneDX17PrefersConcludedLicenses() throws {
        let document = try parse(cycloneDXJSON("1.7", components: #"""
            {"type": "library", "name": "a", "licenses": [
                {"license": {"id": "MIT", "acknowledgement": "declared"}},
                {"expression": "MIT OR Apache-2.0", "acknowledgement": "concluded"},
                {"license": {"id": "Zlib", "acknowledgement": "concluded"}}]},
            {"type": "library", "name": "b", "licenses": [{"license": {"id": "MIT"}}, {"expression": "BSD-2-Clause OR ISC"}]}
            """#))
        #expect(document.components.map(\.licenseExpression) == ["(MIT OR Apache-2.0) AND Zlib", "MIT AND (BSD-2-Clause OR ISC)"])
        expectError(cycloneDXJSON("1.6", components: #"""
            {"type": "library", "name": "b", "licenses": [{"license": {"id": "MIT"}}, {"expression": "ISC"}]}
            """#), .malformed, at: "components[0]", containing: "allowed from CycloneDX 1.7")
    }

    @Test func malformedValuesAreLocatedByKeyPath() {
        expectError(cycloneDXJSON(components: #"{"type": "library", "name": 5}"#), .malformed,
                    at: "components[0].name", containing: "expected a string")
        expectError(cycloneDXJSON(components: #"{"name": "a", "components": [{"name": "b", "hashes": [{"alg": "SHA-256"}]}]}"#),
                    .malformed, at: "components[0].components[0].hashes[0]", containing: "missing 'content'")
        expectError(cycloneDXJSON(components: #"{"name": "a", "purl": "pkg:npm"}"#), .malformed,
                    at: "components[0]", containing: "invalid purl")
        expectError(cycloneDXJSON(components: #"{"name": "a", "licenses": [{"license": {"id": "MIT", "name": "MIT"}}]}"#),
                    .malformed, at: "components[0].licenses[0]", containing: "both id and name")
    }

    @Test func nestedComponentErrorsNameTheirPath() {
        expectError(cycloneDXJSON(components: #"{"name": "a"}, {"name": "b", "components": [{"name": "c"}, {"type": "library"}]}"#),
                    .malformed, at: "components[1].components[1]", containing: "no name")
        expectError(cycloneDXJSON(components: "", metadata: #"{"component": {"name": "p", "components": [{"name": ""}]}}"#),
                    .malformed, at: "metadata.component.components[0]", containing: "no name")
        expectError(cycloneDXJSON(components: #"{"name": "a", "bom-ref": "x", "components": [{"name": "b", "bom-ref": "x"}]}"#),
                    .malformed, at: "components[0].components[0]", containing: "bom-ref 'x' is used twice")
    }

    /// pip's vendored SBOM lists the product once more among the components under the
    /// same bom-ref: accepted (the same thing named twice); a third use, or two
    /// components sharing a ref, stays malformed. JSON and XML alike.
    @Test func productRepeatedAmongTheComponentsIsNotADuplicate() throws {
        let product = #"{"component": {"type": "library", "name": "pip", "bom-ref": "bom-ref:pip"}}"#
        let document = try parse(cycloneDXJSON(components: #"{"type": "library", "name": "pip", "bom-ref": "bom-ref:pip"}, {"name": "certifi", "bom-ref": "c"}"#,
                                               metadata: product))
        #expect(document.components.map(\.name) == ["pip", "certifi"])
        expectError(cycloneDXJSON(components: #"{"name": "pip", "bom-ref": "bom-ref:pip"}, {"name": "pip2", "bom-ref": "bom-ref:pip"}"#, metadata: product),
                    .malformed, at: "components[1]", containing: "bom-ref 'bom-ref:pip' is used twice")
        let xml = """
            <?xml version="1.0"?>
            <bom xmlns="http://cyclonedx.org/schema/bom/1.4" version="1">
              <metadata><component type="library" bom-ref="bom-ref:pip"><name>pip</name></component></metadata>
              <components><component type="library" bom-ref="bom-ref:pip"><name>pip</name></component></components>
            </bom>
            """
        #expect(try parse(xml).components.map(\.name) == ["pip"])
    }

    @Test func hashesAreCheckedAndNormalised() throws {
        let sha256 = String(repeating: "AB", count: 32)
        let document = try parse(cycloneDXJSON(components: #"""
            {"name": "a", "hashes": [{"alg": "SHA-256", "content": "\#(sha256)"}, {"alg": "BLAKE3", "content": "\#(String(repeating: "0", count: 64))"}]}
            """#))
        #expect(document.components[0].hashes == ["sha256": sha256.lowercased(), "blake3": String(repeating: "0", count: 64)])
        expectError(cycloneDXJSON(components: #"{"name": "a", "hashes": [{"alg": "SHA-256", "content": "abcd"}]}"#),
                    .malformed, containing: "64")
        expectError(cycloneDXJSON(components: #"""
            {"name": "a", "hashes": [{"alg": "SHA-1", "content": "\#(String(repeating: "a", count: 40))"},
                                     {"alg": "SHA-1", "content": "\#(String(repeating: "b", count: 40))"}]}
            """#), .malformed, containing: "two different sha1 digests")
    }

    @Test func notCycloneDXOrNotJSONIsUnrecognized() {
        expectError(#"{"bomFormat": "SWID", "specVersion": "1.6"}"#, .unrecognizedFormat)
        expectError(#"{"hello": "world"}"#, .unrecognizedFormat)
        expectError(#"[1, 2, 3]"#, .unrecognizedFormat)
        expectError("", .unrecognizedFormat)
        expectError("just some text", .unrecognizedFormat)
        expectError(#"{"bomFormat": "CycloneDX", "specVersion": "1.6", "components": [{"name": "a",}"#, .malformed)
        expectError("{\"bomFormat\": \"CycloneDX\",\n\"specVersion\": \"1.6\",\n\"components\": [{\"name\": \"a\" \"b\"}]}",
                    .malformed, at: "line 3", containing: "not valid JSON")
    }

    @Test func limitsAreEnforced() {
        var limits = SBOMLimits()
        limits.maxComponents = 2
        expectError(cycloneDXJSON(components: #"{"name": "a"}, {"name": "b"}, {"name": "c"}"#), .limitExceeded,
                    at: "components[2]", limits: limits)
        limits = SBOMLimits()
        limits.maxBytes = 50
        expectError(cycloneDXJSON(components: #"{"name": "a"}"#), .limitExceeded, containing: "larger than the limit of 50 bytes", limits: limits)
        let deep = (0..<70).reduce(#"{"name": "leaf"}"#) { inner, i in #"{"name": "n\#(i)", "components": [\#(inner)]}"# }
        expectError(cycloneDXJSON(components: deep), .limitExceeded, containing: "nested deeper than 64")
        let shallowEnough = (0..<60).reduce(#"{"name": "leaf"}"#) { inner, i in #"{"name": "n\#(i)", "components": [\#(inner)]}"# }
        #expect((try? parse(cycloneDXJSON(components: shallowEnough)))?.components.count == 61)
    }
}

@Suite struct CycloneDXXMLTests {
    func xml(_ body: String, version: String = "1.6") -> String {
        #"<?xml version="1.0"?><bom xmlns="http://cyclonedx.org/schema/bom/\#(version)" version="1">\#(body)</bom>"#
    }

    @Test func componentsMetadataAndLicenses() throws {
        let document = try parse(xml(#"""
            <metadata><component type="firmware" bom-ref="p"><name>etcher</name>
              <components><component type="library"><name>bundled</name></component></components></component></metadata>
            <components>
              <component type="library" bom-ref="z">
                <supplier><name>Zlib Org</name></supplier>
                <name>zlib</name><version>1.3.1</version><purl>pkg:generic/zlib@1.3.1</purl>
                <hashes><hash alg="SHA-256">\#(String(repeating: "A", count: 64))</hash></hashes>
                <licenses><license><id>Zlib</id></license></licenses>
                <components><component type="file"><name><![CDATA[inner & file]]></name></component></components>
              </component>
            </components>
            """#))
        #expect(document.format == .cyclonedxXML)
        #expect(document.product?.name == "etcher")
        #expect(document.components.map(\.name) == ["bundled", "zlib", "inner & file"])
        #expect(document.components.map(\.parent) == ["p", nil, "z"])
        let zlib = document.components[1]
        #expect(zlib == Component(name: "zlib", version: "1.3.1", purl: "pkg:generic/zlib@1.3.1", supplier: "Zlib Org",
                                  hashes: ["sha256": String(repeating: "a", count: 64)], licenseExpression: "Zlib",
                                  type: "library", ref: "z"))
    }

    @Test func elementsOfOtherNamespacesAreSkipped() throws {
        let document = try parse(xml(#"""
            <components>
              <component type="library"><name>real</name>
                <x:name xmlns:x="urn:other">fake</x:name>
                <x:components xmlns:x="urn:other"><component><name>smuggled</name></component></x:components>
                <licenses><license><id>MIT</id><x:name xmlns:x="urn:other">Banana</x:name></license></licenses>
              </component>
            </components>
            <formulation><formula><components><component type="library"><name>build-tool</name></component></components></formula></formulation>
            """#))
        #expect(document.components.map(\.name) == ["real"])
        #expect(document.components[0].licenseExpression == "MIT")
    }

    @Test func cycloneDX17ExpressionDetailed() throws {
        let document = try parse(xml(#"""
            <components><component type="library"><name>a</name><licenses>
              <expression-detailed expression="Apache-2.0 AND MIT" acknowledgement="concluded"><details license-identifier="MIT"/></expression-detailed>
              <license acknowledgement="declared"><id>GPL-3.0-only</id></license>
            </licenses></component></components>
            """#, version: "1.7"))
        #expect(document.components[0].licenseExpression == "Apache-2.0 AND MIT")
    }

    @Test func errorsCarryLineNumbers() {
        expectError(xml("<components>\n<component>\n<version>1</version>\n</component></components>"), .malformed,
                    at: "line 2", containing: "no name")
        expectError(xml("<components>\n<component><name>a</name>\n</components>"), .malformed,
                    at: "line 3", containing: "not well-formed")
        expectError(xml(#"<components><component><name>a</name><hashes><hash>abcd</hash></hashes></component></components>"#),
                    .malformed, containing: "without an alg")
    }

    @Test func otherXMLIsUnrecognizedAndOtherVersionsUnsupported() {
        expectError(#"<?xml version="1.0"?><Document><spdxVersion>SPDX-2.2</spdxVersion></Document>"#, .unrecognizedFormat)
        expectError(#"<bom xmlns="urn:something-else"/>"#, .unrecognizedFormat)
        expectError(xml("", version: "1.8"), .unsupportedVersion)
        expectError(xml("", version: "2.0"), .unsupportedVersion)
    }

    @Test func documentTypeDeclarationsAreRejected() {
        let billionLaughs = #"""
            <?xml version="1.0"?>
            <!-- comment first -->
            <!DOCTYPE bom [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">]>
            <bom xmlns="http://cyclonedx.org/schema/bom/1.6"><components><component><name>&b;</name></component></components></bom>
            """#
        expectError(billionLaughs, .malformed, containing: "DTD")
    }

    @Test func deepNestingIsBounded() {
        let deepComponents = (0..<70).reduce("<component><name>leaf</name></component>") { inner, i in
            "<component><name>n\(i)</name><components>\(inner)</components></component>"
        }
        expectError(xml("<components>\(deepComponents)</components>"), .limitExceeded)
        let deepElements = String(repeating: "<x>", count: 100_000) + String(repeating: "</x>", count: 100_000)
        do throws(SBOMError) {
            _ = try parse(xml(deepElements))
            Issue.record("100,000 nested elements parsed")
        } catch {
            #expect(error.kind == .limitExceeded || error.kind == .malformed)
        }
    }
}
