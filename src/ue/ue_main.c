/* mbmsec-ue: the UE side of MBMS security. For now the simulated USIM and GBA bootstrapping;
 * the UE agent's further subcommands join the table below. */
#include <stdio.h>
#include <string.h>

#include "mbmsec/crypto.h"
#include "mbmsec/ue.h"
#include "ue_cli.h"

static const struct {
  const char *name;
  cli_fn fn;
  const char *summary;
} COMMANDS[] = {
    {"usim", cmd_usim, "simulated USIM file: init, show"},
    {"bootstrap", cmd_bootstrap, "GBA bootstrap against a BSF (Ub), then Ks_NAF, MRK, MUK"},
    {"bootstrap-bench", cmd_bootstrap_bench, "complete bootstraps per second against a BSF"},
};

static void usage(FILE *f)
{
  fprintf(f, "Usage: mbmsec-ue COMMAND [OPTIONS]\n\n"
             "The UE side of MBMS security (3GPP TS 33.246): simulated USIM, GBA bootstrapping.\n\n"
             "Commands:\n");
  for (size_t i = 0; i < sizeof COMMANDS / sizeof COMMANDS[0]; i++)
    fprintf(f, "  %-16s %s\n", COMMANDS[i].name, COMMANDS[i].summary);
  fprintf(f, "\nEvery command takes --help. Values print as name=value lines, or one JSON\n"
             "object with --json. Exit status: 0 success, 1 failure, 2 usage error.\n");
}

int main(int argc, char **argv)
{
  if (argc < 2) {
    usage(stderr);
    return CLI_USAGE;
  }
  if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") || !strcmp(argv[1], "help")) {
    usage(stdout);
    return CLI_OK;
  }
  for (size_t i = 0; i < sizeof COMMANDS / sizeof COMMANDS[0]; i++) {
    if (!strcmp(argv[1], COMMANDS[i].name)) {
      if (mbmsec_ue_global_init() != MBMSEC_OK) {
        fprintf(stderr, "mbmsec-ue: cannot initialise libcurl\n");
        return CLI_FAIL;
      }
      int rc = COMMANDS[i].fn(argc - 1, argv + 1);
      mbmsec_ue_global_cleanup();
      mbmsec_crypto_cleanup();
      return rc;
    }
  }
  fprintf(stderr, "mbmsec-ue: unknown command '%s'\nTry 'mbmsec-ue --help'.\n", argv[1]);
  return CLI_USAGE;
}
