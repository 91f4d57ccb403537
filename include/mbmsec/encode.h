/* mbmsec: hex and base64 text encodings (strict decoders, NUL-terminated encoders). */
#ifndef MBMSEC_ENCODE_H
#define MBMSEC_ENCODE_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "mbmsec/error.h"

/* Lower-case hex of n octets into out (2n+1 bytes with the NUL).
 * @return MBMSEC_OK, MBMSEC_ERR_ARG, MBMSEC_ERR_SPACE. */
mbmsec_err mbmsec_hex_encode(const uint8_t *in, size_t n, char *out, size_t cap);
/* Whether all n characters of s are hex digits (either case); true for n = 0. */
bool mbmsec_hex_digits(const char *s, size_t n);
/* Decodes slen hex digits (either case, no separators, even count).
 * @return MBMSEC_OK, MBMSEC_ERR_ARG, MBMSEC_ERR_HEX, MBMSEC_ERR_SPACE. */
mbmsec_err mbmsec_hex_decode(const char *s, size_t slen, uint8_t *out, size_t cap, size_t *outlen);

/* Standard base64 with padding (RFC 4648 section 4), no line breaks; NUL-terminated.
 * Needs 4*ceil(n/3)+1 bytes. @return MBMSEC_OK, MBMSEC_ERR_ARG, MBMSEC_ERR_SPACE. */
mbmsec_err mbmsec_b64_encode(const uint8_t *in, size_t n, char *out, size_t cap, size_t *outlen);
/* Strict decoder: length a multiple of 4, padding only at the end, no white space, unused
 * bits zero. @return MBMSEC_OK, MBMSEC_ERR_ARG, MBMSEC_ERR_BASE64, MBMSEC_ERR_SPACE. */
mbmsec_err mbmsec_b64_decode(const char *s, size_t slen, uint8_t *out, size_t cap, size_t *outlen);

/* True when a[0..alen) equals the NUL-terminated b in ASCII case-insensitive comparison
 * (HTTP tokens: locale-independent, unlike strncasecmp). */
bool mbmsec_ascii_ieq(const char *a, size_t alen, const char *b);

#define MBMSEC_B64_LEN(n) ((((n) + 2) / 3) * 4)

#endif
