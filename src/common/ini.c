/* The daemons' settings: the INI reader and the loader of defaults < file < command line. */
#include "ini.h"

#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "log.h"

static char *trim(char *s)
{
  while (*s == ' ' || *s == '\t') s++;
  size_t n = strlen(s);
  while (n > 0 && (s[n - 1] == ' ' || s[n - 1] == '\t' || s[n - 1] == '\r' || s[n - 1] == '\n'))
    s[--n] = 0;
  return s;
}

__attribute__((format(printf, 4, 5))) static int fail(ini_error *err, const char *path, int line,
                                                      const char *fmt, ...)
{
  char what[96];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(what, sizeof what, fmt, ap);
  va_end(ap);
  err->line = line;
  snprintf(err->msg, sizeof err->msg, "%.80s:%d: %s", path, line, what);
  return INI_SYNTAX;
}

int ini_read(const char *path, ini_fn fn, void *user, ini_error *err)
{
  FILE *f = fopen(path, "r");
  if (!f) {
    err->line = 0;
    snprintf(err->msg, sizeof err->msg, "cannot read config file %.120s", path);
    return INI_SYNTAX;
  }
  const int rc = ini_read_stream(f, path, fn, user, err);
  fclose(f);
  return rc;
}

int ini_read_stream(FILE *f, const char *path, ini_fn fn, void *user, ini_error *err)
{
  char buf[INI_LINE_MAX + 1], section[INI_SECTION_MAX + 1] = "";
  int line = 0;
  size_t total = 0;
  while (fgets(buf, sizeof buf, f)) {
    line++;
    total += strlen(buf);
    if (total > INI_FILE_MAX || (strchr(buf, '\n') == NULL && !feof(f)))
      return fail(err, path, line, "line or file too long");
    char *s = trim(buf);
    if (*s == 0 || *s == '#' || *s == ';') continue;
    if (*s == '[') {
      char *e = strchr(s, ']');
      if (!e || e[1] != 0) return fail(err, path, line, "bad section header");
      *e = 0;
      char *name = trim(s + 1);
      if (!*name || strlen(name) > INI_SECTION_MAX)
        return fail(err, path, line, "bad section header");
      memcpy(section, name, strlen(name) + 1);
      continue;
    }
    char *eq = strchr(s, '=');
    if (!eq) return fail(err, path, line, "expected key = value");
    if (!section[0]) return fail(err, path, line, "key outside a section");
    *eq = 0;
    char *k = trim(s), *v = trim(eq + 1);
    if (!*k) return fail(err, path, line, "empty key");
    const int rc = fn(section, k, v, line, user);
    if (rc) return rc;
  }
  if (ferror(f)) {
    err->line = line;
    snprintf(err->msg, sizeof err->msg, "cannot read config file %.120s", path);
    return INI_SYNTAX;
  }
  return 0;
}

int ini_value_str(const char *cmd, const char *name, const char *v, char *dst, size_t cap)
{
  const size_t n = strlen(v);
  if (!n || n >= cap)
    return cli_usage_error(cmd, "--%s: empty or longer than %zu characters", name, cap - 1);
  memcpy(dst, v, n + 1);
  return 0;
}

/* A decimal number lo..hi with nothing around it. */
static bool number(const char *v, unsigned long lo, unsigned long hi, unsigned long *out)
{
  char *end;
  errno = 0;
  const unsigned long n = strtoul(v, &end, 10);
  if (errno || *end || *v < '0' || *v > '9' || n < lo || n > hi) return false;
  *out = n;
  return true;
}

int ini_value_uint(const char *cmd, const char *name, const char *v, unsigned long lo,
                   unsigned long hi, unsigned long *out)
{
  if (!number(v, lo, hi, out))
    return cli_usage_error(cmd, "--%s '%s': expected %lu..%lu", name, v, lo, hi);
  return 0;
}

int ini_value_addr(const char *cmd, const char *name, const char *v, char *addr, size_t cap,
                   uint16_t *port, unsigned long min_port)
{
  const char *c = strrchr(v, ':');
  unsigned long p;
  if (!c || c == v || (size_t)(c - v) >= cap)
    return cli_usage_error(cmd, "--%s '%s': expected ADDR:PORT", name, v);
  if (!number(c + 1, min_port, 65535, &p))
    return cli_usage_error(cmd, "--%s '%s': port must be %lu..65535", name, v, min_port);
  memcpy(addr, v, (size_t)(c - v));
  addr[c - v] = 0;
  *port = (uint16_t)p;
  return 0;
}

