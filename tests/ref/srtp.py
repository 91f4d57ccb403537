#!/usr/bin/env python3
"""Independent SRTP receiver reference (RFC 3711) for the tests: AES_CM_128_HMAC_SHA1_80, key
derivation rate 0, an MKI of fixed length between the encrypted payload and the tag. Written
from the RFC on python3-cryptography's AES (CTR mode) and the standard library's hmac, so
that packets made by the project (through libsrtp) are checked by code that shares nothing
with it.

    unprotect(master_key, master_salt, packet, mki_len, roc=0) -> (mki, rtp_packet)
raises ValueError when the tag does not verify."""
import hashlib
import hmac

from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes


def _aes_cm(key, iv_int, n):
    enc = Cipher(algorithms.AES(key), modes.CTR(iv_int.to_bytes(16, "big"))).encryptor()
    return enc.update(b"\0" * n) + enc.finalize()


def session_keys(master_key, master_salt):
    """RFC 3711 4.3.1 with kdr = 0: x = (label || 0^48) XOR master_salt, keystream at x * 2^16."""
    salt = int.from_bytes(master_salt, "big")

    def derive(label, n):
        return _aes_cm(master_key, (salt ^ (label << 48)) << 16, n)

    return derive(0, 16), derive(1, 20), derive(2, 14)


def unprotect(master_key, master_salt, packet, mki_len, roc=0, tag_len=10):
    if len(packet) < 12 + mki_len + tag_len or packet[0] >> 6 != 2:
        raise ValueError("not an SRTP packet")
    cc = packet[0] & 0x0F
    hdr_len = 12 + 4 * cc
    if packet[0] & 0x10:  # header extension
        hdr_len += 4 + 4 * int.from_bytes(packet[hdr_len + 2:hdr_len + 4], "big")
    end = len(packet) - mki_len - tag_len
    if end < hdr_len:
        raise ValueError("packet too short")
    k_e, k_a, k_s = session_keys(master_key, master_salt)
    auth = packet[:end]
    mki = packet[end:end + mki_len]
    tag = packet[end + mki_len:]
    want = hmac.new(k_a, auth + roc.to_bytes(4, "big"), hashlib.sha1).digest()[:tag_len]
    if not hmac.compare_digest(tag, want):
        raise ValueError("authentication tag does not verify")
    seq = int.from_bytes(packet[2:4], "big")
    ssrc = int.from_bytes(packet[8:12], "big")
    index = (roc << 16) | seq
    iv = (int.from_bytes(k_s, "big") << 16) ^ (ssrc << 64) ^ (index << 16)
    ks = _aes_cm(k_e, iv, end - hdr_len)
    plain = bytes(a ^ b for a, b in zip(packet[hdr_len:end], ks))
    return mki, packet[:hdr_len] + plain


def self_test():
    """RFC 3711 Appendix B.3: the key derivation test vectors."""
    e, a, s = session_keys(bytes.fromhex("E1F97A0D3E018BE0D64FA32C06DE4139"),
                           bytes.fromhex("0EC675AD498AFEEBB6960B3AABE6"))
    assert e.hex() == "c61e7a93744f39ee10734afe3ff7a087", e.hex()
    assert s.hex() == "30cbbc08863d8c85d49db34a9ae1", s.hex()
    assert a.hex() == "cebe321f6ff7716b6fd4ab49af256a156d38baa4", a.hex()
