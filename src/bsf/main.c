/* mbmsec-bsf: the GBA bootstrapping server daemon and its subscriber administration. */
#include "bsf.h"
#include "cli.h"

static const char ABOUT[] =
    "The GBA bootstrapping server function (TS 33.220): Ub over HTTP Digest AKA with the\n"
    "built-in HSS of the store, Zn over Diameter for the BM-SC.";

int main(int argc, char **argv)
{
  static const cli_cmd cmds[] = {
      {"run", bsf_cmd_run, "the BSF: Ub over HTTP, Zn over Diameter (--help for its options)"},
      {"subscriber", bsf_cmd_subscriber, "subscriber add|import|list|show|del: the built-in HSS"},
  };
  return cli_main("mbmsec-bsf", ABOUT, cmds, sizeof cmds / sizeof cmds[0], argc, argv);
}
