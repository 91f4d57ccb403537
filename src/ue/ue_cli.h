/* mbmsec-ue: what the subcommands share beyond src/cli.h (which does the option parsing,
 * messages and output for every tool). */
#ifndef MBMSEC_UE_CLI_H
#define MBMSEC_UE_CLI_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cli.h"
#include "mbmsec/error.h"

/* A sentence for a failed bootstrap, naming the side at fault. */
const char *ue_bootstrap_reason(mbmsec_err rc);

int cmd_usim(int argc, char **argv);
int cmd_bootstrap(int argc, char **argv);
int cmd_bootstrap_bench(int argc, char **argv);

#endif
