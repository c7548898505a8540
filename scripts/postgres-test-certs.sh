#!/usr/bin/env bash
# Self-signed certificates for the throwaway PostgreSQL of scripts/postgres-test.sh
# (TLS tests of the inventory), made with openssl into DIR:
#
#   scripts/postgres-test-certs.sh DIR
#
#   DIR/ca.pem, DIR/ca.key          a test CA ("passbox test CA"), valid 7 days
#   DIR/server.pem, DIR/server.key  the server's certificate from that CA, for
#                                   DNS:localhost and IP:127.0.0.1 (serverAuth)
#   DIR/wrong-ca.pem                another CA that signed nothing here: a client
#                                   that trusts only it must refuse the server
#
# P-256 keys (fast to make). Nothing here is a secret worth keeping: the directory is
# removed with the server.
set -euo pipefail
dir="${1:?usage: $0 DIR}"
mkdir -p "$dir"
cd "$dir"
ec=(-newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes)

openssl req -x509 "${ec[@]}" -keyout ca.key -out ca.pem -days 7 -subj "/CN=passbox test CA" \
    -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign" 2>/dev/null
openssl req -x509 "${ec[@]}" -keyout wrong-ca.key -out wrong-ca.pem -days 7 -subj "/CN=passbox wrong test CA" \
    -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign" 2>/dev/null
rm -f wrong-ca.key

openssl req "${ec[@]}" -keyout server.key -out server.csr -subj "/CN=localhost" 2>/dev/null
printf '%s\n' "subjectAltName=DNS:localhost,IP:127.0.0.1" "basicConstraints=critical,CA:FALSE" \
    "keyUsage=critical,digitalSignature" "extendedKeyUsage=serverAuth" > server.ext
openssl x509 -req -in server.csr -CA ca.pem -CAkey ca.key -CAcreateserial -out server.pem -days 7 \
    -extfile server.ext 2>/dev/null
rm -f server.csr server.ext ca.srl
chmod 600 server.key ca.key
