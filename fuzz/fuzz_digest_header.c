/* libFuzzer: the three Digest header parsers on the same input, and for every header that
 * parses, build -> parse must give back the same fields (and build again the same text). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "mbmsec/digest.h"
#include "mbmsec/digest_parse.h"

static mbmsec_digest_header h1, h2;
static char out1[MBMSEC_DIGEST_HEADER_MAX + 1], out2[MBMSEC_DIGEST_HEADER_MAX + 1];

static int str_eq(mbmsec_digest_str a, mbmsec_digest_str b)
{
  return a.len == b.len && (a.len == 0 || memcmp(a.p, b.p, a.len) == 0);
}

static void same(const mbmsec_digest_header *a, const mbmsec_digest_header *b)
{
  if (a->present != b->present) abort();
  const mbmsec_digest_str *sa[] = {&a->realm, &a->domain,   &a->nonce,  &a->opaque,    &a->username,
                                   &a->uri,   &a->response, &a->cnonce, &a->nextnonce, &a->rspauth};
  const mbmsec_digest_str *sb[] = {&b->realm, &b->domain,   &b->nonce,  &b->opaque,    &b->username,
                                   &b->uri,   &b->response, &b->cnonce, &b->nextnonce, &b->rspauth};
  for (size_t i = 0; i < sizeof sa / sizeof sa[0]; i++)
    if (!str_eq(*sa[i], *sb[i])) abort();
  if ((a->present & MBMSEC_DIGEST_F_ALGORITHM) && a->algorithm != b->algorithm) abort();
  if ((a->present & MBMSEC_DIGEST_F_STALE) && a->stale != b->stale) abort();
  if ((a->present & MBMSEC_DIGEST_F_NC) && strcmp(a->nc, b->nc) != 0) abort();
  if (a->qop != b->qop || a->qop_list != b->qop_list) abort();
}

typedef mbmsec_err (*build_fn)(const mbmsec_digest_header *, char *, size_t, size_t *);

static void round_trip(mbmsec_digest_kind kind, build_fn build)
{
  size_t n1, n2;
  mbmsec_err e = build(&h1, out1, sizeof out1, &n1);
  if (e == MBMSEC_ERR_DIGEST_HEADER_TOO_LONG) return; /* separators and quotes added */
  if (e != MBMSEC_OK) abort();
  if (mbmsec_digest_parse(kind, out1, n1, 0, &h2) != MBMSEC_OK) abort();
  same(&h1, &h2);
  if (build(&h2, out2, sizeof out2, &n2) != MBMSEC_OK || n1 != n2 || memcmp(out1, out2, n1) != 0)
    abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  const char *s = (const char *)data;
  if (mbmsec_digest_parse_challenge(s, size, &h1) == MBMSEC_OK)
    round_trip(MBMSEC_DIGEST_WWW_AUTHENTICATE, mbmsec_digest_build_challenge);
  if (mbmsec_digest_parse_authorization(s, size, 0, &h1) == MBMSEC_OK)
    round_trip(MBMSEC_DIGEST_AUTHORIZATION, mbmsec_digest_build_authorization);
  (void)mbmsec_digest_parse_authorization(s, size, MBMSEC_DIGEST_LENIENT_EMPTY, &h1);
  if (mbmsec_digest_parse_auth_info(s, size, &h1) == MBMSEC_OK)
    round_trip(MBMSEC_DIGEST_AUTHENTICATION_INFO, mbmsec_digest_build_auth_info);
  return 0;
}
