/* mbmsec: the engineer's command line for MBMS security (key derivations, Digest, MIKEY). */
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "mbmsec/crypto.h"

/* Each subcommand lives in its own cmd_*.c. Weak while the set is being built up, so that one
 * subcommand can be built and tested before the others exist; a missing one says so. */
#define CMD_DECL(f) int f(int argc, char **argv) __attribute__((weak))
CMD_DECL(cmd_milenage);
CMD_DECL(cmd_gba_ks_naf);
CMD_DECL(cmd_digest);
CMD_DECL(cmd_mikey_keys);
CMD_DECL(cmd_mikey);

static const struct {
  const char *name;
  cli_fn fn;
  const char *summary;
} COMMANDS[] = {
    {"milenage", cmd_milenage, "Milenage f1..f5* and AUTN (TS 35.206)"},
    {"gba-ks-naf", cmd_gba_ks_naf, "GBA Ks, Ks_NAF, MRK, MUK and B-TID (TS 33.220)"},
    {"digest", cmd_digest, "HTTP Digest HA1, HA2, response and rspauth (RFC 7616/2617/3310)"},
    {"mikey-keys", cmd_mikey_keys, "MIKEY PRF keys from a PSK and a TGK (RFC 3830 4.1)"},
    {"mikey", cmd_mikey, "MIKEY MSK/MTK messages: decode, build (RFC 3830, RFC 4563)"},
};

static void usage(FILE *f)
{
  fprintf(f, "Usage: mbmsec COMMAND [OPTIONS]\n\n"
             "MBMS security (3GPP TS 33.246) for engineers: key derivations, HTTP Digest, MIKEY.\n\n"
             "Commands:\n");
  for (size_t i = 0; i < sizeof COMMANDS / sizeof COMMANDS[0]; i++)
    fprintf(f, "  %-12s %s\n", COMMANDS[i].name, COMMANDS[i].summary);
  fprintf(f, "\nEvery command takes --help. Values print as name=hex lines, or one JSON object\n"
             "with --json. Exit status: 0 success, 1 failure, 2 usage error.\n");
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
  if (!strcmp(argv[1], "--version")) {
    puts("mbmsec 0.1.0");
    return CLI_OK;
  }
  for (size_t i = 0; i < sizeof COMMANDS / sizeof COMMANDS[0]; i++) {
    if (!strcmp(argv[1], COMMANDS[i].name)) {
      if (!COMMANDS[i].fn) {
        fprintf(stderr, "mbmsec: command '%s' is not built into this binary\n", argv[1]);
        return CLI_FAIL;
      }
      int rc = COMMANDS[i].fn(argc - 1, argv + 1);
      mbmsec_crypto_cleanup();
      return rc;
    }
  }
  fprintf(stderr, "mbmsec: unknown command '%s'\nTry 'mbmsec --help'.\n", argv[1]);
  return CLI_USAGE;
}
