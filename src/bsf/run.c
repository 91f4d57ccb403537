/* `mbmsec-bsf run`: settings (defaults, then the config file, then the command line), the
 * store, the engine, the HTTP server and the Zn node; SIGTERM/SIGINT stop them in order. */
#include <errno.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bsf.h"
#include "http.h"
#include "bsf_ini.h"
#include "log.h"
#include "mbmsec/bsf.h"
#include "mbmsec/crypto.h"
#include "mbmsec/encode.h"
#include "mbmsec/zn.h"

#define CMD "run"
#define PURGE_EVERY_S 60

static const char HELP[] =
    "Usage: mbmsec-bsf run [--config FILE] [--listen ADDR:PORT] [--store URI] [--fqdn NAME]\n"
    "                      [--lifetime SECONDS] [--zn-listen ADDR:PORT | --no-zn]\n"
    "                      [--zn-identity NAME] [--zn-realm NAME] [--zn-peer NAME]\n"
    "                      [--zn-tls-cert PEM --zn-tls-key PEM --zn-tls-ca PEM]\n"
    "                      [--log-level debug|info|warn|error] [--log-keys]\n"
    "\n"
    "Runs the BSF: GBA bootstrapping over Ub (HTTP Digest AKA, TS 33.220 / TS 24.109) with the\n"
    "built-in HSS of the store, and the Zn server (Diameter, TS 29.109) for the BM-SC.\n"
    "\n"
    "  --config FILE        INI file; [bsf] and [zn] sections, keys named as these options\n"
    "                       (command-line options override it)\n"
    "  --listen ADDR:PORT   HTTP (Ub) listen address, IPv4 (default 127.0.0.1:8080)\n"
    "  --store URI          store with subscribers and bootstraps (default sqlite:bsf.db)\n"
    "  --fqdn NAME          BSF host name: Digest realm and B-TID domain\n"
    "                       (default bsf.mnc001.mcc001.pub.3gppnetwork.org)\n"
    "  --lifetime SECONDS   bootstrap (Ks) lifetime, 1..315360000 (default 3600)\n"
    "  --zn-listen ADDR:PORT  Zn Diameter listen address, IPv4 (default 127.0.0.1:3868)\n"
    "  --no-zn              do not start the Zn server\n"
    "  --zn-identity NAME   local Diameter Identity (default bsf.zn.test)\n"
    "  --zn-realm NAME      local Diameter realm (default zn.test)\n"
    "  --zn-peer NAME       Diameter Identity of the BM-SC accepted (default bmsc.zn.test)\n"
    "  --zn-tls-cert PEM    Zn over TLS: this node's certificate (CN = --zn-identity); with\n"
    "  --zn-tls-key PEM     its key and the BM-SC's certificate (or CA) trusted; the Zn port\n"
    "  --zn-tls-ca PEM      then takes TLS only. scripts/zn-certs makes self-signed ones.\n"
    "  --log-level LEVEL    debug, info, warn or error (default info); logfmt on stderr\n"
    "  --log-keys           also log key material (Ks_NAF of Zn answers): testing only\n"
    "  --help               this text\n"
    "\n"
    "Stops cleanly on SIGTERM or SIGINT. Exit status: 0 stopped by a signal, 1 start-up\n"
    "failure, 2 usage error.\n";

typedef struct {
  char listen_addr[64];
  uint16_t listen_port;
  char store[MBMSEC_STORE_URI_MAX + 1];
  char fqdn[MBMSEC_BSF_FQDN_MAX + 1];
  uint32_t lifetime;
  char zn_addr[64];
  uint16_t zn_port;
  bool no_zn;
  char zn_identity[MBMSEC_ZN_IDENTITY_MAX + 1];
  char zn_realm[MBMSEC_ZN_IDENTITY_MAX + 1];
  char zn_peer[MBMSEC_ZN_IDENTITY_MAX + 1];
  char zn_tls_cert[1024], zn_tls_key[1024], zn_tls_ca[1024]; /* empty = plain TCP */
  int log_level;
  bool log_keys;
} settings;

static int copy_str(char *dst, size_t cap, const char *name, const char *v)
{
  if (!*v || strlen(v) >= cap)
    return bsf_usage(CMD, "%s: empty or longer than %zu characters", name, cap - 1);
  memcpy(dst, v, strlen(v) + 1);
  return 0;
}

