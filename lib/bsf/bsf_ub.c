/* Ub request handling (TS 33.220 4.5.2, TS 24.109 4.3-4.4 and Annex A, RFC 3310).
 *
 * Every refusal that needs no new challenge is decided before the store is touched, so a
 * hostile request (400/401) never moves an SQN or stores anything. A challenge writes nothing
 * either: its SQN reaches the HSS only when its RES verifies (bsf_hss.c). The nonce it carries
 * is answered at most once, whatever the answer. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bsf_internal.h"
#include "guard.h"
#include "mbmsec/crypto.h"
#include "mbmsec/digest.h"
#include "mbmsec/digest_parse.h"
#include "mbmsec/gba.h"

__attribute__((format(printf, 3, 4))) static void decide(mbmsec_bsf_response *r, unsigned status,
                                                         const char *fmt, ...)
{
  va_list ap;
  r->status = status;
  va_start(ap, fmt);
  vsnprintf(r->reason, sizeof r->reason, fmt, ap);
  va_end(ap);
}

/* A value fit for a log line: printable ASCII, cut at 64 octets. */
static const char *loggable(mbmsec_digest_str v, char *buf, size_t cap)
{
  size_t n = 0;
  for (size_t i = 0; i < v.len && n + 1 < cap && i < 64; i++)
    buf[n++] = (v.p[i] >= 0x20 && v.p[i] < 0x7f && v.p[i] != '"') ? v.p[i] : '?';
  buf[n] = 0;
  return buf;
}

static bool str_eq(mbmsec_digest_str a, const char *b, size_t blen)
{
  return a.len == blen && (blen == 0 || memcmp(a.p, b, blen) == 0);
}

/* A fresh AKA challenge for impi: 401 + WWW-Authenticate, the vector kept under its nonce.
 * why says what led to it (for the log). */
/* The AMF of the decoys: the one most subscribers have, read again when BSF_AMF_REFRESH_S
 * have passed, on the path of every challenge alike (known or not), so that neither answer's
 * time tells them apart. A store failure keeps the last value. Caller holds hss_lock. */
static void decoy_amf_refresh(mbmsec_bsf *bsf)
{
  const int64_t now = bsf_now(bsf);
  if (bsf->decoy_amf_at != 0 && now - bsf->decoy_amf_at < BSF_AMF_REFRESH_S) return;
  uint8_t amf[2];
  int found = 0;
  if (mbmsec_store_subscriber_amf_mode(bsf->store, amf, &found) == MBMSEC_OK && found)
    memcpy(bsf->decoy_amf, amf, 2);
  bsf->decoy_amf_at = now;
}

static mbmsec_err challenge(mbmsec_bsf *bsf, const char *impi, const char *source, const char *why,
                            mbmsec_bsf_response *r)
{
  mbmsec_err rc;
  mbmsec_aka_vector av;
  bsf_pending p;
  uint8_t ra[32];
  mbmsec_digest_header *h = NULL;
  memset(&p, 0, sizeof p);
  memset(&av, 0, sizeof av);
  /* The SQN choice reads the pending table; hold hss_lock until this challenge is in it, so
   * that two challenges for one IMPI never get the same SQN. */
  pthread_mutex_lock(&bsf->hss_lock);
  decoy_amf_refresh(bsf);
  bool decoy = false;
  rc = bsf_hss_vector(bsf, impi, &av, &p.sqn, &decoy);
  if (rc == MBMSEC_ERR_STORE_IMPI) {
    decide(r, 400, "username is not a valid IMPI (1..255 printable ASCII octets)");
    rc = MBMSEC_OK;
    goto out;
  }
  /* Not a subscriber (decoy): a challenge of the same shape, made by the same steps and kept
   * nowhere, so that neither a 401 nor its time tells which IMPIs exist. RAND is random and
   * AUTN is made by Milenage under a random K, OPc and SQN, with the AMF in clear that most
   * subscribers have (decoy_amf_refresh; random octets or a fixed value there would mark the
   * decoy). Its answer fails as an unknown nonce, and a real USIM refuses its AUTN (MAC). */
  GUARD_OUT(rc);
  memcpy(ra, av.rand, 16);
  memcpy(ra + 16, av.autn, 16);
  GUARD_OUT(mbmsec_b64_encode(ra, sizeof ra, p.nonce, sizeof p.nonce, NULL));
  snprintf(p.impi, sizeof p.impi, "%s", impi);
  snprintf(p.source, sizeof p.source, "%s", source);
  memcpy(p.rand, av.rand, 16);
  memcpy(p.xres, av.xres, 8);
  memcpy(p.ck, av.ck, 16);
  memcpy(p.ik, av.ik, 16);
  p.expires = bsf_now(bsf) + bsf->challenge_ttl;

  h = calloc(1, sizeof *h);
  ENSURE_OUT(h, MBMSEC_ERR_NOMEM);
  h->present = MBMSEC_DIGEST_F_REALM | MBMSEC_DIGEST_F_NONCE | MBMSEC_DIGEST_F_ALGORITHM |
               MBMSEC_DIGEST_F_QOP;
  h->realm = (mbmsec_digest_str){bsf->fqdn, bsf->fqdn_len};
  h->nonce = mbmsec_digest_s(p.nonce);
  h->algorithm = MBMSEC_DIGEST_AKAV1_MD5;
  h->qop_list = MBMSEC_DIGEST_QOPBIT_AUTH_INT;
  GUARD_OUT(
      mbmsec_digest_build_challenge(h, r->www_authenticate, sizeof r->www_authenticate, NULL));
  bsf_pending_put(bsf, &p, !decoy);
  if (decoy)
    decide(r, 401, "unknown IMPI: decoy challenge, nothing kept");
  else
    decide(r, 401, "%s", why);
out:
  pthread_mutex_unlock(&bsf->hss_lock);
  free(h);
  mbmsec_cleanse(&av, sizeof av);
  mbmsec_cleanse(&p, sizeof p);
  mbmsec_cleanse(ra, sizeof ra);
  return rc;
}

