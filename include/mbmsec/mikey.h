/* mbmsec: the RFC 3830 MIKEY message model and its codec (with the RFC 4563 empty CS ID map
 * and Key ID General Extension).
 *
 * Bytes in, structs out; no I/O and no allocation. A decoded message (mbmsec_mikey_msg) and
 * a decoded key data chain (mbmsec_mikey_keydata) POINT INTO THE INPUT BUFFER: every
 * `const uint8_t *` field of a decoded struct is valid only while the buffer given to the
 * decoder is alive and unchanged. Numbers of payloads, crypto sessions, SP parameters, Key IDs
 * and key data sub-payloads are capped (MBMSEC_MIKEY_MAX_*); more is refused with
 * MBMSEC_ERR_MIKEY_TOO_MANY.
 *
 * The decoder is strict: every length is checked against the datagram, an unknown version,
 * data type, payload type, TS type, ID type, algorithm, key data / KV type or Key ID type is
 * refused with its own code; octets after the last payload are refused; T, RAND, KEMAC, V and
 * the Key ID extension may appear once, ID twice (IDi, IDr); KEMAC and V must be the last
 * payload; a message with the empty map (RFC 4563) must not carry SP. Other extension types
 * are kept as bytes. Encoding a decoded message gives the same bytes back, so
 * decode(encode(m)) == m. PRF func values other than 0 (MIKEY-1) are refused.
 *
 * The MBMS profile messages built on this codec are in mbmsec/mikey_msg.h.
 */
#ifndef MBMSEC_MIKEY_H
#define MBMSEC_MIKEY_H
#include <stddef.h>
#include <stdint.h>
#include "mbmsec/error.h"

/* Header constants (RFC 3830 6.1, RFC 4563 5). */
#define MBMSEC_MIKEY_VERSION 1
enum {
  MBMSEC_MIKEY_DT_PSK_INIT = 0,
  MBMSEC_MIKEY_DT_PSK_VERIFY = 1,
  MBMSEC_MIKEY_DT_PK_INIT = 2,
  MBMSEC_MIKEY_DT_PK_VERIFY = 3,
  MBMSEC_MIKEY_DT_DH_INIT = 4,
  MBMSEC_MIKEY_DT_DH_RESP = 5,
  MBMSEC_MIKEY_DT_ERROR = 6,
};
#define MBMSEC_MIKEY_PRF_MIKEY1 0
enum { MBMSEC_MIKEY_MAP_SRTP = 0, MBMSEC_MIKEY_MAP_EMPTY = 1 };

/* Payload types (Next payload values, RFC 3830 table 6.1.b). The codec decodes those listed
 * in mbmsec_mikey_payload; PKE, DH, SIGN, CERT, CHASH are refused with
 * MBMSEC_ERR_MIKEY_PAYLOAD_TYPE (the PSK method never carries them). */
enum {
  MBMSEC_MIKEY_PT_LAST = 0,
  MBMSEC_MIKEY_PT_KEMAC = 1,
  MBMSEC_MIKEY_PT_T = 5,
  MBMSEC_MIKEY_PT_ID = 6,
  MBMSEC_MIKEY_PT_V = 9,
  MBMSEC_MIKEY_PT_SP = 10,
  MBMSEC_MIKEY_PT_RAND = 11,
  MBMSEC_MIKEY_PT_ERR = 12,
  MBMSEC_MIKEY_PT_KEYDATA = 20, /* only inside KEMAC encr data */
  MBMSEC_MIKEY_PT_EXT = 21,
};

