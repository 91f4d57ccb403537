/* The libcurl plumbing shared by the Ub and Ua transports (ue_curl.h). */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "ue_curl.h"

#define CONNECT_TIMEOUT_MS_MAX 5000L

static void reset_answer(ue_curl_capture *h)
{
  h->overflow = false;
  mbmsec_ue_http_fields_reset(&h->f);
  h->body_len = 0;
}

bool mbmsec_ue_header_value(const char *v, size_t n, char *dst, size_t cap)
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

bool mbmsec_ue_header_is(const char *line, size_t n, const char *name, const char **v, size_t *vn)
{
  size_t k = strlen(name);
  if (n <= k || line[k] != ':' || strncasecmp(line, name, k)) return false;
  *v = line + k + 1;
  *vn = n - k - 1;
  return true;
}

void mbmsec_ue_http_fields_reset(mbmsec_ue_http_fields *f)
{
  f->n_www = 0;
  f->has_auth_info = false;
  f->has_content_type = false;
}

int mbmsec_ue_http_fields_line(mbmsec_ue_http_fields *f, const char *line, size_t n)
{
  const char *v;
  size_t vn;
  if (mbmsec_ue_header_is(line, n, "WWW-Authenticate", &v, &vn)) {
    if (f->n_www >= MBMSEC_UE_WWW_AUTH_MAX ||
        !mbmsec_ue_header_value(v, vn, f->www[f->n_www], sizeof f->www[0]))
      return -1;
    f->n_www++;
  } else if (mbmsec_ue_header_is(line, n, "Authentication-Info", &v, &vn)) {
    /* A second one is ambiguous: which rspauth counts? Refuse. */
    if (f->has_auth_info || !mbmsec_ue_header_value(v, vn, f->auth_info, sizeof f->auth_info))
      return -1;
    f->has_auth_info = true;
  } else if (mbmsec_ue_header_is(line, n, "Content-Type", &v, &vn)) {
    if (f->has_content_type ||
        !mbmsec_ue_header_value(v, vn, f->content_type, sizeof f->content_type))
      return -1;
    f->has_content_type = true;
  } else {
    return 0;
  }
  return 1;
}

void mbmsec_ue_http_fields_answer(const mbmsec_ue_http_fields *f, long status, const uint8_t *body,
                                  size_t body_len, mbmsec_ue_http_answer *ans)
{
  memset(ans, 0, sizeof *ans);
  ans->status = status;
  ans->n_www_auth = f->n_www;
  for (size_t i = 0; i < f->n_www; i++) ans->www_auth[i] = mbmsec_digest_s(f->www[i]);
  if (f->has_auth_info) ans->auth_info = mbmsec_digest_s(f->auth_info);
  ans->content_type = f->has_content_type ? f->content_type : NULL;
  ans->body = body;
  ans->body_len = body_len;
}

static size_t on_header(char *line, size_t size, size_t nitems, void *ud)
{
  ue_curl_capture *h = ud;
  size_t n = size * nitems;
  if (n >= 5 && !strncmp(line, "HTTP/", 5))
    reset_answer(h); /* a new status line: headers of an interim response are dropped */
  else if (mbmsec_ue_http_fields_line(&h->f, line, n) < 0)
    h->overflow = true;
  return n;
}

static size_t on_body(char *p, size_t size, size_t nmemb, void *ud)
{
  ue_curl_capture *h = ud;
  size_t n = size * nmemb;
  if (n > h->body_cap - h->body_len) {
    h->overflow = true;
    return 0; /* makes curl stop with CURLE_WRITE_ERROR */
  }
  memcpy(h->body + h->body_len, p, n);
  h->body_len += n;
  return n;
}

mbmsec_err ue_curl_perform(CURL *c, ue_curl_capture *h, const char *url, const char *user_agent,
                           struct curl_slist *headers, long timeout_ms, mbmsec_ue_http_answer *ans)
{
  reset_answer(h);
  h->errbuf[0] = '\0';
  const long ct = timeout_ms < CONNECT_TIMEOUT_MS_MAX ? timeout_ms : CONNECT_TIMEOUT_MS_MAX;
  if (curl_easy_setopt(c, CURLOPT_URL, url) != CURLE_OK ||
      curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https") != CURLE_OK ||
      curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 0L) != CURLE_OK ||
      curl_easy_setopt(c, CURLOPT_USERAGENT, user_agent) != CURLE_OK ||
      curl_easy_setopt(c, CURLOPT_HTTPHEADER, headers) != CURLE_OK ||
      curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L) != CURLE_OK ||
      curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, ct) != CURLE_OK ||
      curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, timeout_ms) != CURLE_OK ||
      curl_easy_setopt(c, CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)h->body_cap) != CURLE_OK ||
      curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_header) != CURLE_OK ||
      curl_easy_setopt(c, CURLOPT_HEADERDATA, h) != CURLE_OK ||
      curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body) != CURLE_OK ||
      curl_easy_setopt(c, CURLOPT_WRITEDATA, h) != CURLE_OK ||
      curl_easy_setopt(c, CURLOPT_ERRORBUFFER, h->errbuf) != CURLE_OK)
    return MBMSEC_ERR_UE_HTTP;
  CURLcode cc = curl_easy_perform(c);
  if (h->overflow) {
    snprintf(h->errbuf, sizeof h->errbuf, "answer over the size caps (body %zu octets, header %d)",
             h->body_cap, MBMSEC_DIGEST_HEADER_MAX);
    return MBMSEC_ERR_UE_HTTP;
  }
  if (cc != CURLE_OK) {
    if (!h->errbuf[0]) snprintf(h->errbuf, sizeof h->errbuf, "%s", curl_easy_strerror(cc));
    return MBMSEC_ERR_UE_HTTP;
  }
  long status = 0;
  if (curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status) != CURLE_OK) return MBMSEC_ERR_UE_HTTP;
  mbmsec_ue_http_fields_answer(&h->f, status, h->body, h->body_len, ans);
  return MBMSEC_OK;
}
