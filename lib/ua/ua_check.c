/* The request check of http-ua.md section 3 (steps 1-7), the challenge and
 * Authentication-Info. No lock is held here; the nonce ring and the cache lock themselves. */
#include <stddef.h>
#include <string.h>

#include "guard.h"
#include "mbmsec/crypto.h"
#include "mbmsec/digest_parse.h"
#include "ua_internal.h"

static void count(atomic_uint_fast64_t *c)
{
  atomic_fetch_add_explicit(c, 1, memory_order_relaxed);
}

static bool str_eq(mbmsec_digest_str a, const char *b, size_t blen)
{
  return a.len == blen && (blen == 0 || memcmp(a.p, b, blen) == 0);
}

/* dec = 401 with one challenge per configured algorithm and one new nonce. */
static mbmsec_err challenge_into(mbmsec_ua *ua, bool stale, mbmsec_ua_reason reason,
                                 mbmsec_ua_decision *dec)
{
  mbmsec_digest_header h;
  char nonce[MBMSEC_UA_NONCE_LEN + 1];
  mbmsec_cleanse(dec, sizeof *dec);
  dec->status = 401;
  dec->reason = reason;
  dec->stale = stale;
  GUARD(ua_nonce_issue(ua, nonce));
  memset(&h, 0, offsetof(mbmsec_digest_header, arena));
  h.present = MBMSEC_DIGEST_F_REALM | MBMSEC_DIGEST_F_NONCE | MBMSEC_DIGEST_F_OPAQUE |
              MBMSEC_DIGEST_F_ALGORITHM | MBMSEC_DIGEST_F_QOP | (stale ? MBMSEC_DIGEST_F_STALE : 0);
  h.realm = (mbmsec_digest_str){ua->realm, ua->realm_len};
  h.nonce = (mbmsec_digest_str){nonce, MBMSEC_UA_NONCE_LEN};
  h.opaque = mbmsec_digest_s(ua->opaque);
  h.qop_list = MBMSEC_DIGEST_QOPBIT_AUTH_INT;
  h.stale = stale;
  for (size_t i = 0; i < ua->n_algs; i++) {
    h.algorithm = ua->algs[i];
    GUARD(mbmsec_digest_build_challenge(&h, dec->challenge[i], MBMSEC_UA_CHALLENGE_MAX, NULL));
  }
  dec->n_challenges = ua->n_algs;
  count(&ua->c_challenges);
  if (stale) count(&ua->c_stale);
  return MBMSEC_OK;
}

/* A refusal: 401 gets a challenge, other statuses only the reason. */
static mbmsec_err refuse(mbmsec_ua *ua, mbmsec_ua_decision *dec, unsigned status,
                         mbmsec_ua_reason reason, bool stale)
{
  count(&ua->c_fail[reason]);
  if (status == 401) return challenge_into(ua, stale, reason, dec);
  mbmsec_cleanse(dec, sizeof *dec);
  dec->status = status;
  dec->reason = reason;
  return MBMSEC_OK;
}

/* Step 1 for a header the parser refused. */
static mbmsec_err refuse_parse(mbmsec_ua *ua, mbmsec_ua_decision *dec, mbmsec_err prc)
{
  switch (prc) {
  case MBMSEC_ERR_DIGEST_SCHEME:
    return refuse(ua, dec, 401, MBMSEC_UA_R_NOT_DIGEST, false);
  case MBMSEC_ERR_DIGEST_BAD_ALGORITHM:
    return refuse(ua, dec, 401, MBMSEC_UA_R_ALGORITHM, false);
  case MBMSEC_ERR_DIGEST_BAD_QOP:
    return refuse(ua, dec, 401, MBMSEC_UA_R_QOP, false);
  default:
    return refuse(ua, dec, 400, MBMSEC_UA_R_MALFORMED, false);
  }
}

/* Index of a in ua->algs, -1 when not configured. */
static int alg_index(const mbmsec_ua *ua, mbmsec_digest_alg a)
{
  for (size_t i = 0; i < ua->n_algs; i++)
    if (ua->algs[i] == a) return (int)i;
  return -1;
}

