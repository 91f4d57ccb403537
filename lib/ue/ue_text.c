/* Strict line reader for the UE's files (see ue_text.h). */
#include "ue_text.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "guard.h"

bool ue_text_field(ue_text *t, const char *name, const char **val, size_t *val_len)
{
  size_t nlen = strlen(name);
  const char *line = t->p + t->pos;
  size_t rest = t->len - t->pos;
  const char *lf = memchr(line, '\n', rest);
  if (!lf) return false;
  size_t llen = (size_t)(lf - line);
  if (llen < nlen + 2 || memcmp(line, name, nlen) != 0 || line[nlen] != ' ') return false;
  for (size_t i = nlen + 1; i < llen; i++) {
    unsigned char c = (unsigned char)line[i];
    if (c < 0x20 || c == 0x7F) return false;
  }
  *val = line + nlen + 1;
  *val_len = llen - nlen - 1;
  t->pos += llen + 1;
  return true;
}

bool ue_text_end(const ue_text *t) { return t->pos == t->len; }

static int nib(char c)
{
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  return -1;
}

bool ue_text_hex(const char *v, size_t len, uint8_t *out, size_t n)
{
  if (len != 2 * n) return false;
  for (size_t i = 0; i < n; i++) {
    int hi = nib(v[2 * i]), lo = nib(v[2 * i + 1]);
    if (hi < 0 || lo < 0) return false;
    out[i] = (uint8_t)(hi << 4 | lo);
  }
  return true;
}

bool ue_text_u64(const char *v, size_t len, uint64_t max, uint64_t *out)
{
  if (len == 0 || len > 20 || (len > 1 && v[0] == '0')) return false;
  uint64_t x = 0;
  for (size_t i = 0; i < len; i++) {
    if (v[i] < '0' || v[i] > '9') return false;
    uint64_t d = (uint64_t)(v[i] - '0');
    if (x > (UINT64_MAX - d) / 10) return false;
    x = x * 10 + d;
  }
  if (x > max) return false;
  *out = x;
  return true;
}

bool ue_text_id(const char *v, size_t len, char *out, size_t cap)
{
  if (len == 0 || len >= cap) return false;
  for (size_t i = 0; i < len; i++)
    if ((unsigned char)v[i] < 0x21 || (unsigned char)v[i] > 0x7E) return false;
  memcpy(out, v, len);
  out[len] = '\0';
  return true;
}

bool ue_id_ok(const char *s, size_t max)
{
  size_t n = strnlen(s, max + 1);
  if (n == 0 || n > max) return false;
  for (size_t i = 0; i < n; i++)
    if ((unsigned char)s[i] < 0x21 || (unsigned char)s[i] > 0x7E) return false;
  return true;
}

mbmsec_err ue_text_append(char *out, size_t cap, size_t *pos, const char *fmt, ...)
{
  ENSURE(*pos < cap, MBMSEC_ERR_SPACE);
  va_list ap;
  va_start(ap, fmt);
  int n = vsnprintf(out + *pos, cap - *pos, fmt, ap);
  va_end(ap);
  ENSURE(n >= 0 && (size_t)n < cap - *pos, MBMSEC_ERR_SPACE);
  *pos += (size_t)n;
  return MBMSEC_OK;
}

mbmsec_err ue_text_append_hex(char *out, size_t cap, size_t *pos, const char *name,
                              const uint8_t *p, size_t n)
{
  GUARD(ue_text_append(out, cap, pos, "%s ", name));
  for (size_t i = 0; i < n; i++) GUARD(ue_text_append(out, cap, pos, "%02x", p[i]));
  return ue_text_append(out, cap, pos, "\n");
}
