#!/usr/bin/env bash
# The offline vulnerability database: `passbox vulndb import` of 200,000 OSV records
# into the inventory store (SQLite STATE/inventory.sqlite by default, one transaction
# per source), or into PostgreSQL with BENCH_POSTGRES_URL (a fresh database per run,
# made and dropped with psql).
#
#   Benchmarks/vulndb.sh                        # 200,000 records, release build, SQLite
#   BENCH_RECORDS=20000 Benchmarks/vulndb.sh    # smaller run
#   BENCH_POSTGRES_URL=$(cat .build-pg/url) Benchmarks/vulndb.sh   # into PostgreSQL (scripts/postgres-test.sh start)
#   PASSBOX=.build/debug/passbox Benchmarks/vulndb.sh   # another binary (numbers not comparable)
#
# Input: osv.dev's PyPI export scaled by Benchmarks/make_osv_scaled.py (as vulns.sh).
# Reported: wall time, user+system CPU and peak RSS (/usr/bin/time) of each import
# into a fresh state directory or database (median of RUNS), and the store's size.
set -euo pipefail
cd "$(dirname "$0")/.."

RECORDS="${BENCH_RECORDS:-200000}"
RUNS="${BENCH_RUNS:-3}"
SOURCE="${OSV_PYPI_ZIP:-../shared/corpus/osv/PyPI/all.zip}"
WORK=Benchmarks/work
mkdir -p "$WORK"
[ -f "$SOURCE" ] || { echo "vulndb.sh: $SOURCE is missing (osv.dev's PyPI all.zip)"; exit 1; }
command -v /usr/bin/time >/dev/null || { echo "vulndb.sh: needs /usr/bin/time (apt-get install time)"; exit 1; }

ZIP="$WORK/osv-$RECORDS.zip"
PURLS="$WORK/purls-1000.txt"
[ -f "$ZIP" ] || python3 Benchmarks/make_osv_scaled.py "$SOURCE" "$RECORDS" "$ZIP" "$PURLS" 1000

if [ -z "${PASSBOX:-}" ]; then
  swift build -c release --product passbox 2>&1 | tail -n 1
  PASSBOX="$(swift build -c release --show-bin-path)/passbox"
fi

echo "input: $ZIP ($(du -h "$ZIP" | cut -f1) compressed, $RECORDS records); binary $PASSBOX"
times=()
for _ in $(seq "$RUNS"); do
  STATE=$(mktemp -d)
  STORE=()
  if [ -n "${BENCH_POSTGRES_URL:-}" ]; then
    NAME="passbox_vulndb_bench_$$"
    SERVER="${BENCH_POSTGRES_URL%/*}/postgres"
    DB="${BENCH_POSTGRES_URL%/*}/$NAME"
    psql -q "$SERVER" -c "CREATE DATABASE $NAME"
    STORE=(--store "$DB")
  fi
  out=$(/usr/bin/time -f "TIME %e %M %U %S" "$PASSBOX" vulndb import "$ZIP" --state "$STATE" "${STORE[@]}" 2>&1)
  echo "$out" | grep -v '^TIME' | head -n 3
  times+=("$(echo "$out" | awk '/^TIME/ {print $2, $3, $4 + $5}')")
  if [ -n "${BENCH_POSTGRES_URL:-}" ]; then
    SIZE="$(psql -At "$DB" -c "SELECT pg_size_pretty(pg_database_size(current_database()))") (PostgreSQL database)"
    psql -q "$SERVER" -c "DROP DATABASE $NAME"
  else
    SIZE="$(du -h "$STATE/inventory.sqlite" | cut -f1) (inventory.sqlite)"
  fi
  rm -rf "$STATE"
done
printf '%s\n' "${times[@]}" | sort -n | awk -v runs="$RUNS" -v size="$SIZE" '
  { t[NR] = $1; c[NR] = $3; if ($2 > m) m = $2 }
  END { printf "vulndb import: median %.2f s wall (%.2f s CPU), peak RSS %.0f MiB (of %d runs); store %s\n", t[int((NR + 1) / 2)], c[int((NR + 1) / 2)], m / 1024, runs, size }'
echo "load average: $(cut -d' ' -f1-3 /proc/loadavg) on $(nproc) cores"
