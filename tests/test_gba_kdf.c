/* GBA KDF (TS 33.220 Annex B), Ks_NAF, MRK/MUK (profile P1), B-TID, password, TMPI. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "mbmsec/crypto.h"
#include "mbmsec/encode.h"
#include "mbmsec/gba.h"
#include "mbmsec/profile.h"

static void hex(const char *s, uint8_t *out, size_t n)
{
  size_t got = 0;
  assert_int_equal(mbmsec_hex_decode(s, strlen(s), out, n, &got), MBMSEC_OK);
  assert_int_equal(got, n);
}

/* Common inputs (arbitrary; not from a standard). */
static const char CK[] = "5349fbe098649f948f5d2e973a81c00f";
static const char IK[] = "9744871ad32bf9bbd1dd5ce54e3e2e5a";
static const char RAND[] = "23553cbe9637a89d218ae64dae47bf35";
static const char IMPI[] = "0010100000000001@ims.mnc001.mcc001.3gppnetwork.org";
static const char FQDN[] = "bmsc.mnc001.mcc001.pub.3gppnetwork.org";
static const char BSF[] = "bsf.mnc001.mcc001.pub.3gppnetwork.org";

static void inputs(uint8_t ks[32], uint8_t rand[16])
{
  uint8_t ck[16], ik[16];
  hex(CK, ck, 16);
  hex(IK, ik, 16);
  hex(RAND, rand, 16);
  mbmsec_gba_ks(ck, ik, ks);
  assert_memory_equal(ks, ck, 16);
  assert_memory_equal(ks + 16, ik, 16);
}

/* Appends p and its two-octet length to s at *n (the Annex B layout, built by hand). */
static void put(uint8_t *s, size_t *n, const void *p, size_t len)
{
  memcpy(s + *n, p, len);
  *n += len;
  s[(*n)++] = (uint8_t)(len >> 8);
  s[(*n)++] = (uint8_t)len;
}

/* Ks_NAF against HMAC-SHA-256 over S = 01 | "gba-me" 0006 | RAND 0010 | IMPI | NAF_Id. */
static void check_layout(const char *impi, size_t impi_len)
{
  uint8_t ks[32], rand[16], want[32], got[32];
  inputs(ks, rand);
  const uint8_t ua[5] = MBMSEC_MBMS_UA_PROTO_ID;
  size_t fl = strlen(FQDN), n = 0;
  uint8_t *s = malloc(64 + impi_len + fl);
  uint8_t *naf = malloc(fl + 5);
  assert_non_null(s);
  assert_non_null(naf);
  memcpy(naf, FQDN, fl);
  memcpy(naf + fl, ua, 5);
  s[n++] = 0x01;
  put(s, &n, "gba-me", 6);
  put(s, &n, rand, 16);
  put(s, &n, impi, impi_len);
  put(s, &n, naf, fl + 5);
  assert_int_equal(s[7], 0x00);
  assert_int_equal(s[8], 0x06);
  mbmsec_iov whole = {s, n};
  assert_int_equal(mbmsec_hmac(MBMSEC_MD_SHA256, ks, 32, &whole, 1, want), MBMSEC_OK);

  assert_int_equal(mbmsec_gba_ks_naf_fqdn(ks, rand, impi, impi_len, FQDN, fl, NULL, got),
                   MBMSEC_OK);
  assert_memory_equal(got, want, 32);
  assert_int_equal(mbmsec_gba_ks_naf_fqdn(ks, rand, impi, impi_len, FQDN, fl, ua, got), MBMSEC_OK);
  assert_memory_equal(got, want, 32);
  assert_int_equal(mbmsec_gba_ks_naf(ks, rand, impi, impi_len, naf, fl + 5, got), MBMSEC_OK);
  assert_memory_equal(got, want, 32);
  const mbmsec_iov p[4] = {{"gba-me", 6}, {rand, 16}, {impi, impi_len}, {naf, fl + 5}};
  assert_int_equal(mbmsec_gba_kdf(ks, 32, 0x01, p, 4, got), MBMSEC_OK);
  assert_memory_equal(got, want, 32);
  free(s);
  free(naf);
}

static void test_ks_naf_layout(void **state)
{
  (void)state;
  check_layout(IMPI, strlen(IMPI));
  check_layout("", 0); /* L2 = 00 00 */
}

