/* MIKEY-1 PRF (RFC 3830 4.1.2), labels (4.1.3, 4.1.4) and the KEMAC IV (4.2.3, profile P8). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "mbmsec/crypto.h"
#include "mbmsec/encode.h"
#include "mbmsec/mikey_prf.h"

static void hex(const char *s, uint8_t *out, size_t n)
{
  size_t got = 0;
  assert_int_equal(mbmsec_hex_decode(s, strlen(s), out, n, &got), MBMSEC_OK);
  assert_int_equal(got, n);
}

/* The inkey octets 40 41 42 ... and the label 150533E1 FF DEADBEEF 00..0F of the vectors. */
static void vec_inputs(uint8_t key[65], uint8_t label[25])
{
  for (int i = 0; i < 65; i++) key[i] = (uint8_t)(0x40 + i);
  const uint8_t h[9] = {0x15, 0x05, 0x33, 0xe1, 0xff, 0xde, 0xad, 0xbe, 0xef};
  memcpy(label, h, 9);
  for (int i = 0; i < 16; i++) label[9 + i] = (uint8_t)i;
}

/* out ^= P(s, label, m) built by hand from mbmsec_hmac, m = ceil(n / 20). */
static void p_by_hand(const uint8_t *s, size_t s_len, const uint8_t *label, size_t label_len,
                      uint8_t *out, size_t n)
{
  uint8_t a[20], blk[20];
  mbmsec_iov v = {label, label_len};
  assert_int_equal(mbmsec_hmac(MBMSEC_MD_SHA1, s, s_len, &v, 1, a), MBMSEC_OK); /* A_1 */
  for (size_t done = 0; done < n; done += 20) {
    mbmsec_iov parts[2] = {{a, 20}, {label, label_len}};
    assert_int_equal(mbmsec_hmac(MBMSEC_MD_SHA1, s, s_len, parts, 2, blk), MBMSEC_OK);
    for (size_t i = 0; i < 20 && done + i < n; i++) out[done + i] ^= blk[i];
    mbmsec_iov ai = {a, 20};
    assert_int_equal(mbmsec_hmac(MBMSEC_MD_SHA1, s, s_len, &ai, 1, a), MBMSEC_OK);
  }
}

/* PRF against P built by hand, pieces of 32 octets: 16 and 32 are one piece, 33 and 40 two
 * (the second 1 and 8 octets), 64 exactly two (no empty third piece), 65 three. */
static void test_prf_layout(void **state)
{
  (void)state;
  uint8_t key[65], label[25], got[160], want[160];
  vec_inputs(key, label);
  static const size_t inl[] = {16, 32, 33, 40, 64, 65};
  static const size_t outl[] = {1, 20, 21, 40, 160};
  for (size_t i = 0; i < sizeof inl / sizeof inl[0]; i++) {
    for (size_t j = 0; j < sizeof outl / sizeof outl[0]; j++) {
      memset(want, 0, sizeof want);
      for (size_t off = 0; off < inl[i]; off += 32)
        p_by_hand(key + off, inl[i] - off < 32 ? inl[i] - off : 32, label, 25, want, outl[j]);
      assert_int_equal(mbmsec_mikey_prf(key, inl[i], label, 25, got, outl[j]), MBMSEC_OK);
      assert_memory_equal(got, want, outl[j]);
    }
  }
  /* An empty trailing piece would XOR in P(empty key, ...), which is not zero. */
  uint8_t empty_p[20] = {0};
  p_by_hand(key, 0, label, 25, empty_p, 20);
  memset(want, 0, 20);
  p_by_hand(key, 32, label, 25, want, 20);
  p_by_hand(key + 32, 32, label, 25, want, 20);
  assert_int_equal(mbmsec_mikey_prf(key, 64, label, 25, got, 20), MBMSEC_OK);
  assert_memory_equal(got, want, 20);
  for (int i = 0; i < 20; i++) want[i] ^= empty_p[i];
  assert_memory_not_equal(got, want, 20);
}

/* Project-generated regression vectors: computed once with tests/ref/mikey_prf.py (an
 * independent Python reference written from RFC 3830 4.1); RFC 3830 has no test vectors.
 * Inputs from vec_inputs; outkey 21 octets; 1 and 20 octets must be its prefixes. */
