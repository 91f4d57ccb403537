/* The BM-SC's MSK delivery engine against the library's UE side: the seed flow (MSK message
 * -> UE verifies under its MUK -> verification message -> delivered); the P13 retransmission
 * schedule (0, 2, 6, 14, 30 s; failed at 62 s) with rising counters; a verification answering
 * an earlier try; refusals (wrong MAC, CSB ID, source, replay, garbage) that change nothing;
 * O4 duplicates answered; counters that never repeat across a crash (durable per-MUK blocks);
 * V off; solicited pulls; CSB ID uniqueness; 1,000 UEs interleaved; threads; UDP on loopback. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <pthread.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <cmocka.h>

#include "mbmsec/bmsc_delivery.h"
#include "mbmsec/bmsc_udp.h"
#include "mbmsec/crypto.h"
#include "mbmsec/mikey_msg.h"
#include "mbmsec/mikey_state.h"

#define FQDN  "bmsc.example.org"
#define BTID  "I1U8vpY3qJ0hiuZNrke/NQ==@bsf.example.org"
#define UE_IP 0x7f000005u
static const uint8_t KDID[3] = {0x00, 0xf1, 0x10}, MSK_ID[4] = {0, 1, 0, 2};
static uint8_t g_muk[32], g_msk[16];

/* Captured datagrams. */
#define OUT_MAX 8192
typedef struct {
  uint8_t msg[400];
  size_t len;
  uint32_t ipv4;
  uint16_t port;
} out_t;
static out_t *g_out;
static size_t g_n;
static int g_fail_send;
static pthread_mutex_t g_out_lock = PTHREAD_MUTEX_INITIALIZER;

static int cap_send(void *user, uint32_t ipv4, uint16_t port, const uint8_t *msg, size_t len)
{
  (void)user;
  if (g_fail_send) return -1;
  pthread_mutex_lock(&g_out_lock);
  int rc = -1;
  if (g_n < OUT_MAX && len <= sizeof g_out[0].msg) {
    memcpy(g_out[g_n].msg, msg, len);
    g_out[g_n].len = len, g_out[g_n].ipv4 = ipv4, g_out[g_n].port = port;
    g_n++;
    rc = 0;
  }
  pthread_mutex_unlock(&g_out_lock);
  return rc;
}

/* Events seen, by type. */
static unsigned g_ev[4], g_ev_tries[4];
static void on_event(void *user, mbmsec_bmsc_event ev, const char *btid, const uint8_t msk_id[4],
                     int pull, unsigned tries)
{
  (void)user, (void)btid, (void)msk_id, (void)pull;
  pthread_mutex_lock(&g_out_lock);
  g_ev[ev]++;
  g_ev_tries[ev] = tries;
  pthread_mutex_unlock(&g_out_lock);
}

/* The UE's MUK: ctx if given, else g_muk. */
static mbmsec_err muk_cb(void *ctx, const uint8_t *idi, size_t idi_len, const uint8_t *idr,
                         size_t idr_len, uint8_t *muk, size_t cap, size_t *len)
{
  (void)idi, (void)idi_len, (void)idr, (void)idr_len;
  if (cap < 32) return MBMSEC_ERR_ARG;
  memcpy(muk, ctx ? ctx : g_muk, 32);
  *len = 32;
  return MBMSEC_OK;
}

typedef struct {
  char db[64];
  mbmsec_store *st;
  mbmsec_bmsc_dl *dl;
} fx;

static fx *fx_open_v(const char *db, unsigned tries, int v_flag)
{
  fx *f = calloc(1, sizeof *f);
  snprintf(f->db, sizeof f->db, "%s", db);
  assert_int_equal(mbmsec_store_open(f->db, &f->st), MBMSEC_OK);
  mbmsec_bmsc_dl_config c = {.fqdn = FQDN,
                             .v_flag = v_flag,
                             .store = f->st,
                             .send = cap_send,
                             .counter_block = 10,
                             .tries = tries,
                             .event = on_event};
  assert_int_equal(mbmsec_bmsc_dl_new(&c, &f->dl), MBMSEC_OK);
  assert_int_equal(mbmsec_bmsc_dl_ue_set(f->dl, BTID, g_muk, UE_IP, 2269), MBMSEC_OK);
  return f;
}

static fx *fx_open(const char *db, unsigned tries) { return fx_open_v(db, tries, 1); }

static void fx_close(fx *f)
{
  mbmsec_bmsc_dl_free(f->dl);
  mbmsec_store_close(f->st);
  free(f);
}

static void tmp_db(char *db)
{
  int fd = mkstemp(db);
  close(fd);
  unlink(db);
}

static int setup(void **state)
{
  (void)state;
  g_n = 0;
  g_fail_send = 0;
  memset(g_ev, 0, sizeof g_ev);
  mbmsec_random(g_muk, sizeof g_muk);
  mbmsec_random(g_msk, sizeof g_msk);
  return 0;
}

static uint32_t be32(const uint8_t *p)
{
  return ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) | ((uint32_t)p[2] << 8) | p[3];
}
/* MSK message layout (mikey.md 7.1): CSB ID at offset 4, T's counter at offset 27. */
static uint32_t counter_of(const uint8_t *msg) { return be32(msg + 27); }
static uint32_t csb_of(const uint8_t *msg) { return be32(msg + 4); }

/* The UE side (state object): accepts g_out[i] and returns the verification message. */
static void ue_answer(mbmsec_mikey_state *ue, size_t i, mbmsec_mikey_msk_outcome want, uint8_t *ver,
                      size_t *ver_len)
{
  mbmsec_mikey_msk_result r;
  assert_int_equal(
      mbmsec_mikey_state_accept_msk(ue, g_out[i].msg, g_out[i].len, muk_cb, NULL, NULL, &r),
      MBMSEC_OK);
  assert_int_equal(r.outcome, want);
  if (want != MBMSEC_MIKEY_MSK_PULL) assert_memory_equal(r.info.msk, g_msk, 16);
  assert_true(r.ver_len > 0);
  memcpy(ver, r.ver, r.ver_len);
  *ver_len = r.ver_len;
  mbmsec_mikey_msk_info_cleanse(&r.info);
}

static void assert_stats_same(mbmsec_bmsc_dl *dl, const mbmsec_bmsc_dl_counts *before)
{
  mbmsec_bmsc_dl_counts now;
  mbmsec_bmsc_dl_get_counts(dl, &now);
  assert_memory_equal(&now, before, sizeof now);
}

