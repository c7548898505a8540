#!/usr/bin/env bash
# `passbox inventory vulns`: re-assessing 10,000 admitted deliveries (50 PyPI
# components each, four in five of them packages with PyPA advisories at random
# versions) against osv.dev's PyPI export (docs/benchmarks.md, "Re-assessing what
# was admitted"; the issue's target: <= 10 s).
#
#   Benchmarks/inventory-vulns.sh                 # 10,000 x 50, the real PyPI export
#   Benchmarks/inventory-vulns.sh 1000 50         # DELIVERIES COMPONENTS
#   OSV_EXPORT=Benchmarks/work/osv-200000.zip Benchmarks/inventory-vulns.sh   # the scaled export (vulndb.sh makes it)
#
# Release build of inventory-bench; the SQLite store (deliveries and the vulnerability
# database in one file) in Benchmarks/work (removed at the end). Timed: reading the
# admitted deliveries a page at a time, the records they name, matching and judging
# (median of 3 runs). Then (BENCH_CLI=0 to skip) `passbox inventory vulns --format
# json` on the same store, its own wall time and peak RSS.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/setup.sh
ensure_swift

DELIVERIES="${1:-10000}"
COMPONENTS="${2:-50}"
EXPORT="${OSV_EXPORT:-../shared/corpus/osv/PyPI/all.zip}"
WORK=Benchmarks/work
mkdir -p "$WORK"
[ -f "$EXPORT" ] || { echo "inventory-vulns.sh: $EXPORT is missing (osv.dev's PyPI all.zip)"; exit 1; }

swift build "${PASSBOX_RELEASE_FLAGS[@]}" --product inventory-bench 2>&1 | tail -n 1
BENCH="$(swift build "${PASSBOX_RELEASE_FLAGS[@]}" --show-bin-path)/inventory-bench"

command -v /usr/bin/time >/dev/null || { echo "inventory-vulns.sh: needs /usr/bin/time (apt-get install time)"; exit 1; }
/usr/bin/time -f "peak RSS of the whole run (fill, import, 3 re-assessments): %M KiB" \
  "$BENCH" vulns "sqlite:$WORK/inventory-vulns.sqlite" "$EXPORT" "$DELIVERIES" "$COMPONENTS"
echo "load average: $(cut -d' ' -f1-3 /proc/loadavg) on $(nproc) cores"
# The command itself on the same store (deliveries and records in it), output as JSON
# written as each delivery is evaluated: its wall time and peak RSS alone.
if [ "${BENCH_CLI:-1}" = 1 ]; then
  swift build "${PASSBOX_RELEASE_FLAGS[@]}" --product passbox 2>&1 | tail -n 1
  PASSBOX="$(swift build "${PASSBOX_RELEASE_FLAGS[@]}" --show-bin-path)/passbox"
  /usr/bin/time -f "passbox inventory vulns --format json > /dev/null: %e s wall, peak RSS %M KiB" \
    "$PASSBOX" inventory vulns --store "sqlite:$WORK/inventory-vulns.sqlite" --state "$WORK" --format json > "$WORK/inventory-vulns.json" || true
  echo "  output $(du -h "$WORK/inventory-vulns.json" | cut -f1), $(grep -o '"id":"' "$WORK/inventory-vulns.json" | wc -l) vulnerabilities listed"
  echo "load average: $(cut -d' ' -f1-3 /proc/loadavg) on $(nproc) cores"
fi
rm -f "$WORK"/inventory-vulns.sqlite* "$WORK"/inventory-vulns.json
