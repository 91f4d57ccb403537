/* libFuzzer target for the daemons' configuration reader (src/bsf/bsf_ini.c): arbitrary
 * bytes as a config file; every key it hands out must be a NUL-terminated string inside a
 * section. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bsf_ini.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int on_key(const char *section, const char *key, const char *value, int line, void *user)
{
  (void)user;
  if (!section[0] || !key[0] || line < 1) abort(); /* the reader promised otherwise */
  return (int)(strlen(value) > 4096); /* never: lines are at most 1023 octets */
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  if (size == 0) return 0;
  FILE *f = fmemopen((void *)data, size, "r");
  if (!f) return 0;
  (void)bsf_ini_read_stream(f, "fuzz", on_key, NULL);
  fclose(f);
  return 0;
}
