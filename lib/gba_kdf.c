/* TS 33.220 Annex B KDF and the GBA_ME / MBMS keys derived with it (gba.md section 3,
 * profile P1). S = FC || P0 || L0 || ... is handed to HMAC as a list of pieces, so no
 * parameter (some are key material) is ever copied into a scratch buffer. */
#include "mbmsec/gba.h"

#include <string.h>

#include "guard.h"
#include "mbmsec/encode.h"
#include "mbmsec/profile.h"

/* One KDF parameter as up to two adjacent pieces: NAF_Id = FQDN || Ua protocol id is one
 * parameter whose two halves live in different places. */
typedef struct {
  mbmsec_iov a, b;
} kdf_param;

static const uint8_t UA_MBMS[MBMSEC_GBA_UA_PROTO_LEN] = MBMSEC_MBMS_UA_PROTO_ID;
static const uint8_t UA_TMPI[MBMSEC_GBA_UA_PROTO_LEN] = MBMSEC_GBA_TMPI_PROTO_ID;

static mbmsec_err kdf(const uint8_t *key, size_t key_len, uint8_t fc, const kdf_param *p, size_t n,
                      uint8_t out[MBMSEC_GBA_KEY_LEN])
{
  ENSURE(out && (key || key_len == 0) && p, MBMSEC_ERR_ARG);
  ENSURE(n >= 1 && n <= MBMSEC_GBA_KDF_PARAMS_MAX, MBMSEC_ERR_ARG);
  ENSURE(fc != MBMSEC_GBA_KDF_FC_EXTENDED, MBMSEC_ERR_KDF_FC);
  uint8_t lens[MBMSEC_GBA_KDF_PARAMS_MAX][2];
  mbmsec_iov parts[1 + 3 * MBMSEC_GBA_KDF_PARAMS_MAX];
  size_t np = 0;
  parts[np++] = (mbmsec_iov){&fc, 1};
  for (size_t i = 0; i < n; i++) {
    ENSURE((p[i].a.p || p[i].a.len == 0) && (p[i].b.p || p[i].b.len == 0), MBMSEC_ERR_ARG);
    /* Two-step check so that a.len + b.len cannot wrap. */
    ENSURE(p[i].a.len <= MBMSEC_GBA_KDF_PARAM_MAX &&
               p[i].b.len <= MBMSEC_GBA_KDF_PARAM_MAX - p[i].a.len,
           MBMSEC_ERR_KDF_PARAM_LEN);
    size_t len = p[i].a.len + p[i].b.len;
    lens[i][0] = (uint8_t)(len >> 8);
    lens[i][1] = (uint8_t)len;
    parts[np++] = p[i].a;
    parts[np++] = p[i].b;
    parts[np++] = (mbmsec_iov){lens[i], 2};
  }
  return mbmsec_hmac(MBMSEC_MD_SHA256, key, key_len, parts, np, out);
}

mbmsec_err mbmsec_gba_kdf(const uint8_t *key, size_t key_len, uint8_t fc, const mbmsec_iov *params,
                          size_t nparams, uint8_t out[MBMSEC_GBA_KEY_LEN])
{
  ENSURE(params && nparams >= 1 && nparams <= MBMSEC_GBA_KDF_PARAMS_MAX, MBMSEC_ERR_ARG);
  kdf_param p[MBMSEC_GBA_KDF_PARAMS_MAX];
  for (size_t i = 0; i < nparams; i++) p[i] = (kdf_param){params[i], {NULL, 0}};
  return kdf(key, key_len, fc, p, nparams, out);
}

void mbmsec_gba_ks(const uint8_t ck[MBMSEC_GBA_CK_LEN], const uint8_t ik[MBMSEC_GBA_IK_LEN],
                   uint8_t ks[MBMSEC_GBA_KS_LEN])
{
  memcpy(ks, ck, MBMSEC_GBA_CK_LEN);
  memcpy(ks + MBMSEC_GBA_CK_LEN, ik, MBMSEC_GBA_IK_LEN);
}

