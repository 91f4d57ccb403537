#!/usr/bin/env python3
"""Independent Ub peer for tests/ue/ext_ue_pybsf.sh: a minimal BSF written from the specs
(TS 35.206 Milenage, RFC 3310 Digest AKAv1-MD5, TS 24.109 BootstrappingInfo) with Python's
hashlib and the `cryptography` AES, sharing no code with lib/ue.

One subscriber (K, OPc, SEQ). Every request is logged to --log as one JSON line (User-Agent,
Authorization, what happened; keys of a success). Faults for the UE's error paths:
  --fault bad-rspauth | big-body | no-auth-info | refuse-res | 500 | doctype
Prints "ready port=P" on stdout when listening."""
import argparse, base64, hashlib, hmac, json, os, re, sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

IND_LEN = 5


def aes(k, x):
    e = Cipher(algorithms.AES(k), modes.ECB()).encryptor()
    return e.update(x) + e.finalize()


def xor(a, b):
    return bytes(x ^ y for x, y in zip(a, b))


def rot(x, nbytes):
    return x[nbytes:] + x[:nbytes]


def milenage(k, opc, rand, sqn, amf):
    temp = aes(k, xor(rand, opc))
    in1 = sqn + amf + sqn + amf
    out1 = xor(aes(k, xor(temp, rot(xor(in1, opc), 8))), opc)
    def out(r, c):
        return xor(aes(k, xor(rot(xor(temp, opc), r), bytes(15) + bytes([c]))), opc)
    o2, o3, o4, o5 = out(0, 1), out(4, 2), out(8, 4), out(12, 8)
    return dict(mac_a=out1[:8], mac_s=out1[8:], res=o2[8:], ak=o2[:6], ck=o3, ik=o4, ak_star=o5[:6])


def md5hex(b):
    return hashlib.md5(b).hexdigest()


def digest(user, realm, pw, nonce, nc, cnonce, qop, method, uri, body):
    ha1 = md5hex(user.encode() + b":" + realm.encode() + b":" + pw)
    ha2 = md5hex(method.encode() + b":" + uri.encode() + b":" + md5hex(body).encode())
    return md5hex(":".join([ha1, nonce, nc, cnonce, qop, ha2]).encode())


def directives(v):
    m = re.match(r"\s*Digest\s+(.*)$", v, re.S)
    if not m:
        return None
    out = {}
    for k, q, t in re.findall(r'([A-Za-z0-9_-]+)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^\s,]+))', m.group(1)):
        out[k.lower()] = q if q or not t else t
    return out


