#!/usr/bin/env bash
# The kiosk on the bundled demo: builds passbox, makes a throwaway station (key, a
# drop folder holding the demo delivery and a tampered copy, an operator "demo" with
# a fresh password, an API token) and runs `passbox serve` on http://127.0.0.1:8080/.
# Ctrl-C stops it; the throwaway station is removed.
set -euo pipefail
cd "$(dirname "$0")/.."
repo="$(pwd)"
source scripts/setup.sh
ensure_swift
ensure_packages "${PASSBOX_BUILD_PACKAGES[@]}"

echo "== building passbox (debug; PASSBOX_KIOSK_RELEASE=1 for a release build)"
if [ -n "${PASSBOX_KIOSK_RELEASE:-}" ]; then flags=("${PASSBOX_RELEASE_FLAGS[@]}"); else flags=(); fi
swift build "${flags[@]}" --product passbox 2>&1 | tail -n 3
PASSBOX="$(swift build "${flags[@]}" --show-bin-path)/passbox"

work="$(mktemp -d /tmp/passbox-kiosk-demo.XXXXXX)"
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/production" "$work/quarantine" "$work/state" "$work/drop"
cp -a Demo/delivery "$work/drop/delivery"
cp -a Demo/delivery "$work/drop/tampered-delivery"
printf '\x00' | dd of="$work/drop/tampered-delivery/firmware/etcher-ctrl-2.4.1.bin" bs=1 seek=4096 conv=notrunc status=none
printf '[autorun]\nopen=payload.exe\n' > "$work/drop/tampered-delivery/autorun.inf"
rm "$work/drop/tampered-delivery/recipes/etch-oxide-v12.recipe"
"$PASSBOX" keygen -o "$work/station" >/dev/null

password="$(head -c 12 /dev/urandom | base64 | tr -d '/+=' | head -c 12)"
hash="$(printf '%s\n' "$password" | "$PASSBOX" serve --hash-password)"
token_lines="$("$PASSBOX" serve --new-token)"
token="$(printf '%s\n' "$token_lines" | sed -n 's/^token: *//p')"
token_sha="$(printf '%s\n' "$token_lines" | sed -n 's/^sha256: *//p')"
sed -e "s|@REPO@|$repo|g" -e "s|@WORK@|$work|g" Demo/kiosk.yaml > "$work/kiosk.yaml"
cat >> "$work/kiosk.yaml" <<YAML
users:
  - {name: demo, role: operator, password: "$hash"}
tokens:
  - {name: demo-pipeline, role: operator, sha256: $token_sha}
YAML

cat <<TEXT

  Open http://127.0.0.1:8080/ and sign in as  demo / $password
  Pick "delivery" (ACCEPTED, then Admit) or "tampered-delivery" (REJECTED).
  API: curl -H "Authorization: Bearer $token" http://127.0.0.1:8080/api/v1/status
  Config: $work/kiosk.yaml   (Ctrl-C stops the kiosk and removes this throwaway station)

TEXT
"$PASSBOX" serve --config "$work/kiosk.yaml"