static bool alg_configured(const mbmsec_ua *ua, mbmsec_digest_alg a)
{
  return alg_index(ua, a) >= 0;
}

/* ent->ha1[i] for every configured algorithm: H(B-TID ":" realm ":" base64(MRK)). */
static mbmsec_err entry_ha1(const mbmsec_ua *ua, ua_cache_entry *ent)
{
  char password[MBMSEC_GBA_PASSWORD_SIZE];
  mbmsec_err rc = MBMSEC_OK;
  GUARD_OUT(mbmsec_gba_digest_password(ent->mrk, password, sizeof password));
  for (size_t i = 0; i < ua->n_algs; i++) {
    const mbmsec_digest_input in = {.alg = ua->algs[i],
                                    .qop = MBMSEC_DIGEST_QOP_NONE,
                                    .username = {ent->btid, ent->btid_len},
                                    .realm = {ua->realm, ua->realm_len},
                                    .nonce = {"", 0},
                                    .cnonce = {"", 0},
                                    .nc = {"", 0},
                                    .method = {"", 0},
                                    .uri = {"", 0},
                                    .password = (const uint8_t *)password,
                                    .password_len = strlen(password)};
    GUARD_OUT(mbmsec_digest_ha1(&in, ent->ha1[i], sizeof ent->ha1[i]));
  }
out:
  mbmsec_cleanse(password, sizeof password);
  return rc;
}

/* Step 4: Ks_NAF of the B-TID from the cache, else from the lookup (then cached).
 * *status is 0 when ent is filled, else the refusal to give (with *reason). */
static mbmsec_err btid_keys(mbmsec_ua *ua, mbmsec_digest_str btid, int64_t now, ua_cache_entry *ent,
                            unsigned *status, mbmsec_ua_reason *reason)
{
  mbmsec_ua_zn_result zr;
  mbmsec_err rc = MBMSEC_OK;
  *status = 0;
  if (ua_cache_get(ua, btid.p, btid.len, now, ent)) {
    count(&ua->c_hits);
    return MBMSEC_OK;
  }
  memset(&zr, 0, sizeof zr);
  count(&ua->c_lookups);
  const mbmsec_err lrc =
      ua->lookup(btid.p, btid.len, ua->naf_id, ua->naf_id_len, ua->lookup_user, &zr);
  if (lrc != MBMSEC_OK || zr.result == MBMSEC_ZN_UNABLE_TO_DELIVER) {
    *status = 503;
    *reason = MBMSEC_UA_R_ZN_UNREACHABLE;
  } else if (zr.result == MBMSEC_ZN_IDENTITY_UNKNOWN ||
             zr.result == MBMSEC_ZN_TRANSACTION_ID_INVALID) {
    *status = 401;
    *reason = MBMSEC_UA_R_BTID_UNKNOWN;
  } else if (zr.result == MBMSEC_ZN_NOT_AUTHORIZED) {
    *status = 403;
    *reason = MBMSEC_UA_R_NOT_AUTHORIZED;
  } else if (zr.result != MBMSEC_ZN_SUCCESS || zr.impi_len == 0 ||
             zr.impi_len > MBMSEC_ZN_IMPI_MAX) {
    *status = 503;
    *reason = MBMSEC_UA_R_ZN_ERROR;
  } else if (now >= zr.key_expiry) {
    *status = 401;
    *reason = MBMSEC_UA_R_KEY_EXPIRED;
  }
  if (*status != 0) goto out;
  memset(ent, 0, sizeof *ent);
  memcpy(ent->btid, btid.p, btid.len);
  ent->btid_len = btid.len;
  memcpy(ent->impi, zr.impi, zr.impi_len);
  ent->impi_len = zr.impi_len;
  memcpy(ent->ks_naf, zr.ks_naf, sizeof ent->ks_naf);
  ent->key_expiry = zr.key_expiry;
  GUARD_OUT(mbmsec_gba_mrk_muk(ent->ks_naf, ua->mode, ent->mrk, ent->muk));
  GUARD_OUT(entry_ha1(ua, ent));
  ua_cache_put(ua, ent);
out:
  mbmsec_cleanse(&zr, sizeof zr);
  return rc;
}

