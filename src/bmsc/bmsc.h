/* mbmsec-bmsc internals: the settings, the running daemon's context and the seams between the
 * adapter files (HTTP, Ua/Zn, membership, MIKEY delivery, metrics). */
#ifndef MBMSEC_BMSC_H
#define MBMSEC_BMSC_H
#include <microhttpd.h>
#include <stdatomic.h>
#include <stdint.h>
#include <time.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "mbmsec/bmsc_delivery.h"
#include "mbmsec/bmsc_keyreq.h"
#include "mbmsec/bmsc_rotate.h"
#include "mbmsec/members.h"
#include "mbmsec/profile.h"
#include "mbmsec/store.h"
#include "mbmsec/ua.h"
#include "mbmsec/zn.h"

typedef struct {
  char listen_addr[64];
  uint16_t listen_port;
  char admin_addr[64];
  uint16_t admin_port;
  char admin_token_file[1024]; /* "" = next to the SQLite store (bmsc_admin_token_init) */
  unsigned http_threads;       /* key request function's thread pool; 0 = one per online CPU */
  char fqdn[MBMSEC_UA_FQDN_MAX + 1];
  char store[MBMSEC_STORE_URI_MAX + 1];
  char mikey_addr[64];
  uint16_t mikey_port;    /* 0 = any free port */
  uint16_t ue_mikey_port; /* P6 */
  char zn_peer_addr[64];
  uint16_t zn_peer_port;
  char zn_identity[MBMSEC_ZN_IDENTITY_MAX + 1];
  char zn_realm[MBMSEC_ZN_IDENTITY_MAX + 1];
  char zn_peer[MBMSEC_ZN_IDENTITY_MAX + 1];
  char zn_tls_cert[1024], zn_tls_key[1024], zn_tls_ca[1024]; /* all empty: Zn over plain TCP */
  char mcc[4], mnc[4];
  char digest_algs[32];
  uint32_t nonce_lifetime_s;
  bool msk_v_flag;
  uint32_t retx_first_ms;
  unsigned retx_tries;
  int log_level;
  bool log_keys;
  /* MSK rotation (bmsc_rotate.c, docs/bmsc-rotation.md) */
  uint32_t rotate_lead_s;    /* push the next MSK this long before the current one ends */
  uint32_t rotate_window_s;  /* spread of that push */
  uint32_t rotate_jitter_ms; /* extra random delay per UE inside the window */
  /* Transmission: MTK messages and SRTP of one Key Group (bmsc_stream.c) */
  uint16_t stream_key_group;
  char stream_bind[64]; /* source address of both streams (multicast interface) */
  unsigned stream_ttl;  /* multicast TTL */
  char mtk_dest[64];    /* empty: no MTK messages */
  uint16_t mtk_dest_port;
  uint32_t mtk_period_ms, mtk_interval_ms, mtk_lead_ms;
  char srtp_dest[64]; /* empty: no SRTP */
  uint16_t srtp_dest_port;
  uint32_t srtp_rate;    /* packets per second */
  uint32_t srtp_payload; /* octets per packet */
  char srtp_file[256];   /* empty: the generated test payload */
} bmsc_settings;

/* Parses the command line of `run` (after the config file named by --config). Returns 0,
 * 2 (usage error printed) or 3 (--help printed). */
int bmsc_settings_load(bmsc_settings *s, int argc, char **argv);

/* Stages of a key request timed for the cost split (metric mbmsec_bmsc_stage_seconds_total):
 * Digest (Ua check and Authentication-Info), XML (parse and build), store (lib/members'
 * decisions), MIKEY (MSK look-up and message build, minus the send), send (sendto). */
enum {
  BMSC_STAGE_DIGEST,
  BMSC_STAGE_XML,
  BMSC_STAGE_STORE,
  BMSC_STAGE_MIKEY,
  BMSC_STAGE_SEND,
  BMSC_STAGE_N
};
extern const char *const bmsc_stage_names[BMSC_STAGE_N];

/* HTTP status counters: the codes the key request function answers, plus "other". */
enum { BMSC_HTTP_CODES = 12 };
extern const unsigned bmsc_http_codes[BMSC_HTTP_CODES];

