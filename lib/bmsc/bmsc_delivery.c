/* The BM-SC's MIKEY MSK delivery engine: see include/mbmsec/bmsc_delivery.h and
 * docs/bmsc-delivery.md.
 *
 * UEs live in a chained hash table keyed by B-TID (read-write lock). Each UE has its own mutex,
 * its per-MUK counter block and MBMSEC_BMSC_PENDING_PER_UE small delivery slots; a pending
 * delivery owns a heap record with the MSK and what every try sent (CSB ID, RAND, counter), so
 * that a verification answering an earlier try still completes it, and so that a UE with
 * nothing pending costs only its slots. tick() returns at once before the earliest pending
 * deadline and otherwise scans every UE. */
#include "mbmsec/bmsc_delivery.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "guard.h"
#include "mbmsec/crypto.h"
#include "mbmsec/encode.h"
#include "mbmsec/keyid.h"
#include "mbmsec/mikey.h"
#include "mbmsec/mikey_msg.h"

/* What a pending delivery needs beyond its slot; cleansed and freed when it ends. */
typedef struct {
  uint8_t msk[MBMSEC_MBMS_MSK_LEN];
  mbmsec_mikey_sent sent[MBMSEC_BMSC_TRIES_MAX];
} live_t;

typedef struct {
  uint8_t state; /* mbmsec_bmsc_dl_state */
  uint8_t pull;
  uint8_t tries;
  uint8_t kdid[MBMSEC_KDID_LEN];
  uint8_t msk_id[MBMSEC_MSK_ID_LEN];
  uint16_t vf, vt;
  uint32_t csb_id;
  uint32_t delay_ms;
  int64_t next_ms;
  live_t *live; /* only while pending */
} delivery;

typedef struct ue {
  struct ue *next; /* hash chain */
  pthread_mutex_t lock;
  char *btid; /* NUL-terminated, btid_len octets */
  size_t btid_len;
  uint8_t muk[MBMSEC_BMSC_MUK_LEN];
  uint32_t ipv4;
  uint16_t port;
  mbmsec_store_ctr ctr; /* the per-MUK counter (P11): durable blocks (store.h) */
  delivery d[MBMSEC_BMSC_PENDING_PER_UE];
} ue_t;

typedef struct {
  _Atomic uint64_t sent, retransmitted, acked, failed, send_errors, malformed, unknown_ue, source,
      csb_id, mac;
} stats_t;

struct mbmsec_bmsc_dl {
  mbmsec_bmsc_dl_config cfg;
  char fqdn[256];
  size_t fqdn_len;
  pthread_rwlock_t tl; /* the table: buckets, chains, n_ues */
  ue_t **bucket;
  size_t mask, n_ues;
  stats_t st;
  /* A lower bound of every pending deadline (INT64_MAX: none): tick returns at once before
   * it, so an idle or early tick does not scan the UEs. */
  _Atomic int64_t earliest;
};

#define STAT(dl, f) atomic_fetch_add_explicit(&(dl)->st.f, 1, memory_order_relaxed)

static void earliest_min(mbmsec_bmsc_dl *dl, int64_t t)
{
  int64_t cur = atomic_load(&dl->earliest);
  while (t < cur && !atomic_compare_exchange_weak(&dl->earliest, &cur, t)) {
  }
}

static uint64_t fnv(const char *s, size_t n)
{
  uint64_t h = 1469598103934665603ull;
  for (size_t i = 0; i < n; i++) h = (h ^ (uint8_t)s[i]) * 1099511628211ull;
  return h;
}

/* The chain link that holds the UE, or the NULL link at the chain's end. Table lock held. */
static ue_t **link_of(mbmsec_bmsc_dl *dl, const char *btid, size_t n)
{
  ue_t **l = &dl->bucket[fnv(btid, n) & dl->mask];
  while (*l && ((*l)->btid_len != n || memcmp((*l)->btid, btid, n) != 0)) l = &(*l)->next;
  return l;
}

/* Finds the UE and returns it locked (the table lock is taken and released here), or NULL. */
static ue_t *ue_lock(mbmsec_bmsc_dl *dl, const char *btid, size_t n)
{
  pthread_rwlock_rdlock(&dl->tl);
  ue_t *u = *link_of(dl, btid, n);
  if (u) pthread_mutex_lock(&u->lock);
  pthread_rwlock_unlock(&dl->tl);
  return u;
}

