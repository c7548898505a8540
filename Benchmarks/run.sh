#!/usr/bin/env bash
# passbox throughput and memory against the standard tools, measured in one run.
#
#   Benchmarks/run.sh            # full run (~1 GiB inputs; needs ~4 GiB in Benchmarks/work)
#   BENCH_SCALE=0.1 Benchmarks/run.sh   # a quick, smaller run (results are not written to docs/)
#
# Method: release build; inputs made once in Benchmarks/work (kept between runs);
# every command runs once to warm the page cache, then RUNS times; the median wall
# time and the largest peak RSS (/usr/bin/time %M) are reported. Ratios compare
# throughputs measured in this same run: ratio = tool time / passbox time, so > 1
# means passbox is faster. passbox reports are discarded (verdict "rejected": no
# manifest is given, which does not change the reading and hashing work).
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/setup.sh
ensure_swift
ensure_packages "${PASSBOX_BUILD_PACKAGES[@]}" libarchive-tools openssl python3 time

SCALE="${BENCH_SCALE:-1}"
RUNS="${BENCH_RUNS:-3}"
WORK=Benchmarks/work
mkdir -p "$WORK"

swift build -c release --product passbox 2>&1 | tail -n 1
PASSBOX="$(swift build -c release --show-bin-path)/passbox"
TS="$WORK/empty-trust-store"
mkdir -p "$TS/keys"

bytes() { python3 -c "print(int($1 * $SCALE))"; }

# --- inputs -------------------------------------------------------------------
BIG="$WORK/big.bin"
BIG_BYTES=$(bytes 1073741824)
if [ ! -f "$BIG" ] || [ "$(stat -c %s "$BIG")" != "$BIG_BYTES" ]; then
  echo "making $BIG ($BIG_BYTES bytes of random data)"
  head -c "$BIG_BYTES" /dev/urandom > "$BIG"
fi

# Real compressible data: files of this machine's /usr and /opt/swift (binaries,
# libraries, text), up to 1 GiB uncompressed, as a tar.gz made with gzip -6.
GZ="$WORK/real.tar.gz"
GZ_BYTES=$(bytes 1073741824)
if [ ! -f "$GZ" ] || [ "$(cat "$GZ.size" 2>/dev/null)" != "$GZ_BYTES" ]; then
  echo "making $GZ (about $GZ_BYTES bytes of /usr and /opt files, gzip -6)"
  find /usr/lib /usr/share /usr/bin /opt/swift -xdev -type f -size -64M -readable 2>/dev/null | sort |
    python3 -c "
import os, sys
limit = int(sys.argv[1]); total = 0
for line in sys.stdin:
    p = line.rstrip('\n')
    try: n = os.path.getsize(p)
    except OSError: continue
    if total + n > limit: continue
    total += n; print(p)
" "$GZ_BYTES" > "$WORK/real.list"
  tar -cf - --files-from="$WORK/real.list" 2>/dev/null | gzip -6 > "$GZ"
  echo "$GZ_BYTES" > "$GZ.size"
fi

# 50,000 small files (4 KiB of random data each), as a tree and as a tar.
SMALL="$WORK/small"
SMALL_N=$(python3 -c "print(max(100, int(50000 * $SCALE)))")
if [ ! -f "$WORK/small.tar" ] || [ "$(cat "$WORK/small.count" 2>/dev/null)" != "$SMALL_N" ]; then
  echo "making $SMALL_N small files"
  rm -rf "$SMALL" && mkdir -p "$SMALL"
  python3 - "$SMALL" "$SMALL_N" <<'PY'
import os, sys
root, n = sys.argv[1], int(sys.argv[2])
for i in range(n):
    d = os.path.join(root, "d%03d" % (i // 500))
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, "f%05d.bin" % i), "wb") as f:
        f.write(os.urandom(4096))
PY
  tar -cf "$WORK/small.tar" -C "$WORK" small
  echo "$SMALL_N" > "$WORK/small.count"
fi

# --- measuring ----------------------------------------------------------------
# measure NAME COMMAND...: prints "median_seconds max_rss_kib"
measure() {
  local name="$1"; shift
  "$@" > /dev/null 2>&1 || true     # warm-up
  local times=() rss=0
  for _ in $(seq "$RUNS"); do
    local out
    /usr/bin/time -f "%e %M" -o "$WORK/time.out" "$@" > /dev/null 2>&1 || true
    out=$(tail -n 1 "$WORK/time.out")
    times+=("${out% *}")
    local r="${out#* }"; [ "$r" -gt "$rss" ] && rss="$r"
  done
  local median
  median=$(printf '%s\n' "${times[@]}" | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}')
  printf '%s %s\n' "$median" "$rss"
  printf '  %-44s %7.2f s  %7d KiB\n' "$name" "$median" "$rss" >&2
}

declare -A T R
run() { local key="$1"; shift; local res; res=$(measure "$key" "$@"); T[$key]="${res% *}"; R[$key]="${res#* }"; }

PV=("$PASSBOX" verify --trust-store "$TS" --manifests "$TS")

echo "== one large file ($(du -h "$BIG" | cut -f1))" >&2
run "openssl dgst -sha256"        openssl dgst -sha256 "$BIG"
run "sha256sum"                   sha256sum "$BIG"
run "passbox (sha256+sha512)"     "${PV[@]}" "$BIG"
run "passbox --digests sha256"    "${PV[@]}" "$BIG" --digests sha256

echo "== real data tar.gz ($(du -h "$GZ" | cut -f1) compressed)" >&2
run "bsdtar -xOf | sha256sum (gz)"  bash -c "bsdtar -xOf '$GZ' | sha256sum"
run "passbox gz (sha256+sha512)"   "${PV[@]}" "$GZ"
run "passbox gz --digests sha256"  "${PV[@]}" "$GZ" --digests sha256

