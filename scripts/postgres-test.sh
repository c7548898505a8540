#!/usr/bin/env bash
# A throwaway PostgreSQL server on loopback for the inventory tests.
#
#   scripts/postgres-test.sh start   installs Debian's postgresql when missing, runs
#                                    initdb into a temporary directory (as the postgres
#                                    user when run as root), starts the server on
#                                    127.0.0.1 and a free port with password
#                                    authentication and TLS (ssl=on; a self-signed
#                                    certificate from scripts/postgres-test-certs.sh),
#                                    creates the database passbox_test, and writes its
#                                    URL to .build-pg/url (and prints it); the test CA to
#                                    .build-pg/tls-ca.pem and a CA that did not sign the
#                                    server's certificate to .build-pg/tls-wrong-ca.pem
#   scripts/postgres-test.sh stop    stops it and removes its directory
#
# The URL has no sslmode (plain TCP); the server takes both plain and TLS connections
# (sslmode=require&sslrootcert=.build-pg/tls-ca.pem).
#
# The tests read the URL from PASSBOX_TEST_POSTGRES_URL:
#   scripts/postgres-test.sh start
#   PASSBOX_TEST_POSTGRES_URL=$(cat .build-pg/url) swift test --filter InventoryTests
#   scripts/postgres-test.sh stop
set -euo pipefail
cd "$(dirname "$0")/.."
state=.build-pg
mkdir -p "$state"

pgbin() {
    local dir
    dir=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)
    [ -n "$dir" ] && [ -x "$dir/initdb" ] && echo "$dir"
}

as_owner() {
    if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

start() {
    if [ -f "$state/datadir" ] && [ -d "$(cat "$state/datadir")" ]; then
        echo "postgres-test: already running? ($state/datadir exists); run stop first" >&2
        exit 1
    fi
    if ! pgbin >/dev/null; then
        echo "postgres-test: installing postgresql (Debian)" >&2
        export DEBIAN_FRONTEND=noninteractive
        apt-get install -y --no-install-recommends postgresql >/dev/null \
            || { apt-get update >/dev/null && apt-get install -y --no-install-recommends postgresql >/dev/null; }
    fi
    local bin
    bin=$(pgbin) || { echo "postgres-test: no initdb after installing postgresql" >&2; exit 1; }
    local data port password
    data=$(mktemp -d /tmp/passbox-pg.XXXXXX)
    password="pw-$(head -c 12 /dev/urandom | od -An -tx1 | tr -d ' \n')"
    port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()')
    printf '%s\n' "$password" > "$data/pwfile"
    bash scripts/postgres-test-certs.sh "$data/tls" || { echo "postgres-test: cannot make the TLS certificates" >&2; exit 1; }
    if [ "$(id -u)" = 0 ]; then chown -R postgres:postgres "$data"; fi
    chmod 700 "$data"
    as_owner "$bin/initdb" -D "$data/db" -U postgres --pwfile="$data/pwfile" \
        --auth-local=trust --auth-host=scram-sha-256 -E UTF8 --locale=C.UTF-8 >"$data/initdb.log" 2>&1 \
        || { cat "$data/initdb.log" >&2; exit 1; }
    as_owner "$bin/pg_ctl" -D "$data/db" -l "$data/server.log" -w -t 60 \
        -o "-c listen_addresses=127.0.0.1 -p $port -k $data -c fsync=off -c synchronous_commit=off -c max_connections=50 -c ssl=on -c ssl_cert_file=$data/tls/server.pem -c ssl_key_file=$data/tls/server.key" start >/dev/null \
        || { cat "$data/server.log" >&2; exit 1; }
    echo "$data" > "$state/datadir"
    PGPASSWORD="$password" "$bin/psql" -q -h 127.0.0.1 -p "$port" -U postgres -d postgres \
        -c "CREATE DATABASE passbox_test" >/dev/null
    echo "postgres://postgres:$password@127.0.0.1:$port/passbox_test" > "$state/url"
    chmod 600 "$state/url"
    cp "$data/tls/ca.pem" "$state/tls-ca.pem"
    cp "$data/tls/wrong-ca.pem" "$state/tls-wrong-ca.pem"
    cat "$state/url"
}

stop() {
    [ -f "$state/datadir" ] || { echo "postgres-test: not running" >&2; return 0; }
    local data bin
    data=$(cat "$state/datadir")
    bin=$(pgbin) || true
    if [ -n "$bin" ] && [ -d "$data/db" ]; then as_owner "$bin/pg_ctl" -D "$data/db" -m fast -w stop >/dev/null || true; fi
    rm -rf "$data" "$state/datadir" "$state/url" "$state/tls-ca.pem" "$state/tls-wrong-ca.pem"
}

case "${1:-}" in
    start) start ;;
    stop) stop ;;
    *) echo "usage: $0 start|stop" >&2; exit 2 ;;
esac
