/* libFuzzer target for the daemons' configuration reader (src/common/ini.c): arbitrary
 * bytes as a config file; every key it hands out must be a non-empty NUL-terminated string
 * inside a section, no value longer than a line, and a refusal must say where. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ini.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int on_key(const char *section, const char *key, const char *value, int line, void *user)
{
  int *last = user;
  if (!section[0] || strlen(section) > INI_SECTION_MAX || !key[0] || line <= *last)
    abort(); /* the reader promised otherwise */
  if (strlen(key) + strlen(value) > INI_LINE_MAX) abort();
  *last = line;
  return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  if (size == 0) return 0;
  FILE *f = fmemopen((void *)data, size, "r");
  if (!f) return 0;
  int last = 0;
  ini_error err;
  const int rc = ini_read_stream(f, "fuzz", on_key, &last, &err);
  if (rc != 0 && (rc != INI_SYNTAX || !err.msg[0])) abort(); /* only the reader refuses */
  fclose(f);
  return 0;
}
