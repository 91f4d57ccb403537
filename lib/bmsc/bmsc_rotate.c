/* The BM-SC's key policy: MSK generation, UE restore, push plans, schedule, pull
 * (include/mbmsec/bmsc_rotate.h, docs/bmsc-rotation.md). Moved out of the daemon
 * (src/bmsc/rotate.c, bmsc_keyreq.c, mikey.c), which keeps the timer and the admin
 * and metrics wiring; the clocks come in as arguments. */
#include "mbmsec/bmsc_rotate.h"

#include <arpa/inet.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "guard.h"
#include "mbmsec/crypto.h"
#include "mbmsec/keyid.h"
#include "mbmsec/members.h"

static void report(mbmsec_bmsc_rotate_report_fn fn, void *user, mbmsec_bmsc_rotate_report *r)
{
  if (fn) fn(user, r);
}

/* ---- MSK generation */

static void generate(mbmsec_store *st, const mbmsec_members_group_use *g, int64_t from, int64_t now,
                     mbmsec_bmsc_rotate_report_fn fn, void *user, size_t *made)
{
  mbmsec_bmsc_rotate_report r = {.what = MBMSEC_BMSC_ROTATE_R_GENERATED};
  memcpy(r.kdid, g->kdid, MBMSEC_KDID_LEN);
  r.code = mbmsec_members_msk_generate(st, g->kdid, g->key_group, from, from + g->msk_lifetime,
                                       MBMSEC_BMSC_ROTATE_MTK_FIRST, MBMSEC_BMSC_ROTATE_MTK_LAST,
                                       now, r.msk_id);
  if (r.code == MBMSEC_OK)
    ++*made;
  else
    memset(r.msk_id, 0, MBMSEC_MSK_ID_LEN);
  report(fn, user, &r);
}

mbmsec_err mbmsec_bmsc_rotate_keep_msks(mbmsec_store *st, int64_t now_s,
                                        mbmsec_bmsc_rotate_report_fn fn, void *user,
                                        size_t *generated)
{
  size_t made = 0;
  if (generated) *generated = 0;
  ENSURE(st, MBMSEC_ERR_ARG);
  mbmsec_members_group_use *g = NULL;
  size_t n = 0;
  mbmsec_err rc = mbmsec_members_group_all(st, &g, &n);
  if (rc != MBMSEC_OK) {
    mbmsec_bmsc_rotate_report r = {.what = MBMSEC_BMSC_ROTATE_R_LIST_FAILED, .code = rc};
    report(fn, user, &r);
    return rc;
  }
  for (size_t i = 0; i < n; i++) {
    mbmsec_members_group_state gs;
    if (mbmsec_members_group_state_get(st, g[i].kdid, g[i].key_group, now_s, &gs) != MBMSEC_OK)
      continue;
    int64_t next_from = now_s + g[i].msk_lifetime;
    if (!gs.has_current)
      generate(st, &g[i], now_s, now_s, fn, user, &made);
    else {
      mbmsec_store_msk cur;
      uint8_t id[MBMSEC_MSK_ID_LEN];
      mbmsec_msk_id_pack(g[i].key_group, gs.current, id);
      if (mbmsec_store_msk_get(st, g[i].kdid, MBMSEC_KDID_LEN, id, MBMSEC_MSK_ID_LEN, &cur) ==
          MBMSEC_OK)
        next_from = cur.valid_to;
      mbmsec_cleanse(&cur, sizeof cur);
    }
    if (!gs.has_next) generate(st, &g[i], next_from, now_s, fn, user, &made);
  }
  free(g);
  if (generated) *generated = made;
  return MBMSEC_OK;
}

/* ---- UE restore */

typedef struct {
  bool found;
  char impi[MBMSEC_STORE_IMPI_MAX + 1];
  char ue_addr[MBMSEC_STORE_UE_ADDR_MAX + 1];
} reg_of_btid;

