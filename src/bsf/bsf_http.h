/* The HTTP side of the daemon: libmicrohttpd in front of the Ub engine. */
#ifndef MBMSEC_BSF_HTTP_H
#define MBMSEC_BSF_HTTP_H
#include <stdint.h>

#include "mbmsec/bsf.h"

typedef struct bsf_http bsf_http;

/* Listens on addr (IPv4 literal) and port; requests go to engine. Logs why on failure.
 * @return 0, or -1 (nothing started). */
int bsf_http_start(const char *addr, uint16_t port, mbmsec_bsf *engine, bsf_http **out);
/* Stops the server (waits for its threads) and frees it; NULL is a no-op. */
void bsf_http_stop(bsf_http *h);

#endif
