/* zn_peer: test program for the Zn library part (one Diameter node per process).
 *
 * Server (BSF-like), answers from an in-memory table:
 *   zn_peer server --identity bsf.zn.test --realm zn.test --port P [--listen 127.0.0.1]
 *                  [--accept bmsc.zn.test] [--table FILE] [--entry LINE]... [--log-level N]
 *                  [--conf-dir DIR]
 *   Table line (FILE or --entry): "B-TID IMPI KS_NAF_HEX EXPIRY GSIDS"; EXPIRY is Unix
 *   seconds, or +N / -N seconds from now; GSIDS a comma list ("-" = none); IMPI "-" makes the
 *   entry answer 5401. Rules: unknown or expired B-TID -> 5403; an MBMS NAF-Id (ending in
 *   01 00 00 00 01) for an entry without GSID 4 -> 5402; else success with the entry.
 *   Prints "ready port=P" once started; on SIGTERM/SIGINT prints "answered=N" and
 *   "idle_closed=N" (mbmsec_zn_server_idle_closed) and stops. --accept-addrs LIST: the
 *   source addresses allowed (mbmsec_zn_config.accept_addrs).
 *
 * Client (BM-SC-like), one BIR per B-TID given, one answer line each:
 *   zn_peer client --identity bmsc.zn.test --realm zn.test --peer bsf.zn.test
 *                  --peer-addr 127.0.0.1 --peer-port P --naf-fqdn FQDN [--ua HEX]
 *                  [--gsid G] [--open-timeout MS] [--timeout MS] [--delay MS] [--threads T]
 *                  [--repeat R] [--bench N] B-TID...
 *   Line: "btid=HEX rc=NAME result=N exp=0|1 impi=HEX ks_naf=HEX expiry=N created=N uss=HEX".
 *   --delay MS: pause before each BIR. --sync DIR: BIR k > 0 waits for DIR/go.k; DIR/done.k
 *   marks BIR k answered (lets a test script act between two BIRs without sleeps). --threads T --repeat R: T threads each send every B-TID R times (lines in any order).
 *   --bench N: N BIRs for the first B-TID over T threads, prints "bench zn_bir X ops/s".
 *   --tc-max S: cap of the re-dial back-off (mbmsec_zn_config.tc_timer_max).
 *
 * Link watch (no BIR): start a client and print its link state (mbmsec_zn_client_link) as
 *   "t=SECONDS up=0|1 connects=N failures=N in_row=N retry_s=N" each time it changes, for MS:
 *   zn_peer watch --identity ... --peer ... --peer-addr A --peer-port P --watch MS
 */
#include <unistd.h>
#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "mbmsec/crypto.h"
#include "mbmsec/profile.h"
#include "mbmsec/zn.h"

/* ---------- helpers ---------- */

static void die(const char *msg)
{
  fprintf(stderr, "zn_peer: %s\n", msg);
  exit(2);
}

static void hex_out(FILE *f, const uint8_t *p, size_t n)
{
  for (size_t i = 0; i < n; i++) fprintf(f, "%02x", p[i]);
}

