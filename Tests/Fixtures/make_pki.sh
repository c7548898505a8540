#!/usr/bin/env bash
# Makes a throwaway X.509 PKI and CMS/PKCS#7 detached signatures with the real
# openssl tool, for Tests/VendorFormatTests. Usage: make_pki.sh OUTDIR
#
#   roots/root.pem            trusted root (ECDSA P-256)
#   intermediate.pem          intermediate CA, issued by root
#   crls/root.crl.pem         root's CRL (empty), crls/intermediate.crl.pem (revokes leaf-revoked)
#   leaf-{good,rsa,expired,revoked,wrong-eku,no-eku}.pem/.key   issued by the intermediate
#   other-root.pem, other-leaf.pem   a second PKI, not trusted
#   SHA256SUMS                content that is signed
#   sig-*.p7s                 detached CMS signatures (see the end of this file)
set -euo pipefail
out=${1:?usage: make_pki.sh OUTDIR}
mkdir -p "$out" && cd "$out"
mkdir -p roots crls

ec_key() { openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$1" 2>/dev/null; }

cat > ext.cnf <<'EOF'
[ root ]
basicConstraints = critical,CA:true
keyUsage = critical,keyCertSign,cRLSign
subjectKeyIdentifier = hash
[ intermediate ]
basicConstraints = critical,CA:true,pathlen:0
keyUsage = critical,keyCertSign,cRLSign
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
[ codesign ]
basicConstraints = CA:false
keyUsage = critical,digitalSignature
extendedKeyUsage = codeSigning
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
[ serverauth ]
basicConstraints = CA:false
keyUsage = critical,digitalSignature
extendedKeyUsage = serverAuth
[ noeku ]
basicConstraints = CA:false
keyUsage = critical,digitalSignature
EOF

# A minimal `openssl ca` setup per CA (index, serial, crlnumber) so leaves can be
# issued with explicit dates, revoked, and CRLs generated.
make_ca_conf() { # name cert key
  mkdir -p "ca-$1"
  : > "ca-$1/index.txt"
  echo 1000 > "ca-$1/serial"
  echo 1000 > "ca-$1/crlnumber"
  cat > "ca-$1.cnf" <<EOF
[ ca ]
default_ca = this
[ this ]
dir = ca-$1
database = ca-$1/index.txt
new_certs_dir = ca-$1
serial = ca-$1/serial
crlnumber = ca-$1/crlnumber
certificate = $2
private_key = $3
default_md = sha256
default_days = 3650
default_crl_days = 3650
policy = anything
unique_subject = no
copy_extensions = none
[ anything ]
commonName = supplied
organizationName = optional
EOF
}

# Root and intermediate.
ec_key root.key
openssl req -new -x509 -key root.key -subj "/O=Passbox Test/CN=Passbox Test Root" -days 7300 \
  -addext "basicConstraints=critical,CA:true" -addext "keyUsage=critical,keyCertSign,cRLSign" -out roots/root.pem
make_ca_conf root roots/root.pem root.key
ec_key intermediate.key
openssl req -new -key intermediate.key -subj "/O=Passbox Test/CN=Passbox Test Intermediate" -out intermediate.csr
openssl ca -batch -notext -config ca-root.cnf -extfile ext.cnf -extensions intermediate \
  -in intermediate.csr -out intermediate.pem 2>/dev/null
make_ca_conf intermediate intermediate.pem intermediate.key

issue() { # name keytype extensions [startdate enddate]
  local name=$1 kind=$2 ext=$3
  if [ "$kind" = rsa ]; then
    openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "$name.key" 2>/dev/null
  else
    ec_key "$name.key"
  fi
  openssl req -new -key "$name.key" -subj "/O=ACME Firmware/CN=$name" -out "$name.csr"
  local dates=()
  if [ $# -ge 5 ]; then dates=(-startdate "$4" -enddate "$5"); fi
  openssl ca -batch -notext -config ca-intermediate.cnf -extfile ext.cnf -extensions "$ext" \
    "${dates[@]}" -in "$name.csr" -out "$name.pem" 2>/dev/null
}
issue leaf-good ec codesign
issue leaf-rsa rsa codesign
issue leaf-expired ec codesign 20200101000000Z 20210101000000Z
issue leaf-revoked ec codesign
issue leaf-wrong-eku ec serverauth
issue leaf-no-eku ec noeku

openssl ca -batch -config ca-intermediate.cnf -revoke leaf-revoked.pem 2>/dev/null
openssl ca -batch -config ca-intermediate.cnf -gencrl -out crls/intermediate.crl.pem 2>/dev/null
openssl ca -batch -config ca-root.cnf -gencrl -out crls/root.crl.pem 2>/dev/null

# A second PKI nobody trusts.
ec_key other-root.key
openssl req -new -x509 -key other-root.key -subj "/O=Mallory/CN=Mallory Root" -days 7300 \
  -addext "basicConstraints=critical,CA:true" -addext "keyUsage=critical,keyCertSign,cRLSign" -out other-root.pem
ec_key other-leaf.key
openssl req -new -key other-leaf.key -subj "/O=Mallory/CN=other-leaf" -out other-leaf.csr
openssl x509 -req -in other-leaf.csr -CA other-root.pem -CAkey other-root.key -CAcreateserial -days 3650 \
  -extfile ext.cnf -extensions codesign -out other-leaf.pem 2>/dev/null

# The signed content: a checksum list.
printf 'hello firmware\n' > fw.bin
sha256sum fw.bin > SHA256SUMS

sign() { # out signer key [extra openssl cms args...]
  local out=$1 signer=$2 key=$3
  shift 3
  openssl cms -sign -binary -in SHA256SUMS -signer "$signer" -inkey "$key" -outform DER -out "$out" "$@"
}
sign sig-good.p7s leaf-good.pem leaf-good.key -certfile intermediate.pem
sign sig-rsa.p7s leaf-rsa.pem leaf-rsa.key -certfile intermediate.pem -md sha512
sign sig-expired.p7s leaf-expired.pem leaf-expired.key -certfile intermediate.pem
sign sig-revoked.p7s leaf-revoked.pem leaf-revoked.key -certfile intermediate.pem
sign sig-wrong-eku.p7s leaf-wrong-eku.pem leaf-wrong-eku.key -certfile intermediate.pem
sign sig-no-eku.p7s leaf-no-eku.pem leaf-no-eku.key -certfile intermediate.pem
sign sig-missing-intermediate.p7s leaf-good.pem leaf-good.key
sign sig-untrusted-root.p7s other-leaf.pem other-leaf.key -certfile other-root.pem
sign sig-sha1.p7s leaf-good.pem leaf-good.key -certfile intermediate.pem -md sha1
# Two signers in one signature (good and revoked).
openssl cms -sign -binary -in SHA256SUMS -signer leaf-good.pem -inkey leaf-good.key \
  -signer leaf-revoked.pem -inkey leaf-revoked.key -certfile intermediate.pem -outform DER -out sig-two.p7s
# PKCS#7 PEM, as `openssl smime` writes it; and CMS PEM.
openssl smime -sign -binary -in SHA256SUMS -signer leaf-good.pem -inkey leaf-good.key \
  -certfile intermediate.pem -outform PEM -out sig-pkcs7.pem.p7s
sign sig-cms.pem.p7s leaf-good.pem leaf-good.key -certfile intermediate.pem -outform PEM
# Text mode (no -binary): signs the content with CRLF line ends.
openssl cms -sign -in SHA256SUMS -signer leaf-good.pem -inkey leaf-good.key -certfile intermediate.pem \
  -outform DER -out sig-textmode.p7s
# Attached (not detached) signature.
openssl cms -sign -binary -nodetach -in SHA256SUMS -signer leaf-good.pem -inkey leaf-good.key \
  -certfile intermediate.pem -outform DER -out sig-attached.p7s
rm -f ./*.csr
echo ok
