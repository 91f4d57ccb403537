/* mbmsec: HTTP Digest access authentication (RFC 7616, RFC 2617, RFC 2069 compatibility) and
 * its AKA variant (RFC 3310), for the BSF (Ub), the BM-SC (Ua) and the UE.
 *
 * Computations (lib/digest.c), H = the algorithm's hash as lower-case hex:
 *   HA1 = H(username ":" realm ":" password)                      MD5, SHA-256, AKAv1-MD5
 *   HA1 = H(H(username ":" realm ":" password) ":" nonce ":" cnonce)    MD5-sess, SHA-256-sess
 *   HA2 = H(method ":" uri)  or, with qop=auth-int,  H(method ":" uri ":" H(body))
 *   response = H(HA1 ":" nonce ":" nc ":" cnonce ":" qop ":" HA2)      with qop
 *   response = H(HA1 ":" nonce ":" HA2)                                 without qop (RFC 2069)
 *   rspauth  = response with method "" and, for auth-int, the response body (RFC 7616 3.5).
 * AKAv1-MD5 hashes with MD5 and its password is the RES octets, raw (RFC 3310 3.3): passwords
 * are therefore bytes + length everywhere. The -sess HA1 uses the hex inner hash (RFC 7616,
 * as Apache and every deployed implementation; not RFC 2617's binary reading).
 *
 * Header values: the builders below and the parsers in mbmsec/digest_parse.h share
 * mbmsec_digest_header, so a built header parses back to the same fields.
 */
#ifndef MBMSEC_DIGEST_H
#define MBMSEC_DIGEST_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "mbmsec/error.h"

typedef enum {
  MBMSEC_DIGEST_MD5 = 0,
  MBMSEC_DIGEST_SHA256 = 1,
  MBMSEC_DIGEST_MD5_SESS = 2,
  MBMSEC_DIGEST_SHA256_SESS = 3,
  MBMSEC_DIGEST_AKAV1_MD5 = 4,
} mbmsec_digest_alg;

typedef enum {
  MBMSEC_DIGEST_QOP_NONE = 0, /* RFC 2069 compatibility: no qop, nc or cnonce */
  MBMSEC_DIGEST_QOP_AUTH = 1,
  MBMSEC_DIGEST_QOP_AUTH_INT = 2,
} mbmsec_digest_qop;

/* Bits of a qop list (challenge). */
#define MBMSEC_DIGEST_QOPBIT_AUTH     1u
#define MBMSEC_DIGEST_QOPBIT_AUTH_INT 2u

/* Hex length of H(): 32 (MD5 family) or 64 (SHA-256 family). */
#define MBMSEC_DIGEST_HEX_MAX 64

/* Caps shared by the parsers and the builders. */
#define MBMSEC_DIGEST_VALUE_MAX      1024 /* octets of one directive value (after unquoting) */
#define MBMSEC_DIGEST_HEADER_MAX     8192 /* octets of one header value */
#define MBMSEC_DIGEST_DIRECTIVES_MAX 32   /* list elements, empty and unknown ones included */
#define MBMSEC_DIGEST_NAME_MAX       64   /* octets of a directive name */

/* A string that is not NUL-terminated. p == NULL with len == 0 is the empty string. */
typedef struct {
  const char *p;
  size_t len;
} mbmsec_digest_str;

/* The string s (NUL-terminated, may be NULL = empty) as an mbmsec_digest_str. */
mbmsec_digest_str mbmsec_digest_s(const char *s);

/* Everything one computation needs. All strings are the unquoted values, byte for byte. */
typedef struct {
  mbmsec_digest_alg alg;
  mbmsec_digest_qop qop;
  mbmsec_digest_str username, realm, nonce, cnonce;
  mbmsec_digest_str nc;     /* 8 hex digits as sent (hashed as is); unused without qop */
  mbmsec_digest_str method; /* e.g. "POST" */
  mbmsec_digest_str uri;    /* the request-target, byte for byte */
  const uint8_t *password;  /* plain password, or RES for AKAv1-MD5 (raw octets) */
  size_t password_len;
  /* Optional: instead of the password, the stored H(username ":" realm ":" password) as hex
   * (htdigest style); for the -sess algorithms it is the inner hash. NULL = use password. */
  const char *ha1_hex;
  const uint8_t *body; /* request entity body (qop=auth-int only; NULL = empty) */
  size_t body_len;
} mbmsec_digest_input;

/* All four values as NUL-terminated lower-case hex. ha1 is a password equivalent: the caller
 * cleanses it (mbmsec_digest_result_cleanse). */