/* The request's client address as a string ("" when unknown), cut at MBMSEC_BSF_SOURCE_MAX. */
static const char *source_of(const mbmsec_bsf_request *req, char out[MBMSEC_BSF_SOURCE_MAX + 1])
{
  size_t n = req->source ? req->source_len : 0;
  if (n > MBMSEC_BSF_SOURCE_MAX) n = MBMSEC_BSF_SOURCE_MAX;
  if (n) memcpy(out, req->source, n);
  out[n] = 0;
  return out;
}

static void xml_time(int64_t t, char out[32])
{
  time_t tt = (time_t)t;
  struct tm tm;
  if (!gmtime_r(&tt, &tm) || !strftime(out, 32, "%Y-%m-%dT%H:%M:%SZ", &tm))
    snprintf(out, 32, "1970-01-01T00:00:00Z");
}

/* RES verified: store {B-TID, IMPI, Ks, RAND, created, expires}, answer 200. */
static mbmsec_err bootstrap(mbmsec_bsf *bsf, const bsf_pending *p, const mbmsec_digest_header *ah,
                            const mbmsec_digest_input *in, mbmsec_bsf_response *r)
{
  mbmsec_err rc;
  uint8_t ks[MBMSEC_GBA_KS_LEN];
  char rspauth[MBMSEC_DIGEST_HEX_MAX + 1], when[32];
  mbmsec_digest_header *h = NULL;
  const int64_t now = bsf_now(bsf), expires = now + bsf->lifetime;

  size_t btid_len = 0;
  GUARD_OUT(mbmsec_gba_btid(p->rand, bsf->fqdn, bsf->fqdn_len, r->btid, sizeof r->btid, &btid_len));
  mbmsec_gba_ks(p->ck, p->ik, ks);
  rc = bsf_hss_commit(bsf, p->impi, p->sqn);
  if (rc == MBMSEC_ERR_STORE_NOT_FOUND) { /* subscriber deleted meanwhile */
    r->btid[0] = 0;
    decide(r, 403, "IMPI is no longer a subscriber");
    rc = MBMSEC_OK;
    goto out;
  }
  GUARD_OUT(rc);
  mbmsec_store_bootstrap_in b = {.btid = r->btid,
                                 .impi = p->impi,
                                 .ks = ks,
                                 .ks_len = sizeof ks,
                                 .rand = p->rand,
                                 .rand_len = 16,
                                 .created = now,
                                 .expires = expires};
  rc = mbmsec_store_bootstrap_put(bsf->store, &b);
  if (rc == MBMSEC_ERR_STORE_NOT_FOUND) { /* subscriber deleted meanwhile */
    r->btid[0] = 0;
    decide(r, 403, "IMPI is no longer a subscriber");
    rc = MBMSEC_OK;
    goto out;
  }
  GUARD_OUT(rc);

  xml_time(expires, when);
  int n = snprintf(r->body, sizeof r->body,
                   "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
                   "<BootstrappingInfo xmlns=\"uri:3gpp-gba\">\n"
                   "  <btid>%s</btid>\n"
                   "  <lifetime>%s</lifetime>\n"
                   "</BootstrappingInfo>\n",
                   r->btid, when);
  ENSURE_OUT(n > 0 && (size_t)n < sizeof r->body, MBMSEC_ERR_SPACE);
  r->body_len = (size_t)n;
  r->content_type = MBMSEC_BSF_CONTENT_TYPE;

  /* rspauth: XRES as password, over the response body (RFC 3310 3.5, RFC 7616 3.5). */
  GUARD_OUT(
      mbmsec_digest_rspauth(in, (const uint8_t *)r->body, r->body_len, rspauth, sizeof rspauth));
  h = calloc(1, sizeof *h);
  ENSURE_OUT(h, MBMSEC_ERR_NOMEM);
  h->present =
      MBMSEC_DIGEST_F_QOP | MBMSEC_DIGEST_F_RSPAUTH | MBMSEC_DIGEST_F_CNONCE | MBMSEC_DIGEST_F_NC;
  h->qop = MBMSEC_DIGEST_QOP_AUTH_INT;
  h->rspauth = mbmsec_digest_s(rspauth);
  h->cnonce = ah->cnonce;
  memcpy(h->nc, ah->nc, sizeof h->nc);
  h->nc_value = ah->nc_value;
  GUARD_OUT(mbmsec_digest_build_auth_info(h, r->authentication_info, sizeof r->authentication_info,
                                          NULL));
  decide(r, 200, "bootstrapped, lifetime %u s", (unsigned)bsf->lifetime);
out:
  if (rc != MBMSEC_OK && r->btid[0]) {
    /* stored but not answerable: do not leave a Ks the UE never learnt about */
    (void)mbmsec_store_bootstrap_delete(bsf->store, r->btid);
    r->btid[0] = 0;
  }
  free(h);
  mbmsec_cleanse(ks, sizeof ks);
  return rc;
}

