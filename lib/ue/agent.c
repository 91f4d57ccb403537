/* The UE key agent engine: events in, actions out, no I/O (include/mbmsec/ue_agent.h for the
 * rules, docs/ue-agent.md for the reasoning). This file: the action queue, time and chance, MSK
 * validity, the per-service rules (retry, leave, requests) and the pump that turns state into
 * actions; MIKEY and SRTP events are agent_mikey.c's, read-outs agent_status.c's. Every state
 * change that must survive a crash is followed by a PERSIST action queued before the actions
 * that depend on it. */
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent_internal.h"
#include "guard.h"
#include "mbmsec/crypto.h"
#include "mbmsec/keyid.h"
#include "mbmsec/ue_km.h"

uint16_t agent_keynum(const uint8_t msk_id[MBMSEC_MSK_ID_LEN])
{
  return mbmsec_msk_id_keynum(msk_id);
}
uint16_t agent_keygroup(const uint8_t msk_id[MBMSEC_MSK_ID_LEN])
{
  return mbmsec_msk_id_group(msk_id);
}

/* ---------------------------------------------------------------- actions */

mbmsec_ue_agent_action *agent_push(mbmsec_ue_agent *a, mbmsec_ue_agent_act_kind kind, int svc)
{
  if (a->q_len == MBMSEC_UE_AGENT_QUEUE) {
    /* Full: drop the oldest log line to make room; other actions are never dropped. */
    for (size_t i = 0; i < a->q_len; i++) {
      size_t k = (a->q_head + i) % MBMSEC_UE_AGENT_QUEUE;
      if (a->q[k].kind != MBMSEC_UE_AGENT_ACT_LOG) continue;
      for (size_t j = i; j + 1 < a->q_len; j++)
        a->q[(a->q_head + j) % MBMSEC_UE_AGENT_QUEUE] =
            a->q[(a->q_head + j + 1) % MBMSEC_UE_AGENT_QUEUE];
      a->q_len--;
      break;
    }
    if (a->q_len == MBMSEC_UE_AGENT_QUEUE) return NULL;
  }
  mbmsec_ue_agent_action *act = &a->q[(a->q_head + a->q_len++) % MBMSEC_UE_AGENT_QUEUE];
  memset(act, 0, sizeof *act);
  act->kind = kind;
  act->service = svc;
  return act;
}

void agent_log(mbmsec_ue_agent *a, int svc, const char *fmt, ...)
{
  if (a->q_len == MBMSEC_UE_AGENT_QUEUE) return; /* log lines give way to real actions */
  mbmsec_ue_agent_action *act = agent_push(a, MBMSEC_UE_AGENT_ACT_LOG, svc);
  if (!act) return;
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(act->text, sizeof act->text, fmt, ap);
  va_end(ap);
}

void agent_persist(mbmsec_ue_agent *a)
{
  /* One PERSIST is enough when the last queued action already is one. */
  if (a->q_len &&
      a->q[(a->q_head + a->q_len - 1) % MBMSEC_UE_AGENT_QUEUE].kind == MBMSEC_UE_AGENT_ACT_PERSIST)
    return;
  (void)agent_push(a, MBMSEC_UE_AGENT_ACT_PERSIST, -1);
}

bool mbmsec_ue_agent_next_action(mbmsec_ue_agent *a, mbmsec_ue_agent_action *act)
{
  if (!a || !act || a->q_len == 0) return false;
  mbmsec_ue_agent_action *src = &a->q[a->q_head];
  *act = *src;
  mbmsec_cleanse(src, sizeof *src);
  a->q_head = (a->q_head + 1) % MBMSEC_UE_AGENT_QUEUE;
  a->q_len--;
  return true;
}

/* ---------------------------------------------------------------- time and chance */

static uint32_t rand32(mbmsec_ue_agent *a)
{
  uint32_t v = 0;
  mbmsec_err rc =
      a->cfg.rand_fn ? a->cfg.rand_fn(a->cfg.rand_ctx, &v, sizeof v) : mbmsec_random(&v, sizeof v);
  return rc == MBMSEC_OK ? v : 0; /* no randomness: the deterministic end of the range */
}

/* Capped exponential back-off with jitter: d = first * 2^(tries-1), at most max; the delay is
 * drawn from [d/2, d] so that UEs failing together do not retry together. */
static int64_t backoff_ms(mbmsec_ue_agent *a, uint32_t tries)
{
  uint64_t d = a->cfg.retry_first_ms;
  for (uint32_t i = 1; i < tries && d < a->cfg.retry_max_ms; i++) d *= 2;
  if (d > a->cfg.retry_max_ms) d = a->cfg.retry_max_ms;
  const uint64_t half = d / 2;
  return (int64_t)(half + (half ? rand32(a) % (half + 1) : 0));
}

