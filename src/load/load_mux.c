/* mbmsec-load: the repeat phase multiplexed on epoll (docs/load.md "Lanes").
 *
 * With one blocking request per thread, every request cost the generator a sleep and a
 * wake-up of its thread, and the BM-SC saw at most --threads requests at once, each waking
 * one of its threads (docs/BENCHMARKS.md). Here each worker thread drives its lanes on one
 * epoll set: a lane is a sequence of requests over its own UEs (UE i in lane i % L), with its
 * own HTTP transport (those UEs' kept-alive connections, non-blocking) and, in BM-SC mode, its
 * own Ua engine driven step by step (mbmsec_ue_km_start / _next / _answer) with the UE's
 * Digest state bound to it for the request. The same for both modes, so the comparison with
 * Apache stays fair. Each UE still sends one request at a time, each checked in full
 * (rspauth, the answer's items) as before. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <unistd.h>

#include "guard.h"
#include "load_run.h"
#include "mbmsec/crypto.h"
#include "mbmsec/ue_km.h"

struct lane {
  worker *w;
  load_http *http;
  mbmsec_ue_km *km;  /* BM-SC mode */
  uint32_t first, n; /* its UEs: first + j * inflight, j < n */
  uint64_t k;        /* requests started */
  load_ue *u;        /* the UE of the running request; NULL = idle */
  double deadline;   /* of the running exchange (load_now_s) */
  int tries;         /* digest-get: GETs of this request */
  bool sent;         /* digest-get: that GET carried credentials */
};

mbmsec_err load_mux_new(run *r)
{
  const load_cfg *c = r->cfg;
  const unsigned L = c->inflight;
  ENSURE(L >= 1 && L <= c->ues, MBMSEC_ERR_ARG);
  r->lanes = calloc(L, sizeof *r->lanes);
  ENSURE(r->lanes != NULL, MBMSEC_ERR_NOMEM);
  const long per_lane = (long)(c->max_conns / L) > 0 ? (long)(c->max_conns / L) : 1;
  for (unsigned l = 0; l < L; l++) {
    lane *ln = &r->lanes[l];
    ln->w = &r->w[l % c->threads];
    ln->first = l;
    ln->n = c->ues / L + (l < c->ues % L);
    GUARD(load_http_new(c->timeout_ms, per_lane, &ln->http));
    GUARD(load_http_set_base(ln->http, c->mode == LOAD_MODE_BMSC ? c->bmsc_url : c->url));
    if (c->mode == LOAD_MODE_BMSC) GUARD(mbmsec_ue_km_new(c->bmsc_url, c->naf_fqdn, &ln->km));
  }
  return MBMSEC_OK;
}

void load_mux_free(run *r)
{
  if (!r->lanes) return;
  for (unsigned l = 0; l < r->cfg->inflight; l++) {
    load_http_free(r->lanes[l].http);
    mbmsec_ue_km_free(r->lanes[l].km);
  }
  free(r->lanes);
  r->lanes = NULL;
}

/* ---- one request of a lane */

static void fail(lane *ln, const char *kind)
{
  load_err_req(ln->w, kind);
  if (ln->km) {
    mbmsec_ue_km_abort(ln->km);
    (void)mbmsec_ue_km_bind_digest(ln->km, NULL);
  }
  ln->u = NULL;
}

static void fail_km(lane *ln, mbmsec_err rc)
{
  char kind[64];
  load_km_kind(ln->km, ln->http, rc, kind, sizeof kind);
  fail(ln, kind);
}

/* Sends the lane's next exchange of its running request; false when the request failed. */
static bool send_next(lane *ln)
{
  run *r = ln->w->r;
  mbmsec_err rc;
  ln->deadline = load_now_s() + (double)r->cfg->timeout_ms / 1000.0;
  atomic_fetch_add(&r->st.exchanges, 1);
  if (ln->km) {
    mbmsec_ue_km_send s;
    rc = mbmsec_ue_km_next(ln->km, &s);
    if (rc == MBMSEC_OK) rc = load_http_post_send(ln->http, &s);
    if (rc != MBMSEC_OK) return fail_km(ln, rc), false;
    return true;
  }
  load_gdigest *g = ln->u->gd;
  char auth[MBMSEC_UE_AUTH_SIZE];
  auth[0] = '\0';
  if (++ln->tries > 3) return fail(ln, "digest:loop"), false;
  ln->sent = g->has;
  if (g->has && load_gd_authorization(r->cfg, r->get_path, g, auth, sizeof auth) != MBMSEC_OK)
    return fail(ln, "digest:build"), false;
  if (load_http_get_send(ln->http, auth) != MBMSEC_OK)
    return fail(ln, load_http_fail_kind(ln->http)), false;
  return true;
}