static void test_ks_naf_long_params(void **state)
{
  (void)state;
  uint8_t ks[32], rand[16], out[32];
  inputs(ks, rand);
  char *big = malloc(65536);
  assert_non_null(big);
  for (size_t i = 0; i < 65536; i++) big[i] = (char)('a' + i % 26);
  check_layout(big, 65535); /* L2 = ff ff */
  assert_int_equal(mbmsec_gba_ks_naf_fqdn(ks, rand, big, 65536, FQDN, strlen(FQDN), NULL, out),
                   MBMSEC_ERR_KDF_PARAM_LEN);
  /* NAF_Id = FQDN || 5 octets: 65530 + 5 fits, 65531 + 5 does not. */
  assert_int_equal(mbmsec_gba_ks_naf_fqdn(ks, rand, IMPI, 3, big, 65530, NULL, out), MBMSEC_OK);
  assert_int_equal(mbmsec_gba_ks_naf_fqdn(ks, rand, IMPI, 3, big, 65531, NULL, out),
                   MBMSEC_ERR_KDF_PARAM_LEN);
  assert_int_equal(mbmsec_gba_ks_naf(ks, rand, IMPI, 3, (uint8_t *)big, 65535, out), MBMSEC_OK);
  assert_int_equal(mbmsec_gba_ks_naf(ks, rand, IMPI, 3, (uint8_t *)big, 65536, out),
                   MBMSEC_ERR_KDF_PARAM_LEN);
  const mbmsec_iov p[2] = {{"x", 1}, {big, 65536}};
  assert_int_equal(mbmsec_gba_kdf(ks, 32, 0x01, p, 2, out), MBMSEC_ERR_KDF_PARAM_LEN);
  size_t n = 0;
  uint8_t *naf = malloc(65536);
  assert_non_null(naf);
  assert_int_equal(mbmsec_gba_naf_id(big, 65530, NULL, naf, 65536, &n), MBMSEC_OK);
  assert_int_equal(n, 65535);
  assert_int_equal(mbmsec_gba_naf_id(big, 65531, NULL, naf, 65536, &n), MBMSEC_ERR_KDF_PARAM_LEN);
  free(naf);
  free(big);
}

static void test_kdf_generic(void **state)
{
  (void)state;
  uint8_t key[32], want[32], got[32];
  for (int i = 0; i < 32; i++) key[i] = (uint8_t)i;
  /* Two parameters, one empty, FC 0x42: S = 42 | 61 62 63 | 00 03 | 00 00. */
  const uint8_t s[] = {0x42, 'a', 'b', 'c', 0x00, 0x03, 0x00, 0x00};
  const mbmsec_iov whole = {s, sizeof s};
  assert_int_equal(mbmsec_hmac(MBMSEC_MD_SHA256, key, 32, &whole, 1, want), MBMSEC_OK);
  const mbmsec_iov p[2] = {{"abc", 3}, {NULL, 0}};
  assert_int_equal(mbmsec_gba_kdf(key, 32, 0x42, p, 2, got), MBMSEC_OK);
  assert_memory_equal(got, want, 32);
  /* Errors. */
  assert_int_equal(mbmsec_gba_kdf(key, 32, MBMSEC_GBA_KDF_FC_EXTENDED, p, 2, got),
                   MBMSEC_ERR_KDF_FC);
  assert_int_equal(mbmsec_gba_kdf(key, 32, 0x01, p, 0, got), MBMSEC_ERR_ARG);
  assert_int_equal(mbmsec_gba_kdf(key, 32, 0x01, NULL, 1, got), MBMSEC_ERR_ARG);
  assert_int_equal(mbmsec_gba_kdf(NULL, 32, 0x01, p, 1, got), MBMSEC_ERR_ARG);
  assert_int_equal(mbmsec_gba_kdf(key, 32, 0x01, p, 1, NULL), MBMSEC_ERR_ARG);
  const mbmsec_iov bad = {NULL, 3};
  assert_int_equal(mbmsec_gba_kdf(key, 32, 0x01, &bad, 1, got), MBMSEC_ERR_ARG);
  mbmsec_iov many[MBMSEC_GBA_KDF_PARAMS_MAX + 1];
  for (size_t i = 0; i <= MBMSEC_GBA_KDF_PARAMS_MAX; i++) many[i] = (mbmsec_iov){"p", 1};
  assert_int_equal(mbmsec_gba_kdf(key, 32, 0x01, many, MBMSEC_GBA_KDF_PARAMS_MAX, got), MBMSEC_OK);
  assert_int_equal(mbmsec_gba_kdf(key, 32, 0x01, many, MBMSEC_GBA_KDF_PARAMS_MAX + 1, got),
                   MBMSEC_ERR_ARG);
}

