/* MSK rotation in the daemon (docs/bmsc-rotation.md): plans of the pure scheduler
 * (lib/bmsc bmsc_rotsched.h) fed to the delivery engine (bmsc_delivery.h).
 *
 * One plan per pushed MSK: the registered UEs of its Key Group (registrations of every
 * service using the group, by B-TID), sorted by B-TID so an index names a UE. A UE registers
 * with its MUK in the delivery engine; one the engine does not know (registered before a
 * restart) is restored when its push is due (bmsc_mikey_known: Zn gives the MUK again).
 * The main loop calls bmsc_rotate_tick every 100 ms: due UEs are pushed
 * (mbmsec_bmsc_dl_deliver), and delivery events queued by the MIKEY thread settle them. Every
 * ROT_AUTO_S seconds it also starts the plans of the schedule: the next MSK of a group whose
 * current MSK ends within rotate-lead seconds.
 *
 * Locks: `mu` guards the plans and is never held while calling the delivery engine (whose
 * event callback takes `qmu`, the queue's own lock, with a UE lock held): lock order UE -> qmu,
 * and mu is taken alone. Only the main loop pushes and settles; admin threads start plans and
 * read progress under mu. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bmsc.h"
#include "bmsc_text.h"
#include "log.h"
#include "mbmsec/bmsc_rotsched.h"
#include "mbmsec/crypto.h"
#include "mbmsec/encode.h"

#define ROT_PLANS_MAX 64     /* plans kept (finished ones are dropped first, oldest first) */
#define ROT_BATCH 4096       /* pushes per tick and plan (100k UEs over 60 s is ~170/tick) */
#define ROT_AUTO_S 10        /* how often the schedule is checked */
#define ROT_QUEUE_MAX 1000000 /* delivery events waiting for the main loop */
#define ROT_GROUPS_MAX 1024  /* Key Groups checked by the schedule */

typedef struct {
  uint8_t kdid[KDID_LEN];
  uint16_t key_group;
  uint8_t msk_id[MSK_ID_LEN];
  int64_t valid_from, valid_to;
  uint16_t vf, vt;
  uint8_t key[MBMS_MSK_LEN];
  char **btids; /* sorted; index = scheduler id */
  size_t n;
  mbmsec_bmsc_rot *rot;
  int64_t started; /* Unix seconds */
  bool logged_done;
} rot_plan;

typedef struct {
  char *btid;
  uint8_t msk_id[MSK_ID_LEN];
  bool acked;
} rot_event;

struct bmsc_rotate {
  pthread_mutex_t mu;
  rot_plan *plans[ROT_PLANS_MAX];
  size_t n;
  pthread_mutex_t qmu;
  rot_event *q;
  size_t qn, qcap;
  uint64_t q_dropped;
  atomic_bool any; /* a plan exists: events are worth queueing */
  time_t last_auto;
};

