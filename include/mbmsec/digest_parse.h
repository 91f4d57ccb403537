/* mbmsec: strict parsers for HTTP Digest header values (lib/digest_parse.c).
 *
 * Input: one header field value, without the field name, as received (not NUL-terminated;
 * no allocation; results in an mbmsec_digest_header, see mbmsec/digest.h).
 *
 * What is accepted (RFC 7235 / RFC 7230 grammar, RFC 7616 directives):
 *  - Optional white space (SP, HTAB) before and after the whole value.
 *  - WWW-Authenticate and Authorization: the auth-scheme "Digest" (any case), then 1*SP, then
 *    the list. One challenge per value: a second auth-scheme in the same value is a syntax
 *    error (split multiple challenges first). token68 credentials are a syntax error.
 *    Authentication-Info: the list only (no scheme).
 *  - List: elements separated by OWS "," OWS. Empty elements (",,", a leading or trailing
 *    comma) are tolerated as RFC 7230 section 7 asks, but count towards the element cap.
 *  - Element: name BWS "=" BWS value; name a token, case-insensitive, at most
 *    MBMSEC_DIGEST_NAME_MAX octets; value a token or a quoted-string. In quoted strings:
 *    HTAB, SP, VCHAR except '"' and '\', octets 0x80-0xFF (obs-text); quoted-pair = '\'
 *    followed by HTAB, SP, VCHAR or obs-text.
 *  - Quoting: realm, domain, nonce, opaque, username, uri, response, cnonce, nextnonce,
 *    rspauth and the challenge's qop list MUST be quoted strings (a bare token is
 *    MBMSEC_ERR_DIGEST_QUOTING). algorithm, stale, nc and the single qop should be tokens
 *    but a quoted form is accepted (robustness).
 *  - Unknown directives (userhash, charset, username*, auth-param extensions) are ignored
 *    after the same syntax checks; duplicates of them are not detected.
 *  - algorithm: MD5, MD5-sess, SHA-256, SHA-256-sess, AKAv1-MD5 (any case); absent = MD5.
 *  - qop (Authorization, Authentication-Info): "auth" or "auth-int" exactly. In a
 *    challenge: a comma-separated list in which unknown tokens are ignored, but at least one
 *    of auth and auth-int must be present.
 *  - nc: exactly 8 hex digits (either case), not 00000000. stale: true or false (any case).
 *  - response (Authorization): hex digits (either case) of the algorithm's length (32 or 64);
 *    rspauth (Authentication-Info): 32 or 64 hex digits.
 *  - Required: challenge realm and nonce; Authorization username, realm, nonce, uri, response
 *    and, with qop, nc and cnonce (nc or cnonce without qop is MBMSEC_ERR_DIGEST_BAD_QOP);
 *    Authentication-Info with qop: rspauth, cnonce, nc.
 *  - Empty values: nonce, username, uri, cnonce and response must not be empty
 *    (MBMSEC_ERR_DIGEST_EMPTY), except that MBMSEC_DIGEST_LENIENT_EMPTY accepts an
 *    Authorization with nonce="" and response="" (the first Ub request, TS 24.109 A.3).
 *  - Caps: value MBMSEC_DIGEST_VALUE_MAX, header MBMSEC_DIGEST_HEADER_MAX, elements
 *    MBMSEC_DIGEST_DIRECTIVES_MAX.
 *
 * Error codes, each for one fault (the first fault met, scanning left to right; the
 * required/consistency checks run after the whole list parsed):
 *  MBMSEC_ERR_ARG                       NULL pointer, or bad kind
 *  MBMSEC_ERR_DIGEST_EMPTY              value empty or white space only; empty nonce etc.
 *  MBMSEC_ERR_DIGEST_HEADER_TOO_LONG    value over MBMSEC_DIGEST_HEADER_MAX
 *  MBMSEC_ERR_DIGEST_SCHEME             auth-scheme is not Digest
 *  MBMSEC_ERR_DIGEST_SYNTAX             anything else the grammar does not allow
 *  MBMSEC_ERR_DIGEST_BAD_TOKEN          illegal character where a token is expected
 *  MBMSEC_ERR_DIGEST_UNKNOWN_DIRECTIVE  directive name over MBMSEC_DIGEST_NAME_MAX
 *  MBMSEC_ERR_DIGEST_UNTERMINATED       quoted string without its closing quote
 *  MBMSEC_ERR_DIGEST_ESCAPE             '\' followed by a control character
 *  MBMSEC_ERR_DIGEST_CTL                control character (other than HTAB) in the value
 *  MBMSEC_ERR_DIGEST_OVERSIZE           one value over MBMSEC_DIGEST_VALUE_MAX
 *  MBMSEC_ERR_DIGEST_TOO_MANY           more than MBMSEC_DIGEST_DIRECTIVES_MAX elements
 *  MBMSEC_ERR_DIGEST_DUPLICATE          a known directive twice
 *  MBMSEC_ERR_DIGEST_QUOTING            a must-be-quoted directive given as a token
 *  MBMSEC_ERR_DIGEST_BAD_ALGORITHM      algorithm not one of the five
 *  MBMSEC_ERR_DIGEST_BAD_QOP            qop value or list not acceptable; nc/cnonce w/o qop
 *  MBMSEC_ERR_DIGEST_BAD_NC             nc not 8 hex digits, or zero
 *  MBMSEC_ERR_DIGEST_BAD_STALE          stale neither true nor false
 *  MBMSEC_ERR_DIGEST_BAD_RESPONSE       response/rspauth not hex of the right length
 *  MBMSEC_ERR_DIGEST_MISSING            a required directive absent
 */
#ifndef MBMSEC_DIGEST_PARSE_H
#define MBMSEC_DIGEST_PARSE_H
#include <stddef.h>
#include "mbmsec/digest.h"
#include "mbmsec/error.h"

typedef enum {
  MBMSEC_DIGEST_WWW_AUTHENTICATE = 0,
  MBMSEC_DIGEST_AUTHORIZATION = 1,
  MBMSEC_DIGEST_AUTHENTICATION_INFO = 2,
} mbmsec_digest_kind;

/* Flag: accept an Authorization with nonce="" and response="" (AKA first request). */
#define MBMSEC_DIGEST_LENIENT_EMPTY 1u

/* Parses one header value of the given kind into *h (zeroed first; on error its content is
 * unspecified). @return MBMSEC_OK or one of the codes in the table above. */
mbmsec_err mbmsec_digest_parse(mbmsec_digest_kind kind, const char *s, size_t len, unsigned flags,
                               mbmsec_digest_header *h);

/* The same for each kind. @return as mbmsec_digest_parse. */
mbmsec_err mbmsec_digest_parse_challenge(const char *s, size_t len, mbmsec_digest_header *h);
mbmsec_err mbmsec_digest_parse_authorization(const char *s, size_t len, unsigned flags,
                                             mbmsec_digest_header *h);
mbmsec_err mbmsec_digest_parse_auth_info(const char *s, size_t len, mbmsec_digest_header *h);

#endif
