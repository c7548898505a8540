#!/usr/bin/env bash
# 20 concurrent API verifications of a 100 MiB signed delivery on loopback (docs/benchmarks.md).
#   Benchmarks/kiosk_load.sh [PASSBOX_BINARY] [N] [MiB]
set -euo pipefail
cd "$(dirname "$0")/.."
PASSBOX="${1:-.build/release/passbox}"; N="${2:-20}"; MIB="${3:-100}"
work="$(mktemp -d /tmp/passbox-kiosk-load.XXXXXX)"
server=""
cleanup() { [ -n "$server" ] && kill -INT "$server" 2>/dev/null && wait "$server" 2>/dev/null; rm -rf "$work"; }
trap cleanup EXIT
mkdir -p "$work"/{drop/big,production,quarantine,state,trust/keys}
"$PASSBOX" keygen -o "$work/vendor" >/dev/null
"$PASSBOX" keygen -o "$work/station" >/dev/null
cp "$work/vendor.pem" "$work/trust/keys/vendor.pem"
head -c $((MIB << 20)) /dev/urandom > "$work/drop/big/firmware.bin"
"$PASSBOX" manifest create "$work/drop/big" --key "$work/vendor.key" --vendor Load --product big --version 1.0 -o "$work/drop/big/delivery.dsse.json" >/dev/null
tok="$("$PASSBOX" serve --new-token)"
token="$(sed -n 's/^token: *//p' <<<"$tok")"; sha="$(sed -n 's/^sha256: *//p' <<<"$tok")"
port=$((20000 + RANDOM % 20000))
cat > "$work/kiosk.yaml" <<YAML
listen: 127.0.0.1:$port
trustStore: $work/trust
production: $work/production
quarantine: $work/quarantine
state: $work/state
stationKey: $work/station.key
dropFolders: [$work/drop]
tokens: [{name: load, role: operator, sha256: $sha}]
limits: {concurrentVerifications: 2, queue: $N}
YAML
"$PASSBOX" serve --config "$work/kiosk.yaml" 2>"$work/server.log" &
server=$!
for _ in $(seq 100); do curl -s -o /dev/null "http://127.0.0.1:$port/api/v1/openapi.json" && break; sleep 0.1; done
python3 Benchmarks/kiosk_load.py "http://127.0.0.1:$port" "$token" "$work/drop/big" "$server" "$N"