int ini_value_bool(const char *cmd, const char *name, const char *v, bool *out)
{
  if (!strcmp(v, "true") || !strcmp(v, "yes") || !strcmp(v, "1") || !strcmp(v, "on"))
    *out = true;
  else if (!strcmp(v, "false") || !strcmp(v, "no") || !strcmp(v, "0") || !strcmp(v, "off"))
    *out = false;
  else
    return cli_usage_error(cmd, "--%s '%s': expected true or false", name, v);
  return 0;
}

int ini_value_log_level(const char *cmd, const char *name, const char *v, int *out)
{
  const int l = dlog_level_parse(v);
  if (l < 0) return cli_usage_error(cmd, "--%s '%s': expected debug, info, warn or error", name, v);
  *out = l;
  return 0;
}

typedef struct {
  const ini_options *o;
  const char *path;
} file_ctx;

static int on_key(const char *section, const char *key, const char *value, int line, void *user)
{
  const file_ctx *fc = user;
  const ini_options *o = fc->o;
  const bool zn_key = !strncmp(key, "zn-", 3) || !strcmp(key, "no-zn");
  const bool zn_section = !strcmp(section, "zn");
  if (!zn_section && strcmp(section, o->section))
    return cli_usage_error(o->cmd, "%s:%d: unknown section [%s], expected [%s] or [zn]", fc->path,
                           line, section, o->section);
  if (zn_key != zn_section)
    return cli_usage_error(o->cmd, "%s:%d: %s belongs in [%s]", fc->path, line, key,
                           zn_key ? "zn" : o->section);
  const int rc = o->set(o->settings, key, value, line);
  if (rc < 0) return cli_usage_error(o->cmd, "%s:%d: unknown key '%s'", fc->path, line, key);
  return rc ? 2 : 0;
}

static bool is_flag(const ini_options *o, const char *name)
{
  for (size_t i = 0; o->flags && o->flags[i]; i++)
    if (!strcmp(name, o->flags[i])) return true;
  return false;
}

int ini_options_load(const ini_options *o, int argc, char **argv)
{
  const char *config = NULL;
  /* the file first, wherever --config stands, so that every option overrides it */
  for (int i = 1; i < argc; i++) {
    if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
      fputs(o->help, stdout);
      return 3;
    }
    if (!strcmp(argv[i], "--config")) {
      if (i + 1 >= argc) return cli_usage_error(o->cmd, "--config needs a value");
      config = argv[++i];
    } else if (!strncmp(argv[i], "--config=", 9)) {
      config = argv[i] + 9;
    }
  }
  if (config) {
    ini_error err;
    file_ctx fc = {o, config};
    const int rc = ini_read(config, on_key, &fc, &err);
    if (rc == INI_SYNTAX) return cli_usage_error(o->cmd, "%s", err.msg);
    if (rc) return 2;
  }
  for (int i = 1; i < argc; i++) {
    const char *a = argv[i], *eq = strchr(a, '='), *v = NULL;
    if (strncmp(a, "--", 2)) return cli_usage_error(o->cmd, "unexpected argument '%s'", a);
    char name[64];
    const size_t nl = eq ? (size_t)(eq - a - 2) : strlen(a + 2);
    if (nl >= sizeof name) return cli_usage_error(o->cmd, "unknown option '%s'", a);
    memcpy(name, a + 2, nl);
    name[nl] = 0;
    if (!strcmp(name, "config")) {
      i += eq ? 0 : 1;
      continue;
    }
    const bool flag = is_flag(o, name);
    if (flag && eq) return cli_usage_error(o->cmd, "--%s takes no value", name);
    if (eq)
      v = eq + 1;
    else if (!flag && i + 1 < argc)
      v = argv[++i];
    const int rc = o->set(o->settings, name, v, 0);
    if (rc < 0) return cli_usage_error(o->cmd, "unknown option '%s'", a);
    if (rc) return rc;
  }
  return 0;
}