static mbmsec_err reg_first(const mbmsec_store_registration *reg, void *arg)
{
  reg_of_btid *r = arg;
  if (!r->found) {
    r->found = true;
    memcpy(r->impi, reg->impi, sizeof r->impi);
    memcpy(r->ue_addr, reg->ue_addr, sizeof r->ue_addr);
  }
  return MBMSEC_OK;
}

/* "a.b.c.d:port" as the key request stores it -> IPv4 in host order. */
static int ue_addr_ipv4(const char *ue_addr, uint32_t *ipv4)
{
  const char *c = strrchr(ue_addr, ':');
  char host[INET_ADDRSTRLEN];
  struct in_addr ia;
  if (!c || (size_t)(c - ue_addr) >= sizeof host) return -1;
  memcpy(host, ue_addr, (size_t)(c - ue_addr));
  host[c - ue_addr] = 0;
  if (inet_pton(AF_INET, host, &ia) != 1) return -1;
  *ipv4 = ntohl(ia.s_addr);
  return 0;
}

mbmsec_err mbmsec_bmsc_rotate_restore(mbmsec_store *st, mbmsec_bmsc_dl *dl, const char *btid,
                                      uint16_t ue_port, mbmsec_bmsc_zn_muk_fn zn, void *zn_user,
                                      mbmsec_bmsc_rotate_report_fn fn, void *user)
{
  ENSURE(st && dl && btid, MBMSEC_ERR_ARG);
  mbmsec_bmsc_dl_ue_info info;
  if (mbmsec_bmsc_dl_ue_get(dl, btid, &info) == MBMSEC_OK) return MBMSEC_OK;
  reg_of_btid reg = {0};
  uint8_t muk[MBMSEC_BMSC_MUK_LEN] = {0};
  char impi[MBMSEC_STORE_IMPI_MAX + 1] = "";
  const char *skip = NULL, *why = NULL;
  uint32_t ipv4 = 0;
  mbmsec_err rc = mbmsec_store_registration_list_by_btid(st, btid, reg_first, &reg);
  if (rc != MBMSEC_OK || !reg.found)
    skip = rc != MBMSEC_OK ? mbmsec_errname(rc) : "not-registered";
  else if (ue_addr_ipv4(reg.ue_addr, &ipv4))
    skip = "bad-ue-addr";
  else if (!zn)
    skip = "no-zn";
  else if ((rc = zn(zn_user, btid, muk, impi, &why)) != MBMSEC_OK || why)
    skip = rc != MBMSEC_OK ? mbmsec_errname(rc) : why;
  else if (strcmp(impi, reg.impi))
    skip = "impi-mismatch"; /* the BSF says the B-TID is someone else's */
  else if ((rc = mbmsec_bmsc_dl_ue_set(dl, btid, muk, ipv4, ue_port)) != MBMSEC_OK)
    skip = mbmsec_errname(rc);
  mbmsec_cleanse(muk, sizeof muk);
  mbmsec_cleanse(impi, sizeof impi);
  mbmsec_bmsc_rotate_report r = {.what = skip ? MBMSEC_BMSC_ROTATE_R_RESTORE_SKIPPED
                                              : MBMSEC_BMSC_ROTATE_R_RESTORED,
                                 .code = skip ? MBMSEC_ERR_BMSC_UNKNOWN_UE : MBMSEC_OK,
                                 .btid = btid,
                                 .impi = reg.impi,
                                 .ue_addr = reg.ue_addr,
                                 .reason = skip};
  report(fn, user, &r);
  return skip ? MBMSEC_ERR_BMSC_UNKNOWN_UE : MBMSEC_OK;
}

/* ---- plans */

typedef struct {
  uint8_t kdid[MBMSEC_KDID_LEN];
  uint16_t key_group;
  uint8_t msk_id[MBMSEC_MSK_ID_LEN];
  uint16_t vf, vt;
  uint8_t key[MBMSEC_MBMS_MSK_LEN];
  char **btids; /* sorted; index = scheduler id */
  size_t n;
  mbmsec_bmsc_rot *rot; /* NULL for an empty group */
  bool logged_done;
} rot_plan;

