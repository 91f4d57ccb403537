/* mbmsec: the UE's key-management requests to a BM-SC (http-ua.md sections 3-6, profile P2-P4,
 * P12, P15; docs/ue.md): register, deregister and msk-request as an engine without I/O over the
 * Digest client of mbmsec/ue_ua.h (lib/ue/ua_client_req.c), a libcurl POST transport for it
 * (ua_client_http.c) and a driver joining the two (ua_client.c). The Ub side (bootstrap, the
 * HTTP answer type) is mbmsec/ue.h; the MIKEY receiver is mbmsec/ue_mikey.h.
 */
#ifndef MBMSEC_UE_KM_H
#define MBMSEC_UE_KM_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "mbmsec/error.h"
#include "mbmsec/gba.h"
#include "mbmsec/profile.h"
#include "mbmsec/ue.h"
#include "mbmsec/ue_ua.h"
#include "mbmsec/xml.h"

#define MBMSEC_UE_KM_TARGET_MAX    512 /* request-target incl. the query */
#define MBMSEC_UE_KM_EXCHANGES_MAX 6   /* HTTP round trips of one request (bootstrap included) */
#define MBMSEC_UE_KM_USER_AGENT    "mbmsec-ue/0.1 3gpp-gba" /* http-ua.md 1: token 3gpp-gba */

typedef enum {
  MBMSEC_UE_KM_REGISTER = 0,   /* requesttype=register, items = serviceIds */
  MBMSEC_UE_KM_DEREGISTER = 1, /* requesttype=deregister, items = serviceIds */
  MBMSEC_UE_KM_MSK = 2,        /* requesttype=msk-request, items = keyIds (12 base64 chars) */
} mbmsec_ue_km_type;

/* One BM-SC (one key-management URI): keeps nonce, nc, opaque and algorithm across requests.
 * Opaque, on the heap (it holds the request and response item lists). */
typedef struct mbmsec_ue_km mbmsec_ue_km;

/* The POST to send now; pointers into the engine, valid until its next call. */
typedef struct {
  const char *target;       /* "<km-uri path>/keymanagement?requesttype=..." (P2) */
  const char *content_type; /* request media type (P3) */
  const char *accept;       /* the response media type (P3) */
  const uint8_t *body;
  size_t body_len;
  const char *authorization; /* Authorization value; "" = send none (first contact) */
} mbmsec_ue_km_send;

typedef enum {
  MBMSEC_UE_KM_SEND_AGAIN = 0, /* 401 first contact / stale=true: call mbmsec_ue_km_next */
  MBMSEC_UE_KM_DONE = 1,       /* 200, rspauth verified, items parsed */
  MBMSEC_UE_KM_BOOTSTRAP = 2,  /* 401 refusing sent credentials: run Ub, then
                                  mbmsec_ue_km_set_credentials and mbmsec_ue_km_next (once) */
} mbmsec_ue_km_step;

/* One item of the BM-SC's per-item answer (P4; 204 for msk-request, P15). */
typedef struct {
  const char *text; /* serviceId or keyId as received (NUL-terminated) */
  unsigned code;    /* its status group's code */
  bool requested;   /* the item was in our request */
  bool keyid_ok;    /* msk-request: kdid / msk_id decoded */
  uint8_t kdid[MBMSEC_KDID_LEN];
  uint8_t msk_id[MBMSEC_MSK_ID_LEN];
} mbmsec_ue_km_item;

/* @param km_uri http(s)://host[:port][/path] without query; naf_fqdn the BM-SC FQDN of the
 * NAF_Id (realm must be "3GPP-bootstrapping@" naf_fqdn); NULL = the URI's host.
 * @return MBMSEC_OK, MBMSEC_ERR_ARG, MBMSEC_ERR_SPACE, MBMSEC_ERR_NOMEM. */
