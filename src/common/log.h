/* The daemons' logger (mbmsec-bsf, mbmsec-bmsc): logfmt lines on stderr,
 * "ts=... level=... msg=... key=value ...", each built whole in a bounded buffer and written
 * with one write(2), so that lines from the HTTP pool, the MIKEY thread and the Diameter stack
 * never interleave, and no field, however long, is written past the line. */
#ifndef MBMSEC_DAEMON_LOG_H
#define MBMSEC_DAEMON_LOG_H
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <time.h>

typedef enum { DLOG_DEBUG = 0, DLOG_INFO = 1, DLOG_WARN = 2, DLOG_ERROR = 3 } dlog_level;

/* A line is at most this many octets, newline included. A longer one is cut at a character
 * boundary of the output and ends in " truncated=1" so that a reader knows. */
#define DLOG_LINE_MAX 2048

/* Threshold; lines below it are dropped. */
void dlog_set_level(dlog_level lvl);
/* Whether a line of this level is written (so that its values need formatting at all). */
bool dlog_enabled(dlog_level lvl);
/* "debug", "info", "warn", "error" -> level; -1 if unknown. */
int dlog_level_parse(const char *s);
/* Where lines go (default STDERR_FILENO); the fuzz targets point it at /dev/null. */
void dlog_set_fd(int fd);

/* One line. The variable part is a list of key, value pairs ending with NULL; a NULL value
 * prints as empty; values are quoted when they hold a space, '=', '"' or '\' (with '"' and '\'
 * escaped, also in the message), and control characters are dropped, so that no field can
 * forge a line. */
void dlog(dlog_level lvl, const char *msg, ...) __attribute__((sentinel));

/* The line dlog would write, into out[cap] (cap >= 64): returns its length, newline included,
 * never more than cap - 1 (out is NUL-terminated). ts NULL: the current time. */
size_t dlog_format(char *out, size_t cap, dlog_level lvl, const struct timespec *ts,
                   const char *msg, va_list kv);

#endif