typedef struct {
  char *btid;
  uint8_t msk_id[MBMSEC_MSK_ID_LEN];
  bool acked;
} rot_event;

struct mbmsec_bmsc_rotate {
  mbmsec_bmsc_rotate_config cfg;
  pthread_mutex_t mu; /* plans */
  rot_plan **plans;   /* every running plan and the latest finished ones, oldest first */
  size_t n, cap;
  pthread_mutex_t qmu; /* the event queue */
  rot_event *q;
  size_t qn, qcap;
  uint64_t q_dropped;
  atomic_bool any;            /* a plan exists: events are worth queueing */
  pthread_mutex_t restore_mu; /* one restore at a time: a UE is not set twice at once */
  bool auto_started;
  int64_t last_auto_s;
  uint32_t ids[MBMSEC_BMSC_ROTATE_BATCH]; /* tick's scratch (only tick uses it) */
  bool ok[MBMSEC_BMSC_ROTATE_BATCH];
};

static void emit(mbmsec_bmsc_rotate *r, mbmsec_bmsc_rotate_report *rep)
{
  report(r->cfg.report, r->cfg.report_user, rep);
}

static void plan_free(rot_plan *p)
{
  if (!p) return;
  mbmsec_cleanse(p->key, sizeof p->key);
  mbmsec_members_btids_free(p->btids, p->n);
  mbmsec_bmsc_rot_free(p->rot);
  free(p);
}

static bool plan_active(const rot_plan *p)
{
  mbmsec_bmsc_rot_progress pr;
  mbmsec_bmsc_rot_get_progress(p->rot, &pr);
  return pr.waiting || pr.pending;
}

static rot_plan *find_plan(mbmsec_bmsc_rotate *r, const uint8_t msk_id[MBMSEC_MSK_ID_LEN])
{
  for (size_t i = r->n; i-- > 0;)
    if (!memcmp(r->plans[i]->msk_id, msk_id, MBMSEC_MSK_ID_LEN)) return r->plans[i];
  return NULL;
}

mbmsec_err mbmsec_bmsc_rotate_new(const mbmsec_bmsc_rotate_config *cfg, mbmsec_bmsc_rotate **out)
{
  ENSURE(out, MBMSEC_ERR_ARG);
  *out = NULL;
  ENSURE(cfg && cfg->store && cfg->dl, MBMSEC_ERR_ARG);
  mbmsec_bmsc_rotate *r = calloc(1, sizeof *r);
  ENSURE(r, MBMSEC_ERR_NOMEM);
  r->cfg = *cfg;
  pthread_mutex_init(&r->mu, NULL);
  pthread_mutex_init(&r->qmu, NULL);
  pthread_mutex_init(&r->restore_mu, NULL);
  *out = r;
  return MBMSEC_OK;
}

void mbmsec_bmsc_rotate_free(mbmsec_bmsc_rotate *r)
{
  if (!r) return;
  for (size_t i = 0; i < r->n; i++) plan_free(r->plans[i]);
  free(r->plans);
  for (size_t i = 0; i < r->qn; i++) free(r->q[i].btid);
  free(r->q);
  pthread_mutex_destroy(&r->mu);
  pthread_mutex_destroy(&r->qmu);
  pthread_mutex_destroy(&r->restore_mu);
  free(r);
}

uint64_t mbmsec_bmsc_rotate_dropped_events(mbmsec_bmsc_rotate *r)
{
  if (!r) return 0;
  pthread_mutex_lock(&r->qmu);
  const uint64_t d = r->q_dropped;
  pthread_mutex_unlock(&r->qmu);
  return d;
}