static void test_seed_flow(void **state)
{
  setup(state);
  char db[] = "/tmp/mbmsec-dl-XXXXXX";
  tmp_db(db);
  fx *f = fx_open(db, 0);
  assert_int_equal(mbmsec_bmsc_dl_deliver(f->dl, BTID, KDID, MSK_ID, g_msk, 1, 100, 0), MBMSEC_OK);
  assert_int_equal(g_n, 1);
  assert_int_equal(g_out[0].ipv4, UE_IP);
  assert_int_equal(g_out[0].port, 2269);
  assert_int_equal(mbmsec_bmsc_dl_get(f->dl, BTID, MSK_ID), MBMSEC_BMSC_DL_PENDING);
  mbmsec_bmsc_dl_counts c0;
  mbmsec_bmsc_dl_get_counts(f->dl, &c0);
  assert_int_equal(c0.ues, 1);
  assert_int_equal(c0.pending, 1);

  /* The UE: accepts under its MUK, answers with a verification message. */
  mbmsec_mikey_state *ue = mbmsec_mikey_state_new();
  uint8_t ver[MBMSEC_MIKEY_VER_MSG_MAX], bad[MBMSEC_MIKEY_VER_MSG_MAX];
  size_t vl = 0;
  ue_answer(ue, 0, MBMSEC_MIKEY_MSK_NEW, ver, &vl);

  /* Refusals that change nothing: wrong MAC, wrong CSB ID, wrong source, garbage, not a
   * verification message (the MSK message itself), unknown IDr. */
  memcpy(bad, ver, vl);
  bad[vl - 1] ^= 1;
  assert_int_equal(mbmsec_bmsc_dl_on_datagram(f->dl, UE_IP, 2269, bad, vl, 10),
                   MBMSEC_ERR_BMSC_VERIFY);
  memcpy(bad, ver, vl);
  bad[7] ^= 1; /* CSB ID */
  assert_int_equal(mbmsec_bmsc_dl_on_datagram(f->dl, UE_IP, 2269, bad, vl, 10),
                   MBMSEC_ERR_BMSC_NO_DELIVERY);
  assert_int_equal(mbmsec_bmsc_dl_on_datagram(f->dl, UE_IP + 1, 2269, ver, vl, 10),
                   MBMSEC_ERR_BMSC_SOURCE);
  assert_int_equal(mbmsec_bmsc_dl_on_datagram(f->dl, UE_IP, 2269, (const uint8_t *)"junk", 4, 10),
                   MBMSEC_ERR_MIKEY_VERSION);
  assert_int_equal(mbmsec_bmsc_dl_on_datagram(f->dl, UE_IP, 2269, g_out[0].msg, g_out[0].len, 10),
                   MBMSEC_ERR_BMSC_NOT_VERIFICATION);
  memcpy(bad, ver, vl);
  bad[20] ^= 1; /* first octet of the IDr data: another B-TID */
  assert_int_equal(mbmsec_bmsc_dl_on_datagram(f->dl, UE_IP, 2269, bad, vl, 10),
                   MBMSEC_ERR_BMSC_UNKNOWN_UE);
  assert_int_equal(mbmsec_bmsc_dl_get(f->dl, BTID, MSK_ID), MBMSEC_BMSC_DL_PENDING);
  assert_stats_same(f->dl, &c0);
  assert_int_equal(g_ev[MBMSEC_BMSC_EV_DELIVERED], 0);

  /* The real one completes the delivery (from another port of the UE's address); replayed
   * afterwards it matches nothing. */
  assert_int_equal(mbmsec_bmsc_dl_on_datagram(f->dl, UE_IP, 40000, ver, vl, 20), MBMSEC_OK);
  assert_int_equal(mbmsec_bmsc_dl_get(f->dl, BTID, MSK_ID), MBMSEC_BMSC_DL_DELIVERED);
  assert_int_equal(g_ev[MBMSEC_BMSC_EV_DELIVERED], 1);
  mbmsec_bmsc_dl_counts c1;
  mbmsec_bmsc_dl_get_counts(f->dl, &c1);
  assert_int_equal(c1.pending, 0);
  assert_int_equal(c1.delivered, 1);
  assert_int_equal(mbmsec_bmsc_dl_on_datagram(f->dl, UE_IP, 2269, ver, vl, 30),
                   MBMSEC_ERR_BMSC_NO_DELIVERY);
  assert_stats_same(f->dl, &c1);
  assert_int_equal(mbmsec_bmsc_dl_tick(f->dl, 100000), -1); /* nothing pending: no resend */
  assert_int_equal(g_n, 1);
  mbmsec_bmsc_dl_stats st;
  mbmsec_bmsc_dl_get_stats(f->dl, &st);
  assert_int_equal(st.sent, 1);
  assert_int_equal(st.acked, 1);
  assert_int_equal(st.refused_mac, 1);
  assert_int_equal(st.refused_csb_id, 2);
  assert_int_equal(st.refused_source, 1);
  assert_int_equal(st.refused_malformed, 2);
  assert_int_equal(st.refused_unknown_ue, 1);
  assert_int_equal(st.bad_verification, 7);

  mbmsec_bmsc_dl_ue_info info;
  assert_int_equal(mbmsec_bmsc_dl_ue_get(f->dl, BTID, &info), MBMSEC_OK);
  assert_int_equal(info.ipv4, UE_IP);
  assert_int_equal(info.n, 1);
  assert_int_equal(info.e[0].state, MBMSEC_BMSC_DL_DELIVERED);
  assert_memory_equal(info.e[0].msk_id, MSK_ID, 4);
  assert_int_equal(info.next_counter, counter_of(g_out[0].msg) + 1);
  mbmsec_mikey_state_free(ue);
  fx_close(f);
  unlink(db);
}

