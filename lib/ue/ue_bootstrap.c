/* The bootstrap driver: runs the Ub engine over a transport, keeps the USIM file in step with
 * the card's SQN state and saves the result. Order matters for the USIM: the new SQN state is
 * on disk before the RES leaves the UE, so a crash can never make the card accept the same
 * SQN twice. */
#include <stdlib.h>
#include <string.h>

#include "guard.h"
#include "mbmsec/ue.h"

/* First request, challenge, (AUTS, challenge,) response: at most four round trips. */
#define UB_EXCHANGES_MAX (3 + MBMSEC_UE_RESYNC_MAX)

mbmsec_err mbmsec_ue_bootstrap_run(const mbmsec_ue_bootstrap_cfg *cfg, mbmsec_ue_bootstrap *out,
                                   mbmsec_ue_bootstrap_info *info)
{
  ENSURE(cfg && out && cfg->impi && cfg->realm && cfg->exchange, MBMSEC_ERR_ARG);
  ENSURE((cfg->usim_path != NULL) != (cfg->usim != NULL), MBMSEC_ERR_ARG);
  memset(out, 0, sizeof *out);
  mbmsec_ue_bootstrap_info dummy;
  if (!info) info = &dummy;
  memset(info, 0, sizeof *info);
  mbmsec_ue_usim usim, *card = cfg->usim ? cfg->usim : &usim;
  mbmsec_ub_client *c = calloc(1, sizeof *c);
  char *auth = malloc(MBMSEC_UE_AUTH_SIZE);
  mbmsec_err rc;
  memset(&usim, 0, sizeof usim);
  ENSURE_OUT(c && auth, MBMSEC_ERR_NOMEM);
  if (cfg->usim_path) GUARD_OUT(mbmsec_ue_usim_load(cfg->usim_path, &usim));
  GUARD_OUT(mbmsec_ub_client_init(c, card, cfg->impi, cfg->realm, cfg->uri));
  GUARD_OUT(mbmsec_ub_client_first(c, auth, MBMSEC_UE_AUTH_SIZE, NULL));
  for (;;) {
    ENSURE_OUT(info->exchanges < UB_EXCHANGES_MAX, MBMSEC_ERR_UE_HTTP_STATUS);
    mbmsec_ue_http_answer ans;
    memset(&ans, 0, sizeof ans);
    info->exchanges++;
    GUARD_OUT(cfg->exchange(cfg->exchange_ctx, auth, &ans));
    info->last_status = ans.status;
    mbmsec_cleanse(auth, MBMSEC_UE_AUTH_SIZE);
    if (ans.status == 401) {
      rc =
          mbmsec_ub_client_on_401(c, ans.www_auth, ans.n_www_auth, auth, MBMSEC_UE_AUTH_SIZE, NULL);
      /* A 401 without any challenge is the BSF saying no, not a protocol we can follow. */
      if (rc == MBMSEC_ERR_UE_NO_CHALLENGE && ans.n_www_auth == 0) rc = MBMSEC_ERR_UE_HTTP_STATUS;
      if (rc != MBMSEC_OK) goto out;
      info->resyncs = c->resyncs;
      if (c->usim_dirty) {
        if (cfg->usim_path) GUARD_OUT(mbmsec_ue_usim_save(cfg->usim_path, &usim, false));
        c->usim_dirty = false;
      }
      continue;
    }
    if (ans.status == 200) {
      GUARD_OUT(mbmsec_ub_client_on_200(c, ans.auth_info.p, ans.auth_info.len, ans.content_type,
                                        ans.body, ans.body_len));
      break;
    }
    rc = ans.status == 403 ? MBMSEC_ERR_UE_REFUSED : MBMSEC_ERR_UE_HTTP_STATUS;
    goto out;
  }
  if (cfg->state_path) GUARD_OUT(mbmsec_ue_state_save(cfg->state_path, &c->result));
  *out = c->result;
  rc = MBMSEC_OK;
out:
  if (rc != MBMSEC_OK) mbmsec_ue_bootstrap_cleanse(out);
  if (auth) mbmsec_cleanse(auth, MBMSEC_UE_AUTH_SIZE);
  free(auth);
  mbmsec_ub_client_cleanse(c);
  free(c);
  mbmsec_ue_usim_cleanse(&usim);
  return rc;
}
