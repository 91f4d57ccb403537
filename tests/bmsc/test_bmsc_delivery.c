/* The BM-SC's MSK delivery engine against the library's UE side: the seed flow (MSK message
 * -> UE verifies under its MUK -> verification message -> delivered), the P13 retransmission
 * schedule (0, 2, 6, 14, 30 s; failed at 62 s) with rising counters, a verification answering
 * an earlier try, refusals that change nothing, counters that never repeat across a crash. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <cmocka.h>

#include "mbmsec/bmsc_delivery.h"
#include "mbmsec/crypto.h"
#include "mbmsec/mikey_msg.h"
#include "mbmsec/mikey_state.h"

#define FQDN "bmsc.example.org"
#define BTID "I1U8vpY3qJ0hiuZNrke/NQ==@bsf.example.org"
static const uint8_t KDID[3] = {0x00, 0xf1, 0x10}, MSK_ID[4] = {0, 1, 0, 2};
static uint8_t g_muk[32], g_msk[16];

/* Captured datagrams. */
static struct {
  uint8_t msg[600];
  size_t len;
  uint32_t ipv4;
  uint16_t port;
} g_out[64];
static size_t g_n;

static int cap_send(void *user, uint32_t ipv4, uint16_t port, const uint8_t *msg, size_t len)
{
  (void)user;
  if (g_n >= 64 || len > sizeof g_out[0].msg) return -1;
  memcpy(g_out[g_n].msg, msg, len);
  g_out[g_n].len = len, g_out[g_n].ipv4 = ipv4, g_out[g_n].port = port;
  g_n++;
  return 0;
}

static mbmsec_err muk_cb(void *ctx, const uint8_t *idi, size_t idi_len, const uint8_t *idr,
                         size_t idr_len, uint8_t *muk, size_t cap, size_t *len)
{
  (void)ctx, (void)idi, (void)idi_len, (void)idr, (void)idr_len;
  if (cap < 32) return MBMSEC_ERR_ARG;
  memcpy(muk, g_muk, 32);
  *len = 32;
  return MBMSEC_OK;
}

typedef struct {
  char db[64];
  mbmsec_store *st;
  mbmsec_bmsc_dl *dl;
} fx;

static fx *fx_open(const char *db, unsigned tries)
{
  fx *f = calloc(1, sizeof *f);
  snprintf(f->db, sizeof f->db, "%s", db);
  assert_int_equal(mbmsec_store_open(f->db, &f->st), MBMSEC_OK);
  mbmsec_bmsc_dl_config c = {.fqdn = FQDN, .v_flag = 1, .store = f->st, .send = cap_send,
                             .counter_block = 10, .tries = tries};
  assert_int_equal(mbmsec_bmsc_dl_new(&c, &f->dl), MBMSEC_OK);
  assert_int_equal(mbmsec_bmsc_dl_ue_set(f->dl, BTID, g_muk, 0x7f000005u, 2269), MBMSEC_OK);
  return f;
}

static void fx_close(fx *f)
{
  mbmsec_bmsc_dl_free(f->dl);
  mbmsec_store_close(f->st);
  free(f);
}

static int setup(void **state)
{
  (void)state;
  g_n = 0;
  mbmsec_random(g_muk, sizeof g_muk);
  mbmsec_random(g_msk, sizeof g_msk);
  return 0;
}

/* A fresh store path: mkstemp picks a unique name, the store creates the file itself. */
static void tmp_db(char *path)
{
  int fd = mkstemp(path);
  assert_true(fd >= 0);
  close(fd);
  unlink(path);
}

static uint32_t counter_of(const uint8_t *msg)
{
  /* MSK message layout (mikey.md 7.1): T's counter at offset 27. */
  return ((uint32_t)msg[27] << 24) | ((uint32_t)msg[28] << 16) | ((uint32_t)msg[29] << 8) | msg[30];
}

