/* The daemons' settings: the INI reader and the loader of defaults < file < command line. */
#include "ini.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"

static char *trim(char *s)
{
  while (*s == ' ' || *s == '\t') s++;
  size_t n = strlen(s);
  while (n > 0 && (s[n - 1] == ' ' || s[n - 1] == '\t' || s[n - 1] == '\r' || s[n - 1] == '\n'))
    s[--n] = 0;
  return s;
}

__attribute__((format(printf, 4, 5))) static int fail(ini_error *err, const char *path,
                                                      int line, const char *fmt, ...)
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
    return cli_usage_error(o->cmd, "%s:%d: unknown section [%s], expected [%s] or [zn]",
                           fc->path, line, section, o->section);
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
    if (eq) v = eq + 1;
    else if (!flag && i + 1 < argc) v = argv[++i];
    const int rc = o->set(o->settings, name, v, 0);
    if (rc < 0) return cli_usage_error(o->cmd, "unknown option '%s'", a);
    if (rc) return rc;
  }
  return 0;
}
