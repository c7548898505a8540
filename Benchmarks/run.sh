#!/usr/bin/env bash
# passbox throughput and memory against the standard tools, measured in one run.
#
#   Benchmarks/run.sh            # full run (~1 GiB inputs; needs ~4 GiB in Benchmarks/work)
#   BENCH_SCALE=0.1 Benchmarks/run.sh   # a quick, smaller run (results are not written to docs/)
#   BENCH_ONLY=gz Benchmarks/run.sh      # only the tar.gz rows, runs interleaved (not written to docs/)
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
ONLY="${BENCH_ONLY:-}"
WORK=Benchmarks/work
mkdir -p "$WORK"
# Reading and hashing are measured: the inventory's per-file rows are not (its own
# benchmark is Benchmarks/inventory.sh).
export PASSBOX_INVENTORY=off

swift build "${PASSBOX_RELEASE_FLAGS[@]}" --product passbox 2>&1 | tail -n 1
PASSBOX="$(swift build "${PASSBOX_RELEASE_FLAGS[@]}" --show-bin-path)/passbox"
TS="$WORK/empty-trust-store"
mkdir -p "$TS/keys"

bytes() { python3 -c "print(int($1 * $SCALE))"; }

# --- inputs -------------------------------------------------------------------
BIG="$WORK/big.bin"
BIG_BYTES=$(bytes 1073741824)
if [ -z "$ONLY" ] && { [ ! -f "$BIG" ] || [ "$(stat -c %s "$BIG")" != "$BIG_BYTES" ]; }; then
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

# BENCH_ONLY=gz: the tar.gz rows alone, for a machine shared with other work: the
# commands take turns (one run of each, RUNS times), so a burst of load elsewhere
# touches all of them alike; medians of wall and user+system CPU time are printed.
if [ "$ONLY" = gz ]; then
  PV=("$PASSBOX" verify --trust-store "$TS" --manifests "$TS")
  declare -a NAMES=("bsdtar -xOf > /dev/null" "bsdtar -xOf | sha256sum" "passbox (sha256, the default)" "passbox --digests sha512")
  declare -a CMDS=("bsdtar -xOf '$GZ' > /dev/null" "bsdtar -xOf '$GZ' | sha256sum > /dev/null"
                   "${PV[*]} '$GZ' > /dev/null" "${PV[*]} '$GZ' --digests sha512 > /dev/null")
  for c in "${CMDS[@]}"; do bash -c "$c" || true; done   # warm-up
  : > "$WORK/gz-times"
  for _ in $(seq "$RUNS"); do
    for i in "${!CMDS[@]}"; do
      /usr/bin/time -f "$i %e %U %S %M" -a -o "$WORK/gz-times" bash -c "${CMDS[$i]}" || true
    done
  done
  echo "== $(du -h "$GZ" | cut -f1) tar.gz of real files, $RUNS interleaved runs (medians)" >&2
  python3 - "$WORK/gz-times" "$RUNS" "${NAMES[@]}" <<'PY'
import statistics, sys
rows, names = {}, sys.argv[3:]
for line in open(sys.argv[1]):
    parts = line.split()
    if len(parts) == 5 and parts[0].isdigit():
        i, wall, user, system, rss = int(parts[0]), float(parts[1]), float(parts[2]), float(parts[3]), int(parts[4])
        rows.setdefault(i, []).append((wall, user + system, rss))
base = statistics.median(w for w, _, _ in rows[0])
for i, name in enumerate(names):
    r = rows.get(i, [])
    if not r:
        continue
    wall = statistics.median(w for w, _, _ in r)
    cpu = statistics.median(c for _, c, _ in r)
    print(f"  {name:28s} {wall:6.2f} s wall (min {min(w for w, _, _ in r):.2f})  {cpu:6.2f} s CPU  "
          f"{max(m for _, _, m in r) // 1024:5d} MiB  {base / wall:5.2f}x bsdtar -xOf > /dev/null")
