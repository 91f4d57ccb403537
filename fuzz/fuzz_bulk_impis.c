/* libFuzzer target for the IMPI list reader (lib/tools/bulk.c,
 * `mbmsec-bmsc subscriber grant|revoke --file`): arbitrary bytes as the file. Every IMPI handed
 * out must keep the header's promises. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "mbmsec/bulk.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static mbmsec_err on_impi(const char *impi, unsigned long line, void *arg)
{
  unsigned long *last = arg;
  size_t n = strnlen(impi, MBMSEC_STORE_IMPI_MAX + 1);
  if (n == 0 || n > MBMSEC_STORE_IMPI_MAX || line <= *last || impi[0] == '#') abort();
  for (size_t i = 0; i < n; i++)
    if ((unsigned char)impi[i] < 0x20 ? impi[i] != '\t' : (unsigned char)impi[i] > 0x7e) abort();
  if (impi[n - 1] == ' ' || impi[n - 1] == '\t') abort(); /* trailing blanks are dropped */
  *last = line;
  return line % 97 == 96 ? MBMSEC_ERR_STORE_IMPI : MBMSEC_OK; /* the store says no sometimes */
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  unsigned long last = 0;
  mbmsec_bulk_pos pos;
  mbmsec_err rc = mbmsec_bulk_impis(data, size, on_impi, &last, &pos);
  if ((rc == MBMSEC_OK) != (pos.line == 0)) abort();
  if (rc != MBMSEC_OK && rc != MBMSEC_ERR_STORE_IMPI && !pos.why) abort();
  return 0;
}
