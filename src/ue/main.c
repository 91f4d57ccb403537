/* mbmsec-ue: the UE side of MBMS security: the simulated USIM, GBA bootstrapping, single
 * requests to a BM-SC, and the UE key agent (run / status / leave, docs/ue-agent.md). */
#include <stdio.h>

#include "mbmsec/crypto.h"
#include "mbmsec/ue.h"
#include "ue_cli.h"

/* src/ue/cmd_ua.c: requests to a BM-SC over Ua (and the MIKEY that follows). */
int cmd_register(int argc, char **argv);
int cmd_deregister(int argc, char **argv);
int cmd_msk_request(int argc, char **argv);

/* src/ue/run.c, admin.c: the UE key agent (built with lib/srtp; NULL otherwise). */
#ifdef MBMSEC_UE_AGENT
int cmd_run(int argc, char **argv);
int cmd_status(int argc, char **argv);
int cmd_leave(int argc, char **argv);
#else
#define cmd_run    NULL
#define cmd_status NULL
#define cmd_leave  NULL
#endif

static const cli_cmd COMMANDS[] = {
    {"usim", cmd_usim, "simulated USIM file: init, show"},
    {"bootstrap", cmd_bootstrap, "GBA bootstrap against a BSF (Ub), then Ks_NAF, MRK, MUK"},
    {"bootstrap-bench", cmd_bootstrap_bench, "complete bootstraps per second against a BSF"},
    {"register", cmd_register, "register for MBMS user services at a BM-SC (Ua, Digest)"},
    {"deregister", cmd_deregister, "deregister from MBMS user services at a BM-SC"},
    {"msk-request", cmd_msk_request, "request MSKs from a BM-SC; optionally receive the MIKEY"},
    {"run", cmd_run, "the UE key agent daemon: announcement to decrypted SRTP (--config F)"},
    {"status", cmd_status, "what the running agent holds: services, MSKs, counters"},
    {"leave", cmd_leave, "tell the running agent to leave a user service"},
};

int main(int argc, char **argv)
{
  if (mbmsec_ue_global_init() != MBMSEC_OK) {
    fprintf(stderr, "mbmsec-ue: cannot initialise libcurl\n");
    return CLI_FAIL;
  }
  int rc = cli_main("mbmsec-ue",
                    "The UE side of MBMS security (3GPP TS 33.246): simulated USIM, GBA "
                    "bootstrapping, BM-SC requests, and the UE key agent.",
                    COMMANDS, sizeof COMMANDS / sizeof COMMANDS[0], argc, argv);
  mbmsec_ue_global_cleanup();
  mbmsec_crypto_cleanup();
  return rc;
}
