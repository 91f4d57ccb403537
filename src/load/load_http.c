/* mbmsec-load's HTTP transport: one libcurl easy handle per worker thread, serving all of
 * its UEs. Each request names its UE's source address (CURLOPT_INTERFACE "host!ADDR", P6);
 * curl reuses a kept-alive connection only when its local address matches, so every UE keeps
 * its own connection while the handle's cache (CURLOPT_MAXCONNECTS) holds it. Like the
 * library's transport (lib/ue/ua_client_http.c) curl only moves bytes: the Authorization is
 * the Digest engine's, no redirects, headers and body capped while they arrive. */
#include <curl/curl.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "guard.h"
#include "load.h"
#include "mbmsec/crypto.h"

struct load_http {
  CURL *curl;
  CURLU *base;
  long timeout_ms;
  char iface[32];
  const char *fail_kind;
  bool overflow;
  char errbuf[CURL_ERROR_SIZE];
  size_t n_www;
  char www[MBMSEC_UE_WWW_AUTH_MAX][MBMSEC_DIGEST_HEADER_MAX + 1];
  char auth_info[MBMSEC_DIGEST_HEADER_MAX + 1];
  bool has_auth_info;
  char content_type[256];
  bool has_content_type;
  uint8_t body[MBMSEC_XML_DOC_MAX];
  size_t body_len;
};

static void reset_answer(load_http *h)
{
  h->overflow = h->has_auth_info = h->has_content_type = false;
  h->n_www = h->body_len = 0;
}

static bool store_value(const char *v, size_t n, char *dst, size_t cap)
{
  while (n && (*v == ' ' || *v == '\t')) v++, n--;
  while (n && (v[n - 1] == ' ' || v[n - 1] == '\t' || v[n - 1] == '\r' || v[n - 1] == '\n')) n--;
  if (n >= cap) return false;
  memcpy(dst, v, n);
  dst[n] = '\0';
  return true;
}

static bool name_is(const char *line, size_t n, const char *name, const char **v, size_t *vn)
{
  size_t k = strlen(name);
  if (n <= k || line[k] != ':' || strncasecmp(line, name, k)) return false;
  *v = line + k + 1;
  *vn = n - k - 1;
  return true;
}

static size_t on_header(char *line, size_t size, size_t nitems, void *ud)
{
  load_http *h = ud;
  size_t n = size * nitems;
  const char *v;
  size_t vn;
  if (n >= 5 && !strncmp(line, "HTTP/", 5)) {
    reset_answer(h);
  } else if (name_is(line, n, "WWW-Authenticate", &v, &vn)) {
    if (h->n_www < MBMSEC_UE_WWW_AUTH_MAX && store_value(v, vn, h->www[h->n_www], sizeof h->www[0]))
      h->n_www++;
    else
      h->overflow = true;
  } else if (name_is(line, n, "Authentication-Info", &v, &vn)) {
    if (h->has_auth_info || !store_value(v, vn, h->auth_info, sizeof h->auth_info))
      h->overflow = true;
    h->has_auth_info = true;
  } else if (name_is(line, n, "Content-Type", &v, &vn)) {
    if (h->has_content_type || !store_value(v, vn, h->content_type, sizeof h->content_type))
      h->overflow = true;
    h->has_content_type = true;
  }
  return n;
}

static size_t on_body(char *p, size_t size, size_t nmemb, void *ud)
{
  load_http *h = ud;
  size_t n = size * nmemb;
  if (n > sizeof h->body - h->body_len) {
    h->overflow = true;
    return 0;
  }
  memcpy(h->body + h->body_len, p, n);
  h->body_len += n;
  return n;
}