static void test_retransmission(void **state)
{
  setup(state);
  char db[] = "/tmp/mbmsec-dl-XXXXXX";
  tmp_db(db);
  fx *f = fx_open(db, 0);
  assert_int_equal(mbmsec_bmsc_dl_deliver(f->dl, BTID, KDID, MSK_ID, g_msk, 1, 100, 0), MBMSEC_OK);
  /* P13: tries at 0, 2, 6, 14, 30 s; failed at 62 s. Drive time one second at a time. */
  int64_t sent_at[8];
  size_t seen = 1;
  sent_at[0] = 0;
  for (int64_t t = 1000; t <= 70000; t += 1000) {
    const int64_t next = mbmsec_bmsc_dl_tick(f->dl, t);
    if (g_n > seen) sent_at[seen++] = t;
    if (t < 62000) {
      assert_int_equal(mbmsec_bmsc_dl_get(f->dl, BTID, MSK_ID), MBMSEC_BMSC_DL_PENDING);
      const int64_t want_next = t < 2000    ? 2000
                                : t < 6000  ? 6000
                                : t < 14000 ? 14000
                                : t < 30000 ? 30000
                                            : 62000;
      assert_int_equal(next, want_next);
    } else {
      assert_int_equal(next, -1);
    }
  }
  assert_int_equal(g_n, 5);
  const int64_t want[5] = {0, 2000, 6000, 14000, 30000};
  for (int i = 0; i < 5; i++) assert_int_equal(sent_at[i], want[i]);
  assert_int_equal(mbmsec_bmsc_dl_get(f->dl, BTID, MSK_ID), MBMSEC_BMSC_DL_FAILED);
  assert_int_equal(g_ev[MBMSEC_BMSC_EV_RETRANSMITTED], 4);
  assert_int_equal(g_ev[MBMSEC_BMSC_EV_FAILED], 1);
  assert_int_equal(g_ev_tries[MBMSEC_BMSC_EV_FAILED], 5);
  /* Every try: a new counter, strictly rising; the same CSB ID; a different message; and each
   * one verifies at the UE (a fresh UE each time: the MSK is new to it). */
  for (size_t i = 0; i < g_n; i++) {
    if (i > 0) {
      assert_true(counter_of(g_out[i].msg) > counter_of(g_out[i - 1].msg));
      assert_int_equal(csb_of(g_out[i].msg), csb_of(g_out[0].msg));
      assert_int_equal(g_out[i].len, g_out[0].len);
      assert_memory_not_equal(g_out[i].msg, g_out[i - 1].msg, g_out[i].len);
    }
    mbmsec_mikey_state *ue = mbmsec_mikey_state_new();
    uint8_t ver[MBMSEC_MIKEY_VER_MSG_MAX];
    size_t vl;
    ue_answer(ue, i, MBMSEC_MIKEY_MSK_NEW, ver, &vl);
    /* Too late: the delivery failed. */
    assert_int_equal(mbmsec_bmsc_dl_on_datagram(f->dl, UE_IP, 2269, ver, vl, 70000),
                     MBMSEC_ERR_BMSC_NO_DELIVERY);
    mbmsec_mikey_state_free(ue);
  }
  mbmsec_bmsc_dl_stats st;
  mbmsec_bmsc_dl_get_stats(f->dl, &st);
  assert_int_equal(st.retransmitted, 4);
  assert_int_equal(st.failed, 1);

  /* A second delivery: the UE answers the FIRST try only after the second went out. */
  g_n = 0;
  const uint8_t msk2[4] = {0, 1, 0, 3};
  assert_int_equal(mbmsec_bmsc_dl_deliver(f->dl, BTID, KDID, msk2, g_msk, 1, 100, 100000),
                   MBMSEC_OK);
  assert_int_equal(mbmsec_bmsc_dl_tick(f->dl, 102000), 106000);
  assert_int_equal(g_n, 2);
  mbmsec_mikey_state *ue = mbmsec_mikey_state_new();
  uint8_t v1[MBMSEC_MIKEY_VER_MSG_MAX], v2[MBMSEC_MIKEY_VER_MSG_MAX];
  size_t l1, l2;
  ue_answer(ue, 0, MBMSEC_MIKEY_MSK_NEW, v1, &l1);
  /* O4: the UE sees the same MSK again (the second try) and answers it too. */
  ue_answer(ue, 1, MBMSEC_MIKEY_MSK_DUPLICATE, v2, &l2);
  assert_memory_not_equal(v1, v2, l1); /* another counter echo and MAC */
  assert_int_equal(mbmsec_bmsc_dl_on_datagram(f->dl, UE_IP, 2269, v1, l1, 103000), MBMSEC_OK);
  assert_int_equal(mbmsec_bmsc_dl_get(f->dl, BTID, msk2), MBMSEC_BMSC_DL_DELIVERED);
  /* The answer to the second try arrives after completion: refused, nothing changes. */
  assert_int_equal(mbmsec_bmsc_dl_on_datagram(f->dl, UE_IP, 2269, v2, l2, 103001),
                   MBMSEC_ERR_BMSC_NO_DELIVERY);
  assert_int_equal(mbmsec_bmsc_dl_get(f->dl, BTID, msk2), MBMSEC_BMSC_DL_DELIVERED);
  assert_int_equal(mbmsec_bmsc_dl_tick(f->dl, 200000), -1);
  assert_int_equal(g_n, 2);

  /* A third delivery answered by the UE's reply to the SECOND try (the first was lost). */
  g_n = 0;
  const uint8_t msk3[4] = {0, 1, 0, 4};
  assert_int_equal(mbmsec_bmsc_dl_deliver(f->dl, BTID, KDID, msk3, g_msk, 1, 100, 300000),
                   MBMSEC_OK);
  assert_int_equal(mbmsec_bmsc_dl_tick(f->dl, 302000), 306000);
  ue_answer(ue, 1, MBMSEC_MIKEY_MSK_NEW, v2, &l2);
  assert_int_equal(mbmsec_bmsc_dl_on_datagram(f->dl, UE_IP, 2269, v2, l2, 302500), MBMSEC_OK);
  assert_int_equal(mbmsec_bmsc_dl_get(f->dl, BTID, msk3), MBMSEC_BMSC_DL_DELIVERED);
  mbmsec_mikey_state_free(ue);
  fx_close(f);
  unlink(db);
}

/* Counters come from durable per-MUK blocks: an engine that dies without saving its position,
 * and a new one on the same store, never send a counter twice. 25 messages per life cross
 * block boundaries (blocks of 10). */
