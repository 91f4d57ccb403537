/* SRTP with MTKs: a sender protects RTP under an MTK with MKI = MSK ID || MTK ID; a receiver
 * holding that MTK decrypts, one that does not refuses and reports the MKI; tampering, replay
 * and a key change across MSKs. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "mbmsec/crypto.h"
#include "mbmsec/srtp.h"

static const uint8_t MSK1[4] = {0, 1, 0, 1}, MSK2[4] = {0, 1, 0, 2};

static mbmsec_srtp_key key_of(const uint8_t msk_id[4], uint16_t mtk_id, uint8_t fill)
{
  mbmsec_srtp_key k;
  memcpy(k.msk_id, msk_id, 4);
  k.mtk_id = mtk_id;
  memset(k.mtk, fill, sizeof k.mtk);
  memset(k.salt, (uint8_t)(fill ^ 0x5a), sizeof k.salt);
  return k;
}

/* An RTP packet: V=2, PT 96, seq, timestamp, SSRC, then the payload. */
static size_t rtp(uint8_t *p, uint16_t seq, uint32_t ssrc, const char *payload)
{
  const size_t n = strlen(payload);
  p[0] = 0x80, p[1] = 96, p[2] = (uint8_t)(seq >> 8), p[3] = (uint8_t)seq;
  memset(p + 4, 0, 4);
  p[8] = (uint8_t)(ssrc >> 24), p[9] = (uint8_t)(ssrc >> 16), p[10] = (uint8_t)(ssrc >> 8);
  p[11] = (uint8_t)ssrc;
  memcpy(p + 12, payload, n);
  return 12 + n;
}

static void test_roundtrip_and_refusals(void **state)
{
  (void)state;
  mbmsec_srtp *tx, *rx, *rx_other;
  assert_int_equal(mbmsec_srtp_new(0, 0x11223344u, &tx), MBMSEC_OK);
  assert_int_equal(mbmsec_srtp_new(1, 0, &rx), MBMSEC_OK);
  assert_int_equal(mbmsec_srtp_new(1, 0, &rx_other), MBMSEC_OK);
  mbmsec_srtp_key a = key_of(MSK1, 7, 0xa1), b = key_of(MSK2, 1, 0xb2);
  assert_int_equal(mbmsec_srtp_set_keys(tx, &a, 1), MBMSEC_OK);
  assert_int_equal(mbmsec_srtp_set_keys(rx, &a, 1), MBMSEC_OK);
  assert_int_equal(mbmsec_srtp_set_keys(rx_other, &b, 1), MBMSEC_OK);

  uint8_t pkt[256], copy[256], mki[6];
  const char *msg = "MBMS broadcast payload";
  size_t len = rtp(pkt, 1, 0x11223344u, msg), plain_len = len;
  assert_int_equal(mbmsec_srtp_protect(tx, MSK1, 7, pkt, &len, sizeof pkt), MBMSEC_OK);
  assert_int_equal(len, plain_len + 6 + 10);
  assert_memory_not_equal(pkt + 12, msg, strlen(msg));                      /* payload encrypted */
  assert_memory_equal(pkt + plain_len, ((uint8_t[]){0, 1, 0, 1, 0, 7}), 6); /* MKI in clear */
  memcpy(copy, pkt, len);
  const size_t protected_len = len;

  /* A receiver without this MTK refuses and names the MKI (missed key update material). */
  size_t l2 = protected_len;
  uint8_t other[256];
  memcpy(other, copy, protected_len);
  assert_int_equal(mbmsec_srtp_unprotect(rx_other, other, &l2, mki), MBMSEC_ERR_SRTP_NO_KEY);
  assert_memory_equal(mki, ((uint8_t[]){0, 1, 0, 1, 0, 7}), 6);

  /* The holder decrypts. */
  assert_int_equal(mbmsec_srtp_unprotect(rx, pkt, &len, mki), MBMSEC_OK);
  assert_int_equal(len, plain_len);
  assert_memory_equal(pkt + 12, msg, strlen(msg));

  /* Replay of the same packet: refused. */
  memcpy(pkt, copy, protected_len);
  len = protected_len;
  assert_int_equal(mbmsec_srtp_unprotect(rx, pkt, &len, NULL), MBMSEC_ERR_SRTP_REPLAY);

  /* A flipped bit in the payload (next packet): authentication fails. */
  len = rtp(pkt, 2, 0x11223344u, msg);
  assert_int_equal(mbmsec_srtp_protect(tx, MSK1, 7, pkt, &len, sizeof pkt), MBMSEC_OK);
  pkt[14] ^= 1;
  size_t bad = len;
  assert_int_equal(mbmsec_srtp_unprotect(rx, pkt, &bad, NULL), MBMSEC_ERR_SRTP_AUTH);

  /* Malformed input. */
  len = 5;
  assert_int_equal(mbmsec_srtp_unprotect(rx, pkt, &len, NULL), MBMSEC_ERR_SRTP_PACKET);
  /* Sender: unknown MTK, no room for the trailer. */
  len = rtp(pkt, 3, 0x11223344u, msg);
  assert_int_equal(mbmsec_srtp_protect(tx, MSK2, 1, pkt, &len, sizeof pkt), MBMSEC_ERR_SRTP_NO_KEY);
  assert_int_equal(mbmsec_srtp_protect(tx, MSK1, 7, pkt, &len, len + 3), MBMSEC_ERR_SPACE);

  mbmsec_srtp_stats st;
  mbmsec_srtp_get_stats(rx, &st);
  assert_int_equal(st.ok, 1);
  assert_int_equal(st.replay, 1);
  assert_int_equal(st.auth, 1);
  assert_int_equal(st.malformed, 1);
  mbmsec_srtp_get_stats(rx_other, &st);
  assert_int_equal(st.no_key, 1);
  mbmsec_srtp_free(tx);
  mbmsec_srtp_free(rx);
  mbmsec_srtp_free(rx_other);
}

