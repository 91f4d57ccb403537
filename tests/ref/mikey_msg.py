#!/usr/bin/python3
"""Independent reference for the MBMS MIKEY messages (RFC 3830, RFC 4563, profile P7-P10).

Written from ../shared/spec/mikey.md and RFC 3830 sections 4.1, 4.2.3, 5.2, 6, not from the C
code. Uses only Debian's python3 (hmac, hashlib) and python3-cryptography (AES-CTR).
Subcommands print hex; see --help.
"""
import argparse
import hashlib
import hmac
import struct
import sys

from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

C_ENCR, C_AUTH, C_SALT = 0x150533E1, 0x2D22AC75, 0x29B88916


def prf(inkey, label, outlen):
    """MIKEY-1 PRF, RFC 3830 4.1.2."""
    n = max(1, (len(inkey) + 31) // 32)
    m = (outlen + 19) // 20
    out = bytearray(m * 20)
    for i in range(n):
        s = inkey[32 * i:32 * (i + 1)]
        a, p = label, b""
        for _ in range(m):
            a = hmac.new(s, a, hashlib.sha1).digest()
            p += hmac.new(s, a + label, hashlib.sha1).digest()
        out = bytearray(x ^ y for x, y in zip(out, p))
    return bytes(out[:outlen])


def psk_keys(psk, csb, rnd):
    lab = lambda c: struct.pack(">IBI", c, 0xFF, csb) + rnd
    return prf(psk, lab(C_ENCR), 16), prf(psk, lab(C_AUTH), 20), prf(psk, lab(C_SALT), 14)


def aes_cm(key, salt, csb, counter, data):
    """KEMAC AES-CM-128, RFC 3830 4.2.3; COUNTER right-aligned in the 64-bit T (profile P8)."""
    x = b"\x00\x00" + struct.pack(">I", csb) + struct.pack(">Q", counter)
    iv = bytes(a ^ b for a, b in zip(salt, x)) + b"\x00\x00"
    enc = Cipher(algorithms.AES(key), modes.CTR(iv)).encryptor()
    return enc.update(data) + enc.finalize()


def hdr(v, csb):
    # version 1, data type 0, next = General Extension (21), V|PRF 0, CSB, #CS 0, empty map (1)
    return bytes([1, 0, 21, 0x80 if v else 0]) + struct.pack(">I", csb) + bytes([0, 1])


def ext_keyid(kdi, msk_id, mtk_id=None):
    sub = bytes([0, len(kdi)]) + kdi + bytes([1, len(msk_id)]) + msk_id
    if mtk_id is not None:
        sub += bytes([2, 2]) + struct.pack(">H", mtk_id)
    return sub


def kemac(keys, csb, counter, key_data, head):
    encr, auth, salt = keys
    ct = aes_cm(encr, salt, csb, counter, key_data)
    body = head + bytes([0, 1]) + struct.pack(">H", len(ct)) + ct + bytes([1])
    return body + hmac.new(auth, body, hashlib.sha1).digest()


def build_msk(a):
    muk, kdi, msk_id, msk = (bytes.fromhex(x) for x in (a.muk, a.kdi, a.msk_id, a.msk))
    rnd = bytes.fromhex(a.rand)
    csb = int(a.csb_id, 16)
    sub = ext_keyid(kdi, msk_id)
    m = hdr(a.v, csb) + bytes([5, 3]) + struct.pack(">H", len(sub)) + sub
    m += bytes([11, 2]) + struct.pack(">I", a.counter)            # T: next RAND, COUNTER
    m += bytes([6, len(rnd)]) + rnd                               # RAND: next ID
    idi, idr = a.idi.encode(), a.idr.encode()
    m += bytes([6, 0]) + struct.pack(">H", len(idi)) + idi        # IDi: next ID, NAI
    m += bytes([1, 0]) + struct.pack(">H", len(idr)) + idr        # IDr: next KEMAC, NAI
    if a.pull:
        kd = b""
    else:                                                        # TGK, KV Interval (2 octets)
        kd = bytes([0, 0x02]) + struct.pack(">H", 16) + msk
        kd += bytes([2]) + struct.pack(">H", a.mtk_lo) + bytes([2]) + struct.pack(">H", a.mtk_hi)
    return kemac(psk_keys(muk, csb, rnd), csb, a.counter, kd, m)


def build_mtk(a):
    key, kdi, msk_id = (bytes.fromhex(x) for x in (a.msk, a.kdi, a.msk_id))
    mtk, salt, rnd = (bytes.fromhex(x) for x in (a.mtk, a.salt, a.rand))
    csb = int(a.csb_id, 16)
    sub = ext_keyid(kdi, msk_id, a.mtk_id)
    m = hdr(False, csb) + bytes([5, 3]) + struct.pack(">H", len(sub)) + sub
    m += bytes([11, 2]) + struct.pack(">I", a.counter) + bytes([1, len(rnd)]) + rnd
    kd = bytes([0, 0x10]) + struct.pack(">H", len(mtk)) + mtk + struct.pack(">H", len(salt)) + salt
    return kemac(psk_keys(key, csb, rnd), csb, a.counter, kd, m)


def parse_msk(msg):
    """Fields of an MSK message laid out as mikey.md 7.1 (the reference trusts that layout)."""
    csb = struct.unpack(">I", msg[4:8])[0]
    ext_len = struct.unpack(">H", msg[12:14])[0]
    o = 14 + ext_len
    ts = msg[o + 2:o + 6]
    o += 6
    rlen = msg[o + 1]
    rnd = msg[o + 2:o + 2 + rlen]
    o += 2 + rlen
    ilen = struct.unpack(">H", msg[o + 2:o + 4])[0]
    idi = msg[o + 4:o + 4 + ilen]
    o += 4 + ilen
    rlen2 = struct.unpack(">H", msg[o + 2:o + 4])[0]
    idr = msg[o + 4:o + 4 + rlen2]
    o += 4 + rlen2
    return csb, ts, rnd, idi, idr, o


def verification(a):
    """RFC 3830 5.2 for the PSK method with IDr (profile P9, mikey.md section 6)."""
    msg = bytes.fromhex(a.msk_msg)
    csb, ts, rnd, idi, idr, _ = parse_msk(msg)
    _, auth, _ = psk_keys(bytes.fromhex(a.muk), csb, rnd)
    m = bytes([1, 1, 5, 0]) + msg[4:8] + msg[8:10]
    m += bytes([6, 2]) + ts + bytes([9, 0]) + struct.pack(">H", len(idr)) + idr + bytes([0, 1])
    return m + hmac.new(auth, m + idi + idr + ts, hashlib.sha1).digest()


def open_kemac(a):
    """Checks the MAC of an MSK or MTK message and prints the decrypted key data."""
    msg, psk = bytes.fromhex(a.msg), bytes.fromhex(a.psk)
    csb = struct.unpack(">I", msg[4:8])[0]
    ext_len = struct.unpack(">H", msg[12:14])[0]
    o = 14 + ext_len
    counter = struct.unpack(">I", msg[o + 2:o + 6])[0]
    rnd = msg[o + 8:o + 8 + msg[o + 7]]
    encr, auth, salt = psk_keys(psk, csb, rnd)
    mac_ok = hmac.compare_digest(hmac.new(auth, msg[:-20], hashlib.sha1).digest(), msg[-20:])
    # KEMAC starts after the last ID payload (MSK) or right after RAND (MTK): find it by length.
    for start in range(len(msg) - 24, 9, -1):
        if msg[start] == 0 and msg[start + 1] == 1:
            elen = struct.unpack(">H", msg[start + 2:start + 4])[0]
            if start + 4 + elen + 21 == len(msg):
                break
    else:
        raise SystemExit("no KEMAC found")
    kd = aes_cm(encr, salt, csb, counter, msg[start + 4:start + 4 + elen])
    return mac_ok, kd


def main():
    p = argparse.ArgumentParser(description=__doc__)
    sub = p.add_subparsers(dest="cmd", required=True)
    b = sub.add_parser("build-msk")
    for o in ("muk", "kdi", "msk-id", "msk", "idi", "idr", "csb-id", "rand"):
        b.add_argument("--" + o, required=True)
    b.add_argument("--counter", type=int, required=True)
    b.add_argument("--mtk-lo", type=int, default=0)
    b.add_argument("--mtk-hi", type=int, default=0)
    b.add_argument("--v", action="store_true")
    b.add_argument("--pull", action="store_true")
    t = sub.add_parser("build-mtk")
    for o in ("msk", "kdi", "msk-id", "mtk", "salt", "csb-id", "rand"):
        t.add_argument("--" + o, required=True)
    t.add_argument("--mtk-id", type=int, required=True)
    t.add_argument("--counter", type=int, required=True)
    v = sub.add_parser("verification")
    v.add_argument("--muk", required=True)
    v.add_argument("--msk-msg", required=True)
    k = sub.add_parser("open")
    k.add_argument("--psk", required=True)
    k.add_argument("--msg", required=True)
    a = p.parse_args()
    if a.cmd == "build-msk":
        print(build_msk(a).hex())
    elif a.cmd == "build-mtk":
        print(build_mtk(a).hex())
    elif a.cmd == "verification":
        print(verification(a).hex())
    else:
        ok, kd = open_kemac(a)
        print("mac_ok=%s" % ("true" if ok else "false"))
        print("key_data=%s" % kd.hex())
    return 0


if __name__ == "__main__":
    sys.exit(main())