static void test_counters_across_crash(void **state)
{
  setup(state);
  char db[] = "/tmp/mbmsec-dl-XXXXXX";
  tmp_db(db);
  uint32_t last = 0;
  for (int life = 0; life < 3; life++) {
    fx *f = fx_open_v(db, 1, 0); /* V off: the slots are free again */
    for (int i = 0; i < 25; i++) {
      g_n = 0;
      uint8_t id[4] = {0, 1, 0, (uint8_t)(10 + i)};
      assert_int_equal(mbmsec_bmsc_dl_deliver(f->dl, BTID, KDID, id, g_msk, 1, 100, 0), MBMSEC_OK);
      assert_true(counter_of(g_out[0].msg) > last);
      last = counter_of(g_out[0].msg);
    }
    /* Removed and registered again in the same life: a new block, still greater. */
    assert_int_equal(mbmsec_bmsc_dl_ue_del(f->dl, BTID), MBMSEC_OK);
    assert_int_equal(mbmsec_bmsc_dl_ue_del(f->dl, BTID), MBMSEC_ERR_BMSC_UNKNOWN_UE);
    assert_int_equal(mbmsec_bmsc_dl_ue_set(f->dl, BTID, g_muk, UE_IP, 2269), MBMSEC_OK);
    g_n = 0;
    assert_int_equal(mbmsec_bmsc_dl_deliver(f->dl, BTID, KDID, MSK_ID, g_msk, 1, 100, 0),
                     MBMSEC_OK);
    assert_true(counter_of(g_out[0].msg) > last);
    last = counter_of(g_out[0].msg);
    fx_close(f); /* the rest of the block is abandoned, as in a crash */
  }
  /* Another UE on the same store has its own counter (starts at 1). */
  fx *f = fx_open(db, 1);
  assert_int_equal(mbmsec_bmsc_dl_ue_set(f->dl, "other@bsf", g_muk, UE_IP, 2269), MBMSEC_OK);
  g_n = 0;
  assert_int_equal(mbmsec_bmsc_dl_deliver(f->dl, "other@bsf", KDID, MSK_ID, g_msk, 1, 100, 0),
                   MBMSEC_OK);
  assert_int_equal(counter_of(g_out[0].msg), 1);
  fx_close(f);
  unlink(db);
  /* Unknown UE, bad arguments. */
  f = fx_open(":memory:", 0);
  assert_int_equal(mbmsec_bmsc_dl_deliver(f->dl, "nobody@bsf", KDID, MSK_ID, g_msk, 1, 100, 0),
                   MBMSEC_ERR_BMSC_UNKNOWN_UE);
  assert_int_equal(mbmsec_bmsc_dl_pull(f->dl, "nobody@bsf", KDID, MSK_ID, 0),
                   MBMSEC_ERR_BMSC_UNKNOWN_UE);
  assert_int_equal(mbmsec_bmsc_dl_deliver(f->dl, BTID, KDID, MSK_ID, g_msk, 100, 1, 0),
                   MBMSEC_ERR_ARG);
  assert_int_equal(mbmsec_bmsc_dl_deliver(f->dl, BTID, KDID, MSK_ID, NULL, 1, 100, 0),
                   MBMSEC_ERR_ARG);
  assert_int_equal(mbmsec_bmsc_dl_ue_set(f->dl, "", g_muk, UE_IP, 2269), MBMSEC_ERR_LENGTH);
  char longid[300];
  memset(longid, 'a', sizeof longid - 1);
  longid[sizeof longid - 1] = 0;
  assert_int_equal(mbmsec_bmsc_dl_ue_set(f->dl, longid, g_muk, UE_IP, 2269), MBMSEC_ERR_LENGTH);
  mbmsec_bmsc_dl_ue_info info;
  assert_int_equal(mbmsec_bmsc_dl_ue_get(f->dl, "nobody@bsf", &info), MBMSEC_ERR_BMSC_UNKNOWN_UE);
  fx_close(f);
  mbmsec_bmsc_dl *dl = NULL;
  mbmsec_bmsc_dl_config bad = {.fqdn = FQDN, .send = cap_send};
  assert_int_equal(mbmsec_bmsc_dl_new(&bad, &dl), MBMSEC_ERR_ARG); /* no store */
  assert_null(dl);
}

/* V off: sent once, nothing pending, nothing retransmitted. */
static void test_v_off(void **state)
{
  setup(state);
  fx *f = fx_open_v(":memory:", 0, 0);
  assert_int_equal(mbmsec_bmsc_dl_deliver(f->dl, BTID, KDID, MSK_ID, g_msk, 1, 100, 0), MBMSEC_OK);
  assert_int_equal(g_n, 1);
  assert_int_equal(g_out[0].msg[3] & 0x80, 0); /* V bit clear */
  assert_int_equal(mbmsec_bmsc_dl_get(f->dl, BTID, MSK_ID), MBMSEC_BMSC_DL_SENT);
  assert_int_equal(mbmsec_bmsc_dl_tick(f->dl, 100000), -1);
  assert_int_equal(g_n, 1);
  mbmsec_mikey_state *ue = mbmsec_mikey_state_new();
  mbmsec_mikey_msk_result r;
  assert_int_equal(
      mbmsec_mikey_state_accept_msk(ue, g_out[0].msg, g_out[0].len, muk_cb, NULL, NULL, &r),
      MBMSEC_OK);
  assert_int_equal(r.ver_len, 0); /* the UE does not answer */
  mbmsec_mikey_msk_info_cleanse(&r.info);
  mbmsec_mikey_state_free(ue);
  mbmsec_bmsc_dl_counts c;
  mbmsec_bmsc_dl_get_counts(f->dl, &c);
  assert_int_equal(c.pending, 0);
  assert_int_equal(c.sent, 1);
  /* A failed send keeps nothing. */
  g_fail_send = 1;
  const uint8_t id2[4] = {0, 1, 0, 9};
  assert_int_equal(mbmsec_bmsc_dl_deliver(f->dl, BTID, KDID, id2, g_msk, 1, 100, 0),
                   MBMSEC_ERR_BMSC_SEND);
  assert_int_equal(mbmsec_bmsc_dl_get(f->dl, BTID, id2), MBMSEC_BMSC_DL_NONE);
  fx_close(f);
}

/* Lost sends during retransmission: the schedule goes on, the delivery fails at 62 s. */
static void test_send_errors(void **state)
{
  setup(state);
  fx *f = fx_open(":memory:", 0);
  assert_int_equal(mbmsec_bmsc_dl_deliver(f->dl, BTID, KDID, MSK_ID, g_msk, 1, 100, 0), MBMSEC_OK);
  g_fail_send = 1;
  assert_int_equal(mbmsec_bmsc_dl_tick(f->dl, 2000), 6000);
  assert_int_equal(mbmsec_bmsc_dl_tick(f->dl, 6000), 14000);
  g_fail_send = 0;
  assert_int_equal(mbmsec_bmsc_dl_tick(f->dl, 14000), 30000);
  assert_int_equal(g_n, 2);
  assert_int_equal(mbmsec_bmsc_dl_tick(f->dl, 30000), 62000);
  assert_int_equal(mbmsec_bmsc_dl_tick(f->dl, 62000), -1);
  assert_int_equal(mbmsec_bmsc_dl_get(f->dl, BTID, MSK_ID), MBMSEC_BMSC_DL_FAILED);
  mbmsec_bmsc_dl_stats st;
  mbmsec_bmsc_dl_get_stats(f->dl, &st);
  assert_int_equal(st.send_errors, 2);
  assert_int_equal(st.retransmitted, 4);
  assert_int_equal(st.failed, 1);
  fx_close(f);
}

