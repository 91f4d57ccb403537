/* Core: hex and base64 codecs, bounds-checked reader and writer, primitives on known answers. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>
#include <sys/wait.h>
#include <unistd.h>

#include "mbmsec/buf.h"
#include "mbmsec/crypto.h"
#include "mbmsec/encode.h"

static void test_hex(void **state)
{
  (void)state;
  uint8_t b[4];
  size_t n;
  char s[9];
  assert_int_equal(mbmsec_hex_decode("00fFa9", 6, b, sizeof b, &n), MBMSEC_OK);
  assert_int_equal(n, 3);
  assert_int_equal(mbmsec_hex_encode(b, 3, s, sizeof s), MBMSEC_OK);
  assert_string_equal(s, "00ffa9");
  assert_int_equal(mbmsec_hex_decode("0", 1, b, sizeof b, &n), MBMSEC_ERR_HEX);
  assert_int_equal(mbmsec_hex_decode("0g", 2, b, sizeof b, &n), MBMSEC_ERR_HEX);
  assert_int_equal(mbmsec_hex_decode("0011223344", 10, b, sizeof b, &n), MBMSEC_ERR_SPACE);
  assert_int_equal(mbmsec_hex_encode(b, 3, s, 6), MBMSEC_ERR_SPACE);
  /* every octet value, alone and after a digit: a digit and its value exactly as the ranges */
  for (int c = 0; c < 256; c++) {
    const bool digit = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
    const char one[2] = {(char)c, 0}, two[2] = {'7', (char)c};
    assert_int_equal(mbmsec_hex_digits(one, 1), digit);
    assert_int_equal(mbmsec_hex_digits(two, 2), digit);
    assert_int_equal(mbmsec_hex_decode(two, 2, b, sizeof b, &n),
                     digit ? MBMSEC_OK : MBMSEC_ERR_HEX);
    if (digit) {
      const int v = c <= '9' ? c - '0' : (c | 0x20) - 'a' + 10;
      assert_int_equal(b[0], 0x70 | v);
    }
  }
  assert_true(mbmsec_hex_digits("", 0));
}