/* The second request: nonce known, RES (or AUTS) checked. */
static mbmsec_err answer(mbmsec_bsf *bsf, const mbmsec_bsf_request *req,
                         const mbmsec_digest_header *h, mbmsec_bsf_response *r)
{
  mbmsec_err rc = MBMSEC_OK;
  char src[MBMSEC_BSF_SOURCE_MAX + 1];
  bsf_pending p;
  mbmsec_digest_input in;
  uint8_t auts[MBMSEC_AKA_AUTS_LEN];
  int has_auts = 0;
  char lb[72];
  memset(&p, 0, sizeof p);

  if (!(h->present & MBMSEC_DIGEST_F_ALGORITHM) || h->algorithm != MBMSEC_DIGEST_AKAV1_MD5) {
    decide(r, 400, "algorithm must be AKAv1-MD5");
    goto out;
  }
  if (!(h->present & MBMSEC_DIGEST_F_QOP) || h->qop != MBMSEC_DIGEST_QOP_AUTH_INT) {
    decide(r, 400, "qop must be auth-int");
    goto out;
  }
  if (h->response.len == 0) {
    decide(r, 400, "empty response with a non-empty nonce");
    goto out;
  }
  if (h->nc_value != 1) {
    /* a nonce is answered once, so any other count is a replay */
    decide(r, 400, "nc %s: a nonce is answered once, with nc 00000001", h->nc);
    goto out;
  }
  rc = mbmsec_bsf_auts_find(req->authorization, req->authorization_len, &has_auts, auts);
  if (rc != MBMSEC_OK) {
    decide(r, 400, "malformed auts directive (%s)", mbmsec_errname(rc));
    rc = MBMSEC_OK;
    goto out;
  }
  if (!bsf_pending_take(bsf, h->nonce.p, h->nonce.len, &p)) {
    decide(r, 400, "unknown, expired or already answered nonce %s",
           loggable(h->nonce, lb, sizeof lb));
    goto out;
  }
  if (!str_eq(h->username, p.impi, strlen(p.impi))) {
    decide(r, 400, "nonce was issued to another IMPI");
    goto out;
  }
  /* Empty password with auts (RFC 3310 3.4), else XRES. Body: the request's (empty on Ub). */
  static const uint8_t empty[1] = {0};
  GUARD_OUT(mbmsec_digest_input_from_authorization(
      h, mbmsec_digest_s("GET"), has_auts ? empty : p.xres, has_auts ? 0 : sizeof p.xres, req->body,
      req->body_len, &in));
  rc = mbmsec_digest_verify(&in, h->response);
  if (rc == MBMSEC_ERR_DIGEST_MISMATCH) {
    rc = challenge(bsf, p.impi, source_of(req, src),
                   has_auts ? "response with auts does not verify; new challenge"
                            : "wrong RES; new challenge",
                   r);
    goto out;
  }
  GUARD_OUT(rc);
  if (has_auts) {
    rc = bsf_hss_resync(bsf, p.impi, p.rand, auts);
    if (rc == MBMSEC_ERR_AUTS_MAC) {
      rc = challenge(bsf, p.impi, source_of(req, src), "AUTS MAC-S does not verify; new challenge",
                     r);
      goto out;
    }
    if (rc == MBMSEC_ERR_STORE_NOT_FOUND) {
      decide(r, 403, "IMPI is no longer a subscriber");
      rc = MBMSEC_OK;
      goto out;
    }
    GUARD_OUT(rc);
    rc = challenge(bsf, p.impi, source_of(req, src), "SQN resynchronised from AUTS; new challenge",
                   r);
    goto out;
  }
  rc = bootstrap(bsf, &p, h, &in, r);
out:
  mbmsec_cleanse(&p, sizeof p);
  mbmsec_cleanse(auts, sizeof auts);
  return rc;
}