/* tick's answer is the earliest deadline over UEs; early ticks send nothing. */
static void test_tick_deadlines(void **state)
{
  setup(state);
  fx *f = fx_open(":memory:", 0);
  assert_int_equal(mbmsec_bmsc_dl_ue_set(f->dl, "b@bsf", g_muk, UE_IP + 1, 2269), MBMSEC_OK);
  assert_int_equal(mbmsec_bmsc_dl_tick(f->dl, 0), -1);
  assert_int_equal(mbmsec_bmsc_dl_deliver(f->dl, BTID, KDID, MSK_ID, g_msk, 1, 100, 0), MBMSEC_OK);
  assert_int_equal(mbmsec_bmsc_dl_tick(f->dl, 1000), 2000);
  assert_int_equal(mbmsec_bmsc_dl_deliver(f->dl, "b@bsf", KDID, MSK_ID, g_msk, 1, 100, 500),
                   MBMSEC_OK);
  assert_int_equal(mbmsec_bmsc_dl_tick(f->dl, 1999), 2000);
  assert_int_equal(g_n, 2);
  assert_int_equal(mbmsec_bmsc_dl_tick(f->dl, 2000), 2500);
  assert_int_equal(g_n, 3);
  assert_int_equal(g_out[2].ipv4, UE_IP);
  assert_int_equal(mbmsec_bmsc_dl_tick(f->dl, 2400), 2500);
  assert_int_equal(mbmsec_bmsc_dl_tick(f->dl, 2500), 6000);
  assert_int_equal(g_n, 4);
  assert_int_equal(g_out[3].ipv4, UE_IP + 1);
  /* A later delivery with an earlier deadline is seen at once. */
  const uint8_t id2[4] = {0, 1, 0, 7};
  assert_int_equal(mbmsec_bmsc_dl_deliver(f->dl, BTID, KDID, id2, g_msk, 1, 100, 2600), MBMSEC_OK);
  assert_int_equal(mbmsec_bmsc_dl_tick(f->dl, 2700), 4600);
  /* Both UEs removed: the stale bound leads to one scan, then nothing is pending. */
  assert_int_equal(mbmsec_bmsc_dl_ue_del(f->dl, BTID), MBMSEC_OK);
  assert_int_equal(mbmsec_bmsc_dl_ue_del(f->dl, "b@bsf"), MBMSEC_OK);
  assert_int_equal(mbmsec_bmsc_dl_tick(f->dl, 4600), -1);
  assert_int_equal(mbmsec_bmsc_dl_tick(f->dl, 1000000), -1);
  fx_close(f);
}

/* P10 / O5: the pull carries no key, the UE answers it (V set), the answer completes it. */
static void test_pull(void **state)
{
  setup(state);
  fx *f = fx_open(":memory:", 0);
  assert_int_equal(mbmsec_bmsc_dl_pull(f->dl, BTID, KDID, MSK_ID, 0), MBMSEC_OK);
  assert_int_equal(g_n, 1);
  assert_int_equal(mbmsec_bmsc_dl_get(f->dl, BTID, MSK_ID), MBMSEC_BMSC_DL_NONE); /* no delivery */
  mbmsec_bmsc_dl_ue_info info;
  assert_int_equal(mbmsec_bmsc_dl_ue_get(f->dl, BTID, &info), MBMSEC_OK);
  assert_int_equal(info.n, 1);
  assert_int_equal(info.e[0].pull, 1);
  assert_int_equal(info.e[0].state, MBMSEC_BMSC_DL_PENDING);
  /* A delivery of the same MSK ID alongside: another slot, another CSB ID. */
  assert_int_equal(mbmsec_bmsc_dl_deliver(f->dl, BTID, KDID, MSK_ID, g_msk, 1, 100, 0), MBMSEC_OK);
  assert_int_not_equal(csb_of(g_out[0].msg), csb_of(g_out[1].msg));
  mbmsec_mikey_state *ue = mbmsec_mikey_state_new();
  uint8_t ver[MBMSEC_MIKEY_VER_MSG_MAX];
  size_t vl;
  ue_answer(ue, 0, MBMSEC_MIKEY_MSK_PULL, ver, &vl);
  assert_int_equal(mbmsec_bmsc_dl_on_datagram(f->dl, UE_IP, 2269, ver, vl, 10), MBMSEC_OK);
  assert_int_equal(mbmsec_bmsc_dl_ue_get(f->dl, BTID, &info), MBMSEC_OK);
  assert_int_equal(info.n, 2);
  assert_int_equal(info.e[0].state, MBMSEC_BMSC_DL_DELIVERED);
  assert_int_equal(info.e[1].state, MBMSEC_BMSC_DL_PENDING);
  ue_answer(ue, 1, MBMSEC_MIKEY_MSK_NEW, ver, &vl);
  assert_int_equal(mbmsec_bmsc_dl_on_datagram(f->dl, UE_IP, 2269, ver, vl, 10), MBMSEC_OK);
  assert_int_equal(mbmsec_bmsc_dl_get(f->dl, BTID, MSK_ID), MBMSEC_BMSC_DL_DELIVERED);
  mbmsec_mikey_state_free(ue);
  fx_close(f);
}

/* CSB IDs are unique among a UE's pending deliveries; a fifth pending delivery has no slot;
 * restarting a pending delivery forgets its old tries. */
static void test_slots_and_csb(void **state)
{
  setup(state);
  fx *f = fx_open(":memory:", 0);
  for (int round = 0; round < 200; round++) {
    g_n = 0;
    for (int i = 0; i < MBMSEC_BMSC_PENDING_PER_UE; i++) {
      const uint8_t id[4] = {0, 1, 0, (uint8_t)(i + 1)};
      assert_int_equal(mbmsec_bmsc_dl_deliver(f->dl, BTID, KDID, id, g_msk, 1, 100, 0), MBMSEC_OK);
    }
    for (size_t a = 0; a < g_n; a++)
      for (size_t b = a + 1; b < g_n; b++)
        assert_int_not_equal(csb_of(g_out[a].msg), csb_of(g_out[b].msg));
  }
  const uint8_t id5[4] = {0, 1, 0, 5};
  assert_int_equal(mbmsec_bmsc_dl_deliver(f->dl, BTID, KDID, id5, g_msk, 1, 100, 0),
                   MBMSEC_ERR_BMSC_FULL);
  /* Restart id 1: the answer to its previous message is refused. */
  mbmsec_mikey_state *ue = mbmsec_mikey_state_new();
  uint8_t ver[MBMSEC_MIKEY_VER_MSG_MAX];
  size_t vl;
  ue_answer(ue, 0, MBMSEC_MIKEY_MSK_NEW, ver, &vl);
  const uint8_t id1[4] = {0, 1, 0, 1};
  assert_int_equal(mbmsec_bmsc_dl_deliver(f->dl, BTID, KDID, id1, g_msk, 1, 100, 0), MBMSEC_OK);
  assert_int_equal(mbmsec_bmsc_dl_on_datagram(f->dl, UE_IP, 2269, ver, vl, 1),
                   MBMSEC_ERR_BMSC_NO_DELIVERY);
  assert_int_equal(mbmsec_bmsc_dl_get(f->dl, BTID, id1), MBMSEC_BMSC_DL_PENDING);
  mbmsec_mikey_state_free(ue);
  /* Removal: verification for the removed UE is refused. */
  assert_int_equal(mbmsec_bmsc_dl_ue_del(f->dl, BTID), MBMSEC_OK);
  assert_int_equal(mbmsec_bmsc_dl_get(f->dl, BTID, id1), MBMSEC_BMSC_DL_NONE);
  assert_int_equal(mbmsec_bmsc_dl_tick(f->dl, 100000), -1);
  fx_close(f);
}