static void test_prf_vectors(void **state)
{
  (void)state;
  static const struct {
    size_t inl;
    const char *out21;
  } v[] = {
      {16, "95dcc35fd0affaa8696d794067533f15c987358f06"},
      {32, "6f3a85bac509248981b111b9c1184f41afb6caa435"},
      {33, "82998d0b4e2cd77110c36a1b34ae56bb4fb3baf87c"},
      {40, "17c94ef78ca2effa819f83ab56bf37662033c7e0cd"},
      {64, "2cb0579014dfd36ca47ad83506a34e2f47c0917d44"},
      {65, "397ff9deb8272a09dd1d09322e718bb5d00dccf37b"},
  };
  uint8_t key[65], label[25], want[160], got[160];
  vec_inputs(key, label);
  for (size_t i = 0; i < sizeof v / sizeof v[0]; i++) {
    hex(v[i].out21, want, 21);
    static const size_t outl[] = {1, 20, 21};
    for (size_t j = 0; j < 3; j++) {
      memset(got, 0xee, sizeof got);
      assert_int_equal(mbmsec_mikey_prf(key, v[i].inl, label, 25, got, outl[j]), MBMSEC_OK);
      assert_memory_equal(got, want, outl[j]);
      assert_int_equal(got[outl[j]], 0xee); /* nothing written past outkey_len */
    }
  }
  hex("17c94ef78ca2effa819f83ab56bf37662033c7e0cd536a46ca240659be03d6400644c484d8ad544ddcfcbd9c"
      "4f39325d94ced76be2ad3e44dd1be01776b1bde8550ba0455c6ea163ce12567d10694cd878627667cf18e180"
      "47119fc0b8d742f6e655c932c755172acc73068fb435f82beadc3cf92236dd363fc80e55781183ce1717008e"
      "b1a69188ae52f714e19f3429188498ffb540a671232c6798e7033e4f",
      want, 160);
  assert_int_equal(mbmsec_mikey_prf(key, 40, label, 25, got, 160), MBMSEC_OK);
  assert_memory_equal(got, want, 160);
}

static void test_psk_tgk_keys(void **state)
{
  (void)state;
  uint8_t key[65], label[25], rand[16], want[20], out[20];
  vec_inputs(key, label);
  hex("9a0b1c2d3e4f50617283940a1b2c3d4e", rand, 16);
  const uint32_t csb = 0x01020304;
  /* Labels by hand: constant || FF || CSB ID || RAND (4.1.4). */
  uint8_t l[25] = {0, 0, 0, 0, 0xff, 0x01, 0x02, 0x03, 0x04};
  memcpy(l + 9, rand, 16);
  mbmsec_mikey_keys k;
  assert_int_equal(mbmsec_mikey_psk_keys(key, 16, csb, rand, 16, &k), MBMSEC_OK);
  memcpy(l, "\x15\x05\x33\xe1", 4);
  assert_int_equal(mbmsec_mikey_prf(key, 16, l, 25, want, 16), MBMSEC_OK);
  assert_memory_equal(k.encr_key, want, 16);
  memcpy(l, "\x2d\x22\xac\x75", 4);
  assert_int_equal(mbmsec_mikey_prf(key, 16, l, 25, want, 20), MBMSEC_OK);
  assert_memory_equal(k.auth_key, want, 20);
  memcpy(l, "\x29\xb8\x89\x16", 4);
  assert_int_equal(mbmsec_mikey_prf(key, 16, l, 25, want, 14), MBMSEC_OK);
  assert_memory_equal(k.salt_key, want, 14);
  /* Project-generated (tests/ref/mikey_prf.py), 16- and 32-octet PSK. */
  uint8_t e[16], a[20], s[14];
  hex("4e414bfd7a2a452f1e3ce5b266743971", e, 16);
  hex("3f8db43cbebc374a351029e8bf19c296c570b5e2", a, 20);
  hex("5d0396a01e813589a5c89a600831", s, 14);
  assert_memory_equal(k.encr_key, e, 16);
  assert_memory_equal(k.auth_key, a, 20);
  assert_memory_equal(k.salt_key, s, 14);
  assert_int_equal(mbmsec_mikey_psk_keys(key, 32, csb, rand, 16, &k), MBMSEC_OK);
  hex("e3d33520cebf29e14742e372e855a2ad", e, 16);
  hex("ea31c6c091bcd859bf1b6f7f6c31644be953cf55", a, 20);
  hex("2fbb52b1b3f604b00163567e8d00", s, 14);
  assert_memory_equal(k.encr_key, e, 16);
  assert_memory_equal(k.auth_key, a, 20);
  assert_memory_equal(k.salt_key, s, 14);
  mbmsec_mikey_keys_cleanse(&k);
  const uint8_t zero[sizeof k] = {0};
  assert_memory_equal(&k, zero, sizeof k);

  /* TGK: constant || CS ID || CSB ID || RAND (4.1.3), CS ID 5. */
  memcpy(l, "\x2a\xd0\x1c\x64", 4);
  l[4] = 5;
  assert_int_equal(mbmsec_mikey_tgk_key(key, 16, MIKEY_C_TEK, 5, csb, rand, 16, out, 16),
                   MBMSEC_OK);
  assert_int_equal(mbmsec_mikey_prf(key, 16, l, 25, want, 16), MBMSEC_OK);
  assert_memory_equal(out, want, 16);
  hex("7411ceed09d9b76db2f4b9fd586e359b", want, 16);
  assert_memory_equal(out, want, 16);
  assert_int_equal(mbmsec_mikey_tgk_key(key, 16, MIKEY_C_TGK_SALT, 5, csb, rand, 16, out, 14),
                   MBMSEC_OK);
  hex("4075f1b028b0fa9027600e4a8d81", want, 14);
  assert_memory_equal(out, want, 14);
  assert_int_equal(mbmsec_mikey_tgk_key(key, 32, MIKEY_C_TEK, 5, csb, rand, 16, out, 16),
                   MBMSEC_OK);
  hex("54dd2ac3f47ed04ace6db11486897732", want, 16);
  assert_memory_equal(out, want, 16);
}