/* Called by the delivery engine with a UE lock held: queue only (never the engine, never mu). */
void mbmsec_bmsc_rotate_on_event(mbmsec_bmsc_rotate *r, mbmsec_bmsc_event ev, const char *btid,
                                 const uint8_t msk_id[MBMSEC_MSK_ID_LEN], int pull)
{
  if (!r || !btid || !msk_id || pull || ev == MBMSEC_BMSC_EV_RETRANSMITTED || !atomic_load(&r->any))
    return;
  pthread_mutex_lock(&r->qmu);
  if (r->qn == r->qcap) {
    size_t nc = r->qcap ? r->qcap * 2 : 1024;
    rot_event *nq = nc <= MBMSEC_BMSC_ROTATE_QUEUE_MAX ? realloc(r->q, nc * sizeof *nq) : NULL;
    if (nq) {
      r->q = nq;
      r->qcap = nc;
    }
  }
  char *b = r->qn < r->qcap ? strdup(btid) : NULL;
  if (b) {
    r->q[r->qn].btid = b;
    memcpy(r->q[r->qn].msk_id, msk_id, MBMSEC_MSK_ID_LEN);
    r->q[r->qn].acked = ev == MBMSEC_BMSC_EV_DELIVERED;
    r->qn++;
  } else {
    r->q_dropped++;
  }
  pthread_mutex_unlock(&r->qmu);
}

mbmsec_err mbmsec_bmsc_rotate_begin(mbmsec_bmsc_rotate *r, const uint8_t kdid[MBMSEC_KDID_LEN],
                                    uint16_t key_group, uint32_t window_ms, uint32_t jitter_ms,
                                    bool force, int64_t now_s, int64_t now_ms,
                                    uint8_t msk_id_out[MBMSEC_MSK_ID_LEN])
{
  ENSURE(r && kdid, MBMSEC_ERR_ARG);
  mbmsec_store *st = r->cfg.store;
  mbmsec_members_group_state gs;
  mbmsec_err rc = mbmsec_members_group_state_get(st, kdid, key_group, now_s, &gs);
  if (rc == MBMSEC_OK && !gs.has_next) {
    /* generates the missing next MSK (P11) */
    (void)mbmsec_bmsc_rotate_keep_msks(st, now_s, r->cfg.report, r->cfg.report_user, NULL);
    rc = mbmsec_members_group_state_get(st, kdid, key_group, now_s, &gs);
  }
  if (rc != MBMSEC_OK) return rc;
  if (!gs.has_next && !gs.has_current) return MBMSEC_ERR_BMSC_ROT_NO_MSK;
  rot_plan *p = calloc(1, sizeof *p);
  ENSURE(p, MBMSEC_ERR_NOMEM);
  memcpy(p->kdid, kdid, MBMSEC_KDID_LEN);
  p->key_group = key_group;
  mbmsec_msk_id_pack(key_group, gs.has_next ? gs.next : gs.current, p->msk_id);
  if (msk_id_out) memcpy(msk_id_out, p->msk_id, MBMSEC_MSK_ID_LEN);
  pthread_mutex_lock(&r->mu);
  rot_plan *old = find_plan(r, p->msk_id);
  bool busy = old && (plan_active(old) || !force);
  pthread_mutex_unlock(&r->mu);
  if (busy) {
    plan_free(p);
    return MBMSEC_ERR_BMSC_ROT_BUSY;
  }
  mbmsec_store_msk m;
  rc = mbmsec_store_msk_get(st, kdid, MBMSEC_KDID_LEN, p->msk_id, MBMSEC_MSK_ID_LEN, &m);
  if (rc == MBMSEC_OK) {
    memcpy(p->key, m.key, sizeof p->key);
    p->vf = m.vf;
    p->vt = m.vt;
  }
  mbmsec_cleanse(&m, sizeof m);
  if (rc == MBMSEC_OK) rc = mbmsec_members_group_btids(st, kdid, key_group, &p->btids, &p->n);
  uint64_t seed = 0;
  if (rc == MBMSEC_OK) rc = mbmsec_random(&seed, sizeof seed);
  mbmsec_bmsc_rot_plan pl = {
      .start_ms = now_ms, .window_ms = window_ms, .jitter_ms = jitter_ms, .seed = seed};
  /* an empty group gets a plan of its own with nothing in it: msk list still shows it */
  if (rc == MBMSEC_OK && p->n) rc = mbmsec_bmsc_rot_new(&pl, p->n, &p->rot);
  if (rc != MBMSEC_OK) {
    plan_free(p);
    return rc;
  }
  pthread_mutex_lock(&r->mu);
  old = find_plan(r, p->msk_id);
  if (old && plan_active(old))
    rc = MBMSEC_ERR_BMSC_ROT_BUSY; /* raced with another start */
  else {
    /* Running plans are never refused nor dropped (every Key Group may rotate at once);
     * drop the replaced plan, else the oldest finished one when PLANS_MAX finished are kept. */
    size_t drop = r->n, finished = 0;
    for (size_t i = 0; i < r->n; i++) finished += !plan_active(r->plans[i]);
    for (size_t i = 0; i < r->n && drop == r->n; i++)
      if (old ? r->plans[i] == old
              : finished >= MBMSEC_BMSC_ROTATE_PLANS_MAX && !plan_active(r->plans[i]))
        drop = i;
    if (drop < r->n) {
      plan_free(r->plans[drop]);
      memmove(&r->plans[drop], &r->plans[drop + 1], (r->n - drop - 1) * sizeof r->plans[0]);
      r->n--;
    }
    if (r->n == r->cap) {
      size_t nc = r->cap ? r->cap * 2 : 16;
      rot_plan **np = realloc(r->plans, nc * sizeof *np);
      if (np) {
        r->plans = np;
        r->cap = nc;
      }
    }
    if (r->n == r->cap)
      rc = MBMSEC_ERR_NOMEM;
    else {
      r->plans[r->n++] = p;
      atomic_store(&r->any, true);
    }
  }
  pthread_mutex_unlock(&r->mu);
  if (rc != MBMSEC_OK) {
    plan_free(p);
    return rc;
  }
  mbmsec_bmsc_rotate_report rep = {
      .what = MBMSEC_BMSC_ROTATE_R_START, .ues = p->n, .window_ms = window_ms};
  memcpy(rep.kdid, kdid, MBMSEC_KDID_LEN);
  memcpy(rep.msk_id, p->msk_id, MBMSEC_MSK_ID_LEN);
  emit(r, &rep);
  return MBMSEC_OK;
}