static void test_mrk_muk(void **state)
{
  (void)state;
  uint8_t k[32], mrk[32], muk[32], want[32];
  for (int i = 0; i < 32; i++) k[i] = (uint8_t)(0xa0 + i);
  /* S = 01 | "mbms-mrk" | 00 08 (profile P1). */
  uint8_t s[11] = {0x01, 'm', 'b', 'm', 's', '-', 'm', 'r', 'k', 0x00, 0x08};
  mbmsec_iov whole = {s, sizeof s};
  assert_int_equal(mbmsec_gba_mrk_muk(k, MBMSEC_MRK_MUK_KDF, mrk, muk), MBMSEC_OK);
  assert_int_equal(mbmsec_hmac(MBMSEC_MD_SHA256, k, 32, &whole, 1, want), MBMSEC_OK);
  assert_memory_equal(mrk, want, 32);
  s[8] = 'k', s[7] = 'u'; /* "mbms-muk" */
  assert_int_equal(mbmsec_hmac(MBMSEC_MD_SHA256, k, 32, &whole, 1, want), MBMSEC_OK);
  assert_memory_equal(muk, want, 32);
  /* In place: mrk aliases Ks_NAF. */
  uint8_t inplace[32];
  memcpy(inplace, k, 32);
  assert_int_equal(mbmsec_gba_mrk_muk(inplace, MBMSEC_MRK_MUK_KDF, inplace, muk), MBMSEC_OK);
  assert_memory_equal(inplace, mrk, 32);
  /* Mode none. */
  assert_int_equal(mbmsec_gba_mrk_muk(k, MBMSEC_MRK_MUK_NONE, mrk, muk), MBMSEC_OK);
  assert_memory_equal(mrk, k, 32);
  assert_memory_equal(muk, k, 32);
  assert_int_equal(mbmsec_gba_mrk_muk(k, (mbmsec_mrk_muk_mode)7, mrk, muk), MBMSEC_ERR_ARG);
  const uint8_t zero[32] = {0};
  assert_memory_equal(mrk, zero, 32);
  assert_int_equal(mbmsec_gba_mrk_muk(NULL, MBMSEC_MRK_MUK_KDF, mrk, muk), MBMSEC_ERR_ARG);
  /* Mode names. */
  mbmsec_mrk_muk_mode m = MBMSEC_MRK_MUK_KDF;
  assert_int_equal(mbmsec_gba_mode_parse("none", &m), MBMSEC_OK);
  assert_int_equal(m, MBMSEC_MRK_MUK_NONE);
  assert_int_equal(mbmsec_gba_mode_parse("kdf", &m), MBMSEC_OK);
  assert_int_equal(m, MBMSEC_MRK_MUK_KDF);
  assert_int_equal(mbmsec_gba_mode_parse("KDF", &m), MBMSEC_ERR_ARG);
  assert_string_equal(mbmsec_gba_mode_name(MBMSEC_MRK_MUK_NONE), "none");
  assert_string_equal(mbmsec_gba_mode_name((mbmsec_mrk_muk_mode)9), "?");
}

/* Project-generated regression vectors: computed once with tests/ref/gba_kdf.py (an
 * independent Python reference written from TS 33.220 Annex B and profile P1); no
 * published vector exists for Ks_NAF with these inputs. */