static mbmsec_err handle(mbmsec_bsf *bsf, const mbmsec_bsf_request *req, mbmsec_digest_header *h,
                         mbmsec_bsf_response *r)
{
  char lb[72];
  mbmsec_digest_str target = {req->target, req->target_len};
  if (!str_eq((mbmsec_digest_str){req->method, req->method_len}, "GET", 3)) {
    decide(r, 400, "method %s not allowed on Ub (GET only)",
           loggable((mbmsec_digest_str){req->method, req->method_len}, lb, sizeof lb));
    return MBMSEC_OK;
  }
  if (target.len == 0 || target.len > MBMSEC_BSF_TARGET_MAX || !target.p || target.p[0] != '/') {
    decide(r, 400, "request-target missing, oversize or not an absolute path");
    return MBMSEC_OK;
  }
  if (req->user_agent_len > MBMSEC_BSF_UA_MAX) {
    decide(r, 400, "User-Agent over %d octets", MBMSEC_BSF_UA_MAX);
    return MBMSEC_OK;
  }
  if (req->body_len > 0) {
    decide(r, 400, "Ub GET with a body");
    return MBMSEC_OK;
  }
  if (!req->authorization) {
    decide(r, 400, "no Authorization: the first Ub request names the IMPI (TS 24.109 A.3)");
    return MBMSEC_OK;
  }
  mbmsec_err rc = mbmsec_digest_parse_authorization(req->authorization, req->authorization_len,
                                                    MBMSEC_DIGEST_LENIENT_EMPTY, h);
  if (rc != MBMSEC_OK) {
    decide(r, 400, "malformed Authorization (%s)", mbmsec_errname(rc));
    return MBMSEC_OK;
  }
  if (h->username.len > MBMSEC_STORE_IMPI_MAX) {
    decide(r, 400, "username is not a valid IMPI (over 255 octets)");
    return MBMSEC_OK;
  }
  memcpy(r->impi, h->username.p, h->username.len);
  r->impi[h->username.len] = 0;
  if (memchr(h->username.p, 0, h->username.len)) {
    decide(r, 400, "username contains NUL");
    return MBMSEC_OK;
  }
  if (!str_eq(h->realm, bsf->fqdn, bsf->fqdn_len)) {
    decide(r, 400, "realm \"%s\" is not this BSF's", loggable(h->realm, lb, sizeof lb));
    return MBMSEC_OK;
  }
  if (!str_eq(h->uri, req->target, req->target_len)) {
    decide(r, 400, "uri \"%s\" is not the request-target", loggable(h->uri, lb, sizeof lb));
    return MBMSEC_OK;
  }
  if (h->nonce.len > 0) return answer(bsf, req, h, r);
  /* First request (TS 24.109 A.3): empty nonce and response; no algorithm or AKAv1-MD5. */
  if (h->response.len > 0) {
    decide(r, 400, "response without a nonce");
    return MBMSEC_OK;
  }
  if ((h->present & MBMSEC_DIGEST_F_ALGORITHM) && h->algorithm != MBMSEC_DIGEST_AKAV1_MD5) {
    decide(r, 400, "algorithm must be AKAv1-MD5");
    return MBMSEC_OK;
  }
  char src[MBMSEC_BSF_SOURCE_MAX + 1];
  return challenge(bsf, r->impi, source_of(req, src), "challenge", r);
}

mbmsec_err mbmsec_bsf_handle(mbmsec_bsf *bsf, const mbmsec_bsf_request *req,
                             mbmsec_bsf_response *resp)
{
  ENSURE(bsf && req && resp, MBMSEC_ERR_ARG);
  memset(resp, 0, sizeof *resp);
  resp->server = MBMSEC_BSF_SERVER;
  mbmsec_digest_header *h = malloc(sizeof *h);
  mbmsec_err rc = h ? handle(bsf, req, h, resp) : MBMSEC_ERR_NOMEM;
  free(h);
  if (rc != MBMSEC_OK) {
    char impi[sizeof resp->impi];
    memcpy(impi, resp->impi, sizeof impi);
    memset(resp, 0, sizeof *resp);
    resp->server = MBMSEC_BSF_SERVER;
    memcpy(resp->impi, impi, sizeof impi);
    decide(resp, 500, "internal error: %s", mbmsec_errname(rc));
  }
  return rc;
}
