#!/usr/bin/env python3
"""A CycloneDX 1.6 JSON SBOM of PyPI components, written by cyclonedx-python-lib,
for the vulnerability gate's CLI tests (Tests/CLITests/VulnerabilityCLITests.swift).

    make_vuln_sbom.py OUT.cdx.json NAME==VERSION...

Each NAME==VERSION becomes a library component with purl pkg:pypi/NAME@VERSION
(bom-ref = the purl). The library comes from PyPI, installed by scripts/setup.sh.
"""
import sys

from cyclonedx.model.bom import Bom
from cyclonedx.model.component import Component, ComponentType
from cyclonedx.output.json import JsonV1Dot6
from packageurl import PackageURL


def main():
    out, specs = sys.argv[1], sys.argv[2:]
    bom = Bom()
    bom.metadata.component = Component(name="etcher-ctrl", version="2.4.1", type=ComponentType.FIRMWARE)
    for spec in specs:
        name, version = spec.split("==")
        purl = PackageURL("pypi", None, name, version)
        bom.components.add(Component(name=name, version=version, type=ComponentType.LIBRARY, purl=purl,
                                     bom_ref=str(purl)))
    with open(out, "w") as f:
        f.write(JsonV1Dot6(bom).output_as_string(indent=1))


if __name__ == "__main__":
    main()
