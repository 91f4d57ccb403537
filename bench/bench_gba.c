/* GBA and MIKEY key derivation throughput, one thread, >= 1 s per measurement.
 *
 * The hmac_* lines show what dominates: every derivation here is a handful of HMACs over
 * short messages, and setting an HMAC key (the ipad/opad compressions inside EVP_MAC_init)
 * costs more than hashing 64 octets. lib/crypto.c binds each context to its digest once and
 * reuses the key schedule when the key repeats (the six HMACs of one MIKEY key set share the
 * PSK); the *_newkey lines change the key on every call and show the full set-up cost.
 * Numbers: docs/BENCHMARKS.md.
 */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "bench.h"
#include "mbmsec/crypto.h"
#include "mbmsec/gba.h"
#include "mbmsec/mikey_prf.h"

static uint8_t g_ks[32], g_rand[16], g_knaf[32], g_psk[32], g_out[64];
static volatile uint8_t g_sink;
static const char IMPI[] = "0010100000000001@ims.mnc001.mcc001.3gppnetwork.org";
static const char FQDN[] = "bmsc.mnc001.mcc001.pub.3gppnetwork.org";

static int op_ks_naf(void)
{
  return mbmsec_gba_ks_naf_fqdn(g_ks, g_rand, IMPI, sizeof IMPI - 1, FQDN, sizeof FQDN - 1, NULL,
                                g_knaf) != MBMSEC_OK;
}

static int op_mrk_muk(void)
{
  return mbmsec_gba_mrk_muk(g_knaf, MBMSEC_MRK_MUK_KDF, g_out, g_out + 32) != MBMSEC_OK;
}

static int psk_keys(size_t len)
{
  mbmsec_mikey_keys k;
  int bad = mbmsec_mikey_psk_keys(g_psk, len, 0x12345678u, g_rand, 16, &k) != MBMSEC_OK;
  g_sink ^= k.salt_key[0];
  mbmsec_mikey_keys_cleanse(&k);
  return bad;
}
static int op_psk16(void) { return psk_keys(16); }
static int op_psk32(void) { return psk_keys(32); }

static uint8_t g_msg[64];
static int hmac_n(mbmsec_md md, size_t n)
{
  mbmsec_iov v = {g_msg, n};
  return mbmsec_hmac(md, g_psk, md == MBMSEC_MD_SHA1 ? 20 : 32, &v, 1, g_out) != MBMSEC_OK;
}
static int op_hmac256_0(void) { return hmac_n(MBMSEC_MD_SHA256, 0); }
static int op_hmac256_64(void) { return hmac_n(MBMSEC_MD_SHA256, 64); }
static int op_hmac1_0(void) { return hmac_n(MBMSEC_MD_SHA1, 0); }
static int op_hmac1_64(void) { return hmac_n(MBMSEC_MD_SHA1, 64); }
static int hmac_newkey(mbmsec_md md)
{
  mbmsec_iov v = {g_msg, 64};
  g_psk[0]++;
  return mbmsec_hmac(md, g_psk, md == MBMSEC_MD_SHA1 ? 20 : 32, &v, 1, g_out) != MBMSEC_OK;
}
static int op_hmac256_newkey(void) { return hmac_newkey(MBMSEC_MD_SHA256); }
static int op_hmac1_newkey(void) { return hmac_newkey(MBMSEC_MD_SHA1); }
static int op_psk32_newkey(void)
{
  g_psk[1]++;
  return psk_keys(32);
}
static int op_sha256_64(void)
{
  mbmsec_iov v = {g_msg, 64};
  return mbmsec_hash(MBMSEC_MD_SHA256, &v, 1, g_out) != MBMSEC_OK;
}

int main(void)
{
  for (int i = 0; i < 32; i++) g_ks[i] = (uint8_t)i, g_psk[i] = (uint8_t)(0x80 + i);
  for (int i = 0; i < 16; i++) g_rand[i] = (uint8_t)(0x40 + i);
  memset(g_msg, 0x5a, sizeof g_msg);
  if (mbmsec_crypto_init() != MBMSEC_OK) return 1;
  int bad = 0;
  bad |= bench_run("gba_ks_naf", op_ks_naf);       /* 1 HMAC-SHA-256 */
  bad |= bench_run("gba_mrk_muk", op_mrk_muk);     /* 2 HMAC-SHA-256 */
  bad |= bench_run("mikey_psk_keys_16", op_psk16); /* 6 HMAC-SHA-1 */
  bad |= bench_run("mikey_psk_keys_32", op_psk32); /* 6 HMAC-SHA-1 */
  bad |= bench_run("mikey_psk_keys_32_newkey", op_psk32_newkey);
  bad |= bench_run("hmac_sha256_empty", op_hmac256_0);
  bad |= bench_run("hmac_sha256_64", op_hmac256_64);
  bad |= bench_run("hmac_sha1_empty", op_hmac1_0);
  bad |= bench_run("hmac_sha1_64", op_hmac1_64);
  bad |= bench_run("hmac_sha256_64_newkey", op_hmac256_newkey);
  bad |= bench_run("hmac_sha1_64_newkey", op_hmac1_newkey);
  bad |= bench_run("sha256_64", op_sha256_64);
  mbmsec_cleanse(g_ks, sizeof g_ks);
  mbmsec_cleanse(g_knaf, sizeof g_knaf);
  mbmsec_cleanse(g_psk, sizeof g_psk);
  mbmsec_cleanse(g_out, sizeof g_out);
  mbmsec_crypto_cleanup();
  return bad;
}