/* MSK change-over: the sender moves to the next MSK's MTK; a receiver holding both decrypts
 * across the change with no packet lost; the replay window survives the key update. */
static void test_changeover(void **state)
{
  (void)state;
  mbmsec_srtp *tx, *rx;
  assert_int_equal(mbmsec_srtp_new(0, 0x55u, &tx), MBMSEC_OK);
  assert_int_equal(mbmsec_srtp_new(1, 0, &rx), MBMSEC_OK);
  mbmsec_srtp_key ks[2] = {key_of(MSK1, 9, 0x11), key_of(MSK2, 1, 0x22)};
  assert_int_equal(mbmsec_srtp_set_keys(tx, ks, 1), MBMSEC_OK);
  assert_int_equal(mbmsec_srtp_set_keys(rx, ks, 1), MBMSEC_OK);
  uint8_t pkt[128], old[128];
  size_t len = 0, old_len = 0;
  for (uint16_t seq = 1; seq <= 40; seq++) {
    if (seq == 15) { /* the next MSK's MTK arrives at both ends */
      assert_int_equal(mbmsec_srtp_set_keys(rx, ks, 2), MBMSEC_OK);
      assert_int_equal(mbmsec_srtp_set_keys(tx, ks, 2), MBMSEC_OK);
    }
    const int second = seq >= 20;
    len = rtp(pkt, seq, 0x55u, second ? "after the change" : "before the change");
    assert_int_equal(
        mbmsec_srtp_protect(tx, second ? MSK2 : MSK1, second ? 1 : 9, pkt, &len, sizeof pkt),
        MBMSEC_OK);
    if (seq == 10) {
      memcpy(old, pkt, len);
      old_len = len;
    }
    assert_int_equal(mbmsec_srtp_unprotect(rx, pkt, &len, NULL), MBMSEC_OK);
    assert_memory_equal(pkt + 12, second ? "after the change" : "before the change", 16);
  }
  /* A packet from before the key update replayed after it: still refused. */
  assert_int_equal(mbmsec_srtp_unprotect(rx, old, &old_len, NULL), MBMSEC_ERR_SRTP_REPLAY);
  /* Key set rules. */
  mbmsec_srtp_key dup[2] = {ks[0], ks[0]};
  assert_int_equal(mbmsec_srtp_set_keys(rx, dup, 2), MBMSEC_ERR_SRTP_KEYS);
  assert_int_equal(mbmsec_srtp_set_keys(rx, ks, 0), MBMSEC_ERR_SRTP_KEYS);
  mbmsec_srtp_free(tx);
  mbmsec_srtp_free(rx);
}

int main(void)
{
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_roundtrip_and_refusals),
      cmocka_unit_test(test_changeover),
  };
  int rc = cmocka_run_group_tests(tests, NULL, NULL);
  mbmsec_crypto_cleanup();
  return rc;
}
