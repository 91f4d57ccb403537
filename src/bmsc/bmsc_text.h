/* A growing text buffer for the admin reports (/metrics, `ue list`, `msk list`): printf
 * appends, a failed allocation is remembered and the report then comes out as NULL. */
#ifndef MBMSEC_BMSC_TEXT_H
#define MBMSEC_BMSC_TEXT_H
#include <stdbool.h>
#include <stddef.h>

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

#endif
