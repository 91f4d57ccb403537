/* `mbmsec mikey`: MBMS MIKEY messages for engineers. Dispatches to decode (cmd_mikey_decode.c)
 * and the builders (cmd_mikey_build.c). */
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "cmd.h"
#include "cmd_mikey.h"

static void usage(FILE *f)
{
  fprintf(f,
          "Usage: mbmsec mikey SUBCOMMAND [OPTIONS]\n\n"
          "MBMS MIKEY messages (RFC 3830, RFC 4563, 3GPP TS 33.246 profile P7-P10).\n\n"
          "Subcommands:\n"
          "  decode              print every payload; with --muk/--msk check the MAC and decrypt\n"
          "  build-msk           build an MSK message (BM-SC -> UE, under the MUK)\n"
          "  build-mtk           build an MTK message (BM-SC -> UEs, under the MSK)\n"
          "  build-verification  build the UE's verification message answering an MSK message\n\n"
          "Each subcommand takes --help. Exit status: 0 success, 1 failure, 2 usage error.\n");
}

int mk_parse(const char *cmd, int argc, char **argv, mk_opt *opts, size_t n)
{
  for (int i = 1; i < argc; i++) {
    const char *a = argv[i];
    if (!strcmp(a, "--help") || !strcmp(a, "-h")) return 1;
    size_t k = 0;
    while (k < n && strcmp(a, opts[k].name)) k++;
    if (k == n) return cli_usage_error(cmd, "unknown argument '%s'", a), -1;
    if (opts[k].seen) return cli_usage_error(cmd, "%s given twice", a), -1;
    opts[k].seen = true;
    if (opts[k].flag) continue;
    if (i + 1 >= argc) return cli_usage_error(cmd, "%s needs a value", a), -1;
    opts[k].val = argv[++i];
  }
  return 0;
}

int cmd_mikey(int argc, char **argv)
{
  static const struct {
    const char *name;
    cli_fn fn;
  } SUB[] = {
      {"decode", cmd_mikey_decode},
      {"build-msk", cmd_mikey_build_msk},
      {"build-mtk", cmd_mikey_build_mtk},
      {"build-verification", cmd_mikey_build_verification},
  };
  if (argc < 2) {
    usage(stderr);
    return CLI_USAGE;
  }
  if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
    usage(stdout);
    return CLI_OK;
  }
  for (size_t i = 0; i < sizeof SUB / sizeof SUB[0]; i++)
    if (!strcmp(argv[1], SUB[i].name)) return SUB[i].fn(argc - 1, argv + 1);
  return cli_usage_error("mikey", "unknown subcommand '%s'", argv[1]);
}