static void slot_end(delivery *d)
{
  if (d->live) {
    mbmsec_cleanse(d->live, sizeof *d->live);
    free(d->live);
    d->live = NULL;
  }
}

static void ue_destroy(ue_t *u)
{
  for (int i = 0; i < MBMSEC_BMSC_PENDING_PER_UE; i++) slot_end(&u->d[i]);
  pthread_mutex_destroy(&u->lock);
  free(u->btid);
  mbmsec_cleanse(u, sizeof *u);
  free(u);
}

mbmsec_err mbmsec_bmsc_dl_new(const mbmsec_bmsc_dl_config *cfg, mbmsec_bmsc_dl **out)
{
  ENSURE(cfg && out && cfg->fqdn && cfg->store && cfg->send, MBMSEC_ERR_ARG);
  const size_t fl = strlen(cfg->fqdn);
  ENSURE(fl >= 1 && fl <= 255, MBMSEC_ERR_ARG);
  ENSURE(cfg->tries <= MBMSEC_BMSC_TRIES_MAX && cfg->backoff <= 16, MBMSEC_ERR_ARG);
  mbmsec_err rc = MBMSEC_OK;
  mbmsec_bmsc_dl *dl = calloc(1, sizeof *dl);
  ENSURE_OUT(dl, MBMSEC_ERR_NOMEM);
  dl->cfg = *cfg;
  dl->cfg.fqdn = dl->fqdn;
  if (!dl->cfg.retx_first_ms) dl->cfg.retx_first_ms = MBMSEC_MIKEY_RETX_FIRST_MS_DEFAULT;
  if (!dl->cfg.tries) dl->cfg.tries = MBMSEC_MIKEY_RETX_TRIES_DEFAULT;
  if (!dl->cfg.backoff) dl->cfg.backoff = MBMSEC_MIKEY_RETX_BACKOFF_FACTOR;
  if (!dl->cfg.max_ues) dl->cfg.max_ues = 100000;
  if (!dl->cfg.counter_block) dl->cfg.counter_block = MBMSEC_BMSC_COUNTER_BLOCK_DEFAULT;
  memcpy(dl->fqdn, cfg->fqdn, fl + 1);
  dl->fqdn_len = fl;
  size_t cap = 16;
  while (cap < dl->cfg.max_ues && cap < ((size_t)1 << 24)) cap *= 2; /* chains of ~1 */
  dl->mask = cap - 1;
  dl->bucket = calloc(cap, sizeof *dl->bucket);
  ENSURE_OUT(dl->bucket, MBMSEC_ERR_NOMEM);
  ENSURE_OUT(pthread_rwlock_init(&dl->tl, NULL) == 0, MBMSEC_ERR_NOMEM);
  atomic_init(&dl->earliest, INT64_MAX);
  *out = dl;
  dl = NULL;
out:
  if (dl) {
    free(dl->bucket);
    free(dl);
  }
  return rc;
}

void mbmsec_bmsc_dl_free(mbmsec_bmsc_dl *dl)
{
  if (!dl) return;
  for (size_t i = 0; i <= dl->mask; i++)
    for (ue_t *u = dl->bucket[i], *nx; u; u = nx) {
      nx = u->next;
      ue_destroy(u);
    }
  free(dl->bucket);
  pthread_rwlock_destroy(&dl->tl);
  free(dl);
}

/* The name of a UE's counter: "muk:" + hex(SHA-256(B-TID)[0..29]); built only when a block
 * is reserved. */
typedef struct {
  const char *btid;
  size_t n;
} ctr_of;

static mbmsec_err ctr_name(void *arg, char name[MBMSEC_STORE_COUNTER_NAME_MAX + 1])
{
  const ctr_of *c = arg;
  uint8_t h[32];
  const mbmsec_iov part = {c->btid, c->n};
  GUARD(mbmsec_hash(MBMSEC_MD_SHA256, &part, 1, h));
  memcpy(name, MBMSEC_BMSC_COUNTER_PREFIX, 4);
  GUARD(mbmsec_hex_encode(h, 30, name + 4, MBMSEC_STORE_COUNTER_NAME_MAX + 1 - 4));
  return MBMSEC_OK;
}

