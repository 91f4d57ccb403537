/* libmicrohttpd adapter: copies the request line, Authorization, User-Agent and body size into
 * an mbmsec_bsf_request, and the engine's answer back out. Nothing else happens here.
 *
 * MHD hands the access handler a percent-decoded path without the query, but Digest compares
 * the uri directive with the request-target byte for byte (RFC 7616 3.4.6): the raw target is
 * taken from the URI log callback, whose return value becomes the request's context. */
#include <arpa/inet.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "http.h"
#include "log.h"

#define HTTP_THREADS 4
#define HTTP_CONN_LIMIT 512
#define HTTP_PER_IP_LIMIT 128
#define HTTP_TIMEOUT_S 15
/* Per-connection memory pool: it bounds the request line plus all headers (MHD answers 431
 * beyond it). Room for an 8 KiB Authorization (MBMSEC_DIGEST_HEADER_MAX) and the rest. */
#define HTTP_CONN_MEMORY (32 * 1024)

struct bsf_http {
  struct MHD_Daemon *d;
  mbmsec_bsf *engine;
};


void bsf_http_req_body(bsf_http_req *rq, const char *data, size_t len)
{
  /* Ub GETs carry no body; keep a little of one for the engine to refuse. Past the kept part
   * nothing is copied: not even a zero-length copy from a pointer beyond the array. */
  if (rq->body_seen < BSF_HTTP_BODY_KEEP) {
    size_t keep = BSF_HTTP_BODY_KEEP - rq->body_seen;
    if (keep > len)
      keep = len;
    memcpy(rq->body + rq->body_seen, data, keep);
  }
  rq->body_seen = len > SIZE_MAX - rq->body_seen ? SIZE_MAX : rq->body_seen + len;
}

mbmsec_err bsf_http_req_answer(mbmsec_bsf *engine, const bsf_http_req *rq, const char *method,
                               const char *auth, const char *ua, const char *remote,
                               mbmsec_bsf_response *r)
{
  mbmsec_bsf_request q = {
      .method = method, .method_len = strlen(method), .target = rq->target,
      .target_len = rq->target_len, .authorization = auth,
      .authorization_len = auth ? strlen(auth) : 0, .user_agent = ua,
      .user_agent_len = ua ? strlen(ua) : 0, .body = rq->body,
      .body_len = rq->body_seen < BSF_HTTP_BODY_KEEP ? rq->body_seen : BSF_HTTP_BODY_KEEP};
  mbmsec_err rc = mbmsec_bsf_handle(engine, &q, r);
  char status[8];
  snprintf(status, sizeof status, "%u", r->status);
  /* 401 is the normal first answer: only refusals are warnings */
  dlog(r->status >= 500                        ? DLOG_ERROR
       : r->status == 400 || r->status == 403 ? DLOG_WARN
                                               : DLOG_INFO,
       "ub", "remote", remote, "method", method, "target", rq->target, "status", status, "impi",
       r->impi, "btid", r->btid, "reason", r->reason, "code",
       rc == MBMSEC_OK ? "" : mbmsec_errname(rc), "ua", ua ? ua : "", NULL);
  return rc;
}

static void *on_uri(void *cls, const char *uri, struct MHD_Connection *c)
{
  (void)cls;
  (void)c;
  bsf_http_req *rq = calloc(1, sizeof *rq);
  if (rq && uri) {
    rq->target_len = strlen(uri);
    rq->target = strdup(uri);
  }
  return rq;
}

static void on_done(void *cls, struct MHD_Connection *c, void **req_cls,
                    enum MHD_RequestTerminationCode toe)
{
  (void)cls;
  (void)c;
  (void)toe;
  bsf_http_req *rq = *req_cls;
  if (rq) {
    free(rq->target);
    free(rq);
  }
  *req_cls = NULL;
}

#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wformat-nonliteral"
static void on_mhd_log(void *cls, const char *fmt, va_list ap)
{
  (void)cls;
  char line[512];
  vsnprintf(line, sizeof line, fmt, ap);
  size_t n = strlen(line);
  while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r'))
    line[--n] = 0;
  dlog(DLOG_WARN, "http-stack", "line", line, NULL);
}
#pragma GCC diagnostic pop

static void remote_of(struct MHD_Connection *c, char *out, size_t cap)
{
  snprintf(out, cap, "?");
  const union MHD_ConnectionInfo *ci = MHD_get_connection_info(c, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
  if (!ci || !ci->client_addr)
    return;
  if (ci->client_addr->sa_family == AF_INET) {
    const struct sockaddr_in *s = (const struct sockaddr_in *)(const void *)ci->client_addr;
    char a[INET_ADDRSTRLEN];
    if (inet_ntop(AF_INET, &s->sin_addr, a, sizeof a))
      snprintf(out, cap, "%s:%u", a, (unsigned)ntohs(s->sin_port));
  }
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *c, const char *url,
                                  const char *method, const char *version,
                                  const char *upload, size_t *upload_size, void **req_cls)
{
  (void)version;
  bsf_http *h = cls;
  bsf_http_req *rq = *req_cls;
  if (!rq || !rq->target)
    return MHD_NO; /* out of memory in on_uri: drop the connection */
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
  if (!r)
    return MHD_NO;
  char remote[64];
  remote_of(c, remote, sizeof remote);
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
  struct sockaddr_in sin;
  memset(&sin, 0, sizeof sin);
  sin.sin_family = AF_INET;
  sin.sin_port = htons(port);
  if (inet_pton(AF_INET, addr, &sin.sin_addr) != 1) {
    dlog(DLOG_ERROR, "http listen address is not an IPv4 literal", "addr", addr, NULL);
    return -1;
  }
  bsf_http *h = calloc(1, sizeof *h);
  if (!h)
    return -1;
  h->engine = engine;
  h->d = MHD_start_daemon(
      MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_AUTO | MHD_USE_ERROR_LOG, port, NULL, NULL,
      on_request, h, MHD_OPTION_EXTERNAL_LOGGER, on_mhd_log, NULL, MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&sin, MHD_OPTION_THREAD_POOL_SIZE,
      (unsigned)HTTP_THREADS, MHD_OPTION_CONNECTION_LIMIT, (unsigned)HTTP_CONN_LIMIT,
      MHD_OPTION_PER_IP_CONNECTION_LIMIT, (unsigned)HTTP_PER_IP_LIMIT,
      MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)HTTP_TIMEOUT_S, MHD_OPTION_CONNECTION_MEMORY_LIMIT,
      (size_t)HTTP_CONN_MEMORY, MHD_OPTION_URI_LOG_CALLBACK, on_uri, NULL,
      MHD_OPTION_NOTIFY_COMPLETED, on_done, NULL, MHD_OPTION_END);
  if (!h->d) {
    dlog(DLOG_ERROR, "cannot start the HTTP server (address in use?)", "addr", addr, NULL);
    free(h);
    return -1;
  }
  *out = h;
  return 0;
}

void bsf_http_stop(bsf_http *h)
{
  if (!h)
    return;
  MHD_stop_daemon(h->d);
  free(h);
}
