/* Zn node: freeDiameter configuration file and core life cycle (recipe zn-freediameter.md
 * sections 2, 3 and 6). One node per process. */
#include "zn_internal.h"

#include <errno.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "guard.h"

int zn_safe_str(const char *s, size_t max)
{
  if (s == NULL || s[0] == '\0') return 0;
  size_t n = 0;
  for (; s[n] != '\0'; n++) {
    unsigned char c = (unsigned char)s[n];
    if (n >= max || c < 0x21 || c > 0x7e || c == '"' || c == '\\' || c == ';' || c == '#') return 0;
  }
  return 1;
}

static int zn_is_client(const mbmsec_zn_config *cfg) { return cfg->peer_identity != NULL; }

static mbmsec_err zn_conf_check(const mbmsec_zn_config *cfg)
{
  ENSURE(cfg != NULL, MBMSEC_ERR_ARG);
  ENSURE(zn_safe_str(cfg->identity, MBMSEC_ZN_IDENTITY_MAX), MBMSEC_ERR_ARG);
  ENSURE(zn_safe_str(cfg->realm, MBMSEC_ZN_IDENTITY_MAX), MBMSEC_ERR_ARG);
  ENSURE(cfg->tc_timer >= 0 && cfg->tc_timer_max >= 0, MBMSEC_ERR_ARG);
  /* TLS: all three files or none. */
  const int tls = cfg->tls_cert != NULL || cfg->tls_key != NULL || cfg->tls_ca != NULL;
  if (tls) {
    ENSURE(zn_safe_str(cfg->tls_cert, 1024) && zn_safe_str(cfg->tls_key, 1024) &&
               zn_safe_str(cfg->tls_ca, 1024),
           MBMSEC_ERR_ARG);
  }
  if (zn_is_client(cfg)) {
    ENSURE(zn_safe_str(cfg->peer_identity, MBMSEC_ZN_IDENTITY_MAX), MBMSEC_ERR_ARG);
    ENSURE(cfg->peer_realm == NULL || zn_safe_str(cfg->peer_realm, MBMSEC_ZN_IDENTITY_MAX),
           MBMSEC_ERR_ARG);
    ENSURE(zn_safe_str(cfg->peer_addr, 64), MBMSEC_ERR_ARG);
    ENSURE(cfg->peer_port != 0, MBMSEC_ERR_ARG);
  } else {
    ENSURE(cfg->port != 0, MBMSEC_ERR_ARG);
    ENSURE(cfg->listen_addr == NULL || zn_safe_str(cfg->listen_addr, 64), MBMSEC_ERR_ARG);
    ENSURE(cfg->accept_peer == NULL || zn_safe_str(cfg->accept_peer, MBMSEC_ZN_IDENTITY_MAX),
           MBMSEC_ERR_ARG);
    uint32_t addrs[MBMSEC_ZN_PEER_ADDR_MAX];
    size_t n_addrs = 0;
    ENSURE(cfg->accept_addrs == NULL || cfg->accept_addrs[0] != '\0', MBMSEC_ERR_ARG);
    GUARD(zn_parse_addrs(cfg->accept_addrs, addrs, MBMSEC_ZN_PEER_ADDR_MAX, &n_addrs));
  }
  return MBMSEC_OK;
}

mbmsec_err mbmsec_zn_conf_write(const mbmsec_zn_config *cfg, const char *dir, char *path,
                                size_t path_cap)
{
  GUARD(zn_conf_check(cfg));
  ENSURE(dir != NULL && dir[0] != '\0' && path != NULL, MBMSEC_ERR_ARG);
  int n = snprintf(path, path_cap, "%s/%s.fd.conf", dir, cfg->identity);
  ENSURE(n > 0 && (size_t)n < path_cap, MBMSEC_ERR_SPACE);

  int tc = cfg->tc_timer > 0 ? cfg->tc_timer : 2;
  int client = zn_is_client(cfg);
  /* IPv6 stays on only for a client dialling an IPv6 literal. */
  int v6 = client && strchr(cfg->peer_addr, ':') != NULL;

  FILE *f = fopen(path, "w");
  ENSURE(f != NULL, MBMSEC_ERR_ZN_CONF);
  /* With TLS the server listens on SecPort only (TLS on connect, RFC 6733) and a client
   * dials with TLS; without, plain TCP on Port and every peer is No_TLS. */
  const int tls = cfg->tls_cert != NULL;
  const unsigned port = client ? 0u : (unsigned)cfg->port;
  int ok = fprintf(f,
                   "# freeDiameter configuration written by mbmsec_zn_conf_write (profile P14)\n"
                   "Identity = \"%s\";\n"
                   "Realm = \"%s\";\n"
                   "Port = %u;\n"
                   "SecPort = %u;\n"
                   "No_SCTP;\n"
                   "%s"
                   "NoRelay;\n"
                   "TcTimer = %d;\n",
                   cfg->identity, cfg->realm, tls ? 0u : port, tls ? port : 0u,
                   v6 ? "" : "No_IPv6;\n", tc) > 0;
  if (ok && tls)
    /* freeDiameter checks the node's own certificate against TLS_CA too, so a self-signed
     * certificate is listed as well; one TLS_CA line per certificate (a file holding several
     * unrelated ones is refused). */
    ok = fprintf(f, "TLS_Cred = \"%s\", \"%s\";\nTLS_CA = \"%s\";\nTLS_CA = \"%s\";\n",
                 cfg->tls_cert, cfg->tls_key, cfg->tls_cert, cfg->tls_ca) > 0;
  if (ok && client)
    ok = fprintf(f, "ConnectPeer = \"%s\" { ConnectTo = \"%s\"; Port = %u; %sTcTimer = %d; };\n",
                 cfg->peer_identity, cfg->peer_addr, (unsigned)cfg->peer_port,
                 tls ? "" : "No_TLS; ", tc) > 0;
  if (fclose(f) != 0) ok = 0;
  if (!ok) {
    unlink(path);
    return MBMSEC_ERR_ZN_CONF;
  }
  return MBMSEC_OK;
}

