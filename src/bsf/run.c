/* `mbmsec-bsf run`: settings (conf.c), the store, the engine, the HTTP server and the Zn
 * node; SIGTERM/SIGINT stop them in order (src/common/daemon.c). */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bsf.h"
#include "daemon.h"
#include "http.h"
#include "log.h"
#include "ratelim.h"
#include "mbmsec/bsf.h"
#include "mbmsec/crypto.h"
#include "mbmsec/encode.h"
#include "mbmsec/zn.h"

#define PURGE_EVERY_S 60
/* One warning per FLOOD_REPORT_S at most when pending challenges were replaced or evicted (a
 * flood of first requests), and one summary of refused requests not logged one by one. */
#define FLOOD_REPORT_S 10

typedef struct {
  mbmsec_bsf *engine;
  bool log_keys;
} zn_ctx;

static void zn_log(int level, const char *line, void *user)
{
  (void)user;
  dlog(level >= MBMSEC_ZN_LOG_ERROR ? DLOG_WARN : DLOG_DEBUG, "zn-stack", "line", line, NULL);
}

/* The engine's lookup, plus one log line per BIR. */
static mbmsec_err zn_lookup(const uint8_t *btid, size_t btid_len, const uint8_t *naf_id,
                            size_t naf_id_len, const mbmsec_zn_gsid *gsids, size_t n_gsids,
                            void *user, mbmsec_zn_lookup_result *out)
{
  zn_ctx *z = user;
  mbmsec_err rc =
      mbmsec_bsf_zn_lookup(btid, btid_len, naf_id, naf_id_len, gsids, n_gsids, z->engine, out);
  char id[MBMSEC_STORE_BTID_MAX + 1], naf[300], res[16], ks[2 * MBMSEC_ZN_KS_NAF_LEN + 1];
  size_t n = btid_len < sizeof id - 1 ? btid_len : sizeof id - 1;
  memcpy(id, btid, n);
  id[n] = 0;
  n = naf_id_len > 5 ? naf_id_len - 5 : 0;
  n = n < sizeof naf - 1 ? n : sizeof naf - 1;
  memcpy(naf, naf_id, n);
  naf[n] = 0;
  snprintf(res, sizeof res, "%u", rc == MBMSEC_OK ? out->result : MBMSEC_ZN_UNABLE_TO_COMPLY);
  ks[0] = 0;
  if (z->log_keys && rc == MBMSEC_OK && out->result == MBMSEC_ZN_SUCCESS)
    mbmsec_hex_encode(out->ks_naf, MBMSEC_ZN_KS_NAF_LEN, ks, sizeof ks);
  dlog(rc != MBMSEC_OK ? DLOG_ERROR : DLOG_INFO, "zn", "btid", id, "naf_fqdn", naf, "result", res,
       "impi", rc == MBMSEC_OK ? out->impi : "", "code", rc == MBMSEC_OK ? "" : mbmsec_errname(rc),
       z->log_keys ? "ks_naf" : NULL, ks, NULL);
  mbmsec_cleanse(ks, sizeof ks);
  return rc;
}

/* The main loop's periodic work: purge of expired bootstraps every PURGE_EVERY_S, the flood
 * summaries every FLOOD_REPORT_S. */
typedef struct {
  mbmsec_store *store;
  mbmsec_bsf *engine;
  time_t last, last_flood;
  mbmsec_bsf_stats seen;
} purge_ctx;

/* Counted in the engine, summarised here, never one line per challenge. */
static void flood_report(purge_ctx *p)
{
  mbmsec_bsf_stats now;
  mbmsec_bsf_stats_get(p->engine, &now);
  const mbmsec_bsf_stats *seen = &p->seen;
  if (now.replaced_per_impi != seen->replaced_per_impi ||
      now.replaced_per_source != seen->replaced_per_source ||
      now.evicted_full != seen->evicted_full) {
    char a[24], b[24], c[24], d[24];
    snprintf(a, sizeof a, "%llu",
             (unsigned long long)(now.replaced_per_impi - seen->replaced_per_impi));
    snprintf(b, sizeof b, "%llu",
             (unsigned long long)(now.replaced_per_source - seen->replaced_per_source));
    snprintf(c, sizeof c, "%llu", (unsigned long long)(now.evicted_full - seen->evicted_full));
    snprintf(d, sizeof d, "%llu", (unsigned long long)(now.challenges - seen->challenges));
    dlog(DLOG_WARN, "challenge flood: pending challenges replaced", "per_impi", a, "per_source", b,
         "table_full", c, "challenges", d, "interval_s", "10", NULL);
  }
  p->seen = now;
}

