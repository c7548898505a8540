#!/usr/bin/env bash
# Regenerates the bundled demo: a vendor delivery (firmware, a process recipe,
# a tool archive), the demo vendor key pair, and the signed manifest registered
# in Manifests/. The key is a DEMO key, published in this repository: a real
# station must never trust it (see TrustStore/README.md).
#   usage: Demo/make-demo.sh [--new-key]
set -euo pipefail
cd "$(dirname "$0")/.."
PASSBOX="${PASSBOX:-$(swift build --show-bin-path)/passbox}"
[ -x "$PASSBOX" ] || swift build --product passbox

d=Demo/delivery
rm -rf "$d" && mkdir -p "$d/firmware" "$d/recipes" "$d/tools"
# Firmware image: deterministic pseudo-random bytes (stands in for a real image).
python3 - "$d/firmware/etcher-ctrl-2.4.1.bin" <<'PY'
import hashlib, sys
out = bytearray()
block = b"passbox demo firmware etcher-ctrl 2.4.1"
while len(out) < 192 * 1024:
    block = hashlib.sha256(block).digest()
    out += block
open(sys.argv[1], "wb").write(bytes(out[:192 * 1024]))
PY
cat > "$d/recipes/etch-oxide-v12.recipe" <<'R'
# Process recipe: oxide etch, chamber B (demo data)
recipe: etch-oxide
version: 12
steps:
  - {name: stabilize, pressure_mtorr: 30, rf_w: 0, gas: {CF4: 40, CHF3: 20, Ar: 100}, seconds: 20}
  - {name: main-etch, pressure_mtorr: 30, rf_w: 850, gas: {CF4: 40, CHF3: 20, Ar: 100}, endpoint: optical}
  - {name: over-etch, pressure_mtorr: 30, rf_w: 600, seconds: 15}
R
cat > "$d/recipes/clean-chamber-v3.recipe" <<'R'
# Process recipe: chamber clean (demo data)
recipe: clean-chamber
version: 3
steps:
  - {name: o2-clean, pressure_mtorr: 200, rf_w: 1200, gas: {O2: 500}, seconds: 120}
R
cat > "$d/README.txt" <<'R'
Acme Etch Systems - delivery ACME-2026-0412 (DEMO)
Controller firmware 2.4.1, two process recipes, calibration tool 1.3.
R
tmp="$(mktemp -d)"; trap 'rm -rf "$tmp"' EXIT
mkdir -p "$tmp/calib-tool-1.3/bin"
printf '#!/bin/sh\necho "calib-tool 1.3 (demo)"\n' > "$tmp/calib-tool-1.3/bin/calib-tool"
chmod 755 "$tmp/calib-tool-1.3/bin/calib-tool"
printf 'chamber: B\noffsets: [0.012, -0.004, 0.000]\n' > "$tmp/calib-tool-1.3/defaults.yaml"
# Reproducible archive: fixed owner, time and order.
tar --sort=name --owner=0 --group=0 --numeric-owner --mtime=2026-04-12T00:00:00Z \
    -C "$tmp" -cf - calib-tool-1.3 | gzip -n -9 > "$d/tools/calib-tool-1.3.tar.gz"

if [ "${1:-}" = "--new-key" ] || [ ! -f Demo/keys/demo-vendor.key ]; then
  rm -f Demo/keys/demo-vendor.key Demo/keys/demo-vendor.pem
  "$PASSBOX" keygen --algorithm ed25519 -o Demo/keys/demo-vendor
  cp Demo/keys/demo-vendor.pem TrustStore/keys/demo-vendor.pem
fi
rm -f Manifests/demo-delivery.dsse.json
"$PASSBOX" manifest create "$d" --key Demo/keys/demo-vendor.key \
  --vendor "Acme Etch Systems" --product etcher-ctrl --version 2.4.1 --kind firmware \
  -o Manifests/demo-delivery.dsse.json