/* ---- logging ---- */

static mbmsec_zn_log_fn g_log_cb;
static void *g_log_user;
static int g_log_level = MBMSEC_ZN_LOG_ERROR;

__attribute__((format(printf, 2, 0))) static void zn_logger(int level, const char *format,
                                                            va_list args)
{
  if (level < g_log_level) return;
  char line[1024];
  int n = vsnprintf(line, sizeof line, format, args);
  if (n < 0) return;
  size_t len = strlen(line);
  while (len > 0 && (line[len - 1] == '\n' || line[len - 1] == '\r')) line[--len] = '\0';
  if (g_log_cb != NULL)
    g_log_cb(level, line, g_log_user);
  else
    fprintf(stderr, "zn[%d]: %s\n", level, line);
}

/* ---- life cycle ---- */

static atomic_int g_node_claimed;
static atomic_int g_node_running;

mbmsec_err zn_node_begin(const mbmsec_zn_config *cfg)
{
  GUARD(zn_conf_check(cfg));
  ENSURE(atomic_exchange(&g_node_claimed, 1) == 0, MBMSEC_ERR_ZN_STATE);

  g_log_cb = cfg->log_cb;
  g_log_user = cfg->log_user;
  g_log_level = cfg->log_level > 0 ? cfg->log_level : MBMSEC_ZN_LOG_ERROR;
  fd_g_debug_lvl = g_log_level;
  ENSURE(fd_log_handler_register(zn_logger) == 0, MBMSEC_ERR_ZN_STACK);
  ENSURE(fd_core_initialize() == 0, MBMSEC_ERR_ZN_STACK);
  /* fd_core_initialize resets the level to its default. */
  fd_g_debug_lvl = g_log_level;

  char path[4096];
  char tmpdir[4096] = "";
  const char *dir = cfg->conf_dir;
  int made_tmp = 0;
  mbmsec_err rc = MBMSEC_OK;
  if (dir == NULL) {
    const char *t = getenv("TMPDIR");
    int n = snprintf(tmpdir, sizeof tmpdir, "%s/mbmsec-zn-XXXXXX",
                     (t != NULL && t[0] != '\0') ? t : "/tmp");
    ENSURE_OUT(n > 0 && (size_t)n < sizeof tmpdir, MBMSEC_ERR_SPACE);
    ENSURE_OUT(mkdtemp(tmpdir) != NULL, MBMSEC_ERR_ZN_CONF);
    made_tmp = 1;
    dir = tmpdir;
  }
  GUARD_OUT(mbmsec_zn_conf_write(cfg, dir, path, sizeof path));
  int prc = fd_core_parseconf(path);
  if (made_tmp) unlink(path);
  ENSURE_OUT(prc == 0, MBMSEC_ERR_ZN_STACK);
  GUARD_OUT(zn_dict_init());
out:
  if (made_tmp) rmdir(tmpdir);
  if (rc != MBMSEC_OK)
    fd_core_shutdown(); /* not started: releases what initialize/parseconf took */
  return rc;
}

mbmsec_err zn_node_run(void)
{
  /* A pause between parseconf and start avoids the first-dial race (recipe section 6). */
  struct timespec pause = {0, 100 * 1000 * 1000};
  while (nanosleep(&pause, &pause) != 0 && errno == EINTR) {
  }
  if (fd_core_start() != 0 || fd_core_waitstartcomplete() != 0) {
    fd_core_shutdown();
    fd_core_wait_shutdown_complete();
    return MBMSEC_ERR_ZN_STACK;
  }
  atomic_store(&g_node_running, 1);
  return MBMSEC_OK;
}

mbmsec_err zn_node_end(void)
{
  ENSURE(atomic_exchange(&g_node_running, 0) == 1, MBMSEC_ERR_ZN_STATE);
  int a = fd_core_shutdown();
  int b = fd_core_wait_shutdown_complete();
  return (a == 0 && b == 0) ? MBMSEC_OK : MBMSEC_ERR_ZN_STACK;
}