mbmsec_err mbmsec_gba_naf_id(const char *fqdn, size_t fqdn_len, const uint8_t *ua_proto,
                             uint8_t *out, size_t cap, size_t *out_len)
{
  ENSURE((fqdn || fqdn_len == 0) && out && out_len, MBMSEC_ERR_ARG);
  ENSURE(fqdn_len <= MBMSEC_GBA_KDF_PARAM_MAX - MBMSEC_GBA_UA_PROTO_LEN, MBMSEC_ERR_KDF_PARAM_LEN);
  ENSURE(cap >= fqdn_len + MBMSEC_GBA_UA_PROTO_LEN, MBMSEC_ERR_SPACE);
  if (fqdn_len) memcpy(out, fqdn, fqdn_len);
  memcpy(out + fqdn_len, ua_proto ? ua_proto : UA_MBMS, MBMSEC_GBA_UA_PROTO_LEN);
  *out_len = fqdn_len + MBMSEC_GBA_UA_PROTO_LEN;
  return MBMSEC_OK;
}

/* Ks_NAF (and the TMPI key) with NAF_Id given as its two halves. */
static mbmsec_err derive_ks_naf(const uint8_t *ks, const uint8_t *rand, const char *impi,
                                size_t impi_len, mbmsec_iov naf_a, mbmsec_iov naf_b, uint8_t *out)
{
  ENSURE(ks && rand, MBMSEC_ERR_ARG);
  static const char P0[] = MBMSEC_GBA_P0_GBA_ME;
  const kdf_param p[4] = {
      {{P0, sizeof P0 - 1}, {NULL, 0}},
      {{rand, MBMSEC_GBA_RAND_LEN}, {NULL, 0}},
      {{impi, impi_len}, {NULL, 0}},
      {naf_a, naf_b},
  };
  return kdf(ks, MBMSEC_GBA_KS_LEN, MBMSEC_GBA_FC_KS_NAF, p, 4, out);
}

mbmsec_err mbmsec_gba_ks_naf(const uint8_t ks[MBMSEC_GBA_KS_LEN],
                             const uint8_t rand[MBMSEC_GBA_RAND_LEN], const char *impi,
                             size_t impi_len, const uint8_t *naf_id, size_t naf_id_len,
                             uint8_t ks_naf[MBMSEC_GBA_KEY_LEN])
{
  return derive_ks_naf(ks, rand, impi, impi_len, (mbmsec_iov){naf_id, naf_id_len},
                       (mbmsec_iov){NULL, 0}, ks_naf);
}

mbmsec_err mbmsec_gba_ks_naf_fqdn(const uint8_t ks[MBMSEC_GBA_KS_LEN],
                                  const uint8_t rand[MBMSEC_GBA_RAND_LEN], const char *impi,
                                  size_t impi_len, const char *fqdn, size_t fqdn_len,
                                  const uint8_t *ua_proto, uint8_t ks_naf[MBMSEC_GBA_KEY_LEN])
{
  return derive_ks_naf(ks, rand, impi, impi_len, (mbmsec_iov){fqdn, fqdn_len},
                       (mbmsec_iov){ua_proto ? ua_proto : UA_MBMS, MBMSEC_GBA_UA_PROTO_LEN},
                       ks_naf);
}

mbmsec_err mbmsec_gba_mrk_muk(const uint8_t ks_naf[MBMSEC_GBA_KEY_LEN], mbmsec_mrk_muk_mode mode,
                              uint8_t mrk[MBMSEC_GBA_KEY_LEN], uint8_t muk[MBMSEC_GBA_KEY_LEN])
{
  ENSURE(ks_naf && mrk && muk, MBMSEC_ERR_ARG);
  mbmsec_err rc = MBMSEC_OK;
  if (mode == MBMSEC_MRK_MUK_NONE) {
    memmove(mrk, ks_naf, MBMSEC_GBA_KEY_LEN);
    memmove(muk, ks_naf, MBMSEC_GBA_KEY_LEN);
    return MBMSEC_OK;
  }
  ENSURE_OUT(mode == MBMSEC_MRK_MUK_KDF, MBMSEC_ERR_ARG);
  static const char MRK_P0[] = MBMSEC_MBMS_MRK_P0, MUK_P0[] = MBMSEC_MBMS_MUK_P0;
  /* Write through a temporary: ks_naf may alias mrk (the caller derives in place). */
  uint8_t t[2][MBMSEC_GBA_KEY_LEN];
  const kdf_param pm = {{MRK_P0, sizeof MRK_P0 - 1}, {NULL, 0}};
  const kdf_param pu = {{MUK_P0, sizeof MUK_P0 - 1}, {NULL, 0}};
  rc = kdf(ks_naf, MBMSEC_GBA_KEY_LEN, MBMSEC_MBMS_KDF_FC, &pm, 1, t[0]);
  if (rc == MBMSEC_OK) rc = kdf(ks_naf, MBMSEC_GBA_KEY_LEN, MBMSEC_MBMS_KDF_FC, &pu, 1, t[1]);
  if (rc == MBMSEC_OK) {
    memcpy(mrk, t[0], MBMSEC_GBA_KEY_LEN);
    memcpy(muk, t[1], MBMSEC_GBA_KEY_LEN);
  }
  mbmsec_cleanse(t, sizeof t);
out:
  if (rc != MBMSEC_OK) {
    mbmsec_cleanse(mrk, MBMSEC_GBA_KEY_LEN);
    mbmsec_cleanse(muk, MBMSEC_GBA_KEY_LEN);
  }
  return rc;
}