/* P16: offsetTime + a random part of randomTimePeriod, for requests many UEs make at once. */
int64_t agent_spread_ms(mbmsec_ue_agent *a, const agent_service *s)
{
  int64_t d = (int64_t)s->offset_s * 1000;
  if (s->random_s) d += (int64_t)(rand32(a) % ((uint64_t)s->random_s * 1000 + 1));
  return d;
}

/* ---------------------------------------------------------------- MSKs held */

agent_msk *agent_msk_find(mbmsec_ue_agent *a, const uint8_t kdid[MBMSEC_KDID_LEN],
                          const uint8_t msk_id[MBMSEC_MSK_ID_LEN])
{
  for (size_t i = 0; i < AGENT_MSKS; i++)
    if (a->msk[i].used && !memcmp(a->msk[i].kdid, kdid, MBMSEC_KDID_LEN) &&
        !memcmp(a->msk[i].msk_id, msk_id, MBMSEC_MSK_ID_LEN))
      return &a->msk[i];
  return NULL;
}

/* Highest key number of a group in use as far as any service has seen. */
static uint16_t group_in_use(const mbmsec_ue_agent *a, const uint8_t kdid[MBMSEC_KDID_LEN],
                             uint16_t grp)
{
  uint16_t u = 0;
  for (size_t i = 0; i < a->n_svc; i++) {
    const agent_service *s = &a->svc[i];
    if (memcmp(s->kdid, kdid, MBMSEC_KDID_LEN)) continue;
    for (size_t j = 0; j < s->n_groups; j++)
      if (s->g[j].group == grp && s->g[j].in_use > u) u = s->g[j].in_use;
  }
  return u;
}

/* An MSK stays valid until a higher key number of its group is in use and it has not been used
 * (nor stored) for msk_grace_ms: the BM-SC has moved on. Idle time is required as well so that
 * a forged MKI naming a newer key cannot end a key that genuine traffic still uses. */
bool agent_msk_valid(const mbmsec_ue_agent *a, const agent_msk *m, int64_t now)
{
  if (!m->used) return false;
  if (group_in_use(a, m->kdid, agent_keygroup(m->msk_id)) <= agent_keynum(m->msk_id)) return true;
  const int64_t last = m->last_used_ms > m->stored_ms ? m->last_used_ms : m->stored_ms;
  return now - last < (int64_t)a->cfg.msk_grace_ms;
}

static int64_t msk_expiry(const mbmsec_ue_agent *a, const agent_msk *m)
{
  if (group_in_use(a, m->kdid, agent_keygroup(m->msk_id)) <= agent_keynum(m->msk_id))
    return INT64_MAX;
  const int64_t last = m->last_used_ms > m->stored_ms ? m->last_used_ms : m->stored_ms;
  return last + (int64_t)a->cfg.msk_grace_ms;
}

bool agent_group_valid(const mbmsec_ue_agent *a, const agent_service *s, const agent_group *g,
                       int64_t now, uint16_t *best)
{
  bool ok = false;
  for (size_t i = 0; i < AGENT_MSKS; i++) {
    const agent_msk *m = &a->msk[i];
    if (!m->used || memcmp(m->kdid, s->kdid, MBMSEC_KDID_LEN) ||
        agent_keygroup(m->msk_id) != g->group)
      continue;
    if (agent_msk_valid(a, m, now)) {
      if (best && (!ok || agent_keynum(m->msk_id) > *best)) *best = agent_keynum(m->msk_id);
      ok = true;
    }
  }
  return ok;
}

uint16_t agent_group_highest_held(const mbmsec_ue_agent *a, const uint8_t kdid[MBMSEC_KDID_LEN],
                                  uint16_t grp)
{
  uint16_t h = 0;
  for (size_t i = 0; i < AGENT_MSKS; i++) {
    const agent_msk *m = &a->msk[i];
    if (m->used && !memcmp(m->kdid, kdid, MBMSEC_KDID_LEN) && agent_keygroup(m->msk_id) == grp &&
        agent_keynum(m->msk_id) > h)
      h = agent_keynum(m->msk_id);
  }
  return h;
}

void agent_msk_id_text(const uint8_t kdid[MBMSEC_KDID_LEN], const uint8_t id[MBMSEC_MSK_ID_LEN],
                       char out[16])
{
  snprintf(out, 16, "%02x%02x%02x:%02x%02x%02x%02x", kdid[0], kdid[1], kdid[2], id[0], id[1], id[2],
           id[3]);
}

