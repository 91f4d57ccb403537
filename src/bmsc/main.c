/* mbmsec-bmsc: the BM-SC key server daemon and its administration commands. */
#include "../cli.h"
#include "bmsc.h"

static const char ABOUT[] =
    "The BM-SC key request function of MBMS security (TS 33.246): HTTP Digest on Ua with\n"
    "keys from the BSF over Zn, per-item membership answers, MSKs in MIKEY over UDP.";

int main(int argc, char **argv)
{
  static const cli_cmd cmds[] = {
      {"run", bmsc_cmd_run, "run the daemon (--help for its options)"},
      {"service", bmsc_cmd_service, "service add|list: user services in the store"},
      {"subscriber", bmsc_cmd_subscriber, "subscriber grant|revoke: who may receive a service"},
      {"ue", bmsc_cmd_ue,
       "ue list|pull: delivery state of every UE, solicited pull (running daemon)"},
      {"msk", bmsc_cmd_msk,
       "msk list|rotate: MSKs with push progress, start a rotation (running daemon)"},
  };
  return cli_main("mbmsec-bmsc", ABOUT, cmds, sizeof cmds / sizeof cmds[0], argc, argv);
}