typedef struct {
  atomic_uint_fast64_t http[BMSC_HTTP_CODES + 1]; /* index as bmsc_http_codes, last = other */
  atomic_uint_fast64_t items[3];                  /* 200 items: register, deregister, msk */
  atomic_uint_fast64_t zn_birs, zn_errors;
  atomic_uint_fast64_t push_errors;
  /* CPU time spent per stage of the key requests (the benchmark's cost split, bench/load.sh):
   * nanoseconds of the running thread's CPU clock, summed over all requests and threads. */
  atomic_uint_fast64_t stage_ns[BMSC_STAGE_N];
  /* transmission (bmsc_stream.c) */
  atomic_uint_fast64_t mtk_sent, mtk_current_id, srtp_sent, srtp_no_msk, stream_send_errors;
} bmsc_metrics;

/* The calling thread's CPU time in nanoseconds, for the stage timers: CPU rather than wall
 * time, so that waiting for the store's lock or for a core does not count as the stage's cost
 * (each stage starts and ends on one thread). */
static inline uint64_t bmsc_now_ns(void)
{
  struct timespec ts;
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}
#define BMSC_STAGE_ADD(app, stage, ns) \
  atomic_fetch_add_explicit(&(app)->m.stage_ns[(stage)], (ns), memory_order_relaxed)

/* The key-request stages (Digest, XML, store) are sampled by the key request engine
 * (lib/bmsc/bmsc_keyreq.c): each HTTP thread times one authenticated request in
 * BMSC_STAGE_SAMPLE and the engine reports its stage times that many times, an unbiased
 * estimate of the totals. Reading the thread CPU clock is a system call (~0.3 us here), eight
 * per request before, ~5 % of a request's CPU (docs/BENCHMARKS.md). The MIKEY and send stages
 * stay timed on every message. One in 16 still cost ~0.4 us per request on average (six reads
 * on the timed one); one in 64 keeps the estimate good over the hundreds of thousands of
 * requests of a benchmark run. */
#define BMSC_STAGE_SAMPLE 64u

#define MBMSEC_BMSC_ADMIN_TOKEN_LEN 32 /* random octets of the admin token */

typedef struct bmsc_mikey bmsc_mikey;
typedef struct bmsc_stream bmsc_stream;

typedef struct {
  bmsc_settings s;
  uint8_t kdid[MBMSEC_KDID_LEN];
  mbmsec_store *store;   /* MIKEY counters (delivery engine) */
  mbmsec_store *members; /* membership: a handle of its own on the same file */
  mbmsec_bmsc_kr *kr;    /* the key request engine (ua.c starts it) */
  mbmsec_ua *ua;         /* its Digest engine (mbmsec_bmsc_kr_ua) */
  mbmsec_zn_client *zn;
  bmsc_mikey *mikey;
  mbmsec_bmsc_rotate *rotate; /* the key policy: push plans, schedule, pull (bmsc_rotate.c) */
  bmsc_stream *stream;        /* MTK messages and SRTP (bmsc_stream.c); NULL when off */
  bmsc_metrics m;
  char admin_token[2 * MBMSEC_BMSC_ADMIN_TOKEN_LEN + 1]; /* hex; "" = none (secret) */
} bmsc_app;

void bmsc_metrics_http(bmsc_metrics *m, unsigned status);
/* Prometheus text exposition of every counter; malloc'd, *len octets. NULL on no memory. */
char *bmsc_metrics_render(bmsc_app *app, size_t *len);

/* ---- Ua: the Digest engine with its Zn lookup (ua.c) */
int bmsc_ua_start(bmsc_app *app);
void bmsc_ua_stop(bmsc_app *app);

/* ---- MIKEY delivery (mikey.c): the engine, its UDP socket and thread */
int bmsc_mikey_start(bmsc_app *app);
void bmsc_mikey_stop(bmsc_app *app);
/* What a key request's answer asks of MIKEY: cancels the pending deliveries of a deregister's
 * Key Groups; when r->set_ue, (re)registers the UE (B-TID, MUK, ipv4 = source address of its
 * HTTP request) and sends the answer's MSK messages. */
void bmsc_mikey_push(bmsc_app *app, const mbmsec_bmsc_kr_response *r, uint32_t ipv4);
/* Every UE's delivery state (malloc'd): JSON, or with text `ue ...` / `delivery ...` lines. */
char *bmsc_mikey_ue_list(bmsc_app *app, bool text, size_t *len);
void bmsc_mikey_stats(bmsc_app *app, mbmsec_bmsc_dl_stats *st, mbmsec_bmsc_dl_counts *c);
uint16_t bmsc_mikey_bound_port(const bmsc_app *app);
mbmsec_bmsc_dl *bmsc_mikey_dl(bmsc_app *app);

