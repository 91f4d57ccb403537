/* MIKEY-1 PRF (RFC 3830 4.1.2) and the labels of 4.1.3 / 4.1.4; KEMAC IV of 4.2.3.
 *
 * Per 256-bit piece s of inkey, P(s, label, m) = HMAC(s, A_1 || label) || ... with A_0 =
 * label, A_i = HMAC(s, A_(i-1)); the pieces' P outputs are XORed into outkey as they are
 * produced, so only two 20-octet blocks of intermediate state exist, both cleansed. */
#include "mbmsec/mikey_prf.h"

#include <string.h>

#include "guard.h"
#include "mbmsec/crypto.h"
#include "mbmsec/profile.h"

#define PIECE_LEN    32   /* 256 bits: half the SHA-1 input block */
#define SHA1_LEN     20   /* 160 bits: one P block */
#define PSK_LABEL_CS 0xFF /* the cs_id slot of a 4.1.4 label */
#define RAND_MIN_LEN 16   /* 4.1.1: RAND is at least 128 bits */

/* out ^= the first out_len octets of P(s, label, ceil(out_len / 20)). */
static mbmsec_err p_xor(const uint8_t *s, size_t s_len, const uint8_t *label, size_t label_len,
                        uint8_t *out, size_t out_len)
{
  uint8_t a[SHA1_LEN], blk[SHA1_LEN];
  mbmsec_err rc;
  const mbmsec_iov a0 = {label, label_len};
  GUARD_OUT(mbmsec_hmac(MBMSEC_MD_SHA1, s, s_len, &a0, 1, a)); /* A_1 */
  for (size_t done = 0;;) {
    const mbmsec_iov parts[2] = {{a, SHA1_LEN}, {label, label_len}};
    GUARD_OUT(mbmsec_hmac(MBMSEC_MD_SHA1, s, s_len, parts, 2, blk));
    size_t take = out_len - done < SHA1_LEN ? out_len - done : SHA1_LEN;
    for (size_t i = 0; i < take; i++) out[done + i] ^= blk[i];
    done += take;
    if (done == out_len) break;
    const mbmsec_iov ai = {a, SHA1_LEN};
    GUARD_OUT(mbmsec_hmac(MBMSEC_MD_SHA1, s, s_len, &ai, 1, a)); /* A_(i+1) */
  }
out:
  mbmsec_cleanse(a, sizeof a);
  mbmsec_cleanse(blk, sizeof blk);
  return rc;
}

mbmsec_err mbmsec_mikey_prf(const uint8_t *inkey, size_t inkey_len, const uint8_t *label,
                            size_t label_len, uint8_t *outkey, size_t outkey_len)
{
  ENSURE(inkey && outkey && (label || label_len == 0), MBMSEC_ERR_ARG);
  ENSURE(inkey_len >= 1 && inkey_len <= MIKEY_PRF_INKEY_MAX && outkey_len >= 1 &&
             outkey_len <= MIKEY_PRF_OUTKEY_MAX && label_len <= MIKEY_PRF_LABEL_MAX,
         MBMSEC_ERR_MIKEY_PRF_LEN);
  /* outkey is cleared before inkey is read in full: they must not overlap. */
  uintptr_t ik = (uintptr_t)inkey, ok = (uintptr_t)outkey;
  ENSURE(ok + outkey_len <= ik || ik + inkey_len <= ok, MBMSEC_ERR_ARG);
  memset(outkey, 0, outkey_len);
  /* n = ceil(inkey_len / 32) pieces; the loop condition stops at the end, so a length that is
   * a multiple of 32 gets no empty trailing piece. */
  for (size_t off = 0; off < inkey_len; off += PIECE_LEN) {
    size_t n = inkey_len - off < PIECE_LEN ? inkey_len - off : PIECE_LEN;
    mbmsec_err rc = p_xor(inkey + off, n, label, label_len, outkey, outkey_len);
    if (rc != MBMSEC_OK) {
      mbmsec_cleanse(outkey, outkey_len);
      return rc;
    }
  }
  return MBMSEC_OK;
}