static void test_regression(void **state)
{
  (void)state;
  uint8_t ks[32], rand[16], k[32], mrk[32], muk[32], want[32];
  inputs(ks, rand);
  assert_int_equal(
      mbmsec_gba_ks_naf_fqdn(ks, rand, IMPI, strlen(IMPI), FQDN, strlen(FQDN), NULL, k), MBMSEC_OK);
  hex("19af8db9350ab0cf770f694c6fd799d7de36b246821c05cad83e48adaa833f8f", want, 32);
  assert_memory_equal(k, want, 32);
  assert_int_equal(mbmsec_gba_mrk_muk(k, MBMSEC_MRK_MUK_KDF, mrk, muk), MBMSEC_OK);
  hex("f44d09365bf6a3bcb61b19bcc610a411ccb81cba99f12d9596e16e7f6ecdac33", want, 32);
  assert_memory_equal(mrk, want, 32);
  hex("fea8557fd851d13b61c5ec27bc151375cbd6b6e599ee1b3c0884a7cc197ff0ff", want, 32);
  assert_memory_equal(muk, want, 32);
  char pw[MBMSEC_GBA_PASSWORD_SIZE];
  assert_int_equal(mbmsec_gba_digest_password(mrk, pw, sizeof pw), MBMSEC_OK);
  assert_string_equal(pw, "9E0JNlv2o7y2Gxm8xhCkEcy4HLqZ8S2VluFuf27NrDM=");
  assert_int_equal(mbmsec_gba_digest_password(mrk, pw, sizeof pw - 1), MBMSEC_ERR_SPACE);

  assert_int_equal(mbmsec_gba_ks_naf_fqdn(ks, rand, "", 0, FQDN, strlen(FQDN), NULL, k), MBMSEC_OK);
  hex("273e83b83099b7c26a7b491104a18696d3624ededb7e8d114aca7b36d856d130", want, 32);
  assert_memory_equal(k, want, 32);
  const uint8_t ua2[5] = {0x01, 0x00, 0x00, 0x00, 0x02};
  assert_int_equal(mbmsec_gba_ks_naf_fqdn(ks, rand, IMPI, strlen(IMPI), FQDN, strlen(FQDN), ua2, k),
                   MBMSEC_OK);
  hex("47a63047ef7ca5164e3480fee0a5bba42f78d368252c3c3954943e6a784241c5", want, 32);
  assert_memory_equal(k, want, 32);
  const char utf8[] = "j\xc3\xb6rg@ims.example.org"; /* "jörg", NFKC already */
  assert_int_equal(
      mbmsec_gba_ks_naf_fqdn(ks, rand, utf8, strlen(utf8), FQDN, strlen(FQDN), NULL, k), MBMSEC_OK);
  hex("171f651a5738747eef1dce06f9e9c9da44257a7c3ab76519ece88bc8976b37ca", want, 32);
  assert_memory_equal(k, want, 32);

  char t[MBMSEC_GBA_TMPI_SIZE];
  assert_int_equal(mbmsec_gba_tmpi(ks, rand, IMPI, strlen(IMPI), BSF, strlen(BSF), t, sizeof t),
                   MBMSEC_OK);
  assert_string_equal(t, "n7bKpqi+bBwXkjuB2V9XhQ4YAui2M7GY@tmpi.bsf.3gppnetwork.org");
  assert_int_equal(strlen(t) + 1, MBMSEC_GBA_TMPI_SIZE);
  assert_int_equal(mbmsec_gba_tmpi(ks, rand, IMPI, strlen(IMPI), BSF, strlen(BSF), t, sizeof t - 1),
                   MBMSEC_ERR_SPACE);
}

static void test_btid_naf_id(void **state)
{
  (void)state;
  uint8_t ks[32], rand[16];
  inputs(ks, rand);
  char b[128];
  size_t n = 0;
  assert_int_equal(mbmsec_gba_btid(rand, BSF, strlen(BSF), b, sizeof b, &n), MBMSEC_OK);
  assert_string_equal(b, "I1U8vpY3qJ0hiuZNrke/NQ==@bsf.mnc001.mcc001.pub.3gppnetwork.org");
  assert_int_equal(n, strlen(b));
  size_t need = 24 + 1 + strlen(BSF) + 1;
  assert_int_equal(mbmsec_gba_btid(rand, BSF, strlen(BSF), b, need, &n), MBMSEC_OK);
  assert_int_equal(mbmsec_gba_btid(rand, BSF, strlen(BSF), b, need - 1, &n), MBMSEC_ERR_SPACE);
  assert_int_equal(mbmsec_gba_btid(rand, BSF, 0, b, sizeof b, &n), MBMSEC_ERR_ARG);
  assert_int_equal(mbmsec_gba_btid(NULL, BSF, strlen(BSF), b, sizeof b, &n), MBMSEC_ERR_ARG);

  uint8_t id[64];
  assert_int_equal(mbmsec_gba_naf_id("bmsc.example", 12, NULL, id, sizeof id, &n), MBMSEC_OK);
  assert_int_equal(n, 17);
  assert_memory_equal(id, "bmsc.example\x01\x00\x00\x00\x01", 17);
  const uint8_t ua[5] = {0xff, 1, 2, 3, 4};
  assert_int_equal(mbmsec_gba_naf_id("a", 1, ua, id, 6, &n), MBMSEC_OK);
  assert_memory_equal(id, "a\xff\x01\x02\x03\x04", 6);
  assert_int_equal(mbmsec_gba_naf_id("a", 1, ua, id, 5, &n), MBMSEC_ERR_SPACE);
  assert_int_equal(mbmsec_gba_naf_id(NULL, 1, ua, id, 6, &n), MBMSEC_ERR_ARG);
}

int main(void)
{
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_ks_naf_layout), cmocka_unit_test(test_ks_naf_long_params),
      cmocka_unit_test(test_kdf_generic),   cmocka_unit_test(test_mrk_muk),
      cmocka_unit_test(test_regression),    cmocka_unit_test(test_btid_naf_id),
  };
  int rc = cmocka_run_group_tests(tests, NULL, NULL);
  mbmsec_crypto_cleanup();
  return rc;
}
