#!/usr/bin/env bash
# Vulnerabilities module: import of OSV records and matching of components.
#
#   Benchmarks/vulns.sh                         # 200,000 records, 50,000 components
#   BENCH_RECORDS=20000 Benchmarks/vulns.sh     # smaller run
#
# Input: osv.dev's PyPI export (../shared/corpus/osv/PyPI/all.zip, 2,661 records),
# scaled by Benchmarks/make_osv_scaled.py (ids, aliases and package names renamed per
# copy) into one all.zip in Benchmarks/work (kept between runs). Release build of
# Benchmarks/vulnbench. Import: wall time and peak RSS (/usr/bin/time) of reading the
# zip (libarchive), decoding and checking every record, and building the in-memory
# index; median of RUNS, with its user+system CPU time (the machine may be shared).
# Matching: VulnerabilityIndex.match over the components, 3 times in one process
# after the import: each run's wall time and the CPU time of all its threads.
set -euo pipefail
cd "$(dirname "$0")/.."

RECORDS="${BENCH_RECORDS:-200000}"
COMPONENTS="${BENCH_COMPONENTS:-50000}"
RUNS="${BENCH_RUNS:-3}"
SOURCE="${OSV_PYPI_ZIP:-../shared/corpus/osv/PyPI/all.zip}"
WORK=Benchmarks/work
mkdir -p "$WORK"
[ -f "$SOURCE" ] || { echo "vulns.sh: $SOURCE is missing (osv.dev's PyPI all.zip)"; exit 1; }
command -v /usr/bin/time >/dev/null || { echo "vulns.sh: needs /usr/bin/time (apt-get install time)"; exit 1; }

ZIP="$WORK/osv-$RECORDS.zip"
PURLS="$WORK/purls-$COMPONENTS.txt"
if [ ! -f "$ZIP" ] || [ ! -f "$PURLS" ] || [ Benchmarks/make_osv_scaled.py -nt "$PURLS" ]; then
  python3 Benchmarks/make_osv_scaled.py "$SOURCE" "$RECORDS" "$ZIP" "$PURLS" "$COMPONENTS"
fi

swift build -c release --product vulnbench 2>&1 | tail -n 1
BENCH="$(swift build -c release --show-bin-path)/vulnbench"

echo "input: $ZIP ($(du -h "$ZIP" | cut -f1) compressed, $RECORDS records)"
"$BENCH" import "$ZIP" >/dev/null   # warm the page cache
times=()
for _ in $(seq "$RUNS"); do
  out=$(/usr/bin/time -f "TIME %e %M %U %S" "$BENCH" import "$ZIP" 2>&1)
  echo "$out" | grep -v '^TIME'
  times+=("$(echo "$out" | awk '/^TIME/ {print $2, $3, $4 + $5}')")
done
printf '%s\n' "${times[@]}" | sort -n | awk -v runs="$RUNS" '
  { t[NR] = $1; c[NR] = $3; if ($2 > m) m = $2 }
  END { printf "import: median %.2f s wall (%.2f s CPU), peak RSS %.0f MiB (of %d runs)\n", t[int((NR + 1) / 2)], c[int((NR + 1) / 2)], m / 1024, runs }'
echo "load average: $(cut -d' ' -f1-3 /proc/loadavg) on $(nproc) cores"

/usr/bin/time -f "match process: %e s wall, peak RSS %M KiB" "$BENCH" match "$ZIP" "$PURLS"
