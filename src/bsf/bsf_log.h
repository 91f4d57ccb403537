/* logfmt lines on stderr: "ts=... level=... msg=... key=value ...". */
#ifndef MBMSEC_BSF_LOG_H
#define MBMSEC_BSF_LOG_H
#include <stdbool.h>

typedef enum { LOG_DEBUG = 0, LOG_INFO = 1, LOG_WARN = 2, LOG_ERROR = 3 } bsf_log_level;

/* Threshold; lines below it are dropped. */
void bsf_log_set_level(bsf_log_level lvl);
bool bsf_log_enabled(bsf_log_level lvl);
/* "debug", "info", "warn", "error" -> level; -1 if unknown. */
int bsf_log_level_parse(const char *s);

/* One line. kv is a list of key, value pairs ending with NULL; values are quoted when they
 * hold a space, '=' or '"' (with '"' and '\' escaped) and control characters are dropped. */
void bsf_log(bsf_log_level lvl, const char *msg, ...) __attribute__((sentinel));

#endif