mbmsec_err mbmsec_ue_km_new(const char *km_uri, const char *naf_fqdn, mbmsec_ue_km **out);
/* Cleanses (its own Digest state with the MRK, bodies) and frees; NULL is fine. A bound
 * state (mbmsec_ue_km_bind_digest) is the caller's: not touched. */
void mbmsec_ue_km_free(mbmsec_ue_km *k);
/* B-TID and MRK (P1) of the current bootstrap, into the Digest state in use (the engine's
 * own or the bound one); forgets that state's nonce (of the old B-TID). After a BOOTSTRAP step it marks the request as retried once.
 * @return MBMSEC_OK, MBMSEC_ERR_ARG, MBMSEC_ERR_LENGTH. */
mbmsec_err mbmsec_ue_km_set_credentials(mbmsec_ue_km *k, const char *btid,
                                        const uint8_t mrk[MBMSEC_GBA_KEY_LEN]);
/* Starts a request: builds the body (lib/xml) and the request-target (kept from the last
 * request when type and items are the same: built once for a series of equal requests).
 * @return MBMSEC_OK, MBMSEC_ERR_ARG (no credentials, n 0), MBMSEC_ERR_XML_KEYID (a keyId not
 * 12 base64 chars / 7 octets), the builders' codes (MBMSEC_ERR_XML_ITEM, _DUP_ITEM,
 * _TOO_MANY, MBMSEC_ERR_SPACE). */
mbmsec_err mbmsec_ue_km_start(mbmsec_ue_km *k, mbmsec_ue_km_type type, const char *const *items,
                              size_t n);
/* The next POST (Authorization for the challenge known, pre-emptive with nc+1 when a nonce is
 * kept). @return MBMSEC_OK, MBMSEC_ERR_UE_SEQUENCE (no request active or bootstrap pending,
 * or over MBMSEC_UE_KM_EXCHANGES_MAX round trips), the codes of mbmsec_ue_ua_authorize. */
mbmsec_err mbmsec_ue_km_next(mbmsec_ue_km *k, mbmsec_ue_km_send *s);
/* The answer to that POST. 200: Authentication-Info is verified over the exact body before
 * it is parsed (content_type, when not NULL, must be the response type; parameters ignored).
 * Any error ends the request; items are only available after DONE.
 * @return MBMSEC_OK (*step), MBMSEC_ERR_ARG, MBMSEC_ERR_UE_SEQUENCE, MBMSEC_ERR_UE_RSPAUTH
 * (missing/wrong rspauth: body discarded), MBMSEC_ERR_UE_NO_CHALLENGE (401 without a usable
 * Digest challenge for our realm), MBMSEC_ERR_UE_REFUSED (403, or credentials refused again
 * after the bootstrap), MBMSEC_ERR_UE_HTTP_STATUS (other status, wrong content type),
 * the parsers' MBMSEC_ERR_XML_* codes. */
mbmsec_err mbmsec_ue_km_answer(mbmsec_ue_km *k, const mbmsec_ue_http_answer *ans,
                               mbmsec_ue_km_step *step);
/* Items of the last DONE request (0 otherwise), in document order. */
size_t mbmsec_ue_km_n_items(const mbmsec_ue_km *k);
/* @return MBMSEC_OK, MBMSEC_ERR_ARG (i out of range). */
mbmsec_err mbmsec_ue_km_item_get(const mbmsec_ue_km *k, size_t i, mbmsec_ue_km_item *out);
/* HTTP status of the last answer (0: none), round trips of the current / last request. */
long mbmsec_ue_km_last_status(const mbmsec_ue_km *k);
unsigned mbmsec_ue_km_exchanges(const mbmsec_ue_km *k);
/* True after a BOOTSTRAP step that was not followed by new credentials. */
bool mbmsec_ue_km_needs_bootstrap(const mbmsec_ue_km *k);
/* Makes the engine use *ua as its Digest state (B-TID, password, nonce, nc, opaque,
 * algorithm) until the next bind, without a copy, so that one engine (and its 64 KiB buffers)
 * serves many UEs that each keep their own nonce and nc between requests (mbmsec-load). *ua
 * comes from mbmsec_ue_ua_init or was used before; an all-zero *ua means no credentials.
 * ua NULL = back to the engine's own state (kept as it was while another was bound). The
 * caller's storage must outlive the binding and be bound to one engine at a time; requests
 * and mbmsec_ue_km_set_credentials change it in place; mbmsec_ue_km_free cleanses only the
 * engine's own state (the caller cleanses *ua with mbmsec_ue_ua_cleanse). A pending
 * BOOTSTRAP step is forgotten. Not while a request is running.
 * @return MBMSEC_OK, MBMSEC_ERR_ARG (k NULL), MBMSEC_ERR_UE_SEQUENCE. */