mbmsec_err load_http_new(long timeout_ms, long max_conns, load_http **out)
{
  ENSURE(out && timeout_ms > 0 && max_conns > 0, MBMSEC_ERR_ARG);
  load_http *h = calloc(1, sizeof *h);
  ENSURE(h != NULL, MBMSEC_ERR_NOMEM);
  h->timeout_ms = timeout_ms;
  h->curl = curl_easy_init();
  if (!h->curl) {
    free(h);
    return MBMSEC_ERR_UE_HTTP;
  }
  CURL *c = h->curl;
  long ct = timeout_ms < 5000 ? timeout_ms : 5000;
  if (curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https") != CURLE_OK ||
      curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 0L) != CURLE_OK ||
      curl_easy_setopt(c, CURLOPT_USERAGENT, MBMSEC_UE_KM_USER_AGENT) != CURLE_OK ||
      curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L) != CURLE_OK ||
      curl_easy_setopt(c, CURLOPT_MAXCONNECTS, max_conns) != CURLE_OK ||
      curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, ct) != CURLE_OK ||
      curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, timeout_ms) != CURLE_OK ||
      curl_easy_setopt(c, CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)MBMSEC_XML_DOC_MAX) != CURLE_OK ||
      curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_header) != CURLE_OK ||
      curl_easy_setopt(c, CURLOPT_HEADERDATA, h) != CURLE_OK ||
      curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body) != CURLE_OK ||
      curl_easy_setopt(c, CURLOPT_WRITEDATA, h) != CURLE_OK ||
      curl_easy_setopt(c, CURLOPT_ERRORBUFFER, h->errbuf) != CURLE_OK) {
    load_http_free(h);
    return MBMSEC_ERR_UE_HTTP;
  }
  *out = h;
  return MBMSEC_OK;
}

void load_http_free(load_http *h)
{
  if (!h) return;
  if (h->curl) curl_easy_cleanup(h->curl);
  if (h->base) curl_url_cleanup(h->base);
  mbmsec_cleanse(h, sizeof *h);
  free(h);
}

void load_http_bind(load_http *h, const char *addr)
{
  snprintf(h->iface, sizeof h->iface, "host!%s", addr);
}

mbmsec_err load_http_set_base(load_http *h, const char *url)
{
  ENSURE(h && url, MBMSEC_ERR_ARG);
  if (!h->base && !(h->base = curl_url())) return MBMSEC_ERR_NOMEM;
  ENSURE(curl_url_set(h->base, CURLUPART_URL, url, 0) == CURLUE_OK, MBMSEC_ERR_ARG);
  return MBMSEC_OK;
}

const char *load_http_fail_kind(const load_http *h)
{
  return h->fail_kind ? h->fail_kind : "transport";
}

/* Runs the prepared request and fills *ans from the handle's buffers. */
static mbmsec_err perform(load_http *h, struct curl_slist *list, mbmsec_ue_http_answer *ans)
{
  CURL *c = h->curl;
  h->errbuf[0] = 0;
  h->fail_kind = NULL;
  reset_answer(h);
  if (curl_easy_setopt(c, CURLOPT_HTTPHEADER, list) != CURLE_OK ||
      curl_easy_setopt(c, CURLOPT_INTERFACE, h->iface[0] ? h->iface : NULL) != CURLE_OK)
    return MBMSEC_ERR_UE_HTTP;
  CURLcode cc = curl_easy_perform(c);
  curl_easy_setopt(c, CURLOPT_HTTPHEADER, NULL);
  if (h->overflow) {
    h->fail_kind = "oversize-answer";
    return MBMSEC_ERR_UE_HTTP;
  }
  if (cc != CURLE_OK) {
    h->fail_kind = cc == CURLE_OPERATION_TIMEDOUT ? "timeout"
                   : cc == CURLE_COULDNT_CONNECT ? "connect" : "transport";
    return MBMSEC_ERR_UE_HTTP;
  }
  long status = 0;
  if (curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status) != CURLE_OK) return MBMSEC_ERR_UE_HTTP;
  memset(ans, 0, sizeof *ans);
  ans->status = status;
  ans->n_www_auth = h->n_www;
  for (size_t i = 0; i < h->n_www; i++) ans->www_auth[i] = mbmsec_digest_s(h->www[i]);
  if (h->has_auth_info) ans->auth_info = mbmsec_digest_s(h->auth_info);
  ans->content_type = h->has_content_type ? h->content_type : NULL;
  ans->body = h->body;
  ans->body_len = h->body_len;
  return MBMSEC_OK;
}