/* Starts the lane's next request (its next UE, round robin) unless the phase is over;
 * false when the lane has nothing running. */
static bool start(lane *ln)
{
  run *r = ln->w->r;
  const load_cfg *c = r->cfg;
  while (ln->n && !ln->u && load_repeat_more(r)) {
    load_ue *u = &r->ues[ln->first + (uint32_t)(ln->k++ % ln->n) * c->inflight];
    atomic_fetch_add(&r->done, 1);
    if (c->mode == LOAD_MODE_BMSC && !atomic_load(&u->ready)) {
      load_err_req(ln->w, "ue-not-bootstrapped");
      continue;
    }
    ln->u = u;
    ln->tries = 0;
    load_http_bind(ln->http, u->ipv4);
    u->t0 = load_now_s();
    if (ln->km) {
      (void)mbmsec_ue_km_bind_digest(ln->km, &u->digest);
      mbmsec_err rc = mbmsec_ue_km_start(ln->km, MBMSEC_UE_KM_MSK, c->key_ids, c->n_key_ids);
      if (rc != MBMSEC_OK) {
        fail_km(ln, rc);
        continue;
      }
    }
    (void)send_next(ln);
  }
  return ln->u != NULL;
}

/* The pending socket of the lane is readable. */
static void on_readable(lane *ln)
{
  mbmsec_ue_http_answer a;
  bool done = false;
  mbmsec_err rc = load_http_recv(ln->http, &a, &done);
  if (rc != MBMSEC_OK) {
    fail(ln, load_http_fail_kind(ln->http));
    return;
  }
  if (!done) return;
  if (!ln->km) {
    if (load_get_answer(ln->w, ln->u, &a, ln->sent))
      ln->u = NULL;
    else
      (void)send_next(ln);
    return;
  }
  mbmsec_ue_km_step step;
  rc = mbmsec_ue_km_answer(ln->km, &a, &step);
  if (rc != MBMSEC_OK) {
    fail_km(ln, rc);
  } else if (step == MBMSEC_UE_KM_SEND_AGAIN) {
    (void)send_next(ln);
  } else if (step == MBMSEC_UE_KM_BOOTSTRAP) { /* no re-bootstrap here, as before */
    fail_km(ln, MBMSEC_ERR_UE_REFUSED);
  } else {
    load_km_done(ln->w, ln->km, MBMSEC_UE_KM_MSK, ln->u->t0);
    (void)mbmsec_ue_km_bind_digest(ln->km, NULL);
    ln->u = NULL;
  }
}

#define MUX_EVENTS 64

void load_mux_repeat(worker *w)
{
  run *r = w->r;
  const load_cfg *c = r->cfg;
  const unsigned T = c->threads, L = c->inflight;
  int ep = epoll_create1(EPOLL_CLOEXEC);
  if (ep < 0) {
    load_err_req(w, "epoll");
    return;
  }
  unsigned running = 0;
  for (unsigned l = w->index; l < L; l += T) {
    load_http_watch(r->lanes[l].http, ep, l);
    running += start(&r->lanes[l]);
  }
  struct epoll_event ev[MUX_EVENTS];
  double next_sweep = load_now_s() + 0.1;
  while (running) {
    int n = epoll_wait(ep, ev, MUX_EVENTS, 100);
    if (n < 0 && errno != EINTR) {
      load_err_req(w, "epoll");
      break;
    }
    for (int e = 0; e < n; e++) {
      const unsigned l = (unsigned)(ev[e].data.u64 >> 32);
      const int fd = (int)(uint32_t)ev[e].data.u64;
      if (l >= L || l % T != w->index) continue;
      lane *ln = &r->lanes[l];
      if (!ln->u || fd != load_http_pending_fd(ln->http)) {
        /* an idle kept-alive connection the server closed (or a stale event of one just
         * closed here, whose number may be reused: only an idle fd is dropped) */
        if (fd != load_http_pending_fd(ln->http)) load_http_drop_fd(ln->http, fd);
        continue;
      }
      on_readable(ln);
      if (!ln->u) running -= !start(ln);
    }
    const double now = load_now_s();
    if (now >= next_sweep) { /* timeouts of the exchanges */
      next_sweep = now + 0.1;
      for (unsigned l = w->index; l < L; l += T) {
        lane *ln = &r->lanes[l];
        if (!ln->u || now < ln->deadline) continue;
        load_http_abort(ln->http, "timeout");
        fail(ln, "timeout");
        running -= !start(ln);
      }
    }
  }
  for (unsigned l = w->index; l < L; l += T) load_http_watch(r->lanes[l].http, -1, l);
  close(ep);
}
