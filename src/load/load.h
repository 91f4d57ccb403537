/* mbmsec-load: a load generator that plays many UEs against a BM-SC (docs/load.md).
 *
 * Shared between its files: the settings, one simulated UE, the statistics, the HTTP
 * transport of a worker thread and the MIKEY receiver. Each UE holds its own IMPI, B-TID,
 * MRK/MUK, Digest state (nonce, nc), MIKEY receiver state (memory only) and loopback source
 * address (profile P6: the BM-SC sends MIKEY to the source address of the UE's HTTP
 * requests). Worker threads own disjoint sets of UEs for HTTP; one receiver thread owns
 * every UE's MIKEY state. */
#ifndef MBMSEC_LOAD_H
#define MBMSEC_LOAD_H
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "mbmsec/digest.h"
#include "mbmsec/mikey_state.h"
#include "mbmsec/ue.h"
#include "mbmsec/ue_km.h"

#define LOAD_ITEMS_MAX   8 /* --service-id / --key-id values */
#define LOAD_MSK_TRACK   8 /* distinct MSK IDs remembered per UE (report, --expect-msks) */
#define LOAD_UES_MAX     1000000u
#define LOAD_THREADS_MAX 64u
#define LOAD_ADDRS_PER_C 250u /* last octet 1..250 of a UE address */

typedef enum { LOAD_MODE_BMSC = 0, LOAD_MODE_DIGEST_GET = 1 } load_mode;

typedef struct {
  load_mode mode;
  /* BM-SC mode */
  const char *bsf_url, *bsf_realm, *bmsc_url, *naf_fqdn, *impi_prefix;
  uint8_t k[16], opc[16];
  mbmsec_mrk_muk_mode mrk_muk_mode;
  const char *service_ids[LOAD_ITEMS_MAX];
  size_t n_service_ids;
  const char *key_ids[LOAD_ITEMS_MAX];
  size_t n_key_ids;
  unsigned addr_net; /* UE i has 127.<addr_net + ...>.x.y */
  unsigned mikey_port;
  unsigned expect_msks;  /* wait until each UE holds this many distinct MSKs */
  unsigned wait_s;       /* ... at most this long */
  unsigned stay_s;       /* --stay */
  const char *mikey_log; /* one line per accepted MSK message */
  /* digest-get mode */
  const char *url, *user, *password;
  /* both */
  unsigned ues, threads, max_conns;
  unsigned inflight; /* repeat phase: requests in flight in all (lanes, load_mux.c) */
  long timeout_ms;
  double duration_s; /* repeated requests for this long (0: not) */
  uint64_t requests; /* or this many in all (0: not) */
  bool json, quiet;
} load_cfg;

/* Digest state of the generic (qop=auth GET) client. */
typedef struct {
  bool has;
  mbmsec_digest_alg alg;
  char realm[MBMSEC_DIGEST_VALUE_MAX + 1], nonce[MBMSEC_DIGEST_VALUE_MAX + 1],
      opaque[MBMSEC_DIGEST_VALUE_MAX + 1];
  bool has_opaque;
  uint32_t nc;
} load_gdigest;

typedef struct {
  char impi[MBMSEC_UE_ID_MAX + 1];
  char btid[MBMSEC_UE_ID_MAX + 1];
  char addr[16]; /* dotted quad */
  uint32_t ipv4; /* host order */
  uint8_t muk[MBMSEC_GBA_KEY_LEN];
  mbmsec_ue_ua digest; /* B-TID, base64(MRK), nonce, nc: bound to the engine for a request */
  load_gdigest *gd;    /* digest-get mode */
  atomic_int ready;    /* MUK set: the receiver may use it (release / acquire) */
  /* receiver thread only */
  mbmsec_mikey_state *mikey;
  uint8_t msk_ids[LOAD_MSK_TRACK][MBMSEC_MSK_ID_LEN];
  atomic_uint n_msk; /* read by the main thread for --expect-msks */
  uint32_t msgs, acks;
  double t0; /* start of its current repeat request (worker / lane only) */
} load_ue;

/* ---- statistics (load_stats.c) ---- */
typedef struct {
  atomic_uint_fast64_t req_ok, req_err, exchanges, mikey_msgs, mikey_new, mikey_acks, mikey_refused,
      ack_errors;
  atomic_int_fast64_t first_rx_ns, last_rx_ns; /* CLOCK_MONOTONIC of the first / last MSK message */
  pthread_mutex_t mu;                          /* errors by kind, latencies */
  struct {
    char kind[48];
    uint64_t n;
  } err[64];
  size_t n_err;
  uint32_t *lat_us; /* merged latencies of finished phases */
  size_t n_lat, cap_lat;
} load_stats;

void load_stats_init(load_stats *s);
void load_stats_free(load_stats *s);
void load_stats_error(load_stats *s, const char *kind);
/* Appends a worker's latencies (microseconds). */
void load_stats_add_latencies(load_stats *s, const uint32_t *v, size_t n);
uint64_t load_stats_errors(load_stats *s);

/* A worker's latency buffer. */
typedef struct {
  uint32_t *v;
  size_t n, cap;
} load_lat;
void load_lat_add(load_lat *l, uint32_t us);