static void test_seed_flow(void **state)
{
  setup(state);
  char db[] = "/tmp/mbmsec-dl-XXXXXX";
  tmp_db(db);
  fx *f = fx_open(db, 0);
  assert_int_equal(mbmsec_bmsc_dl_deliver(f->dl, BTID, KDID, MSK_ID, g_msk, 1, 100, 0), MBMSEC_OK);
  assert_int_equal(g_n, 1);
  assert_int_equal(g_out[0].ipv4, 0x7f000005u);
  assert_int_equal(g_out[0].port, 2269);
  assert_int_equal(mbmsec_bmsc_dl_get(f->dl, BTID, MSK_ID), MBMSEC_BMSC_DL_PENDING);

  /* The UE: accepts under its MUK, answers with a verification message. */
  mbmsec_mikey_state *ue = mbmsec_mikey_state_new();
  mbmsec_mikey_msk_result r;
  assert_int_equal(mbmsec_mikey_state_accept_msk(ue, g_out[0].msg, g_out[0].len, muk_cb, NULL, NULL, &r),
                   MBMSEC_OK);
  assert_memory_equal(r.info.msk, g_msk, 16);
  assert_true(r.ver_len > 0);
  /* A corrupted verification changes nothing. */
  uint8_t bad[600];
  memcpy(bad, r.ver, r.ver_len);
  bad[r.ver_len - 1] ^= 1;
  assert_int_equal(mbmsec_bmsc_dl_on_datagram(f->dl, 0x7f000005u, 2269, bad, r.ver_len, 10),
                   MBMSEC_ERR_BMSC_NO_DELIVERY);
  assert_int_equal(mbmsec_bmsc_dl_get(f->dl, BTID, MSK_ID), MBMSEC_BMSC_DL_PENDING);
  assert_int_equal(mbmsec_bmsc_dl_on_datagram(f->dl, 0x7f000005u, 2269, (const uint8_t *)"junk", 4, 10),
                   MBMSEC_ERR_MIKEY_VERSION);
  /* The real one completes the delivery; replayed afterwards it matches nothing. */
  assert_int_equal(mbmsec_bmsc_dl_on_datagram(f->dl, 0x7f000005u, 2269, r.ver, r.ver_len, 20), MBMSEC_OK);
  assert_int_equal(mbmsec_bmsc_dl_get(f->dl, BTID, MSK_ID), MBMSEC_BMSC_DL_DELIVERED);
  assert_int_equal(mbmsec_bmsc_dl_on_datagram(f->dl, 0x7f000005u, 2269, r.ver, r.ver_len, 30),
                   MBMSEC_ERR_BMSC_NO_DELIVERY);
  assert_int_equal(mbmsec_bmsc_dl_tick(f->dl, 100000), -1); /* nothing pending: no resend */
  assert_int_equal(g_n, 1);
  mbmsec_bmsc_dl_stats st;
  mbmsec_bmsc_dl_get_stats(f->dl, &st);
  assert_int_equal(st.sent, 1);
  assert_int_equal(st.acked, 1);
  assert_int_equal(st.bad_verification, 3);
  mbmsec_mikey_msk_info_cleanse(&r.info);
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
    (void)mbmsec_bmsc_dl_tick(f->dl, t);
    if (g_n > seen) sent_at[seen++] = t;
    if (t == 61000) assert_int_equal(mbmsec_bmsc_dl_get(f->dl, BTID, MSK_ID), MBMSEC_BMSC_DL_PENDING);
  }
  assert_int_equal(g_n, 5);
  const int64_t want[5] = {0, 2000, 6000, 14000, 30000};
  for (int i = 0; i < 5; i++) assert_int_equal(sent_at[i], want[i]);
  assert_int_equal(mbmsec_bmsc_dl_get(f->dl, BTID, MSK_ID), MBMSEC_BMSC_DL_FAILED);
  /* Every try: a new counter, strictly rising; the same CSB ID; a different message. */
  for (size_t i = 1; i < g_n; i++) {
    assert_true(counter_of(g_out[i].msg) > counter_of(g_out[i - 1].msg));
    assert_memory_equal(g_out[i].msg + 4, g_out[0].msg + 4, 4);
    assert_memory_not_equal(g_out[i].msg, g_out[i - 1].msg, g_out[i].len);
  }
  mbmsec_bmsc_dl_stats st;
  mbmsec_bmsc_dl_get_stats(f->dl, &st);
  assert_int_equal(st.retransmitted, 4);
  assert_int_equal(st.failed, 1);

  /* A second delivery: the UE answers the FIRST try only after the second went out. */
  g_n = 0;
  const uint8_t msk2[4] = {0, 1, 0, 3};
  assert_int_equal(mbmsec_bmsc_dl_deliver(f->dl, BTID, KDID, msk2, g_msk, 1, 100, 100000), MBMSEC_OK);
  assert_int_equal(mbmsec_bmsc_dl_tick(f->dl, 102000), 106000);
  assert_int_equal(g_n, 2);
  mbmsec_mikey_state *ue = mbmsec_mikey_state_new();
  mbmsec_mikey_msk_result r;
  assert_int_equal(mbmsec_mikey_state_accept_msk(ue, g_out[0].msg, g_out[0].len, muk_cb, NULL, NULL, &r),
                   MBMSEC_OK);
  assert_int_equal(mbmsec_bmsc_dl_on_datagram(f->dl, 0x7f000005u, 2269, r.ver, r.ver_len, 103000), MBMSEC_OK);
  assert_int_equal(mbmsec_bmsc_dl_get(f->dl, BTID, msk2), MBMSEC_BMSC_DL_DELIVERED);
  /* The UE still takes the second try (O4 duplicate, newer counter) and acknowledges it. */
  mbmsec_mikey_msk_info_cleanse(&r.info);
  assert_int_equal(mbmsec_mikey_state_accept_msk(ue, g_out[1].msg, g_out[1].len, muk_cb, NULL, NULL, &r),
                   MBMSEC_OK);
  assert_int_equal(r.outcome, MBMSEC_MIKEY_MSK_DUPLICATE);
  mbmsec_mikey_msk_info_cleanse(&r.info);
  mbmsec_mikey_state_free(ue);
  fx_close(f);
  unlink(db);
}

