#!/usr/bin/env python3
"""SBOMs written by the reference libraries, for passbox's parser tests.

    make_sboms.py OUTDIR COUNT

Writes, each with COUNT components/packages (pkg:pypi/lib-N@1.N.0, licenses
MIT / Apache-2.0 / GPL-3.0-only in turn, the last one a pkg:maven log4j-core 2.14.1):
  cdx.json, cdx.xml      CycloneDX 1.6 by cyclonedx-python-lib
  spdx.json, spdx.spdx   SPDX 2.3 JSON and tag-value by spdx-tools
and prints {"cyclonedx": N, "spdx": N}: the counts the libraries wrote.
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


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    out, count = os.path.abspath(sys.argv[1]), int(sys.argv[2])
    os.makedirs(out, exist_ok=True)
    print(json.dumps({"cyclonedx": cyclonedx(out, count), "spdx": spdx(out, count)}))