mbmsec_err mbmsec_gba_mode_parse(const char *s, mbmsec_mrk_muk_mode *mode)
{
  ENSURE(s && mode, MBMSEC_ERR_ARG);
  if (!strcmp(s, "kdf"))
    *mode = MBMSEC_MRK_MUK_KDF;
  else if (!strcmp(s, "none"))
    *mode = MBMSEC_MRK_MUK_NONE;
  else
    return MBMSEC_ERR_ARG;
  return MBMSEC_OK;
}

const char *mbmsec_gba_mode_name(mbmsec_mrk_muk_mode mode)
{
  switch (mode) {
  case MBMSEC_MRK_MUK_KDF:
    return "kdf";
  case MBMSEC_MRK_MUK_NONE:
    return "none";
  }
  return "?";
}

mbmsec_err mbmsec_gba_digest_password(const uint8_t mrk[MBMSEC_GBA_KEY_LEN], char *out, size_t cap)
{
  ENSURE(mrk && out, MBMSEC_ERR_ARG);
  ENSURE(cap >= MBMSEC_GBA_PASSWORD_SIZE, MBMSEC_ERR_SPACE);
  size_t n = 0;
  return mbmsec_b64_encode(mrk, MBMSEC_GBA_KEY_LEN, out, cap, &n);
}

mbmsec_err mbmsec_gba_btid(const uint8_t rand[MBMSEC_GBA_RAND_LEN], const char *bsf_fqdn,
                           size_t bsf_len, char *out, size_t cap, size_t *out_len)
{
  ENSURE(rand && bsf_fqdn && bsf_len > 0 && out && out_len, MBMSEC_ERR_ARG);
  const size_t b64 = MBMSEC_B64_LEN(MBMSEC_GBA_RAND_LEN);
  ENSURE(bsf_len < SIZE_MAX - b64 - 2 && cap >= b64 + 1 + bsf_len + 1, MBMSEC_ERR_SPACE);
  size_t n = 0;
  GUARD(mbmsec_b64_encode(rand, MBMSEC_GBA_RAND_LEN, out, cap, &n));
  out[n++] = '@';
  memcpy(out + n, bsf_fqdn, bsf_len);
  n += bsf_len;
  out[n] = '\0';
  *out_len = n;
  return MBMSEC_OK;
}

mbmsec_err mbmsec_gba_tmpi(const uint8_t ks[MBMSEC_GBA_KS_LEN],
                           const uint8_t rand[MBMSEC_GBA_RAND_LEN], const char *impi,
                           size_t impi_len, const char *bsf_fqdn, size_t bsf_len, char *out,
                           size_t cap)
{
  ENSURE(out && (bsf_fqdn || bsf_len == 0), MBMSEC_ERR_ARG);
  ENSURE(cap >= MBMSEC_GBA_TMPI_SIZE, MBMSEC_ERR_SPACE);
  uint8_t k[MBMSEC_GBA_KEY_LEN];
  size_t n = 0;
  mbmsec_err rc = derive_ks_naf(ks, rand, impi, impi_len, (mbmsec_iov){bsf_fqdn, bsf_len},
                                (mbmsec_iov){UA_TMPI, MBMSEC_GBA_UA_PROTO_LEN}, k);
  if (rc == MBMSEC_OK) rc = mbmsec_b64_encode(k, MBMSEC_GBA_TMPI_KEY_OCTETS, out, cap, &n);
  mbmsec_cleanse(k, sizeof k);
  if (rc != MBMSEC_OK) return rc;
  out[n++] = '@';
  memcpy(out + n, MBMSEC_GBA_TMPI_REALM, sizeof MBMSEC_GBA_TMPI_REALM); /* with its NUL */
  return MBMSEC_OK;
}