mbmsec_err mbmsec_ua_btid_muk(mbmsec_ua *ua, const char *btid, size_t btid_len,
                              uint8_t muk[MBMSEC_GBA_KEY_LEN], char impi[MBMSEC_ZN_IMPI_MAX + 1],
                              mbmsec_ua_reason *reason)
{
  ENSURE(ua && btid && muk && impi && reason, MBMSEC_ERR_ARG);
  ua_cache_entry ent;
  unsigned status = 0;
  memset(&ent, 0, sizeof ent);
  mbmsec_cleanse(muk, MBMSEC_GBA_KEY_LEN);
  memset(impi, 0, MBMSEC_ZN_IMPI_MAX + 1);
  *reason = MBMSEC_UA_R_BTID_UNKNOWN;
  if (btid_len == 0 || btid_len > MBMSEC_UA_BTID_MAX) return MBMSEC_OK;
  mbmsec_err rc =
      btid_keys(ua, (mbmsec_digest_str){btid, btid_len}, ua_now(ua), &ent, &status, reason);
  if (rc != MBMSEC_OK)
    *reason = MBMSEC_UA_R_INTERNAL;
  else if (status == 0) {
    memcpy(muk, ent.muk, MBMSEC_GBA_KEY_LEN);
    memcpy(impi, ent.impi, ent.impi_len);
    *reason = MBMSEC_UA_R_OK;
  }
  mbmsec_cleanse(&ent, sizeof ent);
  return rc;
}

