/* libmicrohttpd adapter of the key request function (epoll, thread pool) and of the admin
 * port (/metrics, /ue). It collects the request (raw target, Authorization, Content-Type,
 * body, source address), asks lib/ua, then the membership, and writes their answers out.
 * The servers' start-up, the raw request-target (the request's context is made from it) and
 * the client address are src/common/http.c's. */
#include <microhttpd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bmsc.h"
#include "common/http.h"
#include "log.h"
#include "bmsc_text.h"
#include "mbmsec/crypto.h"
#include "mbmsec/encode.h"
#include "mbmsec/mbms_xml.h"

/* Default size of the key request function's thread pool: one thread per online CPU, at
 * most HTTP_THREADS_MAX (`http-threads` overrides). More threads than cores only add
 * context switches: on this 2-core machine 2 threads were never slower than 4 or 3
 * (docs/BENCHMARKS.md, "third round"). A Zn look-up on a cache miss blocks its thread, so
 * a pool of one is only for tests. */
#define HTTP_THREADS_MAX 64
#define HTTP_CONN_LIMIT 512
#define HTTP_TIMEOUT_S 15
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

static enum MHD_Result answer(struct MHD_Connection *c, unsigned status, const char *ctype,
                              const void *body, size_t len, const mbmsec_ua_decision *dec,
                              const char *auth_info)
{
  struct MHD_Response *r =
      MHD_create_response_from_buffer(len, (void *)(uintptr_t)body, MHD_RESPMEM_MUST_COPY);
  if (!r) return MHD_NO;
  MHD_add_response_header(r, MHD_HTTP_HEADER_SERVER, "mbmsec-bmsc/0.1");
  for (size_t i = 0; dec && status == 401 && i < dec->n_challenges; i++)
    MHD_add_response_header(r, MHD_HTTP_HEADER_WWW_AUTHENTICATE, dec->challenge[i]);
  if (auth_info) MHD_add_response_header(r, "Authentication-Info", auth_info);
  if (ctype) MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, ctype);
  enum MHD_Result ret = MHD_queue_response(c, status, r);
  MHD_destroy_response(r);
  return ret;
}

/* One authenticated key request: membership, Authentication-Info, then the MIKEY pushes
 * (after the 200 is queued: the UE learns the item codes no later than the keys). */
