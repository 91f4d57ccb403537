/* The UE agent engine's MIKEY and SRTP events (include/mbmsec/ue_agent.h): MSK messages
 * stored and acknowledged, solicited pulls, MTK messages taken, refusals counted by reason with
 * the persistent state unchanged (mbmsec_mikey_state works on a copy), and the missed key update
 * when an MTK message or an SRTP MKI names an MSK newer than those held. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent_internal.h"
#include "guard.h"
#include "mbmsec/crypto.h"

/* ---------------------------------------------------------------- MIKEY */

static mbmsec_err muk_cb(void *ctx, const uint8_t *idi, size_t idi_len, const uint8_t *idr,
                         size_t idr_len, uint8_t *muk, size_t muk_cap, size_t *muk_len)
{
  const mbmsec_ue_agent *a = ctx;
  if (!a->have_creds || idi_len != strlen(a->bmsc_fqdn) || idr_len != strlen(a->btid) ||
      memcmp(idi, a->bmsc_fqdn, idi_len) || memcmp(idr, a->btid, idr_len))
    return MBMSEC_ERR_MIKEY_UNKNOWN_KEY;
  ENSURE(muk_cap >= sizeof a->muk, MBMSEC_ERR_SPACE);
  memcpy(muk, a->muk, sizeof a->muk);
  *muk_len = sizeof a->muk;
  return MBMSEC_OK;
}

/* Learns which MSK an MTK message names without any key: the verifier asks for it first. */
typedef struct {
  bool got;
  uint8_t kdid[MBMSEC_KDID_LEN], msk_id[MBMSEC_MSK_ID_LEN];
} probe_ctx;

static mbmsec_err probe_cb(void *ctx, const mbmsec_mikey_key_ref *ref, mbmsec_mikey_psk *out)
{
  probe_ctx *p = ctx;
  (void)out;
  if (ref->kind == MBMSEC_MIKEY_KEY_MSK && ref->kdid && ref->msk_id) {
    memcpy(p->kdid, ref->kdid, MBMSEC_KDID_LEN);
    memcpy(p->msk_id, ref->msk_id, MBMSEC_MSK_ID_LEN);
    p->got = true;
  }
  return MBMSEC_ERR_MIKEY_UNKNOWN_KEY;
}

static void count_refusal(mbmsec_ue_agent *a, mbmsec_err rc)
{
  mbmsec_ue_agent_stats *st = &a->stats;
  switch (rc) {
  case MBMSEC_ERR_MIKEY_MAC:
    st->mikey_auth++;
    break;
  case MBMSEC_ERR_MIKEY_REPLAY:
  case MBMSEC_ERR_MIKEY_MTK_ID_OLD:
    st->mikey_replay++;
    break;
  case MBMSEC_ERR_MIKEY_KEYNUM_OLD:
  case MBMSEC_ERR_MIKEY_UNKNOWN_MSK:
  case MBMSEC_ERR_MIKEY_MSK_CONFLICT:
  case MBMSEC_ERR_MIKEY_MTK_ID_RANGE:
    st->mikey_old++;
    break;
  case MBMSEC_ERR_MIKEY_UNKNOWN_KEY:
    st->mikey_unknown_key++;
    break;
  case MBMSEC_ERR_MIKEY_MISSED_MSK:
    st->mikey_missed++;
    break;
  case MBMSEC_ERR_NOMEM:
  case MBMSEC_ERR_CRYPTO:
  case MBMSEC_ERR_MIKEY_STATE_FULL:
    st->mikey_other++;
    break;
  default:
    st->mikey_malformed++;
    break;
  }
}

static agent_msk *msk_slot(mbmsec_ue_agent *a)
{
  for (size_t i = 0; i < AGENT_MSKS; i++)
    if (!a->msk[i].used) return &a->msk[i];
  return NULL;
}

static void msk_drop(mbmsec_ue_agent *a, const uint8_t kdid[MBMSEC_KDID_LEN],
                     const uint8_t msk_id[MBMSEC_MSK_ID_LEN])
{
  agent_msk *m = agent_msk_find(a, kdid, msk_id);
  if (m) mbmsec_cleanse(m, sizeof *m);
}