PY
  exit 0
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

# A 10 GiB-logical bomb: a tar.gz whose one entry is 10 GiB of zeros (gzip members
# concatenated, so making it takes seconds).
BOMB="$WORK/bomb-10GiB.tar.gz"
if [ ! -f "$BOMB" ]; then
  echo "making $BOMB"
  python3 - "$BOMB" <<'PY'
import sys, tarfile, zlib
GiB = 1 << 30
def member(chunks):
    c = zlib.compressobj(1, zlib.DEFLATED, 31)  # 31: gzip framing
    return b"".join(c.compress(x) for x in chunks) + c.flush()
info = tarfile.TarInfo("zeros.img"); info.size = 10 * GiB
zeros = member([b"\0" * (64 << 20)] * 16)      # 1 GiB of zeros, compressed once
with open(sys.argv[1], "wb") as f:
    f.write(member([info.tobuf(format=tarfile.GNU_FORMAT)]))
    for _ in range(10):
        f.write(zeros)
    f.write(member([b"\0" * 1024]))              # end-of-archive blocks
PY
fi
printf 'limits:\n  maxRatio: 100000000\n  maxTotalBytes: 4GiB\n' > "$WORK/bomb-policy.yaml"

# SBOMs of 50,000 components (CycloneDX 1.6 JSON and XML), and a policy with
# allow, deny and license rules to judge them by.
SBOM_N=$(python3 -c "print(max(100, int(50000 * $SCALE)))")
if [ ! -f "$WORK/sbom.json" ] || [ "$(cat "$WORK/sbom.count" 2>/dev/null)" != "$SBOM_N" ]; then
  echo "making SBOMs of $SBOM_N components"
  python3 Benchmarks/make_sbom.py "$WORK" "$SBOM_N"
  echo "$SBOM_N" > "$WORK/sbom.count"
fi
cp Benchmarks/sbom-policy.yaml "$WORK/sbom-policy.yaml"

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
run "passbox (sha256, default)"   "${PV[@]}" "$BIG"
run "passbox --digests sha512"    "${PV[@]}" "$BIG" --digests sha512

echo "== real data tar.gz ($(du -h "$GZ" | cut -f1) compressed)" >&2
run "bsdtar -xOf > /dev/null (gz)"  bash -c "bsdtar -xOf '$GZ' > /dev/null"
run "bsdtar -xOf | sha256sum (gz)"  bash -c "bsdtar -xOf '$GZ' | sha256sum"
run "passbox gz (sha256, default)" "${PV[@]}" "$GZ"
run "passbox gz --digests sha512"  "${PV[@]}" "$GZ" --digests sha512

echo "== $SMALL_N small files" >&2
run "find | xargs sha256sum"        bash -c "find '$SMALL' -type f -print0 | xargs -0 sha256sum"
# find cannot look into a tar: the same job on the tar itself is extract, then hash.
run "tar -x; find | xargs sha256sum" bash -c "d=\$(mktemp -d -p '$WORK' extract.XXXXXX) && tar -xf '$WORK/small.tar' -C \"\$d\" && find \"\$d\" -type f -print0 | xargs -0 sha256sum"
rm -rf "$WORK"/extract.*
run "bsdtar -xOf | sha256sum (tar)" bash -c "bsdtar -xOf '$WORK/small.tar' | sha256sum"
run "passbox tar (sha256, default)" "${PV[@]}" "$WORK/small.tar"
run "passbox tar --digests sha512"  "${PV[@]}" "$WORK/small.tar" --digests sha512
run "find | xargs -P2 -n500 sha256sum" bash -c "find '$SMALL' -type f -print0 | xargs -0 -P2 -n500 sha256sum"
run "passbox dir (sha256, default)" "${PV[@]}" "$SMALL"
# The real job: a signed manifest names every file, and the delivery is accepted.
SIGNED="$WORK/signed-trust-store"
if [ ! -f "$WORK/small.dir.dsse.json" ] || [ "$WORK/small.tar" -nt "$WORK/small.dir.dsse.json" ]; then
  rm -rf "$SIGNED" "$WORK"/bench-vendor.* "$WORK/small.tar.dsse.json" "$WORK/small.dir.dsse.json" && mkdir -p "$SIGNED/keys"
  "$PASSBOX" keygen -o "$WORK/bench-vendor" > /dev/null
  cp "$WORK/bench-vendor.pem" "$SIGNED/keys/"
  "$PASSBOX" manifest create "$WORK/small.tar" --key "$WORK/bench-vendor.key" -o "$WORK/small.tar.dsse.json" > /dev/null
  "$PASSBOX" manifest create "$SMALL" --key "$WORK/bench-vendor.key" -o "$WORK/small.dir.dsse.json" > /dev/null
