#!/usr/bin/env python3
"""Independent HTTP Digest reference (RFC 7616 3.4.1-3.4.3, 3.5; RFC 2617 3.2.2; RFC 3310 3.3),
python3 hashlib only. Same options and output as `mbmsec digest` (name=value lines)."""
import argparse, hashlib, sys

HASH = {"MD5": "md5", "MD5-sess": "md5", "SHA-256": "sha256", "SHA-256-sess": "sha256",
        "AKAv1-MD5": "md5"}

def H(alg, data: bytes) -> str:
    return hashlib.new(HASH[alg], data).hexdigest()

def digest(alg, qop, user, realm, pw: bytes, method, uri, nonce, nc, cnonce, body, rbody):
    ha1 = H(alg, user + b":" + realm + b":" + pw)           # RFC 3310: RES octets as they are
    if alg.endswith("-sess"):                               # RFC 7616 3.4.2
        ha1 = H(alg, ha1.encode() + b":" + nonce + b":" + cnonce)
    def ha2(m, b):                                          # RFC 7616 3.4.3
        a2 = m + b":" + uri
        if qop == "auth-int":
            a2 += b":" + H(alg, b).encode()
        return H(alg, a2)
    def kd(h2):                                             # RFC 7616 3.4.1; RFC 2069 without qop
        if qop == "none":
            return H(alg, ha1.encode() + b":" + nonce + b":" + h2.encode())
        return H(alg, b":".join([ha1.encode(), nonce, nc, cnonce, qop.encode(), h2.encode()]))
    h2 = ha2(method, body)
    return ha1, h2, kd(h2), kd(ha2(b"", rbody))             # rspauth: RFC 7616 3.5

def main():
    p = argparse.ArgumentParser()
    for o in ("algorithm", "qop", "username", "realm", "password", "password-hex", "method",
              "uri", "nonce", "nc", "cnonce", "body-file", "response-body-file"):
        p.add_argument("--" + o, default=None)
    a = p.parse_args()
    enc = lambda s: (s or "").encode("utf-8", "surrogateescape")
    pw = bytes.fromhex(a.password_hex) if a.password_hex is not None else enc(a.password)
    rd = lambda f: open(f, "rb").read() if f else b""
    out = digest(a.algorithm, a.qop, enc(a.username), enc(a.realm), pw, enc(a.method), enc(a.uri),
                 enc(a.nonce), enc(a.nc), enc(a.cnonce), rd(a.body_file), rd(a.response_body_file))
    for name, v in zip(("ha1", "ha2", "response", "rspauth"), out):
        print(f"{name}={v}")

if __name__ == "__main__":
    sys.exit(main())
