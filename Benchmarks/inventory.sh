#!/usr/bin/env bash
# The inventory: a store filled with 10,000 deliveries x 500 components, a component
# query with a vers range on SQLite and on PostgreSQL, recording one delivery of
# 50,000 components, bytes on disk per component (docs/benchmarks.md, "Inventory").
#
#   Benchmarks/inventory.sh                       # full size
#   Benchmarks/inventory.sh 1000 500 50000        # DELIVERIES COMPONENTS BIG
#   INVENTORY_FILL=sql Benchmarks/inventory.sh    # SQLite filled by Benchmarks/sqlite-fill.sql
#                                                 # (10,000 x 500 in minutes; needs sqlite3),
#                                                 # then one BIG delivery recorded into it
#
# Release build; a throwaway PostgreSQL server from scripts/postgres-test.sh (stopped
# at the end; fsync off: it measures the inventory, not the disk); the SQLite store in
# Benchmarks/work (about 1.1 GiB at full size). Benchmarks/pg-fill.sql always fills
# 10,000 x 500. Output is printed at the end of each step.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/setup.sh
ensure_swift

DELIVERIES="${1:-10000}"
COMPONENTS="${2:-500}"
BIG="${3:-50000}"
WORK=Benchmarks/work
mkdir -p "$WORK"

swift build "${PASSBOX_RELEASE_FLAGS[@]}" --product inventory-bench 2>&1 | tail -n 1
BENCH="$(swift build "${PASSBOX_RELEASE_FLAGS[@]}" --show-bin-path)/inventory-bench"

scripts/postgres-test.sh stop >/dev/null 2>&1 || true
URL=$(scripts/postgres-test.sh start)
trap 'scripts/postgres-test.sh stop' EXIT

echo "load: $(uptime)"
# SQLite: filled through the real recording path (one transaction per delivery),
# queried, then one delivery of BIG components recorded into the filled store. Or
# (INVENTORY_FILL=sql) filled in SQL, with the same shape, by sqlite3.
if [ "${INVENTORY_FILL:-record}" = sql ]; then
    rm -f "$WORK"/inventory-bench.sqlite*
    "$BENCH" query "sqlite:$WORK/inventory-bench.sqlite" >/dev/null   # the schema, made by passbox
    ensure_packages sqlite3
    sqlite3 "$WORK/inventory-bench.sqlite" < Benchmarks/sqlite-fill.sql >/dev/null
    "$BENCH" query "sqlite:$WORK/inventory-bench.sqlite"
    "$BENCH" record-big "sqlite:$WORK/inventory-bench.sqlite" "$BIG"
else
    "$BENCH" "sqlite:$WORK/inventory-bench.sqlite" "$DELIVERIES" "$COMPONENTS" "$BIG"
    "$BENCH" query "sqlite:$WORK/inventory-bench.sqlite"
fi
# PostgreSQL: the schema made by passbox, the rows filled server-side with the same
# distribution (pushing 10,000 deliveries one by one takes longer than the benchmark
# is about), then the same query, and one delivery of BIG components pushed.
"$BENCH" query "$URL" >/dev/null
psql -q "$URL" -f Benchmarks/pg-fill.sql >/dev/null
"$BENCH" query "$URL"
"$BENCH" push-big "$URL" "$BIG"
echo "load: $(uptime)"
rm -f "$WORK"/inventory-bench.sqlite*
