/* The BM-SC's transmission engine (lib/bmsc/bmsc_stream.c): the MTK time rule, MTK messages
 * decoded and verified as a UE does (rising MTK IDs inside the KV interval, the change-over to
 * the next MSK, repetitions for late joiners), SRTP packets that decrypt at a libsrtp receiver
 * holding the MTK and are refused by one that does not. The derivation's known answer comes
 * from Python's hmac/hashlib (tests/ref: computed once, code we did not write). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "mbmsec/bmsc_stream.h"
#include "mbmsec/crypto.h"
#include "mbmsec/encode.h"
#include "mbmsec/mikey_msg.h"
#include "mbmsec/srtp.h"

static const uint8_t KDID[3] = {0x00, 0xf1, 0x10};
#define T0 1000000000000LL /* Unix ms */

static void msk_fill(mbmsec_bmsc_stream_msk *m, uint16_t kn, int64_t from, int64_t to, uint16_t vf,
                     uint16_t vt)
{
  memset(m, 0, sizeof *m);
  m->msk_id[1] = 1;
  m->msk_id[2] = (uint8_t)(kn >> 8);
  m->msk_id[3] = (uint8_t)kn;
  for (size_t i = 0; i < sizeof m->msk; i++) m->msk[i] = (uint8_t)(kn * 31 + i);
  m->valid_from_ms = from, m->valid_to_ms = to, m->vf = vf, m->vt = vt;
}

static mbmsec_bmsc_stream *new_stream(uint32_t interval, uint32_t lead, uint32_t period)
{
  mbmsec_bmsc_stream_conf c = {.mtk_interval_ms = interval,
                               .mtk_lead_ms = lead,
                               .mtk_period_ms = period,
                               .ssrc = 0x11223344,
                               .first_seq = 65500,
                               .first_ts = 7};
  memcpy(c.kdid, KDID, 3);
  mbmsec_bmsc_stream *s = NULL;
  assert_int_equal(mbmsec_bmsc_stream_new(&c, &s), MBMSEC_OK);
  return s;
}

/* Known answer: HMAC-SHA-256(00..0f, "mbmsec MTK" || 00f110 || 00010002 || 0007), Python. */
static void test_derive_known_answer(void **st)
{
  (void)st;
  uint8_t msk[16], mtk[16], salt[14], want_mtk[16], want_salt[14];
  for (int i = 0; i < 16; i++) msk[i] = (uint8_t)i;
  const uint8_t id[4] = {0, 1, 0, 2};
  size_t n;
  assert_int_equal(mbmsec_hex_decode("83f2cb1f3d8a948e3b2dfb00aeaca601", 32, want_mtk, 16, &n),
                   MBMSEC_OK);
  assert_int_equal(mbmsec_hex_decode("ea22579e23041c5d28620c134471", 28, want_salt, 14, &n),
                   MBMSEC_OK);
  assert_int_equal(mbmsec_bmsc_mtk_derive(msk, KDID, id, 7, mtk, salt), MBMSEC_OK);
  assert_memory_equal(mtk, want_mtk, 16);
  assert_memory_equal(salt, want_salt, 14);
  assert_int_equal(mbmsec_bmsc_mtk_derive(NULL, KDID, id, 7, mtk, salt), MBMSEC_ERR_ARG);
}