fi
SV=("$PASSBOX" verify --trust-store "$SIGNED" --manifests "$SIGNED")
for d in "$WORK/small.tar" "$SMALL"; do
  m="$WORK/small.tar.dsse.json"; [ -d "$d" ] && m="$WORK/small.dir.dsse.json"
  "${SV[@]}" --manifest "$m" "$d" > /dev/null || { echo "the signed $d is not accepted" >&2; exit 1; }
done
run "passbox tar signed (accepted)" "${SV[@]}" --manifest "$WORK/small.tar.dsse.json" "$WORK/small.tar"
run "passbox dir signed (accepted)" "${SV[@]}" --manifest "$WORK/small.dir.dsse.json" "$SMALL"
run "passbox dir signed json" "${SV[@]}" --manifest "$WORK/small.dir.dsse.json" "$SMALL" --format json

# How memory grows with the number of files (the inventory and report hold one
# record per file): a tar of four times as many small entries.
MANY_N=$((SMALL_N * 4))
if [ ! -f "$WORK/many.tar" ] || [ "$(cat "$WORK/many.count" 2>/dev/null)" != "$MANY_N" ]; then
  python3 - "$WORK/many.tar" "$MANY_N" <<'PY'
import io, sys, tarfile
path, n = sys.argv[1], int(sys.argv[2])
with tarfile.open(path, "w", format=tarfile.GNU_FORMAT) as t:
    for i in range(n):
        data = (b"%d " % i) * 100
        info = tarfile.TarInfo(f"d{i // 1000:03d}/f{i:06d}.bin")
        info.size = len(data)
        t.addfile(info, io.BytesIO(data))
PY
  echo "$MANY_N" > "$WORK/many.count"
fi
echo "== tar of $MANY_N small entries" >&2
run "passbox many (sha256, default)" "${PV[@]}" "$WORK/many.tar"
run "passbox many json" "${PV[@]}" "$WORK/many.tar" --format json
# The memory target: a signed manifest names every one of the entries (accepted).
# `manifest create` on a tar names the tar; on the extracted tree it names each file,
# with the same relative names as the tar's entries.
if [ ! -f "$WORK/many.tar.dsse.json" ] || [ "$WORK/many.tar" -nt "$WORK/many.tar.dsse.json" ] || [ "$WORK/bench-vendor.key" -nt "$WORK/many.tar.dsse.json" ]; then
  rm -rf "$WORK/many-tree" && mkdir -p "$WORK/many-tree" && tar -xf "$WORK/many.tar" -C "$WORK/many-tree"
  "$PASSBOX" manifest create "$WORK/many-tree" --key "$WORK/bench-vendor.key" -o "$WORK/many.tar.dsse.json" > /dev/null
  rm -rf "$WORK/many-tree"
fi
"${SV[@]}" --manifest "$WORK/many.tar.dsse.json" "$WORK/many.tar" > /dev/null || { echo "the signed $WORK/many.tar is not accepted" >&2; exit 1; }
run "passbox many signed (accepted)" "${SV[@]}" --manifest "$WORK/many.tar.dsse.json" "$WORK/many.tar"

