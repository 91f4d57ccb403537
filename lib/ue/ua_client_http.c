/* The Ua transport on libcurl: one POST per call to the key-management URI's origin + the
 * engine's request-target; the plumbing (caps, no redirects, no curl Digest) is ue_curl.c's. */
#include <arpa/inet.h>
#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "guard.h"
#include "ue_curl.h"
#include "mbmsec/crypto.h"
#include "mbmsec/ue.h"
#include "mbmsec/ue_km.h"

struct mbmsec_ue_km_http {
  CURL *curl;
  CURLU *base; /* the km-uri; targets are resolved against it */
  long timeout_ms;
  char iface[80];      /* "host!<addr>" for CURLOPT_INTERFACE, "" = any */
  ue_curl_capture cap; /* body points at body[] */
  uint8_t body[MBMSEC_XML_DOC_MAX];
};

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
  h->cap.body = h->body;
  h->cap.body_cap = sizeof h->body;
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

mbmsec_err mbmsec_ue_km_http_post(void *ctx, const mbmsec_ue_km_send *s, mbmsec_ue_http_answer *ans)
{
  mbmsec_ue_km_http *h = ctx;
  ENSURE(h && s && ans && s->target && s->content_type && s->authorization &&
             (s->body || s->body_len == 0),
         MBMSEC_ERR_ARG);
  memset(ans, 0, sizeof *ans);
  h->cap.errbuf[0] = '\0';
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
  CURL *c = h->curl;
  if (curl_easy_setopt(c, CURLOPT_POST, 1L) == CURLE_OK &&
      curl_easy_setopt(c, CURLOPT_POSTFIELDS, s->body_len ? (const char *)s->body : "") ==
          CURLE_OK &&
      curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)s->body_len) == CURLE_OK &&
      curl_easy_setopt(c, CURLOPT_INTERFACE, h->iface[0] ? h->iface : NULL) == CURLE_OK)
    rc = ue_curl_perform(c, &h->cap, url, MBMSEC_UE_KM_USER_AGENT, list, h->timeout_ms, ans);
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
  return h && h->cap.errbuf[0] ? h->cap.errbuf : "";
}
