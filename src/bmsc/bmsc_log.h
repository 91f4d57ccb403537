/* mbmsec-bmsc logging: logfmt lines on stderr, "ts=... level=... msg=... key=value ...". */
#ifndef MBMSEC_BMSC_LOG_H
#define MBMSEC_BMSC_LOG_H
#include <stdbool.h>

typedef enum { BL_DEBUG = 0, BL_INFO, BL_WARN, BL_ERROR } bmsc_level;

void bmsc_log_threshold(bmsc_level lvl);
/* Whether a line of this level is written (so that its values need formatting at all). */
bool bmsc_log_enabled(bmsc_level lvl);
/* "debug", "info", "warn", "error" -> level; -1 when unknown. */
int bmsc_log_parse(const char *s);
/* kv: key, value pairs, NULL-terminated. A NULL value prints as empty; values with a space,
 * '=' or '"' are quoted; control characters are dropped (a B-TID cannot forge a line). */
void bmsc_log(bmsc_level lvl, const char *msg, ...) __attribute__((sentinel));

#endif
