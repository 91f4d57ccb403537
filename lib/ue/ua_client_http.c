/* The Ua transport on libcurl: one POST per call to the key-management URI's origin + the
 * engine's request-target. As for Ub (ub_http.c): curl only moves bytes, the Authorization
 * header is the engine's (CURLOPT_HTTPAUTH unset), no redirects, every header and the body are
 * capped while they arrive. */
#include <arpa/inet.h>
#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "guard.h"
#include "mbmsec/crypto.h"
#include "mbmsec/ue.h"

#define CONNECT_TIMEOUT_MS_MAX 5000L

struct mbmsec_ue_km_http {
  CURL *curl;
  CURLU *base;                  /* the km-uri; targets are resolved against it */
  long timeout_ms;
  char iface[80];               /* "host!<addr>" for CURLOPT_INTERFACE, "" = any */
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

static void reset_answer(mbmsec_ue_km_http *h)
{
  h->overflow = false;
  h->n_www = 0;
  h->has_auth_info = false;
  h->has_content_type = false;
  h->body_len = 0;
}

static bool store_value(const char *v, size_t n, char *dst, size_t cap)
{
  while (n && (*v == ' ' || *v == '\t')) {
    v++;
    n--;
  }
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
  mbmsec_ue_km_http *h = ud;
  size_t n = size * nitems;
  const char *v;
  size_t vn;
  if (n >= 5 && !strncmp(line, "HTTP/", 5)) {
    reset_answer(h); /* interim responses (100 Continue) are dropped */
  } else if (name_is(line, n, "WWW-Authenticate", &v, &vn)) {
    if (h->n_www < MBMSEC_UE_WWW_AUTH_MAX && store_value(v, vn, h->www[h->n_www], sizeof h->www[0]))
      h->n_www++;
    else
      h->overflow = true;
  } else if (name_is(line, n, "Authentication-Info", &v, &vn)) {
    if (h->has_auth_info || !store_value(v, vn, h->auth_info, sizeof h->auth_info))
      h->overflow = true; /* two: which rspauth counts? refuse */
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
  mbmsec_ue_km_http *h = ud;
  size_t n = size * nmemb;
  if (n > sizeof h->body - h->body_len) {
    h->overflow = true;
    return 0;
  }
  memcpy(h->body + h->body_len, p, n);
  h->body_len += n;
  return n;
}

mbmsec_err mbmsec_ue_km_http_new(const char *km_uri, long timeout_ms, const char *bind_addr,
                                 mbmsec_ue_km_http **out)
{
  ENSURE(km_uri && out && timeout_ms > 0, MBMSEC_ERR_ARG);
  *out = NULL;
  char host[1], path[1];
  ENSURE(mbmsec_ue_url_parts(km_uri, host, 0, path, 0) == MBMSEC_ERR_SPACE, MBMSEC_ERR_ARG);
  if (bind_addr) {
    unsigned char a[16];
    ENSURE(inet_pton(AF_INET, bind_addr, a) == 1 || inet_pton(AF_INET6, bind_addr, a) == 1,
           MBMSEC_ERR_ARG);
  }
  mbmsec_ue_km_http *h = calloc(1, sizeof *h);
  ENSURE(h != NULL, MBMSEC_ERR_NOMEM);
  h->timeout_ms = timeout_ms;
  if (bind_addr) snprintf(h->iface, sizeof h->iface, "host!%s", bind_addr);
  h->base = curl_url();
  h->curl = curl_easy_init();
  mbmsec_err rc = MBMSEC_OK;
  if (!h->base || !h->curl)
    rc = MBMSEC_ERR_UE_HTTP;
  else if (curl_url_set(h->base, CURLUPART_URL, km_uri, 0) != CURLUE_OK)
    rc = MBMSEC_ERR_ARG;
  if (rc != MBMSEC_OK) {
    mbmsec_ue_km_http_free(h);
    return rc;
  }
  *out = h;
  return MBMSEC_OK;
}

void mbmsec_ue_km_http_free(mbmsec_ue_km_http *h)
{
  if (!h) return;
  if (h->curl) curl_easy_cleanup(h->curl);
  if (h->base) curl_url_cleanup(h->base);
  mbmsec_cleanse(h, sizeof *h);
  free(h);
}

/* "Name: value" into a new list element; NULL on failure (list freed). */
static struct curl_slist *add_header(struct curl_slist *l, const char *name, const char *value,
                                     char *buf, size_t cap)
{
  int n = snprintf(buf, cap, "%s: %s", name, value);
  if (n < 0 || (size_t)n >= cap) {
    curl_slist_free_all(l);
    return NULL;
  }
  struct curl_slist *r = curl_slist_append(l, buf);
  if (!r) curl_slist_free_all(l);
  return r;
}

mbmsec_err mbmsec_ue_km_http_post(void *ctx, const mbmsec_ue_km_send *s,
                                  mbmsec_ue_http_answer *ans)
{
  mbmsec_ue_km_http *h = ctx;
  ENSURE(h && s && ans && s->target && s->content_type && s->authorization &&
             (s->body || s->body_len == 0), MBMSEC_ERR_ARG);
  memset(ans, 0, sizeof *ans);
  h->errbuf[0] = '\0';
  mbmsec_err rc = MBMSEC_ERR_UE_HTTP;
  char *url = NULL;
  struct curl_slist *list = NULL;
  const size_t alen = strlen(s->authorization);
  const size_t cap = alen + 256;
  char *line = malloc(cap);
  CURLU *u = curl_url_dup(h->base);
  if (!line || !u) {
    rc = MBMSEC_ERR_NOMEM;
    goto out;
  }
  /* An absolute path (with query) resolved against the km-uri: origin + target. */
  if (s->target[0] != '/' || curl_url_set(u, CURLUPART_URL, s->target, 0) != CURLUE_OK ||
      curl_url_get(u, CURLUPART_URL, &url, 0) != CURLUE_OK) {
    rc = MBMSEC_ERR_ARG;
    goto out;
  }
  list = add_header(NULL, "Content-Type", s->content_type, line, cap);
  if (list && s->accept) list = add_header(list, "Accept", s->accept, line, cap);
  if (list) list = curl_slist_append(list, "Expect:"); /* no 100-continue round trip */
  if (list && alen) list = add_header(list, "Authorization", s->authorization, line, cap);
  if (!list) {
    rc = MBMSEC_ERR_NOMEM;
    goto out;
  }
  reset_answer(h);
  CURL *c = h->curl;
  long ct = h->timeout_ms < CONNECT_TIMEOUT_MS_MAX ? h->timeout_ms : CONNECT_TIMEOUT_MS_MAX;
  if (curl_easy_setopt(c, CURLOPT_URL, url) != CURLE_OK ||
      curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https") != CURLE_OK ||
      curl_easy_setopt(c, CURLOPT_POST, 1L) != CURLE_OK ||
      curl_easy_setopt(c, CURLOPT_POSTFIELDS, s->body_len ? (const char *)s->body : "") != CURLE_OK ||
      curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)s->body_len) != CURLE_OK ||
      curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 0L) != CURLE_OK ||
      curl_easy_setopt(c, CURLOPT_USERAGENT, MBMSEC_UE_KM_USER_AGENT) != CURLE_OK ||
      curl_easy_setopt(c, CURLOPT_HTTPHEADER, list) != CURLE_OK ||
      curl_easy_setopt(c, CURLOPT_INTERFACE, h->iface[0] ? h->iface : NULL) != CURLE_OK ||
      curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L) != CURLE_OK ||
      curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, ct) != CURLE_OK ||
      curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, h->timeout_ms) != CURLE_OK ||
      curl_easy_setopt(c, CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)MBMSEC_XML_DOC_MAX) != CURLE_OK ||
      curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_header) != CURLE_OK ||
      curl_easy_setopt(c, CURLOPT_HEADERDATA, h) != CURLE_OK ||
      curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body) != CURLE_OK ||
      curl_easy_setopt(c, CURLOPT_WRITEDATA, h) != CURLE_OK ||
      curl_easy_setopt(c, CURLOPT_ERRORBUFFER, h->errbuf) != CURLE_OK)
    goto out;
  CURLcode cc = curl_easy_perform(c);
  if (h->overflow) {
    snprintf(h->errbuf, sizeof h->errbuf, "answer over the size caps (body %d octets, header %d)",
             MBMSEC_XML_DOC_MAX, MBMSEC_DIGEST_HEADER_MAX);
    goto out;
  }
  if (cc != CURLE_OK) {
    if (!h->errbuf[0]) snprintf(h->errbuf, sizeof h->errbuf, "%s", curl_easy_strerror(cc));
    goto out;
  }
  long status = 0;
  if (curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status) != CURLE_OK) goto out;
  ans->status = status;
  ans->n_www_auth = h->n_www;
  for (size_t i = 0; i < h->n_www; i++) ans->www_auth[i] = mbmsec_digest_s(h->www[i]);
  if (h->has_auth_info) ans->auth_info = mbmsec_digest_s(h->auth_info);
  ans->content_type = h->has_content_type ? h->content_type : NULL;
  ans->body = h->body;
  ans->body_len = h->body_len;
  rc = MBMSEC_OK;
out:
  curl_easy_setopt(h->curl, CURLOPT_HTTPHEADER, NULL);
  curl_easy_setopt(h->curl, CURLOPT_POSTFIELDS, NULL);
  curl_slist_free_all(list);
  if (line) {
    mbmsec_cleanse(line, cap);
    free(line);
  }
  curl_free(url);
  if (u) curl_url_cleanup(u);
  return rc;
}

const char *mbmsec_ue_km_http_error(const mbmsec_ue_km_http *h)
{
  return h && h->errbuf[0] ? h->errbuf : "";
}
