/* Internal: the strict line reader shared by the USIM and UE state files.
 * Each file is a fixed sequence of "name value\n" lines; anything else is refused. */
#ifndef MBMSEC_UE_TEXT_H
#define MBMSEC_UE_TEXT_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "mbmsec/error.h"

typedef struct {
  const char *p;
  size_t len, pos;
} ue_text;

/* The value of the next line if it is exactly "name SP value LF" with a non-empty value
 * without control characters; false otherwise. */
bool ue_text_field(ue_text *t, const char *name, const char **val, size_t *val_len);
/* true at the end of the text. */
bool ue_text_end(const ue_text *t);
/* Exactly n octets as 2n lower-case hex digits. */
bool ue_text_hex(const char *v, size_t len, uint8_t *out, size_t n);
/* Decimal without sign or leading zeros, at most max. */
bool ue_text_u64(const char *v, size_t len, uint64_t max, uint64_t *out);
/* 1..MBMSEC_UE_ID_MAX octets 0x21..0x7E, copied with a NUL. */
bool ue_text_id(const char *v, size_t len, char *out, size_t cap);
/* Same check on a NUL-terminated string. */
bool ue_id_ok(const char *s, size_t max);
/* Appends printf output at *pos; MBMSEC_ERR_SPACE when it does not fit. */
__attribute__((format(printf, 4, 5))) mbmsec_err ue_text_append(char *out, size_t cap, size_t *pos,
                                                                const char *fmt, ...);
/* Appends "name HEX\n". */
mbmsec_err ue_text_append_hex(char *out, size_t cap, size_t *pos, const char *name,
                              const uint8_t *p, size_t n);

#endif