static void purge_tick(void *user)
{
  purge_ctx *p = user;
  if (time(NULL) - p->last_flood >= FLOOD_REPORT_S) {
    p->last_flood = time(NULL);
    flood_report(p);
    ratelim_refusals_report(); /* the 400 and 403 answers not logged one by one */
  }
  if (time(NULL) - p->last < PURGE_EVERY_S) return;
  uint64_t purged = 0;
  p->last = time(NULL);
  const mbmsec_err rc = mbmsec_store_bootstrap_purge(p->store, (int64_t)p->last, &purged);
  if (rc != MBMSEC_OK)
    dlog(DLOG_WARN, "purge of expired bootstraps failed", "code", mbmsec_errname(rc), NULL);
  else if (purged) {
    char pn[24];
    snprintf(pn, sizeof pn, "%llu", (unsigned long long)purged);
    dlog(DLOG_INFO, "purged expired bootstraps", "count", pn, NULL);
  }
}

int bsf_cmd_run(int argc, char **argv)
{
  bsf_settings s;
  const int lrc = bsf_settings_load(&s, argc, argv);
  if (lrc) return lrc == 3 ? 0 : lrc;
  dlog_set_level((dlog_level)s.log_level);

  int ret = 1;
  mbmsec_store *store = NULL;
  mbmsec_bsf *engine = NULL;
  mbmsec_zn_server *zn = NULL;
  bsf_http *http = NULL;
  zn_ctx zc = {0};
  mbmsec_err rc = mbmsec_store_open(s.store, &store);
  if (rc != MBMSEC_OK) {
    dlog(DLOG_ERROR, "cannot open the store", "store", s.store, "code", mbmsec_errname(rc), NULL);
    goto out;
  }
  if (daemon_own_store(store, s.store)) goto out; /* before any listener starts */
  mbmsec_bsf_config cfg = {.fqdn = s.fqdn, .lifetime = s.lifetime};
  rc = mbmsec_bsf_new(&cfg, store, &engine);
  if (rc != MBMSEC_OK) {
    dlog(DLOG_ERROR, "bad BSF settings", "fqdn", s.fqdn, "code", mbmsec_errname(rc), NULL);
    ret = rc == MBMSEC_ERR_BSF_CONFIG ? 2 : 1;
    goto out;
  }
  daemon_signals();

  if (!s.no_zn) {
    zc.engine = engine;
    zc.log_keys = s.log_keys;
    mbmsec_zn_config zcfg = {.identity = s.zn_identity,
                             .realm = s.zn_realm,
                             .port = s.zn_port,
                             .listen_addr = s.zn_addr,
                             .accept_peer = s.zn_peer,
                             .accept_addrs = s.zn_peer_addr[0] ? s.zn_peer_addr : NULL,
                             .log_level = s.log_level == DLOG_DEBUG ? MBMSEC_ZN_LOG_NOTICE
                                                                    : MBMSEC_ZN_LOG_ERROR,
                             .log_cb = zn_log};
    if (s.zn_tls_cert[0]) {
      zcfg.tls_cert = s.zn_tls_cert;
      zcfg.tls_key = s.zn_tls_key;
      zcfg.tls_ca = s.zn_tls_ca;
    }
    rc = mbmsec_zn_server_start(&zcfg, zn_lookup, &zc, &zn);
    if (rc != MBMSEC_OK) {
      dlog(DLOG_ERROR, "cannot start the Zn server (port in use?)", "zn_listen", s.zn_addr, "code",
           mbmsec_errname(rc), NULL);
      goto out;
    }
  }
  if (bsf_http_start(s.listen_addr, s.listen_port, engine, &http) != 0) goto out;
  char hp[80], zp[80], lt[16];
  snprintf(hp, sizeof hp, "%s:%u", s.listen_addr, (unsigned)s.listen_port);
  snprintf(zp, sizeof zp, "%s:%u", s.zn_addr, (unsigned)s.zn_port);
  snprintf(lt, sizeof lt, "%u", (unsigned)s.lifetime);
  dlog(DLOG_INFO, "ready", "listen", hp, "zn_listen", s.no_zn ? "off" : zp, "fqdn", s.fqdn, "store",
       s.store, "lifetime", lt, "zn_identity", s.zn_identity, "zn_peer", s.zn_peer, "zn_peer_addr",
       s.zn_peer_addr[0] ? s.zn_peer_addr : "any", "log_keys", s.log_keys ? "true" : "false", NULL);

  purge_ctx pc = {.store = store, .engine = engine, .last = time(NULL), .last_flood = time(NULL)};
  daemon_wait(purge_tick, &pc);
  ret = 0;
out:
  /* HTTP first (no new bootstraps), then Zn, then what they use. */
  bsf_http_stop(http);
  if (zn && mbmsec_zn_server_stop(zn) != MBMSEC_OK) ret = ret ? ret : 1;
  mbmsec_bsf_free(engine);
  mbmsec_store_close(store);
  if (ret == 0) dlog(DLOG_INFO, "stopped", NULL);
  mbmsec_crypto_cleanup();
  return ret;
}