/* Steps 1-7; on MBMSEC_OK dec holds the decision. */
static mbmsec_err decide(mbmsec_ua *ua, const mbmsec_ua_request *req, mbmsec_ua_decision *dec)
{
  mbmsec_digest_header h;
  ua_cache_entry ent;
  mbmsec_digest_input in;
  mbmsec_err rc = MBMSEC_OK;
  memset(&ent, 0, sizeof ent);

  /* 1: present, Digest, our algorithm, qop=auth-int, our realm */
  if (!req->authorization) return refuse(ua, dec, 401, MBMSEC_UA_R_NO_AUTH, false);
  const mbmsec_err prc =
      mbmsec_digest_parse_authorization(req->authorization, req->authorization_len, 0, &h);
  if (prc != MBMSEC_OK) return refuse_parse(ua, dec, prc);
  if (!alg_configured(ua, h.algorithm)) return refuse(ua, dec, 401, MBMSEC_UA_R_ALGORITHM, false);
  if (h.qop != MBMSEC_DIGEST_QOP_AUTH_INT) return refuse(ua, dec, 401, MBMSEC_UA_R_QOP, false);
  if (!str_eq(h.realm, ua->realm, ua->realm_len))
    return refuse(ua, dec, 401, MBMSEC_UA_R_REALM, false);
  /* 2: uri names the request-target, byte for byte */
  if (!str_eq(h.uri, req->target, req->target_len))
    return refuse(ua, dec, 400, MBMSEC_UA_R_URI, false);
  /* 3: a nonce of ours */
  int64_t issued = 0;
  uint64_t serial = 0;
  if (!ua_nonce_parse(ua, h.nonce.p, h.nonce.len, &issued, &serial))
    return refuse(ua, dec, 401, MBMSEC_UA_R_NONCE_UNKNOWN, false);
  /* 4: B-TID -> Ks_NAF, MRK, MUK */
  if (h.username.len > MBMSEC_UA_BTID_MAX)
    return refuse(ua, dec, 401, MBMSEC_UA_R_BTID_UNKNOWN, false);
  const int64_t now = ua_now(ua);
  unsigned status = 0;
  mbmsec_ua_reason reason = MBMSEC_UA_R_OK;
  GUARD_OUT(btid_keys(ua, h.username, now, &ent, &status, &reason));
  if (status != 0) {
    rc = refuse(ua, dec, status, reason, false);
    goto out;
  }
  /* 5: expected response over H(body), compared in constant time; HA1 (password
   * base64(MRK)) was computed when the B-TID's entry was filled: username = the entry's B-TID,
   * realm = ours (step 1), algorithm configured (step 1). */
  const int ai = alg_index(ua, h.algorithm);
  ENSURE_OUT(ai >= 0, MBMSEC_ERR_ARG);
  GUARD_OUT(
      mbmsec_digest_input_from_authorization(&h, (mbmsec_digest_str){req->method, req->method_len},
                                             NULL, 0, req->body, req->body_len, &in));
  memcpy(dec->ha1, ent.ha1[ai], sizeof dec->ha1);
  in.ha1_hex = dec->ha1;
  const mbmsec_err vrc = mbmsec_digest_verify(&in, h.response);
  if (vrc == MBMSEC_ERR_DIGEST_MISMATCH || vrc == MBMSEC_ERR_DIGEST_BAD_RESPONSE) {
    ua_cache_fail(ua, h.username.p, h.username.len);
    rc = refuse(ua, dec, 401, MBMSEC_UA_R_MISMATCH, false);
    goto out;
  }
  GUARD_OUT(vrc);
  /* 6: the nonce's age */
  if (now - issued > (int64_t)ua->lifetime) {
    rc = refuse(ua, dec, 401, MBMSEC_UA_R_STALE, true);
    goto out;
  }
  /* 7: nc above the highest accepted for this nonce */
  const ua_nc_result ncr = ua_nonce_accept_nc(ua, serial, h.nc_value);
  if (ncr != UA_NC_OK) {
    rc = refuse(ua, dec, 401,
                ncr == UA_NC_REPLAY ? MBMSEC_UA_R_NC_REPLAY : MBMSEC_UA_R_NONCE_EVICTED, true);
    goto out;
  }
  dec->status = 200;
  dec->reason = MBMSEC_UA_R_OK;
  memcpy(dec->btid, h.username.p, h.username.len);
  dec->btid_len = h.username.len;
  memcpy(dec->impi, ent.impi, ent.impi_len);
  dec->impi_len = ent.impi_len;
  memcpy(dec->muk, ent.muk, sizeof dec->muk);
  dec->key_expiry = ent.key_expiry;
  dec->alg = h.algorithm;
  dec->qop = h.qop;
  memcpy(dec->nonce, h.nonce.p, h.nonce.len);
  memcpy(dec->nc, h.nc, sizeof dec->nc);
  dec->nc_value = h.nc_value;
  memcpy(dec->cnonce, h.cnonce.p, h.cnonce.len);
  dec->cnonce_len = h.cnonce.len;
  memcpy(dec->uri, h.uri.p, h.uri.len);
  dec->uri_len = h.uri.len;
  count(&ua->c_successes);
out:
  mbmsec_cleanse(&ent, sizeof ent);
  return rc;
}

mbmsec_err mbmsec_ua_check(mbmsec_ua *ua, const mbmsec_ua_request *req, mbmsec_ua_decision *dec)
{
  ENSURE(ua && req && dec, MBMSEC_ERR_ARG);
  memset(dec, 0, sizeof *dec);
  ENSURE((req->method || req->method_len == 0) && (req->target || req->target_len == 0) &&
             (req->body || req->body_len == 0) &&
             (req->authorization || req->authorization_len == 0),
         MBMSEC_ERR_ARG);
  const mbmsec_err rc = decide(ua, req, dec);
  if (rc != MBMSEC_OK) {
    mbmsec_cleanse(dec, sizeof *dec);
    dec->status = 500;
    dec->reason = MBMSEC_UA_R_INTERNAL;
    count(&ua->c_fail[MBMSEC_UA_R_INTERNAL]);
  }
  return rc;
}

mbmsec_err mbmsec_ua_challenge(mbmsec_ua *ua, bool stale, mbmsec_ua_decision *dec)
{
  ENSURE(ua && dec, MBMSEC_ERR_ARG);
  const mbmsec_err rc = challenge_into(ua, stale, MBMSEC_UA_R_NO_AUTH, dec);
  if (rc != MBMSEC_OK) {
    mbmsec_cleanse(dec, sizeof *dec);
    dec->status = 500;
    dec->reason = MBMSEC_UA_R_INTERNAL;
  }
  return rc;
}

