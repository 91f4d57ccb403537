/* The BM-SC's MIKEY MSK delivery engine: see include/mbmsec/bmsc_delivery.h.
 *
 * UEs live in an open-addressing table keyed by B-TID (no removal yet). Each UE has a few
 * delivery slots; a pending delivery keeps what every try sent (CSB ID, RAND, counter) so
 * that a verification answering an earlier try still completes it. tick() scans every UE:
 * fine for tests and thousands of UEs; a timer wheel will replace it for the load figures. */
#include "mbmsec/bmsc_delivery.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "guard.h"
#include "mbmsec/crypto.h"
#include "mbmsec/mikey.h"
#include "mbmsec/mikey_msg.h"

#define MAX_TRIES 8
#define BTID_MAX 255

typedef struct {
  mbmsec_bmsc_dl_state state;
  uint8_t kdid[KDID_LEN], msk_id[MSK_ID_LEN], msk[MBMS_MSK_LEN];
  uint16_t vf, vt;
  uint32_t csb_id;
  unsigned tries;
  int64_t next_ms;
  uint32_t delay_ms;
  mbmsec_mikey_sent sent[MAX_TRIES];
} delivery;

typedef struct {
  char btid[BTID_MAX + 1];
  size_t btid_len;
  uint8_t muk[MBMSEC_BMSC_MUK_LEN];
  uint32_t ipv4;
  uint16_t port;
  delivery d[MBMSEC_BMSC_PENDING_PER_UE];
} ue_t;

struct mbmsec_bmsc_dl {
  mbmsec_bmsc_dl_config cfg;
  uint64_t next_counter, block_end; /* the reserved block being used */
  char fqdn[256];
  size_t fqdn_len, n_ues, mask;
  ue_t **tab;
  pthread_mutex_t lock;
  mbmsec_bmsc_dl_stats stats;
};

static uint64_t fnv(const char *s, size_t n)
{
  uint64_t h = 1469598103934665603ull;
  for (size_t i = 0; i < n; i++) h = (h ^ (uint8_t)s[i]) * 1099511628211ull;
  return h;
}

static ue_t **slot_of(mbmsec_bmsc_dl *dl, const char *btid, size_t n)
{
  size_t i = (size_t)fnv(btid, n) & dl->mask;
  while (dl->tab[i] && (dl->tab[i]->btid_len != n || memcmp(dl->tab[i]->btid, btid, n)))
    i = (i + 1) & dl->mask;
  return &dl->tab[i];
}

mbmsec_err mbmsec_bmsc_dl_new(const mbmsec_bmsc_dl_config *cfg, mbmsec_bmsc_dl **out)
{
  ENSURE(cfg && out && cfg->fqdn && cfg->store && cfg->send, MBMSEC_ERR_ARG);
  const size_t fl = strlen(cfg->fqdn);
  ENSURE(fl >= 1 && fl <= 255, MBMSEC_ERR_ARG);
  mbmsec_bmsc_dl *dl = calloc(1, sizeof *dl);
  ENSURE(dl, MBMSEC_ERR_NOMEM);
  dl->cfg = *cfg;
  if (!dl->cfg.retx_first_ms) dl->cfg.retx_first_ms = MIKEY_RETX_FIRST_MS_DEFAULT;
  if (!dl->cfg.tries) dl->cfg.tries = MIKEY_RETX_TRIES_DEFAULT;
  if (dl->cfg.tries > MAX_TRIES) dl->cfg.tries = MAX_TRIES;
  if (!dl->cfg.max_ues) dl->cfg.max_ues = 100000;
  if (!dl->cfg.counter_block) dl->cfg.counter_block = 65536;
  memcpy(dl->fqdn, cfg->fqdn, fl + 1);
  dl->fqdn_len = fl;
  size_t cap = 16;
  while (cap < 2 * dl->cfg.max_ues) cap *= 2; /* load factor <= 1/2 */
  dl->mask = cap - 1;
  dl->tab = calloc(cap, sizeof *dl->tab);
  if (!dl->tab || pthread_mutex_init(&dl->lock, NULL) != 0) {
    free(dl->tab);
    free(dl);
    return MBMSEC_ERR_NOMEM;
  }
  *out = dl;
  return MBMSEC_OK;
}