static int addr_port(const char *name, const char *v, char *addr, size_t cap, uint16_t *port)
{
  const char *c = strrchr(v, ':');
  char *end;
  if (!c || c == v || (size_t)(c - v) >= cap)
    return bsf_usage(CMD, "%s '%s': expected ADDR:PORT", name, v);
  errno = 0;
  unsigned long p = strtoul(c + 1, &end, 10);
  if (errno || *end || c[1] == 0 || c[1] == '-' || c[1] == '+' || p == 0 || p > 65535)
    return bsf_usage(CMD, "%s '%s': port must be 1..65535", name, v);
  memcpy(addr, v, (size_t)(c - v));
  addr[c - v] = 0;
  *port = (uint16_t)p;
  return 0;
}

static int boolean(const char *name, const char *v, bool *out)
{
  if (!strcmp(v, "true") || !strcmp(v, "yes") || !strcmp(v, "1") || !strcmp(v, "on"))
    *out = true;
  else if (!strcmp(v, "false") || !strcmp(v, "no") || !strcmp(v, "0") || !strcmp(v, "off"))
    *out = false;
  else
    return bsf_usage(CMD, "%s: '%s' is not true or false", name, v);
  return 0;
}

/* One setting by its long-option name (without "--"); v NULL for a flag on the command line.
 * Returns 0, 2 (usage error printed) or -1 (unknown name). */
static int set(settings *s, const char *name, const char *v)
{
  if (!strcmp(name, "no-zn"))
    return v ? boolean(name, v, &s->no_zn) : (s->no_zn = true, 0);
  if (!strcmp(name, "log-keys"))
    return v ? boolean(name, v, &s->log_keys) : (s->log_keys = true, 0);
  static const char *const valued[] = {"listen", "store", "fqdn", "lifetime", "zn-listen",
                                       "zn-identity", "zn-realm", "zn-peer", "log-level",
                                       "zn-tls-cert", "zn-tls-key", "zn-tls-ca"};
  bool known = false;
  for (size_t i = 0; i < sizeof valued / sizeof valued[0]; i++)
    known |= !strcmp(name, valued[i]);
  if (!known)
    return -1;
  if (!v)
    return bsf_usage(CMD, "--%s needs a value", name);
  if (!strcmp(name, "listen"))
    return addr_port(name, v, s->listen_addr, sizeof s->listen_addr, &s->listen_port);
  if (!strcmp(name, "zn-listen"))
    return addr_port(name, v, s->zn_addr, sizeof s->zn_addr, &s->zn_port);
  if (!strcmp(name, "store"))
    return copy_str(s->store, sizeof s->store, name, v);
  if (!strcmp(name, "fqdn"))
    return copy_str(s->fqdn, sizeof s->fqdn, name, v);
  if (!strcmp(name, "zn-identity"))
    return copy_str(s->zn_identity, sizeof s->zn_identity, name, v);
  if (!strcmp(name, "zn-realm"))
    return copy_str(s->zn_realm, sizeof s->zn_realm, name, v);
  if (!strcmp(name, "zn-peer"))
    return copy_str(s->zn_peer, sizeof s->zn_peer, name, v);
  if (!strcmp(name, "zn-tls-cert"))
    return copy_str(s->zn_tls_cert, sizeof s->zn_tls_cert, name, v);
  if (!strcmp(name, "zn-tls-key"))
    return copy_str(s->zn_tls_key, sizeof s->zn_tls_key, name, v);
  if (!strcmp(name, "zn-tls-ca"))
    return copy_str(s->zn_tls_ca, sizeof s->zn_tls_ca, name, v);
  if (!strcmp(name, "log-level")) {
    int l = dlog_level_parse(v);
    if (l < 0)
      return bsf_usage(CMD, "--log-level '%s': expected debug, info, warn or error", v);
    s->log_level = l;
    return 0;
  }
  /* lifetime */
  char *end;
  errno = 0;
  unsigned long long n = strtoull(v, &end, 10);
  if (errno || *end || !*v || v[0] == '-' || v[0] == '+' || n == 0 || n > MBMSEC_BSF_LIFETIME_MAX)
    return bsf_usage(CMD, "--lifetime '%s': expected 1..%d seconds", v, MBMSEC_BSF_LIFETIME_MAX);
  s->lifetime = (uint32_t)n;
  return 0;
}