static enum MHD_Result key_request(bmsc_app *app, struct MHD_Connection *c, req_ctx *rq,
                                   bmsc_reqtype t, const mbmsec_ua_decision *dec,
                                   uint32_t ipv4, unsigned *status)
{
  const char *ct = MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_TYPE);
  bmsc_reply rep;
  bmsc_keyreq_handle(app, t, ct, rq->body, rq->len, dec, ipv4, &rep);
  *status = rep.status;
  if (rep.status != 200) {
    bmsc_reply_clear(&rep);
    return answer(c, *status, NULL, NULL, 0, NULL, NULL);
  }
  char info[MBMSEC_UA_AUTH_INFO_MAX];
  const uint64_t t0 = bmsc_stage_now();
  mbmsec_err rc = mbmsec_ua_auth_info(app->ua, dec, (const uint8_t *)rep.body, rep.body_len,
                                      false, info, sizeof info, NULL);
  BMSC_STAGE_ADD_SAMPLED(app, BMSC_STAGE_DIGEST, bmsc_stage_now() - t0);
  enum MHD_Result ret;
  if (rc != MBMSEC_OK) {
    dlog(DLOG_ERROR, "cannot build Authentication-Info", "code", mbmsec_errname(rc), NULL);
    *status = 500;
    ret = answer(c, 500, NULL, NULL, 0, NULL, NULL);
  } else {
    ret = answer(c, 200, rep.content_type, rep.body, rep.body_len, NULL, info);
    bmsc_mikey_push(app, dec, ipv4, &rep);
  }
  bmsc_reply_clear(&rep);
  return ret;
}

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
  const int t = bmsc_keyreq_type(rq->target);
  unsigned status;
  enum MHD_Result ret;
  mbmsec_ua_decision dec_buf, *dec = NULL; /* on the stack: no allocation per request */
  const char *reason = "";
  if (t < 0) {
    status = 404;
    ret = answer(c, status, NULL, NULL, 0, NULL, NULL);
  } else if (strcmp(method, "POST")) {
    status = 405;
    ret = answer(c, status, NULL, NULL, 0, NULL, NULL);
  } else if (rq->too_big) {
    status = 413;
    ret = answer(c, status, NULL, NULL, 0, NULL, NULL);
  } else {
    dec = &dec_buf; /* mbmsec_ua_check fills it whole */
    const char *auth = MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_AUTHORIZATION);
    mbmsec_ua_request q = {.method = method, .method_len = strlen(method),
                           .target = rq->target, .target_len = strlen(rq->target),
                           .authorization = auth, .authorization_len = auth ? strlen(auth) : 0,
                           .body = rq->body, .body_len = rq->len};
    bmsc_stage_begin();
    const uint64_t t0 = bmsc_stage_now();
    mbmsec_err rc = mbmsec_ua_check(app->ua, &q, dec);
    BMSC_STAGE_ADD_SAMPLED(app, BMSC_STAGE_DIGEST, bmsc_stage_now() - t0);
    if (rc == MBMSEC_ERR_ARG) dec->status = 500;
    status = dec->status;
    reason = mbmsec_ua_reason_name(dec->reason);
    if (status == 200 && ipv4 == 0) status = 400; /* P6 needs an IPv4 source for MIKEY */
    if (status == 200) {
      if (app->s.log_keys) {
        char muk[2 * MBMSEC_GBA_KEY_LEN + 1];
        mbmsec_hex_encode(dec->muk, sizeof dec->muk, muk, sizeof muk);
        dlog(DLOG_INFO, "ua keys", "btid", dec->btid, "muk", muk, NULL);
        mbmsec_cleanse(muk, sizeof muk);
      }
      ret = key_request(app, c, rq, (bmsc_reqtype)t, dec, ipv4, &status);
    } else {
      ret = answer(c, status, NULL, NULL, 0, dec, NULL);
    }
  }
  bmsc_metrics_http(&app->m, status);
  /* The line's values are formatted only when it is written: at the default `warn` of a
   * loaded server, a 200 or 401 writes nothing. */
  const dlog_level lvl = status >= 500 ? DLOG_ERROR : status == 200 || status == 401 ? DLOG_INFO : DLOG_WARN;
  if (dlog_enabled(lvl)) {
    char st[8], remote[BMSC_IPV4_PORT_TEXT] = "?";
    snprintf(st, sizeof st, "%u", status);
    if (ipv4) bmsc_ipv4_port_text(ipv4, port, remote);
    dlog(lvl, "ua", "remote", remote, "method", method, "target", rq->target, "status", st,
             "reason", reason, "stale", dec && status == 401 && dec->stale ? "true" : "false",
             "btid", dec && dec->status == 200 ? dec->btid : "", NULL);
  }
  mbmsec_ua_decision_cleanse(dec);
  return ret;
}

/* GET /msk/rotate?key_group=HEX4[&window_ms=N][&jitter_ms=N] and
 * GET /ue/pull?key_group=HEX4[&btid=B]: a text line `key=value ...`; 400 on a bad argument,
 * 409 with the error name when refused (docs/bmsc-rotation.md). */
