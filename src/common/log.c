/* Bounded logfmt lines: every octet goes through one appender that checks the room left, so a
 * 10,000-octet method or header cannot write past the line (the BSF's former logger appended
 * separators unchecked). */
#include "log.h"

#include <stdio.h>
#include <string.h>
#include <unistd.h>

static dlog_level threshold = DLOG_INFO;
static int out_fd = STDERR_FILENO;
static const char *const NAMES[] = {"debug", "info", "warn", "error"};
static const char TRUNCATED[] = " truncated=1\n";

void dlog_set_level(dlog_level lvl) { threshold = lvl; }
bool dlog_enabled(dlog_level lvl) { return lvl >= threshold; }
void dlog_set_fd(int fd) { out_fd = fd; }

int dlog_level_parse(const char *s)
{
  for (int i = 0; i < 4; i++)
    if (strcmp(s, NAMES[i]) == 0) return i;
  return -1;
}

typedef struct {
  char *b;
  size_t cap; /* room for text: the real capacity less the truncation marker and the NUL */
  size_t n;
  bool cut;
} line;

static void add_char(line *l, char c)
{
  if (l->n < l->cap)
    l->b[l->n++] = c;
  else
    l->cut = true;
}

static void add_text(line *l, const char *s, bool value)
{
  const bool quote = value && (*s == 0 || strpbrk(s, " =\"\\") != NULL);
  if (quote) add_char(l, '"');
  for (; *s && !l->cut; s++) {
    const unsigned char c = (unsigned char)*s;
    if (c < 0x20 || c == 0x7f) continue;
    if (quote && (c == '"' || c == '\\')) add_char(l, '\\');
    add_char(l, (char)c);
  }
  if (quote) add_char(l, '"');
}

size_t dlog_format(char *out, size_t cap, dlog_level lvl, const struct timespec *ts,
                   const char *msg, va_list kv)
{
  struct timespec now;
  if (!ts) {
    clock_gettime(CLOCK_REALTIME, &now);
    ts = &now;
  }
  struct tm tm;
  gmtime_r(&ts->tv_sec, &tm);
  line l = {.b = out, .cap = cap - sizeof TRUNCATED, .n = 0, .cut = false};
  char head[80];
  size_t h = strftime(head, sizeof head, "ts=%Y-%m-%dT%H:%M:%S", &tm);
  snprintf(head + h, sizeof head - h, ".%03ldZ level=%s msg=", ts->tv_nsec / 1000000,
           NAMES[lvl <= DLOG_ERROR ? lvl : DLOG_ERROR]);
  for (const char *p = head; *p; p++) add_char(&l, *p);
  add_text(&l, msg, true);
  for (const char *k; !l.cut && (k = va_arg(kv, const char *)) != NULL;) {
    const char *v = va_arg(kv, const char *);
    add_char(&l, ' ');
    add_text(&l, k, false);
    add_char(&l, '=');
    add_text(&l, v ? v : "", true);
  }
  if (l.cut) {
    memcpy(out + l.n, TRUNCATED, sizeof TRUNCATED); /* the room was kept for it */
    return l.n + sizeof TRUNCATED - 1;
  }
  out[l.n++] = '\n';
  out[l.n] = 0;
  return l.n;
}

void dlog(dlog_level lvl, const char *msg, ...)
{
  if (!dlog_enabled(lvl)) return;
  char buf[DLOG_LINE_MAX];
  va_list ap;
  va_start(ap, msg);
  size_t n = dlog_format(buf, sizeof buf, lvl, NULL, msg, ap);
  va_end(ap);
  ssize_t w = write(out_fd, buf, n);
  (void)w;
}