static int on_ini(const char *section, const char *key, const char *value, int line, void *user)
{
  bool zn_key = !strncmp(key, "zn-", 3) || !strcmp(key, "no-zn");
  if (strcmp(section, "bsf") && strcmp(section, "zn")) {
    fprintf(stderr, "mbmsec-bsf: config line %d: unknown section [%s]\n", line, section);
    return 1;
  }
  if (zn_key != !strcmp(section, "zn")) {
    fprintf(stderr, "mbmsec-bsf: config line %d: %s belongs in [%s]\n", line, key,
            zn_key ? "zn" : "bsf");
    return 1;
  }
  int rc = set(user, key, value);
  if (rc < 0)
    fprintf(stderr, "mbmsec-bsf: config line %d: unknown key '%s'\n", line, key);
  return rc != 0;
}

static volatile sig_atomic_t stop_signal;
static void on_signal(int sig) { stop_signal = sig; }

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
  mbmsec_err rc = mbmsec_bsf_zn_lookup(btid, btid_len, naf_id, naf_id_len, gsids, n_gsids,
                                       z->engine, out);
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
  dlog(rc != MBMSEC_OK ? DLOG_ERROR : DLOG_INFO, "zn", "btid", id, "naf_fqdn", naf, "result",
          res, "impi", rc == MBMSEC_OK ? out->impi : "", "code",
          rc == MBMSEC_OK ? "" : mbmsec_errname(rc), z->log_keys ? "ks_naf" : NULL, ks, NULL);
  mbmsec_cleanse(ks, sizeof ks);
  return rc;
}