/* Counters come from durable blocks: an engine that dies without saving its position, and a
 * new one on the same store, never send a counter twice. */
static void test_counters_across_crash(void **state)
{
  setup(state);
  char db[] = "/tmp/mbmsec-dl-XXXXXX";
  tmp_db(db);
  uint32_t last = 0;
  for (int life = 0; life < 3; life++) {
    fx *f = fx_open(db, 1);
    for (int i = 0; i < 3; i++) {
      g_n = 0;
      uint8_t id[4] = {0, 1, 0, (uint8_t)(10 + i)};
      assert_int_equal(mbmsec_bmsc_dl_deliver(f->dl, BTID, KDID, id, g_msk, 1, 100, 0), MBMSEC_OK);
      assert_true(counter_of(g_out[0].msg) > last);
      last = counter_of(g_out[0].msg);
    }
    fx_close(f); /* the rest of the block is abandoned, as in a crash */
  }
  unlink(db);
  /* Unknown UE, bad arguments. */
  fx *f = fx_open(":memory:", 0);
  assert_int_equal(mbmsec_bmsc_dl_deliver(f->dl, "nobody@bsf", KDID, MSK_ID, g_msk, 1, 100, 0),
                   MBMSEC_ERR_BMSC_UNKNOWN_UE);
  assert_int_equal(mbmsec_bmsc_dl_deliver(f->dl, BTID, KDID, MSK_ID, g_msk, 100, 1, 0), MBMSEC_ERR_ARG);
  fx_close(f);
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
  mbmsec_bmsc_dl_config c = {.fqdn = FQDN, .v_flag = 1, .store = st, .send = mbmsec_bmsc_udp_send,
                             .user = &bfd};
  mbmsec_bmsc_dl *dl;
  assert_int_equal(mbmsec_bmsc_dl_new(&c, &dl), MBMSEC_OK);

  int ufd = socket(AF_INET, SOCK_DGRAM, 0);
  struct sockaddr_in ua = {.sin_family = AF_INET, .sin_port = 0};
  inet_pton(AF_INET, "127.0.0.5", &ua.sin_addr);
  assert_int_equal(bind(ufd, (struct sockaddr *)&ua, sizeof ua), 0);
  socklen_t ul = sizeof ua;
  assert_int_equal(getsockname(ufd, (struct sockaddr *)&ua, &ul), 0);
  assert_int_equal(mbmsec_bmsc_dl_ue_set(dl, BTID, g_muk, 0x7f000005u, ntohs(ua.sin_port)), MBMSEC_OK);

  assert_int_equal(mbmsec_bmsc_dl_deliver(dl, BTID, KDID, MSK_ID, g_msk, 1, 100, 0), MBMSEC_OK);
  uint8_t buf[600];
  struct sockaddr_in from;
  assert_true(ue_recv(ufd, buf, sizeof buf, &from) > 0); /* lost */
  assert_int_equal(ntohs(from.sin_port), bport);           /* from the BM-SC's bound socket */
  assert_int_equal(mbmsec_bmsc_udp_poll(dl, bfd, 0, 2000), 0);
  assert_true(ue_recv(ufd, buf, sizeof buf, &from) > 0); /* lost */
  assert_int_equal(mbmsec_bmsc_udp_poll(dl, bfd, 0, 6000), 0);
  ssize_t n = ue_recv(ufd, buf, sizeof buf, &from);      /* the third try arrives */
  assert_true(n > 0);
  mbmsec_mikey_state *ue = mbmsec_mikey_state_new();
  mbmsec_mikey_msk_result r;
  assert_int_equal(mbmsec_mikey_state_accept_msk(ue, buf, (size_t)n, muk_cb, NULL, NULL, &r), MBMSEC_OK);
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
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_seed_flow),
      cmocka_unit_test(test_retransmission),
      cmocka_unit_test(test_counters_across_crash),
      cmocka_unit_test(test_udp_lossy),
  };
  int rc = cmocka_run_group_tests(tests, NULL, NULL);
  mbmsec_crypto_cleanup();
  return rc;
}