/* 1,000 UEs, each with its own MUK and address: deliveries and verifications interleaved
 * (answers to first and later tries, some UEs never answering), ticks in between. */
#define NUE 1000
/* Deregistration: the UE's pending deliveries (and pulls) of one Key Group are cancelled;
 * another Key Group, another Key Domain and finished deliveries are untouched; no more tries
 * go out for the cancelled ones and a late verification for them is refused. */
static void test_cancel_group(void **state)
{
  setup(state);
  char db[] = "/tmp/mbmsec-dl-XXXXXX";
  tmp_db(db);
  fx *f = fx_open(db, 0);
  const uint8_t g1a[4] = {0, 1, 0, 2}, g1b[4] = {0, 1, 0, 3}, g2[4] = {0, 2, 0, 2};
  const uint8_t other_kd[3] = {0x00, 0xf2, 0x10};
  assert_int_equal(mbmsec_bmsc_dl_deliver(f->dl, BTID, KDID, g1a, g_msk, 1, 100, 0), MBMSEC_OK);
  assert_int_equal(mbmsec_bmsc_dl_pull(f->dl, BTID, KDID, g1b, 0), MBMSEC_OK);
  assert_int_equal(mbmsec_bmsc_dl_deliver(f->dl, BTID, KDID, g2, g_msk, 1, 100, 0), MBMSEC_OK);
  assert_int_equal(mbmsec_bmsc_dl_deliver(f->dl, BTID, other_kd, g1b, g_msk, 1, 100, 0), MBMSEC_OK);
  assert_int_equal(g_n, 4);
  /* The UE's answer to the first message, kept for later. */
  mbmsec_mikey_state *ue = mbmsec_mikey_state_new();
  uint8_t ver[MBMSEC_MIKEY_VER_MSG_MAX];
  size_t vl;
  ue_answer(ue, 0, MBMSEC_MIKEY_MSK_NEW, ver, &vl);
  mbmsec_mikey_state_free(ue);

  size_t n = 99;
  assert_int_equal(mbmsec_bmsc_dl_cancel_group(NULL, BTID, KDID, 1, &n), MBMSEC_ERR_ARG);
  assert_int_equal(mbmsec_bmsc_dl_cancel_group(f->dl, "nobody@bsf", KDID, 1, &n),
                   MBMSEC_ERR_BMSC_UNKNOWN_UE);
  assert_int_equal(mbmsec_bmsc_dl_cancel_group(f->dl, BTID, KDID, 1, &n), MBMSEC_OK);
  assert_int_equal(n, 2); /* the delivery and the pull of Key Group 1 in KDID */
  assert_int_equal(mbmsec_bmsc_dl_get(f->dl, BTID, g1a), MBMSEC_BMSC_DL_NONE);
  assert_int_equal(mbmsec_bmsc_dl_get(f->dl, BTID, g2), MBMSEC_BMSC_DL_PENDING);
  mbmsec_bmsc_dl_ue_info info;
  assert_int_equal(mbmsec_bmsc_dl_ue_get(f->dl, BTID, &info), MBMSEC_OK);
  assert_int_equal(info.n, 2);
  for (size_t i = 0; i < info.n; i++) {
    assert_int_equal(info.e[i].state, MBMSEC_BMSC_DL_PENDING);
    assert_false(!memcmp(info.e[i].kdid, KDID, 3) && info.e[i].msk_id[1] == 1);
  }
  /* The cancelled delivery's verification now finds nothing. */
  assert_int_equal(mbmsec_bmsc_dl_on_datagram(f->dl, UE_IP, 2269, ver, vl, 500),
                   MBMSEC_ERR_BMSC_NO_DELIVERY);
  /* Retransmissions: only the two remaining deliveries, and never Key Group 1 of KDID. */
  const size_t before = g_n;
  assert_int_equal(mbmsec_bmsc_dl_tick(f->dl, 2000), 6000);
  assert_int_equal(g_n, before + 2);
  for (size_t i = before; i < g_n; i++) {
    /* A retry keeps its delivery's CSB ID: these are the third and fourth deliveries. */
    const uint32_t c = csb_of(g_out[i].msg);
    assert_true(c == csb_of(g_out[2].msg) || c == csb_of(g_out[3].msg));
  }
  /* Again: nothing left in that group; the others then fail on schedule. */
  assert_int_equal(mbmsec_bmsc_dl_cancel_group(f->dl, BTID, KDID, 1, NULL), MBMSEC_OK);
  assert_int_equal(mbmsec_bmsc_dl_cancel_group(f->dl, BTID, KDID, 1, &n), MBMSEC_OK);
  assert_int_equal(n, 0);
  for (int64_t t = 3000; t <= 70000; t += 1000) mbmsec_bmsc_dl_tick(f->dl, t);
  assert_int_equal(mbmsec_bmsc_dl_get(f->dl, BTID, g2), MBMSEC_BMSC_DL_FAILED);
  assert_int_equal(g_ev[MBMSEC_BMSC_EV_FAILED], 2);
  /* Finished slots are not cancelled (kept for `ue list`). */
  assert_int_equal(mbmsec_bmsc_dl_cancel_group(f->dl, BTID, KDID, 2, &n), MBMSEC_OK);
  assert_int_equal(n, 0);
  assert_int_equal(mbmsec_bmsc_dl_get(f->dl, BTID, g2), MBMSEC_BMSC_DL_FAILED);
  fx_close(f);
  unlink(db);
}

static mbmsec_err key_cb(void *ctx, const mbmsec_mikey_key_ref *ref, mbmsec_mikey_psk *out)
{
  (void)ref;
  memcpy(out->key, ctx, 32);
  out->key_len = 32;
  out->counter = 0;
  return MBMSEC_OK;
}