/* A durable block of the UE's counter into *c. */
static mbmsec_err reserve(mbmsec_bmsc_dl *dl, const char *btid, size_t n, mbmsec_store_ctr *c)
{
  ctr_of of = {btid, n};
  return mbmsec_store_ctr_reserve(dl->cfg.store, c, dl->cfg.counter_block, UINT32_MAX, ctr_name,
                                  &of);
}

mbmsec_err mbmsec_bmsc_dl_ue_set(mbmsec_bmsc_dl *dl, const char *btid,
                                 const uint8_t muk[MBMSEC_BMSC_MUK_LEN], uint32_t ipv4,
                                 uint16_t port)
{
  ENSURE(dl && btid && muk, MBMSEC_ERR_ARG);
  const size_t n = strnlen(btid, MBMSEC_BMSC_BTID_MAX + 1);
  ENSURE(n >= 1 && n <= MBMSEC_BMSC_BTID_MAX, MBMSEC_ERR_LENGTH);
  mbmsec_err rc = MBMSEC_OK;
  ue_t *nu = NULL;
  int mutex_ok = 0;
  ue_t *u = ue_lock(dl, btid, n);
  if (u) { /* known: new MUK and address, the counter goes on */
    memcpy(u->muk, muk, MBMSEC_BMSC_MUK_LEN);
    u->ipv4 = ipv4, u->port = port;
    pthread_mutex_unlock(&u->lock);
    return MBMSEC_OK;
  }
  /* New: refuse early when full (no store write for nothing), then reserve the first
   * counter block outside every lock (it waits for the disk). */
  pthread_rwlock_rdlock(&dl->tl);
  const int full = dl->n_ues >= dl->cfg.max_ues;
  pthread_rwlock_unlock(&dl->tl);
  ENSURE(!full, MBMSEC_ERR_BMSC_FULL);
  mbmsec_store_ctr first = {0, 0};
  GUARD(reserve(dl, btid, n, &first));
  nu = calloc(1, sizeof *nu);
  ENSURE_OUT(nu, MBMSEC_ERR_NOMEM);
  nu->btid = malloc(n + 1);
  ENSURE_OUT(nu->btid, MBMSEC_ERR_NOMEM);
  ENSURE_OUT(pthread_mutex_init(&nu->lock, NULL) == 0, MBMSEC_ERR_NOMEM);
  mutex_ok = 1;
  memcpy(nu->btid, btid, n + 1);
  nu->btid_len = n;
  memcpy(nu->muk, muk, MBMSEC_BMSC_MUK_LEN);
  nu->ipv4 = ipv4, nu->port = port;
  nu->ctr = first;
  pthread_rwlock_wrlock(&dl->tl);
  ue_t **l = link_of(dl, btid, n);
  if (*l) { /* registered meanwhile by another thread: update it, drop ours */
    pthread_mutex_lock(&(*l)->lock);
    memcpy((*l)->muk, muk, MBMSEC_BMSC_MUK_LEN);
    (*l)->ipv4 = ipv4, (*l)->port = port;
    pthread_mutex_unlock(&(*l)->lock);
  } else if (dl->n_ues >= dl->cfg.max_ues) {
    rc = MBMSEC_ERR_BMSC_FULL;
  } else {
    *l = nu;
    nu = NULL;
    dl->n_ues++;
  }
  pthread_rwlock_unlock(&dl->tl);
out:
  if (nu) {
    if (mutex_ok) pthread_mutex_destroy(&nu->lock);
    free(nu->btid);
    mbmsec_cleanse(nu, sizeof *nu);
    free(nu);
  }
  return rc;
}