static int hex_nib(char c)
{
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

/* Returns the decoded length or -1. */
static long hex_in(const char *s, uint8_t *out, size_t cap)
{
  size_t n = strlen(s);
  if (n % 2 != 0 || n / 2 > cap) return -1;
  for (size_t i = 0; i < n / 2; i++) {
    int hi = hex_nib(s[2 * i]), lo = hex_nib(s[2 * i + 1]);
    if (hi < 0 || lo < 0) return -1;
    out[i] = (uint8_t)(hi * 16 + lo);
  }
  return (long)(n / 2);
}

static void log_cb(int level, const char *line, void *user)
{
  (void)user;
  fprintf(stderr, "fd[%d] %s\n", level, line);
}

/* ---------- server ---------- */

struct entry {
  char btid[256];
  char impi[256];
  uint8_t ks[MBMSEC_ZN_KS_NAF_LEN];
  int64_t expiry;
  char gsids[128];
};

static struct entry *g_tab;
static size_t g_ntab;
static int64_t g_start_time;

static void add_entry(const char *line)
{
  char btid[256], impi[256], ks[128], exp[64], gsids[128];
  if (line[0] == '#' || line[0] == '\n' || line[0] == '\0') return;
  if (sscanf(line, "%255s %255s %127s %63s %127s", btid, impi, ks, exp, gsids) != 5)
    die("bad table line");
  struct entry *t = realloc(g_tab, (g_ntab + 1) * sizeof *t);
  if (t == NULL) die("out of memory");
  g_tab = t;
  struct entry *e = &g_tab[g_ntab++];
  memset(e, 0, sizeof *e);
  memcpy(e->btid, btid, strlen(btid) + 1);
  memcpy(e->impi, impi, strlen(impi) + 1);
  memcpy(e->gsids, gsids, strlen(gsids) + 1);
  if (hex_in(ks, e->ks, sizeof e->ks) != MBMSEC_ZN_KS_NAF_LEN) die("Ks_NAF must be 64 hex digits");
  long long v = strtoll(exp, NULL, 10);
  e->expiry = (exp[0] == '+' || exp[0] == '-') ? (int64_t)time(NULL) + v : (int64_t)v;
}

static int has_gsid(const char *list, const uint8_t *g, size_t glen)
{
  const char *p = list;
  while (*p != '\0') {
    const char *c = strchr(p, ',');
    size_t n = c != NULL ? (size_t)(c - p) : strlen(p);
    if (n == glen && memcmp(p, g, n) == 0) return 1;
    if (c == NULL) break;
    p = c + 1;
  }
  return 0;
}

static mbmsec_err lookup(const uint8_t *btid, size_t btid_len, const uint8_t *naf_id,
                         size_t naf_id_len, const mbmsec_zn_gsid *gsids, size_t n_gsids, void *user,
                         mbmsec_zn_lookup_result *out)
{
  (void)gsids;
  (void)n_gsids;
  (void)user;
  static const uint8_t mbms_ua[MBMSEC_MBMS_UA_PROTO_ID_LEN] = MBMSEC_MBMS_UA_PROTO_ID;
  const struct entry *e = NULL;
  for (size_t i = 0; i < g_ntab; i++)
    if (strlen(g_tab[i].btid) == btid_len && memcmp(g_tab[i].btid, btid, btid_len) == 0)
      e = &g_tab[i];
  if (e == NULL || e->expiry <= (int64_t)time(NULL)) {
    out->result = MBMSEC_ZN_TRANSACTION_ID_INVALID;
    return MBMSEC_OK;
  }
  if (strcmp(e->impi, "-") == 0) {
    out->result = MBMSEC_ZN_IDENTITY_UNKNOWN;
    return MBMSEC_OK;
  }
  int mbms = naf_id_len > MBMSEC_MBMS_UA_PROTO_ID_LEN &&
             memcmp(naf_id + naf_id_len - MBMSEC_MBMS_UA_PROTO_ID_LEN, mbms_ua,
                    MBMSEC_MBMS_UA_PROTO_ID_LEN) == 0;
  if (mbms && !has_gsid(e->gsids, (const uint8_t *)MBMSEC_ZN_GSID_MBMS, 1)) {
    out->result = MBMSEC_ZN_NOT_AUTHORIZED;
    return MBMSEC_OK;
  }
  out->result = MBMSEC_ZN_SUCCESS;
  out->impi_len = strlen(e->impi);
  memcpy(out->impi, e->impi, out->impi_len + 1);
  memcpy(out->ks_naf, e->ks, sizeof out->ks_naf);
  out->key_expiry = e->expiry;
  out->bootstrap_time = g_start_time;
  char uss[512];
  int n = snprintf(uss, sizeof uss, "<ussList><uss><uid>%s</uid><gsids>%s</gsids></uss></ussList>",
                   e->impi, e->gsids);
  if (n > 0 && (size_t)n < sizeof uss && (out->uss = malloc((size_t)n)) != NULL) {
    memcpy(out->uss, uss, (size_t)n);
    out->uss_len = (size_t)n;
  }
  return MBMSEC_OK;
}

static int run_server(mbmsec_zn_config *cfg)
{
  g_start_time = (int64_t)time(NULL);
  /* Block the stop signals in every thread (the stack's threads inherit the mask). */
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &set, NULL);

  mbmsec_zn_server *srv = NULL;
  mbmsec_err rc = mbmsec_zn_server_start(cfg, lookup, NULL, &srv);
  if (rc != MBMSEC_OK) {
    fprintf(stderr, "zn_peer: server start: %s\n", mbmsec_errname(rc));
    return 1;
  }
  printf("ready port=%u\n", (unsigned)cfg->port);
  fflush(stdout);
  int sig = 0;
  sigwait(&set, &sig);
  printf("answered=%" PRIu64 "\nidle_closed=%" PRIu64 "\n", mbmsec_zn_server_count(srv),
         mbmsec_zn_server_idle_closed(srv));
  fflush(stdout);
  rc = mbmsec_zn_server_stop(srv);
  for (size_t i = 0; i < g_ntab; i++) mbmsec_cleanse(g_tab[i].ks, sizeof g_tab[i].ks);
  free(g_tab);
  return rc == MBMSEC_OK ? 0 : 1;
}