static void test_errors(void **state)
{
  (void)state;
  uint8_t key[65], label[25], out[MIKEY_PRF_OUTKEY_MAX + 1], rand[MIKEY_RAND_MAX + 1] = {0};
  static uint8_t big[MIKEY_PRF_INKEY_MAX + 1];
  vec_inputs(key, label);
  assert_int_equal(mbmsec_mikey_prf(key, 0, label, 25, out, 16), MBMSEC_ERR_MIKEY_PRF_LEN);
  assert_int_equal(mbmsec_mikey_prf(big, MIKEY_PRF_INKEY_MAX, label, 25, out, 16), MBMSEC_OK);
  assert_int_equal(mbmsec_mikey_prf(big, MIKEY_PRF_INKEY_MAX + 1, label, 25, out, 16),
                   MBMSEC_ERR_MIKEY_PRF_LEN);
  assert_int_equal(mbmsec_mikey_prf(key, 16, label, 25, out, 0), MBMSEC_ERR_MIKEY_PRF_LEN);
  assert_int_equal(mbmsec_mikey_prf(key, 16, label, 25, out, MIKEY_PRF_OUTKEY_MAX), MBMSEC_OK);
  assert_int_equal(mbmsec_mikey_prf(key, 16, label, 25, out, MIKEY_PRF_OUTKEY_MAX + 1),
                   MBMSEC_ERR_MIKEY_PRF_LEN);
  assert_int_equal(mbmsec_mikey_prf(key, 16, big, MIKEY_PRF_LABEL_MAX + 1, out, 16),
                   MBMSEC_ERR_MIKEY_PRF_LEN);
  assert_int_equal(mbmsec_mikey_prf(key, 16, NULL, 0, out, 16), MBMSEC_OK); /* empty label */
  assert_int_equal(mbmsec_mikey_prf(NULL, 16, label, 25, out, 16), MBMSEC_ERR_ARG);
  assert_int_equal(mbmsec_mikey_prf(key, 16, NULL, 25, out, 16), MBMSEC_ERR_ARG);
  assert_int_equal(mbmsec_mikey_prf(key, 16, label, 25, NULL, 16), MBMSEC_ERR_ARG);
  assert_int_equal(mbmsec_mikey_prf(key, 32, label, 25, key + 16, 16),
                   MBMSEC_ERR_ARG);                                                /* overlap */
  assert_int_equal(mbmsec_mikey_prf(key, 16, label, 25, key + 16, 16), MBMSEC_OK); /* adjacent */

  mbmsec_mikey_keys k;
  assert_int_equal(mbmsec_mikey_psk_keys(key, 16, 1, rand, 16, &k), MBMSEC_OK);
  assert_int_equal(mbmsec_mikey_psk_keys(key, 16, 1, rand, MIKEY_RAND_MAX, &k), MBMSEC_OK);
  assert_int_equal(mbmsec_mikey_psk_keys(key, 16, 1, rand, 15, &k), MBMSEC_ERR_ARG);
  assert_int_equal(mbmsec_mikey_psk_keys(key, 16, 1, rand, MIKEY_RAND_MAX + 1, &k), MBMSEC_ERR_ARG);
  assert_int_equal(mbmsec_mikey_psk_keys(key, 16, 1, NULL, 16, &k), MBMSEC_ERR_ARG);
  assert_int_equal(mbmsec_mikey_psk_keys(key, 0, 1, rand, 16, &k), MBMSEC_ERR_MIKEY_PRF_LEN);
  const uint8_t zero[MIKEY_SALT_KEY_LEN] = {0};
  assert_memory_equal(k.salt_key, zero, sizeof zero); /* cleansed on error */
  assert_int_equal(mbmsec_mikey_psk_keys(NULL, 16, 1, rand, 16, &k), MBMSEC_ERR_ARG);
  assert_int_equal(mbmsec_mikey_tgk_key(key, 16, MIKEY_C_TEK, 0, 1, rand, 16, out, 0),
                   MBMSEC_ERR_MIKEY_PRF_LEN);
  assert_int_equal(mbmsec_mikey_tgk_key(key, 16, MIKEY_C_TEK, 0, 1, rand, 8, out, 16),
                   MBMSEC_ERR_ARG);
}

