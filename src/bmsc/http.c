/* libmicrohttpd adapter of the key request function (epoll, thread pool) and of the admin
 * port (/metrics, /ue). It collects the request (raw target, Authorization, Content-Type,
 * body, source address), makes one call into the key request engine (lib/bmsc/bmsc_keyreq.c),
 * writes its answer out and hands the MIKEY part of it to mikey.c. The servers' start-up,
 * the raw request-target (the request's context is made from it) and the client address are
 * src/common/http.c's. */
#include <microhttpd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bmsc.h"
#include "common/http.h"
#include "log.h"
#include "ratelim.h"
#include "text.h"
#include "mbmsec/crypto.h"
#include "mbmsec/encode.h"
#include "mbmsec/xml.h"

/* Default size of the key request function's thread pool: one thread per online CPU, at
 * most HTTP_THREADS_MAX (`http-threads` overrides). More threads than cores only add
 * context switches: on this 2-core machine 2 threads were never slower than 4 or 3
 * (docs/BENCHMARKS.md, "third round"). A Zn look-up on a cache miss blocks its thread, so
 * a pool of one is only for tests. */
#define HTTP_THREADS_MAX 64
#define HTTP_CONN_LIMIT  512
#define HTTP_TIMEOUT_S   15
/* MHD's per-connection memory pool: the request line and header block live in it, the body
 * passes through it in pieces into our own buffer (cap 64 KiB, 413), and the answer's header
 * block is built in it. MHD zeroes the whole pool after every request of a kept-alive
 * connection, so its size is paid per request, and with hundreds of connections the pools do
 * not stay in the cache: 32 -> 16 KiB took ~7 us off a key request with the sampled stage
 * timers ("second round"), 16 -> 8 KiB another 2.5-7 % of the request rate in three
 * alternating pairs ("third round"). A real key request's header block is under ~2.5 KiB
 * (B-TID up to 255 octets, target up to 512, cnonce); a header block over ~7 KiB gets MHD's
 * 431 (an Authorization near the Digest parser's own 8 KiB cap included: refused either
 * way). */
#define HTTP_CONN_MEMORY (8 * 1024)

struct bmsc_http {
  dhttp *ua, *admin;
  bmsc_app *app;
};

/* A request's context: one allocation holding the raw target and, inline, a body of up to
 * BODY_INLINE octets (key requests are a few hundred octets); a larger body, up to
 * MBMSEC_XML_DOC_MAX, moves to a buffer of its own. Allocating the document maximum for every
 * request cost page faults and malloc trimming on the hot path. */
#define BODY_INLINE 4096
typedef struct {
  char *target; /* NULL when the URI callback got none */
  bool started, too_big;
  size_t len, cap;
  uint8_t *body; /* inline, or big */
  uint8_t *big;
  uint8_t inline_body[BODY_INLINE];
  char target_buf[];
} req_ctx;

static void *on_uri(const char *uri, size_t tlen)
{
  req_ctx *rq = malloc(sizeof *rq + tlen + 1);
  if (rq) {
    rq->started = rq->too_big = false;
    rq->len = 0;
    rq->cap = BODY_INLINE;
    rq->body = rq->inline_body;
    rq->big = NULL;
    rq->target = uri ? memcpy(rq->target_buf, uri, tlen + 1) : NULL;
  }
  return rq;
}

/* Appends an upload chunk; a body over MBMSEC_XML_DOC_MAX is only counted as too big. */
static bool body_append(req_ctx *rq, const char *data, size_t n)
{
  if (rq->too_big || n > MBMSEC_XML_DOC_MAX - rq->len) {
    rq->too_big = true;
    return true;
  }
  if (rq->len + n > rq->cap) {
    if (!rq->big && !(rq->big = malloc(MBMSEC_XML_DOC_MAX))) return false;
    memcpy(rq->big, rq->body, rq->len);
    rq->body = rq->big;
    rq->cap = MBMSEC_XML_DOC_MAX;
  }
  memcpy(rq->body + rq->len, data, n);
  rq->len += n;
  return true;
}

static void free_request(void *req)
{
  req_ctx *rq = req;
  free(rq->big);
  free(rq);
}

/* The client's IPv4 address and port (host order), 0 when not IPv4. */
static uint32_t remote_ipv4(struct MHD_Connection *c, uint16_t *port)
{
  return dhttp_remote_ipv4(c, port);
}