size_t mbmsec_bmsc_rotate_schedule(mbmsec_bmsc_rotate *r, int64_t now_s, int64_t now_ms)
{
  if (!r) return 0;
  mbmsec_store *st = r->cfg.store;
  mbmsec_members_group_use *g = NULL;
  size_t n = 0, started = 0;
  if (mbmsec_members_group_all(st, &g, &n) != MBMSEC_OK) return 0;
  for (size_t i = 0; i < n; i++) {
    mbmsec_members_group_state gs;
    if (mbmsec_members_group_state_get(st, g[i].kdid, g[i].key_group, now_s, &gs) != MBMSEC_OK ||
        !gs.has_current || !gs.has_next)
      continue;
    uint8_t cur_id[MBMSEC_MSK_ID_LEN], next_id[MBMSEC_MSK_ID_LEN];
    mbmsec_msk_id_pack(g[i].key_group, gs.current, cur_id);
    mbmsec_msk_id_pack(g[i].key_group, gs.next, next_id);
    pthread_mutex_lock(&r->mu);
    bool have = find_plan(r, next_id) != NULL;
    pthread_mutex_unlock(&r->mu);
    if (have) continue;
    mbmsec_store_msk m;
    mbmsec_err rc =
        mbmsec_store_msk_get(st, g[i].kdid, MBMSEC_KDID_LEN, cur_id, MBMSEC_MSK_ID_LEN, &m);
    const int64_t left = m.valid_to - now_s;
    mbmsec_cleanse(&m, sizeof m);
    if (rc != MBMSEC_OK || left > (int64_t)r->cfg.lead_s) continue;
    /* the push must end before the change-over: at most half of the time left */
    uint64_t w = (uint64_t)r->cfg.window_s * 1000;
    if (left <= 0)
      w = 0;
    else if (w > (uint64_t)left * 500)
      w = (uint64_t)left * 500;
    if (mbmsec_bmsc_rotate_begin(r, g[i].kdid, g[i].key_group, (uint32_t)w, r->cfg.jitter_ms, false,
                                 now_s, now_ms, NULL) == MBMSEC_OK)
      started++;
  }
  free(g);
  return started;
}