mbmsec_err mbmsec_bmsc_dl_ue_del(mbmsec_bmsc_dl *dl, const char *btid)
{
  ENSURE(dl && btid, MBMSEC_ERR_ARG);
  const size_t n = strnlen(btid, MBMSEC_BMSC_BTID_MAX + 1);
  pthread_rwlock_wrlock(&dl->tl);
  ue_t **l = link_of(dl, btid, n);
  ue_t *u = *l;
  if (u) {
    *l = u->next;
    dl->n_ues--;
    /* Whoever holds the UE took it under the table read lock: wait for it to finish. */
    pthread_mutex_lock(&u->lock);
    pthread_mutex_unlock(&u->lock);
  }
  pthread_rwlock_unlock(&dl->tl);
  ENSURE(u, MBMSEC_ERR_BMSC_UNKNOWN_UE);
  ue_destroy(u);
  return MBMSEC_OK;
}

mbmsec_err mbmsec_bmsc_dl_cancel_group(mbmsec_bmsc_dl *dl, const char *btid,
                                       const uint8_t kdid[MBMSEC_KDID_LEN], uint16_t key_group,
                                       size_t *cancelled)
{
  ENSURE(dl && btid && kdid, MBMSEC_ERR_ARG);
  if (cancelled) *cancelled = 0;
  ue_t *u = ue_lock(dl, btid, strnlen(btid, MBMSEC_BMSC_BTID_MAX + 1));
  ENSURE(u, MBMSEC_ERR_BMSC_UNKNOWN_UE);
  uint8_t kg[MBMSEC_KEY_GROUP_LEN]; /* P5: MSK ID 0-1 */
  mbmsec_key_group_pack(key_group, kg);
  size_t n = 0;
  for (int i = 0; i < MBMSEC_BMSC_PENDING_PER_UE; i++) {
    delivery *d = &u->d[i];
    if (d->state != MBMSEC_BMSC_DL_PENDING || memcmp(d->kdid, kdid, MBMSEC_KDID_LEN) ||
        memcmp(d->msk_id, kg, sizeof kg))
      continue;
    /* The slot becomes free (NONE): tick skips it, on_datagram finds no CSB ID, start may
     * reuse it. The earliest bound stays a lower bound (an early tick just rescans). */
    slot_end(d);
    memset(d, 0, sizeof *d);
    n++;
  }
  pthread_mutex_unlock(&u->lock);
  if (cancelled) *cancelled = n;
  return MBMSEC_OK;
}

/* The UE's next counter value; a new durable block when the current one is used up. UE
 * locked (the reservation waits for the disk while holding only this UE). */
static mbmsec_err next_counter(mbmsec_bmsc_dl *dl, ue_t *u, uint32_t *c)
{
  ctr_of of = {u->btid, u->btid_len};
  uint64_t v = 0;
  GUARD(mbmsec_store_ctr_next(dl->cfg.store, &u->ctr, dl->cfg.counter_block, UINT32_MAX, ctr_name,
                              &of, &v));
  *c = (uint32_t)v;
  return MBMSEC_OK;
}

static void event(mbmsec_bmsc_dl *dl, mbmsec_bmsc_event ev, const ue_t *u, const delivery *d)
{
  if (dl->cfg.event) dl->cfg.event(dl->cfg.event_user, ev, u->btid, d->msk_id, d->pull, d->tries);
}

/* Counts a try and sets the next deadline (delays saturate at UINT32_MAX ms). */
static void advance(const mbmsec_bmsc_dl *dl, delivery *d, int64_t now_ms)
{
  d->tries++;
  d->next_ms = now_ms + d->delay_ms;
  const uint64_t next = (uint64_t)d->delay_ms * dl->cfg.backoff;
  d->delay_ms = next > UINT32_MAX ? UINT32_MAX : (uint32_t)next;
}

/* One try: a new counter and RAND, the delivery's CSB ID, built and sent now. UE locked.
 * The try is recorded (for verification and the schedule) even when the send fails. */
