#!/usr/bin/env bash
# The inventory: a store filled with 10,000 deliveries x 500 components, a component
# query with a vers range on SQLite and on PostgreSQL, recording one delivery of
# 50,000 components, bytes on disk per component (docs/benchmarks.md, "Inventory").
#
#   Benchmarks/inventory.sh                       # full size
#   Benchmarks/inventory.sh 1000 500 50000        # DELIVERIES COMPONENTS BIG
#
# Release build; a throwaway PostgreSQL server from scripts/postgres-test.sh (stopped
# at the end); the SQLite store in Benchmarks/work (about 2 GiB at full size).
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

"$BENCH" "sqlite:$WORK/inventory-bench.sqlite" "$DELIVERIES" "$COMPONENTS" "$BIG" "$URL"
rm -f "$WORK"/inventory-bench.sqlite*
