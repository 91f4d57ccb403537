/* logfmt logger: one write per line (a line is built first, then written whole) so that lines
 * from the HTTP and Diameter threads do not interleave. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "log.h"

static dlog_level threshold = DLOG_INFO;
static const char *const NAMES[] = {"debug", "info", "warn", "error"};

void dlog_set_level(dlog_level lvl) { threshold = lvl; }
bool dlog_enabled(dlog_level lvl) { return lvl >= threshold; }

int dlog_level_parse(const char *s)
{
  for (int i = 0; i < 4; i++)
    if (strcmp(s, NAMES[i]) == 0)
      return i;
  return -1;
}

static void put(char *line, size_t cap, size_t *n, const char *s, bool value)
{
  bool quote = value && (*s == 0 || strpbrk(s, " =\"\\") != NULL);
  if (quote && *n + 1 < cap)
    line[(*n)++] = '"';
  for (; *s && *n + 3 < cap; s++) {
    unsigned char c = (unsigned char)*s;
    if (c < 0x20 || c == 0x7f)
      continue;
    if (quote && (c == '"' || c == '\\'))
      line[(*n)++] = '\\';
    line[(*n)++] = (char)c;
  }
  if (quote && *n + 1 < cap)
    line[(*n)++] = '"';
}

void dlog(dlog_level lvl, const char *msg, ...)
{
  if (!dlog_enabled(lvl))
    return;
  char line[2048];
  struct timespec ts;
  struct tm tm;
  clock_gettime(CLOCK_REALTIME, &ts);
  gmtime_r(&ts.tv_sec, &tm);
  size_t n = strftime(line, sizeof line, "ts=%Y-%m-%dT%H:%M:%S", &tm);
  n += (size_t)snprintf(line + n, sizeof line - n, ".%03ldZ level=%s msg=", ts.tv_nsec / 1000000,
                        NAMES[lvl]);
  put(line, sizeof line, &n, msg, true);
  va_list ap;
  va_start(ap, msg);
  for (;;) {
    const char *k = va_arg(ap, const char *);
    if (!k)
      break;
    const char *v = va_arg(ap, const char *);
    line[n++] = ' ';
    put(line, sizeof line, &n, k, false);
    line[n++] = '=';
    put(line, sizeof line, &n, v ? v : "", true);
  }
  va_end(ap);
  line[n++] = '\n';
  ssize_t w = write(STDERR_FILENO, line, n);
  (void)w;
}
