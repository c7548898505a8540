#!/usr/bin/env python3
"""The CycloneDX 1.6 JSON SBOM that names vulnerable and fixed versions of the packages
of the real OSV records in Tests/Fixtures/vulnerabilities/real-*/ (for
Tests/VulnerabilityTests/RealRecordsTests.swift), written by cyclonedx-python-lib.

    make_real_records_sbom.py Tests/Fixtures/vulnerabilities/real-records.cdx.json

Each component's bom-ref is its purl. The library comes from PyPI, installed by
scripts/setup.sh.
"""
import sys

from cyclonedx.model.bom import Bom
from cyclonedx.model.component import Component, ComponentType
from cyclonedx.output.json import JsonV1Dot6
from packageurl import PackageURL

# (type, namespace, name, version, qualifiers): what each shows is in the test.
PURLS = [
    # Go (golang/vulndb): +incompatible, major-version module paths, pre-releases, stdlib, withdrawn.
    ("golang", "github.com/emicklei", "go-restful", "v2.15.0+incompatible", None),
    ("golang", "github.com/emicklei", "go-restful", "v2.16.0+incompatible", None),
    ("golang", "github.com/emicklei", "go-restful/v3", "v3.7.4", None),
    ("golang", "github.com/emicklei", "go-restful/v3", "v3.8.0", None),
    ("golang", "github.com/jackc", "pgx/v5", "v5.0.0-alpha.4", None),
    ("golang", "github.com/jackc", "pgx/v5", "v5.0.0-alpha.5", None),
    ("golang", "github.com/jackc", "pgx/v5", "v5.5.1", None),
    ("golang", "github.com/jackc", "pgx/v5", "v5.5.2", None),
    ("golang", None, "stdlib", "1.21.3", None),
    ("golang", None, "stdlib", "1.21.5", None),
    ("golang", "github.com/gorilla", "sessions", "v1.2.1", None),
    # npm (GHSA): last_affected, scoped names.
    ("npm", None, "request", "2.88.2", None),
    ("npm", None, "request", "2.88.3", None),
    ("npm", "@cypress", "request", "2.88.11", None),
    ("npm", "@cypress", "request", "3.0.0", None),
    ("npm", None, "lodash", "4.17.20", None),
    ("npm", None, "lodash", "4.17.21", None),
    # Maven (GHSA): group:artifact, three ranges of one package.
    ("maven", "org.apache.logging.log4j", "log4j-core", "2.0-beta9", None),
    ("maven", "org.apache.logging.log4j", "log4j-core", "2.3", None),
    ("maven", "org.apache.logging.log4j", "log4j-core", "2.3.1", None),
    ("maven", "org.apache.logging.log4j", "log4j-core", "2.12.1", None),
    ("maven", "org.apache.logging.log4j", "log4j-core", "2.12.2", None),
    ("maven", "org.apache.logging.log4j", "log4j-core", "2.14.1", None),
    ("maven", "org.apache.logging.log4j", "log4j-core", "2.15.0", None),
    # crates.io and NuGet (GHSA).
    ("cargo", None, "evm", "0.41.0", None),
    ("cargo", None, "evm", "0.41.1", None),
    ("nuget", None, "Newtonsoft.Json", "12.0.3", None),
    ("nuget", None, "Newtonsoft.Json", "13.0.1", None),
    # Packagist (GHSA): two ranges (6.x and 7.x); packageurl-python lower-cases composer names.
    ("composer", "guzzlehttp", "guzzle", "6.5.7", None),
    ("composer", "guzzlehttp", "guzzle", "6.5.8", None),
    ("composer", "GuzzleHttp", "Guzzle", "7.4.4", None),
    ("composer", "guzzlehttp", "guzzle", "7.4.5", None),
    # RubyGems (GHSA): four series, four-part fixed versions, a release candidate.
    ("gem", None, "activerecord", "5.2.8", None),
    ("gem", None, "activerecord", "5.2.8.1", None),
    ("gem", None, "activerecord", "6.1.6", None),
    ("gem", None, "activerecord", "7.0.0.rc1", None),
    ("gem", None, "activerecord", "7.0.3", None),
    ("gem", None, "activerecord", "7.0.3.1", None),
    # Hex (GHSA): three series, one of pre-releases.
    ("hex", None, "oidcc", "2.9.0", None),
    ("hex", None, "oidcc", "3.0.1", None),
    ("hex", None, "oidcc", "3.0.2", None),
    ("hex", None, "oidcc", "3.1.1", None),
    ("hex", None, "oidcc", "3.2.0-beta.2", None),
    ("hex", None, "oidcc", "3.2.0-beta.3", None),
    ("hex", None, "oidcc", "3.2.0", None),
    # Ubuntu (as kept in google/osv.dev's test data): Ubuntu Pro 14.04, listed versions, no fix.
    ("deb", "ubuntu", "linux", "3.13.0-206.257", {"arch": "source", "distro": "ubuntu-14.04"}),
    ("deb", "ubuntu", "linux", "3.13.0-206.257", {"arch": "source", "distro": "esm-infra-legacy/trusty"}),
    ("deb", "ubuntu", "linux", "4.4.0-210.242", {"arch": "source", "distro": "ubuntu-16.04"}),
    # AlmaLinux (AlmaLinux/osv-database): epochs as the purl's epoch qualifier, binary packages.
    ("rpm", "almalinux", "openssl-libs", "3.0.1-46.el9_0", {"epoch": "1", "arch": "x86_64", "distro": "almalinux-9.1"}),
    ("rpm", "almalinux", "openssl-libs", "3.0.1-47.el9_1", {"epoch": "1", "arch": "x86_64", "distro": "almalinux-9.1"}),
    ("rpm", "almalinux", "tar", "1.35-7.el10", {"epoch": "2", "arch": "x86_64", "distro": "almalinux-10.0"}),
    ("rpm", "almalinux", "tar", "1.35-9.el10_1", {"epoch": "2", "arch": "x86_64"}),
]


def main():
    out = sys.argv[1]
    bom = Bom()
    bom.metadata.component = Component(name="line-controller", version="7.2.0", type=ComponentType.FIRMWARE)
    for ptype, namespace, name, version, qualifiers in PURLS:
        purl = PackageURL(ptype, namespace, name, version, qualifiers)
        bom.components.add(Component(name=name, group=namespace, version=version, type=ComponentType.LIBRARY,
                                     purl=purl, bom_ref=str(purl)))
    with open(out, "w") as f:
        f.write(JsonV1Dot6(bom).output_as_string(indent=1))


if __name__ == "__main__":
    main()
