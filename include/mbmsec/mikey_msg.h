/* mbmsec: the MBMS profile MIKEY messages (mikey.md section 6 and 7, profile P7-P10).
 *
 *  - MSK message (BM-SC -> one UE, PSK = the UE's MUK):
 *      HDR(type 0, V as asked) EXT(Key ID: KDID, MSK ID) T(COUNTER) RAND(16) IDi(NAI, BM-SC FQDN)
 *      IDr(NAI, B-TID) KEMAC(AES-CM-128, HMAC-SHA-1-160; key data TGK, KV Interval VF/VT 2 octets)
 *    A solicited pull (P10) is the same message with an empty key data chain (encr data len 0).
 *  - MTK message (BM-SC -> all UEs, PSK = the MSK):
 *      HDR(type 0, V 0) EXT(KDID, MSK ID, MTK ID) T(COUNTER) RAND(16) KEMAC(key data TGK+SALT, KV NULL)
 *  - Verification message (UE -> BM-SC, answers an MSK message with V = 1, PSK = MUK):
 *      HDR(type 1, same CSB ID) T(echo) IDr(NAI, B-TID) V(HMAC-SHA-1-160 over the message without
 *      the MAC || IDi data || IDr data || TS value (4 octets)).
 *
 * Builders draw CSB ID and RAND from mbmsec_random unless the caller fixes them (tests and
 * worked examples). Verifiers check, in this order: the MIKEY syntax and the profile layout,
 * the key (found through a caller callback from the IDs), the MAC (constant time), the replay
 * counter, then decrypt and check the key data and the key-ID rules. They keep no state:
 * the UE receiver state (counters, stored MSKs) is mbmsec/mikey_state.h.
 *
 * NULL encryption and the NULL MAC are refused (MBMSEC_ERR_MIKEY_NULL_ALG) unless the
 * TEST-ONLY option test_allow_null is set; never set it outside tests.
 */
#ifndef MBMSEC_MIKEY_MSG_H
#define MBMSEC_MIKEY_MSG_H
#include <stddef.h>
#include <stdint.h>
#include "mbmsec/error.h"
#include "mbmsec/profile.h"

#define MBMSEC_MIKEY_ID_MAX  255 /* longest IDi / IDr a receiver keeps */
#define MBMSEC_MIKEY_PSK_MAX 32  /* longest MUK / MSK */
/* Largest messages: 108 + IDi + IDr (MSK), 114 (MTK), 42 + IDr (verification). */
#define MBMSEC_MIKEY_MSK_MSG_MAX (108 + 2 * MBMSEC_MIKEY_ID_MAX)
#define MBMSEC_MIKEY_MTK_MSG_LEN 114
#define MBMSEC_MIKEY_VER_MSG_MAX (42 + MBMSEC_MIKEY_ID_MAX)

/* Options; a NULL pointer means all zero. */
typedef struct {
  /* TEST ONLY. Verifiers accept NULL encryption and the NULL MAC (no MAC is checked!). */
  int test_allow_null;
  /* TEST ONLY. Builders send NULL encryption (key data in clear) / the NULL MAC (no MAC). */
  int test_null_encr;
  int test_null_mac;
  /* Verifiers: the Key Domain ID (MBMSEC_KDID_LEN octets) the receiver expects; NULL = any. */
  const uint8_t *expect_kdid;
} mbmsec_mikey_opts;

/* What a verifier asks the key callback for. */
typedef enum { MBMSEC_MIKEY_KEY_MUK = 0, MBMSEC_MIKEY_KEY_MSK = 1 } mbmsec_mikey_key_kind;
typedef struct {
  mbmsec_mikey_key_kind kind;
  /* MUK: the MUK ID = IDi data (BM-SC FQDN) + IDr data (B-TID) of the MSK message. */
  const uint8_t *idi;
  size_t idi_len;
  const uint8_t *idr;
  size_t idr_len;
  /* MSK: Key Domain ID (MBMSEC_KDID_LEN) and MSK ID (MBMSEC_MSK_ID_LEN) of the MTK message. */
  const uint8_t *kdid;
  const uint8_t *msk_id;
} mbmsec_mikey_key_ref;

/* The callback's answer: the pre-shared key and the replay state kept under it. */
typedef struct {
  uint8_t key[MBMSEC_MIKEY_PSK_MAX];
  size_t key_len;   /* 1..MBMSEC_MIKEY_PSK_MAX */
  uint32_t counter; /* last accepted counter; 0 when none (counter 0 is then never accepted) */
  /* MSK only: the MTK-ID interval of the MSK and the last accepted MTK ID. */
  uint16_t vf, vt;
  int has_last_mtk;
  uint16_t last_mtk_id;
} mbmsec_mikey_psk;

/* Fills *out and returns MBMSEC_OK, or returns an error (e.g. MBMSEC_ERR_MIKEY_UNKNOWN_KEY),
 * which the verifier passes on unchanged. The verifier cleanses *out afterwards. */
