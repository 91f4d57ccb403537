/* mbmsec-ue: option parsing and messages shared by the subcommands (output through the
 * project's cli_out; messages here say "mbmsec-ue", not "mbmsec"). */
#ifndef MBMSEC_UE_CLI_H
#define MBMSEC_UE_CLI_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cli.h"
#include "mbmsec/error.h"

/* One --name option: with a value (val != NULL) or a flag (flag != NULL). */
typedef struct {
  const char *name;
  const char **val;
  bool *flag;
} ue_opt;

/* Parses argv[1..] ("--name value", "--name=value", flags); sets *help on --help/-h.
 * Returns CLI_OK or, after printing the reason, CLI_USAGE. */
int ue_parse(const char *cmd, int argc, char **argv, const ue_opt *opts, size_t n, bool *help);
/* "mbmsec-ue CMD: message" + the --help hint on stderr; returns CLI_USAGE. */
int ue_usage(const char *cmd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* "mbmsec-ue CMD: message" on stderr; returns CLI_FAIL. */
int ue_fail(const char *cmd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Exactly want octets of hex; CLI_OK or CLI_USAGE (printed). */
int ue_hex(const char *cmd, const char *opt, const char *val, uint8_t *out, size_t want);
/* Unsigned decimal <= max; CLI_OK or CLI_USAGE (printed). */
int ue_uint(const char *cmd, const char *opt, const char *val, uint64_t max, uint64_t *out);
/* A sentence for a failed bootstrap, naming the side at fault. */
const char *ue_bootstrap_reason(mbmsec_err rc);

int cmd_usim(int argc, char **argv);
int cmd_bootstrap(int argc, char **argv);
int cmd_bootstrap_bench(int argc, char **argv);

#endif
