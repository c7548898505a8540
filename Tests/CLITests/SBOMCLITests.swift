import Foundation
import XCTest

/// SBOMs in `passbox verify` and `passbox sbom`, as a user runs them.
final class SBOMCLITests: XCTestCase {
    /// A CycloneDX SBOM of the standard delivery: a firmware component (named
    /// after the delivered file, with its real digest unless `firmwareDigest` is
    /// given), lodash, log4j-core 2.14.1 and an AGPL library.
    private func cycloneDX(_ w: Workspace, firmwareDigest: String? = nil, root: String = "delivery") throws -> String {
        let sha = try firmwareDigest ?? shell("sha256sum \(root)/fw/etcher-2.4.bin | cut -d' ' -f1", cwd: w.dir)
            .stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        return """
        {"bomFormat": "CycloneDX", "specVersion": "1.6", "version": 1,
         "metadata": {"component": {"type": "firmware", "name": "etcher-ctrl", "version": "2.4.1"}},
         "components": [
           {"type": "firmware", "name": "etcher-2.4.bin", "version": "2.4.1",
            "hashes": [{"alg": "SHA-256", "content": "\(sha)"}]},
           {"type": "library", "name": "lodash", "version": "4.17.21", "purl": "pkg:npm/lodash@4.17.21",
            "licenses": [{"license": {"id": "MIT"}}]},
           {"type": "library", "group": "org.apache.logging.log4j", "name": "log4j-core", "version": "2.14.1",
            "purl": "pkg:maven/org.apache.logging.log4j/log4j-core@2.14.1", "licenses": [{"license": {"id": "Apache-2.0"}}]},
           {"type": "library", "name": "ghostscript", "version": "9.50", "purl": "pkg:generic/ghostscript@9.50",
            "licenses": [{"expression": "AGPL-3.0-only"}]}
         ]}
        """
    }

    private let policy = """
        sbom:
          deny:
            - pkg:maven/org.apache.logging.log4j/log4j-core@vers:maven/<2.17.1
          licenses:
            deny: [AGPL-3.0-only]

        """

    func testSignedSBOMComponentsAreJudged() throws {
        let w = try Workspace()
        try w.standardDelivery()
        try w.write("delivery/sbom/bom.cdx.json", try cycloneDX(w))
        let key = try w.key("acme")
        try w.manifest("delivery", keys: [key], output: "delivery/delivery.dsse.json")
        try w.write("policy.yaml", policy)
        let r = try w.verify(["delivery", "--policy", "policy.yaml"])
        XCTAssertEqual(r.status, 1, r.stdout)
        XCTAssertEqual(r.findings("sbom.component-denied").count, 1, "\(r.findingCodes)")
        XCTAssertEqual(r.findings("sbom.license-denied").count, 1, "\(r.findingCodes)")
        XCTAssertFalse(r.findingCodes.contains("sbom.unsigned"))
        let sbom = try XCTUnwrap(r.json["sbom"] as? [String: Any])
        let components = try XCTUnwrap(sbom["components"] as? [[String: Any]])
        XCTAssertEqual(components.count, 4)
        let statuses = Dictionary(uniqueKeysWithValues: components.map { ($0["name"] as? String ?? "", $0["status"] as? String ?? "") })
        XCTAssertEqual(statuses, ["etcher-2.4.bin": "approved", "lodash": "approved", "log4j-core": "denied", "ghostscript": "license-denied"])
        XCTAssertEqual((sbom["documents"] as? [[String: Any]])?.first?["signed"] as? Bool, true)
        // The product itself is not judged as a component.
        XCTAssertNil(statuses["etcher-ctrl"])

        // With an allow list, what it does not name is unapproved.
        try w.write("policy.yaml", "sbom:\n  allow:\n    - pkg:npm/**\n    - etcher-2.4.bin\n")
        let allow = try w.verify(["delivery", "--policy", "policy.yaml"])
        XCTAssertEqual(allow.status, 1)
        XCTAssertEqual(Set(allow.findings("sbom.component-unapproved").compactMap { ($0["message"] as? String)?.components(separatedBy: ": ").first }),
                       ["pkg:maven/org.apache.logging.log4j/log4j-core@2.14.1", "pkg:generic/ghostscript@9.50"])
    }