typedef mbmsec_err (*mbmsec_mikey_key_cb)(void *ctx, const mbmsec_mikey_key_ref *ref,
                                          mbmsec_mikey_psk *out);

/* What a builder chose: needed to check the verification message. */
typedef struct {
  uint32_t csb_id;
  uint8_t rand[MBMSEC_MIKEY_RAND_LEN];
  uint32_t counter;
} mbmsec_mikey_sent;

typedef struct {
  uint8_t kdid[MBMSEC_KDID_LEN];
  uint8_t msk_id[MBMSEC_MSK_ID_LEN]; /* Key Group (2) || key number (2) */
  const uint8_t *idi;                /* BM-SC FQDN, 1..MBMSEC_MIKEY_ID_MAX octets */
  size_t idi_len;
  const uint8_t *idr; /* B-TID, 1..MBMSEC_MIKEY_ID_MAX octets */
  size_t idr_len;
  uint32_t counter;   /* per-MUK counter */
  int v_flag;         /* ask for a verification message */
  const uint8_t *msk; /* MBMSEC_MBMS_MSK_LEN octets; NULL = solicited pull (P10) */
  uint16_t vf, vt;    /* MTK-ID interval, vf <= vt */
  int fixed;          /* 1: use csb_id and rand below instead of mbmsec_random */
  uint32_t csb_id;
  uint8_t rand[MBMSEC_MIKEY_RAND_LEN];
} mbmsec_mikey_msk_params;

typedef struct {
  uint8_t kdid[MBMSEC_KDID_LEN];
  uint8_t msk_id[MBMSEC_MSK_ID_LEN];
  uint16_t mtk_id;
  uint32_t counter;    /* per-MSK counter */
  const uint8_t *mtk;  /* MBMSEC_MBMS_MTK_LEN octets */
  const uint8_t *salt; /* MBMSEC_MBMS_MTK_SALT_LEN octets */
  int fixed;
  uint32_t csb_id;
  uint8_t rand[MBMSEC_MIKEY_RAND_LEN];
} mbmsec_mikey_mtk_params;

/* A verified MSK message. Holds the MSK: cleanse with mbmsec_mikey_msk_info_cleanse. */
typedef struct {
  uint32_t csb_id;
  uint32_t counter;
  uint8_t v_flag;
  uint8_t pull; /* 1: solicited pull, msk/vf/vt are zero */
  uint8_t kdid[MBMSEC_KDID_LEN];
  uint8_t msk_id[MBMSEC_MSK_ID_LEN];
  uint8_t msk[MBMSEC_MBMS_MSK_LEN];
  uint16_t vf, vt;
  uint8_t rand[MBMSEC_MIKEY_RAND_LEN];
  uint8_t idi[MBMSEC_MIKEY_ID_MAX];
  size_t idi_len;
  uint8_t idr[MBMSEC_MIKEY_ID_MAX];
  size_t idr_len;
} mbmsec_mikey_msk_info;

/* A verified MTK message. The SRTP MKI is msk_id || mtk_id. Cleanse when done. */
typedef struct {
  uint32_t csb_id;
  uint32_t counter;
  uint8_t kdid[MBMSEC_KDID_LEN];
  uint8_t msk_id[MBMSEC_MSK_ID_LEN];
  uint16_t mtk_id;
  uint8_t mtk[MBMSEC_MBMS_MTK_LEN];
  uint8_t salt[MBMSEC_MBMS_MTK_SALT_LEN];
} mbmsec_mikey_mtk_info;

/* Builds an MSK message under the MUK (mikey.md 7.1); *sent (may be NULL) gets CSB ID, RAND,
 * counter. @return MBMSEC_OK, MBMSEC_ERR_ARG, MBMSEC_ERR_LENGTH (ID or MUK length),
 *   MBMSEC_ERR_MIKEY_INTERVAL, MBMSEC_ERR_SPACE, MBMSEC_ERR_RANDOM, MBMSEC_ERR_CRYPTO,
 *   MBMSEC_ERR_MIKEY_PRF_LEN. */
mbmsec_err mbmsec_mikey_msk_build(const mbmsec_mikey_msk_params *p, const uint8_t *muk,
                                  size_t muk_len, const mbmsec_mikey_opts *opts, uint8_t *out,
                                  size_t cap, size_t *out_len, mbmsec_mikey_sent *sent);

/* Builds an MTK message under the MSK (mikey.md 7.2, 114 octets).
 * @return as mbmsec_mikey_msk_build. */
mbmsec_err mbmsec_mikey_mtk_build(const mbmsec_mikey_mtk_params *p, const uint8_t *msk,
                                  size_t msk_len, const mbmsec_mikey_opts *opts, uint8_t *out,
                                  size_t cap, size_t *out_len, mbmsec_mikey_sent *sent);

