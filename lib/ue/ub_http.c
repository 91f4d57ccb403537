/* The Ub transport on libcurl: one GET per call with the engine's Authorization header; the
 * plumbing (caps, no redirects, no curl Digest) is ue_curl.c's. */
#include <curl/curl.h>
#include <libxml/parser.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "guard.h"
#include "ue_curl.h"
#include "mbmsec/ue.h"

#define UA_STRING "mbmsec-ue/0.1 " MBMSEC_UE_PRODUCT_TOKEN

struct mbmsec_ue_http {
  CURL *curl;
  char *url;
  long timeout_ms;
  ue_curl_capture cap; /* body points at body[] */
  uint8_t body[MBMSEC_UE_BODY_MAX];
};

mbmsec_err mbmsec_ue_global_init(void)
{
  xmlInitParser();
  return curl_global_init(CURL_GLOBAL_DEFAULT) == CURLE_OK ? MBMSEC_OK : MBMSEC_ERR_UE_HTTP;
}

void mbmsec_ue_global_cleanup(void)
{
  curl_global_cleanup();
  xmlCleanupParser();
}

mbmsec_err mbmsec_ue_http_new(const char *url, long timeout_ms, mbmsec_ue_http **out)
{
  ENSURE(url && out && timeout_ms > 0, MBMSEC_ERR_ARG);
  char host[1], path[1];
  /* Only "is it an http(s) URL": the zero-size buffers make a valid one MBMSEC_ERR_SPACE. */
  mbmsec_err rc = mbmsec_ue_url_parts(url, host, 0, path, 0);
  ENSURE(rc == MBMSEC_ERR_SPACE, MBMSEC_ERR_ARG);
  mbmsec_ue_http *h = calloc(1, sizeof *h);
  ENSURE(h != NULL, MBMSEC_ERR_NOMEM);
  h->url = strdup(url);
  h->curl = curl_easy_init();
  h->timeout_ms = timeout_ms;
  h->cap.body = h->body;
  h->cap.body_cap = sizeof h->body;
  if (!h->url || !h->curl) {
    rc = h->url ? MBMSEC_ERR_UE_HTTP : MBMSEC_ERR_NOMEM;
    mbmsec_ue_http_free(h);
    return rc;
  }
  *out = h;
  return MBMSEC_OK;
}

void mbmsec_ue_http_free(mbmsec_ue_http *h)
{
  if (!h) return;
  if (h->curl) curl_easy_cleanup(h->curl);
  free(h->url);
  mbmsec_cleanse(h, sizeof *h); /* the last Authorization-related values and body */
  free(h);
}

mbmsec_err mbmsec_ue_http_exchange(void *ctx, const char *authorization, mbmsec_ue_http_answer *ans)
{
  mbmsec_ue_http *h = ctx;
  ENSURE(h && authorization && ans, MBMSEC_ERR_ARG);
  memset(ans, 0, sizeof *ans);
  size_t alen = strlen(authorization);
  char *hdr = malloc(alen + sizeof "Authorization: ");
  ENSURE(hdr != NULL, MBMSEC_ERR_NOMEM);
  memcpy(hdr, "Authorization: ", 15);
  memcpy(hdr + 15, authorization, alen + 1);
  struct curl_slist *list = curl_slist_append(NULL, hdr);
  /* Instead of curl's catch-all Accept: the BSF answers one media type, say which. */
  struct curl_slist *l2 = list ? curl_slist_append(list, "Accept: " MBMSEC_UE_CONTENT_TYPE) : NULL;
  mbmsec_err rc = MBMSEC_ERR_UE_HTTP;
  if (!l2) {
    rc = MBMSEC_ERR_NOMEM;
    goto out;
  }
  list = l2;
  if (curl_easy_setopt(h->curl, CURLOPT_HTTPGET, 1L) == CURLE_OK)
    rc = ue_curl_perform(h->curl, &h->cap, h->url, UA_STRING, list, h->timeout_ms, ans);
out:
  /* The handle keeps a pointer to the list: drop it before the list goes. */
  curl_easy_setopt(h->curl, CURLOPT_HTTPHEADER, NULL);
  curl_slist_free_all(list);
  mbmsec_cleanse(hdr, alen + 15);
  free(hdr);
  return rc;
}

const char *mbmsec_ue_http_error(const mbmsec_ue_http *h)
{
  return h && h->cap.errbuf[0] ? h->cap.errbuf : "";
}

mbmsec_err mbmsec_ue_url_parts(const char *url, char *host, size_t host_cap, char *path,
                               size_t path_cap)
{
  ENSURE(url && host && path, MBMSEC_ERR_ARG);
  CURLU *u = curl_url();
  char *scheme = NULL, *hst = NULL, *pth = NULL, *query = NULL;
  mbmsec_err rc = MBMSEC_ERR_ARG;
  if (!u) return MBMSEC_ERR_NOMEM;
  if (curl_url_set(u, CURLUPART_URL, url, 0) != CURLUE_OK ||
      curl_url_get(u, CURLUPART_SCHEME, &scheme, 0) != CURLUE_OK ||
      (strcmp(scheme, "http") && strcmp(scheme, "https")) ||
      curl_url_get(u, CURLUPART_HOST, &hst, 0) != CURLUE_OK ||
      curl_url_get(u, CURLUPART_PATH, &pth, 0) != CURLUE_OK)
    goto out;
  /* The Digest uri is the request-target: path and query, byte for byte. */
  if (curl_url_get(u, CURLUPART_QUERY, &query, 0) != CURLUE_OK) query = NULL;
  rc = MBMSEC_ERR_SPACE;
  if (strlen(hst) >= host_cap || strlen(pth) + (query ? strlen(query) + 1 : 0) >= path_cap)
    goto out;
  strcpy(host, hst);
  strcpy(path, pth);
  if (query) {
    strcat(path, "?");
    strcat(path, query);
  }
  rc = MBMSEC_OK;
out:
  curl_free(query);
  curl_free(pth);
  curl_free(hst);
  curl_free(scheme);
  curl_url_cleanup(u);
  return rc;
}
