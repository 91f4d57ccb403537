/* MIKEY delivery: the library engine (lib/bmsc bmsc_delivery.h) behind one bound UDP socket
 * (P6). HTTP threads call deliver; one thread here receives verification messages and drives
 * the P13 retransmissions with tick. Both use one monotonic millisecond clock. */
#include <arpa/inet.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "bmsc.h"
#include "text.h"
#include "log.h"
#include "mbmsec/bmsc_udp.h"
#include "mbmsec/crypto.h"
#include "mbmsec/encode.h"

#define POLL_MS 100 /* bounds both the shutdown delay and the lateness of a retransmission */

struct bmsc_mikey {
  bmsc_app *app; /* the stage timer of the sends */
  mbmsec_bmsc_dl *dl;
  int fd;
  uint16_t port;
  pthread_t thread;
  bool running;
  atomic_bool stop;
};

/* The UDP send, timed for the cost split (BMSC_STAGE_SEND); tl_send_ns lets a caller on the
 * same thread take its own sends out of a wider timing. */
static _Thread_local uint64_t tl_send_ns;

static int timed_send(void *user, uint32_t ipv4, uint16_t port, const uint8_t *msg, size_t len)
{
  bmsc_mikey *mk = user;
  const uint64_t t0 = bmsc_now_ns();
  int r = mbmsec_bmsc_udp_send(&mk->fd, ipv4, port, msg, len);
  const uint64_t ns = bmsc_now_ns() - t0;
  tl_send_ns += ns;
  BMSC_STAGE_ADD(mk->app, BMSC_STAGE_SEND, ns);
  return r;
}

