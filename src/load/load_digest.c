/* mbmsec-load's generic client for --mode digest-get: HTTP Digest with qop=auth (RFC 7616)
 * as a plain web client does it against Apache httpd's mod_auth_digest, for the comparison
 * in bench/load.sh. The nonce of a challenge is kept per UE and reused with nc counting; a
 * new challenge (stale=true) replaces it. Parsing and hashing are the library's
 * (mbmsec/digest.h, mbmsec/digest_parse.h). */
#include <stdlib.h>
#include <string.h>

#include "load.h"
#include "mbmsec/crypto.h"
#include "mbmsec/digest_parse.h"

mbmsec_err load_gd_authorization(const load_cfg *c, const char *uri, load_gdigest *g, char *out,
                                 size_t cap)
{
  char nc[9], cnonce[33], resp[MBMSEC_DIGEST_HEX_MAX + 1];
  uint8_t rnd[16];
  g->nc++;
  snprintf(nc, sizeof nc, "%08x", (unsigned)g->nc);
  mbmsec_err rc = mbmsec_random(rnd, sizeof rnd);
  if (rc != MBMSEC_OK) return rc;
  for (int i = 0; i < 16; i++) snprintf(cnonce + 2 * i, 3, "%02x", rnd[i]);
  mbmsec_digest_input in = {.alg = g->alg,
                            .qop = MBMSEC_DIGEST_QOP_AUTH,
                            .username = mbmsec_digest_s(c->user),
                            .realm = mbmsec_digest_s(g->realm),
                            .nonce = mbmsec_digest_s(g->nonce),
                            .cnonce = mbmsec_digest_s(cnonce),
                            .nc = mbmsec_digest_s(nc),
                            .method = mbmsec_digest_s("GET"),
                            .uri = mbmsec_digest_s(uri),
                            .password = (const uint8_t *)c->password,
                            .password_len = strlen(c->password)};
  rc = mbmsec_digest_response(&in, resp, sizeof resp);
  if (rc != MBMSEC_OK) return rc;
  static mbmsec_digest_header z; /* zero template: the header is too large to memset twice */
  mbmsec_digest_header *h = malloc(sizeof *h);
  if (!h) return MBMSEC_ERR_NOMEM;
  memcpy(h, &z, offsetof(mbmsec_digest_header, arena));
  h->present = MBMSEC_DIGEST_F_USERNAME | MBMSEC_DIGEST_F_REALM | MBMSEC_DIGEST_F_NONCE |
               MBMSEC_DIGEST_F_URI | MBMSEC_DIGEST_F_RESPONSE | MBMSEC_DIGEST_F_ALGORITHM |
               MBMSEC_DIGEST_F_QOP | MBMSEC_DIGEST_F_NC | MBMSEC_DIGEST_F_CNONCE |
               (g->has_opaque ? MBMSEC_DIGEST_F_OPAQUE : 0);
  h->username = in.username, h->realm = in.realm, h->nonce = in.nonce, h->uri = in.uri;
  h->response = mbmsec_digest_s(resp), h->algorithm = g->alg, h->qop = MBMSEC_DIGEST_QOP_AUTH;
  h->cnonce = in.cnonce, h->opaque = mbmsec_digest_s(g->opaque);
  memcpy(h->nc, nc, sizeof h->nc);
  h->nc_value = g->nc;
  rc = mbmsec_digest_build_authorization(h, out, cap, NULL);
  free(h);
  return rc;
}

bool load_gd_challenge(load_gdigest *g, const mbmsec_ue_http_answer *a, bool *stale)
{
  mbmsec_digest_header *h = malloc(sizeof *h);
  bool found = false;
  for (size_t i = 0; h && i < a->n_www_auth && !found; i++) {
    if (mbmsec_digest_parse_challenge(a->www_auth[i].p, a->www_auth[i].len, h) != MBMSEC_OK)
      continue;
    if ((h->algorithm != MBMSEC_DIGEST_MD5 && h->algorithm != MBMSEC_DIGEST_SHA256) ||
        !(h->qop_list & MBMSEC_DIGEST_QOPBIT_AUTH) || !(h->present & MBMSEC_DIGEST_F_NONCE) ||
        h->realm.len > MBMSEC_DIGEST_VALUE_MAX || h->nonce.len > MBMSEC_DIGEST_VALUE_MAX ||
        h->opaque.len > MBMSEC_DIGEST_VALUE_MAX)
      continue;
    g->alg = h->algorithm;
    memcpy(g->realm, h->realm.p, h->realm.len), g->realm[h->realm.len] = 0;
    memcpy(g->nonce, h->nonce.p, h->nonce.len), g->nonce[h->nonce.len] = 0;
    g->has_opaque = (h->present & MBMSEC_DIGEST_F_OPAQUE) != 0;
    if (g->has_opaque) memcpy(g->opaque, h->opaque.p, h->opaque.len);
    g->opaque[g->has_opaque ? h->opaque.len : 0] = 0;
    g->nc = 0;
    *stale = h->stale;
    found = true;
  }
  free(h);
  return found;
}
