#!/usr/bin/env bash
# Makes keys and detached signatures over a checksum list with the real tools
# (minisign, signify-openbsd, openssl, gpg), for Tests/VendorFormatTests.
# Usage: make_vendor_sigs.sh OUTDIR
#
#   SHA256SUMS              the signed list; SHA256SUMS.tampered: one digit changed
#   minisign/               mini.pub (trusted), other.pub; *.minisig
#   signify/                sfy.pub (trusted), other.pub; *.sig
#   raw/                    ed25519/ec/rsa keys (.pem public), *.sig made by openssl
#   pgp/                    *.asc certificates, *.asc/*.sig signatures made by gpg
set -euo pipefail
out=${1:?usage: make_vendor_sigs.sh OUTDIR}
mkdir -p "$out" && cd "$out"

printf 'hello firmware\n' > fw.bin
printf 'second file\n' > notes.txt
sha256sum fw.bin notes.txt > SHA256SUMS
sed '1s/^./f/; 1s/^ff/0f/' SHA256SUMS > SHA256SUMS.tampered
cmp -s SHA256SUMS SHA256SUMS.tampered && { echo "tampering failed" >&2; exit 1; }

# --- minisign ---------------------------------------------------------------
mkdir -p minisign
minisign -G -W -p minisign/mini.pub -s minisign/mini.key >/dev/null
minisign -G -W -p minisign/other.pub -s minisign/other.key >/dev/null
minisign -S -s minisign/mini.key -m SHA256SUMS -x minisign/prehashed.minisig -t 'acme firmware 2.4 release' >/dev/null
minisign -S -l -s minisign/mini.key -m SHA256SUMS -x minisign/legacy.minisig -t 'legacy mode' >/dev/null
minisign -S -s minisign/other.key -m SHA256SUMS -x minisign/other.minisig -t 'someone else' >/dev/null
# The same signature with its trusted comment edited.
sed '3s/.*/trusted comment: acme firmware 9.9 release/' minisign/prehashed.minisig > minisign/comment-edited.minisig
# The signature line with one character changed (still valid base64 of 74 bytes).
awk 'NR==2 { c = substr($0, 40, 1); r = (c == "A") ? "B" : "A"; $0 = substr($0, 1, 39) r substr($0, 41) } { print }' \
  minisign/prehashed.minisig > minisign/sig-edited.minisig

# --- signify ----------------------------------------------------------------
mkdir -p signify
signify-openbsd -G -n -c 'acme signify key' -p signify/sfy.pub -s signify/sfy.sec
signify-openbsd -G -n -p signify/other.pub -s signify/other.sec
signify-openbsd -S -s signify/sfy.sec -m SHA256SUMS -x signify/good.sig
signify-openbsd -S -s signify/other.sec -m SHA256SUMS -x signify/other.sig
signify-openbsd -S -e -s signify/sfy.sec -m SHA256SUMS -x signify/embedded.sig
awk 'NR==2 { c = substr($0, 60, 1); r = (c == "A") ? "B" : "A"; $0 = substr($0, 1, 59) r substr($0, 61) } { print }' \
  signify/good.sig > signify/sig-edited.sig

# --- raw signatures (openssl, as cosign sign-blob / openssl pkeyutl make them) ---
mkdir -p raw
openssl genpkey -algorithm ED25519 -out raw/ed25519.key
openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out raw/ec.key
openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out raw/rsa.key 2>/dev/null
openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out raw/other.key
openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:1024 -out raw/rsa1024.key 2>/dev/null
for k in ed25519 ec rsa other rsa1024; do openssl pkey -in raw/$k.key -pubout -out raw/$k.pem; done
openssl pkeyutl -sign -rawin -inkey raw/ed25519.key -in SHA256SUMS -out raw/ed25519.sig
openssl dgst -sha256 -sign raw/ec.key -out raw/ec.sig SHA256SUMS
base64 -w0 raw/ec.sig > raw/ec.sig.b64                 # cosign sign-blob prints this
openssl base64 -in raw/ed25519.sig -out raw/ed25519.sig.b64   # wrapped at 64 columns
openssl dgst -sha256 -sign raw/rsa.key -out raw/rsa-pkcs1.sig SHA256SUMS
openssl dgst -sha512 -sign raw/rsa.key -sigopt rsa_padding_mode:pss -out raw/rsa-pss.sig SHA256SUMS
openssl dgst -sha1 -sign raw/rsa.key -out raw/rsa-sha1.sig SHA256SUMS
openssl dgst -sha256 -sign raw/other.key -out raw/other.sig SHA256SUMS
# Flip a bit in the last byte of the DER ECDSA signature.
python3 -c 'import sys; b = bytearray(open(sys.argv[1], "rb").read()); b[-1] ^= 1; open(sys.argv[2], "wb").write(b)' \
  raw/ec.sig raw/ec-edited.sig

# --- OpenPGP (gpg) -------------------------------------------------------------
mkdir -p pgp
export GNUPGHOME="$out/gnupg"
mkdir -m 700 -p "$GNUPGHOME"
trap 'gpgconf --kill gpg-agent >/dev/null 2>&1 || true' EXIT
G=(gpg --batch --quiet --no-tty --pinentry-mode loopback --passphrase '')
fpr() { gpg --list-keys --with-colons "$1" | awk -F: '/^fpr/ { print $10; exit }'; }
subfpr() { gpg --list-keys --with-colons "$1" | awk -F: '/^fpr/ { n++; if (n == 2) { print $10; exit } }'; }

