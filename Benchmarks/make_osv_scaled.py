#!/usr/bin/env python3
"""Scales osv.dev's PyPI all.zip to COUNT records for Benchmarks/vulns.sh.

    make_osv_scaled.py SOURCE_ZIP COUNT OUT_ZIP PURLS_TXT COMPONENTS

Copy n (n >= 1) of a record renames its id and aliases (suffix -S<n>) and its
package names (suffix -s<n>), so the scaled database has as many distinct
packages per record as the real one, and alias groups stay within one copy.
PURLS_TXT gets COMPONENTS purls: two thirds name a package of the database (each
package as likely as any other, as in an SBOM) at a version its records list or
fix (4 in 5) or a made-up one, one third name packages that are not in it.
An existing OUT_ZIP is kept (only the purls are written again).
"""
import json
import random
import sys
import zipfile

src, count, out, purls_path, components = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4], int(sys.argv[5])
rng = random.Random(17)
with zipfile.ZipFile(src) as z:
    records = [json.loads(z.read(n)) for n in sorted(z.namelist()) if n.endswith(".json")]

import os

packages = {}  # name -> versions its records list or fix
write = not os.path.exists(out)
z = zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=6) if write else None
made = 0
copy = 0
while made < count:
    for r in records:
        if made >= count:
            break
        rec = json.loads(json.dumps(r))
        if copy:
            rec["id"] = f'{r["id"]}-S{copy}'
            rec["aliases"] = [f"{a}-S{copy}" for a in r.get("aliases", [])]
            for a in rec.get("affected", []):
                if "package" in a:
                    a["package"]["name"] = f'{a["package"]["name"]}-s{copy}'
                    a["package"].pop("purl", None)
        for a in rec.get("affected", []):
            if "package" in a:
                vs = packages.setdefault(a["package"]["name"], set())
                vs.update(a.get("versions", []))
                for rg in a.get("ranges", []):
                    if rg["type"] == "ECOSYSTEM":
                        vs.update(e["fixed"] for e in rg["events"] if "fixed" in e)
        if z:
            z.writestr(f'{rec["id"]}.json', json.dumps(rec, indent=2))
        made += 1
    copy += 1
if z:
    z.close()

names = sorted(packages)
with open(purls_path, "w") as f:
    for i in range(components):
        if i % 3 == 2:
            f.write(f"pkg:pypi/not-in-the-database-{i}@1.0.{i % 7}\n")
        else:
            name = rng.choice(names)
            versions = sorted(packages[name]) or ["1.0"]
            version = rng.choice(versions) if rng.random() < 0.8 else f"{rng.randint(0, 9)}.{rng.randint(0, 20)}"
            f.write(f"pkg:pypi/{name}@{version}\n")
print(f"{out}: {made} records ({copy} copies{'' if write else ', kept'}); {purls_path}: {components} purls over {len(names)} packages")