/* Hand-computed: salt 00 11 .. dd, CSB ID 0x01020304, COUNTER 0x0a0b0c0d:
 *   x  = 00 00 | 01 02 03 04 | 00 00 00 00 0a 0b 0c 0d
 *   IV = 00 11 23 31 47 51 66 77 88 99 a0 b0 c0 d0 | 00 00 */
static void test_kemac_iv(void **state)
{
  (void)state;
  uint8_t salt[14], ts[8], iv[16], want[16];
  for (int i = 0; i < 14; i++) salt[i] = (uint8_t)(0x11 * i);
  mbmsec_mikey_counter_ts(0x0a0b0c0du, ts);
  assert_memory_equal(ts, "\x00\x00\x00\x00\x0a\x0b\x0c\x0d", 8);
  mbmsec_mikey_kemac_iv(salt, 0x01020304u, ts, iv);
  hex("00112331475166778899a0b0c0d00000", want, 16);
  assert_memory_equal(iv, want, 16);
  mbmsec_mikey_counter_ts(0xffffffffu, ts);
  assert_memory_equal(ts, "\x00\x00\x00\x00\xff\xff\xff\xff", 8);
}

/* The IV drives AES-CM as SRTP does: choose the salt so that the IV is the RFC 3711 B.2
 * counter F0F1..FD0000 and compare with its keystream (vectors.md 4), including the blocks
 * where the low 16 bits carry into the salt part. */
static void test_kemac_iv_aes_cm(void **state)
{
  (void)state;
  uint8_t key[16], target[16], salt[14], ts[8], iv[16], want[16];
  hex("2B7E151628AED2A6ABF7158809CF4F3C", key, 16);
  hex("F0F1F2F3F4F5F6F7F8F9FAFBFCFD0000", target, 16);
  const uint32_t csb = 0xcafebabe, counter = 0x12345678;
  mbmsec_mikey_counter_ts(counter, ts);
  const uint8_t x[14] = {0, 0, 0xca, 0xfe, 0xba, 0xbe, 0, 0, 0, 0, 0x12, 0x34, 0x56, 0x78};
  for (int i = 0; i < 14; i++) salt[i] = target[i] ^ x[i];
  mbmsec_mikey_kemac_iv(salt, csb, ts, iv);
  assert_memory_equal(iv, target, 16);
  const size_t blocks = 0xff02;
  uint8_t *ks = calloc(blocks, 16);
  assert_non_null(ks);
  assert_int_equal(mbmsec_aes128_ctr(key, iv, ks, ks, blocks * 16), MBMSEC_OK);
  static const struct {
    size_t block;
    const char *hex;
  } v[] = {
      {0x0000, "E03EAD0935C95E80E166B16DD92B4EB4"}, {0x0001, "D23513162B02D0F72A43A2FE4A5F97AB"},
      {0x0002, "41E95B3BB0A2E8DD477901E4FCA894C0"}, {0xfeff, "EC8CDF7398607CB0F2D21675EA9EA1E4"},
      {0xff00, "362B7C3C6773516318A077D7FC5073AE"}, {0xff01, "6A2CC3787889374FBEB4C81B17BA6C44"},
  };
  for (size_t i = 0; i < sizeof v / sizeof v[0]; i++) {
    hex(v[i].hex, want, 16);
    assert_memory_equal(ks + 16 * v[i].block, want, 16);
  }
  free(ks);
}

int main(void)
{
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_prf_layout),   cmocka_unit_test(test_prf_vectors),
      cmocka_unit_test(test_psk_tgk_keys), cmocka_unit_test(test_errors),
      cmocka_unit_test(test_kemac_iv),     cmocka_unit_test(test_kemac_iv_aes_cm),
  };
  int rc = cmocka_run_group_tests(tests, NULL, NULL);
  mbmsec_crypto_cleanup();
  return rc;
}
