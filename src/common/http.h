/* libmicrohttpd glue of the daemons (mbmsec-bsf on Ub, mbmsec-bmsc on Ua and its admin port):
 * one start-up with the options both use, MHD's own messages into dlog, the raw
 * request-target, and the client's address.
 *
 * MHD hands the access handler a percent-decoded path without the query, but Digest compares
 * the uri directive with the request-target byte for byte (RFC 7616 3.4.6): the raw target is
 * taken from MHD's URI log callback, whose return value becomes the request's context
 * (*req_cls of the handler), and the request-completed callback frees it. */
#ifndef MBMSEC_DAEMON_HTTP_H
#define MBMSEC_DAEMON_HTTP_H
#include <microhttpd.h>
#include <stddef.h>
#include <stdint.h>

typedef struct {
  const char *addr; /* IPv4 literal */
  uint16_t port;
  unsigned flags;        /* MHD_USE_* threading model (MHD_USE_ERROR_LOG is added) */
  unsigned threads;      /* thread pool size; 0 = the one internal thread */
  unsigned conn_limit;   /* connections at once */
  unsigned per_ip_limit; /* connections per client address; 0 = no limit */
  unsigned timeout_s;    /* idle connection timeout */
  size_t conn_memory;    /* per-connection pool: bounds request line + header block (431) */
  MHD_AccessHandlerCallback handler;
  void *handler_cls;
  /* The request's context from its raw target (uri NULL when MHD has none; len its length);
   * NULL return: out of memory (the handler then drops the connection). NULL: no context. */
  void *(*new_request)(const char *uri, size_t len);
  /* Frees what new_request returned (called with non-NULL only). */
  void (*free_request)(void *req);
} dhttp_config;

typedef struct dhttp dhttp;
/* Starts a server listening on c->addr:c->port (c is copied). Logs why on failure and
 * returns NULL. */
dhttp *dhttp_start(const dhttp_config *c);
/* Stops the server (waits for its threads) and frees it; NULL is a no-op. */
void dhttp_stop(dhttp *h);

/* The client's IPv4 address (host order) and port; 0 (and port 0) when not IPv4. */
uint32_t dhttp_remote_ipv4(struct MHD_Connection *c, uint16_t *port);
/* The client's address as "a.b.c.d:port" into out[cap], "?" when not IPv4. */
void dhttp_remote_text(struct MHD_Connection *c, char *out, size_t cap);

#endif
