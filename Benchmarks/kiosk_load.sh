#!/usr/bin/env bash
# 20 concurrent API verifications of a 100 MiB signed delivery on loopback (docs/benchmarks.md).
#   Benchmarks/kiosk_load.sh [PASSBOX_BINARY] [N] [MiB]
# Prints one JSON line (verdicts, wall time, the server's peak RSS, its answers while
# scanning); exits 1 when a verdict is wrong. KioskTests' LoadTests runs it on the debug
# build as part of `swift test` and checks the bounds (docs/kiosk.md, "Load").
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
port="$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
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
for _ in $(seq 300); do
  python3 -c "import urllib.request; urllib.request.urlopen('http://127.0.0.1:$port/api/v1/openapi.json', timeout=2)" 2>/dev/null && break
  kill -0 "$server" 2>/dev/null || { cat "$work/server.log" >&2; echo "passbox serve did not start" >&2; exit 1; }
  sleep 0.1
done
python3 Benchmarks/kiosk_load.py "http://127.0.0.1:$port" "$token" "$work/drop/big" "$server" "$N"
