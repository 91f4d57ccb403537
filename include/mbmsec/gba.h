/* mbmsec: GBA_ME key derivation (TS 33.220 Annex B) and the MBMS keys on top of it.
 *
 * KDF(Key, FC, P0..Pn) = HMAC-SHA-256(Key, FC || P0 || L0 || ... || Pn || Ln), Li the length of
 * Pi in 2 octets big-endian. Ks = CK || IK; Ks_NAF = KDF(Ks, 0x01, "gba-me", RAND, IMPI,
 * NAF_Id) with NAF_Id = FQDN || Ua security protocol id; MRK and MUK from Ks_NAF per profile P1.
 * Character strings (IMPI, FQDN) are taken as given: the caller passes UTF-8 already in NFKC
 * (B.2.1; a no-op for ASCII). All outputs are secrets except the B-TID and NAF_Id: cleanse them.
 */
#ifndef MBMSEC_GBA_H
#define MBMSEC_GBA_H
#include <stddef.h>
#include <stdint.h>
#include "mbmsec/crypto.h"
#include "mbmsec/error.h"

#define MBMSEC_GBA_CK_LEN         16
#define MBMSEC_GBA_IK_LEN         16
#define MBMSEC_GBA_RAND_LEN       16
#define MBMSEC_GBA_KS_LEN         32 /* CK || IK */
#define MBMSEC_GBA_KEY_LEN        32 /* every KDF output: Ks_NAF, MRK, MUK */
#define MBMSEC_GBA_UA_PROTO_LEN   5
#define MBMSEC_GBA_KDF_PARAM_MAX  65535 /* Li is two octets */
#define MBMSEC_GBA_KDF_PARAMS_MAX 16    /* P0..P15; the GBA uses at most four */
/* FC 0xFF announces a two-octet FC (B.2); not supported. */
#define MBMSEC_GBA_KDF_FC_EXTENDED 0xFF
/* Ks_NAF FC and its P0 (TS 33.220 B.3, GBA_ME). */
#define MBMSEC_GBA_FC_KS_NAF 0x01
#define MBMSEC_GBA_P0_GBA_ME "gba-me"
/* TMPI (TS 33.220 B.4): BSF_Id = BSF DNS name || this id; realm appended after '@'. */
#define MBMSEC_GBA_TMPI_PROTO_ID \
  {                              \
    0x01, 0x00, 0x00, 0x01, 0x00 \
  }
#define MBMSEC_GBA_TMPI_REALM      "tmpi.bsf.3gppnetwork.org"
#define MBMSEC_GBA_TMPI_KEY_OCTETS 24
/* base64 of 32 octets and its NUL: the Digest password buffer. */
#define MBMSEC_GBA_PASSWORD_SIZE 45

/* Profile P1, config gba.mrk_muk_mode. */
typedef enum {
  MBMSEC_MRK_MUK_KDF = 0,  /* MRK = KDF(Ks_NAF, "mbms-mrk"), MUK = KDF(Ks_NAF, "mbms-muk") */
  MBMSEC_MRK_MUK_NONE = 1, /* MRK = MUK = Ks_NAF */
} mbmsec_mrk_muk_mode;

/* out = KDF(key, fc, params[0..nparams-1]) (32 octets). S is fed to HMAC piecewise, never
 * copied. @return MBMSEC_OK, MBMSEC_ERR_ARG (NULL pointer, nparams 0 or above
 * MBMSEC_GBA_KDF_PARAMS_MAX), MBMSEC_ERR_KDF_FC (fc 0xFF), MBMSEC_ERR_KDF_PARAM_LEN (a
 * parameter above 65535 octets), MBMSEC_ERR_CRYPTO. */
mbmsec_err mbmsec_gba_kdf(const uint8_t *key, size_t key_len, uint8_t fc, const mbmsec_iov *params,
                          size_t nparams, uint8_t out[MBMSEC_GBA_KEY_LEN]);

/* ks = CK || IK. */
void mbmsec_gba_ks(const uint8_t ck[MBMSEC_GBA_CK_LEN], const uint8_t ik[MBMSEC_GBA_IK_LEN],
                   uint8_t ks[MBMSEC_GBA_KS_LEN]);

/* NAF_Id = fqdn || ua_proto (5 octets; NULL = MBMSEC_MBMS_UA_PROTO_ID of profile.h), as sent on Zn.
 * @return MBMSEC_OK, MBMSEC_ERR_ARG, MBMSEC_ERR_KDF_PARAM_LEN (fqdn_len + 5 > 65535),
 * MBMSEC_ERR_SPACE (cap < fqdn_len + 5). */