/* ---------------------------------------------------------------- services */

static void set_error(agent_service *s, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void set_error(agent_service *s, const char *fmt, ...)
{
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(s->last_error, sizeof s->last_error, fmt, ap);
  va_end(ap);
}

static void leave_service(mbmsec_ue_agent *a, int si, const char *reason)
{
  agent_service *s = &a->svc[si];
  if (s->left) return;
  s->left = true;
  snprintf(s->reason, sizeof s->reason, "%s", reason);
  for (size_t j = 0; j < s->n_groups; j++) {
    s->g[j].need = false;
    s->g[j].waiting = false;
  }
  s->reg_need = false;
  mbmsec_ue_agent_action *act = agent_push(a, MBMSEC_UE_AGENT_ACT_LEFT, si);
  if (act) snprintf(act->text, sizeof act->text, "%s", reason);
  agent_log(a, si, "%s: left the user service: %s", s->id, reason);
  agent_persist(a);
}

static const char *code_meaning(unsigned code)
{
  switch (code) {
  case 400:
    return "bad request";
  case 401:
    return "not subscribed / not authorised";
  case 404:
    return "unknown service or key";
  case 480:
    return "temporarily unavailable";
  case 500:
    return "server error";
  case 204:
    return "no update needed";
  default:
    return "unexpected code";
  }
}

/* P4 codes after which asking again cannot help. */
static bool code_forbids_retry(unsigned code) { return code == 400 || code == 401 || code == 404; }

/* Asks for key number want at due; a pending need keeps the higher key and the earlier time. */
void agent_schedule_group(agent_group *g, uint16_t want, int64_t due)
{
  if (g->need) {
    if (want > g->want || (want == g->want && due < g->due_ms)) {
      g->want = want > g->want ? want : g->want;
      if (due < g->due_ms) g->due_ms = due;
    }
    return;
  }
  g->need = true;
  g->want = want;
  g->due_ms = due;
  g->tries = 0;
}

/* A key number above every MSK held was named (MTK message or SRTP MKI): missed key update. */
void agent_missed_key(mbmsec_ue_agent *a, const uint8_t kdid[MBMSEC_KDID_LEN],
                      const uint8_t msk_id[MBMSEC_MSK_ID_LEN], const char *how, int64_t now)
{
  const uint16_t grp = agent_keygroup(msk_id), kn = agent_keynum(msk_id);
  if (kn == MBMSEC_MSK_KEYNUM_RESERVED || kn <= agent_group_highest_held(a, kdid, grp)) return;
  char idt[16];
  agent_msk_id_text(kdid, msk_id, idt);
  for (size_t i = 0; i < a->n_svc; i++) {
    agent_service *s = &a->svc[i];
    if (s->left || memcmp(s->kdid, kdid, MBMSEC_KDID_LEN)) continue;
    for (size_t j = 0; j < s->n_groups; j++) {
      agent_group *g = &s->g[j];
      if (g->group != grp) continue;
      if (kn > g->in_use) g->in_use = kn;
      /* Already asked for this key and refused: asking again cannot help. */
      if ((g->refused && g->want >= kn) || (g->need && g->want >= kn) ||
          (g->waiting && g->want >= kn))
        continue;
      const int64_t due = now + agent_spread_ms(a, s);
      agent_schedule_group(g, kn, due);
      g->refused = false;
      agent_log(a, (int)i,
                "%s: missed key update: %s names MSK %s, not held; MSK request in %" PRId64 " ms",
                s->id, how, idt, due - now);
    }
  }
}

static void fail_group(mbmsec_ue_agent *a, int si, agent_group *g, unsigned code, const char *why,
                       int64_t now)
{
  agent_service *s = &a->svc[si];
  g->tries++;
  g->waiting = false;
  set_error(s, "MSK request for Key Group %04x: %s", g->group, why);
  if (code && code_forbids_retry(code)) {
    g->refused = true;
    g->need = false;
    agent_log(a, si, "%s: %s (no retry for item code %u)", s->id, s->last_error, code);
    return;
  }
  if (g->tries >= a->cfg.retry_tries) g->refused = true;
  g->need = true;
  g->due_ms = now + backoff_ms(a, g->tries);
  a->stats.retries++;
  agent_log(a, si, "%s: %s; retry %u in %" PRId64 " ms", s->id, s->last_error, g->tries,
            g->due_ms - now);
}

static void fail_register(mbmsec_ue_agent *a, int si, unsigned code, const char *why, int64_t now)
{
  agent_service *s = &a->svc[si];
  s->reg_tries++;
  set_error(s, "registration: %s", why);
  char reason[MBMSEC_UE_AGENT_TEXT_MAX + 1];
  if (code && code_forbids_retry(code)) {
    snprintf(reason, sizeof reason, "registration refused: item %u (%s)", code, code_meaning(code));
    leave_service(a, si, reason);
    return;
  }
  if (s->reg_tries >= a->cfg.retry_tries) {
    snprintf(reason, sizeof reason, "registration failed %u times: %s", s->reg_tries, why);
    leave_service(a, si, reason);
    return;
  }
  s->reg_need = true;
  s->reg_due = now + backoff_ms(a, s->reg_tries);
  a->stats.retries++;
  agent_log(a, si, "%s: %s; retry %u in %" PRId64 " ms", s->id, s->last_error, s->reg_tries,
            s->reg_due - now);
}

/* ---------------------------------------------------------------- the pump */

mbmsec_ue_agent_phase agent_phase_of(const mbmsec_ue_agent *a, const agent_service *s, int64_t now)
{
  if (s->left) return MBMSEC_UE_AGENT_LEFT;
  if (!s->registered) return a->have_creds ? MBMSEC_UE_AGENT_REGISTER : MBMSEC_UE_AGENT_BOOTSTRAP;
  bool all = true, waiting = false;
  for (size_t j = 0; j < s->n_groups; j++) {
    all &= agent_group_valid(a, s, &s->g[j], now, NULL);
    waiting |= s->g[j].waiting;
  }
  if (all) return MBMSEC_UE_AGENT_ACTIVE;
  if (!a->have_creds) return MBMSEC_UE_AGENT_BOOTSTRAP;
  return waiting ? MBMSEC_UE_AGENT_WAIT_MIKEY : MBMSEC_UE_AGENT_MSK_REQUEST;
}

int64_t mbmsec_ue_agent_next_deadline(const mbmsec_ue_agent *a)
{
  int64_t t = INT64_MAX;
  if (!a) return t;
  bool any = false;
  /* Request deadlines count only when a request could be sent: otherwise a past due time
   * would make the caller spin. The answer (or the bootstrap) drives the engine instead. */
  const bool can_send = a->have_creds && !a->inflight && !a->boot_inflight;
  for (size_t i = 0; i < a->n_svc; i++) {
    const agent_service *s = &a->svc[i];
    if (s->left) continue;
    any = true;
    if (can_send && s->reg_need && s->reg_due < t) t = s->reg_due;
    for (size_t j = 0; j < s->n_groups; j++) {
      const agent_group *g = &s->g[j];
      if (can_send && s->registered && g->need && g->due_ms < t) t = g->due_ms;
      if (g->waiting && g->wait_until < t) t = g->wait_until;
    }
  }
  if (any && !a->have_creds && !a->boot_inflight && a->boot_due < t) t = a->boot_due;
  for (size_t i = 0; i < AGENT_MSKS; i++)
    if (a->msk[i].used && a->msk[i].was_valid) {
      const int64_t e = msk_expiry(a, &a->msk[i]);
      if (e < t) t = e;
    }
  return t;
}

static void send_request(mbmsec_ue_agent *a, int si, int gi, mbmsec_ue_km_type type,
                         const char *item, int64_t now)
{
  mbmsec_ue_agent_action *act = agent_push(a, MBMSEC_UE_AGENT_ACT_REQUEST, si);
  if (!act) return; /* queue full: the pump tries again on the next event */
  a->inflight = true;
  a->req_id = ++a->next_req_id;
  a->req_service = si;
  a->req_group = gi;
  a->req_type = type;
  act->req_id = a->req_id;
  act->req_type = type;
  act->at_ms = now;
  snprintf(act->item, sizeof act->item, "%s", item);
  a->stats.requests++;
}

void agent_pump(mbmsec_ue_agent *a, int64_t now)
{
  if (now > a->last_now) a->last_now = now;
  /* MSK expiry: the SRTP key set shrinks, and a group left without a valid MSK may leave. */
  bool keys_changed = false;
  for (size_t i = 0; i < AGENT_MSKS; i++) {
    agent_msk *m = &a->msk[i];
    if (!m->used) continue;
    const bool v = agent_msk_valid(a, m, now);
    if (m->was_valid && !v) {
      char idt[16];
      agent_msk_id_text(m->kdid, m->msk_id, idt);
      agent_log(a, -1, "MSK %s expired (superseded, unused for %u ms)", idt, a->cfg.msk_grace_ms);
      keys_changed = true;
    }
    m->was_valid = v;
  }
  if (keys_changed) (void)agent_push(a, MBMSEC_UE_AGENT_ACT_KEYS, -1);

  for (size_t i = 0; i < a->n_svc; i++) {
    agent_service *s = &a->svc[i];
    if (s->left) continue;
    for (size_t j = 0; j < s->n_groups; j++) {
      agent_group *g = &s->g[j];
      if (g->waiting && now >= g->wait_until) {
        char why[96];
        snprintf(why, sizeof why, "no MSK message within %u ms of the 200", a->cfg.mikey_wait_ms);
        fail_group(a, (int)i, g, 0, why, now);
      }
    }
    /* Seed point 9: leave when no valid MSK can be had, unless an older one is still valid. */
    for (size_t j = 0; j < s->n_groups && !s->left; j++) {
      agent_group *g = &s->g[j];
      if (s->registered && g->refused && !agent_group_valid(a, s, g, now, NULL)) {
        char reason[MBMSEC_UE_AGENT_TEXT_MAX + 1];
        /* the last error is cut to what fits after the fixed text (34 octets) */
        snprintf(reason, sizeof reason, "no valid MSK for Key Group %04x (%.*s)", g->group,
                 (int)(sizeof reason - 35), s->last_error);
        leave_service(a, (int)i, reason);
      }
    }
  }

  if (!a->inflight && !a->boot_inflight) {
    bool any = false;
    for (size_t i = 0; i < a->n_svc; i++) any |= !a->svc[i].left || a->svc[i].dereg_need;
    if (any && !a->have_creds) {
      if (a->boot_due <= now) {
        a->boot_inflight = true;
        a->stats.bootstraps++;
        agent_log(a, -1, "GBA bootstrap (Ub) to get a B-TID and the MUK");
        (void)agent_push(a, MBMSEC_UE_AGENT_ACT_BOOTSTRAP, -1);
      }
    } else if (any) {
      for (size_t i = 0; i < a->n_svc && !a->inflight; i++) {
        agent_service *s = &a->svc[i];
        if (s->dereg_need) {
          s->dereg_need = false;
          agent_log(a, (int)i, "%s: deregister", s->id);
          send_request(a, (int)i, -1, MBMSEC_UE_KM_DEREGISTER, s->id, now);
        } else if (!s->left && s->reg_need && s->reg_due <= now) {
          s->reg_need = false;
          agent_log(a, (int)i, "%s: register", s->id);
          send_request(a, (int)i, -1, MBMSEC_UE_KM_REGISTER, s->id, now);
        }
      }
      for (size_t i = 0; i < a->n_svc && !a->inflight; i++) {
        agent_service *s = &a->svc[i];
        if (s->left || !s->registered) continue;
        for (size_t j = 0; j < s->n_groups && !a->inflight; j++) {
          agent_group *g = &s->g[j];
          if (!g->need || g->due_ms > now) continue;
          uint8_t id[MBMSEC_MSK_ID_LEN];
          mbmsec_msk_id_pack(g->group, g->want, id);
          char kid[MBMSEC_MBMS_KEYID_B64_LEN + 1];
          if (mbmsec_xml_keyid_encode(s->kdid, id, kid) != MBMSEC_OK) continue;
          g->need = false;
          g->req_sent_ms = now;
          char idt[16];
          agent_msk_id_text(s->kdid, id, idt);
          agent_log(a, (int)i, "%s: MSK request for %s (keyId %s%s)", s->id, idt, kid,
                    g->want == MBMSEC_MSK_KEYNUM_CURRENT ? ", current of the Key Group" : "");
          send_request(a, (int)i, (int)j, MBMSEC_UE_KM_MSK, kid, now);
        }
      }
    }
  }
  const int64_t t = mbmsec_ue_agent_next_deadline(a);
  if (t != INT64_MAX && t != a->timer_emitted) {
    mbmsec_ue_agent_action *act = agent_push(a, MBMSEC_UE_AGENT_ACT_TIMER, -1);
    if (act) {
      act->at_ms = t;
      a->timer_emitted = t;
    }
  }
}

/* ---------------------------------------------------------------- life cycle */

mbmsec_err mbmsec_ue_agent_new(const mbmsec_ue_agent_cfg *cfg, mbmsec_ue_agent **out)
{
  ENSURE(out, MBMSEC_ERR_ARG);
  *out = NULL;
  ENSURE(cfg && cfg->bmsc_fqdn, MBMSEC_ERR_ARG);
  const size_t fl = strlen(cfg->bmsc_fqdn);
  ENSURE(fl >= 1 && fl <= MBMSEC_MIKEY_ID_MAX, MBMSEC_ERR_ARG);
  mbmsec_ue_agent *a = calloc(1, sizeof *a);
  ENSURE(a != NULL, MBMSEC_ERR_NOMEM);
  a->st = mbmsec_mikey_state_new();
  if (!a->st) {
    free(a);
    return MBMSEC_ERR_NOMEM;
  }
  a->cfg = *cfg;
  memcpy(a->bmsc_fqdn, cfg->bmsc_fqdn, fl);
  a->cfg.bmsc_fqdn = a->bmsc_fqdn;
  if (!a->cfg.retry_first_ms) a->cfg.retry_first_ms = 1000;
  if (!a->cfg.retry_max_ms) a->cfg.retry_max_ms = 60000;
  if (a->cfg.retry_max_ms < a->cfg.retry_first_ms) a->cfg.retry_max_ms = a->cfg.retry_first_ms;
  if (!a->cfg.retry_tries) a->cfg.retry_tries = 8;
  if (!a->cfg.mikey_wait_ms) a->cfg.mikey_wait_ms = 5000;
  if (!a->cfg.msk_grace_ms) a->cfg.msk_grace_ms = 30000;
  if (cfg->mikey_opts) a->mikey_opts = *cfg->mikey_opts;
  a->cfg.mikey_opts = &a->mikey_opts;
  a->timer_emitted = INT64_MAX;
  *out = a;
  return MBMSEC_OK;
}

void mbmsec_ue_agent_free(mbmsec_ue_agent *a)
{
  if (!a) return;
  mbmsec_mikey_state_free(a->st);
  mbmsec_cleanse(a, sizeof *a);
  free(a);
}

mbmsec_err mbmsec_ue_agent_image(const mbmsec_ue_agent *a, uint8_t *out, size_t cap, size_t *len)
{
  ENSURE(a && out && len, MBMSEC_ERR_ARG);
  return agent_image_write(a, out, cap, len);
}

mbmsec_err mbmsec_ue_agent_restore(mbmsec_ue_agent *a, const uint8_t *img, size_t len)
{
  ENSURE(a && (img || !len), MBMSEC_ERR_ARG);
  ENSURE(!a->started, MBMSEC_ERR_UE_AGENT_SEQUENCE);
  GUARD(agent_image_read(a, img, len));
  /* Restored MSKs count as just stored: their grace starts now. */
  for (size_t i = 0; i < AGENT_MSKS; i++) a->msk[i].was_valid = a->msk[i].used;
  return MBMSEC_OK;
}

mbmsec_err mbmsec_ue_agent_add_service(mbmsec_ue_agent *a, const char *service_id,
                                       const mbmsec_xml_secdesc *sd, int64_t now)
{
  ENSURE(a && service_id && sd, MBMSEC_ERR_ARG);
  const size_t il = strlen(service_id);
  ENSURE(il >= 1 && il <= AGENT_ID_MAX, MBMSEC_ERR_ARG);
  for (size_t i = 0; i < a->n_svc; i++) ENSURE(strcmp(a->svc[i].id, service_id), MBMSEC_ERR_ARG);
  ENSURE(a->n_svc < MBMSEC_UE_AGENT_SERVICES, MBMSEC_ERR_UE_AGENT_FULL);
  ENSURE(sd->has_kdid && sd->n_sessions >= 1, MBMSEC_ERR_UE_AGENT_ANNOUNCEMENT);
  agent_service s;
  memset(&s, 0, sizeof s);
  memcpy(s.id, service_id, il);
  memcpy(s.kdid, sd->kdid, MBMSEC_KDID_LEN);
  for (size_t i = 0; i < sd->n_sessions; i++) {
    const mbmsec_xml_session *se = &sd->sessions[i];
    ENSURE(!memcmp(se->kdid, sd->kdid, MBMSEC_KDID_LEN), MBMSEC_ERR_UE_AGENT_ANNOUNCEMENT);
    const uint16_t grp = agent_keygroup(se->msk_id);
    bool seen = false;
    for (size_t j = 0; j < s.n_groups; j++) seen |= s.g[j].group == grp;
    if (seen) continue;
    ENSURE(s.n_groups < MBMSEC_UE_AGENT_GROUPS, MBMSEC_ERR_UE_AGENT_ANNOUNCEMENT);
    agent_group *g = &s.g[s.n_groups++];
    g->group = grp;
    g->want = agent_keynum(se->msk_id);
    g->need = true;
    g->due_ms = now;
  }
  if (sd->n_kms) {
    s.offset_s = sd->kms[0].has_offset_time ? sd->kms[0].offset_time : 0;
    s.random_s = sd->kms[0].has_random_time_period ? sd->kms[0].random_time_period : 0;
  }
  s.used = true;
  s.reg_need = true;
  s.reg_due = now;
  for (size_t i = 0; i < MBMSEC_UE_AGENT_SERVICES; i++) {
    agent_saved_service *sv = &a->saved[i];
    if (!sv->used || strcmp(sv->id, service_id)) continue;
    s.registered = sv->registered;
    s.reg_need = !sv->registered;
    s.left = sv->left;
    memcpy(s.reason, sv->reason, sizeof s.reason);
  }
  a->started = true;
  const int si = (int)a->n_svc;
  a->svc[a->n_svc++] = s;
  agent_service *sp = &a->svc[si];
  /* Groups that already hold a valid MSK (restart) need no request now. */
  for (size_t j = 0; j < sp->n_groups; j++)
    if (agent_group_valid(a, sp, &sp->g[j], now, NULL)) sp->g[j].need = false;
  agent_log(a, si, "%s: announcement: Key Domain %02x%02x%02x, %zu Key Group(s)%s", sp->id,
            sp->kdid[0], sp->kdid[1], sp->kdid[2], sp->n_groups, sp->left ? " (left earlier)" : "");
  agent_pump(a, now);
  return MBMSEC_OK;
}

/* ---------------------------------------------------------------- bootstrap and HTTP */

mbmsec_err mbmsec_ue_agent_on_bootstrap_done(mbmsec_ue_agent *a, const char *btid,
                                             const uint8_t muk[MBMSEC_GBA_KEY_LEN], int64_t now)
{
  ENSURE(a && btid && muk, MBMSEC_ERR_ARG);
  const size_t bl = strlen(btid);
  ENSURE(bl >= 1 && bl <= MBMSEC_MIKEY_ID_MAX && bl <= MBMSEC_UE_ID_MAX, MBMSEC_ERR_LENGTH);
  memset(a->btid, 0, sizeof a->btid);
  memcpy(a->btid, btid, bl);
  memcpy(a->muk, muk, sizeof a->muk);
  a->have_creds = true;
  a->boot_inflight = false;
  a->boot_tries = 0;
  agent_log(a, -1, "bootstrap done: B-TID %s", a->btid);
  agent_pump(a, now);
  return MBMSEC_OK;
}

mbmsec_err mbmsec_ue_agent_on_bootstrap_failed(mbmsec_ue_agent *a, mbmsec_err why, int64_t now)
{
  ENSURE(a, MBMSEC_ERR_ARG);
  a->boot_inflight = false;
  a->have_creds = false;
  a->boot_tries++;
  a->boot_due = now + backoff_ms(a, a->boot_tries);
  a->stats.retries++;
  agent_log(a, -1, "bootstrap failed (%s); retry %u in %" PRId64 " ms", mbmsec_strerror(why),
            a->boot_tries, a->boot_due - now);
  agent_pump(a, now);
  return MBMSEC_OK;
}

bool agent_group_satisfied(const agent_group *g)
{
  return g->got_ms >= g->req_sent_ms && g->got_ms != 0 &&
         (g->want == MBMSEC_MSK_KEYNUM_CURRENT || g->got_keynum >= g->want);
}

mbmsec_err mbmsec_ue_agent_on_http_answer(mbmsec_ue_agent *a, uint64_t req_id,
                                          const mbmsec_ue_km_item *items, size_t n, int64_t now)
{
  ENSURE(a && (items || !n), MBMSEC_ERR_ARG);
  ENSURE(a->inflight && req_id == a->req_id, MBMSEC_ERR_UE_AGENT_SEQUENCE);
  a->inflight = false;
  const int si = a->req_service;
  agent_service *s = &a->svc[si];
  /* The item that answers our one-item request; none = a malformed answer, retried. */
  const mbmsec_ue_km_item *it = NULL;
  for (size_t i = 0; i < n; i++)
    if (items[i].requested) it = &items[i];
  if (a->req_type == MBMSEC_UE_KM_DEREGISTER) {
    agent_log(a, si, "%s: deregistered (item %u)", s->id, it ? it->code : 0);
    s->registered = false;
    agent_persist(a);
  } else if (a->req_type == MBMSEC_UE_KM_REGISTER) {
    if (!s->left) {
      if (it && it->code == 200) {
        s->registered = true;
        s->reg_tries = 0;
        s->last_error[0] = 0;
        agent_log(a, si, "%s: registered (item 200)", s->id);
        agent_persist(a);
      } else {
        char why[96];
        snprintf(why, sizeof why, "item %u (%s)", it ? it->code : 0,
                 it ? code_meaning(it->code) : "missing from the answer");
        fail_register(a, si, it ? it->code : 0, why, now);
      }
    }
  } else if (!s->left && a->req_group >= 0) {
    agent_group *g = &s->g[a->req_group];
    const unsigned code = it ? it->code : 0;
    if (code == 200) {
      agent_log(a, si, "%s: MSK request answered 200: waiting for the MIKEY push", s->id);
      if (agent_group_satisfied(g)) {
        g->tries = 0;
        g->refused = false;
      } else {
        g->waiting = true;
        g->wait_until = now + a->cfg.mikey_wait_ms;
      }
      s->last_error[0] = 0;
    } else if (code == MBMSEC_MBMS_STATUS_NO_UPDATE) {
      /* P15: no updated MSK is needed or available; the UE stays in the service. */
      g->tries = 0;
      g->refused = false;
      s->last_error[0] = 0;
      agent_log(a, si, "%s: item 204 for Key Group %04x: no update needed, staying", s->id,
                g->group);
      if (!agent_group_valid(a, s, g, now, NULL)) {
        /* Nothing held at all: the key is not generated yet; ask again later. */
        g->need = true;
        g->due_ms = now + backoff_ms(a, ++g->tries);
      }
    } else {
      char why[96];
      snprintf(why, sizeof why, "item %u (%s)", code, it ? code_meaning(code) : "missing");
      fail_group(a, si, g, code, why, now);
    }
  }
  agent_pump(a, now);
  return MBMSEC_OK;
}

mbmsec_err mbmsec_ue_agent_on_http_failed(mbmsec_ue_agent *a, uint64_t req_id, mbmsec_err why,
                                          bool need_bootstrap, int64_t now)
{
  ENSURE(a, MBMSEC_ERR_ARG);
  ENSURE(a->inflight && req_id == a->req_id, MBMSEC_ERR_UE_AGENT_SEQUENCE);
  a->inflight = false;
  const int si = a->req_service;
  agent_service *s = &a->svc[si];
  if (need_bootstrap) {
    /* 401 for an unknown B-TID: bootstrap again, then the same request (without back-off). */
    a->have_creds = false;
    a->boot_due = now;
    agent_log(a, si, "%s: BM-SC refused the B-TID %s: bootstrap again", s->id, a->btid);
    if (a->req_type == MBMSEC_UE_KM_REGISTER) {
      s->reg_need = true;
      s->reg_due = now;
    } else if (a->req_type == MBMSEC_UE_KM_DEREGISTER) {
      s->dereg_need = true;
    } else if (a->req_group >= 0) {
      agent_group *g = &s->g[a->req_group];
      g->need = true;
      g->due_ms = now;
    }
  } else {
    char w[96];
    snprintf(w, sizeof w, "request failed: %s", mbmsec_strerror(why));
    if (a->req_type == MBMSEC_UE_KM_REGISTER)
      fail_register(a, si, 0, w, now);
    else if (a->req_type == MBMSEC_UE_KM_MSK && a->req_group >= 0)
      fail_group(a, si, &s->g[a->req_group], 0, w, now);
    else
      agent_log(a, si, "%s: deregister %s (not retried)", s->id, w);
  }
  agent_pump(a, now);
  return MBMSEC_OK;
}

/* ---------------------------------------------------------------- timer, leave */

mbmsec_err mbmsec_ue_agent_on_timer(mbmsec_ue_agent *a, int64_t now)
{
  ENSURE(a, MBMSEC_ERR_ARG);
  a->timer_emitted = INT64_MAX;
  agent_pump(a, now);
  return MBMSEC_OK;
}

mbmsec_err mbmsec_ue_agent_leave(mbmsec_ue_agent *a, const char *service_id, int64_t now)
{
  ENSURE(a && service_id, MBMSEC_ERR_ARG);
  for (size_t i = 0; i < a->n_svc; i++) {
    agent_service *s = &a->svc[i];
    if (strcmp(s->id, service_id)) continue;
    if (!s->left) {
      s->dereg_need = s->registered;
      leave_service(a, (int)i, "left on the user's request");
    }
    agent_pump(a, now);
    return MBMSEC_OK;
  }
  return MBMSEC_ERR_UE_AGENT_UNKNOWN_SERVICE;
}