static mbmsec_err send_try(mbmsec_bmsc_dl *dl, ue_t *u, delivery *d, int64_t now_ms)
{
  mbmsec_err rc = MBMSEC_OK;
  uint8_t msg[MBMSEC_MIKEY_MSK_MSG_MAX];
  size_t len = 0;
  mbmsec_mikey_sent sent = {0};
  mbmsec_mikey_msk_params p = {.idi = (const uint8_t *)dl->fqdn,
                               .idi_len = dl->fqdn_len,
                               .idr = (const uint8_t *)u->btid,
                               .idr_len = u->btid_len,
                               .v_flag = dl->cfg.v_flag != 0,
                               .msk = d->pull ? NULL : d->live->msk,
                               .vf = d->vf,
                               .vt = d->vt,
                               .fixed = 1,
                               .csb_id = d->csb_id};
  memcpy(p.kdid, d->kdid, MBMSEC_KDID_LEN);
  memcpy(p.msk_id, d->msk_id, MBMSEC_MSK_ID_LEN);
  GUARD_OUT(next_counter(dl, u, &p.counter));
  GUARD_OUT(mbmsec_random(p.rand, sizeof p.rand));
  GUARD_OUT(mbmsec_mikey_msk_build(&p, u->muk, sizeof u->muk, NULL, msg, sizeof msg, &len, &sent));
  if (d->tries < MBMSEC_BMSC_TRIES_MAX) d->live->sent[d->tries] = sent;
  advance(dl, d, now_ms);
  if (dl->cfg.send(dl->cfg.user, u->ipv4, u->port, msg, len) != 0) {
    STAT(dl, send_errors);
    rc = MBMSEC_ERR_BMSC_SEND;
  }
out:
  mbmsec_cleanse(msg, sizeof msg);
  return rc;
}

/* Starts a delivery (pull = 0, msk set) or a pull in a slot of the UE. */
static mbmsec_err start(mbmsec_bmsc_dl *dl, const char *btid, const uint8_t kdid[MBMSEC_KDID_LEN],
                        const uint8_t msk_id[MBMSEC_MSK_ID_LEN], int pull, const uint8_t *msk,
                        uint16_t vf, uint16_t vt, int64_t now_ms)
{
  const size_t n = strnlen(btid, MBMSEC_BMSC_BTID_MAX + 1);
  mbmsec_err rc = MBMSEC_OK;
  ue_t *u = ue_lock(dl, btid, n);
  ENSURE(u, MBMSEC_ERR_BMSC_UNKNOWN_UE);
  /* The slot of the same MSK ID and kind, else a free one, else one that has ended. */
  delivery *d = NULL;
  for (int pass = 0; pass < 3 && !d; pass++)
    for (int i = 0; i < MBMSEC_BMSC_PENDING_PER_UE && !d; i++) {
      delivery *c = &u->d[i];
      if (pass == 0 ? c->state != MBMSEC_BMSC_DL_NONE && c->pull == pull &&
                          !memcmp(c->msk_id, msk_id, MBMSEC_MSK_ID_LEN)
          : pass == 1 ? c->state == MBMSEC_BMSC_DL_NONE
                      : c->state != MBMSEC_BMSC_DL_PENDING)
        d = c;
    }
  ENSURE_OUT(d, MBMSEC_ERR_BMSC_FULL);
  slot_end(d);
  memset(d, 0, sizeof *d);
  d->live = calloc(1, sizeof *d->live);
  ENSURE_OUT(d->live, MBMSEC_ERR_NOMEM);
  d->pull = (uint8_t)pull;
  memcpy(d->kdid, kdid, MBMSEC_KDID_LEN);
  memcpy(d->msk_id, msk_id, MBMSEC_MSK_ID_LEN);
  if (msk) memcpy(d->live->msk, msk, MBMSEC_MBMS_MSK_LEN);
  d->vf = vf, d->vt = vt;
  d->delay_ms = dl->cfg.retx_first_ms;
  /* A CSB ID no other pending delivery of this UE uses (RFC 3830 6.1: unique per pair). */
  for (int clash = 1; clash;) {
    GUARD_OUT(mbmsec_random(&d->csb_id, sizeof d->csb_id));
    clash = 0;
    for (int i = 0; i < MBMSEC_BMSC_PENDING_PER_UE; i++)
      clash |=
          &u->d[i] != d && u->d[i].state == MBMSEC_BMSC_DL_PENDING && u->d[i].csb_id == d->csb_id;
  }
  GUARD_OUT(send_try(dl, u, d, now_ms));
  STAT(dl, sent);
  if (dl->cfg.v_flag) {
    d->state = MBMSEC_BMSC_DL_PENDING;
    earliest_min(dl, d->next_ms);
  } else {
    d->state = MBMSEC_BMSC_DL_SENT;
    slot_end(d);
  }
out:
  if (rc != MBMSEC_OK && d) { /* nothing kept; a counter value taken stays spent */
    slot_end(d);
    memset(d, 0, sizeof *d);
  }
  pthread_mutex_unlock(&u->lock);
  return rc;
}