static void on_msk(mbmsec_ue_agent *a, const mbmsec_mikey_msk_result *r, const struct sockaddr *src,
                   socklen_t src_len, int64_t now)
{
  const mbmsec_mikey_msk_info *in = &r->info;
  char idt[16];
  agent_msk_id_text(in->kdid, in->msk_id, idt);
  if (r->outcome == MBMSEC_MIKEY_MSK_NEW) {
    a->stats.mikey_msk++;
    if (r->dropped) msk_drop(a, in->kdid, r->dropped_msk_id);
    agent_msk *m = agent_msk_find(a, in->kdid, in->msk_id);
    if (!m) m = msk_slot(a);
    if (m) {
      memset(m, 0, sizeof *m);
      m->used = true;
      memcpy(m->kdid, in->kdid, MBMSEC_KDID_LEN);
      memcpy(m->msk_id, in->msk_id, MBMSEC_MSK_ID_LEN);
      m->vf = in->vf;
      m->vt = in->vt;
      m->stored_ms = now;
      m->was_valid = true;
    }
    agent_log(a, -1, "MIKEY push: MSK %s stored (counter %u, MTK IDs %u..%u)%s", idt,
              (unsigned)in->counter, in->vf, in->vt, in->v_flag ? ", verification sent" : "");
  } else if (r->outcome == MBMSEC_MIKEY_MSK_DUPLICATE) {
    a->stats.mikey_duplicate++;
    agent_log(a, -1, "MIKEY push: MSK %s again (re-delivery, O4)%s", idt,
              in->v_flag ? ", verification sent" : "");
  } else {
    a->stats.mikey_pull++;
    agent_log(a, -1, "MIKEY solicited pull (P10) for MSK %s", idt);
  }
  for (size_t i = 0; i < a->n_svc; i++) {
    agent_service *s = &a->svc[i];
    if (s->left || memcmp(s->kdid, in->kdid, MBMSEC_KDID_LEN)) continue;
    for (size_t j = 0; j < s->n_groups; j++) {
      agent_group *g = &s->g[j];
      if (g->group != agent_keygroup(in->msk_id)) continue;
      if (r->outcome == MBMSEC_MIKEY_MSK_PULL) {
        /* P10: the BM-SC asks for the basic MSK request now (one UE: no spreading). */
        g->refused = false;
        agent_schedule_group(g, agent_keynum(in->msk_id), now);
        continue;
      }
      g->got_ms = now;
      if (agent_keynum(in->msk_id) > g->got_keynum || g->got_keynum == 0)
        g->got_keynum = agent_keynum(in->msk_id);
      if ((g->waiting || g->need) && agent_group_satisfied(g)) {
        g->waiting = false;
        g->need = false;
        g->tries = 0;
        g->refused = false;
      }
      if (g->need && g->want != MBMSEC_MSK_KEYNUM_CURRENT && agent_keynum(in->msk_id) >= g->want) {
        g->need = false; /* pushed before we asked (e.g. the BM-SC's rotation) */
        g->tries = 0;
      }
      g->refused = g->refused && !agent_group_valid(a, s, g, now, NULL);
    }
  }
  agent_persist(a);
  if (r->ver_len && src_len && src_len <= (socklen_t)sizeof(struct sockaddr_storage)) {
    mbmsec_ue_agent_action *act = agent_push(a, MBMSEC_UE_AGENT_ACT_SEND_VER, -1);
    if (act) {
      memcpy(act->data, r->ver, r->ver_len);
      act->len = r->ver_len;
      memcpy(&act->reply_to, src, src_len);
      act->reply_len = src_len;
    }
  }
}