mbmsec_err mbmsec_gba_naf_id(const char *fqdn, size_t fqdn_len, const uint8_t *ua_proto,
                             uint8_t *out, size_t cap, size_t *out_len);

/* Ks_NAF = KDF(ks, 0x01, "gba-me", rand, impi, naf_id), naf_id the raw NAF_Id octets (as on
 * Zn). @return MBMSEC_OK, MBMSEC_ERR_ARG, MBMSEC_ERR_KDF_PARAM_LEN, MBMSEC_ERR_CRYPTO. */
mbmsec_err mbmsec_gba_ks_naf(const uint8_t ks[MBMSEC_GBA_KS_LEN],
                             const uint8_t rand[MBMSEC_GBA_RAND_LEN], const char *impi,
                             size_t impi_len, const uint8_t *naf_id, size_t naf_id_len,
                             uint8_t ks_naf[MBMSEC_GBA_KEY_LEN]);

/* The same with NAF_Id = fqdn || ua_proto (NULL = MBMSEC_MBMS_UA_PROTO_ID), without a copy.
 * @return MBMSEC_OK, MBMSEC_ERR_ARG, MBMSEC_ERR_KDF_PARAM_LEN, MBMSEC_ERR_CRYPTO. */
mbmsec_err mbmsec_gba_ks_naf_fqdn(const uint8_t ks[MBMSEC_GBA_KS_LEN],
                                  const uint8_t rand[MBMSEC_GBA_RAND_LEN], const char *impi,
                                  size_t impi_len, const char *fqdn, size_t fqdn_len,
                                  const uint8_t *ua_proto, uint8_t ks_naf[MBMSEC_GBA_KEY_LEN]);

/* MRK and MUK from Ks_NAF (profile P1). On error both outputs are zero.
 * @return MBMSEC_OK, MBMSEC_ERR_ARG (NULL pointer, unknown mode), MBMSEC_ERR_CRYPTO. */
mbmsec_err mbmsec_gba_mrk_muk(const uint8_t ks_naf[MBMSEC_GBA_KEY_LEN], mbmsec_mrk_muk_mode mode,
                              uint8_t mrk[MBMSEC_GBA_KEY_LEN], uint8_t muk[MBMSEC_GBA_KEY_LEN]);

/* "kdf" / "none" (the config value) to the mode. @return MBMSEC_OK, MBMSEC_ERR_ARG. */
mbmsec_err mbmsec_gba_mode_parse(const char *s, mbmsec_mrk_muk_mode *mode);
/* The config spelling of a mode; "?" for an unknown value. */
const char *mbmsec_gba_mode_name(mbmsec_mrk_muk_mode mode);

/* HTTP Digest password = base64(MRK), NUL-terminated (44 characters).
 * @return MBMSEC_OK, MBMSEC_ERR_ARG, MBMSEC_ERR_SPACE (cap < MBMSEC_GBA_PASSWORD_SIZE). */
mbmsec_err mbmsec_gba_digest_password(const uint8_t mrk[MBMSEC_GBA_KEY_LEN], char *out, size_t cap);

/* B-TID = base64(RAND) "@" bsf_fqdn, NUL-terminated; needs 24 + 1 + bsf_len + 1 bytes.
 * @return MBMSEC_OK, MBMSEC_ERR_ARG (NULL pointer or empty name), MBMSEC_ERR_SPACE. */
mbmsec_err mbmsec_gba_btid(const uint8_t rand[MBMSEC_GBA_RAND_LEN], const char *bsf_fqdn,
                           size_t bsf_len, char *out, size_t cap, size_t *out_len);

/* TMPI = base64(first 24 octets of KDF(ks, 0x01, "gba-me", rand, impi, BSF_Id)) "@"
 * MBMSEC_GBA_TMPI_REALM, BSF_Id = bsf_fqdn || MBMSEC_GBA_TMPI_PROTO_ID; NUL-terminated,
 * 32 + 1 + 24 characters. @return MBMSEC_OK, MBMSEC_ERR_ARG, MBMSEC_ERR_KDF_PARAM_LEN,
 * MBMSEC_ERR_SPACE (cap < 58), MBMSEC_ERR_CRYPTO. */
mbmsec_err mbmsec_gba_tmpi(const uint8_t ks[MBMSEC_GBA_KS_LEN],
                           const uint8_t rand[MBMSEC_GBA_RAND_LEN], const char *impi,
                           size_t impi_len, const char *bsf_fqdn, size_t bsf_len, char *out,
                           size_t cap);
#define MBMSEC_GBA_TMPI_SIZE 58

#endif
