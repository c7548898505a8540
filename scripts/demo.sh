#!/usr/bin/env bash
# The main job on the bundled demo: install what is missing, build passbox
# (release), verify the demo delivery (accepted), then a tampered copy (rejected).
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/setup.sh
ensure_swift
ensure_packages "${PASSBOX_BUILD_PACKAGES[@]}"

echo "== building passbox (release)"
swift build "${PASSBOX_RELEASE_FLAGS[@]}" --product passbox 2>&1 | tail -n 3
PASSBOX="$(swift build "${PASSBOX_RELEASE_FLAGS[@]}" --show-bin-path)/passbox"

echo
echo "== 1. the demo delivery as the vendor signed it (expect ACCEPTED, exit 0)"
set +e
"$PASSBOX" verify Demo/delivery
status=$?
set -e
echo "(exit $status)"
[ "$status" -eq 0 ] || { echo "demo: expected the demo delivery to be accepted" >&2; exit 1; }

echo
echo "== 2. a tampered copy: one firmware byte changed, an autorun.inf added, a recipe removed (expect REJECTED, exit 1)"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
cp -a Demo/delivery "$work/delivery"
printf '\x00' | dd of="$work/delivery/firmware/etcher-ctrl-2.4.1.bin" bs=1 seek=4096 conv=notrunc status=none
printf '[autorun]\nopen=payload.exe\n' > "$work/delivery/autorun.inf"
rm "$work/delivery/recipes/etch-oxide-v12.recipe"
set +e
"$PASSBOX" verify "$work/delivery" --manifests Manifests
status=$?
set -e
echo "(exit $status)"
[ "$status" -eq 1 ] || { echo "demo: expected the tampered copy to be rejected" >&2; exit 1; }
echo
echo "demo: OK (accepted the signed delivery, rejected the tampered copy)"