class BSF:
    def __init__(self, a):
        self.a = a
        self.k, self.opc = bytes.fromhex(a.k), bytes.fromhex(a.opc)
        self.seq = int(a.sqn, 16) >> IND_LEN
        self.pending = {}
        self.log = open(a.log, "a", buffering=1)

    def challenge(self, h):
        self.seq += 1
        sqn = (self.seq << IND_LEN).to_bytes(6, "big")
        rand = os.urandom(16)
        m = milenage(self.k, self.opc, rand, sqn, b"\x80\x00")
        autn = xor(sqn, m["ak"]) + b"\x80\x00" + m["mac_a"]
        nonce = base64.b64encode(rand + autn).decode()
        self.pending[nonce] = (rand, m)
        h.reply(401, [("WWW-Authenticate", 'Digest realm="%s", nonce="%s", algorithm=AKAv1-MD5, '
                       'qop="auth-int", opaque="5ccc069c403ebaf9"' % (self.a.fqdn, nonce))])
        return "challenge seq=%d" % self.seq

    def handle(self, h):
        d = directives(h.headers.get("Authorization", ""))
        if d is None or "username" not in d:
            h.reply(400, [])
            return "no authorization"
        if d.get("nonce", "") == "":
            return self.challenge(h)
        rand, m = self.pending.pop(d["nonce"], (None, None))
        if rand is None:
            h.reply(403, [])
            return "unknown nonce"
        if d.get("opaque") != "5ccc069c403ebaf9" or d.get("algorithm") != "AKAv1-MD5" \
                or d.get("qop") != "auth-int" or d.get("nc") != "00000001" or d.get("uri") != "/":
            h.reply(400, [])
            return "bad directives %r" % d
        args = (d["username"], d["realm"])
        rest = (d["nonce"], d["nc"], d["cnonce"], d["qop"])
        if "auts" in d:
            if digest(*args, b"", *rest, "GET", d["uri"], b"") != d["response"]:
                h.reply(403, [])
                return "auts with a bad response"
            auts = base64.b64decode(d["auts"])
            ms = milenage(self.k, self.opc, rand, b"\0" * 6, b"\0\0")
            sqn_ms = xor(auts[:6], ms["ak_star"])
            if milenage(self.k, self.opc, rand, sqn_ms, b"\0\0")["mac_s"] != auts[6:]:
                h.reply(403, [])
                return "auts mac-s wrong"
            self.seq = int.from_bytes(sqn_ms, "big") >> IND_LEN
            return "resync sqn_ms=%s; " % sqn_ms.hex() + self.challenge(h)
        if self.a.fault == "refuse-res" or \
                digest(*args, m["res"], *rest, "GET", d["uri"], b"") != d["response"]:
            h.reply(403, [])
            return "response wrong"
        btid = base64.b64encode(rand).decode() + "@" + self.a.fqdn
        body = ('<?xml version="1.0" encoding="UTF-8"?>\n<BootstrappingInfo xmlns="uri:3gpp-gba">\n'
                '  <btid>%s</btid>\n  <lifetime>2099-01-01T00:00:00Z</lifetime>\n'
                '</BootstrappingInfo>\n' % btid).encode()
        if self.a.fault == "doctype":
            body = b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/hostname">]>' \
                   b'<BootstrappingInfo xmlns="uri:3gpp-gba"><btid>&e;@x</btid>' \
                   b'<lifetime>2099-01-01T00:00:00Z</lifetime></BootstrappingInfo>'
        if self.a.fault == "big-body":
            body = body + b" " * 20000
        ra = digest(*args, m["res"], *rest, "", d["uri"], body)
        if self.a.fault == "bad-rspauth":
            ra = digest(*args, m["res"], *rest, "", d["uri"], body + b" ")
        hdrs = [("Content-Type", "application/vnd.3gpp.bsf+xml")]
        if self.a.fault != "no-auth-info":
            hdrs.append(("Authentication-Info", 'qop=auth-int, rspauth="%s", cnonce="%s", nc=%s'
                         % (ra, d["cnonce"], d["nc"])))
        if self.a.fault == "500":
            h.reply(500, [])
            return "500"
        h.reply(200, hdrs, body)
        ks = m["ck"] + m["ik"]
        return "bootstrapped btid=%s ks=%s rand=%s" % (btid, ks.hex(), rand.hex())


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--port", type=int, required=True)
    p.add_argument("--k", required=True)
    p.add_argument("--opc", required=True)
    p.add_argument("--sqn", default="000000000000")
    p.add_argument("--fqdn", default="bsf.ue.test")
    p.add_argument("--log", required=True)
    p.add_argument("--fault", default="")
    a = p.parse_args()
    bsf = BSF(a)

    class H(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def reply(self, code, hdrs, body=b""):
            self.send_response(code)
            self.send_header("Server", "mock-bsf 3gpp-gba-tmpi")
            for k, v in hdrs:
                self.send_header(k, v)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def do_GET(self):
            what = bsf.handle(self)
            bsf.log.write(json.dumps({"ua": self.headers.get("User-Agent", ""),
                                      "authorization": self.headers.get("Authorization", ""),
                                      "path": self.path, "what": what}) + "\n")

        def log_message(self, *args):
            pass

    srv = ThreadingHTTPServer(("127.0.0.1", a.port), H)
    print("ready port=%d" % a.port, flush=True)
    srv.serve_forever()


if __name__ == "__main__":
    main()
