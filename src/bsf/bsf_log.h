/* logfmt lines on stderr: "ts=... level=... msg=... key=value ...". */
#ifndef MBMSEC_BSF_LOG_H
#define MBMSEC_BSF_LOG_H
#include <stdbool.h>

typedef enum { DLOG_DEBUG = 0, DLOG_INFO = 1, DLOG_WARN = 2, DLOG_ERROR = 3 } dlog_level;

/* Threshold; lines below it are dropped. */
void dlog_set_level(dlog_level lvl);
bool dlog_enabled(dlog_level lvl);
/* "debug", "info", "warn", "error" -> level; -1 if unknown. */
int dlog_level_parse(const char *s);

/* One line. kv is a list of key, value pairs ending with NULL; values are quoted when they
 * hold a space, '=' or '"' (with '"' and '\' escaped) and control characters are dropped. */
void dlog(dlog_level lvl, const char *msg, ...) __attribute__((sentinel));

#endif
