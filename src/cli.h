/* The `mbmsec` command line: shared helpers for subcommands.
 *
 * Exit codes: 0 success, 1 the operation failed (bad data, verification failure),
 * 2 usage error (wrong or missing argument). Errors go to stderr as "mbmsec CMD: message".
 * Values are printed as `name=value` lines (lower-case hex for bytes) or, with --json,
 * as one JSON object with the same names.
 */
#ifndef MBMSEC_CLI_H
#define MBMSEC_CLI_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define CLI_OK    0
#define CLI_FAIL  1
#define CLI_USAGE 2

/* A subcommand: argv[0] is the subcommand name. */
typedef int (*cli_fn)(int argc, char **argv);

/* One entry of a program's command table; fn NULL = not built into this binary. */
typedef struct {
  const char *name;
  cli_fn fn;
  const char *summary;
} cli_cmd;

/* The program name used in every message ("mbmsec" unless set). */
void cli_set_program(const char *name);
const char *cli_program(void);

/* main() of a program with subcommands: sets the program name, answers --help / -h / help
 * (about is the one-paragraph description), runs the named command, and says what is wrong
 * with an unknown or missing one. Returns the exit status. */
int cli_main(const char *prog, const char *about, const cli_cmd *cmds, size_t n, int argc,
             char **argv);

/* One --name option: with a value (val != NULL) or a flag (flag != NULL). */
typedef struct {
  const char *name;
  const char **val;
  bool *flag;
} cli_opt;

/* Parses argv[1..] ("--name value", "--name=value", flags); an option given twice, an unknown
 * option or a missing value is a usage error. Sets *help on --help / -h.
 * Returns CLI_OK or, after printing the reason, CLI_USAGE. */
int cli_parse(const char *cmd, int argc, char **argv, const cli_opt *opts, size_t n, bool *help);

#define CLI_VALUES_MAX 32
/* The common shape of a command line: value options names[0..n-1] (vals[i] gets the value,
 * NULL when absent; vals must start all NULL) plus the flag --json (json may be NULL when the
 * command has no JSON output). Returns CLI_OK or CLI_USAGE (printed); *help as cli_parse. */
int cli_parse_values(const char *cmd, int argc, char **argv, const char *const *names,
                     const char **vals, size_t n, bool *json, bool *help);

/* Prints "<program> <cmd>: <message>" and a hint to use --help on stderr; returns CLI_USAGE. */
int cli_usage_error(const char *cmd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Prints "<program> <cmd>: <message>" on stderr; returns CLI_FAIL. */
int cli_fail(const char *cmd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Decodes the hex value of option `opt`. With want > 0 the value must be exactly want octets;
 * with want == 0 any length from 0 to cap. Returns 0, or prints a usage error and returns -1. */
int cli_hex_arg(const char *cmd, const char *opt, const char *val, uint8_t *out, size_t cap,
                size_t want, size_t *len);
/* Parses an unsigned decimal (or 0x-prefixed hex) no greater than max. 0 or -1 as above. */
int cli_uint_arg(const char *cmd, const char *opt, const char *val, uint64_t max, uint64_t *out);
/* Reads a whole file (at most max octets) into a malloc'd buffer. 0 or -1 (error printed). */
int cli_read_file(const char *cmd, const char *path, size_t max, uint8_t **out, size_t *len);
/* The same for a data file whose problems are failures (printed with cli_fail): "-" reads
 * standard input. 0 or -1. */
int cli_read_input(const char *cmd, const char *path, size_t max, uint8_t **out, size_t *len);

/* Output of name/value pairs in either form. */
typedef struct {
  bool json;
  int count;
} cli_out;

void cli_out_begin(cli_out *o, bool json);
void cli_out_hex(cli_out *o, const char *name, const uint8_t *p, size_t n);
void cli_out_str(cli_out *o, const char *name, const char *s);
void cli_out_end(cli_out *o);
/* Writes s as a JSON string literal (with quotes) to stdout. */
void cli_json_string(const char *s);

#endif