static enum MHD_Result bmsc_admin_action(struct MHD_Connection *c, bmsc_app *app, bool rotate)
{
  const char *kg = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "key_group");
  const char *wv = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "window_ms");
  const char *jv = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "jitter_ms");
  const char *btid = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "btid");
  char out[256], *end = NULL;
  unsigned long g = kg && strlen(kg) == 4 && strspn(kg, "0123456789abcdefABCDEF") == 4 ? strtoul(kg, &end, 16) : 0;
  unsigned long long w = (unsigned long long)app->s.rotate_window_s * 1000, j = app->s.rotate_jitter_ms;
  bool bad = !end;
  if (wv) bad |= strspn(wv, "0123456789") != strlen(wv) || !*wv || strlen(wv) > 10 || (w = strtoull(wv, NULL, 10)) > UINT32_MAX;
  if (jv) bad |= strspn(jv, "0123456789") != strlen(jv) || !*jv || strlen(jv) > 10 || (j = strtoull(jv, NULL, 10)) > UINT32_MAX;
  if (btid) bad |= !*btid || strlen(btid) > MBMSEC_BMSC_BTID_MAX;
  if (bad) {
    int n = snprintf(out, sizeof out, "error=bad-argument (key_group=HEX4, window_ms, jitter_ms: 0..4294967295, btid)\n");
    return answer(c, 400, "text/plain; charset=utf-8", out, (size_t)n, NULL, NULL);
  }
  mbmsec_err rc;
  int n;
  if (rotate) {
    uint8_t id[MSK_ID_LEN] = {0};
    rc = bmsc_rotate_begin(app, app->kdid, (uint16_t)g, (uint32_t)w, (uint32_t)j, true, id);
    n = snprintf(out, sizeof out, "key_group=%04lX msk_id=%02X%02X%02X%02X window_ms=%llu jitter_ms=%llu\n",
                 g, id[0], id[1], id[2], id[3], w, j);
  } else {
    size_t pulled = 0, errors = 0;
    rc = bmsc_rotate_pull(app, app->kdid, (uint16_t)g, btid, &pulled, &errors);
    n = snprintf(out, sizeof out, "pulled=%zu errors=%zu\n", pulled, errors);
  }
  if (rc != MBMSEC_OK) {
    n = snprintf(out, sizeof out, "error=%s %s\n", mbmsec_errname(rc), mbmsec_strerror(rc));
    return answer(c, 409, "text/plain; charset=utf-8", out, (size_t)n, NULL, NULL);
  }
  return answer(c, 200, "text/plain; charset=utf-8", out, (size_t)n, NULL, NULL);
}

static enum MHD_Result on_admin(void *cls, struct MHD_Connection *c, const char *url,
                                const char *method, const char *version, const char *upload,
                                size_t *upload_size, void **req_cls)
{
  (void)version;
  (void)upload;
  bmsc_app *app = cls;
  if (!*req_cls) { /* first call: headers only */
    *req_cls = (void *)1;
    return MHD_YES;
  }
  if (*upload_size) {
    *upload_size = 0;
    return MHD_YES;
  }
  if (strcmp(method, "GET")) return answer(c, 405, NULL, NULL, 0, NULL, NULL);
  size_t len = 0;
  char *body = NULL;
  const char *ct = NULL;
  if (!strcmp(url, "/metrics")) {
    body = bmsc_metrics_render(app, &len);
    ct = "text/plain; version=0.0.4; charset=utf-8";
  } else if (!strcmp(url, "/ue") || !strcmp(url, "/ue.txt")) {
    const bool text = url[3] != 0;
    body = bmsc_mikey_ue_list(app, text, &len);
    ct = text ? "text/plain; charset=utf-8" : "application/json";
  } else if (!strcmp(url, "/msk") || !strcmp(url, "/msk.txt")) {
    const bool text = url[4] != 0;
    body = bmsc_rotate_msk_list(app, text, &len);
    ct = text ? "text/plain; charset=utf-8" : "application/json";
  } else if (!strcmp(url, "/msk/rotate") || !strcmp(url, "/ue/pull")) {
    return bmsc_admin_action(c, app, url[1] == 'm'); /* docs/bmsc-rotation.md */
  } else {
    return answer(c, 404, NULL, NULL, 0, NULL, NULL);
  }
  if (!body) return answer(c, 500, NULL, NULL, 0, NULL, NULL);
  enum MHD_Result r = answer(c, 200, ct, body, len, NULL, NULL);
  free(body);
  return r;
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
  const dhttp_config c = {.addr = addr, .port = port, .flags = MHD_USE_EPOLL_INTERNAL_THREAD,
                          .threads = pool ? pool_size(app) : 0u, .conn_limit = HTTP_CONN_LIMIT,
                          .timeout_s = HTTP_TIMEOUT_S, .conn_memory = HTTP_CONN_MEMORY,
                          .handler = h, .handler_cls = app,
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
