/* Ua: the library's key request engine (lib/bmsc) and its Digest engine (lib/ua) with the Zn
 * lookup implemented by the Zn client (lib/zn). The Digest engine caches Ks_NAF per B-TID, so
 * Zn sees one BIR per bootstrap, not per request. */
#include <stdio.h>
#include <string.h>

#include "bmsc.h"
#include "log.h"
#include "mbmsec/crypto.h"
#include "mbmsec/encode.h"

#define ZN_OPEN_WAIT_MS   5000 /* at start-up; later BIRs fail fast (503) until it is open */
#define ZN_BIR_TIMEOUT_MS 5000

static void zn_log(int level, const char *line, void *user)
{
  (void)user;
  dlog(level >= MBMSEC_ZN_LOG_ERROR ? DLOG_WARN : DLOG_DEBUG, "zn-stack", "line", line, NULL);
}

static mbmsec_err zn_lookup(const char *btid, size_t btid_len, const uint8_t *naf_id,
                            size_t naf_id_len, void *user, mbmsec_ua_zn_result *out)
{
  bmsc_app *app = user;
  mbmsec_zn_answer ans;
  memset(&ans, 0, sizeof ans);
  atomic_fetch_add(&app->m.zn_birs, 1);
  mbmsec_err rc = mbmsec_zn_bir(app->zn, (const uint8_t *)btid, btid_len, naf_id, naf_id_len,
                                MBMSEC_ZN_GSID_MBMS, ZN_BIR_TIMEOUT_MS, &ans);
  char id[MBMSEC_UA_BTID_MAX + 1], res[16], ks[2 * MBMSEC_ZN_KS_NAF_LEN + 1] = "";
  snprintf(id, sizeof id, "%.*s", (int)btid_len, btid);
  if (rc == MBMSEC_ERR_ZN_TIMEOUT) rc = MBMSEC_OK; /* ans.result is 3002: the engine says 503 */
  if (rc == MBMSEC_OK) {
    out->result = ans.result;
    if (ans.result == MBMSEC_ZN_SUCCESS) {
      memcpy(out->impi, ans.impi, ans.impi_len + 1);
      out->impi_len = ans.impi_len;
      memcpy(out->ks_naf, ans.ks_naf, MBMSEC_ZN_KS_NAF_LEN);
      out->key_expiry = ans.key_expiry;
      if (app->s.log_keys) mbmsec_hex_encode(ans.ks_naf, MBMSEC_ZN_KS_NAF_LEN, ks, sizeof ks);
    }
  } else {
    atomic_fetch_add(&app->m.zn_errors, 1);
  }
  snprintf(res, sizeof res, "%u", rc == MBMSEC_OK ? ans.result : 0u);
  dlog(rc != MBMSEC_OK ? DLOG_ERROR : DLOG_INFO, "zn", "btid", id, "result", res, "impi",
       rc == MBMSEC_OK ? ans.impi : "", "code", rc == MBMSEC_OK ? "" : mbmsec_errname(rc),
       app->s.log_keys ? "ks_naf" : NULL, ks, NULL);
  mbmsec_cleanse(ks, sizeof ks);
  mbmsec_zn_answer_clear(&ans);
  return rc;
}

static uint64_t cpu_ns(void *user)
{
  (void)user;
  return bmsc_now_ns();
}

static void kr_warn(void *user, const char *msg, mbmsec_err code)
{
  (void)user;
  dlog(DLOG_WARN, msg, "code", mbmsec_errname(code), NULL);
}

/* The key request engine (lib/bmsc) with its Digest engine, whose Zn lookup is zn_lookup; the
 * membership store is app->members, and each HTTP thread opens its own handle on the same
 * file for msk-requests. */
int bmsc_ua_start(bmsc_app *app)
{
  const bmsc_settings *s = &app->s;
  mbmsec_bmsc_kr_config cfg = {.ua = {.fqdn = s->fqdn,
                                      .nonce_lifetime_s = s->nonce_lifetime_s,
                                      .lookup = zn_lookup,
                                      .lookup_user = app},
                               .store = app->members,
                               .store_uri = s->store,
                               .ue_mikey_port = s->ue_mikey_port,
                               .cpu_ns = cpu_ns,
                               .stage_sample = BMSC_STAGE_SAMPLE,
                               .warn = kr_warn};
  mbmsec_err rc = mbmsec_ua_algs_parse(s->digest_algs, &cfg.ua);
  if (rc == MBMSEC_OK) rc = mbmsec_bmsc_kr_new(&cfg, &app->kr);
  app->ua = mbmsec_bmsc_kr_ua(app->kr);
  if (rc != MBMSEC_OK) {
    dlog(DLOG_ERROR, "bad Ua settings", "fqdn", s->fqdn, "digest_algs", s->digest_algs, "code",
         mbmsec_errname(rc), NULL);
    return rc == MBMSEC_ERR_UA_CONFIG ? 2 : 1;
  }
  mbmsec_zn_config z = {.identity = s->zn_identity,
                        .realm = s->zn_realm,
                        .peer_identity = s->zn_peer,
                        .peer_addr = s->zn_peer_addr,
                        .peer_port = s->zn_peer_port,
                        .log_level =
                            s->log_level == DLOG_DEBUG ? MBMSEC_ZN_LOG_NOTICE : MBMSEC_ZN_LOG_ERROR,
                        .log_cb = zn_log};
  if (s->zn_tls_cert[0]) { /* all three (bmsc_settings_load) */
    z.tls_cert = s->zn_tls_cert;
    z.tls_key = s->zn_tls_key;
    z.tls_ca = s->zn_tls_ca;
  }
  rc = mbmsec_zn_client_start(&z, &app->zn);
  if (rc != MBMSEC_OK) {
    dlog(DLOG_ERROR, "cannot start the Zn client", "code", mbmsec_errname(rc), NULL);
    return 1;
  }
  /* Not fatal: the BSF may come later; until then Ua answers 503. */
  if (mbmsec_zn_client_wait_open(app->zn, ZN_OPEN_WAIT_MS) != MBMSEC_OK)
    dlog(DLOG_WARN, "Zn peer not connected yet", "zn_peer", s->zn_peer, "addr", s->zn_peer_addr,
         NULL);
  return 0;
}

void bmsc_ua_stop(bmsc_app *app)
{
  if (app->zn && mbmsec_zn_client_stop(app->zn) != MBMSEC_OK)
    dlog(DLOG_WARN, "Zn client did not stop cleanly", NULL);
  app->zn = NULL;
  mbmsec_bmsc_kr_free(app->kr); /* and its Ua engine */
  app->kr = NULL;
  app->ua = NULL;
}
