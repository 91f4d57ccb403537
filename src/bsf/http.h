/* The HTTP side of mbmsec-bsf: libmicrohttpd in front of the Ub engine (http.c). */
#ifndef MBMSEC_BSF_HTTP_H
#define MBMSEC_BSF_HTTP_H
#include <stddef.h>
#include <stdint.h>

#include "mbmsec/bsf.h"

typedef struct bsf_http bsf_http;

/* Octets of a request body kept for the engine (Ub requests have none; the engine refuses). */
#define BSF_HTTP_BODY_KEEP 256

/* What the adapter keeps of one request between libmicrohttpd's calls. */
typedef struct {
  char *target; /* the raw request-target */
  size_t target_len;
  int started;
  size_t body_seen; /* octets of body received in all (saturating) */
  uint8_t body[BSF_HTTP_BODY_KEEP];
} bsf_http_req;

/* The MHD-free halves of the request handler (fuzz/fuzz_bsf_http.c drives them): a body chunk
 * of any length is counted and its first BSF_HTTP_BODY_KEEP octets kept; the complete request
 * goes to the engine and is logged (remote: the client's "address:port", whose address is the
 * engine's source for the per-source limit of pending challenges). */
void bsf_http_req_body(bsf_http_req *rq, const char *data, size_t len);
mbmsec_err bsf_http_req_answer(mbmsec_bsf *engine, const bsf_http_req *rq, const char *method,
                               const char *auth, const char *ua, const char *remote,
                               mbmsec_bsf_response *r);

/* Listens on addr (IPv4 literal) and port; requests go to engine. Logs why on failure.
 * @return 0, or -1 (nothing started). */
int bsf_http_start(const char *addr, uint16_t port, mbmsec_bsf *engine, bsf_http **out);
/* Stops the server (waits for its threads) and frees it; NULL is a no-op. */
void bsf_http_stop(bsf_http *h);

#endif