int bsf_cmd_run(int argc, char **argv)
{
  settings s = {.listen_addr = "127.0.0.1", .listen_port = 8080, .store = "sqlite:bsf.db",
                .fqdn = "bsf.mnc001.mcc001.pub.3gppnetwork.org",
                .lifetime = MBMSEC_BSF_LIFETIME_DEFAULT, .zn_addr = "127.0.0.1",
                .zn_port = 3868, .zn_identity = "bsf.zn.test", .zn_realm = "zn.test",
                .zn_peer = "bmsc.zn.test", .log_level = DLOG_INFO};
  const char *config = NULL;
  bool zn_listen_given = false;
  /* The config file first, wherever --config is, so that options override it. */
  for (int i = 1; i < argc; i++) {
    if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
      fputs(HELP, stdout);
      return 0;
    }
    if (!strcmp(argv[i], "--config")) {
      if (i + 1 >= argc)
        return bsf_usage(CMD, "--config needs a value");
      config = argv[++i];
    } else if (!strncmp(argv[i], "--config=", 9)) {
      config = argv[i] + 9;
    }
  }
  if (config && bsf_ini_read(config, on_ini, &s) != MBMSEC_OK)
    return 2;
  for (int i = 1; i < argc; i++) {
    const char *a = argv[i];
    if (strncmp(a, "--", 2) != 0)
      return bsf_usage(CMD, "unexpected argument '%s'", a);
    char name[64];
    const char *eq = strchr(a, '='), *v = NULL;
    size_t nl = eq ? (size_t)(eq - a - 2) : strlen(a + 2);
    if (nl >= sizeof name)
      return bsf_usage(CMD, "unknown option '%s'", a);
    memcpy(name, a + 2, nl);
    name[nl] = 0;
    if (!strcmp(name, "config")) {
      i += eq ? 0 : 1;
      continue;
    }
    bool flag = !strcmp(name, "no-zn") || !strcmp(name, "log-keys");
    if (eq)
      v = eq + 1;
    else if (!flag && i + 1 < argc)
      v = argv[++i];
    if (flag && eq)
      return bsf_usage(CMD, "--%s takes no value", name);
    int rc = set(&s, name, v);
    if (rc < 0)
      return bsf_usage(CMD, "unknown option '%s'", a);
    if (rc)
      return rc;
    zn_listen_given |= !strcmp(name, "zn-listen");
  }
  if (s.no_zn && zn_listen_given)
    return bsf_usage(CMD, "--zn-listen and --no-zn exclude each other");
  const int tls_n = (s.zn_tls_cert[0] != 0) + (s.zn_tls_key[0] != 0) + (s.zn_tls_ca[0] != 0);
  if (tls_n != 0 && tls_n != 3)
    return bsf_usage(CMD, "--zn-tls-cert, --zn-tls-key and --zn-tls-ca go together");
  dlog_set_level((dlog_level)s.log_level);

  int ret = 1;
  mbmsec_store *store = NULL;
  mbmsec_bsf *engine = NULL;
  mbmsec_zn_server *zn = NULL;
  bsf_http *http = NULL;
  zn_ctx zc = {0};
  mbmsec_err rc = mbmsec_store_open(s.store, &store);
  if (rc != MBMSEC_OK) {
    dlog(DLOG_ERROR, "cannot open the store", "store", s.store, "code", mbmsec_errname(rc),
            NULL);
    goto out;
  }
  mbmsec_bsf_config cfg = {.fqdn = s.fqdn, .lifetime = s.lifetime};
  rc = mbmsec_bsf_new(&cfg, store, &engine);
  if (rc != MBMSEC_OK) {
    dlog(DLOG_ERROR, "bad BSF settings", "fqdn", s.fqdn, "code", mbmsec_errname(rc), NULL);
    ret = rc == MBMSEC_ERR_BSF_CONFIG ? 2 : 1;
    goto out;
  }
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = on_signal;
  sigemptyset(&sa.sa_mask);
  sigaction(SIGTERM, &sa, NULL);
  sigaction(SIGINT, &sa, NULL);
  signal(SIGPIPE, SIG_IGN);

  if (!s.no_zn) {
    zc.engine = engine;
    zc.log_keys = s.log_keys;
    mbmsec_zn_config zcfg = {.identity = s.zn_identity, .realm = s.zn_realm, .port = s.zn_port,
                             .listen_addr = s.zn_addr, .accept_peer = s.zn_peer,
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
      dlog(DLOG_ERROR, "cannot start the Zn server (port in use?)", "zn_listen", s.zn_addr,
              "code", mbmsec_errname(rc), NULL);
      goto out;
    }
  }
  if (bsf_http_start(s.listen_addr, s.listen_port, engine, &http) != 0)
    goto out;
  char hp[80], zp[80], lt[16];
  snprintf(hp, sizeof hp, "%s:%u", s.listen_addr, (unsigned)s.listen_port);
  snprintf(zp, sizeof zp, "%s:%u", s.zn_addr, (unsigned)s.zn_port);
  snprintf(lt, sizeof lt, "%u", (unsigned)s.lifetime);
  dlog(DLOG_INFO, "ready", "listen", hp, "zn_listen", s.no_zn ? "off" : zp, "fqdn", s.fqdn,
          "store", s.store, "lifetime", lt, "zn_identity", s.zn_identity, "zn_peer", s.zn_peer,
          "log_keys", s.log_keys ? "true" : "false", NULL);

  time_t last_purge = time(NULL);
  while (!stop_signal) {
    struct timespec ts = {0, 100 * 1000 * 1000};
    nanosleep(&ts, NULL);
    if (time(NULL) - last_purge >= PURGE_EVERY_S) {
      uint64_t purged = 0;
      last_purge = time(NULL);
      rc = mbmsec_store_bootstrap_purge(store, (int64_t)last_purge, &purged);
      if (rc != MBMSEC_OK)
        dlog(DLOG_WARN, "purge of expired bootstraps failed", "code", mbmsec_errname(rc), NULL);
      else if (purged) {
        char pn[24];
        snprintf(pn, sizeof pn, "%llu", (unsigned long long)purged);
        dlog(DLOG_INFO, "purged expired bootstraps", "count", pn, NULL);
      }
    }
  }
  dlog(DLOG_INFO, "stopping", "signal", stop_signal == SIGTERM ? "TERM" : "INT", NULL);
  ret = 0;
out:
  /* HTTP first (no new bootstraps), then Zn, then what they use. */
  bsf_http_stop(http);
  if (zn && mbmsec_zn_server_stop(zn) != MBMSEC_OK)
    ret = ret ? ret : 1;
  mbmsec_bsf_free(engine);
  mbmsec_store_close(store);
  if (ret == 0)
    dlog(DLOG_INFO, "stopped", NULL);
  mbmsec_crypto_cleanup();
  return ret;
}
