#include "cli.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mbmsec/encode.h"

int cli_usage_error(const char *cmd, const char *fmt, ...)
{
  va_list ap;
  fprintf(stderr, "mbmsec %s: ", cmd);
  va_start(ap, fmt);
  vfprintf(stderr, fmt, ap);
  va_end(ap);
  fprintf(stderr, "\nTry 'mbmsec %s --help'.\n", cmd);
  return CLI_USAGE;
}

int cli_fail(const char *cmd, const char *fmt, ...)
{
  va_list ap;
  fprintf(stderr, "mbmsec %s: ", cmd);
  va_start(ap, fmt);
  vfprintf(stderr, fmt, ap);
  va_end(ap);
  fputc('\n', stderr);
  return CLI_FAIL;
}

int cli_hex_arg(const char *cmd, const char *opt, const char *val, uint8_t *out, size_t cap,
                size_t want, size_t *len)
{
  size_t n = 0, slen = strlen(val);
  if (mbmsec_hex_decode(val, slen, out, cap, &n) != 0) {
    if (want)
      cli_usage_error(cmd, "%s: expected %zu hex digits, got '%s'", opt, 2 * want, val);
    else
      cli_usage_error(cmd, "%s: expected at most %zu hex digits, got '%s'", opt, 2 * cap, val);
    return -1;
  }
  if (want && n != want) {
    cli_usage_error(cmd, "%s: expected %zu hex digits, got %zu", opt, 2 * want, slen);
    return -1;
  }
  if (len) *len = n;
  return 0;
}

int cli_uint_arg(const char *cmd, const char *opt, const char *val, uint64_t max, uint64_t *out)
{
  char *end = NULL;
  errno = 0;
  if (val[0] == '-' || val[0] == '\0') goto bad;
  unsigned long long v = strtoull(val, &end, 0);
  if (errno || *end != '\0' || v > max) goto bad;
  *out = v;
  return 0;
bad:
  cli_usage_error(cmd, "%s: expected a number from 0 to %llu, got '%s'", opt,
                  (unsigned long long)max, val);
  return -1;
}

int cli_read_file(const char *cmd, const char *path, size_t max, uint8_t **out, size_t *len)
{
  FILE *f = fopen(path, "rb");
  if (!f) {
    cli_usage_error(cmd, "cannot open '%s': %s", path, strerror(errno));
    return -1;
  }
  uint8_t *buf = malloc(max + 1);
  size_t n = buf ? fread(buf, 1, max + 1, f) : 0;
  int err = buf == NULL || ferror(f);
  fclose(f);
  if (err || n > max) {
    free(buf);
    cli_usage_error(cmd, "'%s': %s", path, err ? "read error" : "file too large");
    return -1;
  }
  *out = buf;
  *len = n;
  return 0;
}

void cli_out_begin(cli_out *o, bool json)
{
  o->json = json;
  o->count = 0;
  if (json) fputs("{", stdout);
}

void cli_json_string(const char *s)
{
  putchar('"');
  for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
    if (*p == '"' || *p == '\\') printf("\\%c", *p);
    else if (*p < 0x20) printf("\\u%04x", *p);
    else putchar(*p);
  }
  putchar('"');
}

void cli_out_str(cli_out *o, const char *name, const char *s)
{
  if (o->json) {
    fputs(o->count ? "," : "", stdout);
    cli_json_string(name);
    putchar(':');
    cli_json_string(s);
  } else {
    printf("%s=%s\n", name, s);
  }
  o->count++;
}

void cli_out_hex(cli_out *o, const char *name, const uint8_t *p, size_t n)
{
  char *hex = malloc(2 * n + 1);
  if (!hex || mbmsec_hex_encode(p, n, hex, 2 * n + 1) != 0) {
    free(hex);
    fprintf(stderr, "mbmsec: out of memory\n");
    exit(CLI_FAIL);
  }
  cli_out_str(o, name, hex);
  free(hex);
}

void cli_out_end(cli_out *o)
{
  if (o->json) fputs("}\n", stdout);
  fflush(stdout);
}
