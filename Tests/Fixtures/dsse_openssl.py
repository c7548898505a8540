#!/usr/bin/env python3
"""A second, independent DSSE implementation for interoperability tests.

PAE is built by hand here (from the DSSE v1 spec, not from passbox's code) and
the signing and checking is done by the `openssl` command line tool.

  dsse_openssl.py sign   --key KEY.pem --alg ALG --payload STATEMENT.json --out ENVELOPE.json [--keyid ID] [--payload-type T]
  dsse_openssl.py verify --pub PUB.pem --alg ALG --envelope ENVELOPE.json [--index N]

ALG: ed25519 | ecdsa-sha256 | ecdsa-sha384 | rsa-pss-sha256 | rsa-pkcs1-sha512
exit 0 when `verify` succeeds, 1 when the signature does not verify.
"""
import argparse, base64, json, os, subprocess, sys, tempfile


def pae(payload_type: str, payload: bytes) -> bytes:
    t = payload_type.encode()
    return b"DSSEv1 %d %s %d %s" % (len(t), t, len(payload), payload)


def openssl_sign(alg, key, message_path, sig_path):
    if alg == "ed25519":
        cmd = ["openssl", "pkeyutl", "-sign", "-inkey", key, "-rawin", "-in", message_path, "-out", sig_path]
    elif alg.startswith("ecdsa-"):
        cmd = ["openssl", "dgst", "-" + alg.split("-")[1], "-sign", key, "-out", sig_path, message_path]
    elif alg == "rsa-pss-sha256":
        # No salt length given: openssl uses the maximum, as many signers do.
        cmd = ["openssl", "dgst", "-sha256", "-sign", key, "-sigopt", "rsa_padding_mode:pss", "-out", sig_path, message_path]
    elif alg == "rsa-pkcs1-sha512":
        cmd = ["openssl", "dgst", "-sha512", "-sign", key, "-out", sig_path, message_path]
    else:
        sys.exit("unknown alg " + alg)
    subprocess.run(cmd, check=True)


def openssl_verify(alg, pub, message_path, sig_path) -> bool:
    if alg == "ed25519":
        cmd = ["openssl", "pkeyutl", "-verify", "-pubin", "-inkey", pub, "-rawin", "-in", message_path, "-sigfile", sig_path]
    elif alg.startswith("ecdsa-"):
        cmd = ["openssl", "dgst", "-" + alg.split("-")[1], "-verify", pub, "-signature", sig_path, message_path]
    elif alg == "rsa-pss-sha256":
        cmd = ["openssl", "dgst", "-sha256", "-verify", pub, "-sigopt", "rsa_padding_mode:pss",
               "-sigopt", "rsa_pss_saltlen:auto", "-signature", sig_path, message_path]
    elif alg == "rsa-pkcs1-sha512":
        cmd = ["openssl", "dgst", "-sha512", "-verify", pub, "-signature", sig_path, message_path]
    else:
        sys.exit("unknown alg " + alg)
    return subprocess.run(cmd, capture_output=True).returncode == 0


def main():
    ap = argparse.ArgumentParser()
    sub = ap.add_subparsers(dest="cmd", required=True)
    s = sub.add_parser("sign")
    s.add_argument("--key", required=True)
    s.add_argument("--alg", required=True)
    s.add_argument("--payload", required=True)
    s.add_argument("--out", required=True)
    s.add_argument("--keyid", default="")
    s.add_argument("--payload-type", default="application/vnd.in-toto+json")
    v = sub.add_parser("verify")
    v.add_argument("--pub", required=True)
    v.add_argument("--alg", required=True)
    v.add_argument("--envelope", required=True)
    v.add_argument("--index", type=int, default=0)
    a = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        msg, sig = os.path.join(tmp, "pae.bin"), os.path.join(tmp, "sig.bin")
        if a.cmd == "sign":
            payload = open(a.payload, "rb").read()
            open(msg, "wb").write(pae(a.payload_type, payload))
            openssl_sign(a.alg, a.key, msg, sig)
            envelope = {
                "payloadType": a.payload_type,
                "payload": base64.b64encode(payload).decode(),
                "signatures": [{"keyid": a.keyid, "sig": base64.b64encode(open(sig, "rb").read()).decode()}],
            }
            json.dump(envelope, open(a.out, "w"), indent=2)
        else:
            env = json.load(open(a.envelope))
            payload = base64.b64decode(env["payload"])
            open(msg, "wb").write(pae(env["payloadType"], payload))
            open(sig, "wb").write(base64.b64decode(env["signatures"][a.index]["sig"]))
            sys.exit(0 if openssl_verify(a.alg, a.pub, msg, sig) else 1)


if __name__ == "__main__":
    main()
