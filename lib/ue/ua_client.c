/* The UE's Digest client on Ua: include/mbmsec/ue_ua.h. */
#include <stddef.h>
#include <string.h>

#include "guard.h"
#include "mbmsec/crypto.h"
#include "mbmsec/digest_parse.h"
#include "mbmsec/encode.h"
#include "mbmsec/ue.h"
#include "mbmsec/ue_ua.h"

static const char METHOD[] = "POST";

/* s into dst with a NUL, its length into *len; nothing changes when it does not fit. */
static mbmsec_err copy_str(char *dst, size_t cap, mbmsec_digest_str s, size_t *len)
{
  ENSURE(s.len < cap, MBMSEC_ERR_SPACE);
  if (s.len) memcpy(dst, s.p, s.len);
  dst[s.len] = 0;
  *len = s.len;
  return MBMSEC_OK;
}

static mbmsec_digest_str str_n(const char *p, size_t n) { return (mbmsec_digest_str){p, n}; }

mbmsec_err mbmsec_ue_ua_init(mbmsec_ue_ua *c, const char *btid, const uint8_t mrk[32])
{
  ENSURE(c && btid && mrk, MBMSEC_ERR_ARG);
  memset(c, 0, sizeof *c);
  const size_t n = strlen(btid);
  ENSURE(n >= 1 && n < sizeof c->btid, MBMSEC_ERR_LENGTH);
  memcpy(c->btid, btid, n + 1);
  c->btid_len = n;
  return mbmsec_b64_encode(mrk, 32, c->password, sizeof c->password, &c->password_len);
}

/* The computation's inputs for the current challenge and request (with the kept HA1 when
 * there is one: the library then skips hashing the password). */
static mbmsec_digest_input input_of(const mbmsec_ue_ua *c, const uint8_t *body, size_t body_len)
{
  return (mbmsec_digest_input){.alg = c->alg,
                               .qop = MBMSEC_DIGEST_QOP_AUTH_INT,
                               .username = str_n(c->btid, c->btid_len),
                               .realm = str_n(c->realm, c->realm_len),
                               .nonce = str_n(c->nonce, c->nonce_len),
                               .cnonce = mbmsec_digest_s(c->cnonce),
                               .nc = mbmsec_digest_s(c->nc_s),
                               .method = str_n(METHOD, sizeof METHOD - 1),
                               .uri = str_n(c->uri, c->uri_len),
                               .password = (const uint8_t *)c->password,
                               .password_len = c->password_len,
                               .ha1_hex = c->ha1[0] ? c->ha1 : NULL,
                               .body = body,
                               .body_len = body_len};
}

/* HA1 once per challenge instead of twice per request (response and rspauth): it depends
 * only on the B-TID, the password, the realm and the algorithm. */
static mbmsec_err keep_ha1(mbmsec_ue_ua *c)
{
  mbmsec_digest_input in = input_of(c, NULL, 0);
  in.ha1_hex = NULL;
  mbmsec_err rc = mbmsec_digest_ha1(&in, c->ha1, sizeof c->ha1);
  if (rc != MBMSEC_OK) mbmsec_cleanse(c->ha1, sizeof c->ha1);
  return rc;
}

mbmsec_err mbmsec_ue_ua_authorize(mbmsec_ue_ua *c, const char *target, const uint8_t *body,
                                  size_t body_len, char *out, size_t cap, size_t *len)
{
  ENSURE(c && target && out && len && cap > 0, MBMSEC_ERR_ARG);
  GUARD(copy_str(c->uri, sizeof c->uri, mbmsec_digest_s(target), &c->uri_len));
  *len = 0;
  out[0] = 0;
  if (!c->has_challenge) return MBMSEC_OK; /* first contact: let the BM-SC challenge */
  c->nc++;
  const uint8_t nc_be[4] = {(uint8_t)(c->nc >> 24), (uint8_t)(c->nc >> 16), (uint8_t)(c->nc >> 8),
                            (uint8_t)c->nc};
  GUARD(mbmsec_hex_encode(nc_be, sizeof nc_be, c->nc_s, sizeof c->nc_s)); /* "%08x" */
  uint8_t r[16];
  GUARD(mbmsec_random(r, sizeof r));
  GUARD(mbmsec_hex_encode(r, sizeof r, c->cnonce, sizeof c->cnonce));
  if (!c->ha1[0]) GUARD(keep_ha1(c));
  const mbmsec_digest_input in = input_of(c, body, body_len);
  char resp[MBMSEC_DIGEST_HEX_MAX + 1];
  GUARD(mbmsec_digest_response(&in, resp, sizeof resp));
  mbmsec_digest_header h; /* about 8 KiB with its arena: fine on a thread stack */
  memset(&h, 0, offsetof(mbmsec_digest_header, arena));
  h.present = MBMSEC_DIGEST_F_USERNAME | MBMSEC_DIGEST_F_REALM | MBMSEC_DIGEST_F_NONCE |
              MBMSEC_DIGEST_F_URI | MBMSEC_DIGEST_F_RESPONSE | MBMSEC_DIGEST_F_ALGORITHM |
              MBMSEC_DIGEST_F_QOP | MBMSEC_DIGEST_F_NC | MBMSEC_DIGEST_F_CNONCE |
              (c->has_opaque ? MBMSEC_DIGEST_F_OPAQUE : 0);
  h.username = in.username, h.realm = in.realm, h.nonce = in.nonce, h.uri = in.uri;
  h.response = mbmsec_digest_s(resp), h.algorithm = c->alg, h.qop = MBMSEC_DIGEST_QOP_AUTH_INT;
  h.cnonce = in.cnonce, h.opaque = str_n(c->opaque, c->opaque_len);
  memcpy(h.nc, c->nc_s, sizeof h.nc);
  h.nc_value = c->nc;
  c->sent_credentials = true;
  return mbmsec_digest_build_authorization(&h, out, cap, len);
}

