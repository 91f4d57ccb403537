/* mbmsec: the UE's HTTP Digest client on Ua (http-ua.md section 3 "UE client", profile P12),
 * as an engine without I/O: it writes the Authorization of each POST to the BM-SC and checks
 * the Authentication-Info of each 200 before the body may be used.
 *
 * User name = B-TID, password = base64(MRK), qop=auth-int over the request body, SHA-256
 * preferred over MD5 (first supported challenge in the server's order), nc counting per
 * nonce, opaque echoed, nextnonce adopted. On a 401 the caller learns whether to retry with
 * the new challenge (first contact, stale=true) or to bootstrap again (credentials refused).
 * Secrets (password, the kept HA1) are cleansed by mbmsec_ue_ua_cleanse.
 */
#ifndef MBMSEC_UE_UA_H
#define MBMSEC_UE_UA_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "mbmsec/digest.h"
#include "mbmsec/error.h"

#define MBMSEC_UE_UA_STR_MAX 1024

typedef struct {
  char btid[256];
  char password[48]; /* base64(MRK): 44 characters (secret) */
  char realm[MBMSEC_UE_UA_STR_MAX + 1];
  char nonce[MBMSEC_UE_UA_STR_MAX + 1];
  char opaque[MBMSEC_UE_UA_STR_MAX + 1];
  bool has_challenge, has_opaque, sent_credentials;
  mbmsec_digest_alg alg;
  uint32_t nc;
  char nc_s[9];
  char cnonce[33];
  char uri[MBMSEC_UE_UA_STR_MAX + 1]; /* request-target of the last request */
  /* H(btid ":" realm ":" password) as hex for alg, kept from the first request after a
   * challenge until the next 401 (credentials and realm do not change in between); "" = not
   * computed. A password equivalent (secret): cleansed with the rest. */
  char ha1[MBMSEC_DIGEST_HEX_MAX + 1];
  /* strlen of the strings above, kept with them (no strlen per request). */
  size_t btid_len, password_len, realm_len, nonce_len, opaque_len, uri_len;
} mbmsec_ue_ua;

typedef enum {
  MBMSEC_UE_UA_RETRY = 0,       /* send the request again with the new challenge */
  MBMSEC_UE_UA_REBOOTSTRAP = 1, /* the B-TID is no longer valid: run Ub, then retry once */
} mbmsec_ue_ua_action;

/* @param mrk the 32-octet MRK (profile P1) of the bootstrap for this BM-SC.
 * @return MBMSEC_OK, MBMSEC_ERR_ARG, MBMSEC_ERR_LENGTH. */
mbmsec_err mbmsec_ue_ua_init(mbmsec_ue_ua *c, const char *btid, const uint8_t mrk[32]);
/* The Authorization value of a POST of body to target (request-target incl. the query); an
 * empty value (len 0: send no Authorization) before any challenge is known.
 * @return MBMSEC_OK, MBMSEC_ERR_ARG, MBMSEC_ERR_SPACE, MBMSEC_ERR_RANDOM, MBMSEC_ERR_CRYPTO,
 * the Digest builder's codes. */
mbmsec_err mbmsec_ue_ua_authorize(mbmsec_ue_ua *c, const char *target, const uint8_t *body,
                                  size_t body_len, char *out, size_t cap, size_t *len);
/* A 401 with its WWW-Authenticate values (in the server's order).
 * @return MBMSEC_OK (see *action), MBMSEC_ERR_ARG, MBMSEC_ERR_UE_NO_CHALLENGE (no Digest
 * SHA-256 or MD5 challenge offering qop auth-int). */
mbmsec_err mbmsec_ue_ua_on_401(mbmsec_ue_ua *c, const mbmsec_digest_str *www, size_t n,
                               mbmsec_ue_ua_action *action);
/* A 200: its Authentication-Info value (NULL = missing) must carry qop=auth-int, our cnonce
 * and nc and the right rspauth over the exact response body; only then may the body be used.
 * @return MBMSEC_OK, MBMSEC_ERR_ARG, MBMSEC_ERR_UE_RSPAUTH, MBMSEC_ERR_CRYPTO. */
mbmsec_err mbmsec_ue_ua_on_200(mbmsec_ue_ua *c, const char *auth_info, size_t auth_info_len,
                               const uint8_t *body, size_t body_len);
void mbmsec_ue_ua_cleanse(mbmsec_ue_ua *c);

#endif