mbmsec_err mbmsec_bmsc_dl_deliver(mbmsec_bmsc_dl *dl, const char *btid,
                                  const uint8_t kdid[MBMSEC_KDID_LEN],
                                  const uint8_t msk_id[MBMSEC_MSK_ID_LEN], const uint8_t *msk,
                                  uint16_t vf, uint16_t vt, int64_t now_ms)
{
  ENSURE(dl && btid && kdid && msk_id && msk && vf <= vt, MBMSEC_ERR_ARG);
  return start(dl, btid, kdid, msk_id, 0, msk, vf, vt, now_ms);
}

mbmsec_err mbmsec_bmsc_dl_pull(mbmsec_bmsc_dl *dl, const char *btid,
                               const uint8_t kdid[MBMSEC_KDID_LEN],
                               const uint8_t msk_id[MBMSEC_MSK_ID_LEN], int64_t now_ms)
{
  ENSURE(dl && btid && kdid && msk_id, MBMSEC_ERR_ARG);
  return start(dl, btid, kdid, msk_id, 1, NULL, 0, 0, now_ms);
}

mbmsec_err mbmsec_bmsc_dl_on_datagram(mbmsec_bmsc_dl *dl, uint32_t src_ipv4, uint16_t src_port,
                                      const uint8_t *msg, size_t len, int64_t now_ms)
{
  (void)src_port, (void)now_ms; /* the UE may answer from any port of its address */
  ENSURE(dl && msg, MBMSEC_ERR_ARG);
  mbmsec_mikey_msg m;
  ue_t *u = NULL;
  mbmsec_err rc = mbmsec_mikey_decode(msg, len, &m);
  if (rc != MBMSEC_OK) {
    STAT(dl, malformed);
    return rc;
  }
  const int idr = mbmsec_mikey_find(&m, MBMSEC_MIKEY_PT_ID, 0);
  if (m.hdr.data_type != MBMSEC_MIKEY_DT_PSK_VERIFY || idr < 0) {
    STAT(dl, malformed);
    return MBMSEC_ERR_BMSC_NOT_VERIFICATION;
  }
  const char *btid = (const char *)m.p[idr].u.id.data;
  const size_t bl = m.p[idr].u.id.len;
  if (bl < 1 || bl > MBMSEC_BMSC_BTID_MAX || !(u = ue_lock(dl, btid, bl))) {
    STAT(dl, unknown_ue);
    return MBMSEC_ERR_BMSC_UNKNOWN_UE;
  }
  if (src_ipv4 != u->ipv4) {
    STAT(dl, source);
    rc = MBMSEC_ERR_BMSC_SOURCE;
    goto out;
  }
  rc = MBMSEC_ERR_BMSC_NO_DELIVERY;
  for (int i = 0; i < MBMSEC_BMSC_PENDING_PER_UE; i++) {
    delivery *d = &u->d[i];
    if (d->state != MBMSEC_BMSC_DL_PENDING || d->csb_id != m.hdr.csb_id) continue;
    rc = MBMSEC_ERR_BMSC_VERIFY;
    const unsigned nt = d->tries < MBMSEC_BMSC_TRIES_MAX ? d->tries : MBMSEC_BMSC_TRIES_MAX;
    for (unsigned t = 0; t < nt; t++) {
      if (mbmsec_mikey_ver_verify(msg, len, u->muk, sizeof u->muk, &d->live->sent[t],
                                  (const uint8_t *)dl->fqdn, dl->fqdn_len, (const uint8_t *)u->btid,
                                  u->btid_len) == MBMSEC_OK) {
        d->state = MBMSEC_BMSC_DL_DELIVERED;
        slot_end(d);
        STAT(dl, acked);
        event(dl, MBMSEC_BMSC_EV_DELIVERED, u, d);
        rc = MBMSEC_OK;
        goto out;
      }
    }
    break; /* CSB IDs are unique among the UE's pending deliveries */
  }
  if (rc == MBMSEC_ERR_BMSC_NO_DELIVERY)
    STAT(dl, csb_id);
  else
    STAT(dl, mac);
out:
  pthread_mutex_unlock(&u->lock);
  return rc;
}

