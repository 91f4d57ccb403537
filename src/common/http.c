/* libmicrohttpd glue of the daemons. */
#include "http.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"

struct dhttp {
  struct MHD_Daemon *d;
  void *(*new_request)(const char *uri, size_t len);
  void (*free_request)(void *req);
};

static void *on_uri(void *cls, const char *uri, struct MHD_Connection *c)
{
  (void)c;
  const dhttp *h = cls;
  return h->new_request(uri, uri ? strlen(uri) : 0);
}

static void on_done(void *cls, struct MHD_Connection *c, void **req_cls,
                    enum MHD_RequestTerminationCode toe)
{
  (void)c;
  (void)toe;
  const dhttp *h = cls;
  if (*req_cls) h->free_request(*req_cls);
  *req_cls = NULL;
}
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wformat-nonliteral"
static void on_mhd_log(void *cls, const char *fmt, va_list ap)
{
  (void)cls;
  char line[512];
  vsnprintf(line, sizeof line, fmt, ap);
  size_t n = strlen(line);
  while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r')) line[--n] = 0;
  dlog(DLOG_WARN, "http-stack", "line", line, NULL);
}
#pragma GCC diagnostic pop

dhttp *dhttp_start(const dhttp_config *c)
{
  struct sockaddr_in sin = {.sin_family = AF_INET, .sin_port = htons(c->port)};
  char port[8];
  snprintf(port, sizeof port, "%u", (unsigned)c->port);
  if (inet_pton(AF_INET, c->addr, &sin.sin_addr) != 1) {
    dlog(DLOG_ERROR, "http listen address is not an IPv4 literal", "addr", c->addr, NULL);
    return NULL;
  }
  dhttp *h = calloc(1, sizeof *h);
  if (!h) return NULL;
  h->new_request = c->new_request;
  h->free_request = c->free_request;
  const bool ctx = c->new_request != NULL;
  h->d = MHD_start_daemon(
      c->flags | MHD_USE_ERROR_LOG, c->port, NULL, NULL, c->handler, c->handler_cls,
      MHD_OPTION_EXTERNAL_LOGGER, on_mhd_log, NULL, MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&sin,
      MHD_OPTION_THREAD_POOL_SIZE, c->threads, MHD_OPTION_CONNECTION_LIMIT, c->conn_limit,
      MHD_OPTION_PER_IP_CONNECTION_LIMIT, c->per_ip_limit, MHD_OPTION_CONNECTION_TIMEOUT,
      c->timeout_s, MHD_OPTION_CONNECTION_MEMORY_LIMIT, c->conn_memory, MHD_OPTION_URI_LOG_CALLBACK,
      ctx ? on_uri : NULL, h, MHD_OPTION_NOTIFY_COMPLETED, ctx ? on_done : NULL, h, MHD_OPTION_END);
  if (!h->d) {
    dlog(DLOG_ERROR, "cannot start the HTTP server (address in use?)", "addr", c->addr, "port",
         port, NULL);
    free(h);
    return NULL;
  }
  return h;
}

void dhttp_stop(dhttp *h)
{
  if (!h) return;
  MHD_stop_daemon(h->d);
  free(h);
}

static const struct sockaddr_in *client_ipv4(struct MHD_Connection *c)
{
  const union MHD_ConnectionInfo *ci =
      MHD_get_connection_info(c, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
  if (!ci || !ci->client_addr || ci->client_addr->sa_family != AF_INET) return NULL;
  return (const struct sockaddr_in *)(const void *)ci->client_addr;
}

uint32_t dhttp_remote_ipv4(struct MHD_Connection *c, uint16_t *port)
{
  const struct sockaddr_in *s = client_ipv4(c);
  *port = s ? ntohs(s->sin_port) : 0;
  return s ? ntohl(s->sin_addr.s_addr) : 0;
}

void dhttp_remote_text(struct MHD_Connection *c, char *out, size_t cap)
{
  const struct sockaddr_in *s = client_ipv4(c);
  if (!s) {
    snprintf(out, cap, "?");
    return;
  }
  const uint32_t a = ntohl(s->sin_addr.s_addr);
  const unsigned port = ntohs(s->sin_port);
  snprintf(out, cap, "%u.%u.%u.%u:%u", (unsigned)(a >> 24), (unsigned)(a >> 16 & 255),
           (unsigned)(a >> 8 & 255), (unsigned)(a & 255), port);
}