# A real tree: the Swift toolchain passbox is built with (binaries, static libraries
# with their ar index tables and repeated member names, symbolic links), signed as a
# tree with manifest create and verified. Skipped when the toolchain lives in / or /usr.
TOOLCHAIN="$(cd "$(dirname "$(readlink -f "$(command -v swift)")")/../.." && pwd)"
if [ "$TOOLCHAIN" != "/" ] && [ "$TOOLCHAIN" != "/usr" ] && [ "$SCALE" = "1" ]; then
  if [ ! -f "$WORK/toolchain.dsse.json" ] || [ "$WORK/bench-vendor.key" -nt "$WORK/toolchain.dsse.json" ]; then
    rm -f "$WORK/toolchain.dsse.json"
    "$PASSBOX" manifest create "$TOOLCHAIN" --key "$WORK/bench-vendor.key" -o "$WORK/toolchain.dsse.json" > /dev/null 2>&1
  fi
  "${SV[@]}" --manifest "$WORK/toolchain.dsse.json" "$TOOLCHAIN" > /dev/null || { echo "the signed $TOOLCHAIN is not accepted" >&2; exit 1; }
  echo "== the Swift toolchain tree $TOOLCHAIN ($(du -sh "$TOOLCHAIN" 2>/dev/null | cut -f1))" >&2
  run "find | xargs sha256sum (toolchain)" bash -c "find '$TOOLCHAIN' -type f -print0 | xargs -0 sha256sum"
  run "passbox toolchain signed (accepted)" "${SV[@]}" --manifest "$WORK/toolchain.dsse.json" "$TOOLCHAIN"
  TOOLCHAIN_ROWS=$'\n'"| the Swift toolchain as a tree ($TOOLCHAIN, $(du -sh "$TOOLCHAIN" 2>/dev/null | cut -f1), $(find "$TOOLCHAIN" -type f | wc -l) files) | find \\| xargs sha256sum | ${T["find | xargs sha256sum (toolchain)"]} | $((R["find | xargs sha256sum (toolchain)"] / 1024)) | |