/* MTK ID = vf + elapsed / interval, capped at vt; the highest valid key number wins. */
static void test_time_rule(void **st)
{
  (void)st;
  mbmsec_bmsc_stream *s = new_stream(10000, 0, 1000);
  mbmsec_bmsc_stream_msk m[3];
  msk_fill(&m[0], 1, T0, T0 + 60000, 5, 65535);
  msk_fill(&m[1], 2, T0 + 60000, T0 + 120000, 1, 3);
  msk_fill(&m[2], 3, T0 + 120000, T0 + 180000, 1, 65535);
  assert_int_equal(mbmsec_bmsc_stream_set_msks(s, m, 3), MBMSEC_OK);
  mbmsec_bmsc_stream_mtk k;
  assert_int_equal(mbmsec_bmsc_stream_mtk_at(s, T0 - 1, &k), MBMSEC_ERR_BMSC_STREAM_NO_MSK);
  assert_int_equal(mbmsec_bmsc_stream_mtk_at(s, T0, &k), MBMSEC_OK);
  assert_int_equal(k.mtk_id, 5);
  assert_int_equal(k.msk_id[3], 1);
  assert_int_equal(mbmsec_bmsc_stream_mtk_at(s, T0 + 19999, &k), MBMSEC_OK);
  assert_int_equal(k.mtk_id, 6);
  assert_int_equal(mbmsec_bmsc_stream_mtk_at(s, T0 + 59999, &k), MBMSEC_OK);
  assert_int_equal(k.mtk_id, 10);
  assert_int_equal(mbmsec_bmsc_stream_mtk_at(s, T0 + 60000, &k), MBMSEC_OK);
  assert_int_equal(k.msk_id[3], 2);
  assert_int_equal(k.mtk_id, 1);
  assert_int_equal(mbmsec_bmsc_stream_mtk_at(s, T0 + 119999, &k), MBMSEC_OK);
  assert_int_equal(k.mtk_id, 3); /* capped at vt */
  assert_int_equal(mbmsec_bmsc_stream_mtk_at(s, T0 + 180000, &k), MBMSEC_ERR_BMSC_STREAM_NO_MSK);
  /* overlapping validity: the higher key number is in force */
  msk_fill(&m[1], 2, T0 + 30000, T0 + 120000, 1, 65535);
  assert_int_equal(mbmsec_bmsc_stream_set_msks(s, m, 3), MBMSEC_OK);
  assert_int_equal(mbmsec_bmsc_stream_mtk_at(s, T0 + 30000, &k), MBMSEC_OK);
  assert_int_equal(k.msk_id[3], 2);
  /* bad MSKs and arguments change nothing */
  msk_fill(&m[0], 9, T0, T0, 1, 2);
  assert_int_equal(mbmsec_bmsc_stream_set_msks(s, m, 1), MBMSEC_ERR_ARG);
  assert_int_equal(mbmsec_bmsc_stream_mtk_at(s, T0 + 30000, &k), MBMSEC_OK);
  assert_int_equal(k.msk_id[3], 2);
  mbmsec_bmsc_stream_conf bad = {.mtk_interval_ms = 0, .mtk_period_ms = 1};
  mbmsec_bmsc_stream *b = NULL;
  assert_int_equal(mbmsec_bmsc_stream_new(&bad, &b), MBMSEC_ERR_ARG);
  assert_null(b);
  mbmsec_bmsc_stream_free(s);
}

/* A UE's view: the MSKs and per-MSK replay state (counter, last MTK ID) of mikey_msg's verifier. */
typedef struct {
  mbmsec_bmsc_stream_msk msk[2];
  mbmsec_mikey_psk psk[2];
} ue_view;

static mbmsec_err key_cb(void *ctx, const mbmsec_mikey_key_ref *ref, mbmsec_mikey_psk *out)
{
  ue_view *u = ctx;
  for (int i = 0; i < 2; i++)
    if (ref->kind == MBMSEC_MIKEY_KEY_MSK && !memcmp(ref->msk_id, u->msk[i].msk_id, 4)) {
      *out = u->psk[i];
      return MBMSEC_OK;
    }
  return MBMSEC_ERR_MIKEY_UNKNOWN_KEY;
}

/* 130 s of stream over two MSKs in 20 ms steps: every due MTK message verified as a UE does,
 * MTK IDs rising inside VF..VT, the MSK change-over announced ahead, repetitions refused as
 * such; every packet decrypts at the receiver holding the MTKs from those messages (none
 * refused for want of a key), with the generated payload intact; a receiver without the MTKs
 * refuses them, one with another MSK's MTKs too. */