/* label = constant || cs || csb_id || rand; returns its length, 0 on a bad RAND. */
static size_t make_label(uint32_t constant, uint8_t cs, uint32_t csb_id, const uint8_t *rand,
                         size_t rand_len, uint8_t label[MIKEY_PRF_LABEL_MAX])
{
  if (!rand || rand_len < RAND_MIN_LEN || rand_len > MIKEY_RAND_MAX) return 0;
  for (int i = 0; i < 4; i++) {
    label[i] = (uint8_t)(constant >> (24 - 8 * i));
    label[5 + i] = (uint8_t)(csb_id >> (24 - 8 * i));
  }
  label[4] = cs;
  memcpy(label + 9, rand, rand_len);
  return 9 + rand_len;
}

mbmsec_err mbmsec_mikey_psk_keys(const uint8_t *psk, size_t psk_len, uint32_t csb_id,
                                 const uint8_t *rand, size_t rand_len, mbmsec_mikey_keys *out)
{
  ENSURE(psk && out, MBMSEC_ERR_ARG);
  uint8_t label[MIKEY_PRF_LABEL_MAX];
  size_t n = make_label(MIKEY_C_ENCR, PSK_LABEL_CS, csb_id, rand, rand_len, label);
  ENSURE(n, MBMSEC_ERR_ARG);
  mbmsec_err rc;
  GUARD_OUT(mbmsec_mikey_prf(psk, psk_len, label, n, out->encr_key, sizeof out->encr_key));
  make_label(MIKEY_C_AUTH, PSK_LABEL_CS, csb_id, rand, rand_len, label);
  GUARD_OUT(mbmsec_mikey_prf(psk, psk_len, label, n, out->auth_key, sizeof out->auth_key));
  make_label(MIKEY_C_SALT, PSK_LABEL_CS, csb_id, rand, rand_len, label);
  GUARD_OUT(mbmsec_mikey_prf(psk, psk_len, label, n, out->salt_key, sizeof out->salt_key));
out:
  if (rc != MBMSEC_OK) mbmsec_mikey_keys_cleanse(out);
  return rc;
}

mbmsec_err mbmsec_mikey_tgk_key(const uint8_t *tgk, size_t tgk_len, uint32_t constant,
                                uint8_t cs_id, uint32_t csb_id, const uint8_t *rand,
                                size_t rand_len, uint8_t *out, size_t out_len)
{
  ENSURE(tgk && out, MBMSEC_ERR_ARG);
  uint8_t label[MIKEY_PRF_LABEL_MAX];
  size_t n = make_label(constant, cs_id, csb_id, rand, rand_len, label);
  ENSURE(n, MBMSEC_ERR_ARG);
  return mbmsec_mikey_prf(tgk, tgk_len, label, n, out, out_len);
}

void mbmsec_mikey_kemac_iv(const uint8_t salt_key[MIKEY_SALT_KEY_LEN], uint32_t csb_id,
                           const uint8_t ts[8], uint8_t iv[16])
{
  /* x = 0x0000 || CSB ID || T, 112 bits, lined up with the salt. */
  uint8_t x[MIKEY_SALT_KEY_LEN] = {0};
  for (int i = 0; i < 4; i++) x[2 + i] = (uint8_t)(csb_id >> (24 - 8 * i));
  memcpy(x + 6, ts, 8);
  for (size_t i = 0; i < MIKEY_SALT_KEY_LEN; i++) iv[i] = salt_key[i] ^ x[i];
  iv[14] = iv[15] = 0; /* the block counter starts at 0 */
}

void mbmsec_mikey_counter_ts(uint32_t counter, uint8_t ts[8])
{
  memset(ts, 0, MBMSEC_MIKEY_TS_COUNTER_IV_PAD);
  for (int i = 0; i < 4; i++)
    ts[MBMSEC_MIKEY_TS_COUNTER_IV_PAD + i] = (uint8_t)(counter >> (24 - 8 * i));
}

void mbmsec_mikey_keys_cleanse(mbmsec_mikey_keys *k)
{
  if (k) mbmsec_cleanse(k, sizeof *k);
}