    func testApprovedSBOMIsAccepted() throws {
        let w = try Workspace()
        try w.standardDelivery()
        try w.write("delivery/bom.json", try cycloneDX(w))
        let key = try w.key("acme")
        try w.manifest("delivery", keys: [key], output: "delivery/delivery.dsse.json")
        try w.write("policy.yaml", "sbom:\n  required: true\n")
        let r = try w.verify(["delivery", "--policy", "policy.yaml"])
        XCTAssertEqual(r.status, 0, r.stdout)
        let text = try w.passbox(["verify", "delivery", "--policy", "policy.yaml"])
        XCTAssertTrue(text.stdout.contains("components 4: 4 approved"), text.stdout)
    }

    func testUnsignedSBOMIsNotTrusted() throws {
        let w = try Workspace()
        try w.standardDelivery()
        let key = try w.key("acme")
        try w.manifest("delivery", keys: [key], output: "delivery/delivery.dsse.json")
        // Added after signing: its claims are the attacker's.
        try w.write("delivery/bom.json", try cycloneDX(w))
        try w.write("policy.yaml", "manifest:\n  unlisted: warn\n")
        let r = try w.verify(["delivery", "--policy", "policy.yaml"])
        XCTAssertEqual(r.status, 1)
        XCTAssertTrue(r.findingCodes.contains("sbom.unsigned"), "\(r.findingCodes)")
        let components = (r.json["sbom"] as? [String: Any])?["components"] as? [[String: Any]] ?? []
        XCTAssertFalse(components.contains { $0["status"] as? String == "approved" })
    }

