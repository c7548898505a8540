import Foundation
import SBOM
import Testing

/// `Tests/Fixtures/sboms-in-the-wild/<name>`: shapes real tools write, made by
/// `Tests/Fixtures/make_sboms.py --in-the-wild` with the reference writers.
func wildFixture(_ name: String) -> URL {
    URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Fixtures/sboms-in-the-wild/\(name)")
}

/// Licenses as SBOMs in the wild state them (issue 12).
@Suite struct WildLicenseTests {
    /// keycloak's and protonmail's CycloneDX 1.2: `license.id` values with `+` from the
    /// schemas' SPDX enumeration, and an id on no list: read, not refused.
    @Test(arguments: ["cyclonedx-1.2-license-ids-with-plus.json", "cyclonedx-1.2-license-ids-with-plus.xml"])
    func cycloneDXLicenseIDsWithPlusAreOrLaterExpressions(file: String) throws {
        let document = try SBOMDocument(contentsOf: wildFixture(file))
        #expect(document.specVersion == "1.2")
        #expect(document.components.map(\.licenseExpression) == ["GPL-2.0+", "LGPL-2.1+", "LGPL-3.0+", "Apache-2"])
    }

    /// Every `+` id of the CycloneDX schemas' SPDX enumeration.
    @Test func allSixPlusIDsOfTheSchemaEnumerationAreRead() throws {
        let ids = ["GPL-1.0+", "GPL-2.0+", "GPL-3.0+", "LGPL-2.0+", "LGPL-2.1+", "LGPL-3.0+"]
        let components = ids.map { #"{"type": "library", "name": "\#($0)", "licenses": [{"license": {"id": "\#($0)"}}]}"# }
        let document = try parse(cycloneDXJSON("1.2", components: components.joined(separator: ",")))
        #expect(document.components.map(\.licenseExpression) == ids)
    }

    /// An id that is no SPDX identifier at all is read like a license name, not refused.
    @Test func anIDThatIsNoIdentifierIsReadLikeAName() throws {
        let document = try parse(cycloneDXJSON(components: #"""
            {"name": "a", "licenses": [{"license": {"id": "GPL 2"}}]},
            {"name": "b", "licenses": [{"license": {"id": "LicenseRef-x+"}}]},
            {"name": "c", "licenses": [{"license": {"id": "+"}}]}
            """#))
        #expect(document.components.map(\.licenseExpression) == ["LicenseRef-GPL-2", "LicenseRef-LicenseRef-x-", "LicenseRef--"])
    }

    /// License policy: deprecated SPDX ids are their current equivalents, both in the
    /// SBOM and in the policy's entries.
    @Test func deprecatedIDsCountAsTheirCurrentEquivalents() throws {
        func status(_ license: String, allow: [String]? = nil, deny: [String] = []) throws -> ComponentVerdict.Status {
            let rules = try SBOMRules(licenseAllow: allow, licenseDeny: deny)
            return evaluate(Component(name: "x", licenseExpression: license), rules: rules).status
        }
        #expect(try status("GPL-2.0+", allow: ["GPL-2.0-or-later"]) == .approved)
        #expect(try status("LGPL-2.1+", allow: ["LGPL-2.1-or-later"]) == .approved)
        #expect(try status("GPL-2.0", allow: ["GPL-2.0-only"]) == .approved)
        #expect(try status("GPL-2.0-only", allow: ["GPL-2.0"]) == .approved)
        #expect(try status("GPL-2.0-or-later", allow: ["GPL-2.0+"]) == .approved)
        #expect(try status("gpl-3.0+", deny: ["GPL-3.0-or-later"]) == .licenseDenied)
        #expect(try status("GPL-2.0-with-classpath-exception", allow: ["GPL-2.0-only WITH Classpath-exception-2.0"]) == .approved)
        #expect(try status("GPL-2.0-with-classpath-exception", deny: ["GPL-2.0-only"]) == .licenseDenied)
        // As an entry X matches X+: GPL-2.0-only matches GPL-2.0-or-later, not the reverse.
        #expect(try status("GPL-2.0+", deny: ["GPL-2.0-only"]) == .licenseDenied)
        #expect(try status("GPL-2.0", allow: ["GPL-2.0-or-later"]) == .licenseDenied)
        #expect(try status("GPL-2.0", allow: ["GPL-3.0-or-later"]) == .licenseDenied)
        // An id on no list matches only an entry that names it.
        #expect(try status("Apache-2", allow: ["Apache-2.0"]) == .licenseDenied)
        #expect(try status("Apache-2", allow: ["Apache-2"]) == .approved)
    }

    /// The CycloneDX 1.2-1.4 JSON schemas allow a `licenses` list that mixes an
    /// expression with licenses; XML and JSON 1.5-1.6 do not.
    @Test func cycloneDXJSON12To14MayMixExpressionsAndLicenses() throws {
        let component = #"{"type": "library", "name": "m", "licenses": [{"expression": "MIT OR Apache-2.0"}, {"license": {"id": "ISC"}}]}"#
        for minor in 2...4 {
            let document = try parse(cycloneDXJSON("1.\(minor)", components: component))
            #expect(document.components.first?.licenseExpression == "(MIT OR Apache-2.0) AND ISC")
        }
        for minor in 5...6 {
            expectError(cycloneDXJSON("1.\(minor)", components: component), .malformed, at: "components[0]",
                        containing: "mixes an expression")
        }
        let xml = """
            <bom xmlns="http://cyclonedx.org/schema/bom/1.4"><components><component type="library"><name>m</name>
            <licenses><expression>MIT</expression><license><id>ISC</id></license></licenses></component></components></bom>
            """
        expectError(xml, .malformed, containing: "mixes an expression")
    }
}

/// Text encodings and line endings of SBOMs in the wild (issue 12).
@Suite struct WildEncodingTests {
    /// Old Mac tools end lines with CR alone; spdx-tools reads such a file, and so does passbox.
    @Test func tagValueWithCROnlyLineEndingsIsRead() throws {
        let document = try SBOMDocument(contentsOf: wildFixture("spdx-2.3-cr-line-endings.spdx"))
        #expect(document.format == .spdxTagValue)
        #expect(document.specVersion == "2.3")
        #expect(document.components.map(\.name) == ["zlib", "busybox", "blob"])
        #expect(document.components.first?.purl == "pkg:generic/zlib@1.3")
        #expect(document.components.first?.licenseExpression == "Zlib")
        // Lines are still counted for errors.
        expectError("SPDXVersion: SPDX-2.3\rPackageName: a\rSPDXID: SPDXRef-a\rPackageChecksum: SHA1 abc\r", .malformed,
                    at: "line 4", containing: "PackageChecksum")
    }

    /// UTF-16 (what Windows tools call "Unicode") is named as the problem.
    @Test func utf16IsNamedNotUnrecognized() throws {
        do {
            let document = try SBOMDocument(contentsOf: wildFixture("spdx-2.3-utf16.json"))
            Issue.record("read as \(document.format)")
        } catch {
            #expect(error.kind == .malformed)
            #expect(error.message.contains("UTF-16 text: SBOMs must be UTF-8"), "\(error)")
        }
        let withoutBOM = Data(#"{"bomFormat": "CycloneDX"}"#.utf16.flatMap { [UInt8($0 & 0xFF), UInt8($0 >> 8)] })
        #expect(throws: SBOMError.self) { try SBOMDocument(data: withoutBOM) }
        do {
            _ = try SBOMDocument(data: withoutBOM)
        } catch {
            #expect(error.message.hasPrefix("UTF-16 text"), "\(error)")
        }
    }

    /// However long the offending value, an error message quotes at most a short prefix of it.
    @Test func errorMessagesDoNotEchoTheInput() {
        let long = String(repeating: "x", count: 5000)
        let cases = [
            "SPDXVersion: SPDX-2.3" + String(repeating: "\rDataLicense: CC0-1.0", count: 0) + long,
            cycloneDXJSON(long, components: ""),
            #"{"bomFormat": "\#(long)", "specVersion": "1.6"}"#,
            cycloneDXJSON(components: #"{"name": "a", "purl": "pkg:\#(long)"}"#),
            cycloneDXJSON(components: #"{"name": "a", "bom-ref": "\#(long)"}, {"name": "b", "bom-ref": "\#(long)"}"#),
            "SPDXVersion: SPDX-2.3\nPackageName: a\nSPDXID: SPDXRef-\(long)\nPackageName: b\nSPDXID: SPDXRef-\(long)\n",
        ]
        for text in cases {
            do {
                _ = try parse(text)
                Issue.record("parsed")
            } catch {
                #expect(error.description.utf8.count < 300, "\(error.description.prefix(300))")
            }
        }
    }
}

@Suite struct WildSPDX3Tests {
    /// Tools that serialise SPDX 3 by walking the object graph write an element once per
    /// reference; JSON-LD merges identical copies, so passbox does too.
    @Test func anElementRepeatedWithTheSameContentIsOneElement() throws {
        let zlib = #"""
            {"type": "software_Package", "spdxId": "urn:acme:zlib", "creationInfo": "_:creationinfo", "name": "zlib",
             "software_packageVersion": "1.3.1",
             "externalIdentifier": [{"type": "ExternalIdentifier", "externalIdentifierType": "packageUrl",
                                     "identifier": "pkg:generic/zlib@1.3.1"}]},
            """#
        // The same element again, keys in another order.
        let again = #"""
            {"name": "zlib", "spdxId": "urn:acme:zlib", "type": "software_Package", "creationInfo": "_:creationinfo",
             "externalIdentifier": [{"identifier": "pkg:generic/zlib@1.3.1", "type": "ExternalIdentifier",
                                     "externalIdentifierType": "packageUrl"}], "software_packageVersion": "1.3.1"},
            """#
        let relationship = #"""
            {"type": "Relationship", "spdxId": "urn:acme:rel3", "creationInfo": "_:creationinfo", "from": "urn:acme:zlib",
             "relationshipType": "hasDeclaredLicense", "to": ["urn:acme:set"]},
            """#
        let original = try parse(SPDX3Tests.document)
        let repeated = SPDX3Tests.document.replacingOccurrences(of: #""@graph": ["#, with: #""@graph": ["# + again + relationship)
        #expect(try parse(repeated).components.sorted { $0.name < $1.name } == original.components.sorted { $0.name < $1.name })

        let different = SPDX3Tests.document.replacingOccurrences(
            of: #""@graph": ["#, with: #""@graph": ["# + zlib.replacingOccurrences(of: "1.3.1\"", with: "1.3.2\"", options: [], range: nil))
        expectError(different, .malformed, containing: "used twice, with different content")
    }
}

@Suite struct WildCycloneDXTests {
    /// CycloneDX 1.0 and 1.1 XML (auditjs, jake, older composer plugins), as
    /// cyclonedx-python-lib writes them: the same component model as 1.2+.
    @Test(arguments: ["1.0", "1.1"])
    func cycloneDX10And11XMLAreRead(version: String) throws {
        let document = try SBOMDocument(contentsOf: wildFixture("cyclonedx-\(version).xml"))
        #expect(document.format == .cyclonedxXML)
        #expect(document.specVersion == version)
        #expect(document.components.map(\.name) == ["left-pad", "inner", "lodash"])
        let leftPad = document.components[0]
        #expect(leftPad.group == "@acme")
        #expect(leftPad.purl == "pkg:npm/%40acme/left-pad@1.3.0")
        #expect(leftPad.hashes == ["sha1": String(repeating: "a", count: 40)])
        // 1.0 has no bom-ref; cyclonedx-python-lib writes no licenses in 1.0.
        #expect(document.components.map(\.parent) == (version == "1.0" ? [nil, nil, nil] : [nil, "left-pad", nil]))
        #expect(document.components.map(\.licenseExpression)
                    == (version == "1.0" ? [nil, nil, nil] : ["WTFPL", nil, "LicenseRef-MIT-License"]))
    }

    /// JSON starts at CycloneDX 1.2: a JSON "1.1" is no CycloneDX JSON.
    @Test func cycloneDX11JSONIsUnsupported() {
        expectError(cycloneDXJSON("1.1", components: ""), .unsupportedVersion, at: "specVersion", containing: "1.2 to 1.7")
    }
}

@Suite struct WildSPDXFormatTests {
    /// The document spdx-tools wrote as tag-value (read line by line).
    static func tagValueComponents() throws -> [Component] {
        try SBOMDocument(contentsOf: wildFixture("spdx-2.3-cr-line-endings.spdx")).components
    }

    @Test func spdxYAMLIsReadLikeTheOtherSerialisations() throws {
        let document = try SBOMDocument(contentsOf: wildFixture("spdx-2.3.yaml"))
        #expect(document.format == .spdxYAML)
        #expect(document.specVersion == "2.3")
        #expect(document.components == (try Self.tagValueComponents()))
        let zlib = document.components[0]
        #expect(zlib.supplier == "Zlib Org")
        #expect(zlib.cpe == "cpe:2.3:a:zlib:zlib:1.3:*:*:*:*:*:*:*")
        #expect(zlib.hashes == ["sha256": String(repeating: "b", count: 64)])
        #expect(document.components[1].licenseExpression == "GPL-2.0-only WITH Linux-syscall-note AND (MIT OR Apache-2.0)")
        #expect(document.components[2].licenseMarker == .noAssertion)
    }

    @Test func spdxYAMLScalarsAreTextAndErrorsNameTheKeyPath() throws {
        let yaml = """
            spdxVersion: SPDX-2.2
            packages:
            - SPDXID: SPDXRef-a
              name: a
              versionInfo: 1.10
            - SPDXID: SPDXRef-b
              name: b
              checksums:
              - algorithm: CRC32
                checksumValue: abcd
            """
        expectError(yaml, .malformed, at: "packages[1]", containing: "unknown checksum algorithm")
        let document = try parse(yaml.components(separatedBy: "  checksums:")[0])
        #expect(document.components.map(\.version) == ["1.10", nil])
        expectError("spdxVersion: SPDX-2.3\npackages: [{name: a, SPDXID: x}, {name: b, SPDXID: x}]\n", .malformed,
                    at: "packages[1]", containing: "used twice")
    }

    /// Aliases are counted each time they are used: a "billion laughs" stops early.
    @Test func spdxYAMLAliasesCannotExpand() {
        var yaml = "a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n"
        for i in 1...9 {
            yaml += "a\(i): &a\(i) [" + Array(repeating: "*a\(i - 1)", count: 10).joined(separator: ", ") + "]\n"
        }
        yaml += "spdxVersion: SPDX-2.3\npackages: *a9\n"
        expectError(yaml, .limitExceeded, containing: "aliases")
    }

    @Test func spdxYAMLNestingIsBounded() {
        let deep = "spdxVersion: SPDX-2.3\nx: " + String(repeating: "[", count: 100_000) + "\n"
        expectError(deep, .limitExceeded, at: "line 2", containing: "nested deeper")
    }
}

extension WildSPDXFormatTests {
    @Test func spdxRDFXMLIsReadLikeTheOtherSerialisations() throws {
        let document = try SBOMDocument(contentsOf: wildFixture("spdx-2.3.rdf.xml"))
        #expect(document.format == .spdxRDFXML)
        #expect(document.specVersion == "2.3")
        // RDF has no order among nodes or properties: packages come in the order the
        // writer chose, and license sets may list their members in another order.
        let components = document.components.sorted { $0.name < $1.name }
        let tagValue = try Self.tagValueComponents().sorted { $0.name < $1.name }
        #expect(components.map(\.name) == tagValue.map(\.name))
        for (rdf, text) in zip(components, tagValue) {
            var rdf = rdf, text = text
            #expect(Set(rdf.licenseExpression.map(licenseTerms) ?? []) == Set(text.licenseExpression.map(licenseTerms) ?? []))
            rdf.licenseExpression = nil
            text.licenseExpression = nil
            #expect(rdf == text)
        }
        let zlib = try #require(document.components.first { $0.name == "zlib" })
        #expect(zlib.licenseExpression == "Zlib")
        #expect(zlib.purl == "pkg:generic/zlib@1.3")
    }

    private func licenseTerms(_ expression: String) -> [String] {
        ((try? LicenseExpression(expression))?.terms ?? []).map(\.description)
    }

    @Test func spdxRDFLicenseNodesAndReferences() throws {
        let rdf = """
            <?xml version="1.0"?>
            <rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" xmlns:spdx="http://spdx.org/rdf/terms#">
              <spdx:SpdxDocument rdf:about="https://x.example/doc#SPDXRef-DOCUMENT">
                <spdx:specVersion>SPDX-2.2</spdx:specVersion>
                <spdx:describesPackage rdf:resource="https://x.example/doc#SPDXRef-a"/>
              </spdx:SpdxDocument>
              <spdx:Package rdf:about="https://x.example/doc#SPDXRef-a">
                <spdx:name>a</spdx:name>
                <spdx:licenseConcluded rdf:nodeID="set"/>
                <spdx:primaryPackagePurpose rdf:resource="http://spdx.org/rdf/terms#purpose_library"/>
              </spdx:Package>
              <spdx:ConjunctiveLicenseSet rdf:nodeID="set">
                <spdx:member>
                  <spdx:WithExceptionOperator>
                    <spdx:member><spdx:OrLaterOperator><spdx:member rdf:resource="http://spdx.org/licenses/GPL-2.0"/></spdx:OrLaterOperator></spdx:member>
                    <spdx:licenseException><spdx:LicenseException><spdx:licenseExceptionId>Classpath-exception-2.0</spdx:licenseExceptionId></spdx:LicenseException></spdx:licenseException>
                  </spdx:WithExceptionOperator>
                </spdx:member>
                <spdx:member><spdx:ExtractedLicensingInfo rdf:about="https://x.example/doc#LicenseRef-1"><spdx:licenseId>LicenseRef-1</spdx:licenseId></spdx:ExtractedLicensingInfo></spdx:member>
              </spdx:ConjunctiveLicenseSet>
              <spdx:Package rdf:about="https://x.example/doc#SPDXRef-a">
                <spdx:versionInfo>1.0</spdx:versionInfo>
              </spdx:Package>
              <spdx:Package rdf:about="https://x.example/doc#SPDXRef-b">
                <spdx:name>b</spdx:name>
                <spdx:licenseDeclared rdf:resource="http://spdx.org/rdf/terms#none"/>
              </spdx:Package>
            </rdf:RDF>
            """
        let document = try parse(rdf)
        #expect(document.components == [
            Component(name: "a", version: "1.0", licenseExpression: "(GPL-2.0+ WITH Classpath-exception-2.0) AND LicenseRef-1",
                      type: "library", ref: "SPDXRef-a"),
            Component(name: "b", licenseMarker: .noLicense, ref: "SPDXRef-b"),
        ])
        expectError(rdf.replacingOccurrences(of: "<spdx:name>b</spdx:name>", with: ""), .malformed, at: "line 24",
                    containing: "no name")
        let cyclic = rdf.replacingOccurrences(of: #"<spdx:member><spdx:ExtractedLicensingInfo"#,
                                              with: #"<spdx:member rdf:nodeID="set"/><spdx:member><spdx:ExtractedLicensingInfo"#)
        expectError(cyclic, .limitExceeded)
    }
}