int64_t mbmsec_bmsc_dl_tick(mbmsec_bmsc_dl *dl, int64_t now_ms)
{
  if (!dl) return -1;
  const int64_t e = atomic_load(&dl->earliest);
  if (now_ms < e) return e == INT64_MAX ? -1 : e; /* nothing due: no scan */
  /* Reset the bound, then lower it with every deadline seen; a delivery started during the
   * scan lowers it too, so it stays a lower bound. */
  atomic_store(&dl->earliest, INT64_MAX);
  int64_t next = -1;
  pthread_rwlock_rdlock(&dl->tl);
  for (size_t s = 0; s <= dl->mask; s++)
    for (ue_t *u = dl->bucket[s]; u; u = u->next) {
      pthread_mutex_lock(&u->lock);
      for (int i = 0; i < MBMSEC_BMSC_PENDING_PER_UE; i++) {
        delivery *d = &u->d[i];
        if (d->state != MBMSEC_BMSC_DL_PENDING) continue;
        if (now_ms >= d->next_ms) {
          if (d->tries >= dl->cfg.tries) {
            d->state = MBMSEC_BMSC_DL_FAILED; /* P13: no verification after the last wait */
            slot_end(d);
            STAT(dl, failed);
            event(dl, MBMSEC_BMSC_EV_FAILED, u, d);
            continue;
          }
          /* A send error counts as a lost message. A counter or build error (store down)
           * counts as a try that was not sent (its sent record stays zero and matches no
           * answer), so the delivery still fails on schedule. */
          const mbmsec_err rc = send_try(dl, u, d, now_ms);
          if (rc == MBMSEC_OK || rc == MBMSEC_ERR_BMSC_SEND) {
            STAT(dl, retransmitted);
            event(dl, MBMSEC_BMSC_EV_RETRANSMITTED, u, d);
          } else {
            STAT(dl, send_errors);
            advance(dl, d, now_ms);
          }
        }
        if (next < 0 || d->next_ms < next) next = d->next_ms;
        earliest_min(dl, d->next_ms);
      }
      pthread_mutex_unlock(&u->lock);
    }
  pthread_rwlock_unlock(&dl->tl);
  return next;
}

static void info_of(const ue_t *u, mbmsec_bmsc_dl_ue_info *out)
{
  memset(out, 0, sizeof *out);
  out->ipv4 = u->ipv4;
  out->port = u->port;
  out->next_counter = u->ctr.next;
  for (int i = 0; i < MBMSEC_BMSC_PENDING_PER_UE; i++) {
    const delivery *d = &u->d[i];
    if (d->state == MBMSEC_BMSC_DL_NONE) continue;
    mbmsec_bmsc_dl_entry *e = &out->e[out->n++];
    e->state = (mbmsec_bmsc_dl_state)d->state;
    e->pull = d->pull;
    memcpy(e->kdid, d->kdid, MBMSEC_KDID_LEN);
    memcpy(e->msk_id, d->msk_id, MBMSEC_MSK_ID_LEN);
    e->tries = d->tries;
    e->next_ms = d->state == MBMSEC_BMSC_DL_PENDING ? d->next_ms : 0;
  }
}

mbmsec_bmsc_dl_state mbmsec_bmsc_dl_get(mbmsec_bmsc_dl *dl, const char *btid,
                                        const uint8_t msk_id[MBMSEC_MSK_ID_LEN])
{
  if (!dl || !btid || !msk_id) return MBMSEC_BMSC_DL_NONE;
  ue_t *u = ue_lock(dl, btid, strnlen(btid, MBMSEC_BMSC_BTID_MAX + 1));
  if (!u) return MBMSEC_BMSC_DL_NONE;
  mbmsec_bmsc_dl_state st = MBMSEC_BMSC_DL_NONE;
  for (int i = 0; i < MBMSEC_BMSC_PENDING_PER_UE; i++)
    if (u->d[i].state != MBMSEC_BMSC_DL_NONE && !u->d[i].pull &&
        !memcmp(u->d[i].msk_id, msk_id, MBMSEC_MSK_ID_LEN))
      st = (mbmsec_bmsc_dl_state)u->d[i].state;
  pthread_mutex_unlock(&u->lock);
  return st;
}