| | **passbox verify**, signed with \`manifest create\` (accepted; every archive inside opened) | ${T["passbox toolchain signed (accepted)"]} | $((R["passbox toolchain signed (accepted)"] / 1024)) | $(python3 -c "print(f'{${T["find | xargs sha256sum (toolchain)"]} / ${T["passbox toolchain signed (accepted)"]}:.2f}')")× find\\|xargs sha256sum |"
else
  TOOLCHAIN_ROWS=""
fi

echo "== 10 GiB-logical bomb ($(du -h "$BOMB" | cut -f1))" >&2
run "passbox bomb (built-in policy)" "${PV[@]}" "$BOMB"
run "passbox bomb (maxRatio off, 4 GiB cap)" "${PV[@]}" "$BOMB" --policy "$WORK/bomb-policy.yaml"

echo "== SBOM of $SBOM_N components" >&2
run "python3 json.load (CycloneDX JSON)" python3 -c "import json,sys; json.load(open(sys.argv[1]))" "$WORK/sbom.json"
run "passbox sbom (CycloneDX JSON)" "$PASSBOX" sbom "$WORK/sbom.json" --policy "$WORK/sbom-policy.yaml" --format json
run "passbox sbom (CycloneDX XML)"  "$PASSBOX" sbom "$WORK/sbom.xml" --policy "$WORK/sbom-policy.yaml" --format json

ratio() { python3 -c "print(f'{$1 / $2:.2f}')"; }
MIB=$(python3 -c "print(f'{$BIG_BYTES / 1048576:.0f}')")

read -r -d '' TABLE <<EOF || true
| input | tool | time (s) | peak RSS (MiB) | ratio (tool time / passbox time) |
| --- | --- | ---: | ---: | ---: |
| ${MIB} MiB random file | openssl dgst -sha256 | ${T["openssl dgst -sha256"]} | $((R["openssl dgst -sha256"] / 1024)) | |
| | sha256sum | ${T["sha256sum"]} | $((R["sha256sum"] / 1024)) | |
| | **passbox verify** (sha256, default) | ${T["passbox (sha256, default)"]} | $((R["passbox (sha256, default)"] / 1024)) | $(ratio "${T["openssl dgst -sha256"]}" "${T["passbox (sha256, default)"]}")× openssl, $(ratio "${T["sha256sum"]}" "${T["passbox (sha256, default)"]}")× sha256sum |
| | **passbox verify --digests sha512** | ${T["passbox --digests sha512"]} | $((R["passbox --digests sha512"] / 1024)) | $(ratio "${T["openssl dgst -sha256"]}" "${T["passbox --digests sha512"]}")× openssl, $(ratio "${T["sha256sum"]}" "${T["passbox --digests sha512"]}")× sha256sum |
| $(du -h "$GZ" | cut -f1) tar.gz of real files ($(python3 -c "print(f'{$GZ_BYTES / 1048576:.0f}')") MiB unpacked) | bsdtar -xOf > /dev/null (no hashing) | ${T["bsdtar -xOf > /dev/null (gz)"]} | $((R["bsdtar -xOf > /dev/null (gz)"] / 1024)) | |
| | bsdtar -xOf \| sha256sum | ${T["bsdtar -xOf | sha256sum (gz)"]} | $((R["bsdtar -xOf | sha256sum (gz)"] / 1024)) | |
| | **passbox verify** (sha256, default) | ${T["passbox gz (sha256, default)"]} | $((R["passbox gz (sha256, default)"] / 1024)) | $(ratio "${T["bsdtar -xOf > /dev/null (gz)"]}" "${T["passbox gz (sha256, default)"]}")× bsdtar -xOf, $(ratio "${T["bsdtar -xOf | sha256sum (gz)"]}" "${T["passbox gz (sha256, default)"]}")× bsdtar\|sha256sum |
| | **passbox verify --digests sha512** | ${T["passbox gz --digests sha512"]} | $((R["passbox gz --digests sha512"] / 1024)) | $(ratio "${T["bsdtar -xOf > /dev/null (gz)"]}" "${T["passbox gz --digests sha512"]}")× bsdtar -xOf, $(ratio "${T["bsdtar -xOf | sha256sum (gz)"]}" "${T["passbox gz --digests sha512"]}")× bsdtar\|sha256sum |
| tar of ${SMALL_N} × 4 KiB files | find \| xargs sha256sum (extracted tree) | ${T["find | xargs sha256sum"]} | $((R["find | xargs sha256sum"] / 1024)) | |
| | tar -xf, then find \| xargs sha256sum | ${T["tar -x; find | xargs sha256sum"]} | $((R["tar -x; find | xargs sha256sum"] / 1024)) | |
| | bsdtar -xOf \| sha256sum | ${T["bsdtar -xOf | sha256sum (tar)"]} | $((R["bsdtar -xOf | sha256sum (tar)"] / 1024)) | |
| | **passbox verify** (sha256, default) | ${T["passbox tar (sha256, default)"]} | $((R["passbox tar (sha256, default)"] / 1024)) | $(ratio "${T["find | xargs sha256sum"]}" "${T["passbox tar (sha256, default)"]}")× find\|xargs sha256sum, $(ratio "${T["tar -x; find | xargs sha256sum"]}" "${T["passbox tar (sha256, default)"]}")× tar -x + find\|xargs |
| | **passbox verify --digests sha512** | ${T["passbox tar --digests sha512"]} | $((R["passbox tar --digests sha512"] / 1024)) | $(ratio "${T["find | xargs sha256sum"]}" "${T["passbox tar --digests sha512"]}")× find\|xargs sha256sum, $(ratio "${T["tar -x; find | xargs sha256sum"]}" "${T["passbox tar --digests sha512"]}")× tar -x + find\|xargs |
| | **passbox verify**, signed manifest naming the tar (accepted) | ${T["passbox tar signed (accepted)"]} | $((R["passbox tar signed (accepted)"] / 1024)) | $(ratio "${T["find | xargs sha256sum"]}" "${T["passbox tar signed (accepted)"]}")× find\|xargs sha256sum, $(ratio "${T["tar -x; find | xargs sha256sum"]}" "${T["passbox tar signed (accepted)"]}")× tar -x + find\|xargs |
| the same files as a directory | **passbox verify** (sha256, default) | ${T["passbox dir (sha256, default)"]} | $((R["passbox dir (sha256, default)"] / 1024)) | $(ratio "${T["find | xargs sha256sum"]}" "${T["passbox dir (sha256, default)"]}")× find\|xargs sha256sum, $(ratio "${T["find | xargs -P2 -n500 sha256sum"]}" "${T["passbox dir (sha256, default)"]}")× find\|xargs -P2 -n500 sha256sum |
| | **passbox verify**, signed manifest naming all ${SMALL_N} files (accepted) | ${T["passbox dir signed (accepted)"]} | $((R["passbox dir signed (accepted)"] / 1024)) | $(ratio "${T["find | xargs sha256sum"]}" "${T["passbox dir signed (accepted)"]}")× find\|xargs sha256sum |
| | **passbox verify**, the same with \`--format json\` (report of ${SMALL_N} files) | ${T["passbox dir signed json"]} | $((R["passbox dir signed json"] / 1024)) | |
| tar of ${MANY_N} entries of ~500 bytes ($(du -h "$WORK/many.tar" | cut -f1)) | **passbox verify** (sha256, default) | ${T["passbox many (sha256, default)"]} | $((R["passbox many (sha256, default)"] / 1024)) | |
| | **passbox verify --format json** | ${T["passbox many json"]} | $((R["passbox many json"] / 1024)) | |
| | **passbox verify**, signed manifest naming each of the ${MANY_N} entries ($(du -h "$WORK/many.tar.dsse.json" | cut -f1), accepted) | ${T["passbox many signed (accepted)"]} | $((R["passbox many signed (accepted)"] / 1024)) | |${TOOLCHAIN_ROWS}
| $(du -h "$BOMB" | cut -f1) tar.gz bomb, 10 GiB of zeros inside | **passbox verify**, built-in policy (rejected: maxRatio) | ${T["passbox bomb (built-in policy)"]} | $((R["passbox bomb (built-in policy)"] / 1024)) | |
| | **passbox verify**, ratio limit off, maxTotalBytes 4 GiB (rejected) | ${T["passbox bomb (maxRatio off, 4 GiB cap)"]} | $((R["passbox bomb (maxRatio off, 4 GiB cap)"] / 1024)) | |
| CycloneDX 1.6 JSON, ${SBOM_N} components ($(du -h "$WORK/sbom.json" | cut -f1)) | python3 json.load (parsing only, C parser) | ${T["python3 json.load (CycloneDX JSON)"]} | $((R["python3 json.load (CycloneDX JSON)"] / 1024)) | |
| | **passbox sbom** (parse + allow/deny/license rules, JSON out) | ${T["passbox sbom (CycloneDX JSON)"]} | $((R["passbox sbom (CycloneDX JSON)"] / 1024)) | $(ratio "${T["python3 json.load (CycloneDX JSON)"]}" "${T["passbox sbom (CycloneDX JSON)"]}")× python3 json.load |
| the same as XML ($(du -h "$WORK/sbom.xml" | cut -f1)) | **passbox sbom** | ${T["passbox sbom (CycloneDX XML)"]} | $((R["passbox sbom (CycloneDX XML)"] / 1024)) | $(ratio "${T["passbox sbom (CycloneDX XML)"]}" "${T["passbox sbom (CycloneDX JSON)"]}")× the JSON time |
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
