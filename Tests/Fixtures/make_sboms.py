#!/usr/bin/env python3
"""SBOMs written by the reference libraries, for passbox's parser tests.

    make_sboms.py OUTDIR COUNT

Writes, each with COUNT components/packages (pkg:pypi/lib-N@1.N.0, licenses
MIT / Apache-2.0 / GPL-3.0-only in turn, the last one a pkg:maven log4j-core 2.14.1):
  cdx.json, cdx.xml      CycloneDX 1.6 by cyclonedx-python-lib
  spdx.json, spdx.spdx   SPDX 2.3 JSON and tag-value by spdx-tools
and prints {"cyclonedx": N, "spdx": N}: the counts the libraries wrote.

    make_sboms.py --in-the-wild OUTDIR

Writes the small shapes real tools write that passbox must read (committed in
Tests/Fixtures/sboms-in-the-wild, read by Tests/SBOMTests/InTheWildTests.swift):
CycloneDX 1.0/1.1 XML, CycloneDX 1.2 with the schemas' `GPL-2.0+`-style ids, SPDX 2.3
YAML and RDF/XML, and two transformations no writer makes (tag-value with CR-only
line endings, JSON in UTF-16).
The libraries come from PyPI, installed by scripts/setup.sh (nothing is fetched here).
"""
import json
import os
import sys
from datetime import datetime

from cyclonedx.model.bom import Bom
from cyclonedx.model.component import Component, ComponentType
from cyclonedx.model.license import DisjunctiveLicense
from cyclonedx.output.json import JsonV1Dot6
from cyclonedx.output.xml import XmlV1Dot6
from packageurl import PackageURL
from spdx_tools.spdx.model import (Actor, ActorType, CreationInfo, Document, ExternalPackageRef,
                                   ExternalPackageRefCategory, Package, Relationship, RelationshipType,
                                   SpdxNoAssertion)
from spdx_tools.spdx.parser.parse_anything import parse_file
from spdx_tools.spdx.writer.write_anything import write_file
from license_expression import get_spdx_licensing

LICENSES = ["MIT", "Apache-2.0", "GPL-3.0-only"]


def entries(count):
    for i in range(count - 1):
        yield ("pypi", None, "lib-%d" % i, "1.%d.0" % i, LICENSES[i % 3])
    yield ("maven", "org.apache.logging.log4j", "log4j-core", "2.14.1", "Apache-2.0")


def cyclonedx(out, count):
    bom = Bom()
    bom.metadata.component = Component(name="acme-etcher", version="2.4.1", type=ComponentType.FIRMWARE)
    for kind, group, name, version, lic in entries(count):
        bom.components.add(Component(
            name=name, group=group, version=version, type=ComponentType.LIBRARY,
            purl=PackageURL(kind, group, name, version), licenses=[DisjunctiveLicense(id=lic)]))
    open(os.path.join(out, "cdx.json"), "w").write(JsonV1Dot6(bom).output_as_string(indent=1))
    open(os.path.join(out, "cdx.xml"), "w").write(XmlV1Dot6(bom).output_as_string(indent=1))
    return len(bom.components)


def spdx(out, count):
    info = CreationInfo(spdx_version="SPDX-2.3", spdx_id="SPDXRef-DOCUMENT", name="acme-etcher-2.4.1",
                        data_license="CC0-1.0", document_namespace="https://example.com/spdx/acme-etcher-2.4.1",
                        creators=[Actor(ActorType.TOOL, "passbox-test")], created=datetime(2026, 1, 1))
    licensing = get_spdx_licensing()
    packages = []
    for i, (kind, group, name, version, lic) in enumerate(entries(count)):
        purl = str(PackageURL(kind, group, name, version))
        packages.append(Package(
            spdx_id="SPDXRef-Package-%d" % i, name=name, version=version, download_location=SpdxNoAssertion(),
            license_concluded=licensing.parse(lic),
            external_references=[ExternalPackageRef(ExternalPackageRefCategory.PACKAGE_MANAGER, "purl", purl)]))
    relationships = [Relationship("SPDXRef-DOCUMENT", RelationshipType.DESCRIBES, "SPDXRef-Package-0")]
    document = Document(creation_info=info, packages=packages, relationships=relationships)
    write_file(document, os.path.join(out, "spdx.json"))
    write_file(document, os.path.join(out, "spdx.spdx"))
    # Read back with the same library: the counts are what it wrote.
    assert len(parse_file(os.path.join(out, "spdx.spdx")).packages) == len(packages)
    return len(packages)