mbmsec_err mbmsec_ue_km_bind_digest(mbmsec_ue_km *k, mbmsec_ue_ua *ua);

/* Ends the running request without an answer (its transport failed or timed out), so that
 * the engine can start another one; the Digest state (nonce, nc) is kept. NULL is fine. */
void mbmsec_ue_km_abort(mbmsec_ue_km *k);

/* Sends one POST and fills *ans (storage of the transport, valid until its next call). */
typedef mbmsec_err (*mbmsec_ue_km_post_fn)(void *ctx, const mbmsec_ue_km_send *s,
                                           mbmsec_ue_http_answer *ans);
/* Runs Ub again and gives the new B-TID and MRK for this BM-SC. */
typedef mbmsec_err (*mbmsec_ue_km_bootstrap_fn)(void *ctx, char btid[MBMSEC_UE_ID_MAX + 1],
                                                uint8_t mrk[MBMSEC_GBA_KEY_LEN]);
/* A whole request: start, then next/post/answer until DONE; a BOOTSTRAP step calls boot (NULL:
 * the request fails with MBMSEC_ERR_UE_REFUSED and mbmsec_ue_km_needs_bootstrap is true).
 * @return the codes of the engine functions, the transport's and the callback's. */
mbmsec_err mbmsec_ue_km_run(mbmsec_ue_km *k, mbmsec_ue_km_type type, const char *const *items,
                            size_t n, mbmsec_ue_km_post_fn post, void *post_ctx,
                            mbmsec_ue_km_bootstrap_fn boot, void *boot_ctx);

/* libcurl transport: POST to the km-uri's origin + target, Content-Type / Accept of *s, our
 * Authorization (curl auth off), User-Agent MBMSEC_UE_KM_USER_AGENT, no redirects, no
 * "Expect: 100-continue", timeout_ms per request (connect at most 5 s), response body capped
 * at MBMSEC_XML_DOC_MAX, headers at MBMSEC_DIGEST_HEADER_MAX. bind_addr (NULL = any): local IP
 * address of the connection (P6: the BM-SC sends MIKEY to that address). */
typedef struct mbmsec_ue_km_http mbmsec_ue_km_http;
/* @return MBMSEC_OK, MBMSEC_ERR_ARG (not an http(s) URL, timeout <= 0, bad bind address),
 * MBMSEC_ERR_NOMEM, MBMSEC_ERR_UE_HTTP. */
mbmsec_err mbmsec_ue_km_http_new(const char *km_uri, long timeout_ms, const char *bind_addr,
                                 mbmsec_ue_km_http **out);
void mbmsec_ue_km_http_free(mbmsec_ue_km_http *h);
/* An mbmsec_ue_km_post_fn; ctx is the mbmsec_ue_km_http.
 * @return MBMSEC_OK, MBMSEC_ERR_ARG, MBMSEC_ERR_NOMEM, MBMSEC_ERR_UE_HTTP. */
mbmsec_err mbmsec_ue_km_http_post(void *ctx, const mbmsec_ue_km_send *s,
                                  mbmsec_ue_http_answer *ans);
/* curl's message for the last failed POST ("" if none). */
const char *mbmsec_ue_km_http_error(const mbmsec_ue_km_http *h);

#endif
