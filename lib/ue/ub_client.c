/* The Ub client engine (TS 24.109 4.2-4.4, RFC 3310): a state machine that turns the BSF's
 * 401 and 200 answers into the UE's next Authorization value. No I/O here, so every hostile
 * answer can be fed to it from a byte array in a unit test. */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "guard.h"
#include "mbmsec/digest_parse.h"
#include "mbmsec/encode.h"
#include "mbmsec/ue.h"
#include "ue_text.h"

#define UB_METHOD "GET"

static void wipe_secrets(mbmsec_ub_client *c)
{
  mbmsec_cleanse(c->res, sizeof c->res);
  mbmsec_cleanse(c->ck, sizeof c->ck);
  mbmsec_cleanse(c->ik, sizeof c->ik);
}

/* Every error is terminal: a half-done bootstrap must not be resumed with stale RES. */
static mbmsec_err fail(mbmsec_ub_client *c, mbmsec_err rc)
{
  c->state = MBMSEC_UB_FAILED;
  wipe_secrets(c);
  mbmsec_ue_bootstrap_cleanse(&c->result);
  return rc;
}

/* A step called in the wrong state: a finished result is kept, anything else is ended. */
static mbmsec_err out_of_order(mbmsec_ub_client *c)
{
  if (c->state == MBMSEC_UB_DONE || c->state == MBMSEC_UB_FAILED) return MBMSEC_ERR_UE_SEQUENCE;
  return fail(c, MBMSEC_ERR_UE_SEQUENCE);
}

static bool copy_id(char *dst, const char *src)
{
  if (!src || !ue_id_ok(src, MBMSEC_UE_ID_MAX)) return false;
  strcpy(dst, src); /* length checked by ue_id_ok against the buffer size */
  return true;
}

mbmsec_err mbmsec_ub_client_init(mbmsec_ub_client *c, mbmsec_ue_usim *usim, const char *impi,
                                 const char *bsf_realm, const char *uri)
{
  ENSURE(c && usim, MBMSEC_ERR_ARG);
  memset(c, 0, sizeof *c);
  c->usim = usim;
  ENSURE(copy_id(c->impi, impi) && copy_id(c->realm_hint, bsf_realm) &&
             copy_id(c->uri, uri ? uri : "/"),
         MBMSEC_ERR_ARG);
  strcpy(c->nc, "00000001"); /* one request per nonce: a new nonce always starts at 1 */
  c->state = MBMSEC_UB_IDLE;
  return MBMSEC_OK;
}

/* Appends name="value" with '"' and '\' escaped (RFC 7230 quoted-string). */
static mbmsec_err put_quoted(char *out, size_t cap, size_t *pos, const char *name, const char *v)
{
  GUARD(ue_text_append(out, cap, pos, "%s=\"", name));
  for (; *v; v++) {
    if (*v == '"' || *v == '\\') GUARD(ue_text_append(out, cap, pos, "\\"));
    GUARD(ue_text_append(out, cap, pos, "%c", *v));
  }
  return ue_text_append(out, cap, pos, "\"");
}

mbmsec_err mbmsec_ub_client_first(mbmsec_ub_client *c, char *out, size_t cap, size_t *len)
{
  ENSURE(c && out && cap > 0, MBMSEC_ERR_ARG);
  if (c->state != MBMSEC_UB_IDLE) return out_of_order(c);
  size_t pos = 0;
  /* Built here, not with mbmsec_digest_build_authorization: that builder (rightly) refuses
   * the empty nonce and response that this one request must carry (TS 24.109 A.3). */
  GUARD(ue_text_append(out, cap, &pos, "Digest "));
  GUARD(put_quoted(out, cap, &pos, "username", c->impi));
  GUARD(ue_text_append(out, cap, &pos, ", "));
  GUARD(put_quoted(out, cap, &pos, "realm", c->realm_hint));
  GUARD(ue_text_append(out, cap, &pos, ", nonce=\"\", "));
  GUARD(put_quoted(out, cap, &pos, "uri", c->uri));
  GUARD(ue_text_append(out, cap, &pos, ", response=\"\""));
  if (len) *len = pos;
  c->state = MBMSEC_UB_SENT_FIRST;
  return MBMSEC_OK;
}