mbmsec_err mbmsec_bmsc_rotate_known(mbmsec_bmsc_rotate *r, const char *btid)
{
  ENSURE(r && btid, MBMSEC_ERR_ARG);
  mbmsec_bmsc_dl_ue_info info;
  if (mbmsec_bmsc_dl_ue_get(r->cfg.dl, btid, &info) == MBMSEC_OK) return MBMSEC_OK;
  pthread_mutex_lock(&r->restore_mu);
  mbmsec_err rc =
      mbmsec_bmsc_rotate_restore(r->cfg.store, r->cfg.dl, btid, r->cfg.ue_mikey_port, r->cfg.zn,
                                 r->cfg.zn_user, r->cfg.report, r->cfg.report_user);
  pthread_mutex_unlock(&r->restore_mu);
  return rc;
}

static void push_due(mbmsec_bmsc_rotate *r, rot_plan *p, const uint32_t *ids, size_t k, bool *ok,
                     int64_t now_ms)
{
  for (size_t i = 0; i < k; i++) {
    const char *btid = p->btids[ids[i]];
    int member = 1;
    /* The plan took its UEs when it started; one that deregistered from every service of the
     * group since must not get the MSK ("UE gone"). Unsure (store error): push rather than
     * cut a UE off. */
    if (mbmsec_members_btid_in_group(r->cfg.store, btid, p->kdid, p->key_group, &member) !=
        MBMSEC_OK)
      member = 1;
    if (!member) {
      ok[i] = false;
      mbmsec_bmsc_rotate_report rep = {.what = MBMSEC_BMSC_ROTATE_R_SKIP_DEREGISTERED,
                                       .code = MBMSEC_ERR_BMSC_UNKNOWN_UE,
                                       .btid = btid};
      memcpy(rep.kdid, p->kdid, MBMSEC_KDID_LEN);
      memcpy(rep.msk_id, p->msk_id, MBMSEC_MSK_ID_LEN);
      emit(r, &rep);
      continue;
    }
    if (mbmsec_bmsc_rotate_known(r, btid) != MBMSEC_OK) { /* not restorable: reported */
      ok[i] = false;
      continue;
    }
    mbmsec_err rc =
        mbmsec_bmsc_dl_deliver(r->cfg.dl, btid, p->kdid, p->msk_id, p->key, p->vf, p->vt, now_ms);
    ok[i] = rc == MBMSEC_OK;
    if (rc != MBMSEC_OK) {
      mbmsec_bmsc_rotate_report rep = {
          .what = MBMSEC_BMSC_ROTATE_R_SEND_ERROR, .code = rc, .btid = btid};
      memcpy(rep.kdid, p->kdid, MBMSEC_KDID_LEN);
      memcpy(rep.msk_id, p->msk_id, MBMSEC_MSK_ID_LEN);
      emit(r, &rep);
    }
  }
}

static int btid_index(const rot_plan *p, const char *btid, uint32_t *id)
{
  size_t lo = 0, hi = p->n;
  while (lo < hi) {
    size_t mid = lo + (hi - lo) / 2;
    int c = strcmp(btid, p->btids[mid]);
    if (!c) {
      *id = (uint32_t)mid;
      return 0;
    }
    if (c < 0)
      hi = mid;
    else
      lo = mid + 1;
  }
  return -1;
}

