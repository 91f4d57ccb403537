#include "mbmsec/buf.h"

#include <stdlib.h>
#include <string.h>
#include <openssl/crypto.h>

#include "guard.h"

void mbmsec_rd_init(mbmsec_rd *rd, const uint8_t *p, size_t len)
{
  rd->p = p;
  rd->len = p ? len : 0;
  rd->off = 0;
}

size_t mbmsec_rd_left(const mbmsec_rd *rd) { return rd->len - rd->off; }

mbmsec_err mbmsec_rd_ptr(mbmsec_rd *rd, size_t n, const uint8_t **out)
{
  ENSURE(n <= mbmsec_rd_left(rd), MBMSEC_ERR_TRUNCATED);
  *out = rd->p + rd->off;
  rd->off += n;
  return MBMSEC_OK;
}

mbmsec_err mbmsec_rd_copy(mbmsec_rd *rd, void *dst, size_t n)
{
  const uint8_t *src;
  GUARD(mbmsec_rd_ptr(rd, n, &src));
  if (n) memcpy(dst, src, n);
  return MBMSEC_OK;
}

mbmsec_err mbmsec_rd_u8(mbmsec_rd *rd, uint8_t *v)
{
  const uint8_t *s;
  GUARD(mbmsec_rd_ptr(rd, 1, &s));
  *v = s[0];
  return MBMSEC_OK;
}

mbmsec_err mbmsec_rd_u16(mbmsec_rd *rd, uint16_t *v)
{
  const uint8_t *s;
  GUARD(mbmsec_rd_ptr(rd, 2, &s));
  *v = (uint16_t)((s[0] << 8) | s[1]);
  return MBMSEC_OK;
}

mbmsec_err mbmsec_rd_u32(mbmsec_rd *rd, uint32_t *v)
{
  const uint8_t *s;
  GUARD(mbmsec_rd_ptr(rd, 4, &s));
  *v = ((uint32_t)s[0] << 24) | ((uint32_t)s[1] << 16) | ((uint32_t)s[2] << 8) | s[3];
  return MBMSEC_OK;
}

void mbmsec_wr_init(mbmsec_wr *wr, uint8_t *p, size_t cap)
{
  wr->p = p;
  wr->cap = p ? cap : 0;
  wr->len = 0;
}

mbmsec_err mbmsec_wr_bytes(mbmsec_wr *wr, const void *src, size_t n)
{
  ENSURE(n <= wr->cap - wr->len, MBMSEC_ERR_SPACE);
  if (n) memcpy(wr->p + wr->len, src, n);
  wr->len += n;
  return MBMSEC_OK;
}

mbmsec_err mbmsec_wr_u8(mbmsec_wr *wr, uint8_t v) { return mbmsec_wr_bytes(wr, &v, 1); }

mbmsec_err mbmsec_wr_u16(mbmsec_wr *wr, uint16_t v)
{
  const uint8_t b[2] = {(uint8_t)(v >> 8), (uint8_t)v};
  return mbmsec_wr_bytes(wr, b, 2);
}

mbmsec_err mbmsec_wr_u32(mbmsec_wr *wr, uint32_t v)
{
  const uint8_t b[4] = {(uint8_t)(v >> 24), (uint8_t)(v >> 16), (uint8_t)(v >> 8), (uint8_t)v};
  return mbmsec_wr_bytes(wr, b, 4);
}

mbmsec_err mbmsec_secbuf_alloc(mbmsec_secbuf *b, size_t len)
{
  b->p = NULL;
  b->len = 0;
  if (len == 0) return MBMSEC_OK;
  b->p = calloc(1, len);
  ENSURE(b->p != NULL, MBMSEC_ERR_NOMEM);
  b->len = len;
  return MBMSEC_OK;
}

mbmsec_err mbmsec_secbuf_set(mbmsec_secbuf *b, const void *src, size_t len)
{
  GUARD(mbmsec_secbuf_alloc(b, len));
  if (len) memcpy(b->p, src, len);
  return MBMSEC_OK;
}

void mbmsec_secbuf_free(mbmsec_secbuf *b)
{
  if (b->p) {
    OPENSSL_cleanse(b->p, b->len);
    free(b->p);
  }
  b->p = NULL;
  b->len = 0;
}