mbmsec_err mbmsec_bmsc_dl_ue_get(mbmsec_bmsc_dl *dl, const char *btid, mbmsec_bmsc_dl_ue_info *out)
{
  ENSURE(dl && btid && out, MBMSEC_ERR_ARG);
  ue_t *u = ue_lock(dl, btid, strnlen(btid, MBMSEC_BMSC_BTID_MAX + 1));
  ENSURE(u, MBMSEC_ERR_BMSC_UNKNOWN_UE);
  info_of(u, out);
  pthread_mutex_unlock(&u->lock);
  return MBMSEC_OK;
}

size_t mbmsec_bmsc_dl_ue_list(mbmsec_bmsc_dl *dl,
                              int (*cb)(void *arg, const char *btid,
                                        const mbmsec_bmsc_dl_ue_info *info),
                              void *arg)
{
  if (!dl || !cb) return 0;
  size_t n = 0;
  int stop = 0;
  mbmsec_bmsc_dl_ue_info info;
  pthread_rwlock_rdlock(&dl->tl);
  for (size_t s = 0; s <= dl->mask && !stop; s++)
    for (ue_t *u = dl->bucket[s]; u && !stop; u = u->next) {
      pthread_mutex_lock(&u->lock);
      info_of(u, &info);
      n++;
      stop = cb(arg, u->btid, &info);
      pthread_mutex_unlock(&u->lock);
    }
  pthread_rwlock_unlock(&dl->tl);
  return n;
}

void mbmsec_bmsc_dl_get_counts(mbmsec_bmsc_dl *dl, mbmsec_bmsc_dl_counts *out)
{
  if (!dl || !out) return;
  memset(out, 0, sizeof *out);
  pthread_rwlock_rdlock(&dl->tl);
  out->ues = dl->n_ues;
  for (size_t s = 0; s <= dl->mask; s++)
    for (ue_t *u = dl->bucket[s]; u; u = u->next) {
      pthread_mutex_lock(&u->lock);
      for (int i = 0; i < MBMSEC_BMSC_PENDING_PER_UE; i++) switch (u->d[i].state) {
        case MBMSEC_BMSC_DL_PENDING:
          out->pending++;
          break;
        case MBMSEC_BMSC_DL_DELIVERED:
          out->delivered++;
          break;
        case MBMSEC_BMSC_DL_FAILED:
          out->failed++;
          break;
        case MBMSEC_BMSC_DL_SENT:
          out->sent++;
          break;
        default:
          break;
        }
      pthread_mutex_unlock(&u->lock);
    }
  pthread_rwlock_unlock(&dl->tl);
}

void mbmsec_bmsc_dl_get_stats(mbmsec_bmsc_dl *dl, mbmsec_bmsc_dl_stats *out)
{
  if (!dl || !out) return;
#define LD(f) atomic_load_explicit(&dl->st.f, memory_order_relaxed)
  *out = (mbmsec_bmsc_dl_stats){.sent = LD(sent),
                                .retransmitted = LD(retransmitted),
                                .acked = LD(acked),
                                .failed = LD(failed),
                                .send_errors = LD(send_errors),
                                .refused_malformed = LD(malformed),
                                .refused_unknown_ue = LD(unknown_ue),
                                .refused_source = LD(source),
                                .refused_csb_id = LD(csb_id),
                                .refused_mac = LD(mac)};
#undef LD
  out->bad_verification = out->refused_malformed + out->refused_unknown_ue + out->refused_source +
                          out->refused_csb_id + out->refused_mac;
}

size_t mbmsec_bmsc_dl_ue_bytes(size_t btid_len)
{
  /* The struct, the B-TID copy and one bucket pointer (buckets >= max_ues, load <= 1). */
  return sizeof(ue_t) + btid_len + 1 + sizeof(ue_t *);
}

size_t mbmsec_bmsc_dl_pending_bytes(void) { return sizeof(live_t); }
