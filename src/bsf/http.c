/* libmicrohttpd adapter: copies the request line, Authorization, User-Agent and body size into
 * an mbmsec_bsf_request, and the engine's answer back out. Nothing else happens here; the
 * server's start-up, the raw request-target and the client address are src/common/http.c's. */
#include <microhttpd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/http.h"
#include "http.h"
#include "ratelim.h"
#include "log.h"

#define HTTP_THREADS      4
#define HTTP_CONN_LIMIT   512
#define HTTP_PER_IP_LIMIT 128
#define HTTP_TIMEOUT_S    15
/* Per-connection memory pool: it bounds the request line plus all headers (MHD answers 431
 * beyond it). Room for an 8 KiB Authorization (MBMSEC_DIGEST_HEADER_MAX) and the rest. */
#define HTTP_CONN_MEMORY (32 * 1024)

struct bsf_http {
  dhttp *d;
  mbmsec_bsf *engine;
};

void bsf_http_req_body(bsf_http_req *rq, const char *data, size_t len)
{
  /* Ub GETs carry no body; keep a little of one for the engine to refuse. Past the kept part
   * nothing is copied: not even a zero-length copy from a pointer beyond the array. */
  if (rq->body_seen < BSF_HTTP_BODY_KEEP) {
    size_t keep = BSF_HTTP_BODY_KEEP - rq->body_seen;
    if (keep > len) keep = len;
    memcpy(rq->body + rq->body_seen, data, keep);
  }
  rq->body_seen = len > SIZE_MAX - rq->body_seen ? SIZE_MAX : rq->body_seen + len;
}

mbmsec_err bsf_http_req_answer(mbmsec_bsf *engine, const bsf_http_req *rq, const char *method,
                               const char *auth, const char *ua, const char *remote,
                               mbmsec_bsf_response *r)
{
  /* the per-source limit of pending challenges counts by address, not by address and port */
  const char *colon = strrchr(remote, ':');
  const size_t src_len = colon ? (size_t)(colon - remote) : strlen(remote);
  mbmsec_bsf_request q = {.method = method,
                          .method_len = strlen(method),
                          .target = rq->target,
                          .target_len = rq->target_len,
                          .authorization = auth,
                          .authorization_len = auth ? strlen(auth) : 0,
                          .user_agent = ua,
                          .user_agent_len = ua ? strlen(ua) : 0,
                          .body = rq->body,
                          .body_len = rq->body_seen < BSF_HTTP_BODY_KEEP ? rq->body_seen
                                                                         : BSF_HTTP_BODY_KEEP,
                          .source = remote,
                          .source_len = src_len};
  mbmsec_err rc = mbmsec_bsf_handle(engine, &q, r);
  char status[8];
  snprintf(status, sizeof status, "%u", r->status);
  if (r->status == 400 || r->status == 403) {
    char why[16];
    snprintf(why, sizeof why, "ub_%u", r->status);
    if (!ratelim_refusal(why)) return rc; /* counted; ratelim_refusals_report summarises */
  }
  /* 401 is the normal first answer: only refusals are warnings */
  dlog(r->status >= 500                       ? DLOG_ERROR
       : r->status == 400 || r->status == 403 ? DLOG_WARN
                                              : DLOG_INFO,
       "ub", "remote", remote, "method", method, "target", rq->target, "status", status, "impi",
       r->impi, "btid", r->btid, "reason", r->reason, "code",
       rc == MBMSEC_OK ? "" : mbmsec_errname(rc), "ua", ua ? ua : "", NULL);
  return rc;
}

static void *on_uri(const char *uri, size_t len)
{
  bsf_http_req *rq = calloc(1, sizeof *rq);
  if (rq && uri) {
    rq->target_len = len;
    rq->target = strdup(uri);
  }
  return rq;
}

static void free_request(void *req)
{
  bsf_http_req *rq = req;
  free(rq->target);
  free(rq);
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *c, const char *url,
                                  const char *method, const char *version, const char *upload,
                                  size_t *upload_size, void **req_cls)
{
  (void)version;
  bsf_http *h = cls;
  bsf_http_req *rq = *req_cls;
  if (!rq || !rq->target) return MHD_NO; /* out of memory in on_uri: drop the connection */
  if (!rq->started) {
    rq->started = 1;
    return MHD_YES;
  }
  if (*upload_size > 0) {
    bsf_http_req_body(rq, upload, *upload_size);
    *upload_size = 0;
    return MHD_YES;
  }
  (void)url;
  const char *auth = MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_AUTHORIZATION);
  const char *ua = MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_USER_AGENT);
  mbmsec_bsf_response *r = malloc(sizeof *r);
  if (!r) return MHD_NO;
  char remote[64];
  dhttp_remote_text(c, remote, sizeof remote);
  bsf_http_req_answer(h->engine, rq, method, auth, ua, remote, r);

  enum MHD_Result ret = MHD_NO;
  struct MHD_Response *resp =
      MHD_create_response_from_buffer(r->body_len, r->body, MHD_RESPMEM_MUST_COPY);
  if (resp) {
    MHD_add_response_header(resp, MHD_HTTP_HEADER_SERVER, r->server);
    if (r->www_authenticate[0])
      MHD_add_response_header(resp, MHD_HTTP_HEADER_WWW_AUTHENTICATE, r->www_authenticate);
    if (r->authentication_info[0])
      MHD_add_response_header(resp, "Authentication-Info", r->authentication_info);
    if (r->content_type)
      MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, r->content_type);
    ret = MHD_queue_response(c, r->status, resp);
    MHD_destroy_response(resp);
  }
  free(r);
  return ret;
}

int bsf_http_start(const char *addr, uint16_t port, mbmsec_bsf *engine, bsf_http **out)
{
  bsf_http *h = calloc(1, sizeof *h);
  if (!h) return -1;
  h->engine = engine;
  const dhttp_config c = {.addr = addr,
                          .port = port,
                          .flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_AUTO,
                          .threads = HTTP_THREADS,
                          .conn_limit = HTTP_CONN_LIMIT,
                          .per_ip_limit = HTTP_PER_IP_LIMIT,
                          .timeout_s = HTTP_TIMEOUT_S,
                          .conn_memory = HTTP_CONN_MEMORY,
                          .handler = on_request,
                          .handler_cls = h,
                          .new_request = on_uri,
                          .free_request = free_request};
  if (!(h->d = dhttp_start(&c))) {
    free(h);
    return -1;
  }
  *out = h;
  return 0;
}

void bsf_http_stop(bsf_http *h)
{
  if (!h) return;
  dhttp_stop(h->d);
  free(h);
}
