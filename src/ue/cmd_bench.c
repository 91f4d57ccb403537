/* mbmsec-ue bootstrap-bench: complete bootstraps (both Ub round trips, USIM check, rspauth,
 * BootstrappingInfo) per second against a running BSF, over many IMPIs and threads. Each
 * thread owns the IMPIs i = t, t + T, ... with in-memory USIMs, so no card is shared. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "mbmsec/ue.h"
#include "ue_cli.h"

static const char HELP[] =
    "Usage: mbmsec-ue bootstrap-bench --bsf URL --impi-prefix S --k HEX --opc HEX\n"
    "                                 [--impis M] [--count N] [--threads T] [--realm R]\n\n"
    "Runs N complete bootstraps (default 1000) over IMPIs S0 .. S(M-1) (default M = N)\n"
    "with T threads (default 4); every subscriber has the same K and OPc and must be\n"
    "provisioned in the BSF. Prints \"bench bsf_bootstrap <ops/s> ops/s\".\n";

typedef struct {
  const char *url, *realm, *path, *prefix;
  uint8_t k[16], opc[16];
  uint64_t impis, count, threads, index;
  uint64_t ok;
  mbmsec_err first_error;
} bench_job;

static void *worker(void *arg)
{
  bench_job *j = arg;
  mbmsec_ue_http *http = NULL;
  uint64_t per = j->impis / j->threads + 1;
  mbmsec_ue_usim *cards = calloc(per, sizeof *cards);
  if (!cards || mbmsec_ue_http_new(j->url, 10000, &http) != MBMSEC_OK) {
    j->first_error = MBMSEC_ERR_NOMEM;
    goto out;
  }
  for (uint64_t c = 0; c < per; c++)
    mbmsec_ue_usim_new(&cards[c], j->k, j->opc, MBMSEC_AKA_IND_LEN_DEFAULT, NULL);
  /* this thread's share of the N bootstraps, round robin over its IMPIs */
  for (uint64_t n = j->index, r = 0; n < j->count; n += j->threads, r++) {
    uint64_t impi_no =
        j->index + (r % ((j->impis - j->index + j->threads - 1) / j->threads)) * j->threads;
    char impi[MBMSEC_UE_ID_MAX + 1];
    snprintf(impi, sizeof impi, "%s%llu", j->prefix, (unsigned long long)impi_no);
    mbmsec_ue_bootstrap_cfg cfg = {
        impi, j->realm, j->path, NULL, &cards[impi_no / j->threads], NULL, mbmsec_ue_http_exchange,
        http};
    mbmsec_ue_bootstrap b;
    mbmsec_err e = mbmsec_ue_bootstrap_run(&cfg, &b, NULL);
    mbmsec_ue_bootstrap_cleanse(&b);
    if (e != MBMSEC_OK) {
      j->first_error = e;
      break;
    }
    j->ok++;
  }
out:
  if (cards) mbmsec_cleanse(cards, per * sizeof *cards);
  free(cards);
  mbmsec_ue_http_free(http);
  mbmsec_crypto_cleanup();
  return NULL;
}

int cmd_bootstrap_bench(int argc, char **argv)
{
  const char *cmd = "bootstrap-bench", *url = NULL, *prefix = NULL, *k_s = NULL, *opc_s = NULL,
             *m_s = NULL, *n_s = NULL, *t_s = NULL, *realm = NULL;
  bool help = false;
  const cli_opt opts[] = {{"--bsf", &url, NULL},     {"--impi-prefix", &prefix, NULL},
                          {"--k", &k_s, NULL},       {"--opc", &opc_s, NULL},
                          {"--impis", &m_s, NULL},   {"--count", &n_s, NULL},
                          {"--threads", &t_s, NULL}, {"--realm", &realm, NULL}};
  int rc = cli_parse(cmd, argc, argv, opts, sizeof opts / sizeof opts[0], &help);
  if (rc != CLI_OK) return rc;
  if (help) {
    fputs(HELP, stdout);
    return CLI_OK;
  }
  if (!url || !prefix || !k_s || !opc_s)
    return cli_usage_error(cmd, "--bsf, --impi-prefix, --k and --opc are required");
  bench_job base;
  memset(&base, 0, sizeof base);
  base.count = 1000;
  base.threads = 4;
  if (cli_hex_arg(cmd, "--k", k_s, base.k, 16, 16, NULL) ||
      cli_hex_arg(cmd, "--opc", opc_s, base.opc, 16, 16, NULL) ||
      (n_s && cli_uint_arg(cmd, "--count", n_s, 100000000, &base.count)) ||
      (t_s && cli_uint_arg(cmd, "--threads", t_s, 256, &base.threads)) ||
      (m_s && cli_uint_arg(cmd, "--impis", m_s, 100000000, &base.impis)))
    return CLI_USAGE;
  if (!m_s) base.impis = base.count;
  if (base.count == 0 || base.threads == 0 || base.impis < base.threads)
    return cli_usage_error(cmd, "need --count > 0, --threads > 0 and --impis >= --threads");
  static char host[MBMSEC_UE_ID_MAX + 1], path[MBMSEC_UE_ID_MAX + 1];
  if (mbmsec_ue_url_parts(url, host, sizeof host, path, sizeof path) != MBMSEC_OK)
    return cli_usage_error(cmd, "--bsf: expected an http:// or https:// URL");
  base.url = url;
  base.realm = realm ? realm : host;
  base.path = path;
  base.prefix = prefix;
  bench_job *jobs = calloc(base.threads, sizeof *jobs);
  pthread_t *tid = calloc(base.threads, sizeof *tid);
  if (!jobs || !tid) {
    free(jobs);
    free(tid);
    return cli_fail(cmd, "out of memory");
  }
  struct timespec t0, t1;
  clock_gettime(CLOCK_MONOTONIC, &t0);
  uint64_t started = 0;
  for (uint64_t t = 0; t < base.threads; t++) {
    jobs[t] = base;
    jobs[t].index = t;
    if (pthread_create(&tid[t], NULL, worker, &jobs[t]) != 0) break;
    started++;
  }
  uint64_t ok = 0;
  mbmsec_err err = MBMSEC_OK;
  for (uint64_t t = 0; t < started; t++) {
    pthread_join(tid[t], NULL);
    ok += jobs[t].ok;
    if (jobs[t].first_error != MBMSEC_OK && err == MBMSEC_OK) err = jobs[t].first_error;
  }
  clock_gettime(CLOCK_MONOTONIC, &t1);
  double s = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
  mbmsec_cleanse(&base, sizeof base);
  mbmsec_cleanse(jobs, base.threads * sizeof *jobs);
  free(jobs);
  free(tid);
  if (err != MBMSEC_OK || started == 0)
    return cli_fail(cmd, "%llu bootstraps done, then: %s [%s]", (unsigned long long)ok,
                    ue_bootstrap_reason(err), mbmsec_errname(err));
  printf("bench bsf_bootstrap %.1f ops/s\n", (double)ok / s);
  return CLI_OK;
}