/* Verifies an MSK message (mikey.md 8, UE steps 1-6 without the stored-MSK rules, which are
 * mbmsec_mikey_state's): syntax and layout, key_cb(MUK by IDi/IDr), MAC, counter > psk.counter,
 * decrypt, key data (TGK, KV Interval, 16-octet key, 2-octet VF <= VT), key number != 0
 * (except in a pull), Key Domain ID = opts->expect_kdid if set. *info is filled on success
 * and zeroed on failure.
 * @return MBMSEC_OK, MBMSEC_ERR_ARG, every code of mbmsec_mikey_decode, MBMSEC_ERR_MIKEY_LAYOUT,
 *   MBMSEC_ERR_MIKEY_NCS, MBMSEC_ERR_MIKEY_TS_TYPE, MBMSEC_ERR_MIKEY_RAND_LEN,
 *   MBMSEC_ERR_MIKEY_ID_TYPE, MBMSEC_ERR_MIKEY_ID_LEN, MBMSEC_ERR_MIKEY_KEYID,
 *   MBMSEC_ERR_MIKEY_NULL_ALG, MBMSEC_ERR_MIKEY_ENCR_ALG, the callback's codes,
 *   MBMSEC_ERR_MIKEY_MAC, MBMSEC_ERR_MIKEY_REPLAY, MBMSEC_ERR_MIKEY_KEYDATA, the codes of
 *   mbmsec_mikey_keydata_decode, MBMSEC_ERR_MIKEY_INTERVAL, MBMSEC_ERR_MIKEY_KEYNUM,
 *   MBMSEC_ERR_MIKEY_KDID, MBMSEC_ERR_CRYPTO, MBMSEC_ERR_MIKEY_PRF_LEN. */
mbmsec_err mbmsec_mikey_msk_verify(const uint8_t *msg, size_t len, mbmsec_mikey_key_cb key_cb,
                                   void *ctx, const mbmsec_mikey_opts *opts,
                                   mbmsec_mikey_msk_info *info);

/* Verifies an MTK message: syntax and layout (V = 0, no IDs), key_cb(MSK by KDID, MSK ID),
 * MAC, counter > psk.counter, decrypt, key data (TGK+SALT, KV NULL, 16 + 14 octets), MTK ID
 * > psk.last_mtk_id (if has_last_mtk; equal: MBMSEC_ERR_MIKEY_MTK_REPEAT, the BM-SC's repetition
 * for late joiners) and psk.vf <= MTK ID <= psk.vt.
 * @return as mbmsec_mikey_msk_verify plus MBMSEC_ERR_MIKEY_V_FLAG, MBMSEC_ERR_MIKEY_MTK_REPEAT,
 *   MBMSEC_ERR_MIKEY_MTK_ID_OLD,
 *   MBMSEC_ERR_MIKEY_MTK_ID_RANGE (not MBMSEC_ERR_MIKEY_ID_TYPE/ID_LEN/KEYNUM/INTERVAL). */
mbmsec_err mbmsec_mikey_mtk_verify(const uint8_t *msg, size_t len, mbmsec_mikey_key_cb key_cb,
                                   void *ctx, const mbmsec_mikey_opts *opts,
                                   mbmsec_mikey_mtk_info *info);

/* UE: builds the verification message answering `answered` (mikey.md 6).
 * @return MBMSEC_OK, MBMSEC_ERR_ARG, MBMSEC_ERR_LENGTH, MBMSEC_ERR_SPACE, MBMSEC_ERR_CRYPTO,
 *   MBMSEC_ERR_MIKEY_PRF_LEN. */
mbmsec_err mbmsec_mikey_ver_build(const mbmsec_mikey_msk_info *answered, const uint8_t *muk,
                                  size_t muk_len, uint8_t *out, size_t cap, size_t *out_len);

/* BM-SC: checks a verification message against the MSK message it sent (`sent`, IDi, IDr).
 * @return MBMSEC_OK, MBMSEC_ERR_ARG, every code of mbmsec_mikey_decode, MBMSEC_ERR_MIKEY_LAYOUT,
 *   MBMSEC_ERR_MIKEY_NCS, MBMSEC_ERR_MIKEY_V_FLAG, MBMSEC_ERR_MIKEY_TS_TYPE,
 *   MBMSEC_ERR_MIKEY_ID_TYPE, MBMSEC_ERR_MIKEY_NULL_ALG, MBMSEC_ERR_MIKEY_VER_MISMATCH
 *   (CSB ID, counter or IDr differ), MBMSEC_ERR_MIKEY_MAC, MBMSEC_ERR_CRYPTO,
 *   MBMSEC_ERR_MIKEY_PRF_LEN. */
mbmsec_err mbmsec_mikey_ver_verify(const uint8_t *msg, size_t len, const uint8_t *muk,
                                   size_t muk_len, const mbmsec_mikey_sent *sent,
                                   const uint8_t *idi, size_t idi_len, const uint8_t *idr,
                                   size_t idr_len);

void mbmsec_mikey_msk_info_cleanse(mbmsec_mikey_msk_info *info);
void mbmsec_mikey_mtk_info_cleanse(mbmsec_mikey_mtk_info *info);

#endif