mbmsec_err mbmsec_ua_auth_info(mbmsec_ua *ua, const mbmsec_ua_decision *dec,
                               const uint8_t *resp_body, size_t resp_body_len, bool nextnonce,
                               char *out, size_t cap, size_t *outlen)
{
  ENSURE(ua && dec && out && (resp_body || resp_body_len == 0), MBMSEC_ERR_ARG);
  ENSURE(dec->status == 200 && dec->qop == MBMSEC_DIGEST_QOP_AUTH_INT &&
             alg_configured(ua, dec->alg) &&
             strnlen(dec->ha1, sizeof dec->ha1) == mbmsec_digest_hex_len(dec->alg) &&
             dec->btid_len <= MBMSEC_UA_BTID_MAX && dec->cnonce_len > 0 &&
             dec->cnonce_len <= MBMSEC_DIGEST_VALUE_MAX &&
             dec->uri_len <= MBMSEC_DIGEST_VALUE_MAX && strnlen(dec->nc, sizeof dec->nc) == 8 &&
             strnlen(dec->nonce, sizeof dec->nonce) == MBMSEC_UA_NONCE_LEN,
         MBMSEC_ERR_UA_DECISION);
  mbmsec_digest_input in;
  mbmsec_digest_header h;
  char rspauth[MBMSEC_DIGEST_HEX_MAX + 1];
  char nn[MBMSEC_UA_NONCE_LEN + 1];
  memset(&in, 0, sizeof in);
  in.alg = dec->alg;
  in.qop = MBMSEC_DIGEST_QOP_AUTH_INT;
  in.username = (mbmsec_digest_str){dec->btid, dec->btid_len};
  in.realm = (mbmsec_digest_str){ua->realm, ua->realm_len};
  in.nonce = (mbmsec_digest_str){dec->nonce, MBMSEC_UA_NONCE_LEN};
  in.cnonce = (mbmsec_digest_str){dec->cnonce, dec->cnonce_len};
  in.nc = (mbmsec_digest_str){dec->nc, 8};
  in.method = (mbmsec_digest_str){"", 0};
  in.uri = (mbmsec_digest_str){dec->uri, dec->uri_len};
  in.ha1_hex = dec->ha1;
  GUARD(mbmsec_digest_rspauth(&in, resp_body, resp_body_len, rspauth, sizeof rspauth));
  memset(&h, 0, offsetof(mbmsec_digest_header, arena));
  h.present =
      MBMSEC_DIGEST_F_QOP | MBMSEC_DIGEST_F_RSPAUTH | MBMSEC_DIGEST_F_CNONCE | MBMSEC_DIGEST_F_NC;
  h.qop = MBMSEC_DIGEST_QOP_AUTH_INT;
  h.rspauth = mbmsec_digest_s(rspauth);
  h.cnonce = in.cnonce;
  memcpy(h.nc, dec->nc, sizeof h.nc);
  h.nc_value = dec->nc_value;
  if (nextnonce) {
    GUARD(ua_nonce_issue(ua, nn));
    h.nextnonce = (mbmsec_digest_str){nn, MBMSEC_UA_NONCE_LEN};
    h.present |= MBMSEC_DIGEST_F_NEXTNONCE;
  }
  return mbmsec_digest_build_auth_info(&h, out, cap, outlen);
}

void mbmsec_ua_decision_cleanse(mbmsec_ua_decision *dec)
{
  if (!dec) return;
  /* The secrets with the cleanse that is never optimised away, then the ~4 KiB of the rest
   * (identifiers and echoed directives, all seen on the wire) with a plain memset: an
   * OPENSSL_cleanse of the whole struct was ~0.3 us per key request. */
  mbmsec_cleanse(dec->muk, sizeof dec->muk);
  mbmsec_cleanse(dec->ha1, sizeof dec->ha1);
  memset(dec, 0, sizeof *dec);
}
