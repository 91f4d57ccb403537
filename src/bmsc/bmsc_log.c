/* The logger builds each line in one buffer and writes it with one write(2): lines from the
 * HTTP pool, the MIKEY thread and the Diameter stack never interleave. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "bmsc_log.h"

static bmsc_level level_min = BL_INFO;
static const char *const LEVELS[] = {"debug", "info", "warn", "error"};

void bmsc_log_threshold(bmsc_level lvl) { level_min = lvl; }

bool bmsc_log_enabled(bmsc_level lvl) { return lvl >= level_min; }

int bmsc_log_parse(const char *s)
{
  for (int i = 0; i < 4; i++)
    if (!strcmp(s, LEVELS[i])) return i;
  return -1;
}

typedef struct {
  char b[2048];
  size_t n;
} line_buf;

static void add_char(line_buf *l, char c)
{
  if (l->n + 2 < sizeof l->b) l->b[l->n++] = c; /* keep room for the newline */
}

static void add_value(line_buf *l, const char *v)
{
  const bool quote = !*v || strpbrk(v, " =\"\\") != NULL;
  if (quote) add_char(l, '"');
  for (; *v; v++) {
    const unsigned char c = (unsigned char)*v;
    if (c < 0x20 || c == 0x7f) continue;
    if (quote && (c == '"' || c == '\\')) add_char(l, '\\');
    add_char(l, (char)c);
  }
  if (quote) add_char(l, '"');
}

void bmsc_log(bmsc_level lvl, const char *msg, ...)
{
  if (lvl < level_min) return;
  line_buf l = {.n = 0};
  struct timespec ts;
  struct tm tm;
  clock_gettime(CLOCK_REALTIME, &ts);
  gmtime_r(&ts.tv_sec, &tm);
  l.n = strftime(l.b, sizeof l.b, "ts=%Y-%m-%dT%H:%M:%S", &tm);
  l.n += (size_t)snprintf(l.b + l.n, sizeof l.b - l.n, ".%03ldZ level=%s msg=",
                          ts.tv_nsec / 1000000, LEVELS[lvl]);
  add_value(&l, msg);
  va_list ap;
  va_start(ap, msg);
  for (const char *k; (k = va_arg(ap, const char *)) != NULL;) {
    const char *v = va_arg(ap, const char *);
    add_char(&l, ' ');
    for (; *k; k++) add_char(&l, *k);
    add_char(&l, '=');
    add_value(&l, v ? v : "");
  }
  va_end(ap);
  l.b[l.n++] = '\n';
  ssize_t w = write(STDERR_FILENO, l.b, l.n);
  (void)w;
}