static int64_t now_ms(void)
{
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void hex_id(const uint8_t *p, size_t n, char *out, size_t cap)
{
  mbmsec_hex_encode(p, n, out, cap);
}

static void on_event(void *user, mbmsec_bmsc_event ev, const char *btid,
                     const uint8_t msk_id[MBMSEC_MSK_ID_LEN], int pull, unsigned tries)
{
  bmsc_rotate_on_event(user, ev, btid, msk_id, pull); /* settles rotation pushes */
  char id[2 * MBMSEC_MSK_ID_LEN + 1], t[12];
  hex_id(msk_id, MBMSEC_MSK_ID_LEN, id, sizeof id);
  snprintf(t, sizeof t, "%u", tries);
  const char *what = ev == MBMSEC_BMSC_EV_DELIVERED ? "delivered"
                     : ev == MBMSEC_BMSC_EV_FAILED  ? "failed"
                                                    : "retransmitted";
  dlog(ev == MBMSEC_BMSC_EV_FAILED ? DLOG_WARN : DLOG_INFO, "mikey", "event", what, "btid", btid,
       "msk_id", id, "pull", pull ? "true" : "false", "tries", t, NULL);
}

static void *udp_loop(void *arg)
{
  bmsc_mikey *mk = arg;
  while (!atomic_load(&mk->stop))
    if (mbmsec_bmsc_udp_poll(mk->dl, mk->fd, POLL_MS, now_ms()) < 0) {
      dlog(DLOG_ERROR, "MIKEY socket error", NULL);
      struct timespec ts = {0, POLL_MS * 1000000L};
      nanosleep(&ts, NULL);
    }
  return NULL;
}

int bmsc_mikey_start(bmsc_app *app)
{
  bmsc_mikey *mk = calloc(1, sizeof *mk);
  if (!mk) return 1;
  mk->fd = -1;
  mk->app = app;
  app->mikey = mk;
  mk->port = app->s.mikey_port;
  mbmsec_err rc = mbmsec_bmsc_udp_open(app->s.mikey_addr, &mk->port, &mk->fd);
  if (rc != MBMSEC_OK) {
    dlog(DLOG_ERROR, "cannot bind the MIKEY socket", "addr", app->s.mikey_addr, "code",
         mbmsec_errname(rc), NULL);
    return 1;
  }
  mbmsec_bmsc_dl_config cfg = {.fqdn = app->s.fqdn,
                               .v_flag = app->s.msk_v_flag,
                               .retx_first_ms = app->s.retx_first_ms,
                               .tries = app->s.retx_tries,
                               .store = app->store,
                               .send = timed_send,
                               .user = mk,
                               .event = on_event,
                               .event_user = app};
  rc = mbmsec_bmsc_dl_new(&cfg, &mk->dl);
  if (rc != MBMSEC_OK) {
    dlog(DLOG_ERROR, "bad MIKEY settings", "code", mbmsec_errname(rc), NULL);
    return 1;
  }
  /* the key policy before the thread: its events go to app->rotate */
  if (bmsc_rotate_start_engine(app)) return 1;
  if (pthread_create(&mk->thread, NULL, udp_loop, mk) != 0) return 1;
  mk->running = true;
  return 0;
}

void bmsc_mikey_stop(bmsc_app *app)
{
  bmsc_mikey *mk = app->mikey;
  if (!mk) return;
  if (mk->running) {
    atomic_store(&mk->stop, true);
    pthread_join(mk->thread, NULL);
  }
  mbmsec_bmsc_dl_free(mk->dl);
  if (mk->fd >= 0) close(mk->fd);
  free(mk);
  app->mikey = NULL;
}

uint16_t bmsc_mikey_bound_port(const bmsc_app *app) { return app->mikey ? app->mikey->port : 0; }

mbmsec_bmsc_dl *bmsc_mikey_dl(bmsc_app *app) { return app->mikey ? app->mikey->dl : NULL; }

void bmsc_mikey_push(bmsc_app *app, const mbmsec_bmsc_kr_response *r, uint32_t ipv4)
{
  bmsc_mikey *mk = app->mikey;
  /* A deregistered UE's deliveries still pending for the Key Groups it left stop now, rather
   * than being retransmitted for up to 62 s (P13). */
  if (r->cancel) (void)mbmsec_bmsc_kr_cancel(mk->dl, r, NULL);
  if (!r->set_ue) return;
  const mbmsec_ua_decision *dec = &r->dec;
  char addr[INET_ADDRSTRLEN] = "?";
  struct in_addr ia = {.s_addr = htonl(ipv4)};
  inet_ntop(AF_INET, &ia, addr, sizeof addr);
  mbmsec_err rc = mbmsec_bmsc_dl_ue_set(mk->dl, dec->btid, dec->muk, ipv4, app->s.ue_mikey_port);
  if (rc != MBMSEC_OK) {
    atomic_fetch_add(&app->m.push_errors, 1);
    dlog(DLOG_ERROR, "cannot register the UE for MIKEY", "btid", dec->btid, "code",
         mbmsec_errname(rc), NULL);
    return;
  }
  for (size_t i = 0; r->deliver && i < r->deliver->n; i++) {
    const mbmsec_members_msk_ref *p = &r->deliver->items[i];
    char id[2 * MBMSEC_MSK_ID_LEN + 1], key[2 * MBMSEC_MBMS_MSK_LEN + 1] = "";
    hex_id(p->msk_id, MBMSEC_MSK_ID_LEN, id, sizeof id);
    mbmsec_store_msk m;
    /* MIKEY stage: MSK look-up, message build and engine book-keeping; the send inside it is
     * timed on its own (timed_send) and taken out again. */
    const uint64_t send0 = tl_send_ns;
    const uint64_t t0 = bmsc_now_ns();
    rc = mbmsec_store_msk_get(app->members, p->kdid, MBMSEC_KDID_LEN, p->msk_id, MBMSEC_MSK_ID_LEN,
                              &m);
    if (rc == MBMSEC_OK)
      rc = mbmsec_bmsc_dl_deliver(mk->dl, dec->btid, p->kdid, p->msk_id, m.key, m.vf, m.vt,
                                  now_ms());
    const uint64_t spent = bmsc_now_ns() - t0, sent = tl_send_ns - send0;
    BMSC_STAGE_ADD(app, BMSC_STAGE_MIKEY, spent > sent ? spent - sent : 0);
    if (rc != MBMSEC_OK) atomic_fetch_add(&app->m.push_errors, 1);
    if (rc == MBMSEC_OK && app->s.log_keys)
      mbmsec_hex_encode(m.key, MBMSEC_MBMS_MSK_LEN, key, sizeof key);
    mbmsec_cleanse(&m, sizeof m);
    dlog(rc == MBMSEC_OK ? DLOG_INFO : DLOG_ERROR, "mikey", "event", "sent", "btid", dec->btid,
         "msk_id", id, "to", addr, "code", rc == MBMSEC_OK ? "" : mbmsec_errname(rc),
         app->s.log_keys ? "msk" : NULL, key, NULL);
    mbmsec_cleanse(key, sizeof key);
  }
}

void bmsc_mikey_stats(bmsc_app *app, mbmsec_bmsc_dl_stats *st, mbmsec_bmsc_dl_counts *c)
{
  mbmsec_bmsc_dl_get_stats(app->mikey->dl, st);
  mbmsec_bmsc_dl_get_counts(app->mikey->dl, c);
}

/* ---- `ue list` over the admin port: the delivery state lives in the running engine */

typedef struct {
  bmsc_text t;
  bool text; /* name=value lines instead of JSON */
  size_t n;
} jbuf;

static const char *state_name(mbmsec_bmsc_dl_state s)
{
  switch (s) {
  case MBMSEC_BMSC_DL_PENDING:
    return "pending";
  case MBMSEC_BMSC_DL_DELIVERED:
    return "delivered";
  case MBMSEC_BMSC_DL_FAILED:
    return "failed";
  case MBMSEC_BMSC_DL_SENT:
    return "sent";
  default:
    return "none";
  }
}

static int ue_cb(void *arg, const char *btid, const mbmsec_bmsc_dl_ue_info *info)
{
  jbuf *j = arg;
  char addr[INET_ADDRSTRLEN] = "?";
  struct in_addr ia = {.s_addr = htonl(info->ipv4)};
  inet_ntop(AF_INET, &ia, addr, sizeof addr);
  /* B-TIDs are printable ASCII without '"' or '\' is not guaranteed: escape the two */
  char esc[2 * MBMSEC_BMSC_BTID_MAX + 1];
  size_t k = 0;
  for (const char *p = btid; *p && k + 2 < sizeof esc; p++) {
    if (*p == '"' || *p == '\\') esc[k++] = '\\';
    esc[k++] = *p;
  }
  esc[k] = 0;
  if (j->text)
    bmsc_text_put(&j->t, "ue btid=%s addr=%s port=%u next_counter=%llu\n", btid, addr,
                  (unsigned)info->port, (unsigned long long)info->next_counter);
  else
    bmsc_text_put(&j->t,
                  "%s\n{\"btid\":\"%s\",\"addr\":\"%s\",\"port\":%u,\"next_counter\":%llu,"
                  "\"deliveries\":[",
                  j->n ? "," : "", esc, addr, (unsigned)info->port,
                  (unsigned long long)info->next_counter);
  for (size_t i = 0; i < info->n; i++) {
    const mbmsec_bmsc_dl_entry *e = &info->e[i];
    char id[2 * MBMSEC_MSK_ID_LEN + 1];
    hex_id(e->msk_id, MBMSEC_MSK_ID_LEN, id, sizeof id);
    if (j->text)
      bmsc_text_put(&j->t, "delivery btid=%s msk_id=%s state=%s pull=%d tries=%u\n", btid, id,
                    state_name(e->state), e->pull ? 1 : 0, e->tries);
    else
      bmsc_text_put(&j->t, "%s{\"msk_id\":\"%s\",\"state\":\"%s\",\"pull\":%d,\"tries\":%u}",
                    i ? "," : "", id, state_name(e->state), e->pull ? 1 : 0, e->tries);
  }
  if (!j->text) bmsc_text_put(&j->t, "]}");
  j->n++;
  return j->t.fail;
}

char *bmsc_mikey_ue_list(bmsc_app *app, bool text, size_t *len)
{
  jbuf j = {.text = text};
  bmsc_text_init(&j.t, 1024);
  if (j.t.fail) return NULL;
  if (!text) bmsc_text_put(&j.t, "[");
  mbmsec_bmsc_dl_ue_list(app->mikey->dl, ue_cb, &j);
  if (!text) bmsc_text_put(&j.t, "\n]\n");
  return bmsc_text_take(&j.t, len);
}