typedef struct {
  char ha1[MBMSEC_DIGEST_HEX_MAX + 1];
  char ha2[MBMSEC_DIGEST_HEX_MAX + 1];
  char response[MBMSEC_DIGEST_HEX_MAX + 1];
  char rspauth[MBMSEC_DIGEST_HEX_MAX + 1];
} mbmsec_digest_result;

/* Hex length of the algorithm's H(): 32 or 64; 0 for a value outside the enum. */
size_t mbmsec_digest_hex_len(mbmsec_digest_alg alg);
/* The algorithm's name as in the algorithm directive ("MD5", "SHA-256-sess", "AKAv1-MD5");
 * NULL outside the enum. */
const char *mbmsec_digest_alg_name(mbmsec_digest_alg alg);
/* Algorithm from its name, case-insensitive. @return MBMSEC_OK,
 * MBMSEC_ERR_DIGEST_BAD_ALGORITHM. */
mbmsec_err mbmsec_digest_alg_from_name(const char *s, size_t len, mbmsec_digest_alg *alg);
/* "auth", "auth-int", or "" for MBMSEC_DIGEST_QOP_NONE; NULL outside the enum. */
const char *mbmsec_digest_qop_name(mbmsec_digest_qop qop);

/* HA1 only (hex, NUL-terminated, cap >= hex length + 1). Internal copies are cleansed.
 * @return MBMSEC_OK, MBMSEC_ERR_ARG (bad enum, NULL string with a length, nc not 8 hex digits
 * with qop, ha1_hex not hex of the right length), MBMSEC_ERR_SPACE, MBMSEC_ERR_CRYPTO. */
mbmsec_err mbmsec_digest_ha1(const mbmsec_digest_input *in, char *out, size_t cap);
/* HA2 of the request. @return as mbmsec_digest_ha1. */
mbmsec_err mbmsec_digest_ha2(const mbmsec_digest_input *in, char *out, size_t cap);
/* The request-digest (the Authorization response value). @return as mbmsec_digest_ha1. */
mbmsec_err mbmsec_digest_response(const mbmsec_digest_input *in, char *out, size_t cap);
/* rspauth for Authentication-Info; resp_body is the response entity body (auth-int only,
 * NULL = empty). @return as mbmsec_digest_ha1. */
mbmsec_err mbmsec_digest_rspauth(const mbmsec_digest_input *in, const uint8_t *resp_body,
                                 size_t resp_body_len, char *out, size_t cap);
/* HA1, HA2, response and rspauth at once (HA1 computed once). On error *res is zeroised.
 * @return as mbmsec_digest_ha1. */
mbmsec_err mbmsec_digest_compute(const mbmsec_digest_input *in, const uint8_t *resp_body,
                                 size_t resp_body_len, mbmsec_digest_result *res);
/* Zeroises a result (it holds HA1). */
void mbmsec_digest_result_cleanse(mbmsec_digest_result *res);

/* Server side: recomputes the response and compares it with the received one in constant
 * time (hex digits of either case accepted). Not a replay check: nonce and nc freshness are
 * the caller's. @return MBMSEC_OK, MBMSEC_ERR_DIGEST_MISMATCH,
 * MBMSEC_ERR_DIGEST_BAD_RESPONSE (received value is not hex of the algorithm's length),
 * MBMSEC_ERR_ARG, MBMSEC_ERR_CRYPTO. */
mbmsec_err mbmsec_digest_verify(const mbmsec_digest_input *in, mbmsec_digest_str response);

/* Presence bits of mbmsec_digest_header.present. */
#define MBMSEC_DIGEST_F_REALM     (1u << 0)
#define MBMSEC_DIGEST_F_DOMAIN    (1u << 1)
#define MBMSEC_DIGEST_F_NONCE     (1u << 2)
#define MBMSEC_DIGEST_F_OPAQUE    (1u << 3)
#define MBMSEC_DIGEST_F_STALE     (1u << 4)
#define MBMSEC_DIGEST_F_ALGORITHM (1u << 5)
#define MBMSEC_DIGEST_F_QOP       (1u << 6)
#define MBMSEC_DIGEST_F_USERNAME  (1u << 7)
#define MBMSEC_DIGEST_F_URI       (1u << 8)
#define MBMSEC_DIGEST_F_RESPONSE  (1u << 9)
#define MBMSEC_DIGEST_F_CNONCE    (1u << 10)
#define MBMSEC_DIGEST_F_NC        (1u << 11)
#define MBMSEC_DIGEST_F_NEXTNONCE (1u << 12)
#define MBMSEC_DIGEST_F_RSPAUTH   (1u << 13)

