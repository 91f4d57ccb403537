#include "cli.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mbmsec/crypto.h"
#include "mbmsec/encode.h"

static const char *g_prog = "mbmsec";

void cli_set_program(const char *name) { g_prog = name; }
const char *cli_program(void) { return g_prog; }

int cli_usage_error(const char *cmd, const char *fmt, ...)
{
  va_list ap;
  fprintf(stderr, "%s %s: ", g_prog, cmd);
  va_start(ap, fmt);
  vfprintf(stderr, fmt, ap);
  va_end(ap);
  fprintf(stderr, "\nTry '%s %s --help'.\n", g_prog, cmd);
  return CLI_USAGE;
}

int cli_fail(const char *cmd, const char *fmt, ...)
{
  va_list ap;
  fprintf(stderr, "%s %s: ", g_prog, cmd);
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

/* Reads f to its end into a malloc'd buffer: 0, 1 (read error or no memory), 2 (over max). */
static int read_stream(FILE *f, size_t max, uint8_t **out, size_t *len)
{
  uint8_t *buf = malloc(max + 1);
  size_t n = buf ? fread(buf, 1, max + 1, f) : 0;
  int err = buf == NULL || ferror(f) ? 1 : n > max ? 2 : 0;
  if (err)
    free(buf);
  else {
    *out = buf;
    *len = n;
  }
  return err;
}

int cli_read_file(const char *cmd, const char *path, size_t max, uint8_t **out, size_t *len)
{
  FILE *f = fopen(path, "rb");
  if (!f) {
    cli_usage_error(cmd, "cannot open '%s': %s", path, strerror(errno));
    return -1;
  }
  int err = read_stream(f, max, out, len);
  fclose(f);
  if (err) {
    cli_usage_error(cmd, "'%s': %s", path, err == 1 ? "read error" : "file too large");
    return -1;
  }
  return 0;
}

int cli_read_input(const char *cmd, const char *path, size_t max, uint8_t **out, size_t *len)
{
  FILE *f = strcmp(path, "-") ? fopen(path, "rb") : stdin;
  if (!f) {
    cli_fail(cmd, "cannot open %s: %s", path, strerror(errno));
    return -1;
  }
  int err = read_stream(f, max, out, len);
  if (f != stdin) fclose(f);
  if (err) {
    cli_fail(cmd, "%s: %s", path, err == 1 ? "read error" : "larger than the limit");
    return -1;
  }
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
    if (*p == '"' || *p == '\\')
      printf("\\%c", *p);
    else if (*p < 0x20)
      printf("\\u%04x", *p);
    else
      putchar(*p);
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
    fprintf(stderr, "%s: out of memory\n", g_prog);
    exit(CLI_FAIL);
  }
  cli_out_str(o, name, hex);
  mbmsec_cleanse(hex, 2 * n + 1); /* the value may be a key */
  free(hex);
}

void cli_out_end(cli_out *o)
{
  if (o->json) fputs("}\n", stdout);
  fflush(stdout);
}

static void main_usage(FILE *f, const char *about, const cli_cmd *cmds, size_t n)
{
  fprintf(f, "Usage: %s COMMAND [OPTIONS]\n\n%s\n\nCommands:\n", g_prog, about);
  for (size_t i = 0; i < n; i++) fprintf(f, "  %-16s %s\n", cmds[i].name, cmds[i].summary);
  fprintf(f, "\nEvery command takes --help. Values print as name=value lines, or one JSON\n"
             "object with --json. Exit status: 0 success, 1 failure, 2 usage error.\n");
}

int cli_main(const char *prog, const char *about, const cli_cmd *cmds, size_t n, int argc,
             char **argv)
{
  cli_set_program(prog);
  if (argc < 2) {
    main_usage(stderr, about, cmds, n);
    return CLI_USAGE;
  }
  if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") || !strcmp(argv[1], "help")) {
    main_usage(stdout, about, cmds, n);
    return CLI_OK;
  }
  if (!strcmp(argv[1], "--version")) {
    printf("%s 0.1.0\n", prog);
    return CLI_OK;
  }
  for (size_t i = 0; i < n; i++) {
    if (strcmp(argv[1], cmds[i].name)) continue;
    if (!cmds[i].fn) {
      fprintf(stderr, "%s: command '%s' is not built into this binary\n", prog, argv[1]);
      return CLI_FAIL;
    }
    return cmds[i].fn(argc - 1, argv + 1);
  }
  fprintf(stderr, "%s: unknown command '%s'\nTry '%s --help'.\n", prog, argv[1], prog);
  return CLI_USAGE;
}

int cli_parse(const char *cmd, int argc, char **argv, const cli_opt *opts, size_t n, bool *help)
{
  *help = false;
  for (int i = 1; i < argc; i++) {
    const char *a = argv[i];
    if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
      *help = true;
      return CLI_OK;
    }
    if (strncmp(a, "--", 2) != 0) return cli_usage_error(cmd, "unexpected argument '%s'", a);
    const char *eq = strchr(a, '=');
    size_t nl = eq ? (size_t)(eq - a) : strlen(a);
    const cli_opt *o = NULL;
    for (size_t k = 0; k < n && !o; k++)
      if (strlen(opts[k].name) == nl && !strncmp(opts[k].name, a, nl)) o = &opts[k];
    if (!o) return cli_usage_error(cmd, "unknown option '%.*s'", (int)nl, a);
    if (o->flag) {
      if (eq) return cli_usage_error(cmd, "%s takes no value", o->name);
      *o->flag = true;
      continue;
    }
    const char *v = eq ? eq + 1 : (i + 1 < argc ? argv[++i] : NULL);
    if (!v) return cli_usage_error(cmd, "%s needs a value", o->name);
    if (*o->val) return cli_usage_error(cmd, "%s given twice", o->name);
    *o->val = v;
  }
  return CLI_OK;
}

int cli_parse_values(const char *cmd, int argc, char **argv, const char *const *names,
                     const char **vals, size_t n, bool *json, bool *help)
{
  cli_opt opts[CLI_VALUES_MAX + 1];
  if (n > CLI_VALUES_MAX) return cli_usage_error(cmd, "internal: too many options");
  for (size_t i = 0; i < n; i++) opts[i] = (cli_opt){names[i], &vals[i], NULL};
  if (json) opts[n++] = (cli_opt){"--json", NULL, json};
  return cli_parse(cmd, argc, argv, opts, n, help);
}