void mbmsec_bmsc_dl_free(mbmsec_bmsc_dl *dl)
{
  if (!dl) return;
  for (size_t i = 0; i <= dl->mask; i++) {
    if (!dl->tab[i]) continue;
    mbmsec_cleanse(dl->tab[i], sizeof *dl->tab[i]);
    free(dl->tab[i]);
  }
  free(dl->tab);
  pthread_mutex_destroy(&dl->lock);
  free(dl);
}

mbmsec_err mbmsec_bmsc_dl_ue_set(mbmsec_bmsc_dl *dl, const char *btid,
                                 const uint8_t muk[MBMSEC_BMSC_MUK_LEN], uint32_t ipv4,
                                 uint16_t port)
{
  ENSURE(dl && btid && muk, MBMSEC_ERR_ARG);
  const size_t n = strlen(btid);
  ENSURE(n >= 1 && n <= BTID_MAX, MBMSEC_ERR_LENGTH);
  mbmsec_err rc = MBMSEC_OK;
  pthread_mutex_lock(&dl->lock);
  ue_t **s = slot_of(dl, btid, n);
  if (!*s) {
    ENSURE_OUT(dl->n_ues < dl->cfg.max_ues, MBMSEC_ERR_BMSC_FULL);
    ue_t *u = calloc(1, sizeof *u);
    ENSURE_OUT(u, MBMSEC_ERR_NOMEM);
    memcpy(u->btid, btid, n + 1);
    u->btid_len = n;
    *s = u;
    dl->n_ues++;
  }
  memcpy((*s)->muk, muk, MBMSEC_BMSC_MUK_LEN);
  (*s)->ipv4 = ipv4;
  (*s)->port = port;
out:
  pthread_mutex_unlock(&dl->lock);
  return rc;
}

/* The next MSK-message counter. One durable counter serves every UE: each UE still sees
 * strictly rising values (P11 asks no more), and a push to many UEs costs one synced store
 * write per block instead of one per UE. A new block is reserved (and synced) before any of
 * its values is used, so no value is sent twice, also across a crash. */
static mbmsec_err next_counter(mbmsec_bmsc_dl *dl, uint32_t *c)
{
  if (dl->next_counter == dl->block_end) {
    uint64_t first = 0;
    GUARD(mbmsec_store_counter_reserve(dl->cfg.store, MBMSEC_BMSC_COUNTER_NAME,
                                       dl->cfg.counter_block, UINT32_MAX, &first));
    dl->next_counter = first;
    dl->block_end = first + dl->cfg.counter_block;
  }
  *c = (uint32_t)dl->next_counter++;
  return MBMSEC_OK;
}

/* One try of a delivery: a new counter and RAND, the delivery's CSB ID, sent now. */
static mbmsec_err send_try(mbmsec_bmsc_dl *dl, ue_t *u, delivery *d, int64_t now_ms)
{
  mbmsec_err rc;
  uint8_t msg[MBMSEC_MIKEY_MSK_MSG_MAX];
  size_t len = 0;
  mbmsec_mikey_msk_params p = {.idi = (const uint8_t *)dl->fqdn, .idi_len = dl->fqdn_len,
                               .idr = (const uint8_t *)u->btid, .idr_len = u->btid_len,
                               .v_flag = dl->cfg.v_flag, .msk = d->msk, .vf = d->vf, .vt = d->vt,
                               .fixed = 1, .csb_id = d->csb_id};
  memcpy(p.kdid, d->kdid, KDID_LEN);
  memcpy(p.msk_id, d->msk_id, MSK_ID_LEN);
  GUARD(next_counter(dl, &p.counter));
  GUARD(mbmsec_random(p.rand, sizeof p.rand));
  mbmsec_mikey_sent sent;
  GUARD(mbmsec_mikey_msk_build(&p, u->muk, sizeof u->muk, NULL, msg, sizeof msg, &len, &sent));
  rc = dl->cfg.send(dl->cfg.user, u->ipv4, u->port, msg, len) == 0 ? MBMSEC_OK : MBMSEC_ERR_BMSC_SEND;
  if (d->tries < MAX_TRIES) d->sent[d->tries] = sent;
  d->tries++;
  d->next_ms = now_ms + d->delay_ms;
  d->delay_ms *= MIKEY_RETX_BACKOFF_FACTOR;
  if (d->tries == 1) dl->stats.sent++;
  else dl->stats.retransmitted++;
  return rc;
}