    func testSBOMNamedByThePredicateIsTrusted() throws {
        let w = try Workspace()
        try w.standardDelivery()
        try w.write("delivery/bom.json", try cycloneDX(w))
        let key = try w.key("acme")
        try w.manifest("delivery", keys: [key], output: "m.dsse.json", extra: ["--sbom", "bom.json"])
        let statement = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(base64Encoded: (JSONSerialization.jsonObject(with: w.read("m.dsse.json")) as? [String: Any])?["payload"] as? String ?? "") ?? Data()) as? [String: Any])
        let reference = ((statement["predicate"] as? [String: Any])?["sbom"] as? [[String: Any]])?.first
        XCTAssertEqual(reference?["name"] as? String, "bom.json")
        XCTAssertNotNil((reference?["digest"] as? [String: String])?["sha256"])
        let r = try w.verify(["delivery", "--manifest", "m.dsse.json"])
        XCTAssertEqual(r.status, 0, r.stdout)
        // The named SBOM is gone: sbom.missing.
        try FileManager.default.removeItem(at: w.url("delivery/bom.json"))
        let gone = try w.verify(["delivery", "--manifest", "m.dsse.json"])
        XCTAssertEqual(gone.status, 1)
        XCTAssertTrue(gone.findingCodes.contains("sbom.missing"), "\(gone.findingCodes)")
    }

    func testRequiredSBOMMissing() throws {
        let w = try Workspace()
        try w.standardDelivery()
        let key = try w.key("acme")
        try w.manifest("delivery", keys: [key], output: "delivery/delivery.dsse.json")
        try w.write("policy.yaml", "sbom:\n  required: true\n")
        let r = try w.verify(["delivery", "--policy", "policy.yaml"])
        XCTAssertEqual(r.status, 1)
        XCTAssertEqual(r.findingCodes, ["sbom.missing"])
    }

    func testComponentHashContradictsTheDeliveredFile() throws {
        let w = try Workspace()
        try w.standardDelivery()
        try w.write("delivery/bom.json", try cycloneDX(w, firmwareDigest: String(repeating: "ab", count: 32)))
        let key = try w.key("acme")
        try w.manifest("delivery", keys: [key], output: "delivery/delivery.dsse.json")
        let r = try w.verify(["delivery"])
        XCTAssertEqual(r.status, 1)
        XCTAssertEqual(r.findings("sbom.hash-mismatch").first?["path"] as? String, "fw/etcher-2.4.bin", "\(r.findingCodes)")
    }

    func testMalformedSBOMInTheDelivery() throws {
        let w = try Workspace()
        try w.standardDelivery()
        try w.write("delivery/bom.json", #"{"bomFormat": "CycloneDX", "specVersion": "1.6", "components": [{"type": "library"}]}"#)
        let key = try w.key("acme")
        try w.manifest("delivery", keys: [key], output: "delivery/delivery.dsse.json")
        let r = try w.verify(["delivery"])
        XCTAssertEqual(r.status, 1)
        XCTAssertEqual(r.findings("sbom.malformed").first?["path"] as? String, "bom.json", "\(r.findingCodes)")
    }

    /// A tool delivery that ships the CycloneDX schemas (as every SBOM library does:
    /// here the ones cyclonedx-python-lib installs) and documentation quoting SPDX
    /// tags. Each has a marker ("bomFormat", the CycloneDX namespace, "SPDXVersion:")
    /// in its first bytes, none is an SBOM: the signed delivery is accepted (before:
    /// 17 sbom.malformed errors). A file *named* like an SBOM must still be one.
    func testSchemasAndDocumentsMentioningSBOMsAreNotSBOMs() throws {
        let w = try Workspace()
        try w.standardDelivery()
        try shell("""
            res=$(python3 -c 'import cyclonedx, os; print(os.path.join(os.path.dirname(cyclonedx.__file__), "schema", "_res"))')
            mkdir -p delivery/tool/schema && cp "$res"/bom-1.*.json "$res"/bom-1.*.xsd delivery/tool/schema/
            """, cwd: w.dir)
        try w.write("delivery/tool/NOTES.md", "# SBOM notes\n\nOur SPDX files start with a line such as\n\nSPDXVersion: SPDX-2.3\n\nand then DataLicense: CC0-1.0.\n")
        let key = try w.key("acme")
        try w.manifest("delivery", keys: [key], output: "m.dsse.json")
        let r = try w.verify(["delivery", "--manifest", "m.dsse.json"])
        let schemas = try FileManager.default.contentsOfDirectory(atPath: w.url("delivery/tool/schema").path)
        XCTAssertGreaterThanOrEqual(schemas.count, 10, "\(schemas)")
        XCTAssertEqual(r.status, 0, "\(r.findingCodes) \(r.stdout.prefix(2000))")
        XCTAssertEqual(r.findingCodes, [])

        // The same schema under an SBOM's name is a malformed SBOM.
        try shell("cp delivery/tool/schema/bom-1.6.SNAPSHOT.schema.json delivery/tool/bom.json && rm m.dsse.json", cwd: w.dir)
        try w.manifest("delivery", keys: [key], output: "m.dsse.json")
        let named = try w.verify(["delivery", "--manifest", "m.dsse.json"])
        XCTAssertEqual(named.status, 1)
        XCTAssertEqual(named.findings("sbom.malformed").map { $0["path"] as? String }, ["tool/bom.json"])
    }

    func testSBOMInsideAnArchiveIsFoundByContent() throws {
        let w = try Workspace()
        try w.standardDelivery("src")
        try w.write("src/meta/product.sbom", try cycloneDX(w, root: "src"))
        try shell("mkdir delivery && cp src/fw/etcher-2.4.bin delivery/ && tar czf delivery/bundle.tar.gz -C src .", cwd: w.dir)
        let key = try w.key("acme")
        try w.manifest("delivery", keys: [key], output: "delivery/delivery.dsse.json")
        try w.write("policy.yaml", policy)
        let r = try w.verify(["delivery", "--policy", "policy.yaml"])
        XCTAssertEqual((r.json["sbom"] as? [String: Any]).flatMap { ($0["documents"] as? [[String: Any]])?.first?["path"] as? String },
                       "bundle.tar.gz!/meta/product.sbom")
        XCTAssertTrue(r.findingCodes.contains("sbom.component-denied"), "\(r.findingCodes)")
    }

    // MARK: passbox sbom

    func testSBOMCommandExitCodes() throws {
        let w = try Workspace()
        try w.standardDelivery()
        try w.write("bom.json", try cycloneDX(w))
        XCTAssertEqual(try w.passbox(["sbom", "bom.json"]).status, 0)
        try w.write("policy.yaml", policy)
        let r = try w.passbox(["sbom", "bom.json", "--policy", "policy.yaml", "--format", "json"])
        XCTAssertEqual(r.status, 1)
        XCTAssertEqual(r.json["mediaType"] as? String, "application/vnd.passbox.sbom-report+json;version=1")
        XCTAssertEqual(r.json["verdict"] as? String, "not-approved")
        try w.write("broken.json", #"{"bomFormat": "CycloneDX", "specVersion": "1.6", "components": 7}"#)
        let broken = try w.passbox(["sbom", "broken.json"])
        XCTAssertEqual(broken.status, 2)
        XCTAssertTrue(broken.stderr.contains("broken.json"), broken.stderr)
        try w.write("bad-policy.yaml", "sbom:\n  deny:\n    - \"pkg:npm/x@vers:nosuch/>1\"\n")
        XCTAssertEqual(try w.passbox(["sbom", "bom.json", "--policy", "bad-policy.yaml"]).status, 2)
    }

    /// SBOMs written by cyclonedx-python-lib and spdx-tools parse with the counts
    /// the libraries wrote; SPDX JSON and tag-value give the same components.
    func testReferenceLibrariesSBOMs() throws {
        let w = try Workspace()
        let made = try shell("python3 '\(fixtureScripts.appendingPathComponent("make_sboms.py").path)' sboms 200 2>/dev/null", cwd: w.dir)
        let counts = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(made.stdout.utf8)) as? [String: Int])
        var components: [String: [[String: Any]]] = [:]
        for (file, library) in [("cdx.json", "cyclonedx"), ("cdx.xml", "cyclonedx"), ("spdx.json", "spdx"), ("spdx.spdx", "spdx")] {
            let r = try w.passbox(["sbom", "sboms/\(file)", "--format", "json"])
            XCTAssertEqual(r.status, 0, "\(file): \(r.stderr)")
            let list = (r.json["sbom"] as? [String: Any])?["components"] as? [[String: Any]] ?? []
            XCTAssertEqual(list.count, counts[library], file)
            components[file] = list
        }
        func keys(_ file: String) -> [String] {
            (components[file] ?? []).map { "\($0["name"] ?? "") \($0["version"] ?? "") \($0["purl"] ?? "") \($0["license"] ?? "")" }.sorted()
        }
        XCTAssertEqual(keys("spdx.json"), keys("spdx.spdx"))
        XCTAssertEqual(keys("cdx.json"), keys("cdx.xml"))
    }

    /// 3,000 components in text: counts first, then only the ones not approved.
    func testLargeSBOMTextIsReadable() throws {
        let w = try Workspace()
        var components: [String] = []
        for i in 0..<3000 {
            components.append(#"{"type": "library", "name": "lib\#(i)", "version": "1.\#(i)", "purl": "pkg:npm/lib\#(i)@1.\#(i).0"}"#)
        }
        try w.write("big.json", #"{"bomFormat": "CycloneDX", "specVersion": "1.5", "components": [\#(components.joined(separator: ","))]}"#)
        try w.write("policy.yaml", "sbom:\n  deny:\n    - pkg:npm/lib7*\n")
        let r = try w.passbox(["sbom", "big.json", "--policy", "policy.yaml"])
        XCTAssertEqual(r.status, 1)
        let lines = r.stdout.split(separator: "\n")
        XCTAssertLessThan(lines.count, 70, r.stdout)
        XCTAssertTrue(r.stdout.contains("components 3000: 2889 approved, 111 denied"), r.stdout)
        XCTAssertTrue(r.stdout.contains("…and 61 more"), r.stdout)
        XCTAssertFalse(r.stdout.contains("lib1@"), "approved components are not listed")
    }
}
