/* A tiny INI reader: "[section]" lines, "key = value" lines, '#' or ';' comments. */
#ifndef MBMSEC_BSF_INI_H
#define MBMSEC_BSF_INI_H
#include <stddef.h>
#include <stdio.h>
#include "mbmsec/error.h"

/* Called per key; return non-zero to stop with MBMSEC_ERR_BSF_INI (the callback prints why).
 * line is the 1-based line number. */
typedef int (*bsf_ini_fn)(const char *section, const char *key, const char *value, int line,
                          void *user);

/* Reads path (at most 64 KiB) and calls fn for every key. A syntax error is reported on stderr
 * with its line number. @return MBMSEC_OK, MBMSEC_ERR_BSF_INI (syntax, a key outside a
 * section, a line over 1023 octets, a file too large or unreadable, fn refused). */
mbmsec_err bsf_ini_read(const char *path, bsf_ini_fn fn, void *user);
/* The same from an open stream (path names it in messages); the caller closes it. */
mbmsec_err bsf_ini_read_stream(FILE *f, const char *path, bsf_ini_fn fn, void *user);

#endif