echo "== $SMALL_N small files" >&2
run "find | xargs sha256sum"        bash -c "find '$SMALL' -type f -print0 | xargs -0 sha256sum"
run "bsdtar -xOf | sha256sum (tar)" bash -c "bsdtar -xOf '$WORK/small.tar' | sha256sum"
run "passbox tar (sha256+sha512)"   "${PV[@]}" "$WORK/small.tar"
run "passbox tar --digests sha256"  "${PV[@]}" "$WORK/small.tar" --digests sha256
run "passbox dir (sha256+sha512)"   "${PV[@]}" "$SMALL"

ratio() { python3 -c "print(f'{$1 / $2:.2f}')"; }
MIB=$(python3 -c "print(f'{$BIG_BYTES / 1048576:.0f}')")

read -r -d '' TABLE <<EOF || true
| input | tool | time (s) | peak RSS (MiB) | ratio (tool time / passbox time) |
| --- | --- | ---: | ---: | ---: |
| ${MIB} MiB random file | openssl dgst -sha256 | ${T["openssl dgst -sha256"]} | $((R["openssl dgst -sha256"] / 1024)) | |
| | sha256sum | ${T["sha256sum"]} | $((R["sha256sum"] / 1024)) | |
| | **passbox verify** (sha256+sha512) | ${T["passbox (sha256+sha512)"]} | $((R["passbox (sha256+sha512)"] / 1024)) | $(ratio "${T["openssl dgst -sha256"]}" "${T["passbox (sha256+sha512)"]}")× openssl, $(ratio "${T["sha256sum"]}" "${T["passbox (sha256+sha512)"]}")× sha256sum |
| | **passbox verify --digests sha256** | ${T["passbox --digests sha256"]} | $((R["passbox --digests sha256"] / 1024)) | $(ratio "${T["openssl dgst -sha256"]}" "${T["passbox --digests sha256"]}")× openssl, $(ratio "${T["sha256sum"]}" "${T["passbox --digests sha256"]}")× sha256sum |
| $(du -h "$GZ" | cut -f1) tar.gz of real files ($(python3 -c "print(f'{$GZ_BYTES / 1048576:.0f}')") MiB unpacked) | bsdtar -xOf \| sha256sum | ${T["bsdtar -xOf | sha256sum (gz)"]} | $((R["bsdtar -xOf | sha256sum (gz)"] / 1024)) | |
| | **passbox verify** (sha256+sha512) | ${T["passbox gz (sha256+sha512)"]} | $((R["passbox gz (sha256+sha512)"] / 1024)) | $(ratio "${T["bsdtar -xOf | sha256sum (gz)"]}" "${T["passbox gz (sha256+sha512)"]}")× bsdtar\|sha256sum |
| | **passbox verify --digests sha256** | ${T["passbox gz --digests sha256"]} | $((R["passbox gz --digests sha256"] / 1024)) | $(ratio "${T["bsdtar -xOf | sha256sum (gz)"]}" "${T["passbox gz --digests sha256"]}")× bsdtar\|sha256sum |
| tar of ${SMALL_N} × 4 KiB files | find \| xargs sha256sum (extracted tree) | ${T["find | xargs sha256sum"]} | $((R["find | xargs sha256sum"] / 1024)) | |
| | bsdtar -xOf \| sha256sum | ${T["bsdtar -xOf | sha256sum (tar)"]} | $((R["bsdtar -xOf | sha256sum (tar)"] / 1024)) | |
| | **passbox verify** (sha256+sha512) | ${T["passbox tar (sha256+sha512)"]} | $((R["passbox tar (sha256+sha512)"] / 1024)) | $(ratio "${T["find | xargs sha256sum"]}" "${T["passbox tar (sha256+sha512)"]}")× find\|xargs sha256sum |
| | **passbox verify --digests sha256** | ${T["passbox tar --digests sha256"]} | $((R["passbox tar --digests sha256"] / 1024)) | $(ratio "${T["find | xargs sha256sum"]}" "${T["passbox tar --digests sha256"]}")× find\|xargs sha256sum |
| the same files as a directory | **passbox verify** (sha256+sha512) | ${T["passbox dir (sha256+sha512)"]} | $((R["passbox dir (sha256+sha512)"] / 1024)) | $(ratio "${T["find | xargs sha256sum"]}" "${T["passbox dir (sha256+sha512)"]}")× find\|xargs sha256sum |
EOF

echo
echo "$TABLE"

if [ "$SCALE" = "1" ]; then
  MACHINE="$(nproc) cores ($(lscpu | sed -n 's/^Model name: *//p' | head -n 1)), $(free -g | awk '/Mem:/ {print $2}') GiB RAM, $(. /etc/os-release; echo "$PRETTY_NAME"), $(swift --version 2>/dev/null | head -n 1), OpenSSL $(openssl version | cut -d' ' -f2), libarchive $(pkg-config --modversion libarchive)"
  python3 - "$TABLE" "$MACHINE" "$RUNS" <<'PY'
import re, sys, datetime
table, machine, runs = sys.argv[1], sys.argv[2], sys.argv[3]
path = "docs/benchmarks.md"
text = open(path).read()
start, end = "<!-- results:start -->", "<!-- results:end -->"
block = f"{start}\nMeasured {datetime.date.today()} by `Benchmarks/run.sh` on {machine}; median of {runs} runs after a warm-up (page cache warm).\n\n{table}\n{end}"
text = re.sub(re.escape(start) + ".*?" + re.escape(end), lambda _: block, text, flags=re.S)
open(path, "w").write(text)
print("wrote", path)
PY
fi