/* The first value that is a Digest challenge with algorithm=AKAv1-MD5 and auth-int offered;
 * RFC 3310 5.3: AKA is the one we understand, anything else is skipped. */
static bool pick_challenge(const mbmsec_digest_str *www, size_t n, mbmsec_digest_header *h)
{
  for (size_t i = 0; i < n && i < MBMSEC_UE_WWW_AUTH_MAX; i++) {
    if (!www[i].p || www[i].len == 0) continue;
    if (mbmsec_digest_parse_challenge(www[i].p, www[i].len, h) != MBMSEC_OK) continue;
    if ((h->present & MBMSEC_DIGEST_F_ALGORITHM) && h->algorithm == MBMSEC_DIGEST_AKAV1_MD5 &&
        (h->qop_list & MBMSEC_DIGEST_QOPBIT_AUTH_INT))
      return true;
  }
  return false;
}

static void copy_str(char *dst, size_t cap, mbmsec_digest_str s)
{
  size_t n = s.len < cap - 1 ? s.len : cap - 1; /* parser caps values at VALUE_MAX < cap */
  if (n) memcpy(dst, s.p, n);
  dst[n] = '\0';
}

static mbmsec_digest_input request_input(const mbmsec_ub_client *c, const uint8_t *pw,
                                         size_t pw_len)
{
  mbmsec_digest_input in = {0};
  in.alg = MBMSEC_DIGEST_AKAV1_MD5;
  in.qop = MBMSEC_DIGEST_QOP_AUTH_INT;
  in.username = mbmsec_digest_s(c->impi);
  in.realm = mbmsec_digest_s(c->realm);
  in.nonce = mbmsec_digest_s(c->nonce);
  in.cnonce = mbmsec_digest_s(c->cnonce);
  in.nc = mbmsec_digest_s(c->nc);
  in.method = mbmsec_digest_s(UB_METHOD);
  in.uri = mbmsec_digest_s(c->uri);
  in.password = pw;
  in.password_len = pw_len;
  in.body = NULL; /* the Ub GET has no body: H("") */
  in.body_len = 0;
  return in;
}

/* Authorization answering the current challenge; auts (14 octets) or NULL. */
static mbmsec_err build_answer(mbmsec_ub_client *c, const uint8_t *pw, size_t pw_len,
                               const uint8_t *auts, char *out, size_t cap, size_t *len)
{
  uint8_t rnd[16];
  char response[MBMSEC_DIGEST_HEX_MAX + 1];
  mbmsec_digest_header *h = NULL;
  mbmsec_err rc;
  GUARD_OUT(mbmsec_random(rnd, sizeof rnd));
  GUARD_OUT(mbmsec_hex_encode(rnd, sizeof rnd, c->cnonce, sizeof c->cnonce));
  mbmsec_digest_input in = request_input(c, pw, pw_len);
  GUARD_OUT(mbmsec_digest_response(&in, response, sizeof response));

  h = calloc(1, sizeof *h); /* over 8 KiB: kept off the stack */
  ENSURE_OUT(h != NULL, MBMSEC_ERR_NOMEM);
  h->present = MBMSEC_DIGEST_F_USERNAME | MBMSEC_DIGEST_F_REALM | MBMSEC_DIGEST_F_NONCE |
               MBMSEC_DIGEST_F_URI | MBMSEC_DIGEST_F_ALGORITHM | MBMSEC_DIGEST_F_QOP |
               MBMSEC_DIGEST_F_NC | MBMSEC_DIGEST_F_CNONCE | MBMSEC_DIGEST_F_RESPONSE;
  h->username = in.username;
  h->realm = in.realm;
  h->nonce = in.nonce;
  h->uri = in.uri;
  h->algorithm = MBMSEC_DIGEST_AKAV1_MD5;
  h->qop = MBMSEC_DIGEST_QOP_AUTH_INT;
  memcpy(h->nc, c->nc, sizeof h->nc);
  h->nc_value = 1;
  h->cnonce = in.cnonce;
  h->response = mbmsec_digest_s(response);
  if (c->has_opaque) {
    h->present |= MBMSEC_DIGEST_F_OPAQUE;
    h->opaque = mbmsec_digest_s(c->opaque);
  }
  size_t n = 0;
  GUARD_OUT(mbmsec_digest_build_authorization(h, out, cap, &n));
  if (auts) {
    /* RFC 3310 3.4 auts directive; the shared builder has no field for it yet, so it is
     * appended here (base64 needs no escaping inside a quoted string). */
    char b64[MBMSEC_B64_LEN(MBMSEC_AKA_AUTS_LEN) + 1];
    GUARD_OUT(mbmsec_b64_encode(auts, MBMSEC_AKA_AUTS_LEN, b64, sizeof b64, NULL));
    GUARD_OUT(ue_text_append(out, cap, &n, ", auts=\"%s\"", b64));
  }
  if (len) *len = n;
out:
  free(h);
  mbmsec_cleanse(rnd, sizeof rnd);
  return rc;
}