/* "Name: value" appended; NULL (list freed) on failure. */
static struct curl_slist *add(struct curl_slist *l, const char *name, const char *value)
{
  char line[MBMSEC_UE_AUTH_SIZE + 64];
  int n = snprintf(line, sizeof line, "%s: %s", name, value);
  struct curl_slist *r = n > 0 && (size_t)n < sizeof line ? curl_slist_append(l, line) : NULL;
  mbmsec_cleanse(line, sizeof line);
  if (!r) curl_slist_free_all(l);
  return r;
}

mbmsec_err load_http_post(void *ctx, const mbmsec_ue_km_send *s, mbmsec_ue_http_answer *ans)
{
  load_http *h = ctx;
  ENSURE(h && h->base && s && ans && s->target && s->content_type && s->authorization,
         MBMSEC_ERR_ARG);
  mbmsec_err rc = MBMSEC_ERR_UE_HTTP;
  char *url = NULL;
  struct curl_slist *list = NULL;
  CURLU *u = curl_url_dup(h->base);
  if (!u) return MBMSEC_ERR_NOMEM;
  if (s->target[0] != '/' || curl_url_set(u, CURLUPART_URL, s->target, 0) != CURLUE_OK ||
      curl_url_get(u, CURLUPART_URL, &url, 0) != CURLUE_OK) {
    rc = MBMSEC_ERR_ARG;
    goto out;
  }
  list = add(NULL, "Content-Type", s->content_type);
  if (list && s->accept) list = add(list, "Accept", s->accept);
  if (list) list = curl_slist_append(list, "Expect:");
  if (list && s->authorization[0]) list = add(list, "Authorization", s->authorization);
  if (!list) {
    rc = MBMSEC_ERR_NOMEM;
    goto out;
  }
  CURL *c = h->curl;
  if (curl_easy_setopt(c, CURLOPT_URL, url) != CURLE_OK ||
      curl_easy_setopt(c, CURLOPT_POST, 1L) != CURLE_OK ||
      curl_easy_setopt(c, CURLOPT_POSTFIELDS, s->body_len ? (const char *)s->body : "") != CURLE_OK ||
      curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)s->body_len) != CURLE_OK)
    goto out;
  rc = perform(h, list, ans);
out:
  curl_easy_setopt(h->curl, CURLOPT_POSTFIELDS, NULL);
  curl_slist_free_all(list);
  curl_free(url);
  curl_url_cleanup(u);
  return rc;
}

mbmsec_err load_http_get(load_http *h, const char *authorization, mbmsec_ue_http_answer *ans)
{
  ENSURE(h && h->base && ans, MBMSEC_ERR_ARG);
  char *url = NULL;
  struct curl_slist *list = NULL;
  mbmsec_err rc = MBMSEC_ERR_UE_HTTP;
  if (curl_url_get(h->base, CURLUPART_URL, &url, 0) != CURLUE_OK) return MBMSEC_ERR_ARG;
  if (authorization && authorization[0]) {
    if (!(list = add(NULL, "Authorization", authorization))) {
      curl_free(url);
      return MBMSEC_ERR_NOMEM;
    }
  }
  if (curl_easy_setopt(h->curl, CURLOPT_URL, url) == CURLE_OK &&
      curl_easy_setopt(h->curl, CURLOPT_HTTPGET, 1L) == CURLE_OK)
    rc = perform(h, list, ans);
  curl_slist_free_all(list);
  curl_free(url);
  return rc;
}