static void test_messages_and_packets(void **st)
{
  (void)st;
  mbmsec_bmsc_stream *s = new_stream(20000, 1000, 1000);
  ue_view u;
  memset(&u, 0, sizeof u);
  msk_fill(&u.msk[0], 1, T0, T0 + 70000, 1, 65535);
  msk_fill(&u.msk[1], 2, T0 + 70000, T0 + 140000, 10, 12);
  for (int i = 0; i < 2; i++) {
    u.psk[i].vf = u.msk[i].vf, u.psk[i].vt = u.msk[i].vt;
    memcpy(u.psk[i].key, u.msk[i].msk, 16);
    u.psk[i].key_len = 16;
  }
  assert_int_equal(mbmsec_bmsc_stream_set_msks(s, u.msk, 2), MBMSEC_OK);

  mbmsec_srtp *rx = NULL, *rx_none = NULL, *rx_other = NULL;
  assert_int_equal(mbmsec_srtp_new(1, 0, &rx), MBMSEC_OK);
  assert_int_equal(mbmsec_srtp_new(1, 0, &rx_none), MBMSEC_OK);
  assert_int_equal(mbmsec_srtp_new(1, 0, &rx_other), MBMSEC_OK);
  mbmsec_srtp_key held[2], other;
  size_t n_held = 0;
  uint32_t counter = 0, taken = 0, repeats = 0, packets = 0;
  uint16_t ids[64];
  uint8_t id_msk[64];
  uint8_t msg[300], pkt[300];
  for (int64_t t = T0; t < T0 + 130000; t += 20) {
    mbmsec_bmsc_stream_mtk due;
    int64_t next = 0;
    if (mbmsec_bmsc_stream_mtk_due(s, t, &due, &next)) {
      size_t len = 0;
      assert_int_equal(mbmsec_bmsc_stream_mtk_message(s, &due, ++counter, t, msg, sizeof msg, &len),
                       MBMSEC_OK);
      mbmsec_mikey_mtk_info info;
      mbmsec_err rc = mbmsec_mikey_mtk_verify(msg, len, key_cb, &u, NULL, &info);
      const int w = info.msk_id[3] == 2 || (rc != MBMSEC_OK && due.msk_id[3] == 2);
      if (rc == MBMSEC_OK) {
        assert_true(taken < 64);
        ids[taken] = info.mtk_id, id_msk[taken++] = info.msk_id[3];
        u.psk[w].counter = info.counter, u.psk[w].has_last_mtk = 1,
        u.psk[w].last_mtk_id = info.mtk_id;
        /* the UE keeps the last two MTKs */
        if (n_held == 2) held[0] = held[1], n_held = 1;
        memcpy(held[n_held].msk_id, info.msk_id, 4);
        held[n_held].mtk_id = info.mtk_id;
        memcpy(held[n_held].mtk, info.mtk, 16);
        memcpy(held[n_held].salt, info.salt, 14);
        n_held++;
        assert_int_equal(mbmsec_srtp_set_keys(rx, held, n_held), MBMSEC_OK);
      } else {
        assert_int_equal(rc, MBMSEC_ERR_MIKEY_MTK_REPEAT);
        repeats++;
      }
      mbmsec_mikey_mtk_info_cleanse(&info);
    } else {
      assert_true(next > t);
    }
    if ((t - T0) % 100 == 0) { /* a packet every 100 ms */
      size_t len = 0;
      mbmsec_bmsc_stream_mtk used;
      assert_int_equal(mbmsec_bmsc_stream_packet(s, t, NULL, 160, pkt, sizeof pkt, &len, &used),
                       MBMSEC_OK);
      uint8_t copy[300];
      memcpy(copy, pkt, len);
      size_t l2 = len, l3 = len;
      assert_int_equal(mbmsec_srtp_unprotect(rx, pkt, &len, NULL), MBMSEC_OK);
      assert_int_equal(len, 12 + 160);
      uint8_t want[160];
      const uint16_t seq = (uint16_t)(65500 + packets);
      mbmsec_bmsc_stream_gen_payload(seq, packets, want, sizeof want);
      assert_memory_equal(pkt + 12, want, sizeof want);
      assert_int_equal(pkt[2] << 8 | pkt[3], seq);
      packets++;
      uint8_t c2[300];
      memcpy(c2, copy, l2);
      assert_int_equal(mbmsec_srtp_unprotect(rx_none, c2, &l2, NULL), MBMSEC_ERR_SRTP_NO_KEY);
      /* right MKI, wrong key: the other MSK's MTK of the same ID */
      memcpy(other.msk_id, used.msk_id, 4);
      other.mtk_id = used.mtk_id;
      const mbmsec_bmsc_stream_msk *om = &u.msk[used.msk_id[3] == 1 ? 1 : 0];
      assert_int_equal(
          mbmsec_bmsc_mtk_derive(om->msk, KDID, used.msk_id, used.mtk_id, other.mtk, other.salt),
          MBMSEC_OK);
      assert_int_equal(mbmsec_srtp_set_keys(rx_other, &other, 1), MBMSEC_OK);
      assert_int_equal(mbmsec_srtp_unprotect(rx_other, copy, &l3, NULL), MBMSEC_ERR_SRTP_AUTH);
    }
  }
  assert_int_equal(packets, 1300);
  assert_int_equal(mbmsec_bmsc_stream_packets(s), 1300);
  /* MSK 1 (70 s, 20 s per MTK): MTKs 1..4; MSK 2 (VF 10, VT 12): 10, 11, 12 (capped) */
  const uint16_t want_ids[] = {1, 2, 3, 4, 10, 11, 12};
  const uint8_t want_msk[] = {1, 1, 1, 1, 2, 2, 2};
  assert_int_equal(taken, 7);
  for (size_t i = 0; i < 7; i++) {
    assert_int_equal(ids[i], want_ids[i]);
    assert_int_equal(id_msk[i], want_msk[i]);
  }
  /* about one repetition per second besides the 7 new MTKs */
  assert_in_range(repeats, 120, 130);
  mbmsec_srtp_stats rs;
  mbmsec_srtp_get_stats(rx, &rs);
  assert_int_equal(rs.ok, 1300);
  assert_int_equal(rs.no_key + rs.auth + rs.replay + rs.malformed, 0);
  mbmsec_srtp_free(rx);
  mbmsec_srtp_free(rx_none);
  mbmsec_srtp_free(rx_other);
  mbmsec_cleanse(held, sizeof held);
  mbmsec_cleanse(&other, sizeof other);
  mbmsec_cleanse(&u, sizeof u);
  mbmsec_bmsc_stream_free(s);
}

