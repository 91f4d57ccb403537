/* A growing text buffer for the admin reports (/metrics, `ue list`, `msk list`): printf
 * appends, a failed allocation is remembered and the report then comes out as NULL. */
#ifndef MBMSEC_BMSC_TEXT_H
#define MBMSEC_BMSC_TEXT_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct {
  char *buf;
  size_t len, cap;
  bool fail;
} bmsc_text;

/* An empty buffer of cap octets to start with (fail set when there is no memory). */
void bmsc_text_init(bmsc_text *t, size_t cap);
__attribute__((format(printf, 2, 3))) void bmsc_text_put(bmsc_text *t, const char *fmt, ...);
/* The text (malloc'd, NUL-terminated, *len octets) or NULL after a failure (freed then). */
char *bmsc_text_take(bmsc_text *t, size_t *len);

/* "a.b.c.d:port" of an IPv4 address in host order, into out (at least BMSC_IPV4_PORT_TEXT
 * octets), without printf: it is written on every key request (the UE's MIKEY address). */
#define BMSC_IPV4_PORT_TEXT 22
void bmsc_ipv4_port_text(uint32_t ipv4, unsigned port, char out[BMSC_IPV4_PORT_TEXT]);

#endif