/* The directives of one WWW-Authenticate, Authorization or Authentication-Info value.
 * A field is meaningful only when its F_ bit is set in present. Strings are unquoted and
 * unescaped; after a parse they point into the parsed input or, for a value that had
 * backslash escapes, into this struct's own arena: keep the input alive and do not copy
 * the struct by value while using them. */
typedef struct {
  uint32_t present;
  mbmsec_digest_str realm, domain, nonce, opaque, username, uri, response, cnonce, nextnonce,
      rspauth;
  mbmsec_digest_alg algorithm; /* absent = MD5 (RFC 7616 3.3) */
  mbmsec_digest_qop qop;       /* Authorization, Authentication-Info: the single qop */
  unsigned qop_list;           /* WWW-Authenticate: MBMSEC_DIGEST_QOPBIT_* offered */
  bool stale;
  char nc[9]; /* 8 hex digits as received, NUL-terminated */
  uint32_t nc_value;
  size_t ndirectives; /* list elements seen (including unknown and empty ones) */
  char arena[MBMSEC_DIGEST_HEADER_MAX];
} mbmsec_digest_header;

/* Builders. Each writes a NUL-terminated header value (without the field name) into out;
 * *outlen (may be NULL) gets its length. Quoting (RFC 7616 3.3-3.5): quoted strings (with
 * '"' and '\' escaped) for realm, domain, nonce, opaque, qop list, username, uri, response,
 * cnonce, nextnonce, rspauth; tokens for algorithm, stale, qop (single) and nc.
 * Fields are written when their F_ bit is set.
 *
 * Challenge: "Digest realm=.., [domain=..,] nonce=.., [opaque=..,] [stale=true|false,]
 *   [algorithm=..,] [qop="auth, auth-int"]"; needs realm and nonce (non-empty).
 * Authorization: "Digest username=.., realm=.., nonce=.., uri=.., [algorithm=..,]
 *   [qop=.., nc=.., cnonce=..,] response=.., [opaque=..]"; needs those five, and nc and
 *   cnonce with qop.
 * Authentication-Info: "[qop=..,] [rspauth=..,] [cnonce=..,] [nc=..,] [nextnonce=..]";
 *   with qop needs rspauth, cnonce and nc.
 * @return MBMSEC_OK, MBMSEC_ERR_ARG (NULL pointer, bad enum), MBMSEC_ERR_DIGEST_MISSING,
 * MBMSEC_ERR_DIGEST_EMPTY (empty nonce, username, uri, cnonce or response),
 * MBMSEC_ERR_DIGEST_CTL (control character other than HTAB in a value),
 * MBMSEC_ERR_DIGEST_OVERSIZE (a value over MBMSEC_DIGEST_VALUE_MAX),
 * MBMSEC_ERR_DIGEST_BAD_NC (nc not 8 hex digits or zero), MBMSEC_ERR_DIGEST_BAD_QOP (empty
 * qop list, or qop NONE with the F_QOP bit), MBMSEC_ERR_DIGEST_BAD_RESPONSE (response or
 * rspauth not 32 or 64 hex digits), MBMSEC_ERR_DIGEST_HEADER_TOO_LONG (over
 * MBMSEC_DIGEST_HEADER_MAX), MBMSEC_ERR_SPACE. */
mbmsec_err mbmsec_digest_build_challenge(const mbmsec_digest_header *h, char *out, size_t cap,
                                         size_t *outlen);
mbmsec_err mbmsec_digest_build_authorization(const mbmsec_digest_header *h, char *out, size_t cap,
                                             size_t *outlen);
mbmsec_err mbmsec_digest_build_auth_info(const mbmsec_digest_header *h, char *out, size_t cap,
                                         size_t *outlen);

/* Fills a computation input from a parsed Authorization (algorithm, qop, username, realm,
 * nonce, cnonce, nc, uri) plus what the header does not carry. Strings keep pointing where
 * the header's do. @return MBMSEC_OK, MBMSEC_ERR_ARG (NULL pointer),
 * MBMSEC_ERR_DIGEST_MISSING (a required directive not present). */
mbmsec_err mbmsec_digest_input_from_authorization(const mbmsec_digest_header *h,
                                                  mbmsec_digest_str method, const uint8_t *password,
                                                  size_t password_len, const uint8_t *body,
                                                  size_t body_len, mbmsec_digest_input *in);

#endif