enum { MBMSEC_MIKEY_TS_NTP_UTC = 0, MBMSEC_MIKEY_TS_NTP = 1, MBMSEC_MIKEY_TS_COUNTER = 2 };
enum { MBMSEC_MIKEY_ID_NAI = 0, MBMSEC_MIKEY_ID_URI = 1 };
enum {
  MBMSEC_MIKEY_ENCR_NULL = 0,
  MBMSEC_MIKEY_ENCR_AES_CM_128 = 1,
  MBMSEC_MIKEY_ENCR_AES_KW_128 = 2
};
enum { MBMSEC_MIKEY_MAC_NULL = 0, MBMSEC_MIKEY_MAC_HMAC_SHA1_160 = 1 };
#define MBMSEC_MIKEY_MAC_LEN 20 /* HMAC-SHA-1-160 */
enum { MBMSEC_MIKEY_SP_PROT_SRTP = 0 };
#define MBMSEC_MIKEY_ERR_NO_MAX 12 /* 0 auth failure .. 12 unspecified; 241..255 private */
enum { MBMSEC_MIKEY_EXT_VENDOR = 0, MBMSEC_MIKEY_EXT_SDP = 1, MBMSEC_MIKEY_EXT_KEYID = 3 };
/* RFC 4563 Key ID types; 241..255 private use (accepted and kept). */
enum { MBMSEC_MIKEY_KEYID_KDID = 0, MBMSEC_MIKEY_KEYID_MSK = 1, MBMSEC_MIKEY_KEYID_MTK = 2 };
/* Key data sub-payload Type and KV (RFC 3830 6.13). */
enum {
  MBMSEC_MIKEY_KD_TGK = 0,
  MBMSEC_MIKEY_KD_TGK_SALT = 1,
  MBMSEC_MIKEY_KD_TEK = 2,
  MBMSEC_MIKEY_KD_TEK_SALT = 3
};
enum { MBMSEC_MIKEY_KV_NULL = 0, MBMSEC_MIKEY_KV_SPI = 1, MBMSEC_MIKEY_KV_INTERVAL = 2 };

/* Caps (no protocol message of this project comes near them). */
#define MBMSEC_MIKEY_MAX_PAYLOADS  16
#define MBMSEC_MIKEY_MAX_CS        16
#define MBMSEC_MIKEY_MAX_SP_PARAMS 32
#define MBMSEC_MIKEY_MAX_KEYIDS    8
#define MBMSEC_MIKEY_MAX_KEYDATA   4

/* One SRTP-ID map entry; entry i has CS ID i + 1. */
typedef struct {
  uint8_t policy_no;
  uint32_t ssrc;
  uint32_t roc;
} mbmsec_mikey_cs;

typedef struct {
  uint8_t version;   /* 1 */
  uint8_t data_type; /* MBMSEC_MIKEY_DT_* */
  uint8_t v_flag;    /* 0 or 1 */
  uint8_t prf;       /* 0 = MIKEY-1 */
  uint32_t csb_id;
  uint8_t n_cs;     /* #CS */
  uint8_t map_type; /* MBMSEC_MIKEY_MAP_*; the empty map carries no entries */
  mbmsec_mikey_cs cs[MBMSEC_MIKEY_MAX_CS]; /* n_cs entries when map_type is SRTP */
} mbmsec_mikey_hdr;

typedef struct {
  uint8_t type; /* SRTP parameter type (0..12 and later RFCs; any value kept) */
  uint8_t len;
  const uint8_t *val;
} mbmsec_mikey_sp_param;

typedef struct {
  uint8_t type; /* MBMSEC_MIKEY_KEYID_* or 241..255 */
  uint8_t len;
  const uint8_t *data;
} mbmsec_mikey_keyid;

/* One payload of the chain. `type` is its MBMSEC_MIKEY_PT_* value; the next-payload octets
 * are not stored: they follow from the order of mbmsec_mikey_msg.p. */
typedef struct {
  uint8_t type;
  union {
    struct {
      uint8_t ts_type;
      uint64_t value;
    } t; /* COUNTER: value < 2^32 */
    struct {
      uint8_t len;
      const uint8_t *data;
    } rand;
    struct {
      uint8_t id_type;
      uint16_t len;
      const uint8_t *data;
    } id;
    struct {
      uint8_t policy_no, prot_type;
      uint8_t n_params;
      mbmsec_mikey_sp_param params[MBMSEC_MIKEY_MAX_SP_PARAMS];
    } sp;
    struct {
      uint8_t encr_alg;
      uint16_t encr_len;
      const uint8_t *encr; /* encr_len octets, kept encrypted */
      uint8_t mac_alg;
      /* 20 octets with HMAC-SHA-1-160, NULL with the NULL MAC. For encoding, NULL with
       * HMAC-SHA-1-160 writes 20 zero octets (to be filled in after encoding). */
      const uint8_t *mac;
    } kemac;
    struct {
      uint8_t auth_alg;
      const uint8_t *mac;
    } v; /* mac as for KEMAC */
    struct {
      uint8_t err_no;
      uint16_t reserved;
    } err;
    struct {
      uint8_t ext_type;
      uint16_t len;
      const uint8_t *data; /* the whole ext data, for every ext type */
      uint8_t n_keyids;    /* ext_type 3 only: its decoded Key ID sub-payloads */
      mbmsec_mikey_keyid keyids[MBMSEC_MIKEY_MAX_KEYIDS];
    } ext;
  } u;
} mbmsec_mikey_payload;