/* ---------- client ---------- */

static const char *g_sync_dir; /* --sync DIR */

struct client_job {
  mbmsec_zn_client *cl;
  char **btids;
  int n_btids;
  int repeat;
  const uint8_t *naf;
  size_t naf_len;
  const char *gsid;
  unsigned timeout;
  unsigned delay_ms;    /* pause before each BIR */
  const char *sync_dir; /* lock-step with a test script: see sync_wait / sync_done */
  long bench_ops;       /* > 0: bench mode, count errors only */
  long errors;
  char *out; /* lines */
  size_t out_len;
};

static void job_line(struct client_job *j, const char *btid, mbmsec_err rc,
                     const mbmsec_zn_answer *a)
{
  char *buf = NULL;
  size_t len = 0;
  FILE *f = open_memstream(&buf, &len);
  if (f == NULL) die("open_memstream");
  fprintf(f, "btid=");
  hex_out(f, (const uint8_t *)btid, strlen(btid));
  fprintf(f, " rc=%s result=%" PRIu32 " exp=%d impi=", mbmsec_errname(rc), a->result,
          a->experimental);
  hex_out(f, (const uint8_t *)a->impi, a->impi_len);
  fprintf(f, " ks_naf=");
  if (a->has_ks_naf) hex_out(f, a->ks_naf, sizeof a->ks_naf);
  fprintf(f, " expiry=%" PRId64 " created=%" PRId64 " uss=", a->key_expiry, a->bootstrap_time);
  if (a->uss != NULL) hex_out(f, a->uss, a->uss_len);
  fprintf(f, "\n");
  fclose(f);
  char *o = realloc(j->out, j->out_len + len + 1);
  if (o == NULL) die("out of memory");
  j->out = o;
  memcpy(j->out + j->out_len, buf, len + 1);
  j->out_len += len;
  free(buf);
}

/* --sync DIR: BIR k > 0 waits for DIR/go.k, and DIR/done.k appears when BIR k is answered, so
 * a script can act between two BIRs (e.g. stop the BSF) without guessing with sleeps. */
static void sync_wait(const char *dir, int k)
{
  char path[4096];
  snprintf(path, sizeof path, "%s/go.%d", dir, k);
  for (int i = 0; i < 6000 && access(path, F_OK) != 0; i++) {
    struct timespec d = {0, 10 * 1000000L};
    nanosleep(&d, NULL);
  }
}

static void sync_done(const char *dir, int k)
{
  char path[4096];
  snprintf(path, sizeof path, "%s/done.%d", dir, k);
  FILE *f = fopen(path, "w");
  if (f != NULL) fclose(f);
}

static void *client_thread(void *arg)
{
  struct client_job *j = arg;
  mbmsec_zn_answer a;
  if (j->bench_ops > 0) {
    for (long i = 0; i < j->bench_ops; i++) {
      mbmsec_err rc = mbmsec_zn_bir(j->cl, (const uint8_t *)j->btids[0], strlen(j->btids[0]),
                                    j->naf, j->naf_len, j->gsid, j->timeout, &a);
      if (rc != MBMSEC_OK || a.result != MBMSEC_ZN_SUCCESS) j->errors++;
      mbmsec_zn_answer_clear(&a);
    }
    return NULL;
  }
  int k = 0;
  for (int r = 0; r < j->repeat; r++) {
    for (int i = 0; i < j->n_btids; i++, k++) {
      if (j->sync_dir != NULL && k > 0) sync_wait(j->sync_dir, k);
      if (j->delay_ms > 0) {
        struct timespec d = {(time_t)(j->delay_ms / 1000), (long)(j->delay_ms % 1000) * 1000000L};
        nanosleep(&d, NULL);
      }
      mbmsec_err rc = mbmsec_zn_bir(j->cl, (const uint8_t *)j->btids[i], strlen(j->btids[i]),
                                    j->naf, j->naf_len, j->gsid, j->timeout, &a);
      job_line(j, j->btids[i], rc, &a);
      mbmsec_zn_answer_clear(&a);
      if (j->sync_dir != NULL) sync_done(j->sync_dir, k);
    }
  }
  return NULL;
}

