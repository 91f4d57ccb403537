/* MBMS MIKEY message throughput, one thread, >= 1 s per measurement.
 *
 * The BM-SC builds one MSK message per UE (each under that UE's MUK) and one MTK message per
 * MTK; the UE verifies them. msk_build draws CSB ID and RAND from the RNG as the BM-SC does;
 * msk_build_fixed fixes them to separate the RNG cost; *_newmuk changes the MUK every message
 * (the realistic case: the key schedule of the PRF's HMAC cannot be reused). The part_* lines
 * time the pieces of one MSK message on their own (RNG, the three PRF keys, the MAC with a
 * fresh auth_key, AES-CM with a fresh encr_key, the codec) to show what dominates.
 * Output lines: `bench <name> <ops_per_second> ops/s`.
 */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "bench.h"
#include "mbmsec/crypto.h"
#include "mbmsec/mikey.h"
#include "mbmsec/mikey_msg.h"
#include "mbmsec/mikey_prf.h"

static const char IDI[] = "bmsc.mnc001.mcc001.pub.3gppnetwork.org";
static const char IDR[] = "Ym9vdHN0cmFwLXRyYW5zYWN0aW9uLWlk@bsf.mnc001.mcc001.pub.3gppnetwork.org";
static uint8_t g_muk[32], g_msk[16], g_mtk[16], g_salt[14];
static uint8_t g_msg[MBMSEC_MIKEY_MSK_MSG_MAX], g_mtk_msg[MBMSEC_MIKEY_MTK_MSG_LEN];
static size_t g_msg_len, g_mtk_msg_len;
static mbmsec_mikey_msk_params g_mp;
static mbmsec_mikey_mtk_params g_tp;
static volatile uint8_t g_sink;

static int msk_build(int fixed, int newmuk)
{
  g_mp.fixed = fixed;
  g_mp.counter++;
  if (newmuk) g_muk[0]++;
  size_t len = 0;
  int bad = mbmsec_mikey_msk_build(&g_mp, g_muk, sizeof g_muk, NULL, g_msg, sizeof g_msg, &len,
                                   NULL) != MBMSEC_OK;
  g_sink ^= g_msg[len - 1];
  return bad;
}
static int op_msk_build(void) { return msk_build(0, 0); }
static int op_msk_build_fixed(void) { return msk_build(1, 0); }
static int op_msk_build_newmuk(void) { return msk_build(0, 1); }
static int op_msk_build_fixed_newmuk(void) { return msk_build(1, 1); }

static int mtk_build(int fixed)
{
  g_tp.fixed = fixed;
  g_tp.counter++;
  size_t len = 0;
  int bad = mbmsec_mikey_mtk_build(&g_tp, g_msk, sizeof g_msk, NULL, g_mtk_msg, sizeof g_mtk_msg,
                                   &len, NULL) != MBMSEC_OK;
  g_sink ^= g_mtk_msg[len - 1];
  return bad;
}
static int op_mtk_build(void) { return mtk_build(0); }
static int op_mtk_build_fixed(void) { return mtk_build(1); }

/* The key callback a UE would give: one MUK or MSK, no stored counter. */
static mbmsec_err key_cb(void *ctx, const mbmsec_mikey_key_ref *ref, mbmsec_mikey_psk *out)
{
  (void)ctx;
  memset(out, 0, sizeof *out);
  if (ref->kind == MBMSEC_MIKEY_KEY_MUK) {
    memcpy(out->key, g_muk, sizeof g_muk);
    out->key_len = sizeof g_muk;
  } else {
    memcpy(out->key, g_msk, sizeof g_msk);
    out->key_len = sizeof g_msk;
    out->vf = 0;
    out->vt = 0xFFFF;
  }
  return MBMSEC_OK;
}

static int op_msk_verify(void)
{
  mbmsec_mikey_msk_info info;
  int bad = mbmsec_mikey_msk_verify(g_msg, g_msg_len, key_cb, NULL, NULL, &info) != MBMSEC_OK;
  g_sink ^= info.msk[0];
  mbmsec_mikey_msk_info_cleanse(&info);
  return bad;
}

static int op_mtk_verify(void)
{
  mbmsec_mikey_mtk_info info;
  int bad =
      mbmsec_mikey_mtk_verify(g_mtk_msg, g_mtk_msg_len, key_cb, NULL, NULL, &info) != MBMSEC_OK;
  g_sink ^= info.mtk[0];
  mbmsec_mikey_mtk_info_cleanse(&info);
  return bad;
}

/* ---- the pieces of one MSK message ---- */