static int64_t mono_ms(void)
{
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void plan_free(rot_plan *p)
{
  if (!p) return;
  mbmsec_cleanse(p->key, sizeof p->key);
  for (size_t i = 0; p->btids && i < p->n; i++) free(p->btids[i]);
  free(p->btids);
  mbmsec_bmsc_rot_free(p->rot);
  free(p);
}

static bool plan_active(const rot_plan *p)
{
  mbmsec_bmsc_rot_progress pr;
  mbmsec_bmsc_rot_get_progress(p->rot, &pr);
  return pr.waiting || pr.pending;
}

int bmsc_rotate_start_engine(bmsc_app *app)
{
  bmsc_rotate *r = calloc(1, sizeof *r);
  if (!r) return 1;
  pthread_mutex_init(&r->mu, NULL);
  pthread_mutex_init(&r->qmu, NULL);
  r->last_auto = time(NULL);
  app->rotate = r;
  return 0;
}

void bmsc_rotate_stop(bmsc_app *app)
{
  bmsc_rotate *r = app->rotate;
  if (!r) return;
  for (size_t i = 0; i < r->n; i++) plan_free(r->plans[i]);
  for (size_t i = 0; i < r->qn; i++) free(r->q[i].btid);
  free(r->q);
  pthread_mutex_destroy(&r->mu);
  pthread_mutex_destroy(&r->qmu);
  free(r);
  app->rotate = NULL;
}

/* Called by the MIKEY thread with a UE lock held: queue only (never the engine, never mu). */
void bmsc_rotate_on_event(bmsc_app *app, mbmsec_bmsc_event ev, const char *btid,
                          const uint8_t msk_id[MSK_ID_LEN], int pull)
{
  bmsc_rotate *r = app->rotate;
  if (!r || pull || ev == MBMSEC_BMSC_EV_RETRANSMITTED || !atomic_load(&r->any)) return;
  pthread_mutex_lock(&r->qmu);
  if (r->qn == r->qcap) {
    size_t nc = r->qcap ? r->qcap * 2 : 1024;
    rot_event *nq = nc <= ROT_QUEUE_MAX ? realloc(r->q, nc * sizeof *nq) : NULL;
    if (nq) {
      r->q = nq;
      r->qcap = nc;
    }
  }
  char *b = r->qn < r->qcap ? strdup(btid) : NULL;
  if (b) {
    r->q[r->qn].btid = b;
    memcpy(r->q[r->qn].msk_id, msk_id, MSK_ID_LEN);
    r->q[r->qn].acked = ev == MBMSEC_BMSC_EV_DELIVERED;
    r->qn++;
  } else {
    r->q_dropped++;
  }
  pthread_mutex_unlock(&r->qmu);
}

/* ---- collecting the UEs of a Key Group */

typedef struct {
  char (*ids)[MBMSEC_STORE_SERVICE_ID_MAX + 1];
  size_t n, cap;
} svc_ids;

static mbmsec_err svc_collect(const mbmsec_store_service *s, void *arg)
{
  svc_ids *v = arg;
  if (v->n == v->cap) {
    size_t nc = v->cap ? v->cap * 2 : 8;
    void *p = realloc(v->ids, nc * sizeof *v->ids);
    if (!p) return MBMSEC_ERR_NOMEM;
    v->ids = p;
    v->cap = nc;
  }
  memcpy(v->ids[v->n++], s->service_id, sizeof v->ids[0]);
  return MBMSEC_OK;
}

typedef struct {
  char **b;
  size_t n, cap;
} btid_vec;

static mbmsec_err reg_collect(const mbmsec_store_registration *reg, void *arg)
{
  btid_vec *v = arg;
  if (v->n == v->cap) {
    size_t nc = v->cap ? v->cap * 2 : 64;
    char **p = realloc(v->b, nc * sizeof *p);
    if (!p) return MBMSEC_ERR_NOMEM;
    v->b = p;
    v->cap = nc;
  }
  if (!(v->b[v->n] = strdup(reg->btid))) return MBMSEC_ERR_NOMEM;
  v->n++;
  return MBMSEC_OK;
}

static int cmp_str(const void *a, const void *b)
{
  return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The distinct B-TIDs registered to a service of the group, sorted. */
static mbmsec_err group_btids(bmsc_app *app, const uint8_t kdid[KDID_LEN], uint16_t group,
                              btid_vec *out)
{
  svc_ids s = {0};
  btid_vec all = {0};
  mbmsec_err rc = mbmsec_store_key_group_services(app->members, kdid, KDID_LEN, group, svc_collect, &s);
  for (size_t i = 0; rc == MBMSEC_OK && i < s.n; i++)
    rc = mbmsec_store_registration_list_by_service(app->members, s.ids[i], reg_collect, &all);
  free(s.ids);
  if (rc == MBMSEC_OK && all.n) qsort(all.b, all.n, sizeof *all.b, cmp_str);
  memset(out, 0, sizeof *out);
  for (size_t i = 0; i < all.n; i++) {
    bool keep = rc == MBMSEC_OK && (i == 0 || strcmp(all.b[i], all.b[i - 1]));
    if (keep) all.b[out->n++] = all.b[i];
    else free(all.b[i]);
  }
  out->b = all.b;
  if (rc != MBMSEC_OK) {
    free(out->b);
    memset(out, 0, sizeof *out);
  }
  return rc;
}

/* ---- starting a plan */

static void msk_id_of(uint16_t group, uint16_t keynum, uint8_t id[MSK_ID_LEN])
{
  id[0] = (uint8_t)(group >> 8);
  id[1] = (uint8_t)group;
  id[2] = (uint8_t)(keynum >> 8);
  id[3] = (uint8_t)keynum;
}

static rot_plan *find_plan(bmsc_rotate *r, const uint8_t msk_id[MSK_ID_LEN])
{
  for (size_t i = r->n; i-- > 0;)
    if (!memcmp(r->plans[i]->msk_id, msk_id, MSK_ID_LEN)) return r->plans[i];
  return NULL;
}

mbmsec_err bmsc_rotate_begin(bmsc_app *app, const uint8_t kdid[KDID_LEN], uint16_t group,
                             uint32_t window_ms, uint32_t jitter_ms, bool force,
                             uint8_t msk_id_out[MSK_ID_LEN])
{
  bmsc_rotate *r = app->rotate;
  const int64_t now = (int64_t)time(NULL);
  mbmsec_members_group_state gs;
  mbmsec_err rc = mbmsec_members_group_state_get(app->members, kdid, group, now, &gs);
  if (rc == MBMSEC_OK && !gs.has_next) {
    bmsc_keyreq_rotate(app); /* generates the missing next MSK (P11) */
    rc = mbmsec_members_group_state_get(app->members, kdid, group, now, &gs);
  }
  if (rc != MBMSEC_OK) return rc;
  if (!gs.has_next && !gs.has_current) return MBMSEC_ERR_BMSC_ROT_NO_MSK;
  rot_plan *p = calloc(1, sizeof *p);
  if (!p) return MBMSEC_ERR_NOMEM;
  memcpy(p->kdid, kdid, KDID_LEN);
  p->key_group = group;
  msk_id_of(group, gs.has_next ? gs.next : gs.current, p->msk_id);
  if (msk_id_out) memcpy(msk_id_out, p->msk_id, MSK_ID_LEN);
  uint8_t pid[MSK_ID_LEN];
  memcpy(pid, p->msk_id, MSK_ID_LEN);
  pthread_mutex_lock(&r->mu);
  rot_plan *old = find_plan(r, p->msk_id);
  bool busy = old && (plan_active(old) || !force);
  pthread_mutex_unlock(&r->mu);
  if (busy) {
    plan_free(p);
    return MBMSEC_ERR_BMSC_ROT_BUSY;
  }
  mbmsec_store_msk m;
  rc = mbmsec_store_msk_get(app->members, kdid, KDID_LEN, p->msk_id, MSK_ID_LEN, &m);
  if (rc == MBMSEC_OK) {
    memcpy(p->key, m.key, sizeof p->key);
    p->valid_from = m.valid_from;
    p->valid_to = m.valid_to;
    p->vf = m.vf;
    p->vt = m.vt;
  }
  mbmsec_cleanse(&m, sizeof m);
  btid_vec v = {0};
  if (rc == MBMSEC_OK) rc = group_btids(app, kdid, group, &v);
  p->btids = v.b;
  p->n = v.n;
  p->started = now;
  uint64_t seed = 0;
  if (rc == MBMSEC_OK) rc = mbmsec_random(&seed, sizeof seed);
  mbmsec_bmsc_rot_plan pl = {.start_ms = mono_ms(), .window_ms = window_ms,
                             .jitter_ms = jitter_ms, .seed = seed};
  /* an empty group gets a plan of its own with nothing in it: msk list still shows it */
  if (rc == MBMSEC_OK && p->n) rc = mbmsec_bmsc_rot_new(&pl, p->n, &p->rot);
  if (rc != MBMSEC_OK) {
    plan_free(p);
    return rc;
  }
  pthread_mutex_lock(&r->mu);
  old = find_plan(r, p->msk_id);
  if (old && plan_active(old)) rc = MBMSEC_ERR_BMSC_ROT_BUSY; /* raced with another start */
  else {
    /* room: drop the replaced plan, else the oldest finished one */
    size_t drop = r->n;
    for (size_t i = 0; i < r->n; i++)
      if (r->plans[i] == old || (drop == r->n && r->n == ROT_PLANS_MAX && !plan_active(r->plans[i])))
        drop = i;
    if (drop < r->n) {
      plan_free(r->plans[drop]);
      memmove(&r->plans[drop], &r->plans[drop + 1], (r->n - drop - 1) * sizeof r->plans[0]);
      r->n--;
    }
    if (r->n == ROT_PLANS_MAX) rc = MBMSEC_ERR_BMSC_ROT_BUSY;
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
  char id[2 * MSK_ID_LEN + 1], n[24], w[24];
  mbmsec_hex_encode(pid, MSK_ID_LEN, id, sizeof id);
  snprintf(n, sizeof n, "%zu", v.n);
  snprintf(w, sizeof w, "%u", window_ms);
  dlog(DLOG_INFO, "rotate", "event", "start", "msk_id", id, "ues", n, "window_ms", w, NULL);
  return MBMSEC_OK;
}

/* ---- the main loop's step */

static void auto_schedule(bmsc_app *app)
{
  svc_ids s = {0};
  if (mbmsec_store_service_list(app->members, svc_collect, &s) != MBMSEC_OK) {
    free(s.ids);
    return;
  }
  const int64_t now = (int64_t)time(NULL);
  for (size_t i = 0; i < s.n && i < ROT_GROUPS_MAX; i++) {
    mbmsec_store_service svc;
    uint16_t groups[MBMSEC_MEMBERS_GROUPS_PER_SERVICE];
    size_t ng = 0;
    if (mbmsec_store_service_get(app->members, s.ids[i], &svc) != MBMSEC_OK ||
        mbmsec_store_key_group_list(app->members, s.ids[i], groups,
                                    MBMSEC_MEMBERS_GROUPS_PER_SERVICE, &ng) != MBMSEC_OK)
      continue;
    for (size_t g = 0; g < ng; g++) {
      mbmsec_members_group_state gs;
      if (mbmsec_members_group_state_get(app->members, svc.kdid, groups[g], now, &gs) != MBMSEC_OK ||
          !gs.has_current || !gs.has_next)
        continue;
      uint8_t cur_id[MSK_ID_LEN], next_id[MSK_ID_LEN];
      msk_id_of(groups[g], gs.current, cur_id);
      msk_id_of(groups[g], gs.next, next_id);
      pthread_mutex_lock(&app->rotate->mu);
      bool have = find_plan(app->rotate, next_id) != NULL;
      pthread_mutex_unlock(&app->rotate->mu);
      if (have) continue;
      mbmsec_store_msk m;
      mbmsec_err rc = mbmsec_store_msk_get(app->members, svc.kdid, KDID_LEN, cur_id, MSK_ID_LEN, &m);
      const int64_t left = m.valid_to - now;
      mbmsec_cleanse(&m, sizeof m);
      if (rc != MBMSEC_OK || left > (int64_t)app->s.rotate_lead_s) continue;
      /* the push must end before the change-over: at most half of the time left */
      uint64_t w = (uint64_t)app->s.rotate_window_s * 1000;
      if (w > (uint64_t)left * 500) w = (uint64_t)left * 500;
      bmsc_rotate_begin(app, svc.kdid, groups[g], (uint32_t)w, app->s.rotate_jitter_ms, false, NULL);
    }
  }
  free(s.ids);
}

/* The services a B-TID is registered to (the store's callbacks may not call the store again,
 * so they are collected first). */
typedef struct {
  char ids[MBMSEC_MEMBERS_GROUPS_PER_SERVICE][MBMSEC_STORE_SERVICE_ID_MAX + 1];
  size_t n;
} reg_services;

static mbmsec_err reg_service(const mbmsec_store_registration *reg, void *arg)
{
  reg_services *c = arg;
  if (c->n < MBMSEC_MEMBERS_GROUPS_PER_SERVICE)
    snprintf(c->ids[c->n++], sizeof c->ids[0], "%s", reg->service_id);
  return MBMSEC_OK;
}

/* The plan took its UEs when it started; one that deregistered from every service of the
 * group since then must not get the MSK (its push counts as a send error: "UE gone"). */
static bool still_registered(bmsc_app *app, const char *btid, const uint8_t msk_id[MSK_ID_LEN])
{
  const uint16_t group = (uint16_t)((msk_id[0] << 8) | msk_id[1]);
  reg_services c;
  c.n = 0;
  if (mbmsec_store_registration_list_by_btid(app->members, btid, reg_service, &c) != MBMSEC_OK)
    return true; /* unsure: keep pushing rather than cut a UE off */
  for (size_t i = 0; i < c.n; i++) {
    uint16_t groups[MBMSEC_MEMBERS_GROUPS_PER_SERVICE];
    size_t n = 0;
    if (mbmsec_store_key_group_list(app->members, c.ids[i], groups,
                                    MBMSEC_MEMBERS_GROUPS_PER_SERVICE, &n) != MBMSEC_OK)
      return true;
    for (size_t g = 0; g < n; g++)
      if (groups[g] == group) return true;
  }
  return false;
}

static void push_due(bmsc_app *app, rot_plan *p, const uint32_t *ids, size_t k, bool *ok)
{
  mbmsec_bmsc_dl *dl = bmsc_mikey_dl(app);
  for (size_t i = 0; i < k; i++) {
    if (!still_registered(app, p->btids[ids[i]], p->msk_id)) {
      ok[i] = false;
      dlog(DLOG_INFO, "rotate", "event", "skip_deregistered", "btid", p->btids[ids[i]], NULL);
      continue;
    }
    if (bmsc_mikey_known(app, p->btids[ids[i]]) != MBMSEC_OK) { /* not restorable: logged */
      ok[i] = false;
      continue;
    }
    mbmsec_err rc = mbmsec_bmsc_dl_deliver(dl, p->btids[ids[i]], p->kdid, p->msk_id, p->key,
                                           p->vf, p->vt, mono_ms());
    ok[i] = rc == MBMSEC_OK;
    if (rc != MBMSEC_OK) {
      atomic_fetch_add(&app->m.push_errors, 1);
      char id[2 * MSK_ID_LEN + 1];
      mbmsec_hex_encode(p->msk_id, MSK_ID_LEN, id, sizeof id);
      dlog(DLOG_WARN, "rotate", "event", "send_error", "btid", p->btids[ids[i]], "msk_id", id,
               "code", mbmsec_errname(rc), NULL);
    }
  }
}

static int btid_index(const rot_plan *p, const char *btid, uint32_t *id)
{
  char *const *hit = bsearch(&btid, p->btids, p->n, sizeof *p->btids, cmp_str);
  if (!hit) return -1;
  *id = (uint32_t)(hit - p->btids);
  return 0;
}

void bmsc_rotate_tick(bmsc_app *app)
{
  bmsc_rotate *r = app->rotate;
  if (!r) return;
  if (time(NULL) - r->last_auto >= ROT_AUTO_S) {
    r->last_auto = time(NULL);
    auto_schedule(app);
  }
  static uint32_t ids[ROT_BATCH];
  static bool ok[ROT_BATCH];
  mbmsec_bmsc_dl *dl = bmsc_mikey_dl(app);
  pthread_mutex_lock(&r->mu);
  for (size_t i = 0; i < r->n; i++) {
    rot_plan *p = r->plans[i];
    if (!p->rot) continue;
    size_t k = mbmsec_bmsc_rot_due(p->rot, mono_ms(), ids, ROT_BATCH);
    if (!k) continue;
    /* Plans are only freed by this thread and by bmsc_rotate_begin replacing an idle plan;
     * p has due UEs, so it is active and stays while mu is released. */
    pthread_mutex_unlock(&r->mu);
    push_due(app, p, ids, k, ok);
    pthread_mutex_lock(&r->mu);
    for (size_t j = 0; j < k; j++) {
      mbmsec_bmsc_rot_sent(p->rot, ids[j], ok[j]);
      /* V clear: nothing will answer; sent is the end of it */
      if (ok[j] && mbmsec_bmsc_dl_get(dl, p->btids[ids[j]], p->msk_id) == MBMSEC_BMSC_DL_SENT)
        mbmsec_bmsc_rot_settle(p->rot, ids[j], 1);
    }
  }
  pthread_mutex_unlock(&r->mu);
  /* settle what the MIKEY thread saw */
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
    if (p && p->rot && btid_index(p, q[i].btid, &id) == 0) {
      mbmsec_err rc = mbmsec_bmsc_rot_settle(p->rot, id, q[i].acked);
      (void)rc; /* an ack of a push not made by this plan (e.g. a register push) */
    }
    free(q[i].btid);
  }
  for (size_t i = 0; i < r->n; i++) {
    rot_plan *p = r->plans[i];
    if (p->logged_done || (p->rot && plan_active(p))) continue;
    p->logged_done = true;
    mbmsec_bmsc_rot_progress pr;
    mbmsec_bmsc_rot_get_progress(p->rot, &pr);
    char id[2 * MSK_ID_LEN + 1], a[24], f[24], e[24];
    mbmsec_hex_encode(p->msk_id, MSK_ID_LEN, id, sizeof id);
    snprintf(a, sizeof a, "%llu", (unsigned long long)pr.acked);
    snprintf(f, sizeof f, "%llu", (unsigned long long)pr.failed);
    snprintf(e, sizeof e, "%llu", (unsigned long long)pr.send_errors);
    dlog(pr.failed || pr.send_errors ? DLOG_WARN : DLOG_INFO, "rotate", "event", "done", "msk_id",
             id, "acked", a, "failed", f, "send_errors", e, NULL);
  }
  pthread_mutex_unlock(&r->mu);
  free(q);
}

/* ---- reports: `msk list` and /metrics */

static void progress_of(bmsc_rotate *r, const uint8_t msk_id[MSK_ID_LEN], mbmsec_bmsc_rot_progress *pr)
{
  pthread_mutex_lock(&r->mu);
  rot_plan *p = find_plan(r, msk_id);
  mbmsec_bmsc_rot_get_progress(p ? p->rot : NULL, pr);
  pthread_mutex_unlock(&r->mu);
}

char *bmsc_rotate_msk_list(bmsc_app *app, bool text, size_t *len)
{
  bmsc_text j;
  bmsc_text_init(&j, 1024);
  if (j.fail) return NULL;
  svc_ids s = {0};
  mbmsec_err rc = mbmsec_store_service_list(app->members, svc_collect, &s);
  const int64_t now = (int64_t)time(NULL);
  size_t count = 0;
  /* a group shared by several services is listed once */
  struct {
    uint8_t kdid[KDID_LEN];
    uint16_t g;
  } seen[ROT_GROUPS_MAX];
  size_t nseen = 0;
  if (!text) bmsc_text_put(&j, "[");
  for (size_t i = 0; rc == MBMSEC_OK && i < s.n; i++) {
    mbmsec_store_service svc;
    uint16_t groups[MBMSEC_MEMBERS_GROUPS_PER_SERVICE];
    size_t ng = 0;
    if (mbmsec_store_service_get(app->members, s.ids[i], &svc) != MBMSEC_OK ||
        mbmsec_store_key_group_list(app->members, s.ids[i], groups,
                                    MBMSEC_MEMBERS_GROUPS_PER_SERVICE, &ng) != MBMSEC_OK)
      continue;
    for (size_t g = 0; g < ng; g++) {
      bool dup = false;
      for (size_t k = 0; k < nseen; k++)
        dup |= seen[k].g == groups[g] && !memcmp(seen[k].kdid, svc.kdid, KDID_LEN);
      if (dup || nseen == ROT_GROUPS_MAX) continue;
      memcpy(seen[nseen].kdid, svc.kdid, KDID_LEN);
      seen[nseen++].g = groups[g];
      mbmsec_members_group_state gs;
      if (mbmsec_members_group_state_get(app->members, svc.kdid, groups[g], now, &gs) != MBMSEC_OK)
        continue;
      for (int role = 0; role < 2; role++) {
        if (role == 0 ? !gs.has_current : !gs.has_next) continue;
        uint16_t kn = role == 0 ? gs.current : gs.next;
        uint8_t id[MSK_ID_LEN];
        msk_id_of(groups[g], kn, id);
        mbmsec_store_msk m;
        if (mbmsec_store_msk_get(app->members, svc.kdid, KDID_LEN, id, MSK_ID_LEN, &m) != MBMSEC_OK) {
          mbmsec_cleanse(&m, sizeof m);
          continue;
        }
        int64_t vfrom = m.valid_from, vto = m.valid_to;
        unsigned vf = m.vf, vt = m.vt;
        mbmsec_cleanse(&m, sizeof m);
        mbmsec_bmsc_rot_progress pr;
        progress_of(app->rotate, id, &pr);
        const char *rn = role == 0 ? "current" : "next";
        if (text)
          bmsc_text_put(&j, "kdid=%02X%02X%02X key_group=%04X msk_id=%02X%02X%02X%02X key_number=%u role=%s "
                   "valid_from=%lld valid_to=%lld vf=%u vt=%u planned=%llu waiting=%llu pushed=%llu "
                   "acked=%llu failed=%llu send_errors=%llu pending=%llu\n",
               svc.kdid[0], svc.kdid[1], svc.kdid[2], groups[g], id[0], id[1], id[2], id[3], kn, rn,
               (long long)vfrom, (long long)vto, vf, vt, (unsigned long long)pr.planned,
               (unsigned long long)pr.waiting, (unsigned long long)pr.pushed,
               (unsigned long long)pr.acked, (unsigned long long)pr.failed,
               (unsigned long long)pr.send_errors, (unsigned long long)pr.pending);
        else
          bmsc_text_put(&j, "%s\n{\"kdid\":\"%02X%02X%02X\",\"key_group\":\"%04X\",\"msk_id\":\"%02X%02X%02X%02X\","
                   "\"key_number\":%u,\"role\":\"%s\",\"valid_from\":%lld,\"valid_to\":%lld,\"vf\":%u,"
                   "\"vt\":%u,\"planned\":%llu,\"waiting\":%llu,\"pushed\":%llu,\"acked\":%llu,"
                   "\"failed\":%llu,\"send_errors\":%llu,\"pending\":%llu}",
               count ? "," : "", svc.kdid[0], svc.kdid[1], svc.kdid[2], groups[g], id[0], id[1],
               id[2], id[3], kn, rn, (long long)vfrom, (long long)vto, vf, vt,
               (unsigned long long)pr.planned, (unsigned long long)pr.waiting,
               (unsigned long long)pr.pushed, (unsigned long long)pr.acked,
               (unsigned long long)pr.failed, (unsigned long long)pr.send_errors,
               (unsigned long long)pr.pending);
        count++;
      }
    }
  }
  if (!text) bmsc_text_put(&j, "\n]\n");
  free(s.ids);
  if (rc != MBMSEC_OK) j.fail = true;
  return bmsc_text_take(&j, len);
}

void bmsc_rotate_metrics(bmsc_app *app, void (*emit)(void *arg, const char *line), void *arg)
{
  bmsc_rotate *r = app->rotate;
  if (!r) return;
  static const char *const names[] = {"planned", "waiting", "pushed_total", "acked_total",
                                      "failed_total", "send_errors_total", "pending"};
  pthread_mutex_lock(&r->mu);
  for (size_t k = 0; k < 7; k++) {
    char line[256];
    snprintf(line, sizeof line, "# TYPE mbmsec_bmsc_rotation_%s %s\n", names[k],
             strstr(names[k], "_total") ? "counter" : "gauge");
    emit(arg, line);
    for (size_t i = 0; i < r->n; i++) {
      const rot_plan *p = r->plans[i];
      mbmsec_bmsc_rot_progress pr;
      mbmsec_bmsc_rot_get_progress(p->rot, &pr);
      const uint64_t v[7] = {pr.planned, pr.waiting, pr.pushed, pr.acked, pr.failed,
                             pr.send_errors, pr.pending};
      snprintf(line, sizeof line,
               "mbmsec_bmsc_rotation_%s{key_group=\"%04X\",msk_id=\"%02X%02X%02X%02X\"} %llu\n",
               names[k], p->key_group, p->msk_id[0], p->msk_id[1], p->msk_id[2], p->msk_id[3],
               (unsigned long long)v[k]);
      emit(arg, line);
    }
  }
  pthread_mutex_unlock(&r->mu);
}

/* ---- solicited pull (P10, O5) */

mbmsec_err bmsc_rotate_pull(bmsc_app *app, const uint8_t kdid[KDID_LEN], uint16_t group,
                            const char *btid, size_t *pulled, size_t *errors)
{
  *pulled = *errors = 0;
  const int64_t now = (int64_t)time(NULL);
  mbmsec_members_group_state gs;
  mbmsec_err grc = mbmsec_members_group_state_get(app->members, kdid, group, now, &gs);
  if (grc != MBMSEC_OK) return grc;
  if (!gs.has_current && !gs.has_next) return MBMSEC_ERR_BMSC_ROT_NO_MSK;
  uint8_t id[MSK_ID_LEN];
  msk_id_of(group, gs.has_current ? gs.current : gs.next, id);
  btid_vec v = {0};
  if (btid) {
    mbmsec_err rc = bmsc_mikey_known(app, btid);
    if (rc != MBMSEC_OK) return rc;
    v.b = malloc(sizeof *v.b);
    if (!v.b || !(v.b[0] = strdup(btid))) {
      free(v.b);
      return MBMSEC_ERR_NOMEM;
    }
    v.n = 1;
  } else {
    grc = group_btids(app, kdid, group, &v);
    if (grc != MBMSEC_OK) return grc;
  }
  for (size_t i = 0; i < v.n; i++) {
    mbmsec_err rc = bmsc_mikey_known(app, v.b[i]); /* restores a UE the engine lost */
    if (rc == MBMSEC_OK) rc = mbmsec_bmsc_dl_pull(bmsc_mikey_dl(app), v.b[i], kdid, id, mono_ms());
    if (rc == MBMSEC_OK) ++*pulled;
    else ++*errors;
    char hid[2 * MSK_ID_LEN + 1];
    mbmsec_hex_encode(id, MSK_ID_LEN, hid, sizeof hid);
    dlog(rc == MBMSEC_OK ? DLOG_INFO : DLOG_WARN, "mikey", "event", "pull", "btid", v.b[i],
             "msk_id", hid, "code", rc == MBMSEC_OK ? "" : mbmsec_errname(rc), NULL);
    free(v.b[i]);
  }
  free(v.b);
  return MBMSEC_OK;
}
