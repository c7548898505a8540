#!/usr/bin/env bash
# The SBOM row alone (issue 13's target): `passbox sbom --format json` on a
# 50,000-component CycloneDX 1.6 JSON SBOM judged with allow/deny/license rules,
# against parsing alone with Python's C JSON parser. Target: passbox <= 1.5x.
#
#   Benchmarks/sbom.sh                 # release build, then RUNS timed runs of each
#   SBOM_N=5000 Benchmarks/sbom.sh     # another size
#   CALLGRIND=1 Benchmarks/sbom.sh     # also count passbox's instructions (valgrind;
#                                      # repeatable on a busy machine, unlike times)
#   PASSBOX=path/to/passbox Benchmarks/sbom.sh   # time another binary, no build
#
# Method: inputs made once in Benchmarks/work (kept); every command runs once to warm
# the page cache, then RUNS times (default 5); reported are the median wall time, the
# median user+system CPU time (less disturbed by other work on a shared machine than
# wall time) and the largest peak RSS (/usr/bin/time). passbox exits 1 here (some
# components are denied by the policy): that is expected.
set -euo pipefail
cd "$(dirname "$0")/.."

N="${SBOM_N:-50000}"
RUNS="${RUNS:-5}"
WORK=Benchmarks/work
mkdir -p "$WORK"

if [ -z "${PASSBOX:-}" ]; then
  swift build -c release --product passbox 2>&1 | tail -n 1
  PASSBOX="$(swift build -c release --show-bin-path)/passbox"
fi

if [ ! -f "$WORK/sbom.json" ] || [ "$(cat "$WORK/sbom.count" 2>/dev/null)" != "$N" ]; then
  echo "making SBOMs of $N components" >&2
  python3 Benchmarks/make_sbom.py "$WORK" "$N"
  echo "$N" > "$WORK/sbom.count"
fi
cp Benchmarks/sbom-policy.yaml "$WORK/sbom-policy.yaml"

# measure NAME CMD...: prints "NAME  wall s  cpu s  rss MiB" (medians; largest RSS).
measure() {
  local name="$1"; shift
  "$@" > /dev/null 2>&1 || true
  local walls=() cpus=() rss=0
  for _ in $(seq "$RUNS"); do
    /usr/bin/time -o "$WORK/sbom-bench.time" -f "%e %U %S %M" "$@" > /dev/null 2>&1 || true
    read -r e u s m < <(tail -n 1 "$WORK/sbom-bench.time")
    walls+=("$e"); cpus+=("$(python3 -c "print(f'{$u + $s:.2f}')")")
    [ "$m" -gt "$rss" ] && rss=$m
  done
  local wall cpu
  wall=$(printf '%s\n' "${walls[@]}" | sort -n | sed -n "$(( (RUNS + 1) / 2 ))p")
  cpu=$(printf '%s\n' "${cpus[@]}" | sort -n | sed -n "$(( (RUNS + 1) / 2 ))p")
  printf '%-40s %6s s wall  %6s s cpu  %5d MiB\n' "$name" "$wall" "$cpu" $((rss / 1024))
  echo "$wall $cpu" > "$WORK/sbom-bench-$(echo "$name" | tr -c 'a-z0-9' '-')"
}

# The interpreter itself, not a wrapper such as a pyenv shim (whose start-up would be counted).
PYTHON="$(python3 -c 'import sys; print(sys.executable)')"
SIZE=$(du -h "$WORK/sbom.json" | cut -f1)
echo "== CycloneDX 1.6 JSON, $N components ($SIZE), $RUNS runs, $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg)"
measure "python3 json.load (parse only)" "$PYTHON" -c "import json,sys; json.load(open(sys.argv[1]))" "$WORK/sbom.json"
measure "passbox sbom --format json" "$PASSBOX" sbom "$WORK/sbom.json" --policy "$WORK/sbom-policy.yaml" --format json
measure "passbox sbom (XML, same components)" "$PASSBOX" sbom "$WORK/sbom.xml" --policy "$WORK/sbom-policy.yaml" --format json
read -r PYW PYC < "$WORK/sbom-bench-python3-json-load--parse-only--"
read -r PBW PBC < "$WORK/sbom-bench-passbox-sbom---format-json-"
python3 -c "print(f'passbox / python: {$PBW / $PYW:.2f}x wall, {$PBC / $PYC:.2f}x cpu (target <= 1.5x)')"

if [ "${CALLGRIND:-0}" = "1" ]; then
  # valgrind 3.19 cannot read the debug info swiftc writes: count a copy without it.
  objcopy --strip-debug "$PASSBOX" "$WORK/passbox-nodebug"
  for what in "python3 -c import json,sys;json.load(open(sys.argv[1])) $WORK/sbom.json" \
              "$WORK/passbox-nodebug sbom $WORK/sbom.json --policy $WORK/sbom-policy.yaml --format json"; do
    if [[ "$what" == python3* ]]; then
      cmd=("$PYTHON" -c 'import json,sys;json.load(open(sys.argv[1]))' "$WORK/sbom.json")
    else
      read -r -a cmd <<< "$what"
    fi
    count=$(valgrind --tool=callgrind --callgrind-out-file=/dev/null "${cmd[@]}" 2>&1 >/dev/null | sed -n 's/.*Collected : //p')
    printf '%-40s %15s instructions\n' "${cmd[0]##*/}" "$count"
  done
fi