typedef struct {
  mbmsec_mikey_hdr hdr;
  uint8_t n_payloads;
  mbmsec_mikey_payload p[MBMSEC_MIKEY_MAX_PAYLOADS];
} mbmsec_mikey_msg;

/* One key data sub-payload (RFC 3830 6.13, 6.14). */
typedef struct {
  uint8_t type; /* MBMSEC_MIKEY_KD_* */
  uint8_t kv;   /* MBMSEC_MIKEY_KV_* */
  uint16_t key_len;
  const uint8_t *key;
  uint16_t salt_len; /* only with the salted types */
  const uint8_t *salt;
  uint8_t spi_len; /* KV SPI */
  const uint8_t *spi;
  uint8_t vf_len, vt_len; /* KV Interval */
  const uint8_t *vf, *vt;
} mbmsec_mikey_keydata;

/* Decodes a whole MIKEY message; `m` points into `buf` afterwards (see top of file).
 * @return MBMSEC_OK, MBMSEC_ERR_ARG, MBMSEC_ERR_TRUNCATED, MBMSEC_ERR_MIKEY_VERSION,
 *   MBMSEC_ERR_MIKEY_DATA_TYPE, MBMSEC_ERR_MIKEY_PRF_FUNC, MBMSEC_ERR_MIKEY_MAP_TYPE,
 *   MBMSEC_ERR_MIKEY_PAYLOAD_TYPE, MBMSEC_ERR_MIKEY_TS_TYPE, MBMSEC_ERR_MIKEY_ID_TYPE,
 *   MBMSEC_ERR_MIKEY_ENCR_ALG, MBMSEC_ERR_MIKEY_MAC_ALG, MBMSEC_ERR_MIKEY_SP_PROT,
 *   MBMSEC_ERR_MIKEY_ERR_NO, MBMSEC_ERR_MIKEY_KEYID_TYPE, MBMSEC_ERR_MIKEY_EMPTY,
 *   MBMSEC_ERR_MIKEY_TOO_MANY, MBMSEC_ERR_MIKEY_DUP_PAYLOAD, MBMSEC_ERR_MIKEY_NOT_LAST,
 *   MBMSEC_ERR_MIKEY_SP_EMPTY_MAP, MBMSEC_ERR_MIKEY_TRAILING. */
mbmsec_err mbmsec_mikey_decode(const uint8_t *buf, size_t len, mbmsec_mikey_msg *m);

/* Encodes `m` into out[0..cap); *out_len = octets written. Checks what the decoder checks on
 * the values it writes (types, algorithms, counts, lengths fitting their fields), so that
 * everything it produces decodes.
 * @return MBMSEC_OK, MBMSEC_ERR_ARG, MBMSEC_ERR_SPACE, MBMSEC_ERR_LENGTH and the value codes
 *   of mbmsec_mikey_decode. */
mbmsec_err mbmsec_mikey_encode(const mbmsec_mikey_msg *m, uint8_t *out, size_t cap,
                               size_t *out_len);

/* Decodes a decrypted KEMAC key data chain into kd[0..max); *n = sub-payloads found.
 * `kd` points into `buf`.
 * @return MBMSEC_OK, MBMSEC_ERR_ARG, MBMSEC_ERR_TRUNCATED, MBMSEC_ERR_MIKEY_EMPTY,
 *   MBMSEC_ERR_MIKEY_KD_NEXT, MBMSEC_ERR_MIKEY_KD_TYPE, MBMSEC_ERR_MIKEY_KV_TYPE,
 *   MBMSEC_ERR_MIKEY_TOO_MANY, MBMSEC_ERR_MIKEY_TRAILING. */
mbmsec_err mbmsec_mikey_keydata_decode(const uint8_t *buf, size_t len, mbmsec_mikey_keydata *kd,
                                       size_t max, size_t *n);

/* Encodes n key data sub-payloads (next = 20 between them, 0 after the last).
 * @return MBMSEC_OK, MBMSEC_ERR_ARG, MBMSEC_ERR_SPACE, MBMSEC_ERR_MIKEY_EMPTY,
 *   MBMSEC_ERR_MIKEY_KD_TYPE, MBMSEC_ERR_MIKEY_KV_TYPE, MBMSEC_ERR_MIKEY_TOO_MANY. */
mbmsec_err mbmsec_mikey_keydata_encode(const mbmsec_mikey_keydata *kd, size_t n, uint8_t *out,
                                       size_t cap, size_t *out_len);

/* The index of the first payload of `type` at or after index `from`, or -1. */
int mbmsec_mikey_find(const mbmsec_mikey_msg *m, uint8_t type, int from);

#endif
