/* The libcurl plumbing shared by the Ub (ub_http.c) and Ua (ua_client_http.c) transports:
 * curl only moves bytes. The Authorization header is the engine's (CURLOPT_HTTPAUTH stays
 * unset, so curl never runs its own Digest), redirects are not followed, and every header and
 * the body are capped while they arrive. */
#ifndef MBMSEC_UE_CURL_H
#define MBMSEC_UE_CURL_H
#include <curl/curl.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "mbmsec/ue.h"

/* What an answer left behind: the headers the engines read and the body (into the caller's
 * buffer body[0..body_cap)). */
typedef struct {
  bool overflow; /* a header or the body passed its cap */
  char errbuf[CURL_ERROR_SIZE];
  mbmsec_ue_http_fields f;
  uint8_t *body;
  size_t body_cap, body_len;
} ue_curl_capture;

/* The options both transports set on c: URL, http(s) only, no redirects, user agent, headers,
 * the connect timeout (at most 5 s) and the total one, the body cap, the capture callbacks
 * and the error buffer. Then runs the transfer and fills *ans (pointers into cap). The caller
 * sets its method options (GET, POST fields, interface) before, and clears
 * CURLOPT_HTTPHEADER after, since the handle keeps a pointer to headers.
 * @return MBMSEC_OK, MBMSEC_ERR_UE_HTTP (the reason in cap->errbuf). */
mbmsec_err ue_curl_perform(CURL *c, ue_curl_capture *cap, const char *url, const char *user_agent,
                           struct curl_slist *headers, long timeout_ms, mbmsec_ue_http_answer *ans);

#endif