/* ---- transmission (bmsc_stream.c, docs/bmsc-rotation.md): MTK messages and SRTP of the Key
 * Group stream_key_group on their own thread and store handle; nothing when neither mtk-dest
 * nor srtp-dest is set. Returns 0 or 1 (logged). */
int bmsc_stream_start(bmsc_app *app);
void bmsc_stream_stop(bmsc_app *app);

/* ---- MSK rotation (bmsc_rotate.c, docs/bmsc-rotation.md): the adapter of lib/bmsc's key
 * policy (mbmsec/bmsc_rotate.h) */
/* Keeps every Key Group of every service with a current and a next MSK (P11), generating
 * what is missing (logged); run at start and then periodically. */
void bmsc_rotate_keep(bmsc_app *app);
/* The same for a store alone (the admin CLI's `service add`; nothing counted). */
void bmsc_rotate_keep_store(mbmsec_store *st);
/* Creates the policy engine over app->members and the MIKEY engine (bmsc_mikey_start calls it
 * before its thread can report an event). Returns 0 or 1 (logged). */
int bmsc_rotate_start_engine(bmsc_app *app);
void bmsc_rotate_stop(bmsc_app *app);
/* Main loop, every 100 ms: the schedule (every 10 s), due pushes, settled deliveries. */
void bmsc_rotate_tick(bmsc_app *app);
/* MIKEY thread's delivery events (queued; the UE's lock is held). */
void bmsc_rotate_on_event(bmsc_app *app, mbmsec_bmsc_event ev, const char *btid,
                          const uint8_t msk_id[MBMSEC_MSK_ID_LEN], int pull);
/* Starts the spread push of the group's next MSK (generated if absent; the current one when
 * there is no next) to its registered UEs; force: also when a finished plan of it exists. */
mbmsec_err bmsc_rotate_begin(bmsc_app *app, const uint8_t kdid[MBMSEC_KDID_LEN], uint16_t group,
                             uint32_t window_ms, uint32_t jitter_ms, bool force,
                             uint8_t msk_id_out[MBMSEC_MSK_ID_LEN]);
/* Solicited pull (P10) of the group's current MSK to one UE (btid) or all of the group. */
mbmsec_err bmsc_rotate_pull(bmsc_app *app, const uint8_t kdid[MBMSEC_KDID_LEN], uint16_t group,
                            const char *btid, size_t *pulled, size_t *errors);
/* `msk list`: current and next MSK of every Key Group with push progress (malloc'd). */
char *bmsc_rotate_msk_list(bmsc_app *app, bool text, size_t *len);
void bmsc_rotate_metrics(bmsc_app *app, void (*emit)(void *arg, const char *line), void *arg);

/* ---- HTTP (http.c): the key request function and the admin port */
typedef struct bmsc_http bmsc_http;
/* Queues an answer (copied) with the daemon's Server header; ctype may be NULL. */
enum MHD_Result bmsc_http_answer(struct MHD_Connection *c, unsigned status, const char *ctype,
                                 const void *body, size_t len);

/* ---- admin (admin.c): the server half of the admin commands on the admin port. GET
 * reads (/metrics, /ue, /msk); state changes (/msk/rotate, /ue/pull) take POST with
 * "Authorization: Bearer TOKEN", the token the daemon wrote at start (bmsc_admin_token_init). */
enum MHD_Result bmsc_admin_serve(bmsc_app *app, struct MHD_Connection *c, const char *url,
                                 const char *method);
/* A fresh random token, written (mode 0600) to the admin token file: admin-token-file, else
 * "<store file>.admin-token" for a SQLite file store; none for an in-memory store (then no
 * admin state change is accepted). Returns 0 or 1 (logged). */
int bmsc_admin_token_init(bmsc_app *app);
int bmsc_http_start(bmsc_app *app, bmsc_http **out);
void bmsc_http_stop(bmsc_http *h);

int bmsc_cmd_run(int argc, char **argv);
int bmsc_cmd_service(int argc, char **argv);
int bmsc_cmd_subscriber(int argc, char **argv);
int bmsc_cmd_ue(int argc, char **argv);
int bmsc_cmd_msk(int argc, char **argv);

#endif
