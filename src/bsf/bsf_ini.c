/* The configuration file reader. Small on purpose: sections and key = value, no escapes, no
 * continuation lines, no quotes (values are host names, ports, paths and words). */
#include <stdio.h>
#include <string.h>

#include "bsf_ini.h"

static char *trim(char *s)
{
  while (*s == ' ' || *s == '\t')
    s++;
  size_t n = strlen(s);
  while (n > 0 && (s[n - 1] == ' ' || s[n - 1] == '\t' || s[n - 1] == '\r' || s[n - 1] == '\n'))
    s[--n] = 0;
  return s;
}

mbmsec_err bsf_ini_read(const char *path, bsf_ini_fn fn, void *user)
{
  FILE *f = fopen(path, "r");
  if (!f) {
    fprintf(stderr, "mbmsec-bsf: cannot read config file %s\n", path);
    return MBMSEC_ERR_BSF_INI;
  }
  const mbmsec_err rc = bsf_ini_read_stream(f, path, fn, user);
  fclose(f);
  return rc;
}

mbmsec_err bsf_ini_read_stream(FILE *f, const char *path, bsf_ini_fn fn, void *user)
{
  char buf[1024], section[64] = "";
  int lineno = 0;
  size_t total = 0;
  mbmsec_err rc = MBMSEC_OK;
  while (fgets(buf, sizeof buf, f)) {
    lineno++;
    total += strlen(buf);
    if (total > 65536 || (strchr(buf, '\n') == NULL && !feof(f))) {
      fprintf(stderr, "mbmsec-bsf: %s:%d: line or file too long\n", path, lineno);
      rc = MBMSEC_ERR_BSF_INI;
      break;
    }
    char *s = trim(buf);
    if (*s == 0 || *s == '#' || *s == ';')
      continue;
    if (*s == '[') {
      char *e = strchr(s, ']');
      if (!e || e[1] != 0 || (size_t)(e - s - 1) >= sizeof section || e == s + 1) {
        fprintf(stderr, "mbmsec-bsf: %s:%d: bad section header\n", path, lineno);
        rc = MBMSEC_ERR_BSF_INI;
        break;
      }
      *e = 0;
      snprintf(section, sizeof section, "%s", trim(s + 1));
      continue;
    }
    char *eq = strchr(s, '=');
    if (!eq || !section[0]) {
      fprintf(stderr, "mbmsec-bsf: %s:%d: %s\n", path, lineno,
              eq ? "key outside a section" : "expected key = value");
      rc = MBMSEC_ERR_BSF_INI;
      break;
    }
    *eq = 0;
    char *k = trim(s), *v = trim(eq + 1);
    if (!*k) {
      fprintf(stderr, "mbmsec-bsf: %s:%d: empty key\n", path, lineno);
      rc = MBMSEC_ERR_BSF_INI;
      break;
    }
    if (fn(section, k, v, lineno, user) != 0) {
      rc = MBMSEC_ERR_BSF_INI;
      break;
    }
  }
  if (rc == MBMSEC_OK && ferror(f)) {
    fprintf(stderr, "mbmsec-bsf: cannot read config file %s\n", path);
    rc = MBMSEC_ERR_BSF_INI;
  }
  return rc;
}