void mbmsec_bmsc_rotate_tick(mbmsec_bmsc_rotate *r, int64_t now_s, int64_t now_ms)
{
  if (!r) return;
  if (!r->auto_started) {
    r->auto_started = true;
    r->last_auto_s = now_s;
  } else if (now_s - r->last_auto_s >= MBMSEC_BMSC_ROTATE_AUTO_S) {
    r->last_auto_s = now_s;
    (void)mbmsec_bmsc_rotate_schedule(r, now_s, now_ms);
  }
  uint32_t *ids = r->ids;
  bool *ok = r->ok;
  pthread_mutex_lock(&r->mu);
  for (size_t i = 0; i < r->n; i++) {
    rot_plan *p = r->plans[i];
    if (!p->rot) continue;
    size_t k = mbmsec_bmsc_rot_due(p->rot, now_ms, ids, MBMSEC_BMSC_ROTATE_BATCH);
    if (!k) continue;
    /* Plans are only freed by tick and by begin replacing an idle plan; p has due UEs, so it
     * is active and stays while mu is released. */
    pthread_mutex_unlock(&r->mu);
    push_due(r, p, ids, k, ok, now_ms);
    pthread_mutex_lock(&r->mu);
    for (size_t j = 0; j < k; j++) {
      mbmsec_bmsc_rot_sent(p->rot, ids[j], ok[j]);
      /* V clear: nothing will answer; sent is the end of it */
      if (ok[j] &&
          mbmsec_bmsc_dl_get(r->cfg.dl, p->btids[ids[j]], p->msk_id) == MBMSEC_BMSC_DL_SENT)
        mbmsec_bmsc_rot_settle(p->rot, ids[j], 1);
    }
  }
  pthread_mutex_unlock(&r->mu);
  /* settle what the delivery engine saw */
  pthread_mutex_lock(&r->qmu);
  rot_event *q = r->q;
  size_t qn = r->qn;
  r->q = NULL;
  r->qn = r->qcap = 0;
  pthread_mutex_unlock(&r->qmu);
  pthread_mutex_lock(&r->mu);
  for (size_t i = 0; i < qn; i++) {
    rot_plan *p = find_plan(r, q[i].msk_id);
    uint32_t id;
    if (p && p->rot && btid_index(p, q[i].btid, &id) == 0)
      (void)mbmsec_bmsc_rot_settle(p->rot, id, q[i].acked); /* refused: not this plan's push */
    free(q[i].btid);
  }
  for (size_t i = 0; i < r->n; i++) {
    rot_plan *p = r->plans[i];
    if (p->logged_done || (p->rot && plan_active(p))) continue;
    p->logged_done = true;
    mbmsec_bmsc_rotate_report rep = {.what = MBMSEC_BMSC_ROTATE_R_DONE};
    memcpy(rep.kdid, p->kdid, MBMSEC_KDID_LEN);
    memcpy(rep.msk_id, p->msk_id, MBMSEC_MSK_ID_LEN);
    mbmsec_bmsc_rot_get_progress(p->rot, &rep.progress);
    rep.ues = p->n;
    emit(r, &rep); /* under mu: the report callback must not call this engine */
  }
  pthread_mutex_unlock(&r->mu);
  free(q);
}

mbmsec_err mbmsec_bmsc_rotate_pull(mbmsec_bmsc_rotate *r, const uint8_t kdid[MBMSEC_KDID_LEN],
                                   uint16_t key_group, const char *btid, int64_t now_s,
                                   int64_t now_ms, size_t *pulled, size_t *errors)
{
  ENSURE(r && kdid && pulled && errors, MBMSEC_ERR_ARG);
  *pulled = *errors = 0;
  mbmsec_members_group_state gs;
  GUARD(mbmsec_members_group_state_get(r->cfg.store, kdid, key_group, now_s, &gs));
  ENSURE(gs.has_current || gs.has_next, MBMSEC_ERR_BMSC_ROT_NO_MSK);
  uint8_t id[MBMSEC_MSK_ID_LEN];
  mbmsec_msk_id_pack(key_group, gs.has_current ? gs.current : gs.next, id);
  char **b = NULL;
  size_t n = 0;
  if (btid) {
    GUARD(mbmsec_bmsc_rotate_known(r, btid));
    b = malloc(sizeof *b);
    if (!b || !(b[0] = strdup(btid))) {
      free(b);
      return MBMSEC_ERR_NOMEM;
    }
    n = 1;
  } else {
    GUARD(mbmsec_members_group_btids(r->cfg.store, kdid, key_group, &b, &n));
  }
  for (size_t i = 0; i < n; i++) {
    mbmsec_err rc = mbmsec_bmsc_rotate_known(r, b[i]); /* restores a UE the engine lost */
    if (rc == MBMSEC_OK) rc = mbmsec_bmsc_dl_pull(r->cfg.dl, b[i], kdid, id, now_ms);
    if (rc == MBMSEC_OK)
      ++*pulled;
    else
      ++*errors;
    mbmsec_bmsc_rotate_report rep = {.what = MBMSEC_BMSC_ROTATE_R_PULL, .code = rc, .btid = b[i]};
    memcpy(rep.kdid, kdid, MBMSEC_KDID_LEN);
    memcpy(rep.msk_id, id, MBMSEC_MSK_ID_LEN);
    emit(r, &rep);
  }
  mbmsec_members_btids_free(b, n);
  return MBMSEC_OK;
}