static int count_ue(void *arg, const char *btid, const mbmsec_bmsc_dl_ue_info *info)
{
  (void)btid, (void)info;
  ++*(size_t *)arg;
  return 0;
}

static void test_thousand_ues(void **state)
{
  setup(state);
  static uint8_t muk[NUE][32];
  static char btid[NUE][48];
  mbmsec_store *st;
  assert_int_equal(mbmsec_store_open(":memory:", &st), MBMSEC_OK);
  mbmsec_bmsc_dl_config c = {
      .fqdn = FQDN, .v_flag = 1, .store = st, .send = cap_send, .max_ues = NUE, .event = on_event};
  mbmsec_bmsc_dl *dl;
  assert_int_equal(mbmsec_bmsc_dl_new(&c, &dl), MBMSEC_OK);
  for (int i = 0; i < NUE; i++) {
    mbmsec_random(muk[i], 32);
    snprintf(btid[i], sizeof btid[i], "ue%04d@bsf.example.org", i);
    assert_int_equal(mbmsec_bmsc_dl_ue_set(dl, btid[i], muk[i], 0x7f010000u + (uint32_t)i, 2269),
                     MBMSEC_OK);
  }
  assert_int_equal(mbmsec_bmsc_dl_ue_set(dl, "one-too-many@bsf", muk[0], 1, 1),
                   MBMSEC_ERR_BMSC_FULL);
  size_t seen = 0;
  assert_int_equal(mbmsec_bmsc_dl_ue_list(dl, count_ue, &seen), NUE);
  assert_int_equal(seen, NUE);
  /* Deliver in two halves with a tick between, answering the first half before the second
   * half is sent: every message captured is answered in a shuffled order. */
  for (int i = 0; i < NUE; i++)
    assert_int_equal(
        mbmsec_bmsc_dl_deliver(dl, btid[i], KDID, MSK_ID, g_msk, 1, 100, i < NUE / 2 ? 0 : 1000),
        MBMSEC_OK);
  assert_int_equal(g_n, NUE);
  assert_int_equal(mbmsec_bmsc_dl_tick(dl, 2000), 3000); /* the first half retransmitted */
  assert_int_equal(g_n, NUE + NUE / 2);
  mbmsec_bmsc_dl_counts cnt;
  mbmsec_bmsc_dl_get_counts(dl, &cnt);
  assert_int_equal(cnt.pending, NUE);
  /* Answer message k for k in a stride order; UEs i % 10 == 9 never answer. */
  size_t answered = 0;
  for (size_t s = 0, k = 0; s < g_n; s++, k = (k + 7) % g_n) {
    const int i = (int)(g_out[k].ipv4 - 0x7f010000u);
    if (i % 10 == 9) continue;
    mbmsec_mikey_msk_info info;
    uint8_t ver[MBMSEC_MIKEY_VER_MSG_MAX];
    size_t vl;
    assert_int_equal(
        mbmsec_mikey_msk_verify(g_out[k].msg, g_out[k].len, key_cb, muk[i], NULL, &info),
        MBMSEC_OK);
    assert_memory_equal(info.idr, btid[i], strlen(btid[i]));
    assert_int_equal(mbmsec_mikey_ver_build(&info, muk[i], 32, ver, sizeof ver, &vl), MBMSEC_OK);
    mbmsec_mikey_msk_info_cleanse(&info);
    const mbmsec_err rc = mbmsec_bmsc_dl_on_datagram(dl, g_out[k].ipv4, 2269, ver, vl, 2500);
    assert_true(rc == MBMSEC_OK || rc == MBMSEC_ERR_BMSC_NO_DELIVERY); /* 2nd answer: done */
    answered += rc == MBMSEC_OK;
    /* Another UE's answer, sent from this UE's address, is refused. */
    if (s % 97 == 0) {
      const int j = (i + 1) % NUE;
      assert_int_equal(
          mbmsec_bmsc_dl_on_datagram(dl, 0x7f010000u + (uint32_t)j, 2269, ver, vl, 2500),
          MBMSEC_ERR_BMSC_SOURCE);
    }
  }
  assert_int_equal(answered, NUE - NUE / 10);
  mbmsec_bmsc_dl_get_counts(dl, &cnt);
  assert_int_equal(cnt.delivered, NUE - NUE / 10);
  assert_int_equal(cnt.pending, NUE / 10);
  for (int64_t t = 3000; t <= 70000; t += 1000) (void)mbmsec_bmsc_dl_tick(dl, t);
  mbmsec_bmsc_dl_get_counts(dl, &cnt);
  assert_int_equal(cnt.failed, NUE / 10);
  assert_int_equal(cnt.pending, 0);
  for (int i = 0; i < NUE; i++)
    assert_int_equal(mbmsec_bmsc_dl_get(dl, btid[i], MSK_ID),
                     i % 10 == 9 ? MBMSEC_BMSC_DL_FAILED : MBMSEC_BMSC_DL_DELIVERED);
  /* Counters rise per UE: each UE's messages in capture order. */
  uint32_t last[NUE] = {0};
  for (size_t k = 0; k < g_n; k++) {
    const int i = (int)(g_out[k].ipv4 - 0x7f010000u);
    assert_true(counter_of(g_out[k].msg) > last[i]);
    last[i] = counter_of(g_out[k].msg);
  }
  mbmsec_bmsc_dl_free(dl);
  mbmsec_store_close(st);
}

/* Threads: four callers deliver to their own 100 UEs while another thread ticks; each UE's
 * messages leave with rising counters. */
typedef struct {
  mbmsec_bmsc_dl *dl;
  int base;
} thr_arg;

static void *thr_deliver(void *p)
{
  thr_arg *a = p;
  char b[48];
  for (int round = 0; round < 3; round++)
    for (int i = 0; i < 100; i++) {
      snprintf(b, sizeof b, "t%d@bsf", a->base + i);
      const uint8_t id[4] = {0, 1, 0, (uint8_t)(round + 1)};
      if (mbmsec_bmsc_dl_deliver(a->dl, b, KDID, id, g_msk, 1, 100, 0) != MBMSEC_OK)
        return (void *)1;
    }
  return NULL;
}