static uint8_t g_rand[20];
static int op_part_random(void) /* CSB ID + RAND in one call */
{
  return mbmsec_random(g_rand, sizeof g_rand) != MBMSEC_OK;
}
static int op_part_random_2calls(void) /* CSB ID and RAND drawn separately */
{
  return mbmsec_random(g_rand, 4) != MBMSEC_OK || mbmsec_random(g_rand + 4, 16) != MBMSEC_OK;
}
static uint8_t g_bulk[4096];
static int op_part_random_bulk_4k(void) /* what a buffered RNG pays: 204 messages' worth */
{
  return mbmsec_random(g_bulk, sizeof g_bulk) != MBMSEC_OK;
}
static int op_part_psk_keys(void) /* 3 PRF keys = 6 HMAC-SHA-1 under the MUK */
{
  mbmsec_mikey_keys k;
  g_rand[5]++;
  int bad =
      mbmsec_mikey_psk_keys(g_muk, sizeof g_muk, 0x01020304u, g_rand + 4, 16, &k) != MBMSEC_OK;
  g_sink ^= k.auth_key[0];
  mbmsec_mikey_keys_cleanse(&k);
  return bad;
}
static uint8_t g_auth[20], g_encr[16];
static int op_part_mac_newkey(void) /* HMAC-SHA-1 over the message under a fresh auth_key */
{
  g_auth[0]++;
  mbmsec_iov v = {g_msg, g_msg_len - 20};
  uint8_t mac[20];
  int bad = mbmsec_hmac(MBMSEC_MD_SHA1, g_auth, sizeof g_auth, &v, 1, mac) != MBMSEC_OK;
  g_sink ^= mac[0];
  return bad;
}
static int op_part_aes_cm_newkey(void) /* 26 octets of key data under a fresh encr_key */
{
  g_encr[0]++;
  uint8_t iv[16] = {0}, out[26];
  int bad = mbmsec_aes128_ctr(g_encr, iv, g_msg, out, sizeof out) != MBMSEC_OK;
  g_sink ^= out[0];
  return bad;
}
static mbmsec_mikey_msg g_decoded;
static int op_part_encode(void) /* the codec alone: encode a decoded MSK message */
{
  uint8_t out[sizeof g_msg];
  size_t len = 0;
  int bad = mbmsec_mikey_encode(&g_decoded, out, sizeof out, &len) != MBMSEC_OK;
  g_sink ^= out[len - 1];
  return bad;
}
static int op_part_decode(void)
{
  int bad = mbmsec_mikey_decode(g_msg, g_msg_len, &g_decoded) != MBMSEC_OK;
  g_sink ^= g_decoded.hdr.v_flag;
  return bad;
}

int main(void)
{
  for (int i = 0; i < 32; i++) g_muk[i] = (uint8_t)(0x80 + i);
  for (int i = 0; i < 16; i++) g_msk[i] = (uint8_t)(0xa0 + i), g_mtk[i] = (uint8_t)(0xb0 + i);
  for (int i = 0; i < 14; i++) g_salt[i] = (uint8_t)(0xc0 + i);
  const uint8_t kdid[3] = {0x00, 0xf1, 0x10}, msk_id[4] = {0, 1, 0, 2};
  memcpy(g_mp.kdid, kdid, 3);
  memcpy(g_mp.msk_id, msk_id, 4);
  g_mp.idi = (const uint8_t *)IDI;
  g_mp.idi_len = sizeof IDI - 1;
  g_mp.idr = (const uint8_t *)IDR;
  g_mp.idr_len = sizeof IDR - 1;
  g_mp.v_flag = 1;
  g_mp.msk = g_msk;
  g_mp.vf = 1;
  g_mp.vt = 4096;
  g_mp.csb_id = 0x01020304u;
  memcpy(g_tp.kdid, kdid, 3);
  memcpy(g_tp.msk_id, msk_id, 4);
  g_tp.mtk_id = 7;
  g_tp.mtk = g_mtk;
  g_tp.salt = g_salt;
  g_tp.csb_id = 0x0a0b0c0du;
  if (mbmsec_crypto_init() != MBMSEC_OK) return 1;
  int bad = 0;
  bad |= bench_run("mikey_msk_build", op_msk_build);
  bad |= bench_run("mikey_msk_build_fixed", op_msk_build_fixed);
  bad |= bench_run("mikey_msk_build_newmuk", op_msk_build_newmuk);
  bad |= bench_run("mikey_msk_build_fixed_newmuk", op_msk_build_fixed_newmuk);
  bad |= bench_run("mikey_mtk_build", op_mtk_build);
  bad |= bench_run("mikey_mtk_build_fixed", op_mtk_build_fixed);
  /* Verify the last message each builder wrote (counter > 0, the callback's counter is 0). */
  g_mp.fixed = 0;
  g_mp.counter = 1;
  g_tp.counter = 1;
  if (mbmsec_mikey_msk_build(&g_mp, g_muk, sizeof g_muk, NULL, g_msg, sizeof g_msg, &g_msg_len,
                             NULL) != MBMSEC_OK ||
      mbmsec_mikey_mtk_build(&g_tp, g_msk, sizeof g_msk, NULL, g_mtk_msg, sizeof g_mtk_msg,
                             &g_mtk_msg_len, NULL) != MBMSEC_OK)
    return 1;
  bad |= bench_run("mikey_msk_verify", op_msk_verify);
  bad |= bench_run("mikey_mtk_verify", op_mtk_verify);
  bad |= bench_run("part_random_20", op_part_random);
  bad |= bench_run("part_random_4_and_16", op_part_random_2calls);
  bad |= bench_run("part_random_4096", op_part_random_bulk_4k);
  bad |= bench_run("part_psk_keys_muk", op_part_psk_keys);
  bad |= bench_run("part_mac_newkey", op_part_mac_newkey);
  bad |= bench_run("part_aes_cm_26_newkey", op_part_aes_cm_newkey);
  bad |= bench_run("part_decode_msk", op_part_decode);
  bad |= bench_run("part_encode_msk", op_part_encode);
  mbmsec_cleanse(g_muk, sizeof g_muk);
  mbmsec_cleanse(g_msk, sizeof g_msk);
  mbmsec_cleanse(g_mtk, sizeof g_mtk);
  mbmsec_cleanse(g_salt, sizeof g_salt);
  mbmsec_crypto_cleanup();
  return bad;
}
