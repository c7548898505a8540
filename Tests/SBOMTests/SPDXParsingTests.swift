import Foundation
import SBOM
import Testing

@Suite struct SPDXTagValueTests {
    static let document = """
        # A comment
        SPDXVersion: SPDX-2.3
        DataLicense: CC0-1.0
        SPDXID: SPDXRef-DOCUMENT
        DocumentComment: <text>Several
        lines, with PackageName: inside
        </text>

        PackageName: zlib
        SPDXID: SPDXRef-zlib
        PackageVersion:\t1.3.1
        PackageSupplier: Organization: zlib project (zlib@example.org)
        PackageChecksum: SHA256: \(String(repeating: "AB", count: 32))
        PackageLicenseConcluded: NOASSERTION
        PackageLicenseDeclared: Zlib
        PrimaryPackagePurpose: LIBRARY
        ExternalRef: PACKAGE-MANAGER purl pkg:generic/zlib@1.3.1
        ExternalRef: SECURITY cpe23Type cpe:2.3:a:zlib:zlib:1.3.1:*:*:*:*:*:*:*
        PackageDescription: <text>Compression
        library</text>
        Relationship: SPDXRef-DOCUMENT DESCRIBES SPDXRef-zlib

        FileName: ./zlib.h
        SPDXID: SPDXRef-file
        FileChecksum: SHA1: \(String(repeating: "0", count: 40))
        LicenseConcluded: MIT

        PackageName: busybox
        SPDXID: SPDXRef-busybox
        PackageLicenseConcluded: NONE
        """

    @Test func packagesAndTheirFields() throws {
        let parsed = try parse(Self.document)
        #expect(parsed.format == .spdxTagValue)
        #expect(parsed.specVersion == "2.3")
        #expect(parsed.product == nil)
        #expect(parsed.components == [
            Component(name: "zlib", version: "1.3.1", purl: "pkg:generic/zlib@1.3.1",
                      cpe: "cpe:2.3:a:zlib:zlib:1.3.1:*:*:*:*:*:*:*", supplier: "zlib project",
                      hashes: ["sha256": String(repeating: "ab", count: 32)], licenseExpression: "Zlib",
                      type: "library", ref: "SPDXRef-zlib"),
            Component(name: "busybox", licenseMarker: .noLicense, ref: "SPDXRef-busybox"),
        ])
    }

    @Test func windowsLineEndings() throws {
        let parsed = try parse("SPDXVersion: SPDX-2.3\r\nPackageName: x\r\nSPDXID: SPDXRef-x\r\nPackageVersion: 1.0\r\n")
        #expect(parsed.components == [Component(name: "x", version: "1.0", ref: "SPDXRef-x")])
    }

    @Test func errorsCarryLineNumbers() {
        expectError("SPDXVersion: SPDX-2.3\nPackageName: x\nSPDXID: SPDXRef-x\nthis line has no colon\n", .malformed, at: "line 4")
        expectError("SPDXVersion: SPDX-2.3\nPackageName: x\nPackageComment: <text>never closed\nmore\n", .malformed,
                    at: "line 3", containing: "not closed")
        expectError("SPDXVersion: SPDX-2.3\n\nPackageName: x\nPackageVersion: 1\n", .malformed, at: "line 3", containing: "no SPDXID")
        expectError("SPDXVersion: SPDX-2.3\nPackageName: x\nSPDXID: SPDXRef-x\nPackageChecksum: SHA256 abc\n", .malformed,
                    at: "line 4")
        expectError("SPDXVersion: SPDX-2.3\nPackageName: x\nSPDXID: SPDXRef-x\nPackageName: y\nSPDXID: SPDXRef-x\n", .malformed,
                    at: "line 4", containing: "used twice")
        expectError("SPDXVersion: SPDX-2.3\nPackageName: x\nSPDXID: SPDXRef-x\nExternalRef: PACKAGE-MANAGER purl pkg:npm\n",
                    .malformed, at: "line 2", containing: "invalid purl")
    }

    /// Prose before the first tag is not tag-value at all (documentation that quotes
    /// an SPDXVersion line), so not a malformed SBOM; the same prose after tags is.
    @Test func proseBeforeAnyTagIsNotTagValue() {
        expectError("# SBOM notes\n\nOur files start with a line such as\n\nSPDXVersion: SPDX-2.3\n", .unrecognizedFormat, at: "line 3")
        expectError("# notes\n\nExample (copy it):\nSPDXVersion: SPDX-2.3\n", .unrecognizedFormat, at: "line 3")
        expectError("SPDXVersion: SPDX-2.3\nOur files start with a line such as\n", .malformed, at: "line 2")
    }

    @Test func versionsOtherThanSPDX2AreRefused() {
        expectError("SPDXVersion: SPDX-3.0\nPackageName: x\n", .unsupportedVersion, at: "line 1")
        expectError("SPDXVersion: CycloneDX\n", .unrecognizedFormat)
    }
}