mbmsec_err mbmsec_ue_ua_on_401(mbmsec_ue_ua *c, const mbmsec_digest_str *www, size_t n,
                               mbmsec_ue_ua_action *action)
{
  ENSURE(c && (www || n == 0) && action, MBMSEC_ERR_ARG);
  mbmsec_digest_header h;
  for (size_t i = 0; i < n; i++) {
    if (mbmsec_digest_parse_challenge(www[i].p, www[i].len, &h) != MBMSEC_OK) continue;
    if (h.algorithm != MBMSEC_DIGEST_SHA256 && h.algorithm != MBMSEC_DIGEST_MD5) continue;
    if (!(h.qop_list & MBMSEC_DIGEST_QOPBIT_AUTH_INT) || !(h.present & MBMSEC_DIGEST_F_NONCE))
      continue;
    /* Credentials already sent and the challenge is not stale: they were refused. */
    *action = c->sent_credentials && !h.stale ? MBMSEC_UE_UA_REBOOTSTRAP : MBMSEC_UE_UA_RETRY;
    mbmsec_cleanse(c->ha1, sizeof c->ha1); /* realm or algorithm may change below */
    GUARD(copy_str(c->realm, sizeof c->realm, h.realm, &c->realm_len));
    GUARD(copy_str(c->nonce, sizeof c->nonce, h.nonce, &c->nonce_len));
    c->has_opaque = (h.present & MBMSEC_DIGEST_F_OPAQUE) != 0;
    GUARD(copy_str(c->opaque, sizeof c->opaque, c->has_opaque ? h.opaque : mbmsec_digest_s(""),
                   &c->opaque_len));
    c->alg = h.algorithm;
    c->nc = 0;
    c->has_challenge = true;
    c->sent_credentials = false;
    return MBMSEC_OK;
  }
  return MBMSEC_ERR_UE_NO_CHALLENGE;
}

mbmsec_err mbmsec_ue_ua_on_200(mbmsec_ue_ua *c, const char *auth_info, size_t auth_info_len,
                               const uint8_t *body, size_t body_len)
{
  ENSURE(c && (body || body_len == 0), MBMSEC_ERR_ARG);
  ENSURE(auth_info && auth_info_len && c->has_challenge, MBMSEC_ERR_UE_RSPAUTH);
  mbmsec_digest_header h;
  ENSURE(mbmsec_digest_parse_auth_info(auth_info, auth_info_len, &h) == MBMSEC_OK,
         MBMSEC_ERR_UE_RSPAUTH);
  const size_t cl = strlen(c->cnonce);
  ENSURE((h.present & MBMSEC_DIGEST_F_RSPAUTH) && (h.present & MBMSEC_DIGEST_F_CNONCE) &&
             (h.present & MBMSEC_DIGEST_F_NC) && h.qop == MBMSEC_DIGEST_QOP_AUTH_INT &&
             h.cnonce.len == cl && !memcmp(h.cnonce.p, c->cnonce, cl) && h.nc_value == c->nc,
         MBMSEC_ERR_UE_RSPAUTH);
  mbmsec_digest_input in = input_of(c, NULL, 0);
  char want[MBMSEC_DIGEST_HEX_MAX + 1];
  GUARD(mbmsec_digest_rspauth(&in, body, body_len, want, sizeof want));
  const size_t wl = strlen(want);
  ENSURE(h.rspauth.len == wl && mbmsec_ct_equal(h.rspauth.p, want, wl), MBMSEC_ERR_UE_RSPAUTH);
  if (h.present & MBMSEC_DIGEST_F_NEXTNONCE) { /* RFC 7616 3.5: use it next */
    GUARD(copy_str(c->nonce, sizeof c->nonce, h.nextnonce, &c->nonce_len));
    c->nc = 0;
  }
  return MBMSEC_OK;
}

void mbmsec_ue_ua_cleanse(mbmsec_ue_ua *c)
{
  if (c) mbmsec_cleanse(c, sizeof *c);
}