static void on_mtk(mbmsec_ue_agent *a, const mbmsec_mikey_mtk_info *in, int64_t now)
{
  a->stats.mikey_mtk++;
  char idt[16];
  agent_msk_id_text(in->kdid, in->msk_id, idt);
  agent_msk *m = agent_msk_find(a, in->kdid, in->msk_id);
  if (m) {
    m->mtk[1] = m->mtk[0];
    m->mtk[0].used = true;
    m->mtk[0].mtk_id = in->mtk_id;
    memcpy(m->mtk[0].mtk, in->mtk, sizeof m->mtk[0].mtk);
    memcpy(m->mtk[0].salt, in->salt, sizeof m->mtk[0].salt);
    m->last_used_ms = now;
  }
  const uint16_t grp = agent_keygroup(in->msk_id), kn = agent_keynum(in->msk_id);
  for (size_t i = 0; i < a->n_svc; i++) {
    agent_service *s = &a->svc[i];
    if (s->left || memcmp(s->kdid, in->kdid, MBMSEC_KDID_LEN)) continue;
    for (size_t j = 0; j < s->n_groups; j++) {
      agent_group *g = &s->g[j];
      if (g->group != grp) continue;
      if (kn > g->in_use) g->in_use = kn;
      /* Change-over: MTKs now come under the newest MSK held; fetch the next one ahead. */
      if (kn >= agent_group_highest_held(a, in->kdid, grp) && kn < 0xffff && g->next_asked <= kn &&
          !g->need && !g->waiting) {
        g->next_asked = (uint16_t)(kn + 1);
        const int64_t due = now + agent_spread_ms(a, s);
        agent_schedule_group(g, (uint16_t)(kn + 1), due);
        agent_log(a, (int)i, "%s: MSK %s now in use; asking for the next MSK in %" PRId64 " ms",
                  s->id, idt, due - now);
      }
    }
  }
  agent_log(a, -1, "MTK %u of MSK %s taken (MIKEY counter %u)", in->mtk_id, idt,
            (unsigned)in->counter);
  agent_persist(a);
  (void)agent_push(a, MBMSEC_UE_AGENT_ACT_KEYS, -1);
}

mbmsec_err mbmsec_ue_agent_on_mikey(mbmsec_ue_agent *a, const uint8_t *dgram, size_t len,
                                    const struct sockaddr *src, socklen_t src_len, int64_t now)
{
  ENSURE(a && (dgram || !len) && (src || !src_len), MBMSEC_ERR_ARG);
  mbmsec_mikey_msk_result *r = calloc(1, sizeof *r);
  mbmsec_mikey_mtk_info *t = calloc(1, sizeof *t);
  mbmsec_err rc = MBMSEC_ERR_NOMEM;
  if (!r || !t) goto out;
  rc = mbmsec_mikey_state_accept_msk(a->st, dgram, len, muk_cb, a, a->cfg.mikey_opts, r);
  if (rc == MBMSEC_OK) {
    on_msk(a, r, src, src_len, now);
    goto out;
  }
  if (rc != MBMSEC_ERR_MIKEY_LAYOUT) goto refused;
  rc = mbmsec_mikey_state_accept_mtk(a->st, dgram, len, a->cfg.mikey_opts, t);
  if (rc == MBMSEC_OK) {
    on_mtk(a, t, now);
    goto out;
  }
  if (rc == MBMSEC_ERR_MIKEY_MTK_REPEAT) { /* the BM-SC's repetition of the MTK we hold */
    a->stats.mikey_duplicate++;
    goto out;
  }
  if (rc == MBMSEC_ERR_MIKEY_MISSED_MSK) {
    probe_ctx p = {0};
    mbmsec_mikey_mtk_info scratch;
    (void)mbmsec_mikey_mtk_verify(dgram, len, probe_cb, &p, a->cfg.mikey_opts, &scratch);
    mbmsec_mikey_mtk_info_cleanse(&scratch);
    if (p.got) agent_missed_key(a, p.kdid, p.msk_id, "an MTK message", now);
  }
refused:
  count_refusal(a, rc);
out:
  if (r) mbmsec_mikey_msk_info_cleanse(&r->info), mbmsec_cleanse(r, sizeof *r);
  if (t) mbmsec_mikey_mtk_info_cleanse(t);
  free(r);
  free(t);
  agent_pump(a, now);
  return rc;
}

mbmsec_err mbmsec_ue_agent_on_srtp(mbmsec_ue_agent *a, const uint8_t kdid[MBMSEC_KDID_LEN],
                                   const uint8_t mki[MBMSEC_SRTP_MKI_LEN], mbmsec_err rc,
                                   int64_t now)
{
  ENSURE(a && kdid && mki, MBMSEC_ERR_ARG);
  if (rc == MBMSEC_OK) {
    agent_msk *m = agent_msk_find(a, kdid, mki);
    if (m) m->last_used_ms = now; /* memory only: saved with the next persisted change */
  } else if (rc == MBMSEC_ERR_SRTP_NO_KEY) {
    agent_missed_key(a, kdid, mki, "an SRTP MKI", now);
  }
  agent_pump(a, now);
  return MBMSEC_OK;
}
