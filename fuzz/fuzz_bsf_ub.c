/* libFuzzer: the BSF Ub engine (lib/bsf) on hostile requests, over an in-memory store.
 * Input: method LF request-target LF Authorization LF User-Agent LF body (missing fields are
 * absent; an Authorization of "-" is no header). "@NONCE@" in the Authorization is replaced by
 * the nonce of a challenge issued just before, so the second-request path (nonce lookup, nc,
 * auts, RES check, resync) is reached. Checks: the status is one the engine documents, a
 * refusal carries no challenge, no 200 without a B-TID, and a 400/403 never moves the SQN. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "mbmsec/bsf.h"
#include "mbmsec/store.h"

#define FQDN "bsf.fuzz.example.org"
#define IMPI "fuzz@ims.example.org"

static mbmsec_store *st;
static mbmsec_bsf *bsf;

static void init(void)
{
  static const uint8_t k[16] = {1}, opc[16] = {2}, amf[2] = {0x80, 0};
  if (mbmsec_store_open("sqlite::memory:", &st) != MBMSEC_OK) abort();
  mbmsec_store_subscriber_in in = {.impi = IMPI,
                                   .k = k,
                                   .k_len = 16,
                                   .opc = opc,
                                   .opc_len = 16,
                                   .amf = amf,
                                   .amf_len = 2,
                                   .uss = "4"};
  if (mbmsec_store_subscriber_add(st, &in) != MBMSEC_OK) abort();
  mbmsec_bsf_config cfg = {.fqdn = FQDN, .max_pending = 64};
  if (mbmsec_bsf_new(&cfg, st, &bsf) != MBMSEC_OK) abort();
}

static uint64_t sqn(void)
{
  mbmsec_store_subscriber s;
  if (mbmsec_store_subscriber_get(st, IMPI, &s) != MBMSEC_OK) abort();
  return s.sqn;
}

/* Next LF-separated field of [*p, end); the last field takes the rest. */
static const char *field(const char **p, const char *end, size_t *len, int last)
{
  const char *s = *p;
  const char *e = last ? end : memchr(s, '\n', (size_t)(end - s));
  if (!e) e = end;
  *len = (size_t)(e - s);
  *p = e < end ? e + 1 : end;
  return s;
}

static const char *find(const char *s, size_t n, const char *pat, size_t m)
{
  for (size_t i = 0; i + m <= n; i++)
    if (memcmp(s + i, pat, m) == 0) return s + i;
  return NULL;
}

static mbmsec_bsf_response resp;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  if (!bsf) init();
  if (size > 16384) return 0;
  const char *p = (const char *)data, *end = p + size;
  mbmsec_bsf_request q;
  memset(&q, 0, sizeof q);
  size_t alen;
  q.method = field(&p, end, &q.method_len, 0);
  q.target = field(&p, end, &q.target_len, 0);
  const char *auth = field(&p, end, &alen, 0);
  q.user_agent = field(&p, end, &q.user_agent_len, 0);
  size_t blen;
  q.body = (const uint8_t *)field(&p, end, &blen, 1);
  q.body_len = blen;

  char *a = NULL;
  const char *mark = alen >= 7 ? find(auth, alen, "@NONCE@", 7) : NULL;
  if (mark) {
    static const char first[] =
        "Digest username=\"" IMPI "\", realm=\"" FQDN "\", nonce=\"\", uri=\"/\", response=\"\"";
    mbmsec_bsf_request f = {.method = "GET",
                            .method_len = 3,
                            .target = "/",
                            .target_len = 1,
                            .authorization = first,
                            .authorization_len = sizeof first - 1};
    if (mbmsec_bsf_handle(bsf, &f, &resp) != MBMSEC_OK || resp.status != 401) abort();
    const char *n = strstr(resp.www_authenticate, "nonce=\"");
    if (!n) abort();
    n += 7;
    size_t nl = strcspn(n, "\"");
    a = malloc(alen - 7 + nl);
    if (!a) return 0;
    size_t pre = (size_t)(mark - auth);
    memcpy(a, auth, pre);
    memcpy(a + pre, n, nl);
    memcpy(a + pre + nl, mark + 7, alen - pre - 7);
    q.authorization = a;
    q.authorization_len = alen - 7 + nl;
  } else if (!(alen == 1 && auth[0] == '-')) {
    q.authorization = auth;
    q.authorization_len = alen;
  }

  const uint64_t before = sqn();
  mbmsec_err rc = mbmsec_bsf_handle(bsf, &q, &resp);
  switch (resp.status) {
  case 200:
    if (rc != MBMSEC_OK || !resp.btid[0] || !resp.authentication_info[0] || !resp.body_len) abort();
    break;
  case 401:
    if (rc != MBMSEC_OK || !resp.www_authenticate[0]) abort();
    break;
  case 400:
  case 403:
    if (rc != MBMSEC_OK || resp.www_authenticate[0] || resp.body_len || sqn() != before) abort();
    break;
  case 500:
    if (rc == MBMSEC_OK) abort();
    break;
  default:
    abort();
  }
  if (!resp.reason[0] || strcmp(resp.server, MBMSEC_BSF_SERVER) != 0) abort();
  free(a);
  return 0;
}