/* Started inside the lead: the MTK in force goes out first, the one ahead right after it, then
 * nothing until the period. */
static void test_first_message_in_force(void **st)
{
  (void)st;
  mbmsec_bmsc_stream *s = new_stream(20000, 1000, 1000);
  mbmsec_bmsc_stream_msk k;
  msk_fill(&k, 1, T0, T0 + 60000, 1, 65535);
  assert_int_equal(mbmsec_bmsc_stream_set_msks(s, &k, 1), MBMSEC_OK);
  mbmsec_bmsc_stream_mtk m;
  int64_t next = 0;
  uint8_t msg[300];
  size_t len = 0;
  const int64_t t = T0 + 19500;
  assert_int_equal(mbmsec_bmsc_stream_mtk_due(s, t, &m, &next), 1);
  assert_int_equal(m.mtk_id, 1);
  assert_int_equal(mbmsec_bmsc_stream_mtk_message(s, &m, 1, t, msg, sizeof msg, &len), MBMSEC_OK);
  assert_int_equal(mbmsec_bmsc_stream_mtk_due(s, t, &m, &next), 1);
  assert_int_equal(m.mtk_id, 2);
  assert_int_equal(mbmsec_bmsc_stream_mtk_message(s, &m, 2, t, msg, sizeof msg, &len), MBMSEC_OK);
  assert_int_equal(mbmsec_bmsc_stream_mtk_due(s, t + 999, &m, &next), 0);
  assert_int_equal(next, t + 1000);
  assert_int_equal(mbmsec_bmsc_stream_mtk_due(s, t + 1000, &m, &next), 1);
  assert_int_equal(m.mtk_id, 2);
  mbmsec_bmsc_stream_free(s);
}

/* No MSK: nothing due, no packet; the packet counter does not move on error. */
static void test_no_msk(void **st)
{
  (void)st;
  mbmsec_bmsc_stream *s = new_stream(1000, 0, 1000);
  mbmsec_bmsc_stream_mtk m;
  int64_t next = 0;
  assert_int_equal(mbmsec_bmsc_stream_mtk_due(s, T0, &m, &next), 0);
  assert_true(next > T0);
  uint8_t pkt[300];
  size_t len = 0;
  assert_int_equal(mbmsec_bmsc_stream_packet(s, T0, NULL, 160, pkt, sizeof pkt, &len, NULL),
                   MBMSEC_ERR_BMSC_STREAM_NO_MSK);
  assert_int_equal(mbmsec_bmsc_stream_packets(s), 0);
  mbmsec_bmsc_stream_msk k;
  msk_fill(&k, 1, T0, T0 + 1000, 1, 9);
  assert_int_equal(mbmsec_bmsc_stream_set_msks(s, &k, 1), MBMSEC_OK);
  assert_int_equal(mbmsec_bmsc_stream_packet(s, T0, NULL, 160, pkt, 100, &len, NULL),
                   MBMSEC_ERR_SPACE);
  assert_int_equal(mbmsec_bmsc_stream_packet(s, T0, NULL, 3, pkt, sizeof pkt, &len, NULL),
                   MBMSEC_ERR_ARG);
  m.msk_id[3] = 7;
  assert_int_equal(mbmsec_bmsc_stream_mtk_message(s, &m, 1, T0, pkt, sizeof pkt, &len),
                   MBMSEC_ERR_BMSC_STREAM_NO_MSK);
  assert_int_equal(mbmsec_bmsc_stream_packets(s), 0);
  mbmsec_bmsc_stream_free(s);
}

