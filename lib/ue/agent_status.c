/* The UE agent engine's read-outs: the SRTP key set, per-service status, MSKs held, counters. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent_internal.h"
#include "guard.h"
#include "mbmsec/crypto.h"

/* ---------------------------------------------------------------- read-outs */

size_t mbmsec_ue_agent_srtp_keys(const mbmsec_ue_agent *a, mbmsec_srtp_key *keys, size_t cap)
{
  size_t n = 0;
  if (!a || !keys) return 0;
  /* A fixed "now" is not needed: validity only changes through pump, which emits KEYS. */
  for (size_t i = 0; i < AGENT_MSKS; i++) {
    const agent_msk *m = &a->msk[i];
    if (!m->used || !m->was_valid) continue;
    for (size_t k = 0; k < MBMSEC_UE_AGENT_MTKS_PER_MSK && n < cap; k++) {
      if (!m->mtk[k].used) continue;
      memcpy(keys[n].msk_id, m->msk_id, MBMSEC_MSK_ID_LEN);
      keys[n].mtk_id = m->mtk[k].mtk_id;
      memcpy(keys[n].mtk, m->mtk[k].mtk, MBMSEC_MBMS_MTK_LEN);
      memcpy(keys[n].salt, m->mtk[k].salt, MBMSEC_MBMS_MTK_SALT_LEN);
      n++;
    }
  }
  return n;
}

size_t mbmsec_ue_agent_n_services(const mbmsec_ue_agent *a) { return a ? a->n_svc : 0; }

mbmsec_err mbmsec_ue_agent_service(const mbmsec_ue_agent *a, size_t i,
                                   mbmsec_ue_agent_service_info *out)
{
  ENSURE(a && out && i < a->n_svc, MBMSEC_ERR_ARG);
  const agent_service *s = &a->svc[i];
  memset(out, 0, sizeof *out);
  memcpy(out->service_id, s->id, sizeof out->service_id);
  const int64_t now = a->last_now;
  out->phase = agent_phase_of(a, s, now);
  /* An MSK the pump already judged expired must not look valid. */
  if (out->phase == MBMSEC_UE_AGENT_ACTIVE) {
    for (size_t j = 0; j < s->n_groups; j++) {
      bool any = false;
      for (size_t k = 0; k < AGENT_MSKS; k++) {
        const agent_msk *m = &a->msk[k];
        any |= m->used && m->was_valid && !memcmp(m->kdid, s->kdid, MBMSEC_KDID_LEN) &&
               agent_keygroup(m->msk_id) == s->g[j].group;
      }
      if (!any)
        out->phase = s->g[j].waiting ? MBMSEC_UE_AGENT_WAIT_MIKEY : MBMSEC_UE_AGENT_MSK_REQUEST;
    }
  }
  out->registered = s->registered;
  out->n_groups = s->n_groups;
  memcpy(out->kdid, s->kdid, MBMSEC_KDID_LEN);
  for (size_t j = 0; j < s->n_groups; j++) out->groups[j] = s->g[j].group;
  memcpy(out->last_error, s->last_error, sizeof out->last_error);
  memcpy(out->reason, s->reason, sizeof out->reason);
  return MBMSEC_OK;
}

size_t mbmsec_ue_agent_msks(const mbmsec_ue_agent *a, int64_t now, mbmsec_ue_agent_msk_info *out,
                            size_t cap)
{
  size_t n = 0;
  if (!a || !out) return 0;
  for (size_t i = 0; i < AGENT_MSKS && n < cap; i++) {
    const agent_msk *m = &a->msk[i];
    if (!m->used) continue;
    mbmsec_ue_agent_msk_info *o = &out[n++];
    memset(o, 0, sizeof *o);
    memcpy(o->kdid, m->kdid, MBMSEC_KDID_LEN);
    memcpy(o->msk_id, m->msk_id, MBMSEC_MSK_ID_LEN);
    o->vf = m->vf;
    o->vt = m->vt;
    o->stored_ms = m->stored_ms;
    o->last_used_ms = m->last_used_ms;
    o->valid = m->was_valid && agent_msk_valid(a, m, now);
    o->has_mtk = m->mtk[0].used;
    o->mtk_id = m->mtk[0].mtk_id;
  }
  return n;
}

void mbmsec_ue_agent_get_stats(const mbmsec_ue_agent *a, mbmsec_ue_agent_stats *out)
{
  if (!out) return;
  if (!a) {
    memset(out, 0, sizeof *out);
    return;
  }
  *out = a->stats;
}

const char *mbmsec_ue_agent_phase_name(mbmsec_ue_agent_phase p)
{
  switch (p) {
  case MBMSEC_UE_AGENT_BOOTSTRAP:
    return "bootstrap";
  case MBMSEC_UE_AGENT_REGISTER:
    return "register";
  case MBMSEC_UE_AGENT_MSK_REQUEST:
    return "msk-request";
  case MBMSEC_UE_AGENT_WAIT_MIKEY:
    return "wait-mikey";
  case MBMSEC_UE_AGENT_ACTIVE:
    return "active";
  case MBMSEC_UE_AGENT_LEFT:
    return "left";
  }
  return "?";
}