static void test_threads(void **state)
{
  setup(state);
  mbmsec_store *st;
  assert_int_equal(mbmsec_store_open(":memory:", &st), MBMSEC_OK);
  mbmsec_bmsc_dl_config c = {
      .fqdn = FQDN, .v_flag = 1, .store = st, .send = cap_send, .counter_block = 2};
  mbmsec_bmsc_dl *dl;
  assert_int_equal(mbmsec_bmsc_dl_new(&c, &dl), MBMSEC_OK);
  char b[48];
  for (int i = 0; i < 400; i++) {
    snprintf(b, sizeof b, "t%d@bsf", i);
    assert_int_equal(mbmsec_bmsc_dl_ue_set(dl, b, g_muk, 0x7f020000u + (uint32_t)i, 2269),
                     MBMSEC_OK);
  }
  pthread_t th[4];
  thr_arg args[4];
  for (int t = 0; t < 4; t++) {
    args[t] = (thr_arg){dl, t * 100};
    assert_int_equal(pthread_create(&th[t], NULL, thr_deliver, &args[t]), 0);
  }
  for (int k = 0; k < 200; k++) (void)mbmsec_bmsc_dl_tick(dl, 2000 + k * 1000);
  for (int t = 0; t < 4; t++) {
    void *r;
    pthread_join(th[t], &r);
    assert_null(r);
  }
  mbmsec_bmsc_dl_counts cnt;
  mbmsec_bmsc_dl_get_counts(dl, &cnt);
  assert_int_equal(cnt.ues, 400);
  assert_int_equal(cnt.pending + cnt.failed, 1200);
  static uint32_t last[400];
  memset(last, 0, sizeof last);
  for (size_t k = 0; k < g_n; k++) {
    const int i = (int)(g_out[k].ipv4 - 0x7f020000u);
    assert_true(counter_of(g_out[k].msg) > last[i]);
    last[i] = counter_of(g_out[k].msg);
  }
  mbmsec_bmsc_dl_free(dl);
  mbmsec_store_close(st);
}

/* Real UDP on loopback (P6): the UE (127.0.0.5) loses the first two MSK messages, takes the
 * third, and answers to the source address of the MSK message; the BM-SC's socket takes the
 * verification and the delivery is done. */
static ssize_t ue_recv(int fd, uint8_t *buf, size_t cap, struct sockaddr_in *from)
{
  struct pollfd p = {.fd = fd, .events = POLLIN};
  if (poll(&p, 1, 2000) != 1) return -1;
  socklen_t fl = sizeof *from;
  return recvfrom(fd, buf, cap, 0, (struct sockaddr *)from, &fl);
}

static void test_udp_lossy(void **state)
{
  setup(state);
  mbmsec_store *st;
  assert_int_equal(mbmsec_store_open(":memory:", &st), MBMSEC_OK);
  int bfd = -1;
  uint16_t bport = 0;
  assert_int_equal(mbmsec_bmsc_udp_open("127.0.0.1", &bport, &bfd), MBMSEC_OK);
  assert_true(bport != 0);
  mbmsec_bmsc_dl_config c = {
      .fqdn = FQDN, .v_flag = 1, .store = st, .send = mbmsec_bmsc_udp_send, .user = &bfd};
  mbmsec_bmsc_dl *dl;
  assert_int_equal(mbmsec_bmsc_dl_new(&c, &dl), MBMSEC_OK);

  int ufd = socket(AF_INET, SOCK_DGRAM, 0);
  struct sockaddr_in ua = {.sin_family = AF_INET, .sin_port = 0};
  inet_pton(AF_INET, "127.0.0.5", &ua.sin_addr);
  assert_int_equal(bind(ufd, (struct sockaddr *)&ua, sizeof ua), 0);
  socklen_t ul = sizeof ua;
  assert_int_equal(getsockname(ufd, (struct sockaddr *)&ua, &ul), 0);
  assert_int_equal(mbmsec_bmsc_dl_ue_set(dl, BTID, g_muk, 0x7f000005u, ntohs(ua.sin_port)),
                   MBMSEC_OK);

  assert_int_equal(mbmsec_bmsc_dl_deliver(dl, BTID, KDID, MSK_ID, g_msk, 1, 100, 0), MBMSEC_OK);
  uint8_t buf[600];
  struct sockaddr_in from;
  assert_true(ue_recv(ufd, buf, sizeof buf, &from) > 0); /* lost */
  assert_int_equal(ntohs(from.sin_port), bport);         /* from the BM-SC's bound socket */
  assert_int_equal(mbmsec_bmsc_udp_poll(dl, bfd, 0, 2000), 0);
  assert_true(ue_recv(ufd, buf, sizeof buf, &from) > 0); /* lost */
  assert_int_equal(mbmsec_bmsc_udp_poll(dl, bfd, 0, 6000), 0);
  ssize_t n = ue_recv(ufd, buf, sizeof buf, &from); /* the third try arrives */
  assert_true(n > 0);
  mbmsec_mikey_state *ue = mbmsec_mikey_state_new();
  mbmsec_mikey_msk_result r;
  assert_int_equal(mbmsec_mikey_state_accept_msk(ue, buf, (size_t)n, muk_cb, NULL, NULL, &r),
                   MBMSEC_OK);
  assert_memory_equal(r.info.msk, g_msk, 16);
  assert_int_equal(sendto(ufd, r.ver, r.ver_len, 0, (struct sockaddr *)&from, sizeof from),
                   (ssize_t)r.ver_len);
  assert_int_equal(mbmsec_bmsc_udp_poll(dl, bfd, 2000, 6100), 1);
  assert_int_equal(mbmsec_bmsc_dl_get(dl, BTID, MSK_ID), MBMSEC_BMSC_DL_DELIVERED);
  mbmsec_bmsc_dl_stats stt;
  mbmsec_bmsc_dl_get_stats(dl, &stt);
  assert_int_equal(stt.retransmitted, 2);
  assert_int_equal(stt.acked, 1);
  mbmsec_mikey_msk_info_cleanse(&r.info);
  mbmsec_mikey_state_free(ue);
  close(ufd);
  close(bfd);
  mbmsec_bmsc_dl_free(dl);
  mbmsec_store_close(st);
}

int main(void)
{
  g_out = calloc(OUT_MAX, sizeof *g_out);
  if (!g_out) return 1;
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_seed_flow),
      cmocka_unit_test(test_retransmission),
      cmocka_unit_test(test_counters_across_crash),
      cmocka_unit_test(test_v_off),
      cmocka_unit_test(test_send_errors),
      cmocka_unit_test(test_tick_deadlines),
      cmocka_unit_test(test_pull),
      cmocka_unit_test(test_slots_and_csb),
      cmocka_unit_test(test_cancel_group),
      cmocka_unit_test(test_thousand_ues),
      cmocka_unit_test(test_threads),
      cmocka_unit_test(test_udp_lossy),
  };
  int rc = cmocka_run_group_tests(tests, NULL, NULL);
  free(g_out);
  mbmsec_crypto_cleanup();
  return rc;
}