@Suite struct SPDXJSONTests {
    func spdx(_ packages: String, version: String = "SPDX-2.3") -> String {
        #"{"spdxVersion": "\#(version)", "SPDXID": "SPDXRef-DOCUMENT", "packages": [\#(packages)]}"#
    }

    @Test func concludedLicenseUnlessNoAssertion() throws {
        let parsed = try parse(spdx(#"""
            {"SPDXID": "SPDXRef-a", "name": "a", "licenseConcluded": "MIT", "licenseDeclared": "Apache-2.0"},
            {"SPDXID": "SPDXRef-b", "name": "b", "licenseConcluded": "NOASSERTION", "licenseDeclared": "Apache-2.0"},
            {"SPDXID": "SPDXRef-c", "name": "c", "licenseConcluded": "NONE", "licenseDeclared": "Apache-2.0"},
            {"SPDXID": "SPDXRef-d", "name": "d", "licenseConcluded": "NOASSERTION", "licenseDeclared": "NOASSERTION"},
            {"SPDXID": "SPDXRef-e", "name": "e"}
            """#))
        #expect(parsed.components.map(\.licenseExpression) == ["MIT", "Apache-2.0", nil, nil, nil])
        #expect(parsed.components.map(\.licenseMarker) == [nil, nil, .noLicense, .noAssertion, nil])
    }

    @Test func externalRefsAndChecksums() throws {
        let parsed = try parse(spdx(#"""
            {"SPDXID": "SPDXRef-a", "name": "a", "versionInfo": "2.0", "supplier": "Person: Jane Doe",
             "primaryPackagePurpose": "OPERATING-SYSTEM",
             "checksums": [{"algorithm": "SHA3-256", "checksumValue": "\#(String(repeating: "c", count: 64))"}],
             "externalRefs": [{"referenceCategory": "PACKAGE_MANAGER", "referenceType": "purl", "referenceLocator": "pkg:deb/debian/a@2.0"},
                              {"referenceCategory": "SECURITY", "referenceType": "cpe22Type", "referenceLocator": "cpe:/o:a:a:2.0"}]}
            """#))
        #expect(parsed.components == [Component(
            name: "a", version: "2.0", purl: "pkg:deb/debian/a@2.0", cpe: "cpe:/o:a:a:2.0", supplier: "Jane Doe",
            hashes: ["sha3-256": String(repeating: "c", count: 64)], type: "operating-system", ref: "SPDXRef-a")])
    }

    @Test func malformedPackagesAreLocated() {
        expectError(spdx(#"{"SPDXID": "SPDXRef-a", "name": "a"}, {"SPDXID": "SPDXRef-b", "versionInfo": "1"}"#), .malformed,
                    at: "packages[1]", containing: "no name")
        expectError(spdx(#"{"SPDXID": "SPDXRef-a", "name": "a", "checksums": [{"algorithm": "CRC32", "checksumValue": "abcd"}]}"#),
                    .malformed, at: "packages[0]", containing: "unknown checksum algorithm")
        expectError(spdx(#"{"SPDXID": "SPDXRef-a", "name": "a", "externalRefs": [{"referenceCategory": "SECURITY"}]}"#),
                    .malformed, at: "packages[0].externalRefs[0]", containing: "missing 'referenceType'")
        expectError(spdx("", version: "SPDX-1.2"), .unsupportedVersion, at: "spdxVersion")
    }
}

@Suite struct SPDX3Tests {
    static let document = #"""
        {
          "@context": "https://spdx.org/rdf/3.0.1/spdx-context.jsonld",
          "@graph": [
            {"type": "CreationInfo", "@id": "_:creationinfo", "specVersion": "3.0.1", "created": "2025-01-01T00:00:00Z"},
            {"type": "Organization", "spdxId": "urn:acme:org", "creationInfo": "_:creationinfo", "name": "Acme Corp"},
            {"type": "SpdxDocument", "spdxId": "urn:acme:doc", "creationInfo": "_:creationinfo", "rootElement": ["urn:acme:app"]},
            {"type": "software_Package", "spdxId": "urn:acme:app", "creationInfo": "_:creationinfo", "name": "app",
             "software_packageVersion": "2.4.1", "software_packageUrl": "pkg:generic/acme/app@2.4.1",
             "software_primaryPurpose": "firmware", "suppliedBy": "urn:acme:org",
             "verifiedUsing": [{"type": "Hash", "algorithm": "sha256", "hashValue": "\#(String(repeating: "1", count: 64))"},
                               {"type": "PackageVerificationCode", "algorithm": "sha1", "hashValue": "not-a-file-digest"}],
             "externalIdentifier": [{"type": "ExternalIdentifier", "externalIdentifierType": "cpe23",
                                     "identifier": "cpe:2.3:a:acme:app:2.4.1:*:*:*:*:*:*:*"}]},
            {"type": "software_Package", "spdxId": "urn:acme:zlib", "creationInfo": "_:creationinfo", "name": "zlib",
             "software_packageVersion": "1.3.1",
             "externalIdentifier": [{"type": "ExternalIdentifier", "externalIdentifierType": "packageUrl",
                                     "identifier": "pkg:generic/zlib@1.3.1"}]},
            {"type": "ai_AIPackage", "spdxId": "urn:acme:model", "creationInfo": "_:creationinfo", "name": "model"},
            {"type": "software_File", "spdxId": "urn:acme:file", "creationInfo": "_:creationinfo", "name": "app.bin"},
            {"type": "simplelicensing_LicenseExpression", "spdxId": "urn:acme:lic1", "creationInfo": "_:creationinfo",
             "simplelicensing_licenseExpression": "MIT OR Apache-2.0"},
            {"type": "Relationship", "spdxId": "urn:acme:rel1", "creationInfo": "_:creationinfo", "from": "urn:acme:app",
             "relationshipType": "hasConcludedLicense", "to": ["urn:acme:lic1"]},
            {"type": "expandedlicensing_ListedLicense", "spdxId": "https://spdx.org/licenses/GPL-2.0-only", "creationInfo": "_:creationinfo"},
            {"type": "expandedlicensing_ListedLicenseException", "spdxId": "https://spdx.org/licenses/Classpath-exception-2.0",
             "creationInfo": "_:creationinfo"},
            {"type": "expandedlicensing_WithAdditionOperator", "spdxId": "urn:acme:with", "creationInfo": "_:creationinfo",
             "expandedlicensing_subjectExtendableLicense": "https://spdx.org/licenses/GPL-2.0-only",
             "expandedlicensing_subjectAddition": "https://spdx.org/licenses/Classpath-exception-2.0"},
            {"type": "expandedlicensing_DisjunctiveLicenseSet", "spdxId": "urn:acme:set", "creationInfo": "_:creationinfo",
             "expandedlicensing_member": ["urn:acme:with", "https://spdx.org/licenses/Zlib"]},
            {"type": "Relationship", "spdxId": "urn:acme:rel2", "creationInfo": "_:creationinfo", "from": "urn:acme:zlib",
             "relationshipType": "hasConcludedLicense", "to": "https://spdx.org/rdf/3.0.1/terms/ExpandedLicensing/NoAssertionLicense"},
            {"type": "Relationship", "spdxId": "urn:acme:rel3", "creationInfo": "_:creationinfo", "from": "urn:acme:zlib",
             "relationshipType": "hasDeclaredLicense", "to": ["urn:acme:set"]},
            {"type": "Relationship", "spdxId": "urn:acme:rel4", "creationInfo": "_:creationinfo", "from": "urn:acme:model",
             "relationshipType": "hasDeclaredLicense", "to": ["expandedlicensing_NoneLicense"]}
          ]
        }
        """#

    @Test func packagesWithHashesIdentifiersAndLicenses() throws {
        let parsed = try parse(Self.document)
        #expect(parsed.format == .spdx3JSONLD)
        #expect(parsed.specVersion == "3.0.1")
        #expect(parsed.components == [
            Component(name: "app", version: "2.4.1", purl: "pkg:generic/acme/app@2.4.1",
                      cpe: "cpe:2.3:a:acme:app:2.4.1:*:*:*:*:*:*:*", supplier: "Acme Corp",
                      hashes: ["sha256": String(repeating: "1", count: 64)], licenseExpression: "MIT OR Apache-2.0",
                      type: "firmware", ref: "urn:acme:app"),
            Component(name: "zlib", version: "1.3.1", purl: "pkg:generic/zlib@1.3.1",
                      licenseExpression: "(GPL-2.0-only WITH Classpath-exception-2.0) OR Zlib", ref: "urn:acme:zlib"),
            Component(name: "model", licenseMarker: .noLicense, ref: "urn:acme:model"),
        ])
    }

    @Test func errorsAreLocatedInTheGraph() {
        let badHash = Self.document.replacingOccurrences(of: #""algorithm": "sha256""#, with: #""algorithm": "crc32""#)
        expectError(badHash, .malformed, at: "@graph[3]", containing: "unknown hash algorithm")
        let missingLicense = Self.document.replacingOccurrences(of: #""to": ["urn:acme:lic1"]"#, with: #""to": ["urn:nowhere"]"#)
        expectError(missingLicense, .malformed, at: "@graph[3]", containing: "not an element of the document")
        let notALicense = Self.document.replacingOccurrences(of: #""to": ["urn:acme:lic1"]"#, with: #""to": ["urn:acme:file"]"#)
        expectError(notALicense, .malformed, at: "@graph[3]", containing: "is not a license")
        let wrongType = Self.document.replacingOccurrences(of: #""name": "zlib""#, with: #""name": ["zlib"]"#)
        expectError(wrongType, .malformed, at: "@graph[4].name")
    }

    @Test func otherContextsAndVersionsAreRefused() {
        expectError(#"{"@context": "https://schema.org/", "@graph": []}"#, .unrecognizedFormat)
        let spdx2 = Self.document.replacingOccurrences(of: #""specVersion": "3.0.1""#, with: #""specVersion": "2.3""#)
        expectError(spdx2, .unsupportedVersion)
    }

    @Test func cyclicLicenseSetsAreBounded() {
        let cyclic = Self.document.replacingOccurrences(
            of: #""expandedlicensing_member": ["urn:acme:with", "https://spdx.org/licenses/Zlib"]"#,
            with: #""expandedlicensing_member": ["urn:acme:set"]"#)
        expectError(cyclic, .limitExceeded, at: "@graph[4]")
    }
}
