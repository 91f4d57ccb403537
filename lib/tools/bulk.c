/* Readers of the bulk-provisioning files (mbmsec/bulk.h). Both files share the line shape, so
 * one line walker does the ends, the limits and the octet checks; each reader splits fields. */
#include <string.h>

#include "guard.h"
#include "mbmsec/bulk.h"
#include "mbmsec/crypto.h"
#include "mbmsec/encode.h"

typedef struct {
  const uint8_t *p;
  size_t n, off;
  unsigned long line;
} walker;

/* The next line that is not empty or a comment, in *s / *len (not NUL-terminated), its ends
 * and trailing blanks dropped; *s NULL at the end of the data. */
static mbmsec_err next_line(walker *w, const char **s, size_t *len, mbmsec_bulk_pos *pos)
{
  *s = NULL;
  while (w->off < w->n) {
    const uint8_t *start = w->p + w->off;
    const size_t left = w->n - w->off;
    const uint8_t *nl = memchr(start, '\n', left);
    size_t l = nl ? (size_t)(nl - start) : left;
    w->off += nl ? l + 1 : l;
    w->line++;
    pos->line = w->line;
    if (l && start[l - 1] == '\r') l--;
    if (l > MBMSEC_BULK_LINE_MAX) {
      pos->why = "line longer than the limit";
      return MBMSEC_ERR_BULK_LINE_LEN;
    }
    if (memchr(start, 0, l)) {
      pos->why = "NUL octet";
      return MBMSEC_ERR_BULK_OCTET;
    }
    while (l && (start[l - 1] == ' ' || start[l - 1] == '\t' || start[l - 1] == '\r')) l--;
    if (!l || start[0] == '#') continue;
    for (size_t i = 0; i < l; i++)
      if ((start[i] < 0x20 && start[i] != '\t') || start[i] > 0x7e) {
        pos->why = "control or non-ASCII octet";
        return MBMSEC_ERR_BULK_OCTET;
      }
    *s = (const char *)start;
    *len = l;
    return MBMSEC_OK;
  }
  pos->line = 0;
  pos->why = NULL;
  return MBMSEC_OK;
}

/* Copies s[0..n) NUL-terminated into out[cap]; MBMSEC_ERR_BULK_VALUE when it does not fit. */
static mbmsec_err copy_str(const char *s, size_t n, char *out, size_t cap)
{
  ENSURE(n < cap, MBMSEC_ERR_BULK_VALUE);
  memcpy(out, s, n);
  out[n] = 0;
  return MBMSEC_OK;
}

/* Exactly want octets as 2*want hex digits. */
static mbmsec_err hex_field(const char *s, size_t n, uint8_t *out, size_t want)
{
  size_t got = 0;
  ENSURE(n == 2 * want, MBMSEC_ERR_BULK_VALUE);
  ENSURE(mbmsec_hex_decode(s, n, out, want, &got) == MBMSEC_OK && got == want,
         MBMSEC_ERR_BULK_VALUE);
  return MBMSEC_OK;
}

/* One CSV line into rec; *why names the field on an error. */
static mbmsec_err subscriber_line(const char *s, size_t l, mbmsec_bulk_subscriber *rec,
                                  const char **why)
{
  /* Zeroed: gcc's -O2/-O3 cannot see that only the n fields found are read. */
  const char *f[6] = {0};
  size_t fl[6] = {0}, n = 0, at = 0;
  while (n < 6) {
    const char *c = n < 5 ? memchr(s + at, ',', l - at) : NULL; /* USS: the rest, commas too */
    size_t e = c ? (size_t)(c - s) : l;
    f[n] = s + at;
    fl[n++] = e - at;
    if (!c) break;
    at = e + 1;
  }
  *why = "expected IMPI,K,OPC[,SQN[,AMF[,USS]]]";
  ENSURE(n >= 3 && fl[0] && fl[1] && fl[2], MBMSEC_ERR_BULK_FIELDS);
  *why = "IMPI longer than 255 octets";
  GUARD(copy_str(f[0], fl[0], rec->impi, sizeof rec->impi));
  *why = "K: expected 32 hex digits";
  GUARD(hex_field(f[1], fl[1], rec->k, 16));
  *why = "OPC: expected 32 hex digits";
  GUARD(hex_field(f[2], fl[2], rec->opc, 16));
  uint8_t sqn[6] = {0};
  *why = "SQN: expected 12 hex digits";
  if (n > 3 && fl[3]) GUARD(hex_field(f[3], fl[3], sqn, 6));
  rec->sqn = 0;
  for (int i = 0; i < 6; i++) rec->sqn = (rec->sqn << 8) | sqn[i];
  rec->amf[0] = 0x80;
  rec->amf[1] = 0x00;
  *why = "AMF: expected 4 hex digits";
  if (n > 4 && fl[4]) GUARD(hex_field(f[4], fl[4], rec->amf, 2));
  *why = "USS longer than 255 octets";
  if (n > 5 && fl[5])
    GUARD(copy_str(f[5], fl[5], rec->uss, sizeof rec->uss));
  else
    memcpy(rec->uss, "4", 2);
  *why = NULL;
  return MBMSEC_OK;
}

mbmsec_err mbmsec_bulk_subscribers(const uint8_t *data, size_t len, mbmsec_bulk_subscriber_cb cb,
                                   void *arg, mbmsec_bulk_pos *pos)
{
  ENSURE(cb && pos && (data || !len), MBMSEC_ERR_ARG);
  *pos = (mbmsec_bulk_pos){0};
  walker w = {.p = data, .n = len};
  mbmsec_bulk_subscriber rec;
  mbmsec_err rc;
  for (;;) {
    const char *s;
    size_t l = 0;
    GUARD_OUT(next_line(&w, &s, &l, pos));
    if (!s) break;
    memset(&rec, 0, sizeof rec);
    GUARD_OUT(subscriber_line(s, l, &rec, &pos->why));
    GUARD_OUT(cb(&rec, w.line, arg));
  }
  pos->line = 0;
out:
  mbmsec_cleanse(&rec, sizeof rec);
  return rc;
}

mbmsec_err mbmsec_bulk_impis(const uint8_t *data, size_t len, mbmsec_bulk_impi_cb cb, void *arg,
                             mbmsec_bulk_pos *pos)
{
  ENSURE(cb && pos && (data || !len), MBMSEC_ERR_ARG);
  *pos = (mbmsec_bulk_pos){0};
  walker w = {.p = data, .n = len};
  char impi[MBMSEC_STORE_IMPI_MAX + 1];
  for (;;) {
    const char *s;
    size_t l = 0;
    GUARD(next_line(&w, &s, &l, pos));
    if (!s) break;
    pos->why = "IMPI longer than 255 octets";
    GUARD(copy_str(s, l, impi, sizeof impi));
    pos->why = NULL;
    GUARD(cb(impi, w.line, arg));
  }
  pos->line = 0;
  return MBMSEC_OK;
}
