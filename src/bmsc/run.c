/* `mbmsec-bmsc run`: settings, then the store and its owner lock, Ua (Digest + Zn), MIKEY,
 * HTTP and last the media stream, in that order: every socket and lock is taken before the
 * first packet leaves, so a start that fails (a second daemon on the same store, a port in
 * use) sends nothing. SIGTERM/SIGINT stop them in the reverse order. */
#include <stdio.h>
#include <time.h>

#include "bmsc.h"
#include "daemon.h"
#include "log.h"
#include "ratelim.h"
#include "mbmsec/crypto.h"
#include "mbmsec/keyid.h"

/* MSK generation: often enough that MSK lifetimes of a few seconds (tests, the demo) still
 * find the next MSK generated before the current one ends; a check is a few store queries. */
#define ROTATE_EVERY_S 2

static time_t last_rotate;

/* Every 100 ms of the main loop: MSK generation, and the rotation pushes. */
static void tick(void *user)
{
  bmsc_app *app = user;
  if (time(NULL) - last_rotate >= ROTATE_EVERY_S) {
    last_rotate = time(NULL);
    bmsc_rotate_keep(app);
  }
  bmsc_rotate_tick(app);     /* MSK rotation pushes (docs/bmsc-rotation.md) */
  ratelim_refusals_report(); /* the refused requests not logged one by one */
}

int bmsc_cmd_run(int argc, char **argv)
{
  static bmsc_app app; /* static: its atomics start zeroed and outlive the HTTP threads */
  int rc = bmsc_settings_load(&app.s, argc, argv);
  if (rc) return rc == 3 ? 0 : rc;
  dlog_set_level((dlog_level)app.s.log_level);
  if (mbmsec_kdid_from_plmn(app.s.mcc, app.s.mnc, app.kdid) != MBMSEC_OK) { /* P5 */
    dlog(DLOG_ERROR, "bad --mcc/--mnc", "mcc", app.s.mcc, "mnc", app.s.mnc, NULL);
    return 2;
  }

  daemon_signals();

  int ret = 1;
  bmsc_http *http = NULL;
  mbmsec_err e = mbmsec_store_open(app.s.store, &app.store);
  if (e != MBMSEC_OK) {
    dlog(DLOG_ERROR, "cannot open the store", "store", app.s.store, "code", mbmsec_errname(e),
         NULL);
    goto out;
  }
  /* One daemon per store (kill -9 releases it): a second one would send MTK messages and
   * SRTP to the live group and move the stored counters. */
  if (daemon_own_store(app.store, app.s.store)) goto out;
  if ((e = mbmsec_store_open(app.s.store, &app.members)) != MBMSEC_OK) {
    dlog(DLOG_ERROR, "cannot open the store", "store", app.s.store, "code", mbmsec_errname(e),
         NULL);
    goto out;
  }
  if (bmsc_admin_token_init(&app)) goto out;
  bmsc_rotate_keep(&app);
  if ((rc = bmsc_ua_start(&app))) {
    ret = rc;
    goto out;
  }
  if (bmsc_mikey_start(&app) || bmsc_http_start(&app, &http)) /* mikey starts the rotation */
    goto out;
  /* The media last: its first packet leaves once everything else is in place. */
  if (bmsc_stream_start(&app)) goto out;
  char hp[80], ap[80], mp[80], up[8];
  snprintf(hp, sizeof hp, "%s:%u", app.s.listen_addr, (unsigned)app.s.listen_port);
  snprintf(ap, sizeof ap, "%s:%u", app.s.admin_addr, (unsigned)app.s.admin_port);
  snprintf(mp, sizeof mp, "%s:%u", app.s.mikey_addr, (unsigned)bmsc_mikey_bound_port(&app));
  snprintf(up, sizeof up, "%u", (unsigned)app.s.ue_mikey_port);
  dlog(DLOG_INFO, "ready", "listen", hp, "admin_listen", ap, "mikey_bind", mp, "ue_mikey_port", up,
       "fqdn", app.s.fqdn, "store", app.s.store, "zn_peer", app.s.zn_peer, "zn_tls",
       app.s.zn_tls_cert[0] ? "true" : "false", "v_flag", app.s.msk_v_flag ? "true" : "false",
       "log_keys", app.s.log_keys ? "true" : "false", NULL);
  last_rotate = time(NULL);
  daemon_wait(tick, &app);
  ret = 0;
out:
  bmsc_stream_stop(&app);
  bmsc_http_stop(http);
  bmsc_mikey_stop(&app);
  bmsc_rotate_stop(&app);
  bmsc_ua_stop(&app);
  mbmsec_store_close(app.store);
  mbmsec_store_close(app.members);
  app.store = app.members = NULL;
  mbmsec_cleanse(app.admin_token, sizeof app.admin_token);
  if (ret == 0) dlog(DLOG_INFO, "stopped", NULL);
  mbmsec_crypto_cleanup();
  return ret;
}