static double now_s(void)
{
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int run_client(mbmsec_zn_config *cfg, char **btids, int n_btids, const char *fqdn,
                      const uint8_t *ua, size_t ua_len, const char *gsid, unsigned open_timeout,
                      unsigned timeout, unsigned delay_ms, int threads, int repeat, long bench)
{
  if (fqdn == NULL || n_btids <= 0) die("client needs --naf-fqdn and at least one B-TID");
  size_t naf_len = strlen(fqdn) + ua_len;
  uint8_t *naf = malloc(naf_len);
  if (naf == NULL) die("out of memory");
  memcpy(naf, fqdn, strlen(fqdn));
  memcpy(naf + strlen(fqdn), ua, ua_len);

  mbmsec_zn_client *cl = NULL;
  mbmsec_err rc = mbmsec_zn_client_start(cfg, &cl);
  if (rc != MBMSEC_OK) {
    fprintf(stderr, "zn_peer: client start: %s\n", mbmsec_errname(rc));
    free(naf);
    return 1;
  }
  double t0 = now_s();
  rc = mbmsec_zn_client_wait_open(cl, open_timeout);
  fprintf(stderr, "zn_peer: open=%s after %.3f s\n", rc == MBMSEC_OK ? "yes" : "timeout",
          now_s() - t0);

  if (threads < 1) threads = 1;
  struct client_job *jobs = calloc((size_t)threads, sizeof *jobs);
  pthread_t *tids = calloc((size_t)threads, sizeof *tids);
  if (jobs == NULL || tids == NULL) die("out of memory");
  for (int t = 0; t < threads; t++) {
    jobs[t] = (struct client_job){.cl = cl,
                                  .btids = btids,
                                  .n_btids = n_btids,
                                  .repeat = repeat,
                                  .naf = naf,
                                  .naf_len = naf_len,
                                  .gsid = gsid,
                                  .timeout = timeout,
                                  .delay_ms = delay_ms,
                                  .sync_dir = g_sync_dir};
    if (bench > 0) jobs[t].bench_ops = bench / threads + (t < bench % threads ? 1 : 0);
  }
  t0 = now_s();
  for (int t = 0; t < threads; t++)
    if (pthread_create(&tids[t], NULL, client_thread, &jobs[t]) != 0) die("pthread_create");
  long errors = 0;
  for (int t = 0; t < threads; t++) {
    pthread_join(tids[t], NULL);
    errors += jobs[t].errors;
  }
  double dt = now_s() - t0;
  for (int t = 0; t < threads; t++) {
    if (jobs[t].out != NULL) fputs(jobs[t].out, stdout);
    free(jobs[t].out);
  }
  if (bench > 0) {
    printf("bench zn_bir %.0f ops/s\n", (double)bench / dt);
    if (errors != 0) fprintf(stderr, "zn_peer: bench: %ld BIRs failed\n", errors);
  } else {
    fprintf(stderr, "zn_peer: %d BIR(s) in %.3f s\n", threads * repeat * n_btids, dt);
  }
  fflush(stdout);
  free(jobs);
  free(tids);
  free(naf);
  rc = mbmsec_zn_client_stop(cl);
  return (rc == MBMSEC_OK && errors == 0) ? 0 : 1;
}

/* ---------- link watch ---------- */

static int run_watch(mbmsec_zn_config *cfg, unsigned watch_ms)
{
  mbmsec_zn_client *cl = NULL;
  mbmsec_err rc = mbmsec_zn_client_start(cfg, &cl);
  if (rc != MBMSEC_OK) {
    fprintf(stderr, "zn_peer: client start: %s\n", mbmsec_errname(rc));
    return 1;
  }
  double t0 = now_s();
  mbmsec_zn_link last = {.up = -1};
  while (now_s() - t0 < watch_ms / 1000.0) {
    mbmsec_zn_link l;
    mbmsec_zn_client_link(cl, &l);
    if (l.up != mbmsec_zn_client_connected(cl))
      mbmsec_zn_client_link(cl, &l); /* changed in between: read again */
    if (l.up != last.up || l.connects != last.connects || l.failures != last.failures ||
        l.failed_in_row != last.failed_in_row || l.retry_s != last.retry_s) {
      printf("t=%.2f up=%d connects=%" PRIu64 " failures=%" PRIu64 " in_row=%u retry_s=%u\n",
             now_s() - t0, l.up, l.connects, l.failures, l.failed_in_row, l.retry_s);
      fflush(stdout);
      last = l;
    }
    struct timespec step = {0, 20 * 1000 * 1000};
    nanosleep(&step, NULL);
  }
  return mbmsec_zn_client_stop(cl) == MBMSEC_OK ? 0 : 1;
}

/* ---------- main ---------- */

int main(int argc, char **argv)
{
  if (argc < 2 || (strcmp(argv[1], "server") != 0 && strcmp(argv[1], "client") != 0 &&
                   strcmp(argv[1], "watch") != 0))
    die("usage: zn_peer server|client|watch [options] (see the comment at the top of zn_peer.c)");
  unsigned watch_ms = 0;
  int is_server = strcmp(argv[1], "server") == 0;
  mbmsec_zn_config cfg;
  memset(&cfg, 0, sizeof cfg);
  cfg.tc_timer = 1;
  cfg.log_level = MBMSEC_ZN_LOG_ERROR;
  cfg.log_cb = log_cb;
  const char *fqdn = NULL, *gsid = NULL;
  uint8_t ua[16] = MBMSEC_MBMS_UA_PROTO_ID;
  size_t ua_len = MBMSEC_MBMS_UA_PROTO_ID_LEN;
  unsigned open_timeout = 5000, timeout = 3000, delay_ms = 0;
  int threads = 1, repeat = 1;
  long bench = 0;
  char **btids = calloc((size_t)argc, sizeof *btids);
  int n_btids = 0;
  if (btids == NULL) die("out of memory");

  for (int i = 2; i < argc; i++) {
    const char *o = argv[i];
    const char *v = i + 1 < argc ? argv[i + 1] : NULL;
#define OPT(name) (strcmp(o, name) == 0 && v != NULL && (i++, 1))
    if (OPT("--identity"))
      cfg.identity = v;
    else if (OPT("--realm"))
      cfg.realm = v;
    else if (OPT("--port"))
      cfg.port = (uint16_t)atoi(v);
    else if (OPT("--listen"))
      cfg.listen_addr = v;
    else if (OPT("--accept"))
      cfg.accept_peer = v;
    else if (OPT("--peer"))
      cfg.peer_identity = v;
    else if (OPT("--peer-realm"))
      cfg.peer_realm = v;
    else if (OPT("--peer-addr"))
      cfg.peer_addr = v;
    else if (OPT("--peer-port"))
      cfg.peer_port = (uint16_t)atoi(v);
    else if (OPT("--tc-timer"))
      cfg.tc_timer = atoi(v);
    else if (OPT("--tc-max"))
      cfg.tc_timer_max = atoi(v);
    else if (OPT("--watch"))
      watch_ms = (unsigned)atoi(v);
    else if (OPT("--accept-addrs"))
      cfg.accept_addrs = v;
    else if (OPT("--conf-dir"))
      cfg.conf_dir = v;
    else if (OPT("--tls-cert"))
      cfg.tls_cert = v;
    else if (OPT("--tls-key"))
      cfg.tls_key = v;
    else if (OPT("--tls-ca"))
      cfg.tls_ca = v;
    else if (OPT("--log-level"))
      cfg.log_level = atoi(v);
    else if (OPT("--naf-fqdn"))
      fqdn = v;
    else if (OPT("--gsid"))
      gsid = v;
    else if (OPT("--open-timeout"))
      open_timeout = (unsigned)atoi(v);
    else if (OPT("--timeout"))
      timeout = (unsigned)atoi(v);
    else if (OPT("--delay"))
      delay_ms = (unsigned)atoi(v);
    else if (OPT("--sync"))
      g_sync_dir = v;
    else if (OPT("--threads"))
      threads = atoi(v);
    else if (OPT("--repeat"))
      repeat = atoi(v);
    else if (OPT("--bench"))
      bench = atol(v);
    else if (OPT("--entry"))
      add_entry(v);
    else if (OPT("--ua")) {
      long n = hex_in(v, ua, sizeof ua);
      if (n < 0) die("bad --ua");
      ua_len = (size_t)n;
    } else if (OPT("--table")) {
      FILE *f = fopen(v, "r");
      if (f == NULL) die("cannot open --table file");
      char line[1024];
      while (fgets(line, sizeof line, f) != NULL) add_entry(line);
      fclose(f);
    } else if (o[0] == '-' && o[1] == '-') {
      fprintf(stderr, "zn_peer: unknown or incomplete option %s\n", o);
      return 2;
    } else {
      btids[n_btids++] = argv[i];
    }
#undef OPT
  }
  int rc;
  if (is_server) {
    if (cfg.peer_identity != NULL) die("--peer is a client option");
    rc = run_server(&cfg);
  } else if (strcmp(argv[1], "watch") == 0) {
    rc = run_watch(&cfg, watch_ms);
  } else {
    rc = run_client(&cfg, btids, n_btids, fqdn, ua, ua_len, gsid, open_timeout, timeout, delay_ms,
                    threads, repeat, bench);
  }
  free(btids);
  return rc;
}
