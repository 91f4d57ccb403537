/* The Ub transport on libcurl. curl only moves bytes: the Authorization header is the
 * engine's (CURLOPT_HTTPAUTH stays unset, so curl never runs its own Digest), redirects are
 * not followed, and every header and the body are capped while they arrive. */
#include <curl/curl.h>
#include <libxml/parser.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "guard.h"
#include "mbmsec/ue.h"

#define UA_STRING "mbmsec-ue/0.1 " MBMSEC_UE_PRODUCT_TOKEN
#define CONNECT_TIMEOUT_MS_MAX 5000L

struct mbmsec_ue_http {
  CURL *curl;
  char *url;
  long timeout_ms;
  bool overflow; /* a header or the body passed its cap */
  char errbuf[CURL_ERROR_SIZE];
  size_t n_www;
  char www[MBMSEC_UE_WWW_AUTH_MAX][MBMSEC_DIGEST_HEADER_MAX + 1];
  char auth_info[MBMSEC_DIGEST_HEADER_MAX + 1];
  bool has_auth_info;
  char content_type[256];
  bool has_content_type;
  uint8_t body[MBMSEC_UE_BODY_MAX];
  size_t body_len;
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

static void reset_answer(mbmsec_ue_http *h)
{
  h->overflow = false;
  h->n_www = 0;
  h->has_auth_info = false;
  h->has_content_type = false;
  h->body_len = 0;
}

/* Stores value (OWS trimmed) of a header line into dst; false if it does not fit. */
static bool store_value(const char *v, size_t n, char *dst, size_t cap)
{
  while (n && (*v == ' ' || *v == '\t')) {
    v++;
    n--;
  }
  while (n && (v[n - 1] == ' ' || v[n - 1] == '\t' || v[n - 1] == '\r' || v[n - 1] == '\n'))
    n--;
  if (n >= cap)
    return false;
  memcpy(dst, v, n);
  dst[n] = '\0';
  return true;
}

static bool name_is(const char *line, size_t n, const char *name, const char **v, size_t *vn)
{
  size_t k = strlen(name);
  if (n <= k || line[k] != ':' || strncasecmp(line, name, k))
    return false;
  *v = line + k + 1;
  *vn = n - k - 1;
  return true;
}

static size_t on_header(char *line, size_t size, size_t nitems, void *ud)
{
  mbmsec_ue_http *h = ud;
  size_t n = size * nitems;
  const char *v;
  size_t vn;
  if (n >= 5 && !strncmp(line, "HTTP/", 5)) {
    reset_answer(h); /* a new status line: headers of an interim response are dropped */
  } else if (name_is(line, n, "WWW-Authenticate", &v, &vn)) {
    if (h->n_www < MBMSEC_UE_WWW_AUTH_MAX &&
        store_value(v, vn, h->www[h->n_www], sizeof h->www[0]))
      h->n_www++;
    else
      h->overflow = true;
  } else if (name_is(line, n, "Authentication-Info", &v, &vn)) {
    /* A second one is ambiguous: which rspauth counts? Refuse. */
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
  mbmsec_ue_http *h = ud;
  size_t n = size * nmemb;
  if (n > sizeof h->body - h->body_len) {
    h->overflow = true;
    return 0; /* makes curl stop with CURLE_WRITE_ERROR */
  }
  memcpy(h->body + h->body_len, p, n);
  h->body_len += n;
  return n;
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
  if (!h)
    return;
  if (h->curl)
    curl_easy_cleanup(h->curl);
  free(h->url);
  mbmsec_cleanse(h, sizeof *h); /* the last Authorization-related values and body */
  free(h);
}

mbmsec_err mbmsec_ue_http_exchange(void *ctx, const char *authorization,
                                   mbmsec_ue_http_answer *ans)
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
  reset_answer(h);
  h->errbuf[0] = '\0';
  CURL *c = h->curl;
  long ct = h->timeout_ms < CONNECT_TIMEOUT_MS_MAX ? h->timeout_ms : CONNECT_TIMEOUT_MS_MAX;
  if (curl_easy_setopt(c, CURLOPT_URL, h->url) != CURLE_OK ||
      curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https") != CURLE_OK ||
      curl_easy_setopt(c, CURLOPT_HTTPGET, 1L) != CURLE_OK ||
      curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 0L) != CURLE_OK ||
      curl_easy_setopt(c, CURLOPT_USERAGENT, UA_STRING) != CURLE_OK ||
      curl_easy_setopt(c, CURLOPT_HTTPHEADER, list) != CURLE_OK ||
      curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L) != CURLE_OK ||
      curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, ct) != CURLE_OK ||
      curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, h->timeout_ms) != CURLE_OK ||
      curl_easy_setopt(c, CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)MBMSEC_UE_BODY_MAX) != CURLE_OK ||
      curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_header) != CURLE_OK ||
      curl_easy_setopt(c, CURLOPT_HEADERDATA, h) != CURLE_OK ||
      curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body) != CURLE_OK ||
      curl_easy_setopt(c, CURLOPT_WRITEDATA, h) != CURLE_OK ||
      curl_easy_setopt(c, CURLOPT_ERRORBUFFER, h->errbuf) != CURLE_OK)
    goto out;
  CURLcode cc = curl_easy_perform(c);
  if (h->overflow) {
    snprintf(h->errbuf, sizeof h->errbuf, "answer over the size caps (body %d octets, header %d)",
             MBMSEC_UE_BODY_MAX, MBMSEC_DIGEST_HEADER_MAX);
    goto out;
  }
  if (cc != CURLE_OK) {
    if (!h->errbuf[0])
      snprintf(h->errbuf, sizeof h->errbuf, "%s", curl_easy_strerror(cc));
    goto out;
  }
  long status = 0;
  if (curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status) != CURLE_OK)
    goto out;
  ans->status = status;
  ans->n_www_auth = h->n_www;
  for (size_t i = 0; i < h->n_www; i++)
    ans->www_auth[i] = mbmsec_digest_s(h->www[i]);
  if (h->has_auth_info)
    ans->auth_info = mbmsec_digest_s(h->auth_info);
  ans->content_type = h->has_content_type ? h->content_type : NULL;
  ans->body = h->body;
  ans->body_len = h->body_len;
  rc = MBMSEC_OK;
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
  return h && h->errbuf[0] ? h->errbuf : "";
}

mbmsec_err mbmsec_ue_url_parts(const char *url, char *host, size_t host_cap, char *path,
                               size_t path_cap)
{
  ENSURE(url && host && path, MBMSEC_ERR_ARG);
  CURLU *u = curl_url();
  char *scheme = NULL, *hst = NULL, *pth = NULL, *query = NULL;
  mbmsec_err rc = MBMSEC_ERR_ARG;
  if (!u)
    return MBMSEC_ERR_NOMEM;
  if (curl_url_set(u, CURLUPART_URL, url, 0) != CURLUE_OK ||
      curl_url_get(u, CURLUPART_SCHEME, &scheme, 0) != CURLUE_OK ||
      (strcmp(scheme, "http") && strcmp(scheme, "https")) ||
      curl_url_get(u, CURLUPART_HOST, &hst, 0) != CURLUE_OK ||
      curl_url_get(u, CURLUPART_PATH, &pth, 0) != CURLUE_OK)
    goto out;
  /* The Digest uri is the request-target: path and query, byte for byte. */
  if (curl_url_get(u, CURLUPART_QUERY, &query, 0) != CURLUE_OK)
    query = NULL;
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