static delivery *find_delivery(ue_t *u, const uint8_t msk_id[MSK_ID_LEN])
{
  for (int i = 0; i < MBMSEC_BMSC_PENDING_PER_UE; i++)
    if (u->d[i].state != MBMSEC_BMSC_DL_NONE && !memcmp(u->d[i].msk_id, msk_id, MSK_ID_LEN))
      return &u->d[i];
  return NULL;
}

mbmsec_err mbmsec_bmsc_dl_deliver(mbmsec_bmsc_dl *dl, const char *btid,
                                  const uint8_t kdid[KDID_LEN], const uint8_t msk_id[MSK_ID_LEN],
                                  const uint8_t *msk, uint16_t vf, uint16_t vt, int64_t now_ms)
{
  ENSURE(dl && btid && kdid && msk_id && msk && vf <= vt, MBMSEC_ERR_ARG);
  mbmsec_err rc = MBMSEC_OK;
  pthread_mutex_lock(&dl->lock);
  ue_t *u = *slot_of(dl, btid, strlen(btid));
  ENSURE_OUT(u, MBMSEC_ERR_BMSC_UNKNOWN_UE);
  delivery *d = find_delivery(u, msk_id);
  for (int i = 0; !d && i < MBMSEC_BMSC_PENDING_PER_UE; i++)
    if (u->d[i].state != MBMSEC_BMSC_DL_PENDING) d = &u->d[i];
  ENSURE_OUT(d, MBMSEC_ERR_BMSC_FULL);
  mbmsec_cleanse(d, sizeof *d);
  memcpy(d->kdid, kdid, KDID_LEN);
  memcpy(d->msk_id, msk_id, MSK_ID_LEN);
  memcpy(d->msk, msk, MBMS_MSK_LEN);
  d->vf = vf, d->vt = vt;
  d->delay_ms = dl->cfg.retx_first_ms;
  /* A CSB ID no other pending delivery of this UE uses (RFC 3830 6.1: unique per pair). */
  for (int clash = 1; clash;) {
    GUARD_OUT(mbmsec_random(&d->csb_id, sizeof d->csb_id));
    clash = 0;
    for (int i = 0; i < MBMSEC_BMSC_PENDING_PER_UE; i++)
      clash |= &u->d[i] != d && u->d[i].state == MBMSEC_BMSC_DL_PENDING && u->d[i].csb_id == d->csb_id;
  }
  d->state = dl->cfg.v_flag ? MBMSEC_BMSC_DL_PENDING : MBMSEC_BMSC_DL_DELIVERED;
  rc = send_try(dl, u, d, now_ms);
  if (!dl->cfg.v_flag) mbmsec_cleanse(d->msk, sizeof d->msk);
out:
  pthread_mutex_unlock(&dl->lock);
  return rc;
}