/* Fail every allocation (nghttp2's test): the engine's own malloc/calloc, and those of the
 * lib/srtp wrapper and lib/ it reaches, are wrapped at link time (-Wl,--wrap; libsrtp and
 * OpenSSL are shared libraries and keep theirs). For n = 1, 2, ... the n-th allocation of a
 * whole round (new, set MSKs, MTK message, packet) fails: the call that hit it reports
 * MBMSEC_ERR_NOMEM (or the SRTP error libsrtp maps it to), nothing leaks (ASan in the clang
 * build), and the stream still works once memory is back. */
#include "../lib/fail_alloc.h"

static mbmsec_err round_trip(void)
{
  mbmsec_bmsc_stream_conf c = {
      .mtk_interval_ms = 1000, .mtk_lead_ms = 100, .mtk_period_ms = 500, .ssrc = 7};
  memcpy(c.kdid, KDID, 3);
  mbmsec_bmsc_stream *s = NULL;
  mbmsec_err rc = mbmsec_bmsc_stream_new(&c, &s);
  if (rc != MBMSEC_OK) {
    assert_null(s);
    return rc;
  }
  mbmsec_bmsc_stream_msk k[2];
  msk_fill(&k[0], 1, T0, T0 + 10000, 1, 99);
  msk_fill(&k[1], 2, T0 + 10000, T0 + 20000, 1, 99);
  uint8_t buf[300];
  size_t len = 0;
  mbmsec_bmsc_stream_mtk m;
  if ((rc = mbmsec_bmsc_stream_set_msks(s, k, 2)) == MBMSEC_OK &&
      (rc = mbmsec_bmsc_stream_mtk_due(s, T0, &m, NULL)
                ? MBMSEC_OK
                : MBMSEC_ERR_BMSC_STREAM_NO_MSK) == MBMSEC_OK &&
      (rc = mbmsec_bmsc_stream_mtk_message(s, &m, 1, T0, buf, sizeof buf, &len)) == MBMSEC_OK)
    rc = mbmsec_bmsc_stream_packet(s, T0 + 950, NULL, 160, buf, sizeof buf, &len, NULL);
  mbmsec_bmsc_stream_free(s);
  return rc;
}

static void test_fail_every_allocation(void **st)
{
  (void)st;
  g_fail_at = 0;
  assert_int_equal(round_trip(), MBMSEC_OK); /* warm: per-thread crypto contexts exist */
  long n;
  for (n = 1; n < 1000; n++) {
    g_fail_at = n;
    g_allocs = 0;
    const mbmsec_err rc = round_trip();
    g_fail_at = 0;
    if (g_allocs < n) { /* the round made fewer allocations: none failed */
      assert_int_equal(rc, MBMSEC_OK);
      break;
    }
    assert_true(rc == MBMSEC_ERR_NOMEM || rc == MBMSEC_ERR_SRTP);
    assert_int_equal(round_trip(), MBMSEC_OK); /* and it works again */
  }
  print_message("%ld allocations in a round, each failed once\n", n - 1);
  assert_true(n > 1 && n < 1000);
}

int main(void)
{
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_derive_known_answer),
      cmocka_unit_test(test_time_rule),
      cmocka_unit_test(test_messages_and_packets),
      cmocka_unit_test(test_first_message_in_force),
      cmocka_unit_test(test_no_msk),
      cmocka_unit_test(test_fail_every_allocation),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
