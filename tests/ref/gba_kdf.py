"""Independent reference for the GBA key derivations (stdlib only).

Written from the standards text (TS 33.220 Annex B.2-B.4, H.3) and the project profile P1,
not from the C code:
  KDF(Key, FC, P0..Pn) = HMAC-SHA-256(Key, FC || P0 || L0 || ... || Pn || Ln),
  Li = len(Pi) in two octets, big-endian.
  Ks = CK || IK; Ks_NAF = KDF(Ks, 0x01, "gba-me", RAND, IMPI, NAF_Id);
  NAF_Id = FQDN || Ua security protocol id (MBMS: 01 00 00 00 01).
  MRK = KDF(Ks_NAF, 0x01, "mbms-mrk"), MUK = KDF(Ks_NAF, 0x01, "mbms-muk") (mode kdf);
  MRK = MUK = Ks_NAF (mode none). Password = base64(MRK). B-TID = base64(RAND) "@" BSF FQDN.
  TMPI = base64(KDF(Ks, 0x01, "gba-me", RAND, IMPI, BSF name || 01 00 00 01 00)[:24])
         "@tmpi.bsf.3gppnetwork.org".
"""
import base64
import hashlib
import hmac

UA_MBMS = bytes([0x01, 0x00, 0x00, 0x00, 0x01])
UA_TMPI = bytes([0x01, 0x00, 0x00, 0x01, 0x00])


def kdf(key: bytes, fc: int, *params: bytes) -> bytes:
    if not 0 <= fc < 0xFF:
        raise ValueError("FC must be one octet other than 0xFF")
    s = bytes([fc])
    for p in params:
        if len(p) > 0xFFFF:
            raise ValueError("parameter longer than 65535 octets")
        s += p + len(p).to_bytes(2, "big")
    return hmac.new(key, s, hashlib.sha256).digest()


def ks_naf(ck: bytes, ik: bytes, rand: bytes, impi: str, fqdn: str, ua: bytes = UA_MBMS) -> bytes:
    return kdf(ck + ik, 0x01, b"gba-me", rand, impi.encode("utf-8"), fqdn.encode("utf-8") + ua)


def mrk_muk(k: bytes, mode: str = "kdf"):
    if mode == "none":
        return k, k
    return kdf(k, 0x01, b"mbms-mrk"), kdf(k, 0x01, b"mbms-muk")


def btid(rand: bytes, bsf: str) -> str:
    return base64.b64encode(rand).decode() + "@" + bsf


def password(mrk: bytes) -> str:
    return base64.b64encode(mrk).decode()


def tmpi(ck: bytes, ik: bytes, rand: bytes, impi: str, bsf: str) -> str:
    k = ks_naf(ck, ik, rand, impi, bsf, UA_TMPI)
    return base64.b64encode(k[:24]).decode() + "@tmpi.bsf.3gppnetwork.org"


def all_outputs(ck, ik, rand, impi, fqdn, ua=UA_MBMS, mode="kdf", bsf=None) -> dict:
    """The values `mbmsec gba-ks-naf` prints, by name, as the tool prints them."""
    k = ks_naf(ck, ik, rand, impi, fqdn, ua)
    mrk, muk = mrk_muk(k, mode)
    out = {"ks": (ck + ik).hex(), "ks_naf": k.hex(), "mrk": mrk.hex(), "muk": muk.hex()}
    if bsf is not None:
        out["btid"] = btid(rand, bsf)
    out["password"] = password(mrk)
    return out