mbmsec_err mbmsec_ub_client_on_401(mbmsec_ub_client *c, const mbmsec_digest_str *www_auth, size_t n,
                                   char *out, size_t cap, size_t *len)
{
  ENSURE(c && (www_auth || n == 0) && out && cap > 0, MBMSEC_ERR_ARG);
  if (c->state == MBMSEC_UB_SENT_RES)
    return fail(c, MBMSEC_ERR_UE_REFUSED); /* our RES was not accepted (TS 24.109 4.3) */
  if (c->state != MBMSEC_UB_SENT_FIRST && c->state != MBMSEC_UB_SENT_AUTS) return out_of_order(c);

  uint8_t nonce[MBMSEC_DIGEST_VALUE_MAX], auts[MBMSEC_AKA_AUTS_LEN];
  size_t nonce_len = 0;
  mbmsec_digest_header *h = calloc(1, sizeof *h);
  mbmsec_err rc;
  ENSURE_OUT(h != NULL, MBMSEC_ERR_NOMEM);
  ENSURE_OUT(pick_challenge(www_auth, n, h), MBMSEC_ERR_UE_NO_CHALLENGE);
  copy_str(c->realm, sizeof c->realm, h->realm);
  copy_str(c->nonce, sizeof c->nonce, h->nonce);
  c->has_opaque = (h->present & MBMSEC_DIGEST_F_OPAQUE) != 0;
  copy_str(c->opaque, sizeof c->opaque, c->has_opaque ? h->opaque : mbmsec_digest_s(NULL));

  /* nonce = base64(RAND || AUTN [|| server data]) (RFC 3310 3.2) */
  ENSURE_OUT(mbmsec_b64_decode(h->nonce.p, h->nonce.len, nonce, sizeof nonce, &nonce_len) ==
                     MBMSEC_OK &&
                 nonce_len >= MBMSEC_AKA_RAND_LEN + MBMSEC_AKA_AUTN_LEN,
             MBMSEC_ERR_UE_NONCE);
  memcpy(c->rand, nonce, MBMSEC_AKA_RAND_LEN);
  rc = mbmsec_aka_usim_check(&c->usim->sqn, c->usim->k, c->usim->opc, c->rand,
                             nonce + MBMSEC_AKA_RAND_LEN, c->res, c->ck, c->ik, auts);
  if (rc == MBMSEC_OK) {
    c->usim_dirty = true;
    GUARD_OUT(build_answer(c, c->res, sizeof c->res, NULL, out, cap, len));
    c->state = MBMSEC_UB_SENT_RES;
  } else if (rc == MBMSEC_ERR_AKA_SYNC) {
    ENSURE_OUT(c->resyncs < MBMSEC_UE_RESYNC_MAX, MBMSEC_ERR_UE_RESYNC);
    c->resyncs++;
    /* RFC 3310 3.4: with AUTS the response is computed over an empty password. */
    GUARD_OUT(build_answer(c, (const uint8_t *)"", 0, auts, out, cap, len));
    c->state = MBMSEC_UB_SENT_AUTS;
  } else {
    goto out; /* MBMSEC_ERR_AKA_MAC: network authentication failure, never answered */
  }
out:
  mbmsec_cleanse(auts, sizeof auts);
  mbmsec_cleanse(nonce, sizeof nonce);
  free(h);
  return rc == MBMSEC_OK ? rc : fail(c, rc);
}

