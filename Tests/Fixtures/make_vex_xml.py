#!/usr/bin/env python3
"""CycloneDX VEX in XML, written by cyclonedx-python-lib (for Tests/VulnerabilityTests/VEXXMLTests.swift):

    make_vex_xml.py Tests/Fixtures/vulnerabilities

- cyclonedx-1.6-sbom-with-analysis.xml: an SBOM (CycloneDX 1.6 XML) whose
  vulnerabilities carry analysis: the same statements as cyclonedx-sbom-with-analysis.json
  (resolved with detail and lastUpdated; in_triage on a nested component);
- cyclonedx-1.5-vex-bom-separate.xml: a separate VEX BOM (CycloneDX 1.5 XML) with the
  four analyses of cyclonedx-vex-bom-separate.json (not_affected through a BOM-Link,
  exploitable by purl ref, false_positive, and one without analysis);
- cyclonedx-1.6-vex-affects-versions.xml and .json: the same VEX BOM in both forms,
  whose targets list versions and vers ranges with a status (affects[].versions).

The library comes from PyPI, installed by scripts/setup.sh.
"""
import os
import sys
from datetime import datetime, timezone
from uuid import UUID

from cyclonedx.model.bom import Bom
from cyclonedx.model.bom_ref import BomRef
from cyclonedx.model.component import Component, ComponentType
from cyclonedx.model.impact_analysis import (ImpactAnalysisAffectedStatus, ImpactAnalysisJustification,
                                             ImpactAnalysisResponse, ImpactAnalysisState)
from cyclonedx.model.vulnerability import (BomTarget, BomTargetVersionRange, Vulnerability, VulnerabilityAnalysis,
                                           VulnerabilityReference, VulnerabilitySource)
from cyclonedx.output.json import JsonV1Dot6
from cyclonedx.output.xml import XmlV1Dot5, XmlV1Dot6
from packageurl import PackageURL


def sbom_with_analysis():
    bom = Bom()
    bom.metadata.timestamp = datetime(2024, 3, 1, 10, 0, tzinfo=timezone.utc)
    inner = Component(name="genshi", version="0.5", type=ComponentType.LIBRARY,
                      purl=PackageURL("pypi", None, "genshi", "0.5"), bom_ref="inner")
    trac = Component(name="Trac", version="0.9.2", type=ComponentType.LIBRARY,
                     purl=PackageURL("pypi", None, "trac", "0.9.2"), bom_ref="trac@0.9.2", components=[inner])
    bom.components.add(trac)
    bom.vulnerabilities.add(Vulnerability(
        id="PYSEC-2005-1",
        references=[VulnerabilityReference(id="CVE-2005-4644", source=VulnerabilitySource(name="NVD"))],
        analysis=VulnerabilityAnalysis(state=ImpactAnalysisState.RESOLVED, detail="Patched in our fork.",
                                       last_updated=datetime(2024, 3, 5, tzinfo=timezone.utc)),
        affects=[BomTarget(ref="trac@0.9.2")]))
    bom.vulnerabilities.add(Vulnerability(
        id="CVE-2099-0005", analysis=VulnerabilityAnalysis(state=ImpactAnalysisState.IN_TRIAGE),
        affects=[BomTarget(ref="inner")]))
    return XmlV1Dot6(bom).output_as_string(indent=2)


def separate_vex_bom():
    serial = UUID("3e671687-395b-41f5-a30f-a58921a69b79")
    bom = Bom(serial_number=serial)
    bom.metadata.timestamp = datetime(2024, 3, 1, 10, 0, tzinfo=timezone.utc)
    bom.components.add(Component(name="lib", group="@scope", version="1.4.1", type=ComponentType.LIBRARY,
                                 purl=PackageURL("npm", "@scope", "lib", "1.4.1"), bom_ref="lib-1"))
    bom.vulnerabilities.add(Vulnerability(
        id="CVE-2024-0001", source=VulnerabilitySource(name="NVD", url=None),
        analysis=VulnerabilityAnalysis(state=ImpactAnalysisState.NOT_AFFECTED,
                                       justification=ImpactAnalysisJustification.CODE_NOT_REACHABLE,
                                       detail="The parser is never called."),
        affects=[BomTarget(ref=f"urn:cdx:{serial}/1#lib-1")]))
    bom.vulnerabilities.add(Vulnerability(
        id="CVE-2024-0002",
        analysis=VulnerabilityAnalysis(state=ImpactAnalysisState.EXPLOITABLE, responses=[ImpactAnalysisResponse.UPDATE]),
        affects=[BomTarget(ref="pkg:deb/debian/openssl@3.0.11-1~deb12u1?distro=debian-12")]))
    bom.vulnerabilities.add(Vulnerability(
        id="CVE-2024-0009", analysis=VulnerabilityAnalysis(state=ImpactAnalysisState.FALSE_POSITIVE),
        affects=[BomTarget(ref="pkg:pypi/trac@0.9.2")]))
    bom.vulnerabilities.add(Vulnerability(id="CVE-2024-0010", affects=[BomTarget(ref="lib-1")]))
    return XmlV1Dot5(bom).output_as_string(indent=2)


def affects_versions():
    bom = Bom(serial_number=UUID("7d1c2b55-93c4-4a51-8f0e-1b6f4f3e2a90"))
    bom.metadata.timestamp = datetime(2024, 4, 1, 8, 0, tzinfo=timezone.utc)
    affected, unaffected, unknown = (ImpactAnalysisAffectedStatus.AFFECTED, ImpactAnalysisAffectedStatus.UNAFFECTED,
                                     ImpactAnalysisAffectedStatus.UNKNOWN)
    bom.vulnerabilities.add(Vulnerability(
        id="CVE-2024-1001",
        analysis=VulnerabilityAnalysis(state=ImpactAnalysisState.NOT_AFFECTED,
                                       justification=ImpactAnalysisJustification.CODE_NOT_REACHABLE,
                                       detail="The template engine is not built in."),
        affects=[BomTarget(ref="pkg:npm/lib", versions=[
            BomTargetVersionRange(range="vers:npm/>=1.0.0|<1.4.0", status=affected),
            BomTargetVersionRange(version="1.4.0", status=unaffected),
            BomTargetVersionRange(range="vers:npm/>=2.0.0", status=unknown)])]))
    bom.vulnerabilities.add(Vulnerability(
        id="CVE-2024-1002",
        analysis=VulnerabilityAnalysis(state=ImpactAnalysisState.RESOLVED, detail="Fixed in 1.4.1."),
        affects=[BomTarget(ref="pkg:npm/lib", versions=[
            BomTargetVersionRange(version="1.4.1", status=unaffected),
            BomTargetVersionRange(range="vers:npm/<1.4.1", status=affected)])]))
    return XmlV1Dot6(bom).output_as_string(indent=2), JsonV1Dot6(bom).output_as_string(indent=2)


def main():
    out = sys.argv[1]
    with open(os.path.join(out, "cyclonedx-1.6-sbom-with-analysis.xml"), "w") as f:
        f.write(sbom_with_analysis())
    with open(os.path.join(out, "cyclonedx-1.5-vex-bom-separate.xml"), "w") as f:
        f.write(separate_vex_bom())
    xml, json = affects_versions()
    with open(os.path.join(out, "cyclonedx-1.6-vex-affects-versions.xml"), "w") as f:
        f.write(xml)
    with open(os.path.join(out, "cyclonedx-1.6-vex-affects-versions.json"), "w") as f:
        f.write(json)


if __name__ == "__main__":
    main()
