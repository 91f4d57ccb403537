/* libFuzzer target for the subscriber CSV reader (lib/tools/bulk.c,
 * `mbmsec-bsf subscriber import`): arbitrary bytes as the file. Every record handed out must keep
 * the header's promises. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "mbmsec/bulk.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static mbmsec_err on_sub(const mbmsec_bulk_subscriber *r, unsigned long line, void *arg)
{
  unsigned long *last = arg;
  size_t il = strnlen(r->impi, sizeof r->impi), ul = strnlen(r->uss, sizeof r->uss);
  if (il == 0 || il > MBMSEC_STORE_IMPI_MAX || ul == 0 || ul > MBMSEC_STORE_USS_MAX) abort();
  if (r->sqn >> 48 || line <= *last) abort(); /* 48-bit SQN, lines in increasing order */
  for (size_t i = 0; i < il; i++)
    if ((unsigned char)r->impi[i] < 0x20 && r->impi[i] != '\t') abort();
  *last = line;
  return line % 97 == 96 ? MBMSEC_ERR_STORE_EXISTS : MBMSEC_OK; /* the store says no sometimes */
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  unsigned long last = 0;
  mbmsec_bulk_pos pos;
  mbmsec_err rc = mbmsec_bulk_subscribers(data, size, on_sub, &last, &pos);
  if ((rc == MBMSEC_OK) != (pos.line == 0)) abort();
  if (rc != MBMSEC_OK && rc != MBMSEC_ERR_STORE_EXISTS && !pos.why) abort();
  return 0;
}