static void test_base64(void **state)
{
  (void)state;
  /* RFC 4648 section 10 vectors. */
  static const char *const in[] = {"", "f", "fo", "foo", "foob", "fooba", "foobar"};
  static const char *const out[] = {"", "Zg==", "Zm8=", "Zm9v", "Zm9vYg==", "Zm9vYmE=", "Zm9vYmFy"};
  char s[16];
  uint8_t b[8];
  size_t n;
  for (size_t i = 0; i < 7; i++) {
    assert_int_equal(mbmsec_b64_encode((const uint8_t *)in[i], strlen(in[i]), s, sizeof s, &n),
                     MBMSEC_OK);
    assert_string_equal(s, out[i]);
    assert_int_equal(mbmsec_b64_decode(out[i], strlen(out[i]), b, sizeof b, &n), MBMSEC_OK);
    assert_int_equal(n, strlen(in[i]));
    assert_memory_equal(b, in[i], n);
  }
  assert_int_equal(mbmsec_b64_decode("Zg=", 3, b, sizeof b, &n), MBMSEC_ERR_BASE64);
  assert_int_equal(mbmsec_b64_decode("Zh==", 4, b, sizeof b, &n), MBMSEC_ERR_BASE64);
  assert_int_equal(mbmsec_b64_decode("Z=g=", 4, b, sizeof b, &n), MBMSEC_ERR_BASE64);
  assert_int_equal(mbmsec_b64_decode("Zm 9", 4, b, sizeof b, &n), MBMSEC_ERR_BASE64);
  assert_int_equal(mbmsec_b64_decode("Zm9vYmFy", 8, b, 5, &n), MBMSEC_ERR_SPACE);
  /* Every octet value in every position of a quartet: exactly the 64 characters of the
   * alphabet decode, each to its index (the decoder's look-up table). */
  static const char alpha[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  for (int c = 0; c < 256; c++) {
    const char *at = c ? strchr(alpha, c) : NULL;
    for (int pos = 0; pos < 4; pos++) {
      char q[4] = {'A', 'A', 'A', 'A'};
      q[pos] = (char)c;
      mbmsec_err rc = mbmsec_b64_decode(q, 4, b, sizeof b, &n);
      if (c == '=' && pos == 3) { /* one padding character: "AAA=" is canonical */
        assert_int_equal(rc, MBMSEC_OK);
        assert_int_equal(n, 2);
        continue;
      }
      if (!at) {
        assert_int_equal(rc, MBMSEC_ERR_BASE64);
        continue;
      }
      assert_int_equal(rc, MBMSEC_OK);
      assert_int_equal(n, 3);
      const uint32_t v = (uint32_t)b[0] << 16 | (uint32_t)b[1] << 8 | b[2];
      assert_int_equal((v >> (18 - 6 * pos)) & 63, (uint32_t)(at - alpha));
      assert_int_equal(v & ~(63u << (18 - 6 * pos)), 0);
    }
  }
}

static void test_reader_writer(void **state)
{
  (void)state;
  const uint8_t d[] = {1, 2, 3, 4, 5, 6, 7};
  mbmsec_rd rd;
  uint8_t u8;
  uint16_t u16;
  uint32_t u32;
  mbmsec_rd_init(&rd, d, sizeof d);
  assert_int_equal(mbmsec_rd_u8(&rd, &u8), MBMSEC_OK);
  assert_int_equal(u8, 1);
  assert_int_equal(mbmsec_rd_u16(&rd, &u16), MBMSEC_OK);
  assert_int_equal(u16, 0x0203);
  assert_int_equal(mbmsec_rd_u32(&rd, &u32), MBMSEC_OK);
  assert_int_equal(u32, 0x04050607u);
  assert_int_equal(mbmsec_rd_u8(&rd, &u8), MBMSEC_ERR_TRUNCATED);
  mbmsec_rd_init(&rd, d, 3);
  assert_int_equal(mbmsec_rd_u32(&rd, &u32), MBMSEC_ERR_TRUNCATED);
  assert_int_equal(mbmsec_rd_left(&rd), 3); /* unchanged on error */
  const uint8_t *p;
  assert_int_equal(mbmsec_rd_ptr(&rd, SIZE_MAX, &p), MBMSEC_ERR_TRUNCATED);

  uint8_t out[5];
  mbmsec_wr wr;
  mbmsec_wr_init(&wr, out, sizeof out);
  assert_int_equal(mbmsec_wr_u32(&wr, 0x01020304u), MBMSEC_OK);
  assert_int_equal(mbmsec_wr_u16(&wr, 5), MBMSEC_ERR_SPACE);
  assert_int_equal(wr.len, 4);
  assert_int_equal(mbmsec_wr_u8(&wr, 9), MBMSEC_OK);
  assert_memory_equal(out, ((uint8_t[]){1, 2, 3, 4, 9}), 5);
}

static void test_hash_hmac(void **state)
{
  (void)state;
  uint8_t h[32], e[32];
  size_t n;
  /* FIPS 180-2 "abc". */
  mbmsec_iov abc[] = {{"a", 1}, {"bc", 2}};
  assert_int_equal(mbmsec_hash(MBMSEC_MD_SHA256, abc, 2, h), MBMSEC_OK);
  mbmsec_hex_decode("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad", 64, e, 32,
                    &n);
  assert_memory_equal(h, e, 32);
  assert_int_equal(mbmsec_hash(MBMSEC_MD_MD5, NULL, 0, h), MBMSEC_OK);
  mbmsec_hex_decode("d41d8cd98f00b204e9800998ecf8427e", 32, e, 32, &n);
  assert_memory_equal(h, e, 16);
  /* RFC 4231 test case 2 and RFC 2202 test case 2. */
  mbmsec_iov msg = {"what do ya want for nothing?", 28};
  assert_int_equal(mbmsec_hmac(MBMSEC_MD_SHA256, (const uint8_t *)"Jefe", 4, &msg, 1, h),
                   MBMSEC_OK);
  mbmsec_hex_decode("5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843", 64, e, 32,
                    &n);
  assert_memory_equal(h, e, 32);
  assert_int_equal(mbmsec_hmac(MBMSEC_MD_SHA1, (const uint8_t *)"Jefe", 4, &msg, 1, h), MBMSEC_OK);
  mbmsec_hex_decode("effcdf6ae5eb2fa2d27416d5f184df9c259a7c79", 40, e, 32, &n);
  assert_memory_equal(h, e, 20);
  assert_int_equal(mbmsec_hash((mbmsec_md)7, NULL, 0, h), MBMSEC_ERR_ARG);
}

static void test_aes(void **state)
{
  (void)state;
  /* FIPS 197 C.1 and RFC 3711 B.2 (first two keystream blocks). */
  uint8_t k[16], p[16], c[16], e[32], iv[16], z[32] = {0}, ks[32];
  size_t n;
  mbmsec_hex_decode("000102030405060708090a0b0c0d0e0f", 32, k, 16, &n);
  mbmsec_hex_decode("00112233445566778899aabbccddeeff", 32, p, 16, &n);
  mbmsec_hex_decode("69c4e0d86a7b0430d8cdb78070b4c55a", 32, e, 16, &n);
  assert_int_equal(mbmsec_aes128_ecb(k, p, c, 1), MBMSEC_OK);
  assert_memory_equal(c, e, 16);
  mbmsec_hex_decode("2B7E151628AED2A6ABF7158809CF4F3C", 32, k, 16, &n);
  mbmsec_hex_decode("F0F1F2F3F4F5F6F7F8F9FAFBFCFD0000", 32, iv, 16, &n);
  mbmsec_hex_decode("E03EAD0935C95E80E166B16DD92B4EB4D23513162B02D0F72A43A2FE4A5F97AB", 64, e, 32,
                    &n);
  assert_int_equal(mbmsec_aes128_ctr(k, iv, z, ks, 32), MBMSEC_OK);
  assert_memory_equal(ks, e, 32);
}

static void test_ct_and_secbuf(void **state)
{
  (void)state;
  assert_true(mbmsec_ct_equal("abc", "abc", 3));
  assert_false(mbmsec_ct_equal("abc", "abd", 3));
  mbmsec_secbuf b;
  assert_int_equal(mbmsec_secbuf_set(&b, "key", 3), MBMSEC_OK);
  assert_int_equal(b.len, 3);
  mbmsec_secbuf_free(&b);
  assert_null(b.p);
  assert_int_equal(b.len, 0);
  mbmsec_secbuf_free(&b);
  uint8_t r1[16], r2[16];
  assert_int_equal(mbmsec_random(r1, 16), MBMSEC_OK);
  assert_int_equal(mbmsec_random(r2, 16), MBMSEC_OK);
  assert_false(mbmsec_ct_equal(r1, r2, 16));
}

/* The per-thread random block must not be shared with a forked child: without the pid check
 * the child's next bytes would equal the parent's. */
static void test_random_fork(void **state)
{
  (void)state;
  uint8_t warm[4], mine[16], theirs[16];
  int fds[2];
  assert_int_equal(mbmsec_random(warm, sizeof warm), MBMSEC_OK); /* fills this thread's block */
  assert_int_equal(pipe(fds), 0);
  pid_t pid = fork();
  assert_true(pid >= 0);
  if (pid == 0) {
    uint8_t b[16];
    int ok =
        mbmsec_random(b, sizeof b) == MBMSEC_OK && write(fds[1], b, sizeof b) == (ssize_t)sizeof b;
    _exit(ok ? 0 : 1);
  }
  assert_int_equal(mbmsec_random(mine, sizeof mine), MBMSEC_OK);
  assert_int_equal(read(fds[0], theirs, sizeof theirs), (ssize_t)sizeof theirs);
  int status = 0;
  assert_int_equal(waitpid(pid, &status, 0), pid);
  assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
  close(fds[0]);
  close(fds[1]);
  assert_false(mbmsec_ct_equal(mine, theirs, sizeof mine));
  /* Large requests bypass the block and still work. */
  uint8_t big[1000];
  assert_int_equal(mbmsec_random(big, sizeof big), MBMSEC_OK);
}

int main(void)
{
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_hex),           cmocka_unit_test(test_base64),
      cmocka_unit_test(test_reader_writer), cmocka_unit_test(test_hash_hmac),
      cmocka_unit_test(test_aes),           cmocka_unit_test(test_ct_and_secbuf),
      cmocka_unit_test(test_random_fork),
  };
  int rc = cmocka_run_group_tests(tests, NULL, NULL);
  mbmsec_crypto_cleanup();
  return rc;
}