enum MHD_Result bmsc_http_answer(struct MHD_Connection *c, unsigned status, const char *ctype,
                                 const void *body, size_t len)
{
  struct MHD_Response *r =
      MHD_create_response_from_buffer(len, (void *)(uintptr_t)body, MHD_RESPMEM_MUST_COPY);
  if (!r) return MHD_NO;
  MHD_add_response_header(r, MHD_HTTP_HEADER_SERVER, "mbmsec-bmsc/0.1");
  if (ctype) MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, ctype);
  enum MHD_Result ret = MHD_queue_response(c, status, r);
  MHD_destroy_response(r);
  return ret;
}

/* Refused requests (any status but 200 and 401): a few lines per status and 10 s window, the
 * rest counted (src/common/ratelim.h), so that junk cannot flood the log. */
static bool refusal_logged(unsigned status)
{
  if (status == 200 || status == 401) return true;
  char why[16];
  snprintf(why, sizeof why, "ua_%u", status);
  return ratelim_refusal(why);
}

/* The key request engine's answer, as it is. */
static enum MHD_Result answer_kr(struct MHD_Connection *c, const mbmsec_bmsc_kr_response *k)
{
  struct MHD_Response *r = MHD_create_response_from_buffer(k->body_len, (void *)(uintptr_t)k->body,
                                                           MHD_RESPMEM_MUST_COPY);
  if (!r) return MHD_NO;
  MHD_add_response_header(r, MHD_HTTP_HEADER_SERVER, "mbmsec-bmsc/0.1");
  for (size_t i = 0; k->status == 401 && i < k->n_www_authenticate; i++)
    MHD_add_response_header(r, MHD_HTTP_HEADER_WWW_AUTHENTICATE, k->www_authenticate[i]);
  if (k->authentication_info[0])
    MHD_add_response_header(r, "Authentication-Info", k->authentication_info);
  if (k->content_type) MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, k->content_type);
  enum MHD_Result ret = MHD_queue_response(c, k->status, r);
  MHD_destroy_response(r);
  return ret;
}

_Static_assert((int)BMSC_STAGE_DIGEST == (int)MBMSEC_BMSC_KR_STAGE_DIGEST &&
                   (int)BMSC_STAGE_XML == (int)MBMSEC_BMSC_KR_STAGE_XML &&
                   (int)BMSC_STAGE_STORE == (int)MBMSEC_BMSC_KR_STAGE_STORE,
               "the engine's stages are the first of the daemon's");

/* One key request: one call into the engine (lib/bmsc/bmsc_keyreq.c: routing, Digest, media
 * type, items, Authentication-Info), its answer out, then what it asks of MIKEY (after the
 * answer is queued: the UE learns the item codes no later than the keys). */
