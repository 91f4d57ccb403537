/* The daemons' settings (mbmsec-bsf, mbmsec-bmsc): a small INI reader, and the loader that
 * fills a daemon's settings from the defaults, the INI file of --config, then the command
 * line, where every option of `run` is also a key of the file.
 *
 * The file: "[section]" lines, "key = value" lines, '#' or ';' comments, spaces around
 * names and values trimmed; no quotes, no escapes, no continuation lines (values are
 * addresses, names, numbers and paths). fuzz/fuzz_ini.c feeds it arbitrary bytes. */
#ifndef MBMSEC_DAEMON_INI_H
#define MBMSEC_DAEMON_INI_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define INI_FILE_MAX    65536 /* octets of a whole file */
#define INI_LINE_MAX    1023  /* octets of a line, newline included */
#define INI_SECTION_MAX 63    /* octets of a section name */

/* Why a file was refused: "PATH:LINE: what" (or "cannot read config file PATH"). */
typedef struct {
  int line; /* 0 when the file could not be read */
  char msg[256];
} ini_error;

/* Called per key, inside a section (never empty), key never empty, line 1-based.
 * Return 0 to go on; anything else stops the reading and is returned by ini_read. */
typedef int (*ini_fn)(const char *section, const char *key, const char *value, int line,
                      void *user);

/* Reads path and calls fn for every key. @return 0; INI_SYNTAX with *err filled (a syntax
 * error, a key outside a section, a line over INI_LINE_MAX octets, a file over INI_FILE_MAX,
 * a file that cannot be read); or fn's non-zero return. */
#define INI_SYNTAX (-1)
int ini_read(const char *path, ini_fn fn, void *user, ini_error *err);
/* The same from an open stream (path names it in messages); the caller closes it. */
int ini_read_stream(FILE *f, const char *path, ini_fn fn, void *user, ini_error *err);

/* Values of settings. Each parses v for option --name and stores it, or prints a usage error
 * ("<program> CMD: --name 'v': expected ...") and returns 2; 0 on success. */
/* A non-empty string shorter than cap. */
int ini_value_str(const char *cmd, const char *name, const char *v, char *dst, size_t cap);
/* A decimal number lo..hi (no sign, no spaces). */
int ini_value_uint(const char *cmd, const char *name, const char *v, unsigned long lo,
                   unsigned long hi, unsigned long *out);
/* ADDR:PORT (the last ':' splits; ADDR non-empty, shorter than cap), port min_port..65535. */
int ini_value_addr(const char *cmd, const char *name, const char *v, char *addr, size_t cap,
                   uint16_t *port, unsigned long min_port);
/* true/yes/on/1 or false/no/off/0. */
int ini_value_bool(const char *cmd, const char *name, const char *v, bool *out);
/* debug, info, warn or error (dlog_level). */
int ini_value_log_level(const char *cmd, const char *name, const char *v, int *out);

/* One setting of a daemon by option name (without "--"); value NULL for a bare flag on the
 * command line; line: of the file, 0 on the command line. Returns 0, 2 (usage error printed
 * with cli_usage_error) or -1 (no such option). */
typedef int (*ini_set_fn)(void *settings, const char *name, const char *value, int line);

typedef struct {
  const char *cmd;          /* the command, for messages ("run") */
  const char *help;         /* printed on --help / -h */
  const char *section;      /* the daemon's own section ("bsf", "bmsc"); zn-* keys go to [zn] */
  const char *const *flags; /* options that take no value on the command line; NULL-ended */
  ini_set_fn set;
  void *settings;
} ini_options;

/* The file of --config (wherever it stands) first, then every option of argv[1..] in order,
 * so that the command line overrides the file. In the file, a key of the [zn] section is a
 * "zn-" option or "no-zn", every other key stands in the daemon's own section.
 * @return 0; 2 after a usage error (printed: "<program> CMD: ..."); 3 after --help. */
int ini_options_load(const ini_options *o, int argc, char **argv);

#endif