/* ---- reports: `msk list` and /metrics */

mbmsec_err mbmsec_bmsc_rotate_msk_each(mbmsec_bmsc_rotate *r, mbmsec_store *st, int64_t now_s,
                                       int (*cb)(void *arg, const mbmsec_bmsc_rotate_msk_row *row),
                                       void *arg, size_t *rows)
{
  if (rows) *rows = 0;
  ENSURE(st && cb, MBMSEC_ERR_ARG);
  mbmsec_members_group_use *g = NULL;
  size_t n = 0, count = 0;
  GUARD(mbmsec_members_group_all(st, &g, &n));
  bool stop = false;
  for (size_t i = 0; i < n && !stop; i++) {
    mbmsec_members_group_state gs;
    if (mbmsec_members_group_state_get(st, g[i].kdid, g[i].key_group, now_s, &gs) != MBMSEC_OK)
      continue;
    for (int role = 0; role < 2 && !stop; role++) {
      if (role == 0 ? !gs.has_current : !gs.has_next) continue;
      mbmsec_bmsc_rotate_msk_row row;
      memset(&row, 0, sizeof row);
      memcpy(row.kdid, g[i].kdid, MBMSEC_KDID_LEN);
      row.key_group = g[i].key_group;
      row.key_number = role == 0 ? gs.current : gs.next;
      row.next = role == 1;
      mbmsec_msk_id_pack(row.key_group, row.key_number, row.msk_id);
      mbmsec_store_msk m;
      mbmsec_err rc =
          mbmsec_store_msk_get(st, row.kdid, MBMSEC_KDID_LEN, row.msk_id, MBMSEC_MSK_ID_LEN, &m);
      row.valid_from = m.valid_from;
      row.valid_to = m.valid_to;
      row.vf = m.vf;
      row.vt = m.vt;
      mbmsec_cleanse(&m, sizeof m);
      if (rc != MBMSEC_OK) continue;
      if (r) {
        pthread_mutex_lock(&r->mu);
        rot_plan *p = find_plan(r, row.msk_id);
        mbmsec_bmsc_rot_get_progress(p ? p->rot : NULL, &row.progress);
        pthread_mutex_unlock(&r->mu);
      } else {
        mbmsec_bmsc_rot_get_progress(NULL, &row.progress);
      }
      count++;
      stop = cb(arg, &row) != 0;
    }
  }
  free(g);
  if (rows) *rows = count;
  return MBMSEC_OK;
}

void mbmsec_bmsc_rotate_plan_each(mbmsec_bmsc_rotate *r,
                                  void (*cb)(void *arg, uint16_t key_group,
                                             const uint8_t msk_id[MBMSEC_MSK_ID_LEN],
                                             const mbmsec_bmsc_rot_progress *pr),
                                  void *arg)
{
  if (!r || !cb) return;
  pthread_mutex_lock(&r->mu);
  for (size_t i = 0; i < r->n; i++) {
    mbmsec_bmsc_rot_progress pr;
    mbmsec_bmsc_rot_get_progress(r->plans[i]->rot, &pr);
    cb(arg, r->plans[i]->key_group, r->plans[i]->msk_id, &pr);
  }
  pthread_mutex_unlock(&r->mu);
}