/* ---- HTTP transport of one worker (load_http.c) ---- */
typedef struct load_http load_http;
mbmsec_err load_http_new(long timeout_ms, long max_conns, load_http **out);
void load_http_free(load_http *h);
/* The source address of the next requests (P6): IPv4, host order (load_ue.ipv4, not its
 * text: no inet_pton per request); 0 = any. */
void load_http_bind(load_http *h, uint32_t ipv4);
/* km-uri for the BM-SC POSTs. @return MBMSEC_OK, MBMSEC_ERR_ARG, MBMSEC_ERR_NOMEM. */
mbmsec_err load_http_set_base(load_http *h, const char *url);
/* An mbmsec_ue_km_post_fn (ctx = load_http). */
mbmsec_err load_http_post(void *ctx, const mbmsec_ue_km_send *s, mbmsec_ue_http_answer *ans);
/* GET of the base URL with an optional Authorization value. */
mbmsec_err load_http_get(load_http *h, const char *authorization, mbmsec_ue_http_answer *ans);
/* Reads one HTTP/1.1 answer from the connected socket fd into *ans (the parser of the
 * transport, for its unit test and fuzzer). @return MBMSEC_OK, MBMSEC_ERR_ARG,
 * MBMSEC_ERR_UE_HTTP (load_http_fail_kind says why). */
mbmsec_err load_http_read_fd(load_http *h, int fd, mbmsec_ue_http_answer *ans);
/* The kind of the last transport failure: "timeout", "connect", "transport" or
 * "oversize-answer". */
const char *load_http_fail_kind(const load_http *h);
/* Multiplexed use (the repeat phase, load_mux.c): connections made from now on are
 * non-blocking and join the epoll set epfd (EPOLLIN, level-triggered) with data.u64 =
 * tag << 32 | fd. A request is sent with load_http_post_send / load_http_get_send (the POST
 * body must stay valid until the answer is complete) and its answer read with load_http_recv
 * whenever load_http_pending_fd is readable. */
void load_http_watch(load_http *h, int epfd, uint32_t tag);
/* @return MBMSEC_OK, MBMSEC_ERR_ARG, MBMSEC_ERR_SPACE, MBMSEC_ERR_UE_HTTP (fail kind set). */
mbmsec_err load_http_post_send(load_http *h, const mbmsec_ue_km_send *s);
mbmsec_err load_http_get_send(load_http *h, const char *authorization);
/* The socket of the request awaiting its answer; -1 if none. */
int load_http_pending_fd(const load_http *h);
/* Reads what arrived: *done false = the answer is not complete yet; true = *ans holds it
 * (storage of h, valid until its next request). A large answer is read to its end blocking;
 * a kept-alive connection closed before any answer is replaced and the request sent again
 * once (the pending fd changes). @return MBMSEC_OK, MBMSEC_ERR_ARG, MBMSEC_ERR_UE_SEQUENCE
 * (nothing pending), MBMSEC_ERR_UE_HTTP (connection closed; load_http_fail_kind says why). */
mbmsec_err load_http_recv(load_http *h, mbmsec_ue_http_answer *ans, bool *done);
/* Closes the connection with that socket (an idle one the server closed). */
void load_http_drop_fd(load_http *h, int fd);
/* Gives up the pending request (its deadline passed): closes its connection. */
void load_http_abort(load_http *h, const char *kind);

/* ---- UE addresses (load_ue.c) ---- */
uint32_t load_ue_ipv4(const load_cfg *c, uint32_t i);
/* Index of the UE with that address, or -1. */
int64_t load_ue_index(const load_cfg *c, uint32_t ipv4);

/* ---- MIKEY receiver (load_mikey.c) ---- */
typedef struct load_rx load_rx;
mbmsec_err load_rx_start(const load_cfg *c, load_ue *ues, load_stats *st, load_rx **out);
/* Stops the thread and closes the socket. */
void load_rx_stop(load_rx *r);

/* ---- digest-get client (load_digest.c) ---- */
/* The Authorization of the next GET of uri (nc + 1, fresh cnonce, qop=auth).
 * @return MBMSEC_OK, MBMSEC_ERR_NOMEM, MBMSEC_ERR_RANDOM, the Digest builders' codes. */
mbmsec_err load_gd_authorization(const load_cfg *c, const char *uri, load_gdigest *g, char *out,
                                 size_t cap);
/* Takes the first MD5 / SHA-256 challenge offering qop=auth of a 401; false if none. */
bool load_gd_challenge(load_gdigest *g, const mbmsec_ue_http_answer *a, bool *stale);

/* ---- report (load_report.c) ---- */
#define LOAD_PHASES 4 /* bootstrap, register, msk-request, repeat */
extern const char *const load_phase_name[LOAD_PHASES];
typedef struct {
  bool ran;
  uint64_t ok, err;
  double secs, cpu;            /* wall and generator CPU seconds of the phase */
  uint32_t p50, p90, p99, max; /* microseconds */
} load_phase_result;
/* CPU seconds (user + system) of this process so far. */
double load_cpu_seconds(void);
/* UEs holding at least n distinct MSKs (read while the receiver runs: atomics). */
uint64_t load_ues_holding(const load_cfg *c, load_ue *ues, unsigned n);
void load_report(const load_cfg *c, load_ue *ues, load_stats *st, const load_phase_result *res,
                 double total_s, double waited);

/* ---- the run (load_run.c) ---- */
int load_run(const load_cfg *c);

#endif