/* Media type without parameters, case-insensitive (RFC 7231 3.1.1.1). */
static bool content_type_ok(const char *ct)
{
  while (*ct == ' ' || *ct == '\t') ct++;
  size_t n = strcspn(ct, ";");
  while (n && (ct[n - 1] == ' ' || ct[n - 1] == '\t')) n--;
  return n == strlen(MBMSEC_UE_CONTENT_TYPE) && !strncasecmp(ct, MBMSEC_UE_CONTENT_TYPE, n);
}

mbmsec_err mbmsec_ub_client_on_200(mbmsec_ub_client *c, const char *auth_info, size_t auth_info_len,
                                   const char *content_type, const uint8_t *body, size_t body_len)
{
  ENSURE(c && (body || body_len == 0), MBMSEC_ERR_ARG);
  if (c->state != MBMSEC_UB_SENT_RES) return out_of_order(c);
  char want[MBMSEC_DIGEST_HEX_MAX + 1], got[MBMSEC_DIGEST_HEX_MAX + 1];
  mbmsec_digest_header *h = calloc(1, sizeof *h);
  mbmsec_err rc;
  ENSURE_OUT(h != NULL, MBMSEC_ERR_NOMEM);
  /* The BSF proves it knew XRES before any of its body is believed (RFC 3310 3.5). */
  ENSURE_OUT(auth_info && auth_info_len > 0 &&
                 mbmsec_digest_parse_auth_info(auth_info, auth_info_len, h) == MBMSEC_OK,
             MBMSEC_ERR_UE_RSPAUTH);
  ENSURE_OUT((h->present & MBMSEC_DIGEST_F_QOP) && h->qop == MBMSEC_DIGEST_QOP_AUTH_INT &&
                 (h->present & MBMSEC_DIGEST_F_RSPAUTH) && h->rspauth.len == 32 &&
                 (h->present & MBMSEC_DIGEST_F_CNONCE) && h->cnonce.len == strlen(c->cnonce) &&
                 !memcmp(h->cnonce.p, c->cnonce, h->cnonce.len) &&
                 (h->present & MBMSEC_DIGEST_F_NC) && !strcmp(h->nc, c->nc),
             MBMSEC_ERR_UE_RSPAUTH);
  mbmsec_digest_input in = request_input(c, c->res, sizeof c->res);
  GUARD_OUT(mbmsec_digest_rspauth(&in, body, body_len, want, sizeof want));
  for (size_t i = 0; i < 32; i++) got[i] = (char)tolower((unsigned char)h->rspauth.p[i]);
  got[32] = '\0';
  ENSURE_OUT(mbmsec_ct_equal(want, got, 32), MBMSEC_ERR_UE_RSPAUTH);
  ENSURE_OUT(!content_type || content_type_ok(content_type), MBMSEC_ERR_UE_HTTP_STATUS);

  GUARD_OUT(mbmsec_ue_bsf_info_parse(body, body_len, c->result.btid, &c->result.lifetime));
  strcpy(c->result.impi, c->impi);
  memcpy(c->result.rand, c->rand, sizeof c->rand);
  mbmsec_gba_ks(c->ck, c->ik, c->result.ks);
  wipe_secrets(c); /* Ks now lives in the result only */
  c->state = MBMSEC_UB_DONE;
out:
  mbmsec_cleanse(want, sizeof want);
  free(h);
  return rc == MBMSEC_OK ? rc : fail(c, rc);
}

void mbmsec_ub_client_cleanse(mbmsec_ub_client *c)
{
  if (c) mbmsec_cleanse(c, sizeof *c);
}
