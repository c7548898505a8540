#!/usr/bin/env python3
"""The benchmark SBOMs: N CycloneDX 1.6 components (purl, license and SHA-256 each).

    make_sbom.py OUTDIR N

Writes OUTDIR/sbom.json (json.dump, no indentation: 14 MB for 50,000) and the same
components as OUTDIR/sbom.xml. Used by Benchmarks/run.sh and Benchmarks/sbom.sh.
"""
import json
import sys
from xml.sax.saxutils import escape

out, n = sys.argv[1], int(sys.argv[2])
lic = ["MIT", "Apache-2.0", "BSD-3-Clause", "GPL-2.0-only", "AGPL-3.0-only"]
comps = []
for i in range(n):
    eco = ["npm", "pypi", "maven", "generic"][i % 4]
    name = "lib%d" % i
    purl = "pkg:maven/org.example/%s@1.%d.%d" % (name, i % 50, i % 7) if eco == "maven" else "pkg:%s/%s@1.%d.%d" % (eco, name, i % 50, i % 7)
    comps.append({"type": "library", "bom-ref": "c%d" % i, "name": name, "version": "1.%d.%d" % (i % 50, i % 7),
                  "purl": purl, "licenses": [{"license": {"id": lic[i % 5]}}],
                  "hashes": [{"alg": "SHA-256", "content": "%064x" % i}]})
bom = {"bomFormat": "CycloneDX", "specVersion": "1.6", "version": 1,
       "metadata": {"component": {"type": "firmware", "name": "etcher", "version": "2.4.1"}}, "components": comps}
json.dump(bom, open(out + "/sbom.json", "w"))
with open(out + "/sbom.xml", "w") as f:
    f.write('<?xml version="1.0" encoding="UTF-8"?>\n<bom xmlns="http://cyclonedx.org/schema/bom/1.6" version="1">\n')
    f.write('<metadata><component type="firmware"><name>etcher</name><version>2.4.1</version></component></metadata>\n<components>\n')
    for c in comps:
        f.write('<component type="library" bom-ref="%s"><name>%s</name><version>%s</version><hashes><hash alg="SHA-256">%s</hash></hashes>'
                '<licenses><license><id>%s</id></license></licenses><purl>%s</purl></component>\n'
                % (c["bom-ref"], c["name"], c["version"], c["hashes"][0]["content"], c["licenses"][0]["license"]["id"], escape(c["purl"])))
    f.write("</components>\n</bom>\n")