def in_the_wild(out):
    from cyclonedx.model import HashAlgorithm, HashType
    from cyclonedx.output.json import JsonV1Dot2
    from cyclonedx.output.xml import XmlV1Dot0, XmlV1Dot1, XmlV1Dot2
    from spdx_tools.spdx.model import Checksum, ChecksumAlgorithm

    def write(name, text):
        with open(os.path.join(out, name), "w", newline="") as f:
            f.write(text)

    # keycloak's and protonmail's CycloneDX 1.2: ids with '+' from the schema's SPDX enumeration,
    # and an id on no list.
    bom = Bom()
    bom.metadata.component = Component(name="keycloak", version="21.0.0", type=ComponentType.APPLICATION, bom_ref="product")
    for i, lic in enumerate(["GPL-2.0+", "LGPL-2.1+", "LGPL-3.0+", "Apache-2"]):
        bom.components.add(Component(name="lib-%d" % i, version="1.0", bom_ref="lib-%d" % i,
                                     purl=PackageURL("maven", "org.example", "lib-%d" % i, "1.0"),
                                     licenses=[DisjunctiveLicense(id=lic)]))
    write("cyclonedx-1.2-license-ids-with-plus.json", JsonV1Dot2(bom).output_as_string(indent=1))
    write("cyclonedx-1.2-license-ids-with-plus.xml", XmlV1Dot2(bom).output_as_string(indent=1))

    # CycloneDX 1.0 and 1.1 XML (auditjs, jake, older composer plugins).
    bom = Bom()
    outer = Component(name="left-pad", group="@acme", version="1.3.0", bom_ref="left-pad",
                      purl=PackageURL("npm", "@acme", "left-pad", "1.3.0"),
                      hashes=[HashType(alg=HashAlgorithm.SHA_1, content="a" * 40)],
                      licenses=[DisjunctiveLicense(id="WTFPL")],
                      components=[Component(name="inner", version="0.1", bom_ref="inner")])
    bom.components.add(outer)
    bom.components.add(Component(name="lodash", version="4.17.21", bom_ref="lodash",
                                 purl=PackageURL("npm", None, "lodash", "4.17.21"),
                                 licenses=[DisjunctiveLicense(name="MIT License")]))
    write("cyclonedx-1.0.xml", XmlV1Dot0(bom).output_as_string(indent=1))
    write("cyclonedx-1.1.xml", XmlV1Dot1(bom).output_as_string(indent=1))

    # SPDX 2.3 YAML, RDF/XML and tag-value by spdx-tools.
    info = CreationInfo(spdx_version="SPDX-2.3", spdx_id="SPDXRef-DOCUMENT", name="acme-etcher-2.4.1",
                        data_license="CC0-1.0", document_namespace="https://example.com/spdx/acme-etcher-2.4.1",
                        creators=[Actor(ActorType.TOOL, "passbox-test")], created=datetime(2026, 1, 1))
    licensing = get_spdx_licensing()
    packages = [
        Package(spdx_id="SPDXRef-zlib", name="zlib", version="1.3", download_location=SpdxNoAssertion(),
                supplier=Actor(ActorType.ORGANIZATION, "Zlib Org", "zlib@example.com"),
                license_concluded=licensing.parse("Zlib"), license_declared=licensing.parse("MIT OR GPL-2.0+"),
                checksums=[Checksum(ChecksumAlgorithm.SHA256, "b" * 64)],
                external_references=[
                    ExternalPackageRef(ExternalPackageRefCategory.PACKAGE_MANAGER, "purl", "pkg:generic/zlib@1.3"),
                    ExternalPackageRef(ExternalPackageRefCategory.SECURITY, "cpe23Type",
                                       "cpe:2.3:a:zlib:zlib:1.3:*:*:*:*:*:*:*")]),
        Package(spdx_id="SPDXRef-busybox", name="busybox", version="1.36.1", download_location=SpdxNoAssertion(),
                license_concluded=SpdxNoAssertion(),
                license_declared=licensing.parse("GPL-2.0-only WITH Linux-syscall-note AND (MIT OR Apache-2.0)")),
        Package(spdx_id="SPDXRef-blob", name="blob", download_location=SpdxNoAssertion(),
                license_concluded=SpdxNoAssertion()),
    ]
    relationships = [Relationship("SPDXRef-DOCUMENT", RelationshipType.DESCRIBES, "SPDXRef-zlib")]
    document = Document(creation_info=info, packages=packages, relationships=relationships)
    for name in ["spdx-2.3.yaml", "spdx-2.3.rdf.xml", "spdx-2.3.spdx", "spdx-2.3.json"]:
        write_file(document, os.path.join(out, name))
        assert len(parse_file(os.path.join(out, name)).packages) == len(packages)
    # Old Mac tools: CR-only line endings (no writer makes them; spdx-tools reads them).
    text = open(os.path.join(out, "spdx-2.3.spdx"), newline="").read()
    write("spdx-2.3-cr-line-endings.spdx", text.replace("\r\n", "\n").replace("\n", "\r"))
    assert len(parse_file(os.path.join(out, "spdx-2.3-cr-line-endings.spdx")).packages) == len(packages)
    os.remove(os.path.join(out, "spdx-2.3.spdx"))
    # UTF-16 with a byte order mark (Windows tools' "Unicode").
    data = open(os.path.join(out, "spdx-2.3.json"), "rb").read().decode("utf-8")
    open(os.path.join(out, "spdx-2.3-utf16.json"), "wb").write(data.encode("utf-16"))
    os.remove(os.path.join(out, "spdx-2.3.json"))


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "--in-the-wild":
        os.makedirs(sys.argv[2], exist_ok=True)
        in_the_wild(os.path.abspath(sys.argv[2]))
        sys.exit(0)
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    out, count = os.path.abspath(sys.argv[1]), int(sys.argv[2])
    os.makedirs(out, exist_ok=True)
    print(json.dumps({"cyclonedx": cyclonedx(out, count), "spdx": spdx(out, count)}))
