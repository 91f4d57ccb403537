/* mbmsec-load: the phases of a run and the report.
 *
 * BM-SC mode: bootstrap every UE through the BSF (Ub, in-memory USIM) and derive its
 * Ks_NAF/MRK/MUK; register it for the services; optionally one MSK request per UE; wait until
 * every UE holds --expect-msks MSKs; then repeated MSK requests (--duration / --requests) or
 * --stay seconds of listening. digest-get mode: repeated GETs with Digest qop=auth.
 * Each phase runs --threads workers over disjoint UE sets (UE i belongs to worker i % T) and
 * a progress line goes to stderr once a second. */
#include <arpa/inet.h>
#include <inttypes.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "load.h"
#include "load_run.h"
#include "mbmsec/crypto.h"
#include "mbmsec/digest_parse.h"
#include "mbmsec/ue_km.h"

static volatile sig_atomic_t g_stop;
static void on_signal(int sig)
{
  (void)sig;
  g_stop = 1;
}

/* Main thread: SIGINT / SIGTERM end the run early (workers see r->stop). */
static bool stopping(run *r)
{
  if (g_stop) atomic_store(&r->stop, true);
  return atomic_load(&r->stop);
}

double load_now_s(void)
{
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

/* ---------------------------------------------------------------- one UE's requests */

void load_ok_req(worker *w, double t0)
{
  atomic_fetch_add(&w->r->st.req_ok, 1);
  double us = (load_now_s() - t0) * 1e6;
  load_lat_add(&w->lat, us > 4e9 ? 4000000000u : (uint32_t)us);
}

void load_err_req(worker *w, const char *kind)
{
  atomic_fetch_add(&w->r->st.req_err, 1);
  load_stats_error(&w->r->st, kind);
}

static void bootstrap_ue(worker *w, uint32_t i)
{
  run *r = w->r;
  const load_cfg *c = r->cfg;
  load_ue *u = &r->ues[i];
  mbmsec_ue_usim usim;
  mbmsec_ue_bootstrap b;
  uint8_t ks_naf[MBMSEC_GBA_KEY_LEN], mrk[MBMSEC_GBA_KEY_LEN];
  memset(&b, 0, sizeof b);
  char kind[64];
  double t0 = load_now_s();
  mbmsec_err rc = mbmsec_ue_usim_new(&usim, c->k, c->opc, MBMSEC_AKA_IND_LEN_DEFAULT, NULL);
  if (rc == MBMSEC_OK) {
    mbmsec_ue_bootstrap_cfg bc = {u->impi,
                                  c->bsf_realm ? c->bsf_realm : r->bsf_host,
                                  r->bsf_path,
                                  NULL,
                                  &usim,
                                  NULL,
                                  mbmsec_ue_http_exchange,
                                  w->ub};
    rc = mbmsec_ue_bootstrap_run(&bc, &b, NULL);
  }
  if (rc == MBMSEC_OK)
    rc = mbmsec_ue_naf_keys(&b, c->naf_fqdn, c->mrk_muk_mode, (int64_t)time(NULL), ks_naf, mrk,
                            u->muk);
  if (rc == MBMSEC_OK) rc = mbmsec_ue_ua_init(&u->digest, b.btid, mrk);
  if (rc == MBMSEC_OK && !(u->mikey = mbmsec_mikey_state_new())) rc = MBMSEC_ERR_NOMEM;
  if (rc == MBMSEC_OK) {
    snprintf(u->btid, sizeof u->btid, "%s", b.btid);
    atomic_store_explicit(&u->ready, 1, memory_order_release);
    load_ok_req(w, t0);
  } else {
    snprintf(kind, sizeof kind, "bootstrap:%s", mbmsec_errname(rc) + (sizeof "MBMSEC_ERR_" - 1));
    load_err_req(w, kind);
  }
  mbmsec_ue_usim_cleanse(&usim);
  mbmsec_ue_bootstrap_cleanse(&b);
  mbmsec_cleanse(ks_naf, sizeof ks_naf);
  mbmsec_cleanse(mrk, sizeof mrk);
}

void load_km_kind(const mbmsec_ue_km *km, const load_http *http, mbmsec_err rc, char *kind,
                  size_t cap)
{
  const long st = mbmsec_ue_km_last_status(km);
  if (rc == MBMSEC_ERR_UE_HTTP)
    snprintf(kind, cap, "%s", load_http_fail_kind(http));
  else if (rc == MBMSEC_ERR_UE_HTTP_STATUS || (rc == MBMSEC_ERR_UE_REFUSED && st == 403))
    snprintf(kind, cap, "http:%ld", st);
  else if (rc == MBMSEC_ERR_UE_RSPAUTH)
    snprintf(kind, cap, "digest:rspauth");
  else if (rc == MBMSEC_ERR_UE_REFUSED)
    snprintf(kind, cap, "digest:refused");
  else if (rc == MBMSEC_ERR_UE_NO_CHALLENGE)
    snprintf(kind, cap, "digest:no-challenge");
  else
    snprintf(kind, cap, "%s", mbmsec_errname(rc) + (sizeof "MBMSEC_ERR_" - 1));
}

static void km_request(worker *w, uint32_t i, mbmsec_ue_km_type type)
{
  run *r = w->r;
  const load_cfg *c = r->cfg;
  load_ue *u = &r->ues[i];
  if (!atomic_load(&u->ready)) {
    load_err_req(w, "ue-not-bootstrapped");
    return;
  }
  const char *const *items = type == MBMSEC_UE_KM_MSK ? c->key_ids : c->service_ids;
  const size_t n = type == MBMSEC_UE_KM_MSK ? c->n_key_ids : c->n_service_ids;
  char kind[64];
  (void)mbmsec_ue_km_bind_digest(w->km, &u->digest);
  load_http_bind(w->http, u->ipv4);
  double t0 = load_now_s();
  mbmsec_err rc = mbmsec_ue_km_run(w->km, type, items, n, load_http_post, w->http, NULL, NULL);
  atomic_fetch_add(&r->st.exchanges, mbmsec_ue_km_exchanges(w->km));
  if (rc != MBMSEC_OK) {
    load_km_kind(w->km, w->http, rc, kind, sizeof kind);
    load_err_req(w, kind);
  } else {
    load_km_done(w, w->km, type, t0);
  }
  (void)mbmsec_ue_km_bind_digest(w->km, NULL);
}

void load_km_done(worker *w, const mbmsec_ue_km *km, mbmsec_ue_km_type type, double t0)
{
  char kind[64];
  bool good = true;
  for (size_t k = 0; k < mbmsec_ue_km_n_items(km); k++) {
    mbmsec_ue_km_item it;
    if (mbmsec_ue_km_item_get(km, k, &it) != MBMSEC_OK) continue;
    if (it.code == 200 || (type == MBMSEC_UE_KM_MSK && it.code == MBMSEC_MBMS_STATUS_NO_UPDATE))
      continue;
    snprintf(kind, sizeof kind, "item:%u", it.code);
    load_stats_error(&w->r->st, kind);
    good = false;
  }
  if (good)
    load_ok_req(w, t0);
  else
    atomic_fetch_add(&w->r->st.req_err, 1);
}

bool load_get_answer(worker *w, load_ue *u, const mbmsec_ue_http_answer *a, bool sent)
{
  char kind[64];
  if (a->status == 200) {
    load_ok_req(w, u->t0);
    return true;
  }
  if (a->status != 401) {
    snprintf(kind, sizeof kind, "http:%ld", a->status);
    load_err_req(w, kind);
    return true;
  }
  bool stale = false;
  if (!load_gd_challenge(u->gd, a, &stale)) {
    load_err_req(w, "digest:no-challenge");
    return true;
  }
  u->gd->has = true;
  if (sent && !stale) {
    load_err_req(w, "digest:refused");
    return true;
  }
  return false;
}

/* ---------------------------------------------------------------- workers and phases */

bool load_repeat_more(run *r)
{
  if (atomic_load(&r->stop)) return false;
  if (r->cfg->requests) return atomic_fetch_sub(&r->budget, 1) > 0;
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return t.tv_sec < r->deadline.tv_sec ||
         (t.tv_sec == r->deadline.tv_sec && t.tv_nsec < r->deadline.tv_nsec);
}

static void *worker_main(void *arg)
{
  worker *w = arg;
  run *r = w->r;
  const load_cfg *c = r->cfg;
  const unsigned T = c->threads;
  if (r->phase == PH_REPEAT) {
    load_mux_repeat(w);
  } else {
    for (uint32_t i = w->index; i < c->ues && !atomic_load(&r->stop); i += T) {
      if (r->phase == PH_BOOTSTRAP)
        bootstrap_ue(w, i);
      else
        km_request(w, i, r->phase == PH_REGISTER ? MBMSEC_UE_KM_REGISTER : MBMSEC_UE_KM_MSK);
      atomic_fetch_add(&r->done, 1);
    }
  }
  mbmsec_crypto_cleanup();
  return NULL;
}

static int cmp_u32(const void *a, const void *b)
{
  uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
  return (x > y) - (x < y);
}

static void progress(run *r, double t_start, uint64_t *last_ok, uint64_t *last_msgs)
{
  if (r->cfg->quiet) return;
  uint64_t ok = atomic_load(&r->st.req_ok), msgs = atomic_load(&r->st.mikey_msgs);
  fprintf(stderr,
          "mbmsec-load: t=%.0fs phase=%s done=%" PRIu64 " req/s=%" PRIu64 " ok=%" PRIu64
          " errors=%" PRIu64 " mikey=%" PRIu64 " (%" PRIu64 "/s) acks=%" PRIu64 "\n",
          load_now_s() - t_start, r->phase < PH_COUNT ? PHASE_NAME[r->phase] : "listen",
          (uint64_t)atomic_load(&r->done), ok - *last_ok, ok, load_stats_errors(&r->st), msgs,
          msgs - *last_msgs, (uint64_t)atomic_load(&r->st.mikey_acks));
  *last_ok = ok;
  *last_msgs = msgs;
}

/* Runs one phase on every worker, printing progress; fills r->res[ph]. */
static void run_phase(run *r, phase_id ph, double t_start)
{
  const load_cfg *c = r->cfg;
  r->phase = ph;
  atomic_store(&r->done, 0);
  uint64_t ok0 = atomic_load(&r->st.req_ok), err0 = atomic_load(&r->st.req_err);
  uint64_t last_ok = ok0, last_msgs = atomic_load(&r->st.mikey_msgs);
  if (ph == PH_REPEAT) {
    atomic_store(&r->budget, (int_fast64_t)c->requests);
    clock_gettime(CLOCK_MONOTONIC, &r->deadline);
    double d = c->duration_s;
    r->deadline.tv_sec += (time_t)d;
    r->deadline.tv_nsec += (long)((d - (double)(time_t)d) * 1e9);
    if (r->deadline.tv_nsec >= 1000000000L)
      r->deadline.tv_sec++, r->deadline.tv_nsec -= 1000000000L;
  }
  pthread_t *tid = calloc(c->threads, sizeof *tid);
  unsigned started = 0;
  double t0 = load_now_s(), cpu0 = load_cpu_seconds();
  for (unsigned t = 0; tid && t < c->threads; t++) {
    r->w[t].lat.n = 0;
    if (pthread_create(&tid[t], NULL, worker_main, &r->w[t]) != 0) break;
    started++;
  }
  /* Progress once a second while the workers run: poll their completion. */
  double next = t0 + 1.0;
  for (;;) {
    if (ph != PH_REPEAT && (atomic_load(&r->done) >= c->ues || stopping(r))) break;
    usleep(20000);
    if (ph == PH_REPEAT) {
      struct timespec t;
      clock_gettime(CLOCK_MONOTONIC, &t);
      bool over = c->requests
                      ? atomic_load(&r->budget) <= 0
                      : (t.tv_sec > r->deadline.tv_sec ||
                         (t.tv_sec == r->deadline.tv_sec && t.tv_nsec >= r->deadline.tv_nsec));
      if (over || stopping(r)) break;
    }
    if (load_now_s() >= next) {
      progress(r, t_start, &last_ok, &last_msgs);
      next += 1.0;
    }
  }
  for (unsigned t = 0; t < started; t++) pthread_join(tid[t], NULL);
  free(tid);
  progress(r, t_start, &last_ok, &last_msgs); /* the phase's last line */
  phase_result *pr = &r->res[ph];
  pr->ran = true;
  pr->secs = load_now_s() - t0;
  pr->cpu = load_cpu_seconds() - cpu0;
  pr->ok = atomic_load(&r->st.req_ok) - ok0;
  pr->err = atomic_load(&r->st.req_err) - err0;
  r->st.n_lat = 0;
  for (unsigned t = 0; t < started; t++)
    load_stats_add_latencies(&r->st, r->w[t].lat.v, r->w[t].lat.n);
  if (r->st.n_lat) {
    qsort(r->st.lat_us, r->st.n_lat, sizeof *r->st.lat_us, cmp_u32);
    const size_t n = r->st.n_lat;
    pr->p50 = r->st.lat_us[(n - 1) * 50 / 100];
    pr->p90 = r->st.lat_us[(n - 1) * 90 / 100];
    pr->p99 = r->st.lat_us[(n - 1) * 99 / 100];
    pr->max = r->st.lat_us[n - 1];
  }
}

/* ---------------------------------------------------------------- waiting for MIKEY */

static uint64_t ues_holding(const run *r, unsigned n)
{
  return load_ues_holding(r->cfg, r->ues, n);
}

/* Until every UE holds --expect-msks distinct MSKs (or --wait-s passes), then --stay. */
static double listen_phase(run *r, double t_start)
{
  const load_cfg *c = r->cfg;
  r->phase = PH_COUNT;
  uint64_t last_ok = atomic_load(&r->st.req_ok), last_msgs = atomic_load(&r->st.mikey_msgs);
  double t0 = load_now_s(), next = t0 + 1.0, waited = -1;
  if (c->expect_msks) {
    while (ues_holding(r, c->expect_msks) < c->ues && load_now_s() - t0 < c->wait_s &&
           !stopping(r)) {
      usleep(50000);
      atomic_store(&r->done, ues_holding(r, c->expect_msks));
      if (load_now_s() >= next) progress(r, t_start, &last_ok, &last_msgs), next += 1.0;
    }
    waited = load_now_s() - t0;
    /* Let the last verification messages leave and the BM-SC count them. */
    usleep(300000);
  }
  double s0 = load_now_s();
  while (c->stay_s && load_now_s() - s0 < c->stay_s && !stopping(r)) {
    usleep(50000);
    atomic_store(&r->done, ues_holding(r, c->expect_msks ? c->expect_msks : 1));
    if (load_now_s() >= next) progress(r, t_start, &last_ok, &last_msgs), next += 1.0;
  }
  return waited;
}

/* ---------------------------------------------------------------- the run */

int load_run(const load_cfg *c)
{
  run *r = calloc(1, sizeof *r);
  if (!r) return fputs("mbmsec-load: out of memory\n", stderr), 1;
  r->cfg = c;
  load_stats_init(&r->st);
  int ret = 1;
  load_rx *rx = NULL;
  r->ues = calloc(c->ues, sizeof *r->ues);
  r->w = calloc(c->threads, sizeof *r->w);
  if (!r->ues || !r->w) {
    fputs("mbmsec-load: out of memory\n", stderr);
    goto out;
  }
  if (c->mode == LOAD_MODE_BMSC &&
      mbmsec_ue_url_parts(c->bsf_url, r->bsf_host, sizeof r->bsf_host, r->bsf_path,
                          sizeof r->bsf_path) != MBMSEC_OK) {
    fputs("mbmsec-load: --bsf: expected an http:// URL\n", stderr);
    goto out;
  }
  if (c->mode == LOAD_MODE_DIGEST_GET &&
      mbmsec_ue_url_parts(c->url, r->get_host, sizeof r->get_host, r->get_path,
                          sizeof r->get_path) != MBMSEC_OK) {
    fputs("mbmsec-load: --url: expected an http:// URL\n", stderr);
    goto out;
  }
  for (uint32_t i = 0; i < c->ues; i++) {
    load_ue *u = &r->ues[i];
    u->ipv4 = load_ue_ipv4(c, i);
    struct in_addr a = {.s_addr = htonl(u->ipv4)};
    inet_ntop(AF_INET, &a, u->addr, sizeof u->addr);
    if (c->mode == LOAD_MODE_BMSC)
      snprintf(u->impi, sizeof u->impi, "%s%u", c->impi_prefix, i);
    else if (!(u->gd = calloc(1, sizeof *u->gd))) {
      fputs("mbmsec-load: out of memory\n", stderr);
      goto out;
    }
  }
  const long per_thread =
      (long)(c->max_conns / c->threads) > 0 ? (long)(c->max_conns / c->threads) : 1;
  for (unsigned t = 0; t < c->threads; t++) {
    worker *w = &r->w[t];
    w->r = r;
    w->index = t;
    mbmsec_err e = load_http_new(c->timeout_ms, per_thread, &w->http);
    if (e == MBMSEC_OK)
      e = load_http_set_base(w->http, c->mode == LOAD_MODE_BMSC ? c->bmsc_url : c->url);
    if (e == MBMSEC_OK && c->mode == LOAD_MODE_BMSC)
      e = mbmsec_ue_http_new(c->bsf_url, c->timeout_ms, &w->ub);
    if (e == MBMSEC_OK && c->mode == LOAD_MODE_BMSC)
      e = mbmsec_ue_km_new(c->bmsc_url, c->naf_fqdn, &w->km);
    if (e != MBMSEC_OK) {
      fprintf(stderr, "mbmsec-load: worker set-up: %s\n", mbmsec_strerror(e));
      goto out;
    }
  }
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = on_signal;
  sigaction(SIGINT, &sa, NULL);
  sigaction(SIGTERM, &sa, NULL);
  /* the lanes only when there is a repeat phase: each holds an engine and a transport */
  mbmsec_err me = c->duration_s > 0 || c->requests ? load_mux_new(r) : MBMSEC_OK;
  if (me != MBMSEC_OK) {
    fprintf(stderr, "mbmsec-load: lane set-up: %s\n", mbmsec_strerror(me));
    goto out;
  }
  if (c->mode == LOAD_MODE_BMSC && load_rx_start(c, r->ues, &r->st, &rx) != MBMSEC_OK) goto out;
  /* The signal flag, seen by the workers through r->stop. */
  const double t_start = load_now_s();
  double waited = -1;
  if (c->mode == LOAD_MODE_BMSC) {
    run_phase(r, PH_BOOTSTRAP, t_start);
    if (!g_stop) run_phase(r, PH_REGISTER, t_start);
    if (!g_stop && c->n_key_ids && !c->duration_s && !c->requests) run_phase(r, PH_MSK, t_start);
    if (!g_stop) waited = listen_phase(r, t_start);
  }
  if (!g_stop && (c->duration_s > 0 || c->requests)) run_phase(r, PH_REPEAT, t_start);
  const double total = load_now_s() - t_start;
  load_rx_stop(rx);
  rx = NULL;
  load_report(c, r->ues, &r->st, r->res, total, waited);
  ret = load_stats_errors(&r->st) == 0 && atomic_load(&r->st.mikey_refused) == 0 &&
                (!c->expect_msks || ues_holding(r, c->expect_msks) == c->ues) && !g_stop
            ? 0
            : 1;
out:
  load_rx_stop(rx);
  load_mux_free(r);
  for (unsigned t = 0; r->w && t < c->threads; t++) {
    load_http_free(r->w[t].http);
    mbmsec_ue_http_free(r->w[t].ub);
    mbmsec_ue_km_free(r->w[t].km);
    free(r->w[t].lat.v);
  }
  for (uint32_t i = 0; r->ues && i < c->ues; i++) {
    mbmsec_mikey_state_free(r->ues[i].mikey);
    free(r->ues[i].gd);
    mbmsec_ue_ua_cleanse(&r->ues[i].digest);
  }
  if (r->ues) mbmsec_cleanse(r->ues, c->ues * sizeof *r->ues);
  free(r->ues);
  free(r->w);
  load_stats_free(&r->st);
  free(r);
  return ret;
}