static enum MHD_Result on_ua(void *cls, struct MHD_Connection *c, const char *url,
                             const char *method, const char *version, const char *upload,
                             size_t *upload_size, void **req_cls)
{
  (void)url;
  (void)version;
  bmsc_app *app = cls;
  req_ctx *rq = *req_cls;
  if (!rq || !rq->target) return MHD_NO; /* no memory in on_uri: drop the connection */
  if (!rq->started) {
    rq->started = true;
    return MHD_YES;
  }
  if (*upload_size) {
    if (!body_append(rq, upload, *upload_size)) return MHD_NO; /* no memory: drop it */
    *upload_size = 0;
    return MHD_YES;
  }
  uint16_t port;
  const uint32_t ipv4 = remote_ipv4(c, &port);
  const char *auth = MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_AUTHORIZATION);
  const char *ct = MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_TYPE);
  const mbmsec_bmsc_kr_request q = {.method = method,
                                    .method_len = strlen(method),
                                    .target = rq->target,
                                    .target_len = strlen(rq->target),
                                    .authorization = auth,
                                    .authorization_len = auth ? strlen(auth) : 0,
                                    .content_type = ct,
                                    .content_type_len = ct ? strlen(ct) : 0,
                                    .body = rq->body,
                                    .body_len = rq->len,
                                    .body_seen =
                                        rq->too_big ? (uint64_t)MBMSEC_BMSC_KR_BODY_MAX + 1 : 0,
                                    .ipv4 = ipv4};
  mbmsec_bmsc_kr_response r; /* on the stack: no allocation per request */
  (void)mbmsec_bmsc_kr_handle(app->kr, &q, &r);
  const mbmsec_ua_decision *dec = r.ua_checked ? &r.dec : NULL;
  if (dec && dec->status == 200 && app->s.log_keys) {
    char muk[2 * MBMSEC_GBA_KEY_LEN + 1];
    mbmsec_hex_encode(dec->muk, sizeof dec->muk, muk, sizeof muk);
    dlog(DLOG_INFO, "ua keys", "btid", dec->btid, "muk", muk, NULL);
    mbmsec_cleanse(muk, sizeof muk);
  }
  if (dec && dec->status == 200 && r.code != MBMSEC_OK)
    dlog(r.status >= 500 ? DLOG_ERROR : DLOG_WARN, "request refused", "btid", dec->btid, "code",
         mbmsec_errname(r.code), NULL);
  for (int i = 0; i < MBMSEC_BMSC_KR_STAGE_N; i++)
    if (r.stage_ns[i]) BMSC_STAGE_ADD(app, i, r.stage_ns[i]);
  if (r.items_ok && r.type != MBMSEC_BMSC_KR_NONE)
    atomic_fetch_add(&app->m.items[r.type], r.items_ok);
  const enum MHD_Result ret = answer_kr(c, &r);
  bmsc_mikey_push(app, &r, ipv4);
  const unsigned status = r.status;
  bmsc_metrics_http(&app->m, status);
  /* The line's values are formatted only when it is written: at the default `warn` of a
   * loaded server, a 200 or 401 writes nothing. */
  const dlog_level lvl = status >= 500                    ? DLOG_ERROR
                         : status == 200 || status == 401 ? DLOG_INFO
                                                          : DLOG_WARN;
  if (dlog_enabled(lvl) && refusal_logged(status)) {
    char st[8], remote[BMSC_IPV4_PORT_TEXT] = "?";
    snprintf(st, sizeof st, "%u", status);
    if (ipv4) bmsc_ipv4_port_text(ipv4, port, remote);
    dlog(lvl, "ua", "remote", remote, "method", method, "target", rq->target, "status", st,
         "reason", dec ? mbmsec_ua_reason_name(r.reason) : "", "stale",
         dec && status == 401 && dec->stale ? "true" : "false", "btid",
         dec && dec->status == 200 ? dec->btid : "", NULL);
  }
  mbmsec_bmsc_kr_response_cleanse(&r);
  return ret;
}

/* The admin port: every request is the admin file's (admin.c keeps the client and the
 * server half of each admin command together). */
static enum MHD_Result on_admin(void *cls, struct MHD_Connection *c, const char *url,
                                const char *method, const char *version, const char *upload,
                                size_t *upload_size, void **req_cls)
{
  (void)version;
  (void)upload;
  if (!*req_cls) { /* first call: headers only */
    *req_cls = (void *)1;
    return MHD_YES;
  }
  if (*upload_size) { /* admin requests carry their arguments in the query; a body is ignored */
    *upload_size = 0;
    return MHD_YES;
  }
  return bmsc_admin_serve(cls, c, url, method);
}

static unsigned pool_size(const bmsc_app *app)
{
  if (app->s.http_threads) return app->s.http_threads;
  const long n = sysconf(_SC_NPROCESSORS_ONLN);
  return n < 1 ? 1 : n > HTTP_THREADS_MAX ? HTTP_THREADS_MAX : (unsigned)n;
}

static dhttp *start(const char *addr, uint16_t port, bool pool, MHD_AccessHandlerCallback h,
                    bmsc_app *app)
{
  const dhttp_config c = {.addr = addr,
                          .port = port,
                          .flags = MHD_USE_EPOLL_INTERNAL_THREAD,
                          .threads = pool ? pool_size(app) : 0u,
                          .conn_limit = HTTP_CONN_LIMIT,
                          .timeout_s = HTTP_TIMEOUT_S,
                          .conn_memory = HTTP_CONN_MEMORY,
                          .handler = h,
                          .handler_cls = app,
                          .new_request = pool ? on_uri : NULL,
                          .free_request = pool ? free_request : NULL};
  return dhttp_start(&c);
}

int bmsc_http_start(bmsc_app *app, bmsc_http **out)
{
  bmsc_http *h = calloc(1, sizeof *h);
  if (!h) return 1;
  h->app = app;
  h->ua = start(app->s.listen_addr, app->s.listen_port, true, on_ua, app);
  if (h->ua) h->admin = start(app->s.admin_addr, app->s.admin_port, false, on_admin, app);
  if (!h->admin) {
    bmsc_http_stop(h);
    return 1;
  }
  *out = h;
  return 0;
}

void bmsc_http_stop(bmsc_http *h)
{
  if (!h) return;
  dhttp_stop(h->ua);
  dhttp_stop(h->admin);
  free(h);
}
