import Foundation
import XCTest

/// CycloneDX VEX in XML at the gate: trusted only when a trusted manifest covers it, or
/// registered at the station (STATE/vex/*.xml); as the JSON forms (VulnerabilityCLITests).
final class VEXXMLCLITests: XCTestCase {
    /// A separate CycloneDX 1.6 VEX BOM in XML: TEST-2026-2's alias does not affect pyyaml 5.3.1.
    private let vexBOM = """
        <?xml version="1.0" ?>
        <bom xmlns="http://cyclonedx.org/schema/bom/1.6" serialNumber="urn:uuid:0b1e4a3c-6b7e-4c41-9a55-2f0c8e7d6a11" version="1">
          <metadata><timestamp>2026-11-01T00:00:00Z</timestamp></metadata>
          <vulnerabilities>
            <vulnerability>
              <id>CVE-2026-0043</id>
              <analysis>
                <state>not_affected</state>
                <justification>code_not_reachable</justification>
                <detail>the loader is never called</detail>
              </analysis>
              <affects><target><ref>pkg:pypi/pyyaml@5.3.1</ref></target></affects>
            </vulnerability>
          </vulnerabilities>
        </bom>
        """

    private func workspace() throws -> Workspace {
        let w = try Workspace()
        try w.write("records/TEST-2026-2.json", osvRecord("TEST-2026-2", package: "PyYAML", fixed: "5.4", alias: "CVE-2026-0043"))
        _ = try w.importVulnDB(w.url("records").path)
        return w
    }

    func testTrustedXMLVEXInTheDeliverySuppresses() throws {
        let w = try workspace()
        try w.signedPyPIDelivery(components: ["pyyaml==5.3.1"], extra: ["delivery/vex/etcher.vex.xml": vexBOM])
        let r = try w.verify(["delivery"])
        XCTAssertEqual(r.status, 0, r.stdout)
        XCTAssertEqual(r.findings("vuln.affected").count, 0, "\(r.findingCodes)")
        let message = r.findings("vuln.suppressed").first?["message"] as? String ?? ""
        XCTAssertTrue(message.contains("code_not_reachable: the loader is never called") && message.contains("TEST-2026-2"), message)
        let vex = (r.json["vulnerabilities"] as? [String: Any])?["vex"] as? [[String: Any]]
        XCTAssertEqual(vex?.first?["trusted"] as? Bool, true)
        XCTAssertEqual(vex?.first?["path"] as? String, "vex/etcher.vex.xml")
    }

    func testUntrustedXMLVEXDoesNotSuppress() throws {
        let w = try workspace()
        try w.signedPyPIDelivery(components: ["pyyaml==5.3.1"])
        // Added after signing: no trusted manifest covers it.
        try w.write("delivery/vex/etcher.vex.xml", vexBOM)
        try w.write("policy.yaml", "manifest:\n  unlisted: warn\n")
        let r = try w.verify(["delivery", "--policy", "policy.yaml"])
        XCTAssertEqual(r.status, 1, r.stdout)
        XCTAssertEqual(r.findings("vuln.affected").count, 1, "\(r.findingCodes)")
        XCTAssertEqual(r.findings("vuln.suppressed").count, 0)
        let vex = (r.json["vulnerabilities"] as? [String: Any])?["vex"] as? [[String: Any]]
        XCTAssertEqual(vex?.first?["trusted"] as? Bool, false)
    }

    /// A CycloneDX 1.6 XML SBOM carrying its own analysis.
    private let xmlSBOM = """
        <?xml version="1.0" ?>
        <bom xmlns="http://cyclonedx.org/schema/bom/1.6" serialNumber="urn:uuid:5f0c8a2e-1d3b-4e6f-8a9b-0c1d2e3f4a5b" version="1">
          <metadata><timestamp>2026-11-01T00:00:00Z</timestamp></metadata>
          <components>
            <component type="library" bom-ref="pyyaml"><name>PyYAML</name><version>5.3.1</version><purl>pkg:pypi/pyyaml@5.3.1</purl></component>
          </components>
          <vulnerabilities>
            <vulnerability>
              <id>CVE-2026-0043</id>
              <analysis><state>resolved</state><detail>backported fix in our build</detail></analysis>
              <affects><target><ref>pyyaml</ref></target></affects>
            </vulnerability>
          </vulnerabilities>
        </bom>
        """

    func testAnalysisInASignedXMLSBOMSuppresses() throws {
        let w = try workspace()
        try w.signedPyPIDelivery(components: ["pyyaml==5.3.1"], extra: ["delivery/sbom/controller.cdx.xml": xmlSBOM])
        let r = try w.verify(["delivery"])
        XCTAssertEqual(r.status, 0, r.stdout)
        XCTAssertEqual(r.findings("vuln.affected").count, 0, "\(r.findingCodes)")
        let suppressed = r.findings("vuln.suppressed")
        XCTAssertFalse(suppressed.isEmpty, "\(r.findingCodes)")
        XCTAssertTrue(suppressed.allSatisfy { ($0["message"] as? String ?? "").contains("backported fix in our build") }, "\(suppressed)")
        let vex = (r.json["vulnerabilities"] as? [String: Any])?["vex"] as? [[String: Any]] ?? []
        XCTAssertTrue(vex.contains { $0["path"] as? String == "sbom/controller.cdx.xml" && $0["trusted"] as? Bool == true }, "\(vex)")
    }

    func testXMLVEXRegisteredAtTheStationSuppresses() throws {
        let w = try workspace()
        try w.signedPyPIDelivery(components: ["pyyaml==5.3.1"])
        XCTAssertEqual(try w.verify(["delivery"]).status, 1)
        try w.write("state/vex/acme.vex.xml", vexBOM)
        let r = try w.verify(["delivery"])
        XCTAssertEqual(r.status, 0, r.stdout)
        XCTAssertEqual(r.findings("vuln.suppressed").count, 1, "\(r.findingCodes)")
        // A station file that is no VEX cannot be evaluated.
        try w.write("state/vex/broken.xml", "<?xml version=\"1.0\"?><notabom/>")
        XCTAssertEqual(try w.verify(["delivery"]).status, 2)
    }
}
