/* The admin reports' growing text buffer (text.h). */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#include "text.h"

void bmsc_text_init(bmsc_text *t, size_t cap)
{
  t->buf = malloc(cap);
  t->len = 0;
  t->cap = t->buf ? cap : 0;
  t->fail = t->buf == NULL;
  if (t->buf) t->buf[0] = 0;
}

void bmsc_text_put(bmsc_text *t, const char *fmt, ...)
{
  for (int round = 0; round < 2 && !t->fail; round++) {
    va_list ap;
    va_start(ap, fmt);
    int w = vsnprintf(t->buf + t->len, t->cap - t->len, fmt, ap);
    va_end(ap);
    if (w < 0) break;
    if ((size_t)w < t->cap - t->len) {
      t->len += (size_t)w;
      return;
    }
    char *nb = realloc(t->buf, t->cap * 2 + (size_t)w);
    if (!nb) break;
    t->buf = nb;
    t->cap = t->cap * 2 + (size_t)w;
  }
  t->fail = true;
}

char *bmsc_text_take(bmsc_text *t, size_t *len)
{
  if (t->fail) {
    free(t->buf);
    t->buf = NULL;
    return NULL;
  }
  *len = t->len;
  return t->buf;
}

static char *put_dec(char *p, unsigned v)
{
  char d[10];
  size_t n = 0;
  do d[n++] = (char)('0' + v % 10);
  while ((v /= 10) != 0);
  while (n) *p++ = d[--n];
  return p;
}

void bmsc_ipv4_port_text(uint32_t ipv4, unsigned port, char out[BMSC_IPV4_PORT_TEXT])
{
  char *p = out;
  for (int shift = 24; shift >= 0; shift -= 8) {
    p = put_dec(p, (ipv4 >> shift) & 255u);
    *p++ = shift ? '.' : ':';
  }
  p = put_dec(p, port & 0xffffu);
  *p = '\0';
}
