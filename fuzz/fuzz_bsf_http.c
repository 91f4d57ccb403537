/* libFuzzer: the BSF's HTTP request handler (src/bsf/http.c) past libmicrohttpd: the body
 * kept in chunks of any size, the request handed to the engine and the log line built, over an
 * in-memory store. Input: one octet choosing the chunk size, then method LF request-target LF
 * Authorization LF User-Agent LF body; an empty Authorization or User-Agent is no header.
 * Every log line is formatted (level debug) and written to /dev/null. Checks: the kept body
 * is the body's first octets, the count saturates, and the status is one the engine gives. */
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "bsf/http.h"
#include "log.h"
#include "mbmsec/store.h"

#define FQDN "bsf.fuzz.example.org"

static mbmsec_bsf *bsf;
static mbmsec_bsf_response resp;

static void init(void)
{
  static const uint8_t k[16] = {1}, opc[16] = {2}, amf[2] = {0x80, 0};
  mbmsec_store *st;
  if (mbmsec_store_open("sqlite::memory:", &st) != MBMSEC_OK) abort();
  mbmsec_store_subscriber_in in = {.impi = "fuzz@ims.example.org",
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
  int fd = open("/dev/null", O_WRONLY);
  if (fd < 0) abort();
  dlog_set_fd(fd);
  dlog_set_level(DLOG_DEBUG);
}

/* The next LF-separated field of [*p, end) as a NUL-terminated copy; the last takes the rest. */
static char *field(const uint8_t **p, const uint8_t *end, int last, size_t *len)
{
  const uint8_t *s = *p;
  const uint8_t *e = last ? end : memchr(s, '\n', (size_t)(end - s));
  if (!e) e = end;
  *len = (size_t)(e - s);
  *p = e < end ? e + 1 : end;
  char *c = malloc(*len + 1);
  if (!c) abort();
  memcpy(c, s, *len);
  c[*len] = 0;
  return c;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  if (!bsf) init();
  if (size < 1 || size > 65536) return 0;
  const size_t chunk = (size_t)data[0] * 7 + 1;
  const uint8_t *p = data + 1, *end = data + size;
  size_t ml, tl, al, ul, bl;
  char *method = field(&p, end, 0, &ml), *target = field(&p, end, 0, &tl);
  char *auth = field(&p, end, 0, &al), *ua = field(&p, end, 0, &ul);
  char *body = field(&p, end, 1, &bl);

  bsf_http_req rq;
  memset(&rq, 0, sizeof rq);
  rq.target = target;
  rq.target_len = strlen(target); /* as the URI callback sees it: up to the first NUL */
  for (size_t off = 0; off < bl; off += chunk)
    bsf_http_req_body(&rq, body + off, bl - off < chunk ? bl - off : chunk);
  if (rq.body_seen != bl ||
      memcmp(rq.body, body, bl < BSF_HTTP_BODY_KEEP ? bl : BSF_HTTP_BODY_KEEP))
    abort();
  bsf_http_req_answer(bsf, &rq, method, al ? auth : NULL, ul ? ua : NULL, "127.0.0.1:1", &resp);
  if (resp.status != 200 && resp.status != 401 && resp.status != 400 && resp.status != 403 &&
      resp.status != 500)
    abort();

  /* a saturated count keeps its bound */
  rq.body_seen = SIZE_MAX - 1;
  bsf_http_req_body(&rq, body, bl);
  if (bl > 1 && rq.body_seen != SIZE_MAX) abort();
  free(method);
  free(target);
  free(auth);
  free(ua);
  free(body);
  return 0;
}