mbmsec_err mbmsec_bmsc_dl_on_datagram(mbmsec_bmsc_dl *dl, uint32_t src_ipv4, uint16_t src_port,
                                      const uint8_t *msg, size_t len, int64_t now_ms)
{
  (void)src_ipv4, (void)src_port, (void)now_ms; /* the MAC decides, not the address */
  ENSURE(dl && msg, MBMSEC_ERR_ARG);
  mbmsec_mikey_msg m;
  mbmsec_err rc = mbmsec_mikey_decode(msg, len, &m);
  pthread_mutex_lock(&dl->lock);
  if (rc != MBMSEC_OK) goto out;
  const int idr = mbmsec_mikey_find(&m, MBMSEC_MIKEY_PT_ID, 0);
  ENSURE_OUT(m.hdr.data_type == MBMSEC_MIKEY_DT_PSK_VERIFY && idr >= 0, MBMSEC_ERR_BMSC_NO_DELIVERY);
  const char *btid = (const char *)m.p[idr].u.id.data;
  const size_t bl = m.p[idr].u.id.len;
  ENSURE_OUT(bl >= 1 && bl <= BTID_MAX, MBMSEC_ERR_BMSC_UNKNOWN_UE);
  ue_t *u = *slot_of(dl, btid, bl);
  ENSURE_OUT(u, MBMSEC_ERR_BMSC_UNKNOWN_UE);
  rc = MBMSEC_ERR_BMSC_NO_DELIVERY;
  for (int i = 0; i < MBMSEC_BMSC_PENDING_PER_UE; i++) {
    delivery *d = &u->d[i];
    if (d->state != MBMSEC_BMSC_DL_PENDING || d->csb_id != m.hdr.csb_id) continue;
    const unsigned n = d->tries < MAX_TRIES ? d->tries : MAX_TRIES;
    for (unsigned t = 0; t < n; t++) {
      if (mbmsec_mikey_ver_verify(msg, len, u->muk, sizeof u->muk, &d->sent[t],
                                  (const uint8_t *)dl->fqdn, dl->fqdn_len,
                                  (const uint8_t *)u->btid, u->btid_len) == MBMSEC_OK) {
        d->state = MBMSEC_BMSC_DL_DELIVERED;
        mbmsec_cleanse(d->msk, sizeof d->msk);
        dl->stats.acked++;
        rc = MBMSEC_OK;
        goto out;
      }
    }
  }
out:
  if (rc != MBMSEC_OK) dl->stats.bad_verification++;
  pthread_mutex_unlock(&dl->lock);
  return rc;
}

int64_t mbmsec_bmsc_dl_tick(mbmsec_bmsc_dl *dl, int64_t now_ms)
{
  if (!dl) return -1;
  int64_t next = -1;
  pthread_mutex_lock(&dl->lock);
  for (size_t s = 0; s <= dl->mask; s++) {
    ue_t *u = dl->tab[s];
    if (!u) continue;
    for (int i = 0; i < MBMSEC_BMSC_PENDING_PER_UE; i++) {
      delivery *d = &u->d[i];
      if (d->state != MBMSEC_BMSC_DL_PENDING) continue;
      if (now_ms >= d->next_ms) {
        if (d->tries >= dl->cfg.tries) {
          d->state = MBMSEC_BMSC_DL_FAILED; /* P13: no verification after the last wait */
          mbmsec_cleanse(d->msk, sizeof d->msk);
          dl->stats.failed++;
          continue;
        }
        (void)send_try(dl, u, d, now_ms); /* a failed send is retried at the next deadline */
      }
      if (next < 0 || d->next_ms < next) next = d->next_ms;
    }
  }
  pthread_mutex_unlock(&dl->lock);
  return next;
}

mbmsec_bmsc_dl_state mbmsec_bmsc_dl_get(mbmsec_bmsc_dl *dl, const char *btid,
                                        const uint8_t msk_id[MSK_ID_LEN])
{
  if (!dl || !btid || !msk_id) return MBMSEC_BMSC_DL_NONE;
  pthread_mutex_lock(&dl->lock);
  ue_t *u = *slot_of(dl, btid, strlen(btid));
  const delivery *d = u ? find_delivery(u, msk_id) : NULL;
  const mbmsec_bmsc_dl_state st = d ? d->state : MBMSEC_BMSC_DL_NONE;
  pthread_mutex_unlock(&dl->lock);
  return st;
}

void mbmsec_bmsc_dl_get_stats(mbmsec_bmsc_dl *dl, mbmsec_bmsc_dl_stats *out)
{
  if (!dl || !out) return;
  pthread_mutex_lock(&dl->lock);
  *out = dl->stats;
  pthread_mutex_unlock(&dl->lock);
}
