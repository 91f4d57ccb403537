/* mbmsec: bounds-checked byte readers and writers, and key buffers that zeroise on free.
 *
 * Every parser in the library reads through mbmsec_rd, so no length field is trusted
 * before it is checked against what is left; every encoder writes through mbmsec_wr.
 */
#ifndef MBMSEC_BUF_H
#define MBMSEC_BUF_H
#include <stddef.h>
#include <stdint.h>
#include "mbmsec/error.h"

/* A read cursor over bytes it does not own. */
typedef struct {
  const uint8_t *p;
  size_t len;
  size_t off;
} mbmsec_rd;

/* A write cursor over a caller-owned buffer of capacity cap. */
typedef struct {
  uint8_t *p;
  size_t cap;
  size_t len;
} mbmsec_wr;

void mbmsec_rd_init(mbmsec_rd *rd, const uint8_t *p, size_t len);
size_t mbmsec_rd_left(const mbmsec_rd *rd);
/* @return MBMSEC_OK or MBMSEC_ERR_TRUNCATED (cursor unchanged on error). */
mbmsec_err mbmsec_rd_u8(mbmsec_rd *rd, uint8_t *v);
mbmsec_err mbmsec_rd_u16(mbmsec_rd *rd, uint16_t *v);
mbmsec_err mbmsec_rd_u32(mbmsec_rd *rd, uint32_t *v);
/* Points *out at the next n bytes (no copy). @return MBMSEC_OK or MBMSEC_ERR_TRUNCATED. */
mbmsec_err mbmsec_rd_ptr(mbmsec_rd *rd, size_t n, const uint8_t **out);
/* Copies the next n bytes. @return MBMSEC_OK or MBMSEC_ERR_TRUNCATED. */
mbmsec_err mbmsec_rd_copy(mbmsec_rd *rd, void *dst, size_t n);

void mbmsec_wr_init(mbmsec_wr *wr, uint8_t *p, size_t cap);
/* @return MBMSEC_OK or MBMSEC_ERR_SPACE (nothing written on error). */
mbmsec_err mbmsec_wr_u8(mbmsec_wr *wr, uint8_t v);
mbmsec_err mbmsec_wr_u16(mbmsec_wr *wr, uint16_t v);
mbmsec_err mbmsec_wr_u32(mbmsec_wr *wr, uint32_t v);
mbmsec_err mbmsec_wr_bytes(mbmsec_wr *wr, const void *src, size_t n);

/* A heap buffer for secrets: zeroised (OPENSSL_cleanse) before it is freed. */
typedef struct {
  uint8_t *p;
  size_t len;
} mbmsec_secbuf;

/* @return MBMSEC_OK, MBMSEC_ERR_NOMEM. */
mbmsec_err mbmsec_secbuf_alloc(mbmsec_secbuf *b, size_t len);
/* @return MBMSEC_OK, MBMSEC_ERR_NOMEM. Copies len bytes from src. */
mbmsec_err mbmsec_secbuf_set(mbmsec_secbuf *b, const void *src, size_t len);
/* Zeroises and frees; safe on an empty buffer. */
void mbmsec_secbuf_free(mbmsec_secbuf *b);

#endif