"${G[@]}" --quick-gen-key 'Ed Vendor <ed@example.com>' ed25519 sign never
"${G[@]}" --quick-gen-key 'P256 Vendor <p256@example.com>' nistp256 sign never
"${G[@]}" --quick-gen-key 'P384 Vendor <p384@example.com>' nistp384 sign never
"${G[@]}" --quick-gen-key 'RSA Vendor <rsa@example.com>' rsa2048 sign never
"${G[@]}" --quick-gen-key 'Sub Vendor <sub@example.com>' ed25519 cert never
"${G[@]}" --quick-add-key "$(fpr 'Sub Vendor')" ed25519 sign never
"${G[@]}" --quick-gen-key 'Other Vendor <other@example.com>' ed25519 sign never
"${G[@]}" --quick-gen-key 'SubRev Vendor <subrev@example.com>' ed25519 cert never
"${G[@]}" --quick-add-key "$(fpr 'SubRev Vendor')" ed25519 sign never
"${G[@]}" --quick-gen-key 'Sha1Rev Vendor <sha1rev@example.com>' ed25519 cert never
"${G[@]}" --quick-add-key "$(fpr 'Sha1Rev Vendor')" ed25519 sign never
"${G[@]}" --quick-gen-key 'Revoked Vendor <revoked@example.com>' ed25519 sign never
"${G[@]}" --faked-system-time 20200101T000000 --quick-gen-key 'Old Vendor <old@example.com>' ed25519 sign 1y 2>/dev/null
"${G[@]}" --quick-gen-key 'Short Vendor <short@example.com>' ed25519 sign 1d

for who in Ed P256 P384 RSA Sub SubRev Sha1Rev Other Revoked Old Short; do
  echo "$(fpr "$who Vendor")" > "pgp/$who.fpr"
done
subfpr 'Sub Vendor' > pgp/Sub.subfpr
subfpr 'SubRev Vendor' > pgp/SubRev.subfpr
subfpr 'Sha1Rev Vendor' > pgp/Sha1Rev.subfpr

sign() { # name key [gpg options...]
  local name=$1 key=$2 who
  shift 2
  who="$(cat pgp/$key.fpr)!"
  # The Sub certificate's primary key only certifies: sign with its subkey.
  [ -f "pgp/$key.subfpr" ] && who="$(cat "pgp/$key.subfpr")!"
  "${G[@]}" --local-user "$who" "$@" --detach-sign --output "pgp/$name" SHA256SUMS
}
sign ed.asc Ed --armor
sign ed.sig Ed
sign p256.asc P256 --armor
sign p384.asc P384 --armor
sign rsa.asc RSA --armor
sign sub.asc Sub --armor
sign subrev.asc SubRev --armor
sign sha1rev.asc Sha1Rev --armor
sign other.asc Other --armor
sign revoked.asc Revoked --armor
sign short.asc Short --armor
sign text.asc Ed --armor --textmode
sign sha1.asc Ed --armor --digest-algo SHA1
"${G[@]}" --faked-system-time 20200601T000000 --local-user "$(cat pgp/Old.fpr)!" --armor --detach-sign \
  --output pgp/old.asc SHA256SUMS 2>/dev/null
"${G[@]}" --local-user "$(cat pgp/Ed.fpr)!" --local-user "$(cat pgp/RSA.fpr)!" --armor --detach-sign \
  --output pgp/two.asc SHA256SUMS

# Certificates for the trust store (Other stays out of it).
for who in Ed P256 P384 Sub Old Short Other; do
  gpg --armor --export "$(cat pgp/$who.fpr)" > "pgp/$who.cert.asc"
done
gpg --export "$(cat pgp/RSA.fpr)" > pgp/RSA.cert.pgp
# Revoke with the revocation certificate gpg made (its BEGIN line is guarded by a ':').
sed 's/^:-----BEGIN/-----BEGIN/' "$GNUPGHOME/openpgp-revocs.d/$(cat pgp/Revoked.fpr).rev" > pgp/revoke.asc
"${G[@]}" --import pgp/revoke.asc 2>/dev/null
gpg --armor --export "$(cat pgp/Revoked.fpr)" > pgp/Revoked.cert.asc
# Revoke the SubRev signing subkey after it signed (gpg --edit-key: key 1, revkey, reason 0).
printf 'key 1\nrevkey\ny\n0\n\ny\nsave\n' | "${G[@]}" --command-fd 0 --edit-key "$(cat pgp/SubRev.fpr)" 2>/dev/null
gpg --armor --export "$(cat pgp/SubRev.fpr)" > pgp/SubRev.cert.asc
# The same, with a SHA-1 revocation signature (which passbox cannot verify, and must not ignore).
printf 'key 1\nrevkey\ny\n0\n\ny\nsave\n' | "${G[@]}" --cert-digest-algo SHA1 --command-fd 0 --edit-key "$(cat pgp/Sha1Rev.fpr)" 2>/dev/null
gpg --armor --export "$(cat pgp/Sha1Rev.fpr)" > pgp/Sha1Rev.cert.asc
echo ok
