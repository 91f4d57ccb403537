/* mbmsec: one error enum for the whole library.
 *
 * Every function that can fail returns mbmsec_err. The list below is the complete set of
 * codes; each module owns a numbered block so that codes never shift when one is added.
 * A function's @return names the codes it can give; any of them is one of these.
 */
#ifndef MBMSEC_ERROR_H
#define MBMSEC_ERROR_H

/* X(name, value, text) */
#define MBMSEC_ERROR_LIST(X) \
  /* core 0..99 */ \
  X(MBMSEC_OK,                    0, "success") \
  X(MBMSEC_ERR_NOMEM,             1, "out of memory") \
  X(MBMSEC_ERR_ARG,               2, "invalid argument") \
  X(MBMSEC_ERR_CRYPTO,            3, "cryptographic library failure") \
  X(MBMSEC_ERR_SPACE,             4, "output buffer too small") \
  X(MBMSEC_ERR_HEX,               5, "malformed hex string") \
  X(MBMSEC_ERR_BASE64,            6, "malformed base64 string") \
  X(MBMSEC_ERR_TRUNCATED,         7, "input shorter than its length fields say") \
  X(MBMSEC_ERR_LENGTH,            8, "value has the wrong length") \
  X(MBMSEC_ERR_RANDOM,            9, "random number generator failure") \
  /* Milenage and AKA 100..199 */ \
  X(MBMSEC_ERR_AKA_MAC,         100, "AUTN MAC-A does not verify (network authentication failure)") \
  X(MBMSEC_ERR_AKA_SYNC,        101, "SQN not fresh (synchronisation failure)") \
  X(MBMSEC_ERR_AUTS_MAC,        102, "AUTS MAC-S does not verify") \
  X(MBMSEC_ERR_SQN_RANGE,       103, "SQN out of range") \
  /* GBA KDF 200..299 */ \
  X(MBMSEC_ERR_KDF_PARAM_LEN,   200, "KDF parameter longer than 65535 octets") \
  X(MBMSEC_ERR_KDF_FC,          201, "invalid KDF FC value") \
  /* HTTP Digest 300..399 */ \
  X(MBMSEC_ERR_DIGEST_SCHEME,   300, "header is not a Digest credential or challenge") \
  X(MBMSEC_ERR_DIGEST_SYNTAX,   301, "Digest header syntax error") \
  X(MBMSEC_ERR_DIGEST_UNTERMINATED, 302, "unterminated quoted string") \
  X(MBMSEC_ERR_DIGEST_ESCAPE,   303, "bad escape in quoted string") \
  X(MBMSEC_ERR_DIGEST_DUPLICATE, 304, "duplicated Digest directive") \
  X(MBMSEC_ERR_DIGEST_MISSING,  305, "required Digest directive missing") \
  X(MBMSEC_ERR_DIGEST_OVERSIZE, 306, "Digest directive value too long") \
  X(MBMSEC_ERR_DIGEST_TOO_MANY, 307, "too many Digest directives") \
  X(MBMSEC_ERR_DIGEST_HEADER_TOO_LONG, 308, "Digest header too long") \
  X(MBMSEC_ERR_DIGEST_BAD_NC,   309, "nc is not 8 hex digits or is zero") \
  X(MBMSEC_ERR_DIGEST_BAD_QOP,  310, "unsupported or malformed qop") \
  X(MBMSEC_ERR_DIGEST_BAD_ALGORITHM, 311, "unsupported Digest algorithm") \
  X(MBMSEC_ERR_DIGEST_BAD_TOKEN, 312, "illegal character in Digest token") \
  X(MBMSEC_ERR_DIGEST_CTL,      313, "control character in Digest header") \
  X(MBMSEC_ERR_DIGEST_BAD_RESPONSE, 314, "Digest response is not hex of the algorithm's length") \
  X(MBMSEC_ERR_DIGEST_BAD_STALE, 315, "stale is neither true nor false") \
  X(MBMSEC_ERR_DIGEST_EMPTY,    316, "empty Digest header or directive") \
  X(MBMSEC_ERR_DIGEST_MISMATCH, 317, "Digest response does not verify") \
  X(MBMSEC_ERR_DIGEST_QUOTING,  318, "directive quoted where it must not be, or the reverse") \
  X(MBMSEC_ERR_DIGEST_UNKNOWN_DIRECTIVE, 319, "unknown Digest directive name too long or malformed") \
  /* MIKEY crypto 400..499 */ \
  X(MBMSEC_ERR_MIKEY_PRF_LEN,   400, "MIKEY PRF key or output length out of range") \
  /* MIKEY codec and receiver 500..699 (owned by the MIKEY codec) */ \
  /* end */

typedef enum {
#define MBMSEC_ERR_ENUM_(name, value, text) name = value,
  MBMSEC_ERROR_LIST(MBMSEC_ERR_ENUM_)
#undef MBMSEC_ERR_ENUM_
} mbmsec_err;

/* A human-readable sentence for the code; never NULL. */
const char *mbmsec_strerror(mbmsec_err err);
/* The symbolic name, e.g. "MBMSEC_ERR_HEX"; never NULL. */
const char *mbmsec_errname(mbmsec_err err);

#endif
