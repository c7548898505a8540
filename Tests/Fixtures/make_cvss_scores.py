#!/usr/bin/env python3
"""Writes vulnerabilities/cvss-scores.tsv: random valid CVSS v3.0, v3.1 and v4.0
vectors with the base score that the independent `cvss` package from PyPI
(pip install cvss) computes for each. VulnerabilityTests.CVSSTests compares the
Swift scores with every line; the test needs no Python.

    python3 Tests/Fixtures/make_cvss_scores.py [COUNT_PER_VERSION]

Deterministic (fixed seed). Columns: vector, score.
"""
import os
import random
import sys

from cvss import CVSS3, CVSS4

V3_BASE = [("AV", "NALP"), ("AC", "LH"), ("PR", "NLH"), ("UI", "NR"), ("S", "UC"),
           ("C", "HLN"), ("I", "HLN"), ("A", "HLN")]
V3_OPTIONAL = [("E", "XUPFH"), ("RL", "XOTWU"), ("RC", "XURC"), ("CR", "XLMH"), ("IR", "XLMH"),
               ("AR", "XLMH"), ("MAV", "XNALP"), ("MAC", "XLH"), ("MPR", "XNLH"), ("MUI", "XNR"),
               ("MS", "XUC"), ("MC", "XNLH"), ("MI", "XNLH"), ("MA", "XNLH")]
V4_BASE = [("AV", "NALP"), ("AC", "LH"), ("AT", "NP"), ("PR", "NLH"), ("UI", "NPA"),
           ("VC", "HLN"), ("VI", "HLN"), ("VA", "HLN"), ("SC", "HLN"), ("SI", "HLN"), ("SA", "HLN")]
V4_OPTIONAL = [("E", "XAPU"), ("CR", "XHML"), ("IR", "XHML"), ("AR", "XHML"), ("MAV", "XNALP"),
               ("MAC", "XLH"), ("MAT", "XNP"), ("MPR", "XNLH"), ("MUI", "XNPA"), ("MVC", "XHLN"),
               ("MVI", "XHLN"), ("MVA", "XHLN"), ("MSC", "XHLN"), ("MSI", "XSHLN"), ("MSA", "XSHLN"),
               ("S", "XNP"), ("AU", "XNY"), ("R", "XAUI"), ("V", "XDC"), ("RE", "XLMH")]


def vector(rng, prefix, base, optional):
    parts = [f"{k}:{rng.choice(v)}" for k, v in base]
    # Half the vectors carry optional metrics (each with probability 1/2).
    if rng.random() < 0.5:
        parts += [f"{k}:{rng.choice(v)}" for k, v in optional if rng.random() < 0.5]
    return prefix + "/".join(parts)


def main():
    count = int(sys.argv[1]) if len(sys.argv) > 1 else 3000
    rng = random.Random(17)
    lines = []
    seen = set()
    for prefix, base, optional, cls in [("CVSS:3.0/", V3_BASE, V3_OPTIONAL, CVSS3),
                                        ("CVSS:3.1/", V3_BASE, V3_OPTIONAL, CVSS3),
                                        ("CVSS:4.0/", V4_BASE, V4_OPTIONAL, CVSS4)]:
        made = 0
        while made < count:
            v = vector(rng, prefix, base, optional)
            if v in seen:
                continue
            seen.add(v)
            score = cls(v).base_score
            lines.append(f"{v}\t{float(score):.1f}")
            made += 1
    out = os.path.join(os.path.dirname(os.path.abspath(__file__)), "vulnerabilities", "cvss-scores.tsv")
    with open(out, "w") as f:
        f.write("\n".join(lines) + "\n")
    print(f"wrote {len(lines)} vectors to {out}")


if __name__ == "__main__":
    main()
