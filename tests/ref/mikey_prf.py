"""Independent reference for the MIKEY-1 PRF and key labels (stdlib only).

Written from RFC 3830 section 4.1 and 4.2.3 and the project profile P8, not from the C code:
  P(s, label, m) = HMAC(s, A_1 || label) || ... || HMAC(s, A_m || label),
  A_0 = label, A_i = HMAC(s, A_(i-1)), HMAC = HMAC-SHA-1.
  n = ceil(inkey_len / 256 bits); inkey = s_1 || ... || s_n, all 256 bits except maybe s_n.
  m = ceil(outkey_len / 160 bits); outkey = leading bits of P(s_1..) xor ... xor P(s_n..).
  PSK label  = constant || 0xFF  || csb_id || RAND (4.1.4)
  TGK label  = constant || cs_id || csb_id || RAND (4.1.3)
  KEMAC IV   = (salt XOR (0x0000 || csb_id || T)) || 0x0000, T = 00000000 || counter (P8)
"""
import hashlib
import hmac

C_TEK, C_TGK_AUTH, C_TGK_ENCR, C_TGK_SALT = 0x2AD01C64, 0x1B5C7973, 0x15798CEF, 0x39A2C14B
C_ENCR, C_AUTH, C_SALT = 0x150533E1, 0x2D22AC75, 0x29B88916


def _h(key: bytes, msg: bytes) -> bytes:
    return hmac.new(key, msg, hashlib.sha1).digest()


def p_func(s: bytes, label: bytes, m: int) -> bytes:
    a = label
    out = b""
    for _ in range(m):
        a = _h(s, a)
        out += _h(s, a + label)
    return out


def prf(inkey: bytes, label: bytes, outkey_len: int) -> bytes:
    n = -(-len(inkey) // 32)
    m = -(-outkey_len // 20)
    acc = bytes(20 * m)
    for i in range(n):
        p = p_func(inkey[32 * i:32 * (i + 1)], label, m)
        acc = bytes(x ^ y for x, y in zip(acc, p))
    return acc[:outkey_len]


def label(constant: int, cs: int, csb_id: int, rand: bytes) -> bytes:
    return constant.to_bytes(4, "big") + bytes([cs]) + csb_id.to_bytes(4, "big") + rand


def psk_keys(psk: bytes, csb_id: int, rand: bytes):
    return (prf(psk, label(C_ENCR, 0xFF, csb_id, rand), 16),
            prf(psk, label(C_AUTH, 0xFF, csb_id, rand), 20),
            prf(psk, label(C_SALT, 0xFF, csb_id, rand), 14))


def tgk_key(tgk: bytes, constant: int, cs_id: int, csb_id: int, rand: bytes, n: int) -> bytes:
    return prf(tgk, label(constant, cs_id, csb_id, rand), n)


def kemac_iv(salt: bytes, csb_id: int, counter: int) -> bytes:
    t = bytes(4) + counter.to_bytes(4, "big")
    x = bytes(2) + csb_id.to_bytes(4, "big") + t
    return bytes(a ^ b for a, b in zip(salt, x)) + bytes(2)


def all_outputs(psk: bytes, csb_id: int, rand: bytes, cs_id: int = 0, counter=None,
                prf_label=None, prf_len=20) -> dict:
    """The values `mbmsec mikey-keys` prints, by name, as lower-case hex."""
    e, a, s = psk_keys(psk, csb_id, rand)
    out = {"encr_key": e.hex(), "auth_key": a.hex(), "salt_key": s.hex(),
           "tek": tgk_key(psk, C_TEK, cs_id, csb_id, rand, 16).hex(),
           "tek_salt": tgk_key(psk, C_TGK_SALT, cs_id, csb_id, rand, 14).hex()}
    if counter is not None:
        out["kemac_iv"] = kemac_iv(s, csb_id, counter).hex()
    if prf_label is not None:
        out["prf"] = prf(psk, prf_label, prf_len).hex()
    return out
